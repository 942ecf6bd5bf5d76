import os

import keras
import numpy as np
import pytest

# Data for tests comes from the shared benchmark folder, never the network.
os.environ["KERAS_MEMATTN_NO_DOWNLOAD"] = "1"
os.environ.setdefault(
    "KERAS_MEMATTN_DATA",
    os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"),
)


@pytest.fixture(autouse=True)
def _reset_keras_state():
    """Each test starts from float32 and a fixed seed."""
    keras.config.set_dtype_policy("float32")
    keras.utils.set_random_seed(1234)
    yield
    keras.config.set_dtype_policy("float32")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def pytest_report_header(config):
    return f"keras {keras.version()}, backend {keras.backend.backend()}"

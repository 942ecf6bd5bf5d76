import os

# On JAX the tests compile many small models once each: XLA's backend
# optimisations cost them more compile time than they save at run time
# (the JAX suite takes about a fifth less time without them). Set before Keras
# imports its backend.
_FAST_COMPILE = "--xla_backend_optimization_level=0"
if os.environ.get("KERAS_BACKEND") == "jax" and _FAST_COMPILE not in (
    os.environ.get("XLA_FLAGS", "")
):
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + " " + _FAST_COMPILE
    ).strip()

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

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

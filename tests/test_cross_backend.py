"""A `.keras` file saved under this backend loads under the other two."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from tests import compat_models

BACKENDS = ("tensorflow", "jax", "torch")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cross_backend")
    for name, builder in compat_models.BUILDERS.items():
        keras.utils.set_random_seed(0)
        model, inputs = builder()
        inputs = keras.tree.flatten(inputs)
        outputs = keras.tree.flatten(
            model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
        )
        model.save(folder / f"{name}.keras")
        arrays = {f"in{i:02d}": x for i, x in enumerate(inputs)}
        arrays.update(
            {f"out{i:02d}": np.asarray(y) for i, y in enumerate(outputs)}
        )
        np.savez(folder / f"{name}.npz", **arrays)
    return folder


@pytest.mark.parametrize(
    "target", [b for b in BACKENDS if b != keras.backend.backend()]
)
def test_models_load_under_other_backend(saved_models, target):
    env = dict(os.environ, KERAS_BACKEND=target)
    proc = subprocess.run(
        [sys.executable, "-m", "tests.cross_backend_load", str(saved_models)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, (
        f"saved under {keras.backend.backend()}, loaded under {target}:\n"
        f"{proc.stdout}\n{proc.stderr[-3000:]}"
    )

"""The package imports on every backend without pulling in other backends."""

import os
import subprocess
import sys

import keras
import pytest

import keras_memattn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUBMODULES = ("layers", "ops", "models", "datasets", "export", "callbacks")


def test_version():
    assert isinstance(keras_memattn.__version__, str)
    assert keras_memattn.__version__.count(".") == 2


@pytest.mark.parametrize("submodule", SUBMODULES)
def test_submodules_are_public(submodule):
    assert hasattr(keras_memattn, submodule)


@pytest.mark.skipif(
    keras.backend.backend() == "tensorflow",
    reason="the TensorFlow backend imports TensorFlow itself",
)
def test_import_does_not_load_tensorflow():
    # Checked for the active backend only: each backend has its own run.
    backend = keras.backend.backend()
    code = (
        "import sys, keras_memattn\n"
        "heavy = [m for m in ('tensorflow', 'keras_hub', 'tensorflow_text')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=dict(os.environ, KERAS_BACKEND=backend),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "", (
        f"importing keras_memattn on {backend} imported {proc.stdout}"
    )

"""Loads every `<name>.keras` in a folder and compares with `<name>.npz`.

Run as `KERAS_BACKEND=... python -m tests.cross_backend_load DIR`; exits 1 and
names the model on the first mismatch.
"""

import glob
import os
import sys

import keras
import numpy as np

import keras_memattn  # noqa: F401 - registers the package's layers.
from tests import compat_models  # noqa: F401 - registers the test layers.


def main(folder):
    failures = []
    for path in sorted(glob.glob(os.path.join(folder, "*.keras"))):
        name = os.path.basename(path)[: -len(".keras")]
        data = np.load(os.path.join(folder, name + ".npz"))
        model = keras.models.load_model(path, safe_mode=True)
        inputs = [data[k] for k in sorted(data.files) if k.startswith("in")]
        expected = [data[k] for k in sorted(data.files) if k.startswith("out")]
        got = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
        got = keras.tree.flatten(got)
        for e, g in zip(expected, got):
            diff = float(np.max(np.abs(e - np.asarray(g, dtype=e.dtype))))
            if not diff <= 1e-5:
                failures.append(f"{name}: max abs diff {diff}")
    backend = keras.backend.backend()
    for f in failures:
        print(f"[{backend}] {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

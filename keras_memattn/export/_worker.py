"""Conversion child process: `python -m keras_memattn.export._worker SPEC`.

Runs on the TensorFlow backend (the parent sets `KERAS_BACKEND`). It converts
either a `.keras` file (models from the JAX and PyTorch backends) or a
SavedModel (full-integer conversion, kept out of the parent process because
the converter can crash on recurrent loops), and writes its outcome to the
result file named in the spec.
"""

import sys

from keras_memattn.export.tflite import _worker_main

if __name__ == "__main__":
    _worker_main(sys.argv[1])

"""Writing image summaries for TensorBoard, whatever the Keras backend.

TensorBoard event files are written with `tf.summary`, imported only when the
first image is written, so `import keras_memattn` never imports TensorFlow on
the JAX or PyTorch backends. When the model trains on another backend,
TensorFlow is kept off the GPUs (it would otherwise reserve their memory for
itself); summaries only need the CPU.
"""

import importlib.util

import keras

_INSTALL_HINT = (
    "Writing TensorBoard images needs TensorFlow (for `tf.summary`), also "
    "when the model trains on the JAX or PyTorch backend. Install it with "
    "`pip install keras-memattn[tensorflow]`."
)


def check_installed():
    """Raises the ImportError of `import_tensorflow` when TensorFlow is not
    installed, without importing it."""
    if importlib.util.find_spec("tensorflow") is None:
        raise ImportError(_INSTALL_HINT)


def import_tensorflow():
    """Imports TensorFlow, or raises an ImportError that says how to get it."""
    try:
        import tensorflow as tf
    except ImportError as e:
        raise ImportError(_INSTALL_HINT) from e
    if keras.backend.backend() != "tensorflow":
        try:
            tf.config.set_visible_devices([], "GPU")
        except (RuntimeError, ValueError):
            # TensorFlow was initialised earlier; its devices are fixed now.
            pass
    return tf


class ImageWriter:
    """Writes uint8 images to a TensorBoard log folder with `tf.summary`."""

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self._writer = None
        self._tf = None

    def write(self, tag, images, step, description=None):
        """Writes `images`, a `(n, height, width, 3)` uint8 array."""
        if self._writer is None:
            self._tf = import_tensorflow()
            self._writer = self._tf.summary.create_file_writer(self.log_dir)
        tf = self._tf
        with self._writer.as_default():
            tf.summary.image(
                tag,
                tf.constant(images, dtype=tf.uint8),
                step=int(step),
                max_outputs=len(images),
                description=description,
            )
        self._writer.flush()

    def close(self):
        if self._writer is not None:
            self._writer.close()
            self._writer = None

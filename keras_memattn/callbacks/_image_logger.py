"""The part the two TensorBoard image loggers share."""

import keras
import numpy as np

from keras_memattn import _validation
from keras_memattn.callbacks import _tensorboard


class ImageLogger(keras.callbacks.Callback):
    """Writes `self.images()` to TensorBoard every `freq` epochs.

    Subclasses set `tag` (the image tag prefix) and `description` (a format
    string with `{name}`), and implement `images()` returning a dict from
    layer name to a `(examples, height, width, 3)` uint8 array.
    """

    tag = "images"
    description = "Images of layer {name}."

    def __init__(
        self,
        log_dir,
        inputs,
        layer_names=None,
        tokens=None,
        max_examples=4,
        freq=1,
    ):
        super().__init__()
        owner = type(self).__name__
        self.log_dir = str(log_dir)
        self.max_examples = _validation.positive_int(
            "max_examples", max_examples, owner
        )
        self.freq = _validation.positive_int("freq", freq, owner)
        self.inputs = keras.tree.map_structure(
            lambda x: np.asarray(x)[: self.max_examples], inputs
        )
        if isinstance(layer_names, str):
            layer_names = [layer_names]
        self.layer_names = None if layer_names is None else list(layer_names)
        self.tokens = None if tokens is None else list(tokens)
        self._writer = _tensorboard.ImageWriter(self.log_dir)
        self._probes = None

    def set_model(self, model):
        super().set_model(model)
        # Probes belong to one model: a new model gets new ones.
        self._probes = None

    def images(self):
        raise NotImplementedError

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.freq:
            return
        for name, images in self.images().items():
            self._writer.write(
                f"{self.tag}/{name}",
                images,
                step=epoch,
                description=self.description.format(name=name),
            )

    def on_train_end(self, logs=None):
        self._writer.close()

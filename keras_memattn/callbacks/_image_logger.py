"""The part the two TensorBoard image loggers share."""

import os
import warnings

import keras
import numpy as np

from keras_memattn import _validation
from keras_memattn.callbacks import _tensorboard
from keras_memattn.callbacks import plotting


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
        # Both are imported only when the first images are written; a
        # missing one is an error now, not after the first epoch.
        _tensorboard.check_installed()
        plotting.check_installed()
        owner = type(self).__name__
        if not isinstance(log_dir, (str, os.PathLike)):
            raise ValueError(
                f"{owner}: `log_dir` must be a folder path (a string or "
                f"path-like). Received: log_dir={log_dir!r}"
            )
        self.log_dir = os.fspath(log_dir)
        self.max_examples = _validation.positive_int(
            "max_examples", max_examples, owner
        )
        self.freq = _validation.positive_int("freq", freq, owner)
        self.inputs = keras.tree.map_structure(
            lambda x: np.asarray(x)[: self.max_examples], inputs
        )
        self.layer_names = _layer_names(layer_names, owner)
        self.tokens = _tokens(tokens, owner)
        self._writer = _tensorboard.ImageWriter(self.log_dir)
        self._probes = None

    def set_model(self, model):
        super().set_model(model)
        # Probes belong to one model: a new model gets new ones.
        self._probes = None

    def images(self):
        raise NotImplementedError

    def drawable(self, name, weights):
        """Whether the `weights` of layer `name` can be drawn; warns when
        they hold NaN or infinite values, which no image shows truthfully
        (training goes on, without images of that layer)."""
        if all(np.isfinite(w).all() for w in keras.tree.flatten(weights)):
            return True
        warnings.warn(
            f"{type(self).__name__}: the weights of layer {name!r} hold NaN "
            "or infinite values (has training diverged?); no images are "
            "written for that layer.",
            stacklevel=2,
        )
        return False

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


def _layer_names(layer_names, owner):
    """`layer_names` as a list of strings (None stays None)."""
    if layer_names is None:
        return None
    if isinstance(layer_names, str):
        return [layer_names]
    if isinstance(layer_names, (list, tuple)) and all(
        isinstance(name, str) for name in layer_names
    ):
        return list(layer_names)
    raise ValueError(
        f"{owner}: `layer_names` must be a layer name or a list of names. "
        f"Received: layer_names={layer_names!r}"
    )


def _tokens(tokens, owner):
    """`tokens` as a list of token lists (None stays None)."""
    if tokens is None:
        return None
    if isinstance(tokens, (list, tuple)) and all(
        isinstance(example, (list, tuple, np.ndarray)) for example in tokens
    ):
        return [list(example) for example in tokens]
    raise ValueError(
        f"{owner}: `tokens` must be a list with one list of tokens per "
        f"example. Received: tokens={tokens!r}"
    )

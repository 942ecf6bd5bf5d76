"""Re-running one layer of a trained model on a fixed batch.

A probe is a `keras.Model` from the model's inputs to the inputs of one of
its layers (the tensors of the layer's first call). Running the probe and
then the layer itself, eagerly, reproduces what the layer saw in training,
with the Keras masks of its inputs, and lets the callbacks call the layer
with extra arguments (`return_attention_scores=True`) or step through a
recurrent cell.
"""

import inspect

import keras
import numpy as np

from keras_memattn import _compat


def find_layer(model, name, owner, argument="layer_names"):
    """`model.get_layer(name)`, or a ValueError naming `argument`."""
    try:
        return model.get_layer(name)
    except ValueError as e:
        names = [layer.name for layer in model.layers]
        raise ValueError(
            f"{owner}: the model has no layer named {name!r}. Its layers are "
            f"{names}. Received: {argument}={name!r}"
        ) from e


def accepts_argument(layer, argument):
    try:
        return argument in inspect.signature(layer.call).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins.
        return False


def _recorded_calls(layer):
    """`(args, kwargs)` of each of the layer's calls, as KerasTensors."""
    recorded = _compat.call_arguments(layer)
    if recorded:
        return recorded
    try:
        inputs = layer.input
    except (AttributeError, ValueError) as e:
        raise ValueError(
            f"Layer {layer.name!r} has not been called in a functional or "
            "Sequential model, so its inputs are unknown. Build the model "
            "with the functional API or `keras.Sequential` first."
        ) from e
    return [((inputs,), {})]


def _tensors(args, kwargs):
    flat = keras.tree.flatten((args, kwargs))
    return [t for t in flat if isinstance(t, keras.KerasTensor)]


class LayerProbe:
    """Calls `layer` on the inputs it receives inside `model`.

    Args:
        model: a built functional or Sequential model containing `layer`.
        layer: the layer to probe (a top-level layer of `model`).
    """

    def __init__(self, model, layer):
        self.layer = layer
        try:
            model_inputs = _compat.model_input(model)
        except (AttributeError, ValueError) as e:
            raise ValueError(
                "The attention and memory callbacks need a functional or "
                "Sequential model whose inputs are known. Received a model "
                f"of type {type(model).__name__} without symbolic inputs."
            ) from e
        # A layer shared with another model has calls in other graphs too:
        # use the first call that this model's inputs feed.
        for args, kwargs in _recorded_calls(layer):
            kwargs.pop("training", None)
            tensors = _tensors(args, kwargs)
            try:
                feed = keras.Model(model_inputs, tensors)
            except ValueError:
                continue
            self._args, self._kwargs = args, kwargs
            self._tensors, self._feed = tensors, feed
            break
        else:
            raise ValueError(
                f"Layer {layer.name!r} is not called on the inputs of model "
                f"{model.name!r}, so it cannot be probed there."
            )

    def arguments(self, inputs):
        """The layer's call arguments for `inputs`, as eager tensors.

        The tensors keep the Keras masks computed upstream (for example by
        an `Embedding` with `mask_zero=True`), so calling the layer on them
        masks exactly as in training.
        """
        values = self._feed(inputs, training=False)
        if not isinstance(values, (list, tuple)):
            values = [values]
        values = iter(values)
        args, kwargs = keras.tree.map_structure(
            lambda t: next(values) if isinstance(t, keras.KerasTensor) else t,
            (self._args, self._kwargs),
        )
        return tuple(args), dict(kwargs)

    def call(self, inputs, **extra_kwargs):
        """Calls the layer (inference mode) on the inputs it gets for
        `inputs`, with `extra_kwargs` added to its original call."""
        args, kwargs = self.arguments(inputs)
        kwargs.update(extra_kwargs)
        return self.layer(*args, training=False, **kwargs)


def sequence_lengths(inputs):
    """Lengths of padded integer sequences (index of the last non-zero id
    plus one), or `None` when the first input is not an integer array.

    Subword inputs `(batch, time, 1 + subwords)` are measured on their word
    ids `[..., 0]`. A row of padding only keeps its full length: cut to
    nothing, its maps would have no columns.
    """
    first = keras.tree.flatten(inputs)[0]
    first = np.asarray(first)
    if first.ndim == 3:
        first = first[..., 0]
    if first.ndim != 2 or not np.issubdtype(first.dtype, np.integer):
        return None
    nonzero = first != 0
    last = first.shape[1] - np.argmax(nonzero[:, ::-1], axis=1)
    return np.where(nonzero.any(axis=1), last, first.shape[1])

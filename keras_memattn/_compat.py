"""The one place that touches private Keras symbols.

`keras.layers.RNN` pre-computes per-sequence dropout masks only for cells that
inherit Keras' `DropoutRNNCell` mixin, which is not public API. Recurrent cells
here inherit it when the installed Keras has it (checked at import), and a
local class with the same method names otherwise. With the local class, the
wrappers of this package still draw masks once per sequence themselves
(`keras_memattn.layers.base_rnn`), but a plain `keras.layers.RNN` around one of
our cells would draw them lazily inside its loop.
"""

import keras
from keras import ops

KERAS_VERSION = tuple(int(p) for p in keras.version().split(".")[:2])

try:  # Keras >= 3.0 keeps the mixin here.
    from keras.src.layers.rnn.dropout_rnn_cell import (
        DropoutRNNCell as _KerasDropoutRNNCell,
    )
except ImportError:  # pragma: no cover - depends on the Keras release.
    _KerasDropoutRNNCell = None


class _LocalDropoutRNNCell:
    """Per-sequence dropout masks, cached until reset.

    The host class provides `dropout`, `recurrent_dropout` and
    `seed_generator`.
    """

    def _draw_mask(self, like, dropout_rate):
        ones = ops.ones_like(like)
        return keras.random.dropout(
            ones, rate=dropout_rate, seed=self.seed_generator
        )

    def get_dropout_mask(self, step_input):
        if getattr(self, "_dropout_mask", None) is None and self.dropout > 0:
            self._dropout_mask = self._draw_mask(step_input, self.dropout)
        return getattr(self, "_dropout_mask", None)

    def get_recurrent_dropout_mask(self, step_input):
        if (
            getattr(self, "_recurrent_dropout_mask", None) is None
            and self.recurrent_dropout > 0
        ):
            self._recurrent_dropout_mask = self._draw_mask(
                step_input, self.recurrent_dropout
            )
        return getattr(self, "_recurrent_dropout_mask", None)

    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None


DropoutRNNCell = _KerasDropoutRNNCell or _LocalDropoutRNNCell


def nested_layers(model):
    """Every layer tracked inside `model` (at any depth), not `model` itself.

    Keras' own walk over tracked layers (`Layer._flatten_layers`) also finds
    layers held inside custom layers, such as an RNN's cell.
    """
    return list(model._flatten_layers(include_self=False))


def call_arguments(layer):
    """`(args, kwargs)` of every call of `layer` in a functional graph.

    Keras keeps each call's arguments on the layer's inbound nodes; this is
    the only record of keyword arguments such as `attention_mask`. A layer
    shared between models has one entry per call, in call order; the list
    is empty when the layer has no inbound node.
    """
    nodes = getattr(layer, "_inbound_nodes", None) or []
    return [
        (tuple(node.arguments.args), dict(node.arguments.kwargs))
        for node in nodes
    ]


def model_input(model):
    """The symbolic input structure of a built functional or Sequential model.

    `keras.Sequential` has no `input` of its own (the property it inherits
    raises even when the model was built from `keras.Input`), but its
    public `inputs` list is set once it is built. Raises `AttributeError`
    or `ValueError` when the model's inputs are unknown.
    """
    try:
        return model.input
    except (AttributeError, ValueError):
        inputs = (
            getattr(model, "inputs", None)
            if isinstance(model, keras.Sequential)
            else None
        )
        if not inputs:
            raise
        return inputs[0] if len(inputs) == 1 else list(inputs)


def call_has_training_arg(layer):
    """Whether `layer.call` takes a `training` argument."""
    return bool(getattr(layer, "_call_has_training_arg", False))

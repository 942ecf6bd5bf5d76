"""Argument checks (and input conversions) shared by the layers and ops.

Every error names the argument and the value received, in the Keras style
(`Received: units=0`).
"""

import math
import numbers

import keras
import numpy as np
from keras import ops


def positive_int(name, value, owner=None):
    """Returns `value` as an int, or raises if it is not an integer >= 1."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < 1
    ):
        raise ValueError(
            f"{_prefix(owner)}`{name}` must be a positive integer. "
            f"Received: {name}={value!r}"
        )
    return int(value)


def optional_positive_int(name, value, owner=None):
    """Like `positive_int`, but `None` passes through."""
    if value is None:
        return None
    return positive_int(name, value, owner)


def non_negative_int(name, value, owner=None):
    """Returns `value` as an int, or raises if it is not an integer >= 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < 0
    ):
        raise ValueError(
            f"{_prefix(owner)}`{name}` must be a non-negative integer. "
            f"Received: {name}={value!r}"
        )
    return int(value)


def renamed(kwargs, keras_name, name, owner, detail):
    """Raises if `kwargs` holds `keras_name`, the Keras name of what the
    layer calls `name`; `detail` says how it is given here."""
    if keras_name in kwargs:
        raise ValueError(
            f"{_prefix(owner)}`{keras_name}` is named `{name}` here "
            f"({detail}). Received: {keras_name}={kwargs[keras_name]!r}"
        )


def boolean(name, value, owner=None):
    """Returns `value` as a bool, or raises if it is not one.

    A string such as `"no"` would otherwise count as true.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(
            f"{_prefix(owner)}`{name}` must be True or False. "
            f"Received: {name}={value!r}"
        )
    return bool(value)


def not_one_string(name, value, items):
    """Raises if `value` is one str or bytes where a list of `items` is
    expected: a string would be read as a list of its characters."""
    if isinstance(value, (str, bytes)):
        raise ValueError(
            f"`{name}` must be a list of {items}, not one string. "
            f"Received: {name}={value!r}"
        )


def optional_seed(name, value, owner=None):
    """Returns `value` if it is an integer seed or None, else raises."""
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, numbers.Integral)
    ):
        raise ValueError(
            f"{_prefix(owner)}`{name}` must be an integer or None. "
            f"Received: {name}={value!r}"
        )
    return None if value is None else int(value)


def rate(name, value, owner=None):
    """Returns `value` as a float in [0, 1), or raises."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not 0.0 <= float(value) < 1.0
    ):
        raise ValueError(
            f"{_prefix(owner)}`{name}` must be a float in [0, 1). "
            f"Received: {name}={value!r}"
        )
    return float(value)


def finite_float(name, value, owner=None):
    """Returns `value` as a float, or raises if it is not a finite number."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(float(value))
    ):
        raise ValueError(
            f"{_prefix(owner)}`{name}` must be a finite float. "
            f"Received: {name}={value!r}"
        )
    return float(value)


def positive_float(name, value, owner=None):
    """Returns `value` as a finite float > 0, or raises."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not 0.0 < float(value) < math.inf
    ):
        raise ValueError(
            f"{_prefix(owner)}`{name}` must be a positive number. "
            f"Received: {name}={value!r}"
        )
    return float(value)


def one_of(name, value, choices, owner=None):
    """Returns `value` if it is one of `choices`, or raises."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(
            f"{_prefix(owner)}`{name}` must be one of {allowed}. "
            f"Received: {name}={value!r}"
        )
    return value


def input_rank(name, shape, expected_rank, owner=None):
    """Raises if `shape` does not have `expected_rank` dimensions."""
    if shape is None or len(shape) != expected_rank:
        raise ValueError(
            f"{_prefix(owner)}`{name}` must have rank {expected_rank}. "
            f"Received: {name}.shape={None if shape is None else tuple(shape)}"
        )


def padding_mask(inputs, mask, owner=None, hint=""):
    """Raises unless `mask` has the shape `(batch, time)` of `inputs`.

    Unknown dimensions pass. A mask of another shape would otherwise
    broadcast against the wrong axes or fail deep inside the layer.
    `hint` is appended to the message.
    """
    shape = tuple(mask.shape)
    expected = (inputs.shape[0], inputs.shape[1])
    if len(shape) != 2 or not all(
        got is None or want is None or got == want
        for got, want in zip(shape, expected)
    ):
        raise ValueError(
            f"{_prefix(owner)}`mask` must have the shape (batch, time) = "
            f"{expected} of the inputs. Received: mask.shape={shape}"
            + (f". {hint}" if hint else "")
        )


def keys_and_memory(keys, memory, owner=None):
    """Raises unless `keys` `(..., D)` and `memory` `(..., slots, D)` share
    the width D (unknown widths pass)."""
    if (
        len(keys.shape) < 1
        or len(memory.shape) < 2
        or (
            keys.shape[-1] is not None
            and memory.shape[-1] is not None
            and keys.shape[-1] != memory.shape[-1]
        )
    ):
        raise ValueError(
            f"{_prefix(owner)}`keys` (..., D) and `memory` (..., slots, D) "
            "must have the same width D. Received: "
            f"keys.shape={tuple(keys.shape)}, "
            f"memory.shape={tuple(memory.shape)}"
        )


def as_float(inputs, dtype):
    """Integer or boolean `inputs` cast to `dtype`; float ones unchanged.

    Keras casts only float inputs to a layer's compute dtype; integer
    features would otherwise fail on some backends and not on others.
    """
    if "float" in keras.backend.standardize_dtype(inputs.dtype):
        return inputs
    return ops.cast(inputs, dtype)


def concrete_value(x):
    """`x` as a NumPy array when its value is known now, else `None`.

    `None` inside a traced function (a JAX transformation, a `tf.function`
    or `torch.compile`), where values can only be checked in the graph.
    """
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        if isinstance(x, jax.core.Tracer):
            return None
    elif backend == "tensorflow":
        import tensorflow as tf

        if not tf.executing_eagerly():
            return None
    elif backend == "torch":
        import torch

        if torch.compiler.is_compiling():
            return None
    if keras.backend.is_keras_tensor(x):
        return None
    return ops.convert_to_numpy(x)


def id_range(name, ids, size, size_name, owner=None):
    """Raises if the concrete values of `ids` leave `[0, size)`.

    Symbolic and traced ids pass (their values are not known). Out-of-range
    ids would otherwise give NaN (JAX), an error deep in a gather, or a
    silently wrong row.
    """
    value = concrete_value(ids)
    if value is None or value.size == 0:
        return
    low, high = int(value.min()), int(value.max())
    if low < 0 or high >= size:
        raise ValueError(
            f"{_prefix(owner)}the ids of `{name}` must be in "
            f"[0, {size_name}={size}). "
            f"Received: {name} with ids from {low} to {high}"
        )


def _prefix(owner):
    return f"{owner}: " if owner else ""

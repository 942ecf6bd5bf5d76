"""Masked softmax with dtype-aware fill values.

A masked position gets exactly zero weight, and a row whose positions are all
masked gets all-zero weights instead of NaN. The softmax itself runs in
float32 (or float64 for float64 inputs) whatever the compute dtype, and the
result is cast back to the input dtype.
"""

import keras
import numpy as np
from keras import ops

__all__ = ["large_negative", "masked_softmax"]


def large_negative(dtype):
    """A large negative number that is finite in `dtype`.

    Args:
        dtype: a float dtype name.

    Returns:
        -3e4 for float16 (its largest finite value is 65504), -1e9 otherwise.

    Example:

    ```python
    from keras_memattn.ops import large_negative

    large_negative("float16")  # -30000.0, finite in float16
    large_negative("float32")  # -1e9
    ```
    """
    if keras.backend.standardize_dtype(dtype) == "float16":
        return -3.0e4
    return -1.0e9


def _softmax(x, axis):
    """`ops.softmax`, without its warning when `axis` has size 1.

    Keras warns that a softmax over one value is constant and suggests a
    sigmoid. Here one position is a legitimate case (a one-step sequence,
    a memory of one slot), whose weight is 1: `x * 0 + 1` keeps the
    softmax's zero gradient and its NaN for a non-finite logit.
    """
    if x.shape[axis] == 1:
        return x * 0.0 + 1.0
    return ops.softmax(x, axis=axis)


def masked_softmax(logits, mask=None, axis=-1):
    """Softmax over `axis` that ignores masked positions.

    Args:
        logits: float tensor (integer logits raise a `ValueError`).
        mask: optional boolean tensor broadcastable to `logits`; True marks
            positions that may receive weight.
        axis: the axis to normalise over.

    Returns:
        A tensor of the shape and dtype of `logits`; weights are
        non-negative, zero where `mask` is False, and sum to one over `axis`
        in every row with at least one unmasked position (zero otherwise).

    Example:

    >>> import numpy as np
    >>> from keras import ops
    >>> w = masked_softmax(
    ...     ops.convert_to_tensor([[1.0, 2.0, 3.0]]),
    ...     ops.convert_to_tensor([[True, True, False]]),
    ... )
    >>> np.round(ops.convert_to_numpy(w).astype(float), 3).tolist()
    [[0.269, 0.731, 0.0]]
    """
    logits = ops.convert_to_tensor(logits)
    in_dtype = keras.backend.standardize_dtype(logits.dtype)
    if "float" not in in_dtype:
        raise ValueError(
            "masked_softmax: `logits` must be a float tensor. "
            f"Received: logits.dtype={in_dtype}"
        )
    work_dtype = "float64" if in_dtype == "float64" else "float32"
    x = ops.cast(logits, work_dtype)
    if 0 in tuple(logits.shape):
        # Nothing to normalise (a zero-length sequence, or an empty batch):
        # an empty result, where the reductions below fail on some backends
        # (Keras' maximum refuses an empty tensor on TensorFlow and PyTorch).
        empty = x if mask is None else ops.where(mask, x, 0.0)
        return ops.cast(empty, in_dtype)
    if mask is None:
        return ops.cast(_softmax(x, axis), in_dtype)
    mask = ops.cast(mask, "bool")
    # Shift each row so that its largest unmasked logit is 0 (softmax does
    # not change); the masked fill is then far below every unmasked logit,
    # however negative those are.
    lowest = float(np.finfo(work_dtype).min)
    row_max = ops.max(ops.where(mask, x, lowest), axis=axis, keepdims=True)
    row_max = ops.where(
        ops.any(mask, axis=axis, keepdims=True),
        row_max,
        ops.zeros_like(row_max),
    )
    x = ops.where(
        mask, x - ops.stop_gradient(row_max), large_negative(work_dtype)
    )
    weights = _softmax(x, axis)
    # Exact zeros at masked positions, including every position of a row
    # with nothing unmasked, where the softmax above is uniform.
    weights = ops.where(mask, weights, 0.0)
    return ops.cast(weights, in_dtype)

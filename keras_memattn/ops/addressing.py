"""Memory addressing: similarity, content weights and NTM location addressing.

A memory is a tensor of shape `(..., N, D)` (N slots of width D) and a key is
a tensor of shape `(..., D)`; every weighting is a tensor of shape `(..., N)`
that is non-negative and sums to one over the slots. All the arithmetic runs
in float32 (float64 when an input is float64), whatever the dtype of the
inputs, and the functions return that working dtype: callers cast the result
to their compute dtype where they need to.

The location steps follow the Neural Turing Machine (Graves et al., 2014):

$$
\\begin{aligned}
w^c_t[i] &= \\operatorname{softmax}_i\\big(\\beta_t\\, K(k_t, M_t[i])\\big) \\\\
w^g_t &= g_t\\, w^c_t + (1 - g_t)\\, w_{t-1} \\\\
\\tilde w_t[i] &= \\textstyle\\sum_{j} w^g_t[j]\\, s_t[(i - j) \\bmod N] \\\\
w_t[i] &= \\tilde w_t[i]^{\\gamma_t} \\big/ \\textstyle\\sum_j
    \\tilde w_t[j]^{\\gamma_t}
\\end{aligned}
$$

The circular convolution is a weighted sum of `ops.roll`s (no FFT, so it
runs on every backend and converts to TF-Lite builtins), and the power is
computed as `softmax(gamma * log(w + epsilon))`, which equals the normalised
power of `w + epsilon` and neither underflows nor overflows.
"""

import keras
import numpy as np
from keras import ops

from keras_memattn import _validation
from keras_memattn.ops.masking import masked_softmax

__all__ = [
    "SIMILARITIES",
    "circular_shift",
    "content_weights",
    "interpolate",
    "ntm_weights",
    "sharpen",
    "similarity",
]

SIMILARITIES = ("cosine", "dot", "hamming")


def _work_dtype(*tensors):
    for t in tensors:
        if keras.backend.standardize_dtype(t.dtype) == "float64":
            return "float64"
    return "float32"


def _to_work(work_dtype, *tensors):
    return [ops.cast(t, work_dtype) for t in tensors]


def _scaled_logits(scale, values, work_dtype):
    """`scale * values`, kept finite for an infinite or huge `scale`.

    Without it, an infinite scale times a zero value is NaN, and a product
    that overflows to -inf (or +inf) in every slot makes the softmax of the
    row NaN. Clipping the scale and the product to the finite range changes
    no finite product and keeps the row a distribution.
    """
    finite = float(np.finfo(work_dtype).max)
    logits = ops.clip(scale, -finite, finite) * values
    return ops.clip(logits, -finite, finite)


def similarity(keys, memory, kind="cosine", epsilon=1e-6, **hamming_kwargs):
    """Similarity of a key with every slot of a memory.

    * `"cosine"`: $k \\cdot m / (\\sqrt{\\lVert k\\rVert^2 + \\epsilon^2}
      \\sqrt{\\lVert m\\rVert^2 + \\epsilon^2})$, in $[-1, 1]$; zero (and
      with finite gradients) for an all-zero key or slot.
    * `"dot"`: $k \\cdot m$, unbounded.
    * `"hamming"`: the bounded, bit-weighted Hamming similarity of Q-MANN on
      fixed-point words, `keras_memattn.ops.quantization.hamming_similarity`.

    Args:
        keys: tensor of shape `(..., D)`.
        memory: tensor of shape `(..., N, D)`; its leading axes broadcast
            with those of `keys`.
        kind: one of `"cosine"`, `"dot"`, `"hamming"`. Defaults to
            `"cosine"`.
        epsilon: small positive number added (squared) under the norms of
            the cosine similarity. Defaults to `1e-6`.
        **hamming_kwargs: passed on to `hamming_similarity` (`word_length`,
            `integer_bits`, `scale`) when `kind="hamming"`.

    Returns:
        Tensor of shape `(..., N)` in float32 (float64 for float64 inputs).

    Example:

    >>> import numpy as np
    >>> from keras_memattn.ops import similarity
    >>> memory = np.array([[[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0]]])
    >>> keys = np.array([[2.0, 0.0]])
    >>> np.round(np.asarray(similarity(keys, memory)), 3).tolist()
    [[1.0, 0.0, -1.0]]
    """
    _validation.one_of("kind", kind, SIMILARITIES)
    epsilon = _validation.positive_float("epsilon", epsilon, "similarity")
    keys = ops.convert_to_tensor(keys)
    memory = ops.convert_to_tensor(memory)
    _validation.keys_and_memory(keys, memory, "similarity")
    work = _work_dtype(keys, memory)
    keys, memory = _to_work(work, keys, memory)
    if kind == "hamming":
        # Imported here so that this module does not depend on the
        # quantization module unless the Hamming similarity is used.
        from keras_memattn.ops.quantization import hamming_similarity

        return ops.cast(
            hamming_similarity(keys, memory, **hamming_kwargs), work
        )
    if hamming_kwargs:
        raise ValueError(
            "Hamming similarity arguments were given with "
            f"kind={kind!r}. Received: {sorted(hamming_kwargs)}"
        )
    dot = ops.sum(ops.expand_dims(keys, -2) * memory, axis=-1)
    if kind == "dot":
        return dot
    eps2 = epsilon**2
    key_norm = ops.sqrt(
        ops.sum(ops.square(keys), axis=-1, keepdims=True) + eps2
    )
    mem_norm = ops.sqrt(ops.sum(ops.square(memory), axis=-1) + eps2)
    return dot / (key_norm * mem_norm)


def _check_per_row(owner, name, value, weights_shape):
    """Raises unless `value` is a scalar or `(..., 1)` with the rank of the
    weights `(..., N)`: a per-example `(batch,)` value would otherwise
    broadcast over the slots."""
    shape = tuple(value.shape)
    if shape and (
        len(shape) != len(weights_shape) or shape[-1] not in (1, None)
    ):
        raise ValueError(
            f"{owner}: `{name}` must be a scalar or have shape (..., 1) with "
            "the rank of the weights (..., N), so that it broadcasts over "
            f"the slots only. Received: {name}.shape={shape}, "
            f"weights.shape={tuple(weights_shape)}"
        )


def content_weights(
    keys,
    memory,
    strength,
    kind="cosine",
    mask=None,
    epsilon=1e-6,
    **hamming_kwargs,
):
    """Content addressing: `softmax(strength * similarity(keys, memory))`.

    Args:
        keys: tensor of shape `(..., D)`.
        memory: tensor of shape `(..., N, D)`.
        strength: key strength $\\beta \\ge 0$, a scalar or of shape
            `(..., 1)` with the rank of the weights `(..., N)`, so that it
            broadcasts over the slots only. An infinite strength gives the
            hard maximum (tied slots share the weight), not NaN.
        kind: similarity, one of `"cosine"`, `"dot"`, `"hamming"`.
        mask: optional boolean tensor broadcastable to `(..., N)`; slots
            where it is False get zero weight (a row with no allowed slot
            gets all zeros).
        epsilon: see `similarity`.
        **hamming_kwargs: see `similarity`.

    Returns:
        Weights of shape `(..., N)`: non-negative, summing to one over the
        slots, in float32 (float64 for float64 inputs).

    Example:

    >>> import numpy as np
    >>> from keras_memattn.ops import content_weights
    >>> memory = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    >>> w = content_weights(np.array([[1.0, 0.0]]), memory, np.array([[50.0]]))
    >>> np.round(np.asarray(w), 3).tolist()
    [[1.0, 0.0]]
    """
    keys = ops.convert_to_tensor(keys)
    memory = ops.convert_to_tensor(memory)
    strength = ops.convert_to_tensor(strength)
    if _work_dtype(strength) == "float64":
        # A float64 strength makes the arithmetic float64, as a float64 key
        # or memory does.
        keys, memory = _to_work("float64", keys, memory)
    sim = similarity(keys, memory, kind=kind, epsilon=epsilon, **hamming_kwargs)
    strength = ops.cast(strength, sim.dtype)
    _check_per_row("content_weights", "strength", strength, sim.shape)
    logits = _scaled_logits(strength, sim, _work_dtype(sim))
    return masked_softmax(logits, mask=mask, axis=-1)


def interpolate(content, previous, gate):
    """Interpolation gate: `gate * content + (1 - gate) * previous`.

    Args:
        content: content weights, `(..., N)`.
        previous: the weights of the previous step, `(..., N)`.
        gate: $g \\in [0, 1]$, of shape `(..., 1)`.

    Returns:
        Weights of shape `(..., N)` in the working dtype.

    Example:

    ```python
    from keras import ops
    from keras_memattn.ops import interpolate

    w = interpolate(
        ops.convert_to_tensor([[1.0, 0.0]]),  # content weights
        ops.convert_to_tensor([[0.0, 1.0]]),  # previous weights
        ops.convert_to_tensor([[0.25]]),  # gate
    )  # [[0.25, 0.75]]
    ```
    """
    content = ops.convert_to_tensor(content)
    previous = ops.convert_to_tensor(previous)
    gate = ops.convert_to_tensor(gate)
    work = _work_dtype(content, previous, gate)
    content, previous, gate = _to_work(work, content, previous, gate)
    if (
        len(content.shape) < 1
        or len(gate.shape) != len(content.shape)
        or gate.shape[-1] not in (1, None)
    ):
        raise ValueError(
            "interpolate: `gate` must have shape (..., 1) with the rank of "
            "`content` (..., N), at least 1, so that it broadcasts over the "
            "slots only. "
            f"Received: gate.shape={tuple(gate.shape)}, "
            f"content.shape={tuple(content.shape)}"
        )
    return gate * content + (1.0 - gate) * previous


def circular_shift(weights, shift):
    """Circular convolution of weights with a shift distribution.

    `shift[..., j]` is the weight of a shift by `j - S` slots, for
    `S = (shift.shape[-1] - 1) // 2`: the result is
    `sum_j shift[..., j] * roll(weights, j - S)`. A one-hot `shift` at index
    `j` therefore equals `ops.roll(weights, j - S, axis=-1)`.

    Args:
        weights: tensor of shape `(..., N)`.
        shift: tensor of shape `(..., 2 S + 1)`: a distribution over the
            shifts `-S, ..., S` (an odd length is required).

    Returns:
        Tensor of shape `(..., N)` in the working dtype; it sums to one
        when `weights` and `shift` do.

    Example:

    >>> import numpy as np
    >>> from keras_memattn.ops import circular_shift
    >>> w = np.array([[1.0, 0.0, 0.0, 0.0]])
    >>> np.asarray(circular_shift(w, np.array([[0.0, 0.0, 1.0]]))).tolist()
    [[0.0, 1.0, 0.0, 0.0]]
    """
    weights = ops.convert_to_tensor(weights)
    shift = ops.convert_to_tensor(shift)
    work = _work_dtype(weights, shift)
    weights, shift = _to_work(work, weights, shift)
    if len(weights.shape) < 1 or len(shift.shape) != len(weights.shape):
        raise ValueError(
            "circular_shift: `shift` (..., 2 * S + 1) must have the rank of "
            "`weights` (..., N), at least 1, one distribution per row of "
            "weights. "
            f"Received: shift.shape={tuple(shift.shape)}, "
            f"weights.shape={tuple(weights.shape)}"
        )
    width = shift.shape[-1]
    if width is None or width % 2 != 1:
        raise ValueError(
            "The last axis of `shift` must have an odd length 2 * S + 1. "
            f"Received: shift.shape={tuple(shift.shape)}"
        )
    radius = (width - 1) // 2
    out = None
    for j in range(width):
        term = shift[..., j : j + 1] * ops.roll(weights, j - radius, axis=-1)
        out = term if out is None else out + term
    return out


def sharpen(weights, gamma, epsilon=1e-6):
    """Sharpening: `(w + epsilon) ** gamma`, normalised over the slots.

    Computed as `softmax(gamma * log(w + epsilon))`, which is the same
    number without the underflow of large powers.

    Args:
        weights: non-negative tensor of shape `(..., N)`.
        gamma: exponent $\\gamma \\ge 1$, a scalar or of shape `(..., 1)`
            with the rank of `weights`. An infinite gamma gives the hard
            maximum (tied slots share the weight), not NaN.
        epsilon: added to the weights before the logarithm. Defaults to
            `1e-6`.

    Returns:
        Weights of shape `(..., N)` summing to one, in the working dtype.

    Example:

    ```python
    from keras import ops
    from keras_memattn.ops import sharpen

    w = sharpen(
        ops.convert_to_tensor([[0.5, 0.3, 0.2]]), ops.convert_to_tensor([[3.0]])
    )  # more peaked, still sums to one
    ```
    """
    weights = ops.convert_to_tensor(weights)
    gamma = ops.convert_to_tensor(gamma)
    work = _work_dtype(weights, gamma)
    weights, gamma = _to_work(work, weights, gamma)
    _check_per_row("sharpen", "gamma", gamma, weights.shape)
    epsilon = _validation.positive_float("epsilon", epsilon, "sharpen")
    log_weights = ops.log(ops.maximum(weights, 0.0) + epsilon)
    return masked_softmax(_scaled_logits(gamma, log_weights, work), axis=-1)


def ntm_weights(
    keys,
    memory,
    strength,
    gate,
    shift,
    gamma,
    previous,
    kind="cosine",
    epsilon=1e-6,
    **hamming_kwargs,
):
    """The full NTM addressing: content, interpolation, shift, sharpening.

    Args:
        keys: `(..., D)`.
        memory: `(..., N, D)`.
        strength: key strength, `(..., 1)`.
        gate: interpolation gate in `[0, 1]`, `(..., 1)`.
        shift: distribution over the shifts `-S..S`, `(..., 2 S + 1)`.
        gamma: sharpening exponent (>= 1), `(..., 1)`.
        previous: the previous weights, `(..., N)`.
        kind: similarity, one of `"cosine"`, `"dot"`, `"hamming"`.
        epsilon: used in the cosine norms and in the sharpening.
        **hamming_kwargs: see `similarity`.

    Returns:
        Weights of shape `(..., N)` summing to one, in the working dtype.

    Example:

    ```python
    import numpy as np
    from keras import ops
    from keras_memattn.ops import ntm_weights

    batch, slots, width = 2, 6, 4
    rng = np.random.default_rng(0)
    w = ntm_weights(
        keys=ops.convert_to_tensor(rng.normal(size=(batch, width))),
        memory=ops.convert_to_tensor(rng.normal(size=(batch, slots, width))),
        strength=ops.ones((batch, 1)),
        gate=ops.ones((batch, 1)),
        shift=ops.convert_to_tensor(np.tile([0.0, 1.0, 0.0], (batch, 1))),
        gamma=ops.ones((batch, 1)),
        previous=ops.full((batch, slots), 1.0 / slots),
    )  # (2, 6), rows sum to one
    ```
    """
    content = content_weights(
        keys, memory, strength, kind=kind, epsilon=epsilon, **hamming_kwargs
    )
    gated = interpolate(content, previous, gate)
    shifted = circular_shift(gated, shift)
    return sharpen(shifted, gamma, epsilon=epsilon)

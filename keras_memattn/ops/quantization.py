"""Fixed-point and binary quantizers, and Q-MANN's bounded Hamming similarity.

The quantizers are "fake" quantizers: they return float tensors whose values
lie on the quantization grid, so a model keeps float master weights and
trains through the quantizer with a straight-through gradient (the gradient
passes unchanged inside the representable range and is zero outside it).

The number format is sign-magnitude fixed point, as in Q-MANN (Park et al.,
2018): a word of `N = word_length` bits holds one sign bit, `I =
integer_bits` integer bits and `F = N - 1 - I` fraction bits, so it
represents the values `k / 2^F` for integers `|k| <= 2^(N-1) - 1`. The grid is
symmetric and saturates at `+-(2^(N-1) - 1) / 2^F`. Words hold at most
`MAX_WORD_LENGTH = 24` bits: float32 represents every integer code up to
`2^24` exactly, so the grid of a longer word could not be computed exactly.

All arithmetic runs in float32 (float64 for float64 inputs) whatever the
input dtype, and results are cast back to the input dtype. That cast keeps
every value of the grid for words of up to 12 bits in float16 and up to 9
bits in bfloat16 (the default 8 bits fit both); a longer word's values are
rounded to the nearest float16 or bfloat16, which can lie just off the grid
or beyond its saturation value. Bits are extracted
arithmetically (`floor` and `mod`), never with bitwise ops, so every function
runs unchanged on every backend.
"""

import keras
from keras import ops

from keras_memattn import _validation

__all__ = [
    "QuantizationConfig",
    "binary",
    "fixed_point",
    "fixed_point_dot",
    "fixed_point_range",
    "hamming_similarity",
]

ROUNDING_MODES = ("nearest", "toward_zero")
ACCUMULATORS = ("float", "fixed_point")
QUANTIZATION_MODES = ("fixed_point", "binary")
# float32 represents every integer up to 2^24 exactly, so the integer codes
# of a word of at most 24 bits (and the powers of two that scale them) are
# exact in the float32 arithmetic of the quantizers.
MAX_WORD_LENGTH = 24


def _work_dtype(x):
    dtype = keras.backend.standardize_dtype(x.dtype)
    return "float64" if dtype == "float64" else "float32"


def _input_dtype(x):
    dtype = keras.backend.standardize_dtype(x.dtype)
    return dtype if "float" in dtype else keras.config.floatx()


def _check_format(word_length, integer_bits, owner):
    word_length = _validation.positive_int("word_length", word_length, owner)
    if word_length < 2:
        raise ValueError(
            f"{owner}: `word_length` must be at least 2 for fixed point "
            "(one sign bit and at least one magnitude bit); use binary "
            f"quantization for 1 bit. Received: word_length={word_length}"
        )
    if word_length > MAX_WORD_LENGTH:
        raise ValueError(
            f"{owner}: `word_length` must be at most {MAX_WORD_LENGTH} "
            "(float32 holds the integer codes of longer words inexactly). "
            f"Received: word_length={word_length}"
        )
    integer_bits = _validation.non_negative_int(
        "integer_bits", integer_bits, owner
    )
    if integer_bits > word_length - 1:
        raise ValueError(
            f"{owner}: `integer_bits` must be at most word_length - 1 = "
            f"{word_length - 1}. Received: integer_bits={integer_bits}"
        )
    return word_length, integer_bits


def fixed_point_range(word_length=8, integer_bits=3):
    """The largest magnitude of a sign-magnitude fixed-point format.

    Args:
        word_length: bits per word, sign bit included, `2 <= N <= 24`.
        integer_bits: integer bits (the fraction gets the rest).

    Returns:
        `(2^(N-1) - 1) / 2^F` as a Python float, with `F = N - 1 - I`.

    Example:

    >>> from keras_memattn.ops.quantization import fixed_point_range
    >>> fixed_point_range(8, 3)  # 127 / 16
    7.9375
    """
    word_length, integer_bits = _check_format(
        word_length, integer_bits, "fixed_point_range"
    )
    fraction_bits = word_length - 1 - integer_bits
    return (2.0 ** (word_length - 1) - 1.0) / 2.0**fraction_bits


def _magnitude_code(x, word_length, integer_bits, rounding):
    """Integer magnitude `k` (as a float) of the quantized `|x|`."""
    fraction_bits = word_length - 1 - integer_bits
    max_code = 2.0 ** (word_length - 1) - 1.0
    scaled = ops.abs(x) * (2.0**fraction_bits)
    if rounding == "nearest":
        code = ops.round(scaled)
    else:
        # `trunc` equals `floor` here (`scaled >= 0`) and keeps float64,
        # which `ops.floor` casts to float32 on PyTorch.
        code = ops.trunc(scaled)
    return ops.minimum(code, ops.cast(max_code, code.dtype))


def _sign(x):
    # Sign-magnitude words have no zero sign: x >= 0 is positive. The
    # result has the dtype of `x` (Python floats would give float32, which
    # TensorFlow does not multiply with float64).
    ones = ops.ones_like(x)
    return ops.where(x >= 0, ones, -ones)


def fixed_point(
    x,
    word_length=8,
    integer_bits=3,
    rounding="nearest",
    straight_through=True,
):
    """Quantizes `x` to sign-magnitude fixed point.

    $$
    Q(x) = \\operatorname{sign}(x)\\,
        \\min\\big(r(|x|\\,2^F),\\ 2^{N-1} - 1\\big) / 2^F,
    \\qquad F = N - 1 - I
    $$

    where $r$ rounds to the nearest integer (ties to even) or toward zero.

    Args:
        x: float tensor.
        word_length: `N`, bits per word including the sign bit,
            `2 <= N <= 24`.
        integer_bits: `I`, integer bits, `0 <= I <= N - 1`.
        rounding: `"nearest"` (round half to even) or `"toward_zero"`
            (truncation, as in the Q-MANN code).
        straight_through: if True, the gradient is the clipped
            straight-through estimate: 1 where `|x|` is within the
            representable range, 0 where the value saturated. If False, the
            gradient is that of the step function (zero almost everywhere).

    Returns:
        A tensor of the shape and dtype of `x` whose values lie on the grid
        `k / 2^F`, `|k| <= 2^(N-1) - 1`.

    Example:

    >>> import keras
    >>> from keras_memattn.ops import quantization
    >>> x = keras.ops.convert_to_tensor([0.3, -0.3, 9.0])
    >>> keras.ops.convert_to_numpy(
    ...     quantization.fixed_point(x, word_length=4, integer_bits=1)
    ... ).tolist()
    [0.25, -0.25, 1.75]
    """
    word_length, integer_bits = _check_format(
        word_length, integer_bits, "fixed_point"
    )
    _validation.one_of("rounding", rounding, ROUNDING_MODES, "fixed_point")
    straight_through = _validation.boolean(
        "straight_through", straight_through, "fixed_point"
    )
    x = ops.convert_to_tensor(x)
    out_dtype = _input_dtype(x)
    work = ops.cast(x, _work_dtype(x))
    fraction_bits = word_length - 1 - integer_bits
    code = _magnitude_code(work, word_length, integer_bits, rounding)
    quantized = _sign(work) * code / (2.0**fraction_bits)
    if straight_through:
        bound = fixed_point_range(word_length, integer_bits)
        clipped = _saturate(work, bound)
        quantized = clipped + ops.stop_gradient(quantized - clipped)
    else:
        quantized = ops.stop_gradient(quantized)
    return ops.cast(quantized, out_dtype)


def _saturate(x, bound):
    """`clip(x, -bound, bound)` with gradient 1 for `|x| <= bound`, 0 outside.

    The gradient of `ops.clip` at the bound itself depends on the backend
    (JAX splits it between `x` and the bound, giving 0.5), and sums of grid
    values land on the bound often.
    """
    return ops.where(
        ops.abs(x) <= bound, x, ops.stop_gradient(ops.clip(x, -bound, bound))
    )


def binary(x, straight_through=True):
    """Quantizes `x` to +1 / -1 (`x >= 0` gives +1).

    Args:
        x: float tensor.
        straight_through: if True, the gradient is that of `hardtanh` (1 for
            `|x| <= 1`, 0 outside), the usual binary straight-through
            estimate. If False, the gradient is zero.

    Returns:
        A tensor of the shape and dtype of `x` holding only +1 and -1.

    Example:

    >>> import keras
    >>> from keras_memattn.ops import quantization
    >>> x = keras.ops.convert_to_tensor([0.3, -0.2, 0.0])
    >>> keras.ops.convert_to_numpy(quantization.binary(x)).tolist()
    [1.0, -1.0, 1.0]
    """
    straight_through = _validation.boolean(
        "straight_through", straight_through, "binary"
    )
    x = ops.convert_to_tensor(x)
    out_dtype = _input_dtype(x)
    work = ops.cast(x, _work_dtype(x))
    quantized = _sign(work)
    if straight_through:
        clipped = _saturate(work, 1.0)
        quantized = clipped + ops.stop_gradient(quantized - clipped)
    else:
        quantized = ops.stop_gradient(quantized)
    return ops.cast(quantized, out_dtype)


def _bit_planes(x, word_length, integer_bits, rounding):
    """Signs and signed magnitude-bit planes of sign-magnitude words.

    Returns `(signs, planes)`: `signs` holds +-1 with the shape of `x`, and
    `planes`, of shape `x.shape + (word_length - 1,)`, holds
    `sign * (2 b_k - 1)` for magnitude bit `k` (least significant first) in
    `planes[..., k]`. The bits are extracted arithmetically, all at once:
    `b_k = floor(c / 2^k) - 2 floor(c / 2^(k+1))` for the magnitude code `c`.
    """
    signs = _sign(x)
    code = _magnitude_code(x, word_length, integer_bits, rounding)
    # Powers of two: the products are exact.
    inverse_powers = ops.convert_to_tensor(
        [2.0**-k for k in range(word_length)], dtype=code.dtype
    )
    shifted = ops.trunc(ops.expand_dims(code, -1) * inverse_powers)
    bits = shifted[..., :-1] - 2.0 * shifted[..., 1:]
    return signs, ops.expand_dims(signs, -1) * (2.0 * bits - 1.0)


def _hamming_bits(signs, key_planes, mem_planes, low, high):
    """`sum_d sum_{low <= k < high} 2^(k - low) [a_k = b_k] sign(a) sign(b)`.

    An integer, summed exactly in float32 while it stays below 2^23 (the
    partial sums are multiples of 1/2):
    `sign(a) sign(b) [a_k = b_k] = (p_a p_b + sign(a) sign(b)) / 2` with
    `p = sign * (2 bit - 1)` (see `_bit_planes`). The sign terms of all
    bits add up to `(2^(high - low) - 1) / 2` times `signs`, the dot
    product of the signs; the bit terms are one dot product over the
    `D * (high - low)` planes, the key's weighted.
    """
    if high <= low:
        return ops.zeros_like(signs)
    weights = ops.convert_to_tensor(
        [0.5 * 2.0**k for k in range(high - low)],
        dtype=key_planes.dtype,
    )
    bits = _pairwise_dot(
        _merge_last_two(key_planes[..., low:high] * weights),
        _merge_last_two(mem_planes[..., low:high]),
    )
    return 0.5 * (2.0 ** (high - low) - 1.0) * signs + bits


def _merge_last_two(x):
    """`(..., D, K)` -> `(..., D * K)`."""
    shape = ops.shape(x)
    return ops.reshape(x, (*shape[:-2], shape[-2] * shape[-1]))


def _work_operands(keys, memory, owner):
    """Both operands in float64 if both are float64, else in float32.

    Raises if `keys` `(..., D)` and `memory` `(..., slots, D)` differ in D.
    """
    keys = ops.convert_to_tensor(keys)
    memory = ops.convert_to_tensor(memory)
    _validation.keys_and_memory(keys, memory, owner)
    work_dtype = (
        "float64"
        if _work_dtype(keys) == "float64" and _work_dtype(memory) == "float64"
        else "float32"
    )
    return ops.cast(keys, work_dtype), ops.cast(memory, work_dtype)


def _pairwise_dot(keys, memory):
    """`(..., D)` x `(..., slots, D)` -> `(..., slots)`.

    A product and a sum rather than `ops.matmul`, which computes float64
    operands in float32 on PyTorch.
    """
    return ops.sum(ops.expand_dims(keys, -2) * memory, axis=-1)


def fixed_point_dot(
    keys,
    memory,
    word_length=8,
    integer_bits=3,
    rounding="nearest",
):
    """Dot products computed in fixed-point arithmetic, word by word.

    Every product $k_d m_d$ is rounded to the sign-magnitude format and the
    products are added one at a time into an accumulator of the same word
    format, which saturates after every addition:

    $$
    a_0 = 0, \\qquad a_d = \\operatorname{sat}\\big(a_{d-1} + Q(k_d m_d)\\big),
    \\qquad \\text{result} = a_D
    $$

    This is how a multiply-accumulate unit without a wider accumulator
    computes a dot product: small products round to zero and a running sum
    that overflows stays clipped, so the result depends on the order of the
    terms. It is the "conventional" fixed-point similarity that Q-MANN's
    bounded Hamming similarity replaces. Gradients are clipped
    straight-through estimates (zero through a saturated addition).

    Args:
        keys: float tensor `(..., D)`.
        memory: float tensor `(..., slots, D)`; leading dimensions broadcast
            against those of `keys`.
        word_length: `N`, bits per word including the sign bit,
            `2 <= N <= 24`.
        integer_bits: `I`, integer bits of the format.
        rounding: `"nearest"` or `"toward_zero"`, for the products.

    Returns:
        Float tensor `(..., slots)` on the grid of the format, in float32
        (float64 for float64 inputs).

    Example:

    >>> import keras
    >>> from keras_memattn.ops import quantization
    >>> keys = [[2.0, 2.0, -1.0]]
    >>> memory = [[[2.0, 2.0, 1.0]]]
    >>> out = quantization.fixed_point_dot(
    ...     keys, memory, word_length=4, integer_bits=2)
    >>> keras.ops.convert_to_numpy(out).tolist()  # 3.5 saturates, then -1.
    [[2.5]]
    """
    word_length, integer_bits = _check_format(
        word_length, integer_bits, "fixed_point_dot"
    )
    _validation.one_of("rounding", rounding, ROUNDING_MODES, "fixed_point_dot")
    keys, memory = _work_operands(keys, memory, "fixed_point_dot")
    products = fixed_point(
        ops.expand_dims(keys, -2) * memory,
        word_length=word_length,
        integer_bits=integer_bits,
        rounding=rounding,
    )
    bound = fixed_point_range(word_length, integer_bits)
    if products.shape[-1] is None:
        raise ValueError(
            "fixed_point_dot adds the D products one at a time, so D (the "
            "last dimension of `keys` and `memory`) must be known. "
            f"Received: keys.shape={tuple(keys.shape)}, "
            f"memory.shape={tuple(memory.shape)}"
        )
    if products.shape[-1] == 0:
        # No products: the accumulator keeps its initial zero.
        return ops.sum(products, axis=-1)
    terms = ops.unstack(products, axis=-1)
    total = terms[0]
    for term in terms[1:]:
        # Both operands are on the grid, so the sum is too: only the
        # saturation acts, with the clipped straight-through gradient.
        total = _saturate(total + term, bound)
    return total


def hamming_similarity(
    keys,
    memory,
    word_length=8,
    integer_bits=3,
    scale=0.125,
    rounding="nearest",
):
    """Q-MANN's bounded similarity: a bit-weighted Hamming score.

    Both operands are read as `N`-bit sign-magnitude words (quantized with
    `fixed_point` first). For two scalars with magnitude bits
    $a_{N-2} \\dots a_0$ and $b_{N-2} \\dots b_0$:

    $$
    h(a, b) = \\operatorname{sign}(a)\\operatorname{sign}(b)
        \\sum_{j=1}^{N-1} 2^{-j}\\,[a_{N-1-j} = b_{N-1-j}]
    $$

    so the most significant bit weighs 1/2, the next 1/4, and so on, and
    `|h| <= 1 - 2^-(N-1) < 1`. For vectors,
    $S(u, m) = \\kappa \\sum_d h(u_d, m_d)$ with $\\kappa$ = `scale`, hence
    $|S| < \\kappa D$ whatever the magnitudes. With `word_length=1` the words
    are single sign bits and $h(a, b) = \\operatorname{sign}(a)
    \\operatorname{sign}(b)$ (XNOR-popcount similarity), so `|S| <= kappa D`.

    The forward value is the exact score rounded once to the result's
    dtype (for up to 2048 words of 24 bits, more for shorter words), so
    with a power-of-two $\\kappa$ the bound holds in floating point
    too. Its gradient comes from a smooth surrogate,
    $\\tilde h(a, b) = c \\tanh(a) \\tanh(b)$ with $c = 1 - 2^{-(N-1)}$
    ($c = 1$ for one bit): like $h$ it is positive for agreeing signs,
    negative otherwise, and bounded by $c$; its gradient is that of a dot
    product of `tanh`-squashed operands, so it is largest near zero, where
    a small change flips a sign, and fades for large magnitudes.

    Args:
        keys: float tensor `(..., D)`.
        memory: float tensor `(..., slots, D)`; leading dimensions broadcast
            against those of `keys`.
        word_length: `N`, bits per word including the sign, at most 24;
            1 means binary.
        integer_bits: `I`, integer bits of the format (ignored for binary).
        scale: $\\kappa > 0$; Q-MANN uses 1/8.
        rounding: `"nearest"` or `"toward_zero"`, used to read inputs that
            are not on the grid already.

    Returns:
        Float tensor `(..., slots)` in float32 (float64 for float64 inputs).

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from keras_memattn.ops import quantization
    >>> keys = np.array([[0.5, -1.0]], "float32")
    >>> memory = np.array([[[0.5, -1.0], [-0.5, 1.0]]], "float32")
    >>> s = quantization.hamming_similarity(keys, memory, scale=1.0)
    >>> np.round(keras.ops.convert_to_numpy(s).astype(float), 4).tolist()
    [[1.9844, -1.9844]]

    Differences from other implementations:
        The released Q-MANN CUDA kernel reads bits from fixed positions of a
        32-bit word, which for 8-bit values compares only leading zeros;
        this function compares the actual `N - 1` magnitude bits as the
        paper defines. The backward pass is our surrogate, not the paper's
        hand-made per-bit gradient.
    """
    word_length = _validation.positive_int(
        "word_length", word_length, "hamming_similarity"
    )
    _validation.one_of(
        "rounding", rounding, ROUNDING_MODES, "hamming_similarity"
    )
    scale = _validation.positive_float("scale", scale, "hamming_similarity")
    keys, memory = _work_operands(keys, memory, "hamming_similarity")

    if word_length == 1:
        peak = 1.0
        exact = _pairwise_dot(_sign(keys), _sign(memory))
    else:
        word_length, integer_bits = _check_format(
            word_length, integer_bits, "hamming_similarity"
        )
        peak = 1.0 - 2.0 ** -(word_length - 1)
        key_sign, key_planes = _bit_planes(
            keys, word_length, integer_bits, rounding
        )
        mem_sign, mem_planes = _bit_planes(
            memory, word_length, integer_bits, rounding
        )
        signs = _pairwise_dot(key_sign, mem_sign)
        # The score is an integer count of 2^-(N-1), which float32 holds
        # exactly only up to 2^24: summed over D words of 24 bits it would
        # round at every partial sum, even up to kappa D itself. So the
        # integer is summed in two halves (the low and the high magnitude
        # bits), each exactly, and only their final addition rounds.
        low_bits = (word_length - 1) // 2
        exact = _hamming_bits(
            signs, key_planes, mem_planes, 0, low_bits
        ) * 2.0 ** -(word_length - 1) + _hamming_bits(
            signs, key_planes, mem_planes, low_bits, word_length - 1
        ) * 2.0 ** (low_bits - (word_length - 1))
    exact = scale * exact

    # Smooth surrogate for the gradient: kappa c sum_d tanh(a) tanh(b).
    # `proxy - stop_gradient(proxy)` is exactly zero (the surrogate is
    # finite), so the forward value is `exact` to the last bit, which
    # `proxy + stop_gradient(exact - proxy)` is not: both roundings can
    # move it, e.g. onto the bound `kappa` itself for 24-bit words.
    proxy = (scale * peak) * _pairwise_dot(ops.tanh(keys), ops.tanh(memory))
    return ops.stop_gradient(exact) + (proxy - ops.stop_gradient(proxy))


@keras.saving.register_keras_serializable(package="keras_memattn")
class QuantizationConfig:
    """How a memory layer quantizes its tensors (fake quantization).

    One format serves every tensor unless `tensor_formats` gives some of
    them their own: Q-MANN, for instance, reads the attention logits in a
    format with fewer integer bits than the memory. The tensor names a
    layer uses are listed in `TENSORS`: `"weights"` (embeddings and other
    kernels), `"memory"` (the memory vectors), `"state"` (controller state
    and keys), `"read"` (read vectors) and `"logits"` (attention logits).

    Args:
        mode: `"fixed_point"` (sign-magnitude fixed point) or `"binary"`
            (+1 / -1).
        word_length: bits per fixed-point word including the sign bit
            (from 2 to 24). Ignored in binary mode. Defaults to 8.
        integer_bits: integer bits of the fixed-point format; the fraction
            gets `word_length - 1 - integer_bits`. Defaults to 3.
        rounding: `"nearest"` (default) or `"toward_zero"` (as in the
            Q-MANN code).
        accumulator: how dot-product similarities are summed in
            fixed-point mode: `"float"` (default; float products and sums,
            only the result is quantized, as with a wide accumulator) or
            `"fixed_point"` (products and every partial sum rounded and
            saturated to the `"logits"` format, see `fixed_point_dot`).
            Only `MemoryNetwork` with `similarity="dot"` takes
            `"fixed_point"`; other layers and similarities raise a
            `ValueError`.
        tensor_formats: optional dict from a tensor name in `TENSORS` to a
            dict of the arguments above (`mode`, `word_length`,
            `integer_bits`, `rounding`) that differ for that tensor, e.g.
            `{"logits": {"integer_bits": 2}}`. Missing arguments are taken
            from this config.

    Example:

    >>> from keras_memattn.ops.quantization import QuantizationConfig
    >>> config = QuantizationConfig.get("fixed_point")
    >>> config.word_length, config.integer_bits
    (8, 3)
    >>> config = QuantizationConfig(
    ...     integer_bits=3, tensor_formats={"logits": {"integer_bits": 2}})
    >>> config.for_tensor("logits").integer_bits
    2
    >>> config.for_tensor("memory").integer_bits
    3
    """

    TENSORS = ("weights", "memory", "state", "read", "logits")
    _FORMAT_ARGS = ("mode", "word_length", "integer_bits", "rounding")

    def __init__(
        self,
        mode="fixed_point",
        word_length=8,
        integer_bits=3,
        rounding="nearest",
        accumulator="float",
        tensor_formats=None,
    ):
        owner = "QuantizationConfig"
        self.accumulator = _validation.one_of(
            "accumulator", accumulator, ACCUMULATORS, owner
        )
        self.mode = _validation.one_of("mode", mode, QUANTIZATION_MODES, owner)
        self.rounding = _validation.one_of(
            "rounding", rounding, ROUNDING_MODES, owner
        )
        if mode == "fixed_point":
            word_length, integer_bits = _check_format(
                word_length, integer_bits, owner
            )
        else:
            word_length = _validation.positive_int(
                "word_length", word_length, owner
            )
            integer_bits = _validation.non_negative_int(
                "integer_bits", integer_bits, owner
            )
        self.word_length = word_length
        self.integer_bits = integer_bits
        self.tensor_formats = self._check_tensor_formats(tensor_formats)
        logits_mode = self.tensor_formats.get("logits", {}).get("mode", mode)
        if accumulator == "fixed_point" and logits_mode != "fixed_point":
            raise ValueError(
                f"{owner}: `accumulator='fixed_point'` sums in the "
                "fixed-point format of the logits, which are "
                f"{logits_mode!r} here. Received: accumulator={accumulator!r}"
                f", mode={mode!r}, tensor_formats={tensor_formats!r}"
            )
        # Only the logits are accumulated; every other tensor's config
        # keeps the default accumulator.
        self._per_tensor = {
            name: QuantizationConfig(
                **{**self._format(), **overrides},
                accumulator=accumulator if name == "logits" else "float",
            )
            for name, overrides in self.tensor_formats.items()
        }
        if accumulator != "float":
            # The tensors without a format of their own share this format
            # with the default accumulator.
            plain = QuantizationConfig(**self._format())
            for name in self.TENSORS:
                if name != "logits":
                    self._per_tensor.setdefault(name, plain)

    def _format(self):
        return {
            "mode": self.mode,
            "word_length": self.word_length,
            "integer_bits": self.integer_bits,
            "rounding": self.rounding,
        }

    @classmethod
    def _check_tensor_formats(cls, tensor_formats):
        if tensor_formats is None:
            return {}
        if not isinstance(tensor_formats, dict):
            raise ValueError(
                "QuantizationConfig: `tensor_formats` must be None or a "
                "dict from tensor name to format arguments. "
                f"Received: tensor_formats={tensor_formats!r}"
            )
        checked = {}
        for name, overrides in tensor_formats.items():
            if name not in cls.TENSORS:
                raise ValueError(
                    "QuantizationConfig: the keys of `tensor_formats` must "
                    f"be among {cls.TENSORS}. Received: tensor_formats key "
                    f"{name!r}"
                )
            if not isinstance(overrides, dict) or not set(overrides) <= set(
                cls._FORMAT_ARGS
            ):
                raise ValueError(
                    "QuantizationConfig: each value of `tensor_formats` must "
                    f"be a dict with keys among {cls._FORMAT_ARGS}. "
                    f"Received: tensor_formats[{name!r}]={overrides!r}"
                )
            checked[name] = dict(overrides)
        return checked

    def for_tensor(self, tensor):
        """The config that quantizes `tensor` (one of `TENSORS`)."""
        if tensor not in self.TENSORS:
            raise ValueError(
                f"`tensor` must be one of {self.TENSORS}. "
                f"Received: tensor={tensor!r}"
            )
        return self._per_tensor.get(tensor, self)

    @property
    def bits(self):
        """Bits per quantized value (1 in binary mode)."""
        return 1 if self.mode == "binary" else self.word_length

    @property
    def range(self):
        """Largest representable magnitude (1.0 in binary mode)."""
        if self.mode == "binary":
            return 1.0
        return fixed_point_range(self.word_length, self.integer_bits)

    def quantize(self, x, straight_through=True, tensor=None):
        """Fake-quantizes `x` (see `fixed_point` and `binary`).

        Args:
            x: the tensor.
            straight_through: use the clipped straight-through gradient.
            tensor: optional tensor name (one of `TENSORS`) whose format
                from `tensor_formats` applies.
        """
        if tensor is not None:
            config = self.for_tensor(tensor)
            if config is not self:
                return config.quantize(x, straight_through=straight_through)
        if self.mode == "binary":
            return binary(x, straight_through=straight_through)
        return fixed_point(
            x,
            word_length=self.word_length,
            integer_bits=self.integer_bits,
            rounding=self.rounding,
            straight_through=straight_through,
        )

    def hamming_kwargs(self, tensor=None):
        """Arguments of `hamming_similarity` that match this format.

        Args:
            tensor: optional tensor name whose format the similarity reads
                its operands in (layers pass `"memory"`).
        """
        config = self if tensor is None else self.for_tensor(tensor)
        return {
            "word_length": config.bits,
            "integer_bits": config.integer_bits,
            "rounding": config.rounding,
        }

    def get_config(self):
        config = self._format()
        if self.accumulator != "float":
            config["accumulator"] = self.accumulator
        if self.tensor_formats:
            config["tensor_formats"] = {
                name: dict(overrides)
                for name, overrides in self.tensor_formats.items()
            }
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return (
            isinstance(other, QuantizationConfig)
            and self.get_config() == other.get_config()
        )

    def __hash__(self):
        formats = tuple(
            (name, tuple(sorted(overrides.items())))
            for name, overrides in sorted(self.tensor_formats.items())
        )
        return hash(
            (tuple(sorted(self._format().items())), self.accumulator, formats)
        )

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"QuantizationConfig({args})"

    @classmethod
    def get(cls, identifier):
        """Resolves a `quantization=` argument.

        Args:
            identifier: None (no quantization), a `QuantizationConfig`, its
                config dict (or a `serialize_keras_object` dict), or one of
                the strings `"fixed_point"` (8-bit, 3 integer bits) and
                `"binary"`.

        Returns:
            A `QuantizationConfig`, or None.

        Raises:
            ValueError: naming `quantization` if the identifier is unknown.
        """
        if identifier is None or isinstance(identifier, cls):
            return identifier
        if isinstance(identifier, str) and identifier in QUANTIZATION_MODES:
            return cls(mode=identifier)
        if isinstance(identifier, dict):
            if "class_name" in identifier:
                config = keras.saving.deserialize_keras_object(identifier)
                if not isinstance(config, cls):
                    raise ValueError(
                        "`quantization` as a serialized object must be a "
                        "QuantizationConfig. Received: quantization="
                        f"{identifier!r}"
                    )
                return config
            known = (*cls._FORMAT_ARGS, "accumulator", "tensor_formats")
            unknown = sorted(set(identifier) - set(known))
            if unknown:
                raise ValueError(
                    "`quantization` as a dict takes the arguments of "
                    f"QuantizationConfig ({', '.join(known)}); unknown keys "
                    f"{unknown}. Received: quantization={identifier!r}"
                )
            return cls.from_config(identifier)
        raise ValueError(
            "`quantization` must be None, a QuantizationConfig, its config "
            "dict, 'fixed_point' or 'binary'. "
            f"Received: quantization={identifier!r}"
        )

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from keras_memattn.ops import quantization
from keras_memattn.ops.quantization import QuantizationConfig

FAST = settings(max_examples=20, deadline=None)
# Subnormals are excluded: TensorFlow on CPU flushes them to zero, losing
# their sign, which is a property of the backend, not of these functions.
FLOAT32 = {"width": 32, "allow_subnormal": False}
# Fixed shapes: a new shape would recompile every op on JAX.
FLOATS = hnp.arrays(
    "float32",
    (8,),
    elements=st.floats(-40.0, 40.0, **FLOAT32),
)
FORMATS = st.sampled_from([(2, 0), (4, 1), (8, 3), (8, 0), (8, 7), (6, 2)])


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), dtype="float64")


def _grad(fn, x):
    """Gradient of `sum(fn(x))` with respect to `x`, on the active backend."""
    backend = keras.backend.backend()
    x = np.asarray(x, "float32")
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(lambda v: fn(v).sum())(x))
    if backend == "tensorflow":
        import tensorflow as tf

        v = tf.Variable(x)
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(fn(v))
        g = tape.gradient(y, v)
        # None: every path was cut by stop_gradient.
        return np.zeros_like(x) if g is None else g.numpy()
    import torch

    v = torch.tensor(x, requires_grad=True)
    y = fn(v).sum()
    if not y.requires_grad:  # Every path was cut by stop_gradient.
        return np.zeros_like(x)
    y.backward()
    return v.grad.numpy()


# --------------------------------------------------------------------------
# NumPy references.


def _np_fixed(x, n, i, rounding="nearest"):
    f = n - 1 - i
    mag = np.abs(x) * 2.0**f
    code = np.round(mag) if rounding == "nearest" else np.floor(mag)
    code = np.minimum(code, 2.0 ** (n - 1) - 1)
    return np.where(x >= 0, 1.0, -1.0) * code / 2.0**f


def _np_hamming(keys, memory, n, i, scale):
    """Bit by bit, with Python integers and string bits."""
    f = n - 1 - i
    out = np.zeros(memory.shape[:-1])
    for idx in np.ndindex(*memory.shape[:-1]):
        total = 0.0
        for d in range(memory.shape[-1]):
            a, b = keys[idx[:-1] + (d,)], memory[idx + (d,)]
            sa, sb = (1 if a >= 0 else -1), (1 if b >= 0 else -1)
            if n == 1:
                total += sa * sb
                continue
            ca = int(round(abs(_np_fixed(a, n, i)) * 2**f))
            cb = int(round(abs(_np_fixed(b, n, i)) * 2**f))
            bits_a = format(ca, f"0{n - 1}b")  # MSB first.
            bits_b = format(cb, f"0{n - 1}b")
            agree = sum(
                2.0 ** -(j + 1) for j in range(n - 1) if bits_a[j] == bits_b[j]
            )
            total += sa * sb * agree
        out[idx] = scale * total
    return out


# --------------------------------------------------------------------------
# Fixed point.


@FAST
@given(
    x=FLOATS, fmt=FORMATS, rounding=st.sampled_from(["nearest", "toward_zero"])
)
def test_fixed_point_lies_on_grid_and_saturates(x, fmt, rounding):
    n, i = fmt
    f = n - 1 - i
    bound = (2 ** (n - 1) - 1) / 2**f
    q = _np(quantization.fixed_point(x, n, i, rounding=rounding))
    codes = q * 2**f
    np.testing.assert_array_equal(codes, np.round(codes))
    assert np.all(np.abs(q) <= bound)
    inside = np.abs(x) <= bound
    step = 2.0**-f
    if rounding == "nearest":
        assert np.all(np.abs(q - x)[inside] <= step / 2 + 1e-6)
    else:
        assert np.all(np.abs(q)[inside] <= np.abs(x)[inside] + 1e-6)
        assert np.all(np.abs(q - x)[inside] < step + 1e-6)
    outside = ~inside
    np.testing.assert_array_equal(q[outside], np.sign(x[outside]) * bound)
    np.testing.assert_allclose(q, _np_fixed(x, n, i, rounding), atol=0)


def test_fixed_point_is_sign_symmetric(rng):
    x = rng.uniform(-10, 10, 50).astype("float32")
    q = _np(quantization.fixed_point(x))
    np.testing.assert_array_equal(_np(quantization.fixed_point(-x)), -q)


def test_rounding_modes_differ_as_documented():
    x = np.array([0.3, -0.3], "float32")  # 0.3 * 2^4 = 4.8 (F = 4).
    nearest = _np(quantization.fixed_point(x, 8, 3, rounding="nearest"))
    toward = _np(quantization.fixed_point(x, 8, 3, rounding="toward_zero"))
    np.testing.assert_array_equal(nearest, [5 / 16, -5 / 16])
    np.testing.assert_array_equal(toward, [4 / 16, -4 / 16])


def test_fixed_point_keeps_input_dtype():
    for dtype in ("float16", "bfloat16", "float32"):
        x = keras.ops.cast(keras.ops.ones((3,)) * 0.3, dtype)
        y = quantization.fixed_point(x)
        assert keras.backend.standardize_dtype(y.dtype) == dtype


def test_fixed_point_straight_through_gradient_is_clipped():
    bound = quantization.fixed_point_range(8, 3)
    x = np.array(
        [0.1, -3.3, bound - 0.01, bound, -bound, bound + 1.0, -bound - 2.0]
    )
    g = _grad(lambda v: quantization.fixed_point(v), x)
    # 1 at the bounds too, on every backend (JAX's clip gives 0.5 there).
    np.testing.assert_array_equal(g, [1, 1, 1, 1, 1, 0, 0])
    g = _grad(lambda v: quantization.fixed_point(v, straight_through=False), x)
    np.testing.assert_array_equal(g, 0)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"word_length": 1}, "word_length"),
        ({"word_length": 0}, "word_length"),
        ({"integer_bits": 8}, "integer_bits"),
        ({"integer_bits": -1}, "integer_bits"),
        ({"rounding": "up"}, "rounding"),
        # A string counted as true.
        ({"straight_through": "no"}, "straight_through"),
    ],
)
def test_fixed_point_rejects_bad_format(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`.*Received: {name}="):
        quantization.fixed_point(np.ones(2, "float32"), **kwargs)


def test_binary_rejects_a_straight_through_that_is_not_a_bool():
    with pytest.raises(
        ValueError, match="`straight_through` must be True or False"
    ):
        quantization.binary(np.ones(2, "float32"), straight_through="no")


# --------------------------------------------------------------------------
# Binary.


@FAST
@given(x=FLOATS)
def test_binary_is_sign(x):
    q = _np(quantization.binary(x))
    np.testing.assert_array_equal(q, np.where(x >= 0, 1.0, -1.0))


def test_binary_gradient_is_hardtanh():
    x = np.array([0.5, -0.9, 1.0, -1.0, 1.5, -2.0])
    np.testing.assert_array_equal(
        _grad(quantization.binary, x), [1, 1, 1, 1, 0, 0]
    )


# --------------------------------------------------------------------------
# Hamming similarity.


@FAST
@given(
    a=hnp.arrays("float32", (6,), elements=st.floats(0.0625, 30, width=32)),
    signs=st.integers(0, 2**6 - 1),
    fmt=FORMATS,
)
def test_hamming_self_and_negation(a, signs, fmt):
    n, i = fmt
    # Random signs; magnitudes at least one grid step, so `a` and `-a` have
    # different sign bits once quantized.
    a = a * np.array([1 if signs >> k & 1 else -1 for k in range(a.size)])
    a = np.where(np.abs(a) < 2.0 ** -(n - 1 - i), 2.0 ** -(n - 1 - i), a)
    a = a.astype("float32")
    peak = 1 - 2.0 ** -(n - 1)
    d = a.shape[0]
    memory = np.stack([a, -a])[None]
    got = _np(
        quantization.hamming_similarity(
            a[None], memory, word_length=n, integer_bits=i, scale=1.0
        )
    )
    np.testing.assert_allclose(got, [[peak * d, -peak * d]], rtol=1e-6)


@pytest.mark.parametrize("n", [8, 16, 24])
@pytest.mark.parametrize("scale", [1.0, 0.125, 0.3])
def test_hamming_forward_value_is_exact(n, scale):
    # The gradient surrogate must not change a bit of the forward value:
    # for 24-bit words, h(a, a) = 1 - 2^-23 rounded onto the bound itself.
    rng = np.random.default_rng(0)
    a = rng.uniform(-3, 3, (500, 1)).astype("float32")
    peak = np.float32(scale) * np.float32(1 - 2.0 ** -(n - 1))
    for memory, want in ((a, peak), (-a, -peak)):
        got = keras.ops.convert_to_numpy(
            quantization.hamming_similarity(
                a, memory[:, None], word_length=n, integer_bits=2, scale=scale
            )
        )
        np.testing.assert_array_equal(got[:, 0], np.full(500, want))
        assert np.all(np.abs(got) < scale)


@pytest.mark.parametrize("d", [3, 33, 100])
@pytest.mark.parametrize("scale", [1.0, 0.125])
def test_hamming_of_long_words_is_correctly_rounded_and_bounded(d, scale):
    # 24-bit words summed over D elements need more bits than float32 has;
    # the result must still be the float32 nearest to the exact score, and
    # h(a, a) summed over D slots must stay below kappa D.
    rng = np.random.default_rng(d)
    keys = rng.uniform(-4, 4, (2, d)).astype("float32")
    memory = rng.uniform(-4, 4, (2, 4, d)).astype("float32")
    memory[:, 0], memory[:, 1] = keys, -keys
    got = keras.ops.convert_to_numpy(
        quantization.hamming_similarity(
            keys, memory, word_length=24, integer_bits=2, scale=scale
        )
    )
    want = _np_hamming(keys.astype("float64"), memory, 24, 2, scale)
    np.testing.assert_array_equal(got, want.astype("float32"))
    assert np.all(np.abs(got) < scale * d)


@FAST
@given(
    keys=hnp.arrays(
        "float32", (2, 5), elements=st.floats(-1e4, 1e4, **FLOAT32)
    ),
    memory=hnp.arrays(
        "float32", (2, 3, 5), elements=st.floats(-1e4, 1e4, **FLOAT32)
    ),
    n=st.sampled_from([1, 2, 4, 8]),
)
def test_hamming_is_bounded_and_matches_bitwise_reference(keys, memory, n):
    scale = 0.125
    i = min(3, n - 1) if n > 1 else 0
    got = _np(
        quantization.hamming_similarity(
            keys, memory, word_length=n, integer_bits=i, scale=scale
        )
    )
    d = keys.shape[-1]
    if n == 1:
        assert np.all(np.abs(got) <= scale * d)
    else:
        assert np.all(np.abs(got) < scale * d)
    want = _np_hamming(keys.astype("float64"), memory, n, i, scale)
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_hamming_is_symmetric(rng):
    a = rng.standard_normal((4, 6)).astype("float32")
    b = rng.standard_normal((4, 6)).astype("float32")
    ab = _np(quantization.hamming_similarity(a, b[None]))
    ba = _np(quantization.hamming_similarity(b, a[None]))
    np.testing.assert_allclose(ab, ba.T, atol=1e-6)


def test_binary_hamming_counts_sign_agreement(rng):
    a = rng.standard_normal((3, 7)).astype("float32")
    m = rng.standard_normal((3, 4, 7)).astype("float32")
    got = _np(quantization.hamming_similarity(a, m, word_length=1, scale=1))
    agree = (np.sign(a)[:, None, :] == np.sign(m)).sum(-1)
    np.testing.assert_allclose(got, 2 * agree - 7, atol=1e-6)


def test_hamming_stays_bounded_when_inputs_grow_but_dot_does_not(rng):
    keys = rng.standard_normal((2, 8)).astype("float32")
    memory = rng.standard_normal((2, 5, 8)).astype("float32")
    for factor in (1.0, 100.0):
        s = _np(quantization.hamming_similarity(keys * factor, memory))
        assert np.all(np.abs(s) < 0.125 * 8)
    dot = np.einsum("bd,bnd->bn", keys * 100.0, memory)
    assert np.abs(dot).max() > 0.125 * 8


def test_hamming_picks_the_slot_equal_to_the_key(rng):
    memory = rng.uniform(-4, 4, (1, 6, 16)).astype("float32")
    for slot in range(6):
        s = _np(quantization.hamming_similarity(memory[:, slot], memory))
        assert s[0].argmax() == slot


def test_hamming_surrogate_gradient_reaches_both_operands(rng):
    keys = rng.standard_normal((2, 4)).astype("float32")
    memory = rng.standard_normal((2, 3, 4)).astype("float32")
    weights = rng.standard_normal((2, 3)).astype("float32")
    w = keras.ops.convert_to_tensor(weights)
    gk = _grad(lambda k: quantization.hamming_similarity(k, memory) * w, keys)
    gm = _grad(lambda m: quantization.hamming_similarity(keys, m) * w, memory)
    # The surrogate is kappa c tanh(a) tanh(b): its gradient in closed form.
    c = 0.125 * (1 - 2.0**-7)
    want_k = (
        c
        * (1 - np.tanh(keys) ** 2)
        * np.einsum("bn,bnd->bd", weights, np.tanh(memory))
    )
    want_m = (
        c
        * (1 - np.tanh(memory) ** 2)
        * (weights[..., None] * np.tanh(keys)[:, None, :])
    )
    np.testing.assert_allclose(gk, want_k, atol=1e-6)
    np.testing.assert_allclose(gm, want_m, atol=1e-6)


# --------------------------------------------------------------------------
# QuantizationConfig.


def test_config_get_resolves_identifiers():
    assert QuantizationConfig.get(None) is None
    config = QuantizationConfig.get("fixed_point")
    assert (config.mode, config.word_length, config.integer_bits) == (
        "fixed_point",
        8,
        3,
    )
    assert QuantizationConfig.get("binary").bits == 1
    custom = QuantizationConfig(word_length=6, integer_bits=2)
    assert QuantizationConfig.get(custom) is custom
    assert QuantizationConfig.get(custom.get_config()) == custom
    serialized = keras.saving.serialize_keras_object(custom)
    assert QuantizationConfig.get(serialized) == custom
    revived = keras.saving.deserialize_keras_object(serialized)
    assert revived == custom


@pytest.mark.parametrize("identifier", ["int4", 8, "Fixed_Point"])
def test_config_get_rejects_unknown(identifier):
    with pytest.raises(ValueError, match="Received: quantization="):
        QuantizationConfig.get(identifier)


def test_config_get_rejects_another_serialized_object():
    serialized = keras.saving.serialize_keras_object(keras.initializers.Zeros())
    with pytest.raises(ValueError, match="Received: quantization=.*Zeros"):
        QuantizationConfig.get(serialized)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"mode": "ternary"}, "mode"),
        ({"rounding": "stochastic"}, "rounding"),
        ({"word_length": 1}, "word_length"),
        ({"integer_bits": 9}, "integer_bits"),
    ],
)
def test_config_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        QuantizationConfig(**kwargs)


def test_fixed_point_accumulator_needs_fixed_point_logits():
    with pytest.raises(ValueError, match="accumulator='fixed_point'.*'binary'"):
        QuantizationConfig("binary", accumulator="fixed_point")
    with pytest.raises(ValueError, match="accumulator='fixed_point'"):
        QuantizationConfig(
            accumulator="fixed_point",
            tensor_formats={"logits": {"mode": "binary"}},
        )
    # Binary elsewhere is fine as long as the logits are fixed point.
    config = QuantizationConfig(
        "binary",
        accumulator="fixed_point",
        tensor_formats={"logits": {"mode": "fixed_point"}},
    )
    assert config.for_tensor("logits").accumulator == "fixed_point"
    assert config.for_tensor("memory").mode == "binary"


@pytest.mark.parametrize("scale", [0.0, -0.125, float("inf")])
def test_hamming_similarity_rejects_non_positive_scale(scale):
    keys = np.ones((1, 2), "float32")
    memory = np.ones((1, 3, 2), "float32")
    with pytest.raises(ValueError, match=f"scale={scale!r}"):
        quantization.hamming_similarity(keys, memory, scale=scale)


def test_config_quantize_matches_functions(rng):
    x = rng.standard_normal(20).astype("float32") * 5
    fixed = QuantizationConfig(word_length=6, integer_bits=2)
    np.testing.assert_array_equal(
        _np(fixed.quantize(x)), _np(quantization.fixed_point(x, 6, 2))
    )
    np.testing.assert_array_equal(
        _np(QuantizationConfig("binary").quantize(x)),
        _np(quantization.binary(x)),
    )
    assert fixed.range == quantization.fixed_point_range(6, 2)


def test_config_tensor_formats(rng):
    config = QuantizationConfig(
        word_length=8,
        integer_bits=3,
        tensor_formats={
            "logits": {"integer_bits": 2},
            "read": {"mode": "binary"},
        },
    )
    assert config.for_tensor("memory") is config
    assert config.for_tensor("logits").integer_bits == 2
    assert config.for_tensor("logits").word_length == 8
    assert config.for_tensor("read").bits == 1
    x = rng.standard_normal(20).astype("float32") * 5
    np.testing.assert_array_equal(
        _np(config.quantize(x, tensor="logits")),
        _np(quantization.fixed_point(x, 8, 2)),
    )
    np.testing.assert_array_equal(
        _np(config.quantize(x, tensor="state")),
        _np(quantization.fixed_point(x, 8, 3)),
    )
    np.testing.assert_array_equal(
        _np(config.quantize(x, tensor="read")), _np(quantization.binary(x))
    )
    assert config.hamming_kwargs("read")["word_length"] == 1
    revived = QuantizationConfig.get(config.get_config())
    assert revived == config and hash(revived) == hash(config)
    assert revived != QuantizationConfig()
    serialized = keras.saving.serialize_keras_object(config)
    assert keras.saving.deserialize_keras_object(serialized) == config


@pytest.mark.parametrize(
    "tensor_formats, match",
    [
        ({"keys": {}}, "tensor_formats key 'keys'"),
        ({"logits": {"bits": 4}}, r"tensor_formats\['logits'\]"),
        ({"logits": {"integer_bits": 9}}, "Received: integer_bits=9"),
        ([("logits", {})], "Received: tensor_formats="),
    ],
)
def test_config_rejects_bad_tensor_formats(tensor_formats, match):
    with pytest.raises(ValueError, match=match):
        QuantizationConfig(tensor_formats=tensor_formats)
    with pytest.raises(ValueError, match="Received: tensor='keys'"):
        QuantizationConfig().for_tensor("keys")


# --------------------------------------------------------------------------
# Fixed-point dot product.


def _np_fixed_dot(keys, memory, n, i):
    f = n - 1 - i
    bound = (2.0 ** (n - 1) - 1) / 2.0**f

    def q(x):
        code = np.minimum(np.round(np.abs(x) * 2.0**f), 2.0 ** (n - 1) - 1)
        return np.where(x >= 0, 1.0, -1.0) * code / 2.0**f

    products = q(keys[..., None, :] * memory)
    total = products[..., 0]
    for d in range(1, products.shape[-1]):
        total = np.clip(total + products[..., d], -bound, bound)
    return total


@pytest.mark.parametrize("n, i", [(8, 3), (8, 1), (6, 2)])
def test_fixed_point_dot_matches_numpy(rng, n, i):
    keys = rng.standard_normal((3, 10)).astype("float32")
    memory = 1.5 * rng.standard_normal((3, 5, 10)).astype("float32")
    got = _np(quantization.fixed_point_dot(keys, memory, n, i))
    np.testing.assert_array_equal(
        got, _np_fixed_dot(keys.astype("float64"), memory, n, i)
    )
    bound = quantization.fixed_point_range(n, i)
    assert np.abs(got).max() <= bound
    fraction = n - 1 - i
    np.testing.assert_array_equal(
        got * 2**fraction, np.round(got * 2**fraction)
    )


def test_fixed_point_dot_rounds_small_products_and_saturates():
    keys = np.array([[0.02, 0.02, 5.0, 5.0, -5.0]], "float32")
    memory = np.ones((1, 1, 5), "float32")
    # Q(3, 4): 0.02 rounds to 0, 5 + 5 saturates at 7.9375 and the last
    # product brings the sum down to 2.9375; a wide accumulator gives 5.04.
    out = _np(quantization.fixed_point_dot(keys, memory, 8, 3))
    np.testing.assert_array_equal(out, [[7.9375 - 5.0]])
    assert abs(float(np.dot(keys[0], memory[0, 0])) - 5.04) < 1e-5


def test_fixed_point_dot_of_empty_vectors_is_zero():
    # No products to accumulate, as the other similarities: zeros.
    keys = np.ones((2, 0), "float32")
    memory = np.ones((2, 3, 0), "float32")
    out = _np(quantization.fixed_point_dot(keys, memory))
    np.testing.assert_array_equal(out, np.zeros((2, 3)))


def test_fixed_point_dot_gradient_stops_at_saturation():
    keys = np.array([[4.0, 4.0, 1.0]], "float32")
    memory = np.ones((1, 1, 3), "float32")

    def fn(m):
        return quantization.fixed_point_dot(keys, m, 8, 3)

    grad = _grad(fn, memory)
    # 4 + 4 saturates: the first two products get no gradient, the last
    # addition (7.9375 + 1 saturates again) neither.
    np.testing.assert_array_equal(grad, [[[0.0, 0.0, 0.0]]])
    small = np.array([[[0.5, 0.5, 0.5]]], "float32")
    np.testing.assert_allclose(_grad(fn, small), [[[4.0, 4.0, 1.0]]])
    # A running sum that lands exactly on the bound (4 + 3.9375 = 7.9375)
    # has not saturated: the gradient passes.
    on_bound = np.array([[[1.0, 0.984375, 0.0]]], "float32")
    np.testing.assert_allclose(_grad(fn, on_bound), [[[4.0, 4.0, 1.0]]])


def test_config_accumulator():
    config = QuantizationConfig(accumulator="fixed_point")
    assert config.get_config()["accumulator"] == "fixed_point"
    assert QuantizationConfig.get(config.get_config()) == config
    assert config != QuantizationConfig()
    assert "accumulator" not in QuantizationConfig().get_config()
    per_tensor = QuantizationConfig(
        accumulator="fixed_point",
        tensor_formats={"logits": {"integer_bits": 2}},
    )
    assert per_tensor.for_tensor("logits").accumulator == "fixed_point"
    # Only the logits are accumulated, with or without formats of their own.
    for config in (per_tensor, QuantizationConfig(accumulator="fixed_point")):
        assert config.for_tensor("logits").accumulator == "fixed_point"
        for name in ("weights", "memory", "state", "read"):
            assert config.for_tensor(name).accumulator == "float"
            assert config.for_tensor(name).integer_bits == 3
    with pytest.raises(ValueError, match="Received: accumulator='int'"):
        QuantizationConfig(accumulator="int")


@pytest.mark.parametrize("word_length", [25, 200])
def test_word_length_above_24_bits_is_rejected(word_length):
    # Longer words have integer codes that float32 holds inexactly (NaN
    # for 200 bits, an overflowing range for 1,100).
    match = f"at most 24.*Received: word_length={word_length}"
    x = np.array([0.0, 0.5, 0.3], "float32")
    with pytest.raises(ValueError, match=match):
        quantization.fixed_point(x, word_length=word_length, integer_bits=3)
    with pytest.raises(ValueError, match=match):
        quantization.fixed_point_range(word_length, 3)
    with pytest.raises(ValueError, match=match):
        quantization.hamming_similarity(
            np.zeros((1, 2), "float32"),
            np.zeros((1, 3, 2), "float32"),
            word_length=word_length,
        )
    with pytest.raises(ValueError, match=match):
        QuantizationConfig(
            word_length=word_length, integer_bits=word_length - 1
        )
    # 24 bits is the largest exact format.
    assert quantization.fixed_point_range(24, 23) == 2.0**23 - 1.0
    got = _np(quantization.fixed_point(x, word_length=24, integer_bits=3))
    np.testing.assert_allclose(got, np.round(x * 2.0**20) / 2.0**20)


@pytest.mark.parametrize(
    "fn", [quantization.fixed_point_dot, quantization.hamming_similarity]
)
def test_similarities_reject_keys_and_memory_of_different_widths(fn):
    keys = np.array([[1.0]], "float32")
    memory = np.array([[[0.5, 0.25, 0.25]]], "float32")
    with pytest.raises(ValueError, match=r"width D.*keys.shape=\(1, 1\)"):
        fn(keys, memory)


def test_float64_inputs_are_quantized_in_float64(rng):
    # JAX without x64 holds float64 inputs in float32; the references read
    # the inputs as the backend holds them.
    x = np.array([0.99999999, -0.99999999, 0.3, -9.0, -0.0], "float64")
    held = _np(keras.ops.convert_to_tensor(x))
    dtype = keras.backend.standardize_dtype(
        keras.ops.convert_to_tensor(x).dtype
    )
    for rounding in ("nearest", "toward_zero"):
        y = quantization.fixed_point(x, 8, 3, rounding=rounding)
        assert keras.backend.standardize_dtype(y.dtype) == dtype
        np.testing.assert_array_equal(_np(y), _np_fixed(held, 8, 3, rounding))
    y = quantization.binary(x)
    assert keras.backend.standardize_dtype(y.dtype) == dtype
    np.testing.assert_array_equal(_np(y), [1.0, -1.0, 1.0, -1.0, 1.0])
    keys = rng.normal(size=(2, 3)) * 2.0
    memory = rng.normal(size=(2, 4, 3)) * 2.0
    held_keys = _np(keras.ops.convert_to_tensor(keys))
    held_memory = _np(keras.ops.convert_to_tensor(memory))
    s = quantization.hamming_similarity(keys, memory, word_length=24)
    assert keras.backend.standardize_dtype(s.dtype) == dtype
    np.testing.assert_allclose(
        _np(s),
        _np_hamming(held_keys, held_memory, 24, 3, 0.125),
        rtol=0,
        atol=1e-12 if dtype == "float64" else 1e-6,
    )
    s = quantization.fixed_point_dot(keys, memory)
    assert keras.backend.standardize_dtype(s.dtype) == dtype
    np.testing.assert_allclose(
        _np(s), _np_fixed_dot(held_keys, held_memory, 8, 3), atol=0
    )


def test_fixed_point_dot_needs_a_known_width():
    # An unknown D failed inside `ops.unstack` with an unhelpful error.
    keys = keras.Input((None,))
    memory = keras.Input((4, None))
    with pytest.raises(
        ValueError,
        match=r"D \(the last dimension of `keys` and `memory`\) must be "
        r"known. Received: keys.shape=\(None, None\), "
        r"memory.shape=\(None, 4, None\)",
    ):
        quantization.fixed_point_dot(keys, memory)

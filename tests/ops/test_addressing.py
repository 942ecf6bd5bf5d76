import re

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from keras import ops

from keras_memattn.ops import addressing

FAST = settings(max_examples=20, deadline=None)


def _np(x):
    return np.asarray(ops.convert_to_numpy(x), dtype="float64")


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _floats(shape, lo=-5.0, hi=5.0):
    return hnp.arrays(
        "float32",
        shape,
        elements=st.floats(lo, hi, width=32, allow_nan=False),
    )


def _distribution(size):
    return _floats((2, size), 0.0, 1.0).map(
        lambda a: (a + 1e-3) / (a + 1e-3).sum(-1, keepdims=True)
    )


# --------------------------------------------------------------------------
# Similarity and content weights against NumPy.


def test_similarity_matches_numpy(rng):
    keys = rng.standard_normal((2, 3, 4)).astype("float32")
    memory = rng.standard_normal((2, 1, 5, 4)).astype("float32")
    dot = np.einsum(
        "bhd,bhnd->bhn", keys, np.broadcast_to(memory, (2, 3, 5, 4))
    )
    cos = dot / (
        np.linalg.norm(keys, axis=-1)[..., None]
        * np.linalg.norm(memory, axis=-1)
    )
    got_dot = addressing.similarity(keys, memory, kind="dot")
    got_cos = addressing.similarity(keys, memory, kind="cosine")
    assert tuple(got_cos.shape) == (2, 3, 5)
    np.testing.assert_allclose(_np(got_dot), dot, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_np(got_cos), cos, rtol=1e-4, atol=1e-5)


def test_content_weights_hand_computed():
    memory = np.array([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]], "float32")
    keys = np.array([[2.0, 0.0]], "float32")
    strength = np.array([[3.0]], "float32")
    # cos = 1, 0, 1/sqrt(2); weights = exp(3 cos) / sum.
    e = np.exp([3.0, 0.0, 3.0 / np.sqrt(2.0)])
    got = addressing.content_weights(keys, memory, strength)
    np.testing.assert_allclose(_np(got)[0], e / e.sum(), atol=1e-5)


def test_content_weights_mask_excludes_slots(rng):
    memory = rng.standard_normal((2, 4, 3)).astype("float32")
    keys = rng.standard_normal((2, 3)).astype("float32")
    mask = np.array([[True, False, True, True], [False] * 4])
    got = _np(
        addressing.content_weights(keys, memory, np.ones((2, 1)), mask=mask)
    )
    assert got[0, 1] == 0.0
    np.testing.assert_allclose(got[0].sum(), 1.0, atol=1e-6)
    np.testing.assert_array_equal(got[1], 0.0)


def test_hamming_delegates_to_quantization(rng):
    from keras_memattn.ops.quantization import hamming_similarity

    keys = rng.standard_normal((2, 6)).astype("float32")
    memory = rng.standard_normal((2, 5, 6)).astype("float32")
    got = addressing.similarity(keys, memory, kind="hamming", word_length=4)
    want = hamming_similarity(keys, memory, word_length=4)
    np.testing.assert_allclose(_np(got), _np(want), atol=1e-6)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_inputs_work_in_float32(dtype):
    keys = ops.cast(ops.ones((1, 4)), dtype)
    memory = ops.cast(ops.ones((1, 3, 4)) * 300.0, dtype)
    w = addressing.content_weights(keys, memory, ops.ones((1, 1)) * 1e3)
    assert keras.backend.standardize_dtype(w.dtype) == "float32"
    np.testing.assert_allclose(_np(w), np.full((1, 3), 1 / 3), atol=1e-5)


def test_zero_memory_and_keys_have_finite_gradients():
    # The cosine norms carry an epsilon, so an all-zero key or slot gives
    # zero similarity and finite gradients (sqrt at zero would give NaN).
    model_in = keras.Input((4,))
    zeros_memory = ops.zeros((1, 3, 4))

    class Probe(keras.layers.Layer):
        def build(self, _):
            self.k = self.add_weight(shape=(4,), initializer="zeros")

        def call(self, x):
            w = addressing.content_weights(
                x * 0.0 + self.k, zeros_memory, ops.ones((1, 1))
            )
            return ops.sum(w * ops.arange(3, dtype="float32"), -1)

    model = keras.Model(model_in, Probe()(model_in))
    model.compile("sgd", "mse")
    loss = model.train_on_batch(np.ones((1, 4)), np.ones((1,)))
    assert np.isfinite(loss)
    assert np.all(np.isfinite(_np(model.weights[0])))


# --------------------------------------------------------------------------
# Location addressing.


def test_circular_shift_matches_numpy_convolution(rng):
    w = _softmax(rng.standard_normal((2, 7)))
    s = _softmax(rng.standard_normal((2, 5)))  # Shifts -2..2.
    want = np.zeros_like(w)
    for b in range(2):
        for i in range(7):
            for j in range(7):
                d = (i - j) % 7
                k = d + 2 if d <= 2 else d - 7 + 2
                if 0 <= k < 5:
                    want[b, i] += w[b, j] * s[b, k]
    got = addressing.circular_shift(w.astype("float32"), s.astype("float32"))
    np.testing.assert_allclose(_np(got), want, atol=1e-6)


def test_sharpen_is_normalised_power(rng):
    w = _softmax(rng.standard_normal((3, 6)))
    gamma = 1.0 + rng.random((3, 1)) * 4
    p = (w + 1e-6) ** gamma
    got = addressing.sharpen(w.astype("float32"), gamma.astype("float32"))
    np.testing.assert_allclose(
        _np(got), p / p.sum(-1, keepdims=True), atol=1e-6
    )


def test_sharpen_large_gamma_does_not_underflow():
    w = np.full((1, 128), 1 / 128, "float32")
    w[0, 3] = 2 / 128
    got = _np(addressing.sharpen(w, np.array([[60.0]], "float32")))
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got[0, 3], 1.0, atol=1e-6)


@pytest.mark.parametrize("gamma", [1e38, 3e38, np.inf])
def test_sharpen_huge_gamma_keeps_a_distribution(gamma):
    # gamma * log(w + epsilon) overflows to -inf in every slot of these rows.
    w = np.array(
        [[0.0, 0.0, 0.0, 0.0], [0.25] * 4, [0.0, 1.0, 0.0, 0.0]], "float32"
    )
    got = _np(addressing.sharpen(w, np.full((3, 1), gamma, "float32")))
    np.testing.assert_allclose(got[:2], 0.25, atol=1e-6)
    np.testing.assert_allclose(got[2], [0.0, 1.0, 0.0, 0.0], atol=1e-6)


def test_sharpen_infinite_gamma_where_the_log_is_zero():
    # 1 - 1e-7 + epsilon rounds to 1 in float32: log(1) * inf was NaN.
    w = np.array([[1.0 - 1e-7, 1e-7, 0.0]], "float32")
    got = _np(addressing.sharpen(w, np.array([[np.inf]], "float32"), 1e-7))
    assert np.all(np.isfinite(got)), got
    np.testing.assert_allclose(got.sum(-1), 1.0, atol=1e-6)
    np.testing.assert_allclose(got[0], [1.0, 0.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("strength", [3e38, np.inf])
def test_content_weights_infinite_strength_keeps_a_distribution(strength):
    # inf * 0 (an all-zero memory has similarity 0 with every key) was NaN,
    # and so was inf * a negative similarity in every slot.
    memory = np.array(
        [
            [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]],
            [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]],
            [[-1.0, 0.0], [-1.0, 0.1], [-1.0, -0.1]],
        ],
        "float32",
    )
    keys = np.array([[1.0, 0.0]] * 3, "float32")
    got = _np(
        addressing.content_weights(
            keys, memory, np.full((3, 1), strength, "float32")
        )
    )
    assert np.all(np.isfinite(got)), got
    np.testing.assert_allclose(got.sum(-1), 1.0, atol=1e-6)
    np.testing.assert_allclose(got[0], 1 / 3, atol=1e-6)
    np.testing.assert_allclose(got[1], [1.0, 0.0, 0.0], atol=1e-6)
    # The two least negative similarities share the weight.
    np.testing.assert_allclose(got[2], [0.0, 0.5, 0.5], atol=1e-6)


def test_content_weights_huge_dot_similarity_stays_finite():
    memory = np.array([[[1e20, 0.0], [-1e20, 0.0]]], "float32")
    keys = np.array([[1e20, 0.0]], "float32")
    got = _np(
        addressing.content_weights(
            keys, memory, np.array([[1e10]], "float32"), kind="dot"
        )
    )
    np.testing.assert_allclose(got, [[1.0, 0.0]], atol=1e-6)


def test_content_weights_float64_strength_works_in_float64(rng):
    # JAX without x64 holds float64 in float32.
    dtype = keras.backend.standardize_dtype(
        ops.convert_to_tensor(np.zeros(1, "float64")).dtype
    )
    keys = rng.standard_normal((2, 3)).astype("float32")
    memory = rng.standard_normal((2, 4, 3)).astype("float32")
    w = addressing.content_weights(keys, memory, np.full((2, 1), 2.0))
    assert keras.backend.standardize_dtype(w.dtype) == dtype


def test_ntm_weights_matches_numpy_pipeline(rng):
    memory = rng.standard_normal((2, 5, 3)).astype("float32")
    keys = rng.standard_normal((2, 3)).astype("float32")
    beta = np.array([[2.0], [0.5]], "float32")
    gate = np.array([[0.3], [0.9]], "float32")
    shift = _softmax(rng.standard_normal((2, 3))).astype("float32")
    gamma = np.array([[1.5], [3.0]], "float32")
    prev = _softmax(rng.standard_normal((2, 5))).astype("float32")
    cos = np.einsum("bd,bnd->bn", keys, memory) / (
        np.linalg.norm(keys, axis=-1, keepdims=True)
        * np.linalg.norm(memory, axis=-1)
    )
    wc = _softmax(beta * cos)
    wg = gate * wc + (1 - gate) * prev
    ws = sum(
        shift[:, k : k + 1] * np.roll(wg, k - 1, axis=-1) for k in range(3)
    )
    p = (ws + 1e-6) ** gamma
    want = p / p.sum(-1, keepdims=True)
    got = addressing.ntm_weights(keys, memory, beta, gate, shift, gamma, prev)
    np.testing.assert_allclose(_np(got), want, atol=1e-5)


# --------------------------------------------------------------------------
# Properties.


@FAST
@given(
    keys=_floats((2, 4)),
    memory=_floats((2, 6, 4)),
    strength=_floats((2, 1), 0.0, 50.0),
    kind=st.sampled_from(["cosine", "dot"]),
)
def test_content_weights_are_a_distribution(keys, memory, strength, kind):
    w = _np(addressing.content_weights(keys, memory, strength, kind=kind))
    assert np.all(np.isfinite(w))
    assert np.all(w >= 0.0)
    np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-5)


@FAST
@given(
    keys=_floats((2, 4)),
    memory=_floats((2, 6, 4)),
    strength=_floats((2, 1), 0.0, 50.0),
    gate=_floats((2, 1), 0.0, 1.0),
    shift=_distribution(3),
    gamma=_floats((2, 1), 1.0, 30.0),
    previous=_distribution(6),
)
def test_ntm_weights_are_a_distribution(
    keys, memory, strength, gate, shift, gamma, previous
):
    w = _np(
        addressing.ntm_weights(
            keys, memory, strength, gate, shift, gamma, previous
        )
    )
    assert np.all(np.isfinite(w))
    assert np.all(w >= 0.0)
    np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-5)


@FAST
@given(
    strength=_floats((2, 1), 0.0, 100.0),
    kind=st.sampled_from(["cosine", "dot"]),
    gamma=_floats((2, 1), 1.0, 50.0),
)
def test_all_zero_memory_and_keys_stay_finite(strength, kind, gamma):
    keys = np.zeros((2, 4), "float32")
    memory = np.zeros((2, 6, 4), "float32")
    content = _np(addressing.content_weights(keys, memory, strength, kind=kind))
    np.testing.assert_allclose(content, np.full((2, 6), 1 / 6), atol=1e-6)
    previous = np.zeros((2, 6), "float32")
    w = _np(
        addressing.ntm_weights(
            keys,
            memory,
            strength,
            np.zeros((2, 1), "float32"),
            np.full((2, 3), 1 / 3, "float32"),
            gamma,
            previous,
            kind=kind,
        )
    )
    assert np.all(np.isfinite(w))
    np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-5)


@FAST
@given(
    weights=_distribution(7),
    radius=st.integers(0, 3),
    data=st.data(),
)
def test_one_hot_shift_equals_roll(weights, radius, data):
    index = data.draw(st.integers(0, 2 * radius))
    shift = np.zeros((2, 2 * radius + 1), "float32")
    shift[:, index] = 1.0
    got = _np(addressing.circular_shift(weights, shift))
    np.testing.assert_allclose(
        got, np.roll(weights, index - radius, axis=-1), atol=1e-6
    )
    np.testing.assert_allclose(
        got, _np(ops.roll(weights, index - radius, axis=-1)), atol=1e-6
    )


@FAST
@given(weights=_distribution(6), shift=_distribution(3))
def test_shift_and_sharpen_keep_a_distribution(weights, shift):
    shifted = _np(addressing.circular_shift(weights, shift))
    np.testing.assert_allclose(shifted.sum(-1), 1.0, atol=1e-5)
    assert np.all(shifted >= 0.0)
    sharp = _np(addressing.sharpen(shifted, np.full((2, 1), 5.0, "float32")))
    np.testing.assert_allclose(sharp.sum(-1), 1.0, atol=1e-5)
    assert np.all(sharp >= 0.0)


# --------------------------------------------------------------------------
# Bad arguments.


def test_unknown_similarity_names_the_argument():
    with pytest.raises(ValueError, match="kind=.*euclid"):
        addressing.similarity(np.ones((1, 2)), np.ones((1, 3, 2)), "euclid")


def test_even_shift_width_is_rejected():
    with pytest.raises(ValueError, match="shift"):
        addressing.circular_shift(np.ones((1, 4)), np.ones((1, 2)))


def test_hamming_arguments_need_hamming_kind():
    with pytest.raises(ValueError, match="word_length"):
        addressing.similarity(
            np.ones((1, 2)), np.ones((1, 3, 2)), "dot", word_length=4
        )


def test_mismatched_shapes_and_bad_epsilon_are_rejected():

    keys = np.ones((2, 3), "float32")
    with pytest.raises(ValueError, match=r"memory.shape=\(2, 5, 4\)"):
        addressing.similarity(keys, np.ones((2, 5, 4), "float32"))
    with pytest.raises(ValueError, match="epsilon=0.0"):
        addressing.similarity(keys, np.ones((2, 5, 3), "float32"), epsilon=0.0)
    with pytest.raises(ValueError, match="epsilon=-1.0"):
        addressing.sharpen(np.ones((2, 5), "float32"), 2.0, epsilon=-1.0)
    # One shift distribution per row of weights: a (batch, 3) shift for
    # (batch, heads, N) weights would shift by head instead of by example.
    weights = np.ones((2, 2, 5), "float32") / 5
    with pytest.raises(ValueError, match=r"shift.shape=\(2, 3\)"):
        addressing.circular_shift(weights, np.ones((2, 3), "float32") / 3)
    with pytest.raises(ValueError, match=r"gate.shape=\(2, 1\)"):
        addressing.interpolate(weights, weights, np.ones((2, 1), "float32"))


def test_scalar_keys_and_weights_are_rejected():
    # A scalar has no slot axis: a ValueError names its shape.
    scalar = np.float32(1.0)
    with pytest.raises(ValueError, match=r"keys.shape=\(\)"):
        addressing.similarity(scalar, np.ones((1, 3, 2), "float32"))
    with pytest.raises(ValueError, match=r"keys.shape=\(\)"):
        addressing.content_weights(scalar, np.ones((1, 3, 2), "float32"), 1.0)
    with pytest.raises(ValueError, match=r"weights.shape=\(\)"):
        addressing.circular_shift(scalar, scalar)
    with pytest.raises(ValueError, match=r"content.shape=\(\)"):
        addressing.interpolate(scalar, scalar, scalar)


def test_sharpen_rejects_gamma_that_broadcasts_over_the_slots():
    weights = np.array([[0.6, 0.4], [0.6, 0.4]], "float32")
    # (batch,) would be applied per slot instead of per row.
    with pytest.raises(ValueError, match=r"gamma.shape=\(2,\)"):
        addressing.sharpen(weights, np.array([1.0, 10.0], "float32"))
    with pytest.raises(ValueError, match=r"gamma.shape=\(2, 2\)"):
        addressing.sharpen(weights, np.ones((2, 2), "float32"))
    with pytest.raises(ValueError, match=r"gamma.shape=\(1, 2, 1\)"):
        addressing.sharpen(weights, np.ones((1, 2, 1), "float32"))
    # Scalars and (batch, 1) stay allowed.
    by_row = _np(addressing.sharpen(weights, np.full((2, 1), 3.0, "float32")))
    np.testing.assert_allclose(
        _np(addressing.sharpen(weights, 3.0)), by_row, rtol=1e-6
    )


def test_content_weights_rejects_strength_that_broadcasts_over_the_slots():
    keys = np.array([[1.0, 0.0], [1.0, 0.0]], "float32")
    memory = np.array([[[1.0, 0.0], [0.0, 1.0]]] * 2, "float32")
    # With 2 examples and 2 slots, a (batch,) strength used to run and
    # scale the slots instead of the examples.
    for strength in (np.array([0.0, 100.0]), np.ones((2, 2)), np.ones((3,))):
        with pytest.raises(
            ValueError,
            match=re.escape(
                f"Received: strength.shape={strength.shape}, "
                "weights.shape=(2, 2)"
            ),
        ):
            addressing.content_weights(keys, memory, strength)
    by_row = _np(addressing.content_weights(keys, memory, [[0.0], [100.0]]))
    np.testing.assert_allclose(by_row, [[0.5, 0.5], [1.0, 0.0]], atol=1e-6)
    np.testing.assert_allclose(
        _np(addressing.content_weights(keys, memory, 100.0)),
        [[1.0, 0.0], [1.0, 0.0]],
        atol=1e-6,
    )

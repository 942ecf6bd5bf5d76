"""AttentionPooling: harness, NumPy reference, exact zeros on padding."""

import re

import keras
import numpy as np
import pytest
from keras import ops

from keras_memattn.layers import AttentionPooling
from tests.harness import run_layer_test

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 6, 8)).astype("float32")
MASK = np.ones((3, 6), bool)
MASK[0, 4:] = False
MASK[2, :2] = False  # Left padding.


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def _reference(layer, x, mask):
    """Plain NumPy pooling with the layer's weights."""
    x = x.astype("float64")
    v = _numpy(layer.score_kernel).astype("float64")
    if layer.score == "additive":
        hidden = x @ _numpy(layer.kernel).astype("float64")
        if layer.bias is not None:
            hidden = hidden + _numpy(layer.bias)
        logits = np.tanh(hidden) @ v
    else:
        logits = x @ v / np.sqrt(x.shape[-1])
    logits = np.transpose(logits, (0, 2, 1))  # [B, N, T]
    keep = np.broadcast_to(mask[:, None, :], logits.shape)
    top = np.max(np.where(keep, logits, -np.inf), -1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.where(keep, np.exp(logits - top), 0.0)
    total = e.sum(-1, keepdims=True)
    weights = np.where(total > 0, e / np.where(total > 0, total, 1.0), 0.0)
    pooled = np.einsum("bnt,btf->bnf", weights, x)
    return pooled.reshape(len(x), -1), weights


def test_harness_additive():
    run_layer_test(
        AttentionPooling,
        {"units": 5},
        input_shape=(3, 6, 8),
        expected_output_shape=(3, 8),
        expected_num_trainable_weights=3,
        supports_masking=True,
        expected_output_mask=None,
    )


def test_harness_dot_heads_with_scores():
    run_layer_test(
        AttentionPooling,
        {"score": "dot", "num_heads": 2},
        input_shape=(3, 6, 8),
        call_kwargs={"return_attention_scores": True},
        expected_output_shape=((3, 16), (3, 2, 6)),
        expected_num_trainable_weights=1,
        supports_masking=True,
        expected_output_mask=None,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"units": 5, "num_heads": 3},
        {"use_bias": False},
        {"score": "dot"},
        {"score": "dot", "num_heads": 2},
    ],
)
@pytest.mark.parametrize("masked", [False, True])
def test_numpy_reference(kwargs, masked):
    layer = AttentionPooling(**kwargs)
    layer.build(X.shape)
    for w in layer.weights:
        w.assign(RNG.normal(0.0, 0.5, w.shape).astype("float32"))
    mask = MASK if masked else np.ones_like(MASK)
    want, want_weights = _reference(layer, X, mask)
    got, weights = layer(
        X, mask=MASK if masked else None, return_attention_scores=True
    )
    np.testing.assert_allclose(_numpy(got), want, atol=1e-5)
    np.testing.assert_allclose(_numpy(weights), want_weights, atol=1e-6)
    np.testing.assert_allclose(_numpy(layer(X, mask=mask)), want, atol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "mixed_float16"])
def test_padded_steps_get_exactly_zero_weight(dtype):
    layer = AttentionPooling(num_heads=2, dtype=dtype)
    mask = MASK.copy()
    mask[1] = False  # A fully padded sequence.
    x = X * 50.0  # Large scores: a fill constant would leak here.
    pooled, weights = layer(x, mask=mask, return_attention_scores=True)
    weights = _numpy(ops.cast(weights, "float32"))
    pooled = _numpy(ops.cast(pooled, "float32"))
    keep = np.broadcast_to(mask[:, None, :], weights.shape)
    assert np.all(weights[~keep] == 0.0)
    sums = weights.sum(-1)
    tol = 1e-6 if dtype == "float32" else 2e-3
    np.testing.assert_allclose(sums[[0, 2]], 1.0, atol=tol)
    assert np.all(sums[1] == 0.0)
    assert np.all(np.isfinite(pooled))
    assert np.all(pooled[1] == 0.0)


@pytest.mark.parametrize("fill", [1e3, np.inf, np.nan])
@pytest.mark.parametrize("score", ["additive", "dot"])
def test_values_at_padded_steps_do_not_matter(fill, score):
    layer = AttentionPooling(score=score)
    noisy = X.copy()
    noisy[~MASK] = fill
    a = _numpy(layer(X, mask=MASK))
    b = _numpy(layer(noisy, mask=MASK))
    np.testing.assert_array_equal(a, b)


def test_float64_policy_computes_in_float64():
    probe = ops.ones((2, 2), dtype="float64")
    if keras.backend.standardize_dtype(ops.matmul(probe, probe).dtype) != (
        "float64"
    ):
        # JAX without x64, and Keras' PyTorch matmul, compute in float32.
        pytest.skip("this backend's matmul does not compute in float64")
    layer = AttentionPooling(num_heads=2, dtype="float64")
    x = X.astype("float64")
    got = layer(x, mask=MASK)
    assert keras.backend.standardize_dtype(got.dtype) == "float64"
    want, _ = _reference(layer, x, MASK)
    # float32 arithmetic would be off by about 1e-7.
    np.testing.assert_allclose(_numpy(got), want, rtol=1e-12, atol=1e-12)


def test_mask_from_embedding_is_consumed():
    ids = np.array([[3, 4, 5, 0, 0, 0], [1, 2, 3, 4, 5, 6]])
    inputs = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(10, 8, mask_zero=True)(inputs)
    h = keras.layers.GRU(4, return_sequences=True)(h)
    pooled, weights = AttentionPooling()(h, return_attention_scores=True)
    model = keras.Model(inputs, [pooled, weights])
    _, w = model.predict(ids, verbose=0)
    assert np.all(w[0, 0, 3:] == 0.0)
    np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-6)


def test_empty_batch_gives_an_empty_output():
    # It used to fail on TensorFlow and PyTorch inside the masked softmax.
    pooled, weights = AttentionPooling(num_heads=2)(
        np.zeros((0, 6, 8), "float32"),
        mask=np.zeros((0, 6), bool),
        return_attention_scores=True,
    )
    assert tuple(pooled.shape) == (0, 16)
    assert tuple(weights.shape) == (0, 2, 6)


def test_compute_output_shape():
    assert AttentionPooling(num_heads=3).compute_output_shape((None, 7, 4)) == (
        None,
        12,
    )


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"score": "mul"}, "score='mul'"),
        ({"num_heads": 0}, "num_heads=0"),
        ({"units": 0}, "units=0"),
        ({"units": -2}, "units=-2"),
        ({"score": "dot", "units": 4}, "units=4"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AttentionPooling(**kwargs)


def test_bad_input_rank():
    with pytest.raises(ValueError, match="rank 3"):
        AttentionPooling()(np.zeros((2, 8), "float32"))
    # After build, another rank or width is Keras' input-spec error (it
    # used to be the backend's error from a matrix product).
    built = AttentionPooling()
    built(np.zeros((2, 5, 8), "float32"))
    with pytest.raises(ValueError, match=r"axis -1 .* value 8.*\(2, 5, 6\)"):
        built(np.zeros((2, 5, 6), "float32"))
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=4"):
        built(np.zeros((2, 5, 3, 8), "float32"))


@pytest.mark.parametrize("shape", [(3, 6, 8), (3, 6, 1), (3, 5), (3,)])
def test_mask_of_wrong_shape_is_rejected(shape):
    # It used to fail with the backend's broadcasting error.
    x = np.random.default_rng(0).normal(size=(3, 6, 8)).astype("float32")
    with pytest.raises(ValueError, match=re.escape(f"mask.shape={shape}")):
        AttentionPooling()(x, mask=np.ones(shape, bool))
    inputs = keras.Input((6, 8))
    with pytest.raises(ValueError, match="must have the shape"):
        AttentionPooling()(inputs, mask=keras.Input((5,), dtype="bool"))


def test_activity_regularizer_sees_the_pooled_output_only():
    # Asking for the weights must not change the training loss.
    layer = AttentionPooling(num_heads=2, activity_regularizer="l2")
    pooled = _numpy(layer(X, mask=MASK))
    want = 0.01 * np.sum(pooled.astype("float64") ** 2) / len(X)
    for scores in (False, True):
        layer(X, mask=MASK, return_attention_scores=scores)
        assert len(layer.losses) == 1, scores
        np.testing.assert_allclose(_numpy(layer.losses[0]), want, rtol=1e-5)
    copy = AttentionPooling.from_config(layer.get_config())
    copy(X, return_attention_scores=True)
    assert len(copy.losses) == 1


def test_mask_as_nested_list():
    # As MultiHeadSelfAttention; it used to fail with an AttributeError.
    layer = AttentionPooling(num_heads=2)
    want = layer(X, mask=MASK, return_attention_scores=True)
    got = layer(X, mask=MASK.tolist(), return_attention_scores=True)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(_numpy(g), _numpy(w))

"""MultiHeadSelfAttention: harness, Keras equivalence, NumPy references."""

import re

import keras
import numpy as np
import pytest
from keras import ops

from keras_memattn.layers import MultiHeadSelfAttention
from tests.harness import run_layer_test

IMPLEMENTATIONS = ("explicit", "fused")
RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 6, 8)).astype("float32")
PADDING = np.ones((3, 6), bool)
PADDING[0, 4:] = False
PADDING[2, 5:] = False


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def _reference(layer, x, allowed):
    """Plain NumPy multi-head self-attention with the layer's weights.

    `allowed` is a boolean `(batch, time, time)` array; rows with no allowed
    position get zero weights.
    """
    heads, key_dim = layer.num_heads, layer.key_dim
    value_dim = layer.value_dim or key_dim
    w = _numpy(layer.qkv_kernel).astype("float64")
    b = _numpy(layer.qkv_bias).astype("float64")
    wo = _numpy(layer.output_kernel).astype("float64")
    bo = _numpy(layer.output_bias).astype("float64")
    batch, steps, _ = x.shape
    qkv = x.astype("float64") @ w + b
    qk = heads * key_dim
    q = qkv[..., :qk].reshape(batch, steps, heads, key_dim)
    k = qkv[..., qk : 2 * qk].reshape(batch, steps, heads, key_dim)
    v = qkv[..., 2 * qk :].reshape(batch, steps, heads, value_dim)
    logits = np.einsum("bthd,bshd->bhts", q, k) / np.sqrt(key_dim)
    logits = np.where(allowed[:, None], logits, -np.inf)
    top = np.max(logits, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.where(allowed[:, None], np.exp(logits - top), 0.0)
    total = e.sum(-1, keepdims=True)
    weights = np.where(total > 0, e / np.where(total > 0, total, 1.0), 0.0)
    context = np.einsum("bhts,bshd->bthd", weights, v)
    out = context.reshape(batch, steps, heads * value_dim) @ wo + bo
    return out, weights


def _allowed(padding=None, causal=False, window=None, steps=6, batch=3):
    allowed = np.ones((batch, steps, steps), bool)
    if padding is not None:
        allowed &= padding[:, :, None] & padding[:, None, :]
    i, j = np.meshgrid(np.arange(steps), np.arange(steps), indexing="ij")
    if causal:
        allowed &= (i >= j)[None]
    if window is not None:
        allowed &= (np.abs(i - j) <= window)[None]
    return allowed


def _randomize(layer):
    """Non-zero biases, so that the tests see them."""
    for w in layer.weights:
        w.assign(RNG.normal(0.0, 0.3, w.shape).astype("float32"))


# --------------------------------------------------------------------------
# Shared harness.


def test_harness():
    run_layer_test(
        MultiHeadSelfAttention,
        {"num_heads": 2, "key_dim": 4},
        input_shape=(3, 6, 8),
        expected_output_shape=(3, 6, 8),
        expected_num_trainable_weights=4,
        expected_num_non_trainable_weights=0,
        supports_masking=True,
        expected_output_mask="input",
    )


def test_harness_with_scores_window_and_options():
    run_layer_test(
        MultiHeadSelfAttention,
        {
            "num_heads": 2,
            "key_dim": 4,
            "value_dim": 3,
            "output_dim": 5,
            "window": 2,
            "dropout": 0.1,
            "use_bias": False,
            "seed": 3,
        },
        input_shape=(3, 6, 8),
        call_kwargs={"use_causal_mask": True, "return_attention_scores": True},
        expected_output_shape=((3, 6, 5), (3, 2, 6, 6)),
        expected_num_trainable_weights=2,
        supports_masking=True,
        expected_output_mask="input",
    )


# --------------------------------------------------------------------------
# Equivalence with keras.layers.MultiHeadAttention.


def _pair(value_dim=None, output_dim=None, use_bias=True, sliding_window=None):
    mha = keras.layers.MultiHeadAttention(
        num_heads=2,
        key_dim=4,
        value_dim=value_dim,
        output_shape=output_dim,
        use_bias=use_bias,
        sliding_window=sliding_window,
    )
    mha.build(X.shape, X.shape)
    for w in mha.weights:
        w.assign(RNG.normal(0.0, 0.3, w.shape).astype("float32"))
    window = None if sliding_window is None else sliding_window - 1
    layer = MultiHeadSelfAttention(
        2,
        4,
        value_dim=value_dim,
        output_dim=output_dim,
        use_bias=use_bias,
        window=window,
    )
    layer.build(X.shape)
    layer.load_weights_from_keras(mha)
    return mha, layer


@pytest.mark.parametrize("padding", [False, True])
@pytest.mark.parametrize("causal", [False, True])
def test_matches_keras_multi_head_attention(padding, causal):
    mha, layer = _pair()
    mask = ops.convert_to_tensor(PADDING) if padding else None
    rows = PADDING if padding else np.ones(PADDING.shape, bool)
    kw = {"query_mask": mask, "value_mask": mask} if padding else {}
    want, want_scores = mha(
        X, X, use_causal_mask=causal, return_attention_scores=True, **kw
    )
    want_fused = mha(X, X, use_causal_mask=causal, **kw)
    want, want_scores = _numpy(want), _numpy(want_scores)
    got, scores = layer(
        X, mask=mask, use_causal_mask=causal, return_attention_scores=True
    )
    assert np.max(np.abs(_numpy(got)[rows] - want[rows])) <= 1e-5
    assert np.max(np.abs(_numpy(got)[rows] - _numpy(want_fused)[rows])) <= 1e-5
    # Scores of the unpadded query rows (padded rows: Keras spreads them
    # uniformly, this layer gives zeros).
    got_rows = np.transpose(_numpy(scores), (0, 2, 1, 3))[rows]
    want_rows = np.transpose(want_scores, (0, 2, 1, 3))[rows]
    assert np.max(np.abs(got_rows - want_rows)) <= 1e-5
    for impl in IMPLEMENTATIONS:
        layer.attention_implementation = impl
        out = _numpy(layer(X, mask=mask, use_causal_mask=causal))
        assert np.max(np.abs(out[rows] - want[rows])) <= 1e-5, impl


def test_matches_keras_with_attention_mask_value_dim_and_no_bias():
    mha, layer = _pair(value_dim=3, output_dim=5, use_bias=False)
    attention_mask = RNG.random((3, 6, 6)) < 0.7
    attention_mask[:, np.arange(6), np.arange(6)] = True
    # Keras' own fused path fails on JAX when value_dim != key_dim; its
    # explicit path (taken when scores are requested) is the reference.
    want, _ = mha(
        X, X, attention_mask=attention_mask, return_attention_scores=True
    )
    want = _numpy(want)
    for impl in IMPLEMENTATIONS:
        layer.attention_implementation = impl
        got = _numpy(layer(X, attention_mask=attention_mask))
        assert got.shape == (3, 6, 5)
        assert np.max(np.abs(got - want)) <= 1e-5, impl


def test_window_matches_keras_sliding_window():
    mha, layer = _pair(sliding_window=3)
    want = _numpy(mha(X, X))
    for impl in IMPLEMENTATIONS:
        layer.attention_implementation = impl
        assert np.max(np.abs(_numpy(layer(X)) - want)) <= 1e-5, impl


def test_load_weights_from_keras_rejects_mismatches():
    mha = keras.layers.MultiHeadAttention(num_heads=3, key_dim=4)
    layer = MultiHeadSelfAttention(2, 4)
    with pytest.raises(ValueError, match="built"):
        layer.load_weights_from_keras(mha)
    mha.build(X.shape, X.shape)
    layer.build(X.shape)
    with pytest.raises(ValueError, match="num_heads=3"):
        layer.load_weights_from_keras(mha)
    with pytest.raises(ValueError, match="MultiHeadAttention"):
        layer.load_weights_from_keras(keras.layers.Dense(3))
    other = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    other.build((3, 6, 5), (3, 6, 5))
    with pytest.raises(ValueError, match="kernel shapes"):
        layer.load_weights_from_keras(other)


@pytest.mark.parametrize(
    "keras_kwargs, window, message",
    [
        ({"use_gate": True}, None, "use_gate=True"),
        ({"sliding_window": 2}, None, "sliding_window=2"),
        ({"sliding_window": 2}, 2, "sliding_window=2, expected sliding_wi"),
        ({}, 1, "sliding_window=None, expected sliding_window=2"),
    ],
)
def test_load_weights_from_keras_rejects_options_it_cannot_reproduce(
    keras_kwargs, window, message
):
    # A gate or a different band would make the copy compute something
    # else; the copy must refuse rather than load silently.
    mha = keras.layers.MultiHeadAttention(
        num_heads=2, key_dim=4, **keras_kwargs
    )
    mha.build(X.shape, X.shape)
    layer = MultiHeadSelfAttention(2, 4, window=window)
    layer.build(X.shape)
    with pytest.raises(ValueError, match=message):
        layer.load_weights_from_keras(mha)


# --------------------------------------------------------------------------
# NumPy references.


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize(
    "window,causal,padding",
    [(1, False, False), (2, False, True), (1, True, True), (None, True, True)],
)
# The explicit path lays out the heads differently in training and in
# inference, and the projection is one product in inference unless the
# value size differs from the key size; all must give the reference.
@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("value_dim", [None, 3])
def test_numpy_reference(impl, window, causal, padding, training, value_dim):
    layer = MultiHeadSelfAttention(2, 4, value_dim=value_dim, window=window)
    layer.build(X.shape)
    _randomize(layer)
    layer.attention_implementation = impl
    mask = PADDING if padding else None
    allowed = _allowed(mask, causal, window)
    want, want_weights = _reference(layer, X, allowed)
    got = layer(X, mask=mask, use_causal_mask=causal, training=training)
    np.testing.assert_allclose(_numpy(got), want, atol=1e-5)
    got, weights = layer(
        X,
        mask=mask,
        use_causal_mask=causal,
        return_attention_scores=True,
        training=training,
    )
    np.testing.assert_allclose(_numpy(got), want, atol=1e-5)
    np.testing.assert_allclose(_numpy(weights), want_weights, atol=1e-6)
    # Nothing outside the band, the causal triangle or the padding.
    outside = np.where(allowed[:, None], 0.0, _numpy(weights))
    assert np.all(outside == 0.0)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_fully_masked_rows_are_finite_and_zero(impl):
    layer = MultiHeadSelfAttention(2, 4)
    layer.build(X.shape)
    _randomize(layer)
    layer.attention_implementation = impl
    padding = PADDING.copy()
    padding[1] = False  # A fully padded sequence.
    attention_mask = np.ones((3, 6, 6), bool)
    attention_mask[2, 3] = False  # One query row that sees nothing.
    out = _numpy(layer(X, mask=padding, attention_mask=attention_mask))
    assert np.all(np.isfinite(out))
    bias = _numpy(layer.output_bias)
    empty = ~(_allowed(padding) & attention_mask).any(-1)
    assert empty[1].all() and empty[2, 3] and empty[0, 4]
    np.testing.assert_allclose(
        out[empty], np.broadcast_to(bias, out[empty].shape), atol=1e-6
    )
    _, scores = layer(
        X,
        mask=padding,
        attention_mask=attention_mask,
        return_attention_scores=True,
    )
    scores = np.transpose(_numpy(scores), (0, 2, 1, 3))
    assert np.all(scores[empty] == 0.0)
    np.testing.assert_allclose(scores[~empty].sum(-1), 1.0, atol=1e-6)


def test_fully_masked_rows_under_float16():
    layer = MultiHeadSelfAttention(2, 4, dtype="mixed_float16")
    padding = np.zeros((3, 6), bool)
    padding[0, :2] = True
    for impl in IMPLEMENTATIONS:
        layer.attention_implementation = impl
        out = layer(X * 100.0, mask=padding)
        assert keras.backend.standardize_dtype(out.dtype) == "float16"
        assert np.all(np.isfinite(_numpy(ops.cast(out, "float32")))), impl


def test_query_key_and_value_blocks_start_different():
    # One initializer object gives equal values for equal shapes; each block
    # of the fused kernel (and the output kernel) needs its own draw.
    layer = MultiHeadSelfAttention(2, 4)
    layer.build((None, 5, 8))
    kernel = _numpy(layer.qkv_kernel)
    blocks = [kernel[:, :8], kernel[:, 8:16], kernel[:, 16:]]
    blocks.append(_numpy(layer.output_kernel))  # (8, 8) as well.
    for i in range(len(blocks)):
        for j in range(i):
            assert not np.array_equal(blocks[i], blocks[j]), (i, j)
    # Each block keeps the Glorot scale of its own (8, 8) shape.
    limit = np.sqrt(6.0 / 16)
    for block in blocks:
        assert np.abs(block).max() <= limit and block.std() > limit / 3


def test_fused_and_explicit_paths_agree():
    layer = MultiHeadSelfAttention(2, 4, window=2)
    layer.build(X.shape)
    _randomize(layer)
    results = {}
    for impl in IMPLEMENTATIONS:
        layer.attention_implementation = impl
        results[impl] = _numpy(layer(X, mask=PADDING, use_causal_mask=True))
    np.testing.assert_allclose(results["fused"], results["explicit"], atol=1e-5)


def test_dropout_only_in_training():
    layer = MultiHeadSelfAttention(2, 4, dropout=0.5, seed=1)
    a = _numpy(layer(X, training=False))
    b = _numpy(layer(X, training=False))
    np.testing.assert_array_equal(a, b)
    c = _numpy(layer(X, training=True))
    assert np.max(np.abs(a - c)) > 1e-3
    _, scores = layer(X, training=True, return_attention_scores=True)
    # Scores are reported before dropout.
    np.testing.assert_allclose(_numpy(scores).sum(-1), 1.0, atol=1e-5)


def test_mask_from_embedding_reaches_output():
    ids = np.array([[3, 4, 5, 0, 0, 0], [1, 2, 3, 4, 5, 6]])
    inputs = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(10, 8, mask_zero=True)(inputs)
    h = MultiHeadSelfAttention(2, 4)(h)
    # The pooling averages only the steps the propagated mask keeps.
    pooled = keras.layers.GlobalAveragePooling1D()(h)
    model = keras.Model(inputs, [h, pooled])
    seq, got = (_numpy(t) for t in model(ids))
    want = np.stack([seq[0, :3].mean(0), seq[1].mean(0)])
    np.testing.assert_allclose(got, want, atol=1e-5)
    symbolic = MultiHeadSelfAttention(2, 4)(
        keras.Input((6, 8)), return_attention_scores=True
    )
    assert tuple(symbolic[1].shape) == (None, 2, 6, 6)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"num_heads": 0, "key_dim": 4}, "num_heads=0"),
        ({"num_heads": 2, "key_dim": -1}, "key_dim=-1"),
        ({"num_heads": 2, "key_dim": 4, "window": 0}, "window=0"),
        ({"num_heads": 2, "key_dim": 4, "value_dim": 0}, "value_dim=0"),
        ({"num_heads": 2, "key_dim": 4, "dropout": 1.5}, "dropout=1.5"),
        ({"num_heads": 2, "key_dim": 4, "output_dim": 0}, "output_dim=0"),
        ({"num_heads": 2.5, "key_dim": 4}, "num_heads=2.5"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MultiHeadSelfAttention(**kwargs)


def test_output_shape_points_to_output_dim():
    with pytest.raises(
        ValueError,
        match=re.escape(
            "`output_shape` is named `output_dim` here (an integer). "
            "Received: output_shape=6"
        ),
    ):
        MultiHeadSelfAttention(2, 4, output_shape=6)


def test_bad_input_rank_and_implementation():
    with pytest.raises(ValueError, match="rank 3"):
        MultiHeadSelfAttention(2, 4)(np.zeros((2, 8), "float32"))
    # After build, another rank or width is Keras' input-spec error (it
    # used to be the backend's error from a matrix product).
    built = MultiHeadSelfAttention(2, 4)
    built(np.zeros((2, 5, 8), "float32"))
    with pytest.raises(ValueError, match=r"axis -1 .* value 8.*\(2, 5, 6\)"):
        built(np.zeros((2, 5, 6), "float32"))
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=4"):
        built(np.zeros((2, 5, 3, 8), "float32"))
    layer = MultiHeadSelfAttention(2, 4)
    layer.attention_implementation = "flash"
    with pytest.raises(ValueError, match="attention_implementation='flash'"):
        layer(X)


@pytest.mark.parametrize("shape", [(3, 6), (3, 6, 7), (2, 6, 6), (3, 1, 6, 6)])
def test_attention_mask_of_wrong_shape_is_rejected(shape):
    # A (batch, T) mask would broadcast against the heads axis and mask
    # the wrong examples; it must be an error, not a silent result.
    layer = MultiHeadSelfAttention(2, 4)
    with pytest.raises(
        ValueError, match=rf"attention_mask.shape={re.escape(str(shape))}"
    ):
        layer(X, attention_mask=np.ones(shape, bool))
    if shape[1:] == (6, 6):
        return  # Only the batch size is wrong, unknown symbolically.
    # Symbolically too: the model used to build and fail in `predict`.
    inputs = keras.Input((6, 8))
    with pytest.raises(
        ValueError,
        match=rf"attention_mask.shape={re.escape(str((None,) + shape[1:]))}",
    ):
        layer(inputs, attention_mask=keras.Input(shape[1:], dtype="bool"))


@pytest.mark.parametrize("shape", [(3, 6, 8), (3, 5), (3,)])
def test_padding_mask_of_wrong_shape_is_rejected(shape):
    # `layer(x, x)`, the call of keras.layers.MultiHeadAttention, puts the
    # second `x` in `mask`; it used to fail deep in the attention product
    # eagerly and to build a functional model that failed in `predict`.
    layer = MultiHeadSelfAttention(2, 4)
    with pytest.raises(
        ValueError, match=rf"mask.shape={re.escape(str(shape))}"
    ):
        layer(X, np.ones(shape, bool))
    inputs = keras.Input((6, 8))
    with pytest.raises(ValueError, match="call it as `layer\\(x\\)`"):
        layer(inputs, inputs)


def test_attention_mask_broadcasts_over_batch():
    layer = MultiHeadSelfAttention(2, 4)
    causal = np.tril(np.ones((6, 6), bool))
    got = _numpy(layer(X, attention_mask=causal[None]))
    want = _numpy(layer(X, use_causal_mask=True))
    np.testing.assert_allclose(got, want, atol=1e-6)


@pytest.mark.parametrize("implementation", ["explicit", "fused"])
def test_zero_length_sequence_gives_an_empty_output(implementation):
    # As keras.layers.MultiHeadAttention; it used to fail on TensorFlow and
    # JAX inside the masked softmax.
    layer = MultiHeadSelfAttention(2, 4)
    layer.attention_implementation = implementation
    x = np.zeros((2, 0, 8), "float32")
    assert tuple(layer(x, use_causal_mask=True).shape) == (2, 0, 8)
    assert tuple(layer(x, mask=np.zeros((2, 0), bool)).shape) == (2, 0, 8)
    output, scores = layer(x, return_attention_scores=True)
    assert tuple(output.shape) == (2, 0, 8)
    assert tuple(scores.shape) == (2, 2, 0, 0)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_empty_batch_gives_an_empty_output(implementation):
    # As keras.layers.MultiHeadAttention; the explicit path used to fail on
    # TensorFlow and PyTorch inside the masked softmax.
    layer = MultiHeadSelfAttention(2, 4)
    layer.attention_implementation = implementation
    x = np.zeros((0, 6, 8), "float32")
    mask = np.zeros((0, 6), bool)
    assert tuple(layer(x, mask=mask, use_causal_mask=True).shape) == (0, 6, 8)
    _, scores = layer(x, mask=mask, return_attention_scores=True)
    assert tuple(scores.shape) == (0, 2, 6, 6)


def test_float64_policy_computes_in_float64_on_both_paths():
    probe = ops.ones((2, 2), dtype="float64")
    product = ops.einsum("ij,jk->ik", probe, probe)
    if keras.backend.standardize_dtype(product.dtype) != "float64":
        pytest.skip("no float64 on this backend (JAX without x64)")
    layer = MultiHeadSelfAttention(2, 4, dtype="float64")
    x = X.astype("float64")
    layer.build(x.shape)
    _randomize(layer)
    want, _ = _reference(layer, x, _allowed(PADDING))
    for impl in IMPLEMENTATIONS:
        layer.attention_implementation = impl
        got = layer(x, mask=PADDING)
        assert keras.backend.standardize_dtype(got.dtype) == "float64"
        # Keras' fused kernel computed in float32 on PyTorch: off by 1e-7.
        np.testing.assert_allclose(_numpy(got), want, rtol=0, atol=1e-12)


def test_attention_mask_as_nested_list():
    # As keras.layers.MultiHeadAttention, which converts it.
    layer = MultiHeadSelfAttention(2, 4)
    causal = np.tril(np.ones((6, 6), bool))[None]
    want = _numpy(layer(X, attention_mask=causal))
    got = _numpy(layer(X, attention_mask=causal.tolist()))
    np.testing.assert_array_equal(got, want)


def test_activity_regularizer_sees_the_output_only():
    # Asking for the attention weights must not change the training loss.
    layer = MultiHeadSelfAttention(2, 4, activity_regularizer="l2")
    output = _numpy(layer(X))
    want = 0.01 * np.sum(output.astype("float64") ** 2) / len(X)
    for scores in (False, True):
        layer(X, return_attention_scores=scores)
        assert len(layer.losses) == 1, scores
        np.testing.assert_allclose(_numpy(layer.losses[0]), want, rtol=1e-5)
    copy = MultiHeadSelfAttention.from_config(layer.get_config())
    copy(X, return_attention_scores=True)
    assert len(copy.losses) == 1


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("training", [False, True])
def test_integer_features_are_cast_to_the_compute_dtype(
    implementation, training
):
    # They failed on PyTorch alone, in the query/key/value projection.
    x = np.arange(36, dtype="int32").reshape(3, 3, 4) % 5
    mask = np.array([[1, 1, 0], [1, 1, 1], [0, 0, 0]], bool)
    layer = MultiHeadSelfAttention(2, 2)
    layer.attention_implementation = implementation
    for features in (x, x.astype(bool)):
        out = layer(features, mask=mask, training=training)
        assert keras.backend.standardize_dtype(out.dtype) == "float32"
        expected = layer(
            features.astype("float32"), mask=mask, training=training
        )
        np.testing.assert_allclose(_numpy(out), _numpy(expected))

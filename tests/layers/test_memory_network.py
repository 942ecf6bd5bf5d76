import keras
import numpy as np
import pytest

from keras_memattn.layers import MemoryNetwork
from keras_memattn.layers.memory_network import position_encoding
from keras_memattn.ops import QuantizationConfig
from tests.harness import run_layer_test

VOCAB = 9
FIXED8 = QuantizationConfig("fixed_point", word_length=8, integer_bits=3)
BINARY = QuantizationConfig("binary")
ACCUMULATE = QuantizationConfig(
    "fixed_point",
    integer_bits=3,
    accumulator="fixed_point",
    tensor_formats={"logits": {"integer_bits": 1}},
)
PER_TENSOR = QuantizationConfig(
    "fixed_point",
    word_length=8,
    integer_bits=3,
    tensor_formats={
        "weights": {"integer_bits": 1},
        "memory": {"word_length": 6, "integer_bits": 2},
        "logits": {"integer_bits": 4},
        "read": {"mode": "binary"},
    },
)


def _data(batch=3, facts=4, words=3, query_words=2, seed=0):
    rng = np.random.default_rng(seed)
    story = rng.integers(1, VOCAB, (batch, facts, words)).astype("int32")
    story[:, :, -1] = 0  # Padded words.
    story[0, 2:] = 0  # Empty facts after the story.
    story[1, :1] = 0  # An empty fact before the story.
    query = rng.integers(1, VOCAB, (batch, query_words)).astype("int32")
    return [story, query]


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), dtype="float64")


# --------------------------------------------------------------------------
# NumPy reference of the forward pass.


def _np_fixed(x, n=8, i=3):
    f = n - 1 - i
    code = np.minimum(np.round(np.abs(x) * 2.0**f), 2.0 ** (n - 1) - 1)
    return np.where(x >= 0, 1.0, -1.0) * code / 2.0**f


def _np_quantize(x, config):
    if config is None:
        return x
    if config.mode == "binary":
        return np.where(x >= 0, 1.0, -1.0)
    return _np_fixed(x, config.word_length, config.integer_bits)


def _np_hamming(u, m, n, i, scale):
    # u (b, d), m (b, f, d): bits of the quantized magnitudes, MSB first.
    su, sm = np.where(u >= 0, 1, -1), np.where(m >= 0, 1, -1)
    sign = su[:, None, :] * sm
    if n == 1:
        return scale * sign.sum(-1)
    f = n - 1 - i
    cu = np.round(np.abs(_np_fixed(u, n, i)) * 2**f).astype(int)
    cm = np.round(np.abs(_np_fixed(m, n, i)) * 2**f).astype(int)
    agree = np.zeros(sign.shape)
    for k in range(n - 1):  # Bit k has weight 2^-(n-1-k).
        bu = (cu[:, None, :] >> k) & 1
        bm = (cm >> k) & 1
        agree += 2.0 ** -(n - 1 - k) * (bu == bm)
    return scale * (sign * agree).sum(-1)


def _np_fixed_dot(u, m, n, i):
    bound = (2.0 ** (n - 1) - 1) / 2.0 ** (n - 1 - i)
    products = _np_fixed(u[:, None, :] * m, n, i)
    total = products[..., 0]
    for d in range(1, products.shape[-1]):
        total = np.clip(total + products[..., d], -bound, bound)
    return total


def _np_softmax(z, mask):
    z = np.where(mask, z, -np.inf)
    z = z - z.max(-1, keepdims=True)
    e = np.where(mask, np.exp(z), 0.0)
    return e / e.sum(-1, keepdims=True)


def _np_forward(layer, story, query):
    config = layer.quantization
    d = layer.embedding_dim

    def fmt(tensor):
        return None if config is None else config.for_tensor(tensor)

    def w(v):
        return _np_quantize(_np(v), fmt("weights"))

    def bag(table, ids):
        e = table[ids] * (ids != 0)[..., None]
        if layer.position_encoding:
            e = e * position_encoding(ids.shape[-1], d)
        return e.sum(-2)

    mask = (story != 0).any(-1)
    later = np.cumsum(mask[:, ::-1], -1)[:, ::-1] - mask
    age = np.minimum(later, layer._memory_rows - 1)

    def memory(table, temporal):
        m = bag(w(table), story)
        if layer.temporal_encoding:
            m = m + w(temporal)[age]
        return _np_quantize(m, fmt("memory"))

    if layer.weight_tying == "layerwise":
        keys = memory(layer.key_embeddings, getattr(layer, "key_temporal", 0))
        values = memory(
            layer.value_embeddings, getattr(layer, "value_temporal", 0)
        )
        hops = [(keys, values)] * layer.num_hops
        u = _np_quantize(bag(w(layer.query_embeddings), query), fmt("state"))
        h = w(layer.hop_kernel)
    else:
        temporal = getattr(layer, "hop_temporal", [0] * (layer.num_hops + 1))
        emb = [memory(t, tt) for t, tt in zip(layer.hop_embeddings, temporal)]
        hops = list(zip(emb[:-1], emb[1:]))
        u = _np_quantize(bag(w(layer.hop_embeddings[0]), query), fmt("state"))
        h = np.eye(d)
    scores = []
    for keys, values in hops:
        accumulate = (
            config is not None
            and fmt("logits").mode == "fixed_point"
            and config.accumulator == "fixed_point"
        )
        if layer.similarity == "dot" and accumulate:
            logits = fmt("logits")
            z = _np_fixed_dot(u, keys, logits.word_length, logits.integer_bits)
        elif layer.similarity == "dot":
            z = np.einsum("bd,bfd->bf", u, keys)
        else:
            n = fmt("memory").bits if config is not None else 8
            i = fmt("memory").integer_bits if config is not None else 3
            z = _np_hamming(u, keys, n, i, layer.hamming_scale)
        if config is not None and fmt("logits").mode == "fixed_point":
            z = _np_quantize(z, fmt("logits"))
        p = _np_softmax(z, mask)
        if layer.linear_start:
            gate = float(_np(layer.attention_softmax))
            p = gate * p + (1.0 - gate) * np.where(mask, z, 0.0)
        scores.append(p)
        o = _np_quantize(np.einsum("bf,bfd->bd", p, values), fmt("read"))
        u = u @ h + o
        if layer.relu_units:
            u[:, d - layer.relu_units :] = np.maximum(
                u[:, d - layer.relu_units :], 0.0
            )
        u = _np_quantize(u, fmt("state"))
    return u @ _np(layer._answer_kernel()), np.stack(scores, 1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"weight_tying": "adjacent"},
        {"position_encoding": False, "temporal_encoding": False},
        {"quantization": FIXED8},
        {"quantization": FIXED8, "similarity": "hamming"},
        {"similarity": "hamming", "weight_tying": "adjacent"},
        {"quantization": BINARY, "similarity": "hamming"},
        {"quantization": BINARY, "weight_tying": "adjacent"},
        {"quantization": PER_TENSOR, "similarity": "hamming"},
        {"quantization": PER_TENSOR, "weight_tying": "adjacent"},
        {"quantization": ACCUMULATE},
        {"linear_start": True},
        {"linear_start": True, "quantization": FIXED8},
        {"tie_answer": True},
        {"tie_answer": True, "weight_tying": "adjacent"},
        {"relu_units": 3},
        {"relu_units": 6, "weight_tying": "adjacent"},
        {"relu_units": 2, "quantization": FIXED8, "similarity": "hamming"},
    ],
    ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()) or "float",
)
def test_matches_numpy_reference(kwargs):
    if "quantization" in kwargs:
        # Grid values times position weights land exactly on rounding ties,
        # which float32 and float64 break differently; without position
        # encoding every quantized sum and product is exact.
        kwargs = dict(kwargs, position_encoding=False)
    story, query = _data()
    layer = MemoryNetwork(
        VOCAB,
        6,
        num_hops=2,
        embeddings_initializer=keras.initializers.RandomNormal(stddev=0.5),
        **kwargs,
    )
    for flag in (0.0, 1.0) if kwargs.get("linear_start") else (None,):
        if flag is not None:
            if not layer.built:
                layer.build([story.shape, query.shape])
            layer.attention_softmax.assign(flag)
        out, scores = layer([story, query], return_attention_scores=True)
        want_out, want_scores = _np_forward(layer, story, query)
        np.testing.assert_allclose(_np(scores), want_scores, atol=1e-5)
        np.testing.assert_allclose(_np(out), want_out, atol=1e-4)


# --------------------------------------------------------------------------
# Shared harness.


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {
            "weight_tying": "adjacent",
            "similarity": "hamming",
            "quantization": FIXED8,
            "output_dim": 3,
        },
        {
            "linear_start": True,
            "temporal_noise": 0.3,
            "seed": 1,
            "relu_units": 2,
        },
        {"tie_answer": True, "weight_tying": "adjacent"},
    ],
    ids=["float", "qmann-fixed8", "linear-start-noise-relu", "tied-answer"],
)
def test_layer_harness(kwargs):
    init = {"vocabulary_size": VOCAB, "embedding_dim": 4, "num_hops": 2}
    init.update(kwargs)
    story, query = _data()
    hops = init["num_hops"]
    if init.get("weight_tying") == "adjacent":
        expected_weights = 2 * (hops + 1) + 1
    else:
        expected_weights = 7
    if init.get("tie_answer"):
        expected_weights -= 1
    run_layer_test(
        MemoryNetwork,
        init,
        input_data=[story, query],
        expected_output_shape=(3, init.get("output_dim", VOCAB)),
        expected_num_trainable_weights=expected_weights,
        expected_num_non_trainable_weights=int(init.get("linear_start", False)),
    )


# --------------------------------------------------------------------------
# Behaviour.


def test_empty_facts_get_no_attention_and_padding_side_does_not_matter():
    story, query = _data()
    layer = MemoryNetwork(VOCAB, 5, num_hops=3)
    out, scores = layer([story, query], return_attention_scores=True)
    scores = _np(scores)
    empty = ~(story != 0).any(-1)
    assert np.all(scores[np.broadcast_to(empty[:, None], scores.shape)] == 0)
    np.testing.assert_allclose(scores.sum(-1), 1.0, atol=1e-6)
    # Moving the empty facts behind the real ones (same order of real facts)
    # changes neither the answer nor the temporal encoding.
    moved = np.stack(
        [np.concatenate([s[~e], s[e]]) for s, e in zip(story, empty)]
    )
    out2 = layer([moved, query])
    np.testing.assert_allclose(_np(out2), _np(out), atol=1e-5)


def test_story_without_facts_is_finite():
    story, query = _data()
    story[2] = 0
    for kwargs in ({}, {"quantization": FIXED8, "similarity": "hamming"}):
        out = MemoryNetwork(VOCAB, 4, **kwargs)([story, query])
        assert np.all(np.isfinite(_np(out)))


def test_temporal_encoding_changes_with_fact_order():
    story, query = _data()
    layer = MemoryNetwork(VOCAB, 4, position_encoding=False)
    out = _np(layer([story, query]))
    swapped = story[:, [1, 0, 2, 3]]
    # Row 2 has four real facts; swapping two of them changes their ages.
    assert not np.allclose(_np(layer([swapped, query]))[2], out[2])
    plain = MemoryNetwork(
        VOCAB, 4, position_encoding=False, temporal_encoding=False
    )
    np.testing.assert_allclose(
        _np(plain([swapped, query]))[2],
        _np(plain([story, query]))[2],
        atol=1e-5,
    )


def test_memory_size_limits_temporal_table():
    story, query = _data(facts=6)
    layer = MemoryNetwork(VOCAB, 4, memory_size=3)
    layer([story, query])
    assert tuple(layer.key_temporal.shape) == (3, 4)


def test_hamming_logits_are_bounded():
    story, query = _data()
    layer = MemoryNetwork(
        VOCAB,
        8,
        similarity="hamming",
        hamming_scale=0.25,
        embeddings_initializer=keras.initializers.RandomNormal(stddev=100.0),
    )
    # With a huge embedding the attention is still a softmax of logits in
    # (-kappa D, kappa D): no weight can exceed e^(2 kappa D) times another.
    _, scores = layer([story, query], return_attention_scores=True)
    scores = _np(scores)[2]
    ratio = scores.max(-1) / scores.min(-1)
    assert np.all(ratio <= np.exp(2 * 0.25 * 8) * (1 + 1e-4))


def test_sequential_functional_use_and_compute_output_spec():
    story = keras.Input((5, 4), dtype="int32")
    query = keras.Input((3,), dtype="int32")
    out, scores = MemoryNetwork(VOCAB, 4, num_hops=2)(
        [story, query], return_attention_scores=True
    )
    assert tuple(out.shape) == (None, VOCAB)
    assert tuple(scores.shape) == (None, 2, 5)


@pytest.mark.skipif(
    keras.backend.backend() == "jax",
    reason="JAX computes in float32 unless jax_enable_x64 is set",
)
def test_float64_layer_answers_in_float64():
    # On PyTorch, Keras' matmul of two float64 tensors returned float32.
    layer = MemoryNetwork(VOCAB, 4, num_hops=2, dtype="float64")
    story = np.array([[[1, 2, 3], [4, 5, 0]]])
    query = np.array([[6, 2, 0]])
    answer, scores = layer([story, query], return_attention_scores=True)
    for tensor in (answer, scores):
        assert keras.backend.standardize_dtype(tensor.dtype) == "float64"


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"vocabulary_size": 0}, "vocabulary_size"),
        ({"embedding_dim": -1}, "embedding_dim"),
        ({"num_hops": 0}, "num_hops"),
        ({"output_dim": 0}, "output_dim"),
        ({"memory_size": 0}, "memory_size"),
        ({"similarity": "euclidean"}, "similarity"),
        ({"quantization": "int4"}, "quantization"),
        ({"weight_tying": "none"}, "weight_tying"),
        ({"hamming_scale": 0.0}, "hamming_scale"),
        ({"hamming_scale": float("inf")}, "hamming_scale"),
        ({"temporal_noise": 1.0}, "temporal_noise"),
        ({"tie_answer": True, "output_dim": 3}, "output_dim"),
        ({"temporal_noise": -0.1}, "temporal_noise"),
        ({"relu_units": -1}, "relu_units"),
        ({"relu_units": 1.5}, "relu_units"),
        ({"relu_units": 5}, "relu_units"),
        ({"seed": "a"}, "seed"),
        ({"seed": 1.5, "temporal_noise": 0.1}, "seed"),
        (
            {
                "quantization": QuantizationConfig(accumulator="fixed_point"),
                "similarity": "hamming",
            },
            "quantization",
        ),
        ({"quantization": {"bits": 4}}, "quantization"),
    ],
)
def test_bad_arguments(kwargs, name):
    init = {"vocabulary_size": VOCAB, "embedding_dim": 4}
    init.update(kwargs)
    with pytest.raises(ValueError, match=f"Received: {name}="):
        MemoryNetwork(**init)


def test_bad_input_ranks():
    layer = MemoryNetwork(VOCAB, 4)
    with pytest.raises(ValueError, match="story"):
        layer([np.ones((2, 3), "int32"), np.ones((2, 3), "int32")])
    with pytest.raises(ValueError, match=r"\[story, query\]"):
        MemoryNetwork(VOCAB, 4)(np.ones((2, 3, 4), "int32"))


def test_temporal_noise_only_acts_in_training():
    story, query = _data(batch=8, facts=6)
    story[:, :, 0] = 1  # No empty facts.
    noisy = MemoryNetwork(VOCAB, 4, temporal_noise=0.5, seed=3)
    plain = MemoryNetwork(VOCAB, 4)
    noisy_out = _np(noisy([story, query]))  # Inference: no noise.
    plain([story, query])
    plain.set_weights(noisy.get_weights())
    np.testing.assert_allclose(noisy_out, _np(plain([story, query])), 1e-6)
    first, second = (
        _np(noisy([story, query], training=True)) for _ in range(2)
    )
    assert not np.allclose(first, noisy_out, atol=1e-4)
    assert not np.allclose(first, second, atol=1e-4)


def test_temporal_noise_inserts_empty_memories_between_facts():
    # With linear attention and a temporal table whose row `a` is `a * e1`
    # read by the query `e1`, the attention weight of a fact is its age.
    facts, batch, rate = 5, 256, 0.3
    story = np.ones((batch, facts, 1), "int32")
    query = np.ones((batch, 1), "int32")
    layer = MemoryNetwork(
        2,
        3,
        num_hops=1,
        memory_size=2 * facts,
        position_encoding=False,
        linear_start=True,
        temporal_noise=rate,
        seed=0,
    )
    layer([story, query])
    e1 = np.array([1.0, 0.0, 0.0], "float32")
    layer.query_embeddings.assign(np.stack([0 * e1, e1]))
    layer.key_embeddings.assign(np.zeros((2, 3), "float32"))
    layer.key_temporal.assign(np.arange(2 * facts)[:, None] * e1)

    def ages(training):
        _, scores = layer(
            [story, query], training=training, return_attention_scores=True
        )
        return np.round(_np(scores)[:, 0]).astype(int)

    np.testing.assert_array_equal(
        ages(False), np.tile(np.arange(facts)[::-1], (batch, 1))
    )
    noisy = ages(True)
    assert (noisy[:, -1] == 0).all()  # Nothing comes after the last fact.
    steps = noisy[:, :-1] - noisy[:, 1:]  # 1, or 2 with an empty memory.
    assert set(np.unique(steps)) == {1, 2}
    inserted = (steps == 2).mean()
    assert abs(inserted - rate) < 0.05, inserted


def _linear_start_model():
    """A compiled linear-start MemoryNetwork model, its layer and data."""
    story, query = _data(batch=8)
    story_in = keras.Input(story.shape[1:], dtype="int32")
    query_in = keras.Input(query.shape[1:], dtype="int32")
    layer = MemoryNetwork(VOCAB, 4, linear_start=True)
    model = keras.Model([story_in, query_in], layer([story_in, query_in]))
    model.compile(
        "adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    return model, layer, (story, query), np.arange(8) % VOCAB


def test_linear_start_callback_inserts_the_softmax():
    from keras_memattn.callbacks import LinearStart

    model, layer, (story, query), labels = _linear_start_model()
    callback = LinearStart(monitor="loss", max_linear_epochs=2)
    model.fit([story, query], labels, epochs=4, callbacks=[callback], verbose=0)
    assert callback.switch_epoch == 2
    # The flag survives the end of `fit` (no stale copy written back).
    assert float(_np(layer.attention_softmax)) == 1.0
    _, scores = layer([story, query], return_attention_scores=True)
    np.testing.assert_allclose(_np(scores).sum(-1)[:2], 1.0, atol=1e-5)

    # Training on leaves the switched model alone.
    again = LinearStart(monitor="loss", max_linear_epochs=1)
    model.fit([story, query], labels, epochs=1, callbacks=[again], verbose=0)
    assert again.switch_epoch is None


def test_linear_start_counts_epochs_across_fit_calls():
    from keras_memattn.callbacks import LinearStart

    model, layer, (story, query), labels = _linear_start_model()
    callback = LinearStart(monitor="loss", patience=5, max_linear_epochs=2)
    for _ in range(3):  # one epoch per call, as chunked training does
        model.fit(
            [story, query], labels, epochs=1, callbacks=[callback], verbose=0
        )
    assert callback.switch_epoch == 2
    assert float(_np(layer.attention_softmax)) == 1.0


def test_linear_start_mode_follows_the_metric_name():
    from keras_memattn.callbacks import LinearStart

    assert LinearStart(monitor="val_auc").mode == "max"
    assert LinearStart(monitor="val_top_3_accuracy").mode == "max"
    assert LinearStart(monitor="val_loss").mode == "min"
    with pytest.raises(ValueError, match="monitor=None"):
        LinearStart(monitor=None)


def test_linear_start_callback_errors():
    from keras_memattn.callbacks import LinearStart

    story, query = _data(batch=4)
    story_in = keras.Input(story.shape[1:], dtype="int32")
    query_in = keras.Input(query.shape[1:], dtype="int32")
    plain = keras.Model(
        [story_in, query_in], MemoryNetwork(VOCAB, 4)([story_in, query_in])
    )
    plain.compile("adam", "sparse_categorical_crossentropy")
    labels = np.zeros(4)
    with pytest.raises(ValueError, match="linear_start=True"):
        plain.fit([story, query], labels, callbacks=[LinearStart()], verbose=0)
    model = keras.Model(
        [story_in, query_in],
        MemoryNetwork(VOCAB, 4, linear_start=True)([story_in, query_in]),
    )
    model.compile(
        "adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    with pytest.raises(ValueError, match="val_loss"):
        model.fit([story, query], labels, callbacks=[LinearStart()], verbose=0)
    with pytest.raises(ValueError, match="Received: patience=0"):
        LinearStart(patience=0)


def test_tied_answer_layer_is_the_last_value_embedding():
    story, query = _data()
    layer = MemoryNetwork(
        VOCAB, 4, num_hops=2, weight_tying="adjacent", tie_answer=True
    )
    layer([story, query])
    assert not hasattr(layer, "answer_kernel")
    np.testing.assert_array_equal(
        _np(layer._answer_kernel()), _np(layer.hop_embeddings[-1]).T
    )
    layerwise = MemoryNetwork(VOCAB, 4, tie_answer=True)
    layerwise([story, query])
    np.testing.assert_array_equal(
        _np(layerwise._answer_kernel()), _np(layerwise.value_embeddings).T
    )


@pytest.mark.parametrize("bad_id", [VOCAB, -1])
def test_word_ids_out_of_range_are_rejected(bad_id):
    story, query = _data()
    layer = MemoryNetwork(VOCAB, 4)
    layer([story, query])
    bad_story = story.copy()
    bad_story[0, 0, 0] = bad_id
    with pytest.raises(ValueError, match=r"`story`.*vocabulary_size=9"):
        layer([bad_story, query])
    bad_query = query.copy()
    bad_query[1, 0] = bad_id
    with pytest.raises(ValueError, match=r"`query`.*vocabulary_size=9"):
        layer([story, bad_query])


def test_word_ids_out_of_range_in_a_compiled_call_count_as_padding():
    story, query = _data()
    inputs = [
        keras.Input((4, 3), dtype="int32"),
        keras.Input((2,), dtype="int32"),
    ]
    model = keras.Model(inputs, MemoryNetwork(VOCAB, 4)(inputs))
    bad_story = story.copy()
    bad_story[0, 0, 0] = VOCAB + 3
    bad_story[2, 1, 1] = -2
    # A fact whose only word is out of range is an empty memory slot: no
    # attention weight and no temporal age.
    bad_story[1, 2] = [VOCAB + 1, 0, 0]
    if keras.backend.backend() == "torch":
        # PyTorch runs `predict` eagerly, where the ids are checked.
        with pytest.raises(ValueError, match="vocabulary_size"):
            model.predict([bad_story, query], verbose=0)
        return
    got = model.predict([bad_story, query], verbose=0)
    padded = bad_story.copy()
    padded[0, 0, 0] = 0
    padded[2, 1, 1] = 0
    padded[1, 2] = 0
    want = model.predict([padded, query], verbose=0)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_int64_ids_beyond_int32_in_a_compiled_call_count_as_padding():
    if keras.backend.backend() == "jax":
        pytest.skip("JAX holds no int64 ids without x64.")
    story, query = _data()
    story, query = story.astype("int64"), query.astype("int64")
    inputs = [
        keras.Input((4, 3), dtype="int64"),
        keras.Input((2,), dtype="int64"),
    ]
    model = keras.Model(inputs, MemoryNetwork(VOCAB, 4)(inputs))
    bad_story = story.copy()
    # Both wrap onto the valid id 3 in int32.
    bad_story[0, 0, 0] = 2**32 + 3
    bad_story[2, 1, 1] = -(2**32) + 3
    bad_query = query.copy()
    bad_query[1, 0] = 2**32 + 3
    if keras.backend.backend() == "torch":
        # PyTorch runs `predict` eagerly, where the ids are checked.
        with pytest.raises(ValueError, match="vocabulary_size"):
            model.predict([bad_story, bad_query], verbose=0)
        return
    got = model.predict([bad_story, bad_query], verbose=0)
    padded_story, padded_query = bad_story.copy(), bad_query.copy()
    padded_story[0, 0, 0] = 0
    padded_story[2, 1, 1] = 0
    padded_query[1, 0] = 0
    want = model.predict([padded_story, padded_query], verbose=0)
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_story_and_query_batch_sizes_must_match():
    story, query = _data()
    with pytest.raises(
        ValueError, match=r"same batch size.*query.shape=\(1, 2\)"
    ):
        MemoryNetwork(VOCAB, 4)([story, query[:1]])


def test_a_single_tensor_is_rejected_after_build():
    story, query = _data()
    layer = MemoryNetwork(VOCAB, 4)
    layer([story, query])
    with pytest.raises(ValueError, match=r"inputs=\[story, query\]"):
        layer(story)


def test_a_single_symbolic_tensor_is_rejected_after_build():
    layer = MemoryNetwork(VOCAB, 4)
    layer(
        [keras.Input((4, 3), dtype="int32"), keras.Input((2,), dtype="int32")]
    )
    with pytest.raises(ValueError, match=r"inputs=\[story, query\]"):
        layer(keras.Input((4, 3), dtype="int32"))


def test_story_without_facts_reads_zero():
    # A story of zero facts used to fail in the masked softmax. It reads a
    # zero vector, as a story of padding only does.
    layer = MemoryNetwork(8, 4, memory_size=2)
    query = np.array([[1, 2]], "int32")
    empty = _np(layer([np.zeros((1, 0, 3), "int32"), query]))
    padding = _np(layer([np.zeros((1, 2, 3), "int32"), query]))
    np.testing.assert_allclose(empty, padding, atol=1e-6)

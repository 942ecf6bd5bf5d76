import os
import re
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from keras_memattn import datasets
from keras_memattn import models

TEXTS = ["a good film", "a bad film !", "great acting , good story", "dull"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def _small(encoder, **kwargs):
    encoder_kwargs = None
    if encoder == "mann":
        encoder_kwargs = {"memory_size": 4, "memory_width": 4}
    defaults = dict(
        vocab_size=20,
        num_classes=3,
        embedding_dim=8,
        units=8,
        num_heads=2,
        sequence_length=6,
        encoder_kwargs=encoder_kwargs,
    )
    defaults.update(kwargs)
    return models.text_classifier(encoder, **defaults)


def _ids(seed=0):
    ids = np.random.default_rng(seed).integers(2, 20, size=(3, 6))
    ids[0, 3:] = 0
    return ids.astype("int32")


@pytest.mark.parametrize("encoder", models.ENCODERS)
def test_every_encoder_gives_probabilities_and_ignores_padding(encoder):
    pooling = "mean" if encoder == "self_attention" else "attention"
    model = _small(encoder, pooling=pooling)
    ids = _ids()
    probs = keras.ops.convert_to_numpy(model(ids))
    assert probs.shape == (3, 3)
    assert probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)
    # What sits in the padded positions must not matter.
    other = ids.copy()
    other[1:] = _ids(seed=1)[1:]
    out = keras.ops.convert_to_numpy(model(other))
    np.testing.assert_allclose(out[0], probs[0], atol=1e-5)


@pytest.mark.parametrize("pooling", ["attention", "mean", "max", "last"])
def test_an_empty_text_gives_finite_probabilities(pooling):
    model = _small("gru", pooling=pooling)
    probs = keras.ops.convert_to_numpy(model(np.zeros((2, 6), "int32")))
    assert np.isfinite(probs).all()
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    "encoder, pooling, bidirectional",
    [
        ("lstm", "last", False),
        ("gru", "mean", True),
        ("wm_lstm", "last", True),
        ("lstm", "max", True),
    ],
)
def test_pooling_and_bidirectional_variants(encoder, pooling, bidirectional):
    model = _small(encoder, pooling=pooling, bidirectional=bidirectional)
    encoder_layer = model.get_layer("encoder")
    assert isinstance(encoder_layer, keras.layers.Bidirectional) == (
        bidirectional
    )
    ids = _ids()
    full = keras.ops.convert_to_numpy(model(ids))
    # The padded row gives the same output as the unpadded prefix alone.
    prefix_model = _small(
        encoder,
        pooling=pooling,
        bidirectional=bidirectional,
        sequence_length=None,
    )
    prefix_model.set_weights(model.get_weights())
    assert full.shape == (3, 3)
    short = keras.ops.convert_to_numpy(prefix_model(ids[:1, :3]))
    np.testing.assert_allclose(short[0], full[0], atol=1e-5)


def _reload_and_compare(model, vectorizer, tmp_path, texts):
    """Saves and reloads `model`; its revived vectorizer and outputs match.

    Returns `(loaded_model, ids)` with `ids` the revived vectorizer's
    encoding of `texts`.
    """
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    revived = models.get_vectorizer(loaded)
    assert revived.get_config() == vectorizer.get_config()
    ids = revived(texts)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(ids)),
        keras.ops.convert_to_numpy(model(ids)),
        atol=1e-6,
    )
    return loaded, ids


def test_saved_model_carries_vectorizer_and_class_names(tmp_path):
    vectorizer = datasets.TextVectorizer().fit(TEXTS)
    model = models.text_classifier(
        "gru",
        embedding_dim=8,
        units=8,
        pooling="attention",
        vectorizer=vectorizer,
        class_names=["neg", "pos"],
    )
    assert model.input_shape == (None, vectorizer.sequence_length)
    assert model.get_layer("embedding").input_dim == vectorizer.vocabulary_size
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(vectorizer(TEXTS), np.array([1, 0, 1, 0]), epochs=1, verbose=0)
    loaded, _ = _reload_and_compare(
        model, vectorizer, tmp_path, ["a good story", "dull film"]
    )
    assert models.get_class_names(loaded) == ["neg", "pos"]
    assert models.get_vectorizer(_small("lstm")) is None


def test_subword_model_takes_ngram_ids_and_round_trips(tmp_path):
    vectorizer = datasets.TextVectorizer(
        subword_ngrams=(2, 4), subword_buckets=64, max_subwords=5
    ).fit(TEXTS)
    model = models.text_classifier(
        "lstm",
        embedding_dim=8,
        units=8,
        pooling="mean",
        vectorizer=vectorizer,
        class_names=["neg", "pos"],
        wide_ngrams=2,
        wide_buckets=32,
    )
    length = vectorizer.sequence_length
    assert model.input_shape == (None, length, 6)
    embedding = model.get_layer("embedding")
    assert isinstance(embedding, models.SubwordEmbedding)
    assert embedding.num_buckets == 64
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(vectorizer(TEXTS), np.array([1, 0, 1, 0]), epochs=1, verbose=0)
    # Raw text, with words never seen in training, through the revived
    # vectorizer of the loaded model.
    _, ids = _reload_and_compare(
        model, vectorizer, tmp_path, ["a goodish story", "dullest film"]
    )
    # Padding (word id 0) hides the n-gram ids at padded positions.
    assert ids.shape[1] > 3 and (ids[0, 3:] == 0).all()
    other = ids.copy()
    other[0, 3:, 1:] = 5
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(other))[0],
        keras.ops.convert_to_numpy(model(ids))[0],
        atol=1e-5,
    )


def test_wide_part_adds_bag_of_ngram_logits():
    model = _small("gru", pooling="attention", wide_ngrams=2, wide_buckets=16)
    ids = _ids()
    probs = keras.ops.convert_to_numpy(model(ids))
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)
    # With the deep part's classifier at zero, the output is the softmax
    # of the mean of the wide embeddings of the words and bigrams.
    classifier = model.get_layer("classifier")
    classifier.set_weights([np.zeros_like(w) for w in classifier.get_weights()])
    table = keras.ops.convert_to_numpy(
        model.get_layer("wide_embedding").embeddings
    )
    ngrams = keras.ops.convert_to_numpy(model.get_layer("wide_ngrams")(ids))
    expected = []
    for row in ngrams:
        logits = table[row[row > 0]].mean(0)
        expected.append(np.exp(logits) / np.exp(logits).sum())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(ids)), expected, rtol=1e-5
    )
    # Row 0 has 3 words and 2 bigrams; the rest is padding.
    assert (ngrams[0] > 0).sum() == 5
    # An empty text gives finite probabilities.
    empty = keras.ops.convert_to_numpy(model(np.zeros((1, 6), "int32")))
    assert np.isfinite(empty).all()


def test_mixed_precision_outputs_float32():
    keras.config.set_dtype_policy("mixed_float16")
    model = _small("gru", pooling="attention")
    probs = model(_ids())
    assert keras.backend.standardize_dtype(probs.dtype) == "float32"
    assert np.isfinite(keras.ops.convert_to_numpy(probs)).all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"encoder": "cnn"}, "encoder='cnn'"),
        ({"pooling": "sum"}, "pooling='sum'"),
        ({"num_classes": 1}, "num_classes=1"),
        ({"units": 0}, "units=0"),
        ({"dropout": 1.0}, "dropout=1.0"),
        ({"encoder": "self_attention", "bidirectional": True}, "recurrent"),
        ({"encoder": "self_attention", "pooling": "last"}, "recurrent"),
        (
            {"encoder": "self_attention", "sequence_length": None},
            "sequence_length=None",
        ),
        ({"class_names": ["a", "b"]}, "len\\(class_names\\)=2"),
        ({"wide_ngrams": 0}, "wide_ngrams=0"),
        ({"wide_ngrams": 2, "wide_buckets": 0}, "wide_buckets=0"),
        ({"subword_buckets": 0}, "subword_buckets=0"),
        (
            {"encoder": "self_attention", "units": 6, "num_heads": 4},
            "units=6, num_heads=4",
        ),
        ({"encoder_kwargs": {"return_sequences": True}}, "'return_sequences'"),
        (
            {"encoder": "self_attention", "encoder_kwargs": {"key_dim": 2}},
            "'key_dim'",
        ),
        # Checked for every encoder, not only the one that uses it.
        ({"num_heads": 0}, "`num_heads` must be a positive integer. "),
        ({"num_heads": "4"}, "Received: num_heads='4'"),
        # A non-empty string would count as True.
        ({"bidirectional": "no"}, "Received: bidirectional='no'"),
    ],
)
def test_argument_errors(kwargs, match):
    arguments = dict(
        encoder="lstm", vocab_size=10, num_classes=3, sequence_length=5
    )
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=match):
        models.text_classifier(**arguments)


@pytest.mark.parametrize("encoder", ["lstm", "self_attention"])
def test_encoder_kwargs_can_name_the_encoder(encoder):
    # The self-attention encoder raised a TypeError: `name` twice.
    model = _small(encoder, encoder_kwargs={"name": "my_encoder"})
    assert "my_encoder" in [layer.name for layer in model.layers]
    assert "encoder" not in [layer.name for layer in model.layers]


def test_subword_buckets_must_match_vectorizer():
    vectorizer = datasets.TextVectorizer().fit(TEXTS)
    with pytest.raises(ValueError, match="subword_buckets=8"):
        models.text_classifier(
            "lstm", num_classes=2, vectorizer=vectorizer, subword_buckets=8
        )


def test_vocab_size_and_sequence_length_must_fit_the_vectorizer():
    vectorizer = datasets.TextVectorizer().fit(TEXTS)
    with pytest.raises(ValueError, match="vocab_size=3"):
        models.text_classifier(
            "lstm", vocab_size=3, num_classes=2, vectorizer=vectorizer
        )
    wrong = vectorizer.sequence_length + 2
    with pytest.raises(ValueError, match=f"sequence_length={wrong}"):
        models.text_classifier(
            "lstm", num_classes=2, vectorizer=vectorizer, sequence_length=wrong
        )


def test_position_embedding_rejects_longer_inputs():
    layer = models.PositionEmbedding(4)
    with pytest.raises(ValueError, match="sequence_length=4"):
        layer(np.zeros((2, 6, 3), "float32"))


def test_classification_metrics():
    metrics = models.classification_metrics(
        [0, 0, 1, 1, 2], [0, 1, 1, 1, 0], ["a", "b", "c"]
    )
    assert metrics["accuracy"] == pytest.approx(0.6)
    # F1 per class: a 0.5, b 0.8, c 0.0.
    assert metrics["macro_f1"] == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert metrics["report"]["b"]["f1-score"] == pytest.approx(0.8)
    summary = models.summarize_folds(
        [{"accuracy": 0.5, "macro_f1": 0.4}, {"accuracy": 0.7, "macro_f1": 0.6}]
    )
    assert summary["accuracy"]["mean"] == pytest.approx(0.6)
    assert summary["accuracy"]["std"] == pytest.approx(0.1)


def test_self_attention_with_a_vectorizer_without_length_says_so():
    vectorizer = datasets.TextVectorizer(vocabulary=["good", "film"])
    assert vectorizer.sequence_length is None
    with pytest.raises(ValueError, match="a vectorizer without a length"):
        models.text_classifier(
            encoder="self_attention", vectorizer=vectorizer, num_classes=2
        )


def test_classification_metrics_reject_scores_and_one_hot_labels():
    with pytest.raises(ValueError, match=r"y_pred.*not scores"):
        models.classification_metrics([0, 1, 1], [0.1, 0.9, 0.8])
    one_hot = np.eye(3)[[0, 1, 2, 2]]
    with pytest.raises(ValueError, match=r"y_true.shape=\(4, 3\)"):
        models.classification_metrics(one_hot, [0, 1, 1, 1])
    with pytest.raises(ValueError, match=r"y_true.shape=\(3,\), y_pred"):
        models.classification_metrics([0, 1, 1], [0, 1])
    # An accuracy of no examples is not 0.
    with pytest.raises(ValueError, match="hold no examples"):
        models.classification_metrics([], [])
    # A label outside `class_names` used to drop out of the macro-F1.
    with pytest.raises(
        ValueError, match=r"Labels \[2\] have no entry in `class_names`"
    ):
        models.classification_metrics([0, 1, 2, 2], [0, 1, 0, 0], ["a", "b"])
    with pytest.raises(ValueError, match="not one string"):
        models.classification_metrics([0, 1], [0, 1], "ab")
    # (n, 1) labels and whole-number floats are class ids.
    metrics = models.classification_metrics(
        np.array([[0], [1], [1]]), np.array([0.0, 1.0, 0.0])
    )
    assert metrics["accuracy"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="fold_metrics=\\[\\]"):
        models.summarize_folds([])
    with pytest.raises(ValueError, match="'macro_f1'"):
        models.summarize_folds([{"accuracy": 0.5}])
    fold = {"accuracy": 0.5, "macro_f1": 0.5}
    with pytest.raises(ValueError, match=r"fold 1 with macro_f1=nan"):
        models.summarize_folds([fold, {**fold, "macro_f1": float("nan")}])
    with pytest.raises(ValueError, match=r"fold 0 with accuracy=50.0"):
        models.summarize_folds([{**fold, "accuracy": 50.0}])


@pytest.mark.parametrize("bad", [np.inf, -np.inf, 1e20])
def test_classification_metrics_reject_labels_beyond_int64(bad):
    # They used to wrap around to -2**63 and count as a class.
    with pytest.raises(ValueError, match=r"y_true.*not scores"):
        models.classification_metrics([0.0, bad], [0, 1])


def test_classification_metrics_reject_repeated_class_names():
    # The report is keyed by name, so one class used to vanish from it.
    with pytest.raises(
        ValueError, match=re.escape("Received: class_names=['a', 'b', 'a']")
    ):
        models.classification_metrics([0, 1, 2], [0, 1, 2], ["a", "b", "a"])


@pytest.mark.parametrize("devices", ["cpu:0", []])
def test_data_parallel_rejects_a_string_or_no_devices(devices):
    if keras.backend.backend() != "jax":
        pytest.skip("data_parallel is for the JAX backend")
    with pytest.raises(ValueError, match="`devices` must be"):
        models.data_parallel(devices)


@pytest.mark.parametrize("devices", [["cpu:0", "cpu:0"], ["cpu", "cpu:0"]])
def test_data_parallel_rejects_a_repeated_device(devices):
    if keras.backend.backend() != "jax":
        pytest.skip("data_parallel is for the JAX backend")
    # A repeated device used to pass here and fail with a bare
    # AssertionError inside JAX when the first variable was created.
    with pytest.raises(ValueError, match=r"Received: devices=\['cpu"):
        models.data_parallel(devices)


def test_data_parallel_reads_a_generator_of_devices_once(monkeypatch):
    if keras.backend.backend() != "jax":
        pytest.skip("data_parallel is for the JAX backend")
    # The emptiness check used to use the generator up, leaving Keras an
    # empty list, which it reads as "every device".
    received = []
    monkeypatch.setattr(
        keras.distribution,
        "DataParallel",
        lambda devices: received.append(devices),
    )
    models.data_parallel(d for d in ["cpu:0"])
    assert received == [["cpu:0"]]


def test_memory_task_models_check_their_arguments():
    with pytest.raises(ValueError, match="story_shape=5"):
        models.babi_memory_network(10, 5, 3)
    with pytest.raises(ValueError, match=r"story_shape\[0\]=0"):
        models.babi_memory_network(10, (0, 3), 3)
    with pytest.raises(ValueError, match="query_length=0"):
        models.babi_memory_network(10, (5, 3), 0)
    model = models.babi_memory_network(10, (None, 3), 3, memory_size=8)
    # Logits in float32 under a mixed-precision policy (they were float16).
    keras.config.set_dtype_policy("mixed_float16")
    mixed = models.babi_memory_network(10, (2, 3), 3)
    assert keras.backend.standardize_dtype(mixed.output.dtype) == "float32"
    keras.config.set_dtype_policy("float32")
    assert model.input[0].shape == (None, None, 3)
    with pytest.raises(ValueError, match="return_sequences=False"):
        models.copy_model("lstm", return_sequences=False)


@pytest.mark.skipif(
    keras.backend.backend() == "jax", reason="the error is for other backends"
)
def test_data_parallel_needs_jax():
    with pytest.raises(ValueError, match="KERAS_BACKEND=jax"):
        models.data_parallel()


_DATA_PARALLEL_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import keras, numpy as np
    from keras_memattn import models

    def train(distribution):
        keras.utils.set_random_seed(0)
        rng = np.random.default_rng(0)
        ids = rng.integers(1, 30, size=(64, 8)).astype("int32")
        labels = (ids[:, 0] > 15).astype("int32")
        def build():
            model = models.text_classifier(
                "gru", vocab_size=30, num_classes=2, embedding_dim=8,
                units=8, pooling="mean", sequence_length=8)
            model.compile(keras.optimizers.SGD(0.5),
                          "sparse_categorical_crossentropy")
            model.fit(ids, labels, batch_size=16, epochs=2, shuffle=False,
                      verbose=0)
            return model
        if distribution is None:
            model = build()
        else:
            with distribution.scope():
                model = build()
        return [np.asarray(w) for w in model.get_weights()]

    devices = keras.distribution.list_devices()
    single = train(None)
    parallel = train(models.data_parallel())
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(single, parallel))
    print(json.dumps({"devices": len(devices), "diff": diff}))
    """
)


@pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="DataParallel is JAX-only"
)
def test_data_parallel_matches_single_device():
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        # Two virtual CPU devices, also on a machine with one GPU.
        JAX_PLATFORMS="cpu",
        XLA_FLAGS="--xla_force_host_platform_device_count=2",
    )
    proc = subprocess.run(
        [sys.executable, "-c", _DATA_PARALLEL_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    import json

    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["devices"] == 2
    assert result["diff"] < 1e-4

"""`NaiveBayesNgrams`: multinomial naive Bayes over binarized ids."""

import os
import re

import keras
import numpy as np
import pytest
from sklearn.naive_bayes import MultinomialNB

from keras_memattn.datasets import TextVectorizer
from keras_memattn.models import HashedNgrams
from keras_memattn.models import NaiveBayesNgrams
from keras_memattn.models import add_naive_bayes
from keras_memattn.models import get_class_names
from keras_memattn.models import get_vectorizer
from keras_memattn.models import text_classifier
from tests import harness


def _data(seed=0, texts=60, length=12, input_dim=30, num_classes=3):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, input_dim, size=(texts, length))
    ids[0, 5:] = 0  # padding
    labels = rng.integers(0, num_classes, size=texts)
    # Make the classes learnable: each prefers its own ids.
    ids[:, 0] = 1 + labels * 3 + rng.integers(0, 3, size=texts)
    return ids, labels


def _binary_counts(ids, input_dim):
    x = np.zeros((len(ids), input_dim))
    for row, text in zip(x, ids):
        row[np.unique(text)] = 1.0
    return x[:, 1:]  # id 0 is padding, not a feature


@pytest.mark.parametrize("alpha", [1.0, 0.3])
def test_matches_scikit_learn(alpha):
    ids, labels = _data()
    layer = NaiveBayesNgrams(30, 3, alpha=alpha).adapt(ids, labels)
    counts = np.bincount(labels, minlength=3)
    prior = (counts + alpha) / (len(labels) + 3 * alpha)
    reference = MultinomialNB(alpha=alpha, class_prior=prior)
    reference.fit(_binary_counts(ids, 30), labels)
    test_ids, _ = _data(seed=1)
    expected = reference.predict_joint_log_proba(_binary_counts(test_ids, 30))
    scores = keras.ops.convert_to_numpy(layer(test_ids))
    assert scores.dtype == np.float32
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-4)


def test_each_id_counts_once_and_padding_is_ignored():
    ids, labels = _data()
    layer = NaiveBayesNgrams(30, 3).adapt(ids, labels)
    once = np.array([[4, 7, 9, 0, 0, 0]])
    repeated = np.array([[4, 7, 4, 9, 7, 4]])
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer(once)),
        keras.ops.convert_to_numpy(layer(repeated)),
        rtol=1e-6,
    )
    # Only padding: the scores are the log prior.
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer(np.zeros((1, 4), "int32")))[0],
        keras.ops.convert_to_numpy(layer.class_log_prior),
        rtol=1e-6,
    )
    # Repeats in the training texts count once too.
    doubled = np.concatenate([ids, ids], axis=1)
    again = NaiveBayesNgrams(30, 3).adapt(doubled, labels)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(again.class_log_probs),
        keras.ops.convert_to_numpy(layer.class_log_probs),
        rtol=1e-6,
    )


def test_absent_class_keeps_finite_scores():
    ids, labels = _data(num_classes=2)
    layer = NaiveBayesNgrams(30, 4).adapt(ids, labels)  # classes 2, 3 absent
    scores = keras.ops.convert_to_numpy(layer(ids))
    assert np.all(np.isfinite(scores))
    assert np.all(scores.argmax(-1) < 2)


def test_calibrate_fits_the_temperature_and_keeps_the_predictions():
    ids, labels = _data(texts=200, length=20)
    layer = NaiveBayesNgrams(30, 3).adapt(ids[:100], labels[:100])
    held_ids, held_labels = ids[100:], labels[100:]

    def loss():
        scores = keras.ops.convert_to_numpy(layer(held_ids)).astype("float64")
        scores -= scores.max(-1, keepdims=True)
        log_probs = scores - np.log(np.exp(scores).sum(-1, keepdims=True))
        return -log_probs[np.arange(len(held_labels)), held_labels].mean()

    before_loss = loss()
    before = keras.ops.convert_to_numpy(layer(held_ids)).argmax(-1)
    temperature = layer.calibrate(held_ids, held_labels)
    assert temperature > 0
    assert float(keras.ops.convert_to_numpy(layer.temperature)) == (
        pytest.approx(temperature, rel=1e-6)
    )
    assert loss() < before_loss
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(layer(held_ids)).argmax(-1), before
    )
    # Naive Bayes on 20 correlated ids is over-confident: T > 1.
    assert temperature > 1.0
    # `adapt` starts again from T = 1.
    layer.adapt(ids[:100], labels[:100])
    assert float(keras.ops.convert_to_numpy(layer.temperature)) == 1.0


def test_calibrate_batches_long_texts_by_default():
    # 40 texts of 1,000 ids: one batch of all would compare 40 million
    # pairs; the default batch keeps it near 16 million, same result.
    ids, labels = _data(texts=40, length=1000)
    layer = NaiveBayesNgrams(30, 3).adapt(ids, labels)
    default = layer.calibrate(ids, labels)
    assert layer.calibrate(ids, labels, batch_size=40) == pytest.approx(default)
    with pytest.raises(ValueError, match="batch_size=0"):
        layer.calibrate(ids, labels, batch_size=0)


def test_harness():
    ids, _ = _data(texts=4)
    harness.run_layer_test(
        NaiveBayesNgrams,
        {"input_dim": 30, "num_classes": 3, "alpha": 0.5},
        input_data=ids.astype("int32"),
        expected_output_shape=(4, 3),
        expected_output_dtype="float32",
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=3,
        # Nothing to train; float32 outputs under every policy (tested
        # below); the statistics' round trip through `.keras` is tested
        # below with an adapted layer.
        run_training_check=False,
        run_mixed_precision_check=False,
        run_saving_check=False,
    )


def test_saved_model_keeps_the_statistics(tmp_path):
    ids, labels = _data()
    ngrams = HashedNgrams(30, 50, max_n=2)
    layer = NaiveBayesNgrams(80, 3)
    inputs = keras.Input((None,), dtype="int32")
    model = keras.Model(inputs, layer(ngrams(inputs)))
    layer.adapt(ngrams(ids), labels)
    layer.calibrate(ngrams(ids[:20]), labels[:20])
    path = os.path.join(tmp_path, "nb.keras")
    model.save(path)
    revived = keras.models.load_model(path)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(revived(ids)),
        keras.ops.convert_to_numpy(model(ids)),
        rtol=1e-6,
    )
    assert revived.layers[-1].get_config() == layer.get_config()


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_returns_float32(policy):
    ids, labels = _data()
    reference = NaiveBayesNgrams(30, 3).adapt(ids, labels)
    expected = keras.ops.convert_to_numpy(reference(ids))
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        layer = NaiveBayesNgrams(30, 3).adapt(ids, labels)
        scores = layer(ids)
        symbolic = layer(keras.Input((12,), dtype="int32"))
    finally:
        keras.config.set_dtype_policy(previous)
    assert keras.backend.standardize_dtype(scores.dtype) == "float32"
    assert symbolic.dtype == "float32"
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(scores), expected, rtol=1e-6
    )


def test_symbolic_shape():
    layer = NaiveBayesNgrams(30, 5)
    out = layer(keras.Input((None,), dtype="int32"))
    assert tuple(out.shape) == (None, 5)
    assert out.dtype == "float32"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"input_dim": 0, "num_classes": 2}, "input_dim=0"),
        ({"input_dim": 1, "num_classes": 2}, "input_dim=1"),
        ({"input_dim": 10, "num_classes": 1}, "num_classes=1"),
        ({"input_dim": 10, "num_classes": 2, "alpha": 0.0}, "alpha=0.0"),
    ],
)
def test_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        NaiveBayesNgrams(**kwargs)


def test_rejects_bad_data():
    layer = NaiveBayesNgrams(10, 2)
    ids = np.ones((3, 4), "int32")
    too_large = ids.copy()
    too_large[0, 0] = 10
    with pytest.raises(ValueError, match="ids from 1 to 10"):
        layer.adapt(too_large, [0, 1, 0])
    with pytest.raises(ValueError, match="labels from 0 to 2"):
        layer.adapt(ids, [0, 1, 2])
    with pytest.raises(ValueError, match="same, non-zero number"):
        layer.adapt(ids, [0, 1])
    with pytest.raises(ValueError, match="ids.dtype=float"):
        layer.adapt(ids.astype("float32"), [0, 1, 0])
    with pytest.raises(ValueError, match="rank 2"):
        layer.adapt(ids[0], [0])
    with pytest.raises(ValueError, match="rank 2"):
        layer(np.ones((2, 3, 4), "int32"))


def _classifier_and_data(subwords=False):
    texts = [
        "a fine , moving film",
        "dull and far too long",
        "fine acting , moving story",
        "too long , too dull",
        "a moving , fine story",
        "long and dull acting",
    ] * 5
    labels = np.array([1, 0, 1, 0, 1, 0] * 5)
    vectorizer = TextVectorizer(
        sequence_length=8, subword_ngrams=(2, 3) if subwords else None
    ).fit(texts)
    model = text_classifier(
        encoder="gru",
        vectorizer=vectorizer,
        class_names=["neg", "pos"],
        units=4,
        embedding_dim=4,
        pooling="mean",
    )
    return model, vectorizer(texts), labels


@pytest.mark.parametrize("subwords", [False, True])
def test_add_naive_bayes_averages_the_two_members(subwords):
    model, ids, labels = _classifier_and_data(subwords)
    combined = add_naive_bayes(
        model,
        ids[:24],
        labels[:24],
        validation_data=(ids[24:], labels[24:]),
        num_buckets=200,
    )
    vocab_size = get_vectorizer(model).vocabulary_size
    ngrams = HashedNgrams(vocab_size, 200, max_n=2)
    reference = NaiveBayesNgrams(vocab_size + 200, 2)
    reference.adapt(ngrams(ids[:24]), labels[:24])
    reference.calibrate(ngrams(ids[24:]), labels[24:])
    expected = 0.5 * (
        keras.ops.convert_to_numpy(model(ids))
        + keras.ops.convert_to_numpy(keras.ops.softmax(reference(ngrams(ids))))
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(combined(ids)), expected, atol=1e-6
    )
    # The naive Bayes member separates this data: the average follows it.
    assert np.mean(combined.predict(ids, verbose=0).argmax(-1) == labels) == 1
    # What `text_classifier` stored is still found in the nested model.
    assert get_class_names(combined) == ["neg", "pos"]
    assert get_vectorizer(combined) is get_vectorizer(model)


def test_add_naive_bayes_rejects_what_it_cannot_combine():
    model, ids, labels = _classifier_and_data()
    inputs = keras.Input((8,), dtype="int32")
    # No vectorizer inside to take the vocabulary size from.
    bare = keras.Model(
        inputs, keras.layers.Softmax()(keras.layers.Embedding(50, 2)(inputs))
    )
    with pytest.raises(ValueError, match="vocab_size=None"):
        add_naive_bayes(bare, ids, labels)
    two = keras.Model(inputs, [model(inputs), model(inputs)])
    with pytest.raises(ValueError, match="2 outputs"):
        add_naive_bayes(two, ids, labels)
    with pytest.raises(ValueError, match="num_buckets=0"):
        add_naive_bayes(model, ids, labels, num_buckets=0)
    # Word ids beyond vocab_size used to collide with the hashed n-grams.
    with pytest.raises(
        ValueError, match=r"ids of `x` must be below `vocab_size`.*=2, largest"
    ):
        add_naive_bayes(model, ids, labels, vocab_size=2)
    # Raw texts instead of ids used to fail inside NumPy's max.
    with pytest.raises(
        ValueError, match=r"`x` must hold the token ids.*Received: x of dtype"
    ):
        add_naive_bayes(model, ["a good film"] * len(labels), labels)
    with pytest.raises(ValueError, match="validation_data of dtype <U"):
        add_naive_bayes(
            model, ids, labels, validation_data=(["a film"], labels[:1])
        )
    # A validation_data without labels used to be an IndexError.
    for bad, items in (((ids,), " with 1 items"), (ids, "")):
        with pytest.raises(
            ValueError,
            match=re.escape(
                "`validation_data` must be a pair (ids, labels). Received: "
                f"validation_data of type {type(bad).__name__}{items}"
            ),
        ):
            add_naive_bayes(model, ids, labels, validation_data=bad)


def test_add_naive_bayes_rejects_empty_or_misshapen_ids():
    model, ids, labels = _classifier_and_data()
    ids = keras.ops.convert_to_numpy(ids)
    # An empty array used to fail inside `np.concatenate`.
    with pytest.raises(
        ValueError, match=re.escape("Received: x of shape (0, 8)")
    ):
        add_naive_bayes(model, ids[:0], labels[:0])
    with pytest.raises(
        ValueError,
        match=re.escape("Received: validation_data of shape (0, 8)"),
    ):
        add_naive_bayes(
            model, ids, labels, validation_data=(ids[:0], labels[:0])
        )
    # One text's ids without the batch axis used to be an IndexError.
    with pytest.raises(ValueError, match=re.escape("x of shape (8,)")):
        add_naive_bayes(model, ids[0], labels[:1])


def test_adapt_takes_texts_of_no_ids():
    # A zero-size array used to fail in NumPy's `min`.
    layer = NaiveBayesNgrams(10, 2).adapt(np.zeros((2, 0), "int32"), [0, 1])
    scores = keras.ops.convert_to_numpy(layer(np.array([[1, 2, 0]])))
    assert np.all(np.isfinite(scores))
    np.testing.assert_allclose(scores[0, 0], scores[0, 1])


@pytest.mark.parametrize("bad", [[[7, 1]], [[-1, 1]], [[1, 5]]])
def test_call_rejects_ids_out_of_range(bad):
    # Gathering them gave NaN on JAX and errors elsewhere.
    layer = NaiveBayesNgrams(5, 2)
    layer.adapt(np.array([[1, 2], [3, 4]]), np.array([0, 1]))
    with pytest.raises(ValueError, match="`inputs`.*ids from"):
        layer(np.array(bad, "int32"))
    # In range, and symbolic inputs, are fine.
    scores = keras.ops.convert_to_numpy(layer(np.array([[4, 0]])))
    assert scores.shape == (1, 2)
    assert tuple(layer(keras.Input((None,), dtype="int32")).shape) == (None, 2)


def test_calibrate_keeps_the_temperature_within_its_range():
    # Held-out labels the naive Bayes always gets wrong push the
    # temperature to the top of the grid, where the refinement used to
    # step beyond 1e4.
    layer = NaiveBayesNgrams(5, 2)
    layer.adapt(np.array([[1, 2], [3, 4], [1, 2], [3, 4]]), [0, 1, 0, 1])
    temperature = layer.calibrate(np.array([[1, 2], [3, 4]]), [1, 0])
    assert 1e3 < temperature <= 1e4

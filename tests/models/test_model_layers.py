"""The registered layers of `keras_memattn.models` pass the harness."""

import re

import keras
import numpy as np
import pytest

from keras_memattn.datasets import TextVectorizer
from keras_memattn.models import HashedNgrams
from keras_memattn.models import MaskedAveragePooling
from keras_memattn.models import MaskedMaxPooling
from keras_memattn.models import PositionEmbedding
from keras_memattn.models import SubwordEmbedding
from keras_memattn.models import TokenIds
from tests import harness


def test_position_embedding_harness():
    harness.run_layer_test(
        PositionEmbedding,
        {"sequence_length": 8, "embeddings_initializer": "glorot_uniform"},
        input_shape=(3, 6, 4),
        expected_output_shape=(3, 6, 4),
        expected_num_trainable_weights=1,
        supports_masking=True,
        expected_output_mask="input",
    )


def test_position_embedding_rejects_bad_length():
    with pytest.raises(ValueError, match="sequence_length=0"):
        PositionEmbedding(0)


def test_token_ids_harness():
    vectorizer = TextVectorizer().fit(["a good film", "a bad film", "good"])
    ids = vectorizer.encode(["a good film", "bad"])
    harness.run_layer_test(
        TokenIds,
        {"vectorizer": vectorizer.get_config(), "class_names": ["neg", "pos"]},
        input_data=np.asarray(ids, "int32"),
        expected_output_shape=tuple(np.shape(ids)),
        expected_num_trainable_weights=0,
        # No weights to train, and an int output for the functional checks;
        # `.keras` round trips of models that hold it are tested with the
        # text classifier.
        run_training_check=False,
        run_saving_check=False,
    )


def test_token_ids_rejects_non_vectorizer():
    with pytest.raises(ValueError, match="vectorizer"):
        TokenIds("not a vectorizer")
    # A string of class names used to become a list of its characters.
    vectorizer = TextVectorizer().fit(["a b", "b c"])
    with pytest.raises(ValueError, match="Received: class_names='pos'"):
        TokenIds(vectorizer, "pos")


def test_ids_out_of_range_are_refused():
    # Word ids past the table were NaN on JAX and an error deep in a
    # gather elsewhere; in HashedNgrams they shared the n-gram ids.
    embedding = SubwordEmbedding(5, 3, num_buckets=4)
    for bad, name in (
        ([[[7, 1, 0]]], r"inputs\[\.\.\., 0\].*input_dim=5.*from 7 to 7"),
        ([[[-1, 1, 0]]], r"inputs\[\.\.\., 0\].*from -1 to -1"),
        ([[[2, 9, 0]]], r"inputs\[\.\.\., 1:\].*num_buckets \+ 1=5"),
    ):
        with pytest.raises(ValueError, match=name):
            embedding(np.array(bad, "int32"))
    with pytest.raises(ValueError, match=r"vocab_size=10\).*from 0 to 50"):
        HashedNgrams(10, 100)(np.array([[50, 0]]))


@pytest.mark.parametrize("layer", [MaskedMaxPooling, MaskedAveragePooling])
def test_masked_pooling_rejects_a_mask_of_another_shape(layer):
    x = np.zeros((2, 3, 4), "float32")
    with pytest.raises(ValueError, match=r"Received: mask.shape=\(2, 2\)"):
        layer()(x, mask=np.ones((2, 2), bool))


@pytest.mark.parametrize("layer", [MaskedMaxPooling, MaskedAveragePooling])
def test_masked_pooling_takes_an_integer_mask_or_a_nested_list(layer):
    # As AttentionPooling; a nested list used to fail with an
    # AttributeError, and an integer mask of 2s doubled the average.
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    mask = np.array([[1, 1, 0], [1, 0, 0]], bool)
    want = keras.ops.convert_to_numpy(layer()(x, mask=mask))
    for other in (mask.tolist(), 2 * mask.astype("int32")):
        got = keras.ops.convert_to_numpy(layer()(x, mask=other))
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "make",
    [MaskedMaxPooling, MaskedAveragePooling, lambda: PositionEmbedding(3)],
    ids=["MaskedMaxPooling", "MaskedAveragePooling", "PositionEmbedding"],
)
def test_integer_features_are_cast_to_the_compute_dtype(make):
    # They failed on some backends and not on others.
    x = np.arange(24, dtype="int32").reshape(2, 3, 4)
    layer = make()
    mask = np.array([[1, 1, 0], [1, 1, 1]], bool)
    kwargs = {} if isinstance(layer, PositionEmbedding) else {"mask": mask}
    out = layer(x, **kwargs)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    expected = layer(x.astype("float32"), **kwargs)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(out), keras.ops.convert_to_numpy(expected)
    )


def _subword_ids(seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, 9, size=(3, 5, 4))
    ids[..., 0] = rng.integers(1, 7, size=(3, 5))
    ids[0, 3:] = 0  # padded positions
    ids[1, :, 2:] = 0  # words with fewer n-grams
    return ids.astype("int32")


def test_subword_embedding_harness():
    harness.run_layer_test(
        SubwordEmbedding,
        {"input_dim": 7, "output_dim": 3, "num_buckets": 8},
        input_data=_subword_ids(),
        expected_output_shape=(3, 5, 3),
        expected_num_trainable_weights=2,
    )


def test_subword_embedding_matches_numpy_and_masks_padding():
    ids = _subword_ids()
    layer = SubwordEmbedding(7, 3, num_buckets=8)
    out = keras.ops.convert_to_numpy(layer(ids))
    words = keras.ops.convert_to_numpy(layer.embeddings)
    grams = keras.ops.convert_to_numpy(layer.subword_embeddings)
    expected = np.zeros((3, 5, 3), "float32")
    for b in range(3):
        for t in range(5):
            vectors = [words[ids[b, t, 0]]]
            vectors += [grams[g] for g in ids[b, t, 1:] if g > 0]
            expected[b, t] = np.mean(vectors, axis=0)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    mask = keras.ops.convert_to_numpy(layer.compute_mask(ids))
    np.testing.assert_array_equal(mask, ids[..., 0] != 0)


def test_subword_embedding_rejects_word_ids_only():
    with pytest.raises(ValueError, match="rank 3"):
        SubwordEmbedding(7, 3, num_buckets=8)(np.ones((2, 5), "int32"))
    with pytest.raises(ValueError, match="num_buckets=0"):
        SubwordEmbedding(7, 3, num_buckets=0)


def test_built_subword_embedding_still_refuses_word_ids_only():
    layer = SubwordEmbedding(7, 3, num_buckets=8)
    layer(np.ones((2, 5, 3), "int32"))
    # Once built, word ids used to give one vector per text, not per word.
    with pytest.raises(ValueError, match=r"inputs.shape=\(2, 5\)"):
        layer(np.ones((2, 5), "int32"))


@pytest.mark.parametrize("shape", [(4,), (1, 2, 3, 4)])
def test_hashed_ngrams_rejects_ids_of_another_rank(shape):
    # Rank 1 used to fail with an IndexError from the slicing.
    with pytest.raises(ValueError, match=re.escape(f"inputs.shape={shape}")):
        HashedNgrams(10, 100)(np.ones(shape, "int32"))
    with pytest.raises(ValueError, match="Received: inputs.shape="):
        HashedNgrams(10, 100)(keras.Input(shape[1:], dtype="int32"))


def _ngram_reference(ids, vocab_size, num_buckets, max_n):
    p = 46337
    batch, steps = ids.shape
    out = np.zeros((batch, steps * max_n), "int64")
    out[:, :steps] = ids
    for n in range(2, max_n + 1):
        for b in range(batch):
            for t in range(steps - n + 1):
                window = [int(w) for w in ids[b, t : t + n]]
                if min(window) == 0:
                    continue
                h = window[0] % p
                for i, w in enumerate(window[1:]):
                    h = (h % (p if i == 0 else 46327)) * p + w % p
                out[b, (n - 1) * steps + t] = vocab_size + h % num_buckets
    return out


@pytest.mark.parametrize("vocab_size", [50, 60000])
def test_hashed_ngrams_match_numpy(vocab_size):
    rng = np.random.default_rng(0)
    ids = rng.integers(1, vocab_size, size=(3, 6)).astype("int32")
    ids[0, 4:] = 0
    ids[1, 1] = 0  # a hole: n-grams over it are padding
    layer = HashedNgrams(vocab_size, 1000, max_n=3)
    out = keras.ops.convert_to_numpy(layer(ids))
    assert out.shape == (3, 18)
    assert keras.backend.standardize_dtype(out.dtype) == "int32"
    np.testing.assert_array_equal(
        out, _ngram_reference(ids, vocab_size, 1000, 3)
    )
    assert out.max() < vocab_size + 1000
    # The subword ids of a `TextVectorizer(subword_ngrams=...)` work too.
    extra = np.concatenate([ids[..., None], np.ones((3, 6, 2), "int32")], -1)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(extra)), out)


def test_trigrams_keep_their_first_word():
    # Trigrams that differ only in their first word are different n-grams
    # (they once hashed to the id of their last two words' bigram).
    ids = np.array([[5, 7, 9], [6, 7, 9]], "int32")
    out = keras.ops.convert_to_numpy(HashedNgrams(10, 10**6, max_n=3)(ids))
    bigram, trigrams = out[0, 4], out[:, 6]
    assert trigrams[0] != trigrams[1]
    assert bigram not in trigrams
    # Bigram ids are unchanged by the trigram fix.
    assert bigram == 10 + (7 * 46337 + 9) % 10**6


def test_hashed_ngrams_harness():
    ids = np.random.default_rng(0).integers(1, 10, size=(3, 6))
    ids[0, 4:] = 0
    harness.run_layer_test(
        HashedNgrams,
        {"vocab_size": 10, "num_buckets": 100, "max_n": 2},
        input_data=ids.astype("int32"),
        expected_output_shape=(3, 12),
        expected_output_dtype="int32",
        expected_num_trainable_weights=0,
        # No weights to train, and int ids in and out; `.keras` round trips
        # of a model that holds it are tested with the text classifier.
        run_training_check=False,
        run_mixed_precision_check=False,
        run_saving_check=False,
    )


def test_hashed_ngrams_config_and_symbolic_shape():
    layer = HashedNgrams(10, 100, max_n=2, name="ngrams")
    revived = HashedNgrams.from_config(layer.get_config())
    assert revived.get_config() == layer.get_config()
    symbolic = layer(keras.Input((7,), dtype="int32"))
    assert tuple(symbolic.shape) == (None, 14)
    assert symbolic.dtype == "int32"
    assert tuple(layer(keras.Input((None,), dtype="int32")).shape) == (
        None,
        None,
    )
    with pytest.raises(ValueError, match="max_n=0"):
        HashedNgrams(10, 100, max_n=0)
    with pytest.raises(ValueError, match="2\\*\\*31"):
        HashedNgrams(2**30, 2**30)


@pytest.mark.parametrize("layer", [MaskedMaxPooling, MaskedAveragePooling])
def test_masked_pooling_harness(layer):
    harness.run_layer_test(
        layer,
        {},
        input_shape=(3, 6, 4),
        expected_output_shape=(3, 4),
        expected_num_trainable_weights=0,
        supports_masking=True,
        expected_output_mask=None,
        run_training_check=False,
    )


def test_masked_max_pooling_ignores_padding():
    x = np.random.default_rng(0).standard_normal((3, 5, 4)).astype("float32")
    mask = np.ones((3, 5), bool)
    mask[0, 2:] = False
    mask[2] = False  # fully padded: zeros
    x[0, 2:] = 100.0  # would win an unmasked maximum
    out = keras.ops.convert_to_numpy(MaskedMaxPooling()(x, mask=mask))
    np.testing.assert_allclose(out[0], x[0, :2].max(0))
    np.testing.assert_allclose(out[1], x[1].max(0))
    np.testing.assert_array_equal(out[2], np.zeros(4))
    unmasked = keras.ops.convert_to_numpy(MaskedMaxPooling()(x))
    np.testing.assert_allclose(unmasked, x.max(1))


def test_masked_average_pooling_ignores_padding_and_empty_rows():
    x = np.random.default_rng(0).standard_normal((3, 5, 4)).astype("float32")
    mask = np.ones((3, 5), bool)
    mask[0, 2:] = False
    mask[2] = False  # fully padded: zeros, not NaN
    x[0, 2:] = 100.0
    out = keras.ops.convert_to_numpy(MaskedAveragePooling()(x, mask=mask))
    np.testing.assert_allclose(out[0], x[0, :2].mean(0), rtol=1e-6)
    np.testing.assert_allclose(out[1], x[1].mean(0), rtol=1e-6)
    np.testing.assert_array_equal(out[2], np.zeros(4))


def test_masked_max_pooling_fill_is_below_every_finite_value():
    # float16 activations below -3e4 (the old fill) must still win.
    x = np.full((2, 3, 2), -5e4, "float16")
    x[:, 2] = 0.0
    mask = np.array([[True, True, False], [False, False, False]])
    layer = MaskedMaxPooling(dtype="float16")
    out = keras.ops.convert_to_numpy(layer(x, mask=mask))
    assert out.dtype == np.float16
    low = np.float16(-5e4)
    np.testing.assert_array_equal(out, [[low, low], [0.0, 0.0]])
    # The lowest float16 itself, and huge float32 values, stay exact.
    x[0, 0, 0] = np.finfo("float16").min
    x[0, 1, 0] = np.finfo("float16").min
    out = keras.ops.convert_to_numpy(layer(x, mask=mask))
    np.testing.assert_array_equal(out[0], [np.finfo("float16").min, low])
    x32 = np.full((1, 3, 2), -5e9, "float32")
    x32[:, 2] = 0.0
    out = keras.ops.convert_to_numpy(MaskedMaxPooling()(x32, mask=mask[:1]))
    np.testing.assert_array_equal(out, [[-5e9, -5e9]])


def test_masked_max_pooling_gradient_is_finite_for_empty_rows():
    x = np.random.default_rng(0).standard_normal((2, 3, 2)).astype("float32")
    mask = np.array([[True, False, True], [False, False, False]])
    layer = MaskedMaxPooling()
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        grad = jax.grad(lambda v: layer(v, mask=mask).sum())(x)
    elif backend == "tensorflow":
        import tensorflow as tf

        v = tf.Variable(x)
        with tf.GradientTape() as tape:
            total = tf.reduce_sum(layer(v, mask=mask))
        grad = tape.gradient(total, v)
    else:
        import torch

        v = torch.tensor(x, requires_grad=True)
        layer(v, mask=torch.tensor(mask)).sum().backward()
        grad = v.grad
    grad = np.asarray(keras.ops.convert_to_numpy(grad))
    assert np.all(np.isfinite(grad))
    want = np.zeros_like(x)
    kept = np.where(mask[0][:, None], x[0], -np.inf)
    want[0][kept.argmax(0), [0, 1]] = 1.0
    np.testing.assert_array_equal(grad, want)

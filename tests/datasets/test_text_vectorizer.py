import json

import numpy as np
import pytest

from keras_memattn.datasets import TextVectorizer

TRAIN = ["the film is good", "the film is bad !", "good good acting", "the end"]


def test_vocabulary_from_training_texts_only():
    vectorizer = TextVectorizer().fit(TRAIN)
    vocab = vectorizer.vocabulary
    # Most frequent first, ties alphabetical.
    assert vocab[:4] == ["good", "the", "film", "is"]
    assert vectorizer.vocabulary_size == len(vocab) + 2
    ids = vectorizer(["The FILM was good", "unseen words only"])
    assert ids.dtype == np.int32
    assert ids.shape == (2, vectorizer.sequence_length)
    # "was" is not in the training texts: OOV id 1; padding is 0.
    np.testing.assert_array_equal(ids[0, :4], [3, 4, 1, 2])
    assert (ids[1, :3] == 1).all() and (ids[:, 4:] == 0).all()


def test_order_of_texts_does_not_change_vocabulary():
    a = TextVectorizer().fit(TRAIN).vocabulary
    b = TextVectorizer().fit(TRAIN[::-1]).vocabulary
    assert a == b


def test_sequence_length_from_percentile_and_truncation():
    texts = [" ".join(["w"] * n) for n in range(1, 101)]
    assert TextVectorizer(length_percentile=50).fit(texts).sequence_length == 51
    assert (
        TextVectorizer(max_sequence_length=20).fit(texts).sequence_length == 20
    )
    vectorizer = TextVectorizer(sequence_length=3).fit(["a b c d e"])
    np.testing.assert_array_equal(vectorizer("e d c b a"), [[6, 5, 4]])


def test_max_tokens_and_min_count():
    vectorizer = TextVectorizer(max_tokens=4).fit(TRAIN)
    assert vectorizer.vocabulary == ["good", "the"]
    vectorizer = TextVectorizer(min_count=2).fit(TRAIN)
    assert set(vectorizer.vocabulary) == {"the", "good", "film", "is"}


def test_punctuation_and_clitics():
    vectorizer = TextVectorizer()
    assert vectorizer.tokenize("Isn't it great?!") == [
        "isn't",
        "it",
        "great",
        "?",
        "!",
    ]


def test_config_round_trip_is_json():
    vectorizer = TextVectorizer(max_tokens=100).fit(TRAIN)
    config = json.loads(json.dumps(vectorizer.get_config()))
    revived = TextVectorizer.from_config(config)
    np.testing.assert_array_equal(revived(TRAIN), vectorizer(TRAIN))
    assert revived.get_config() == vectorizer.get_config()


def test_errors():
    with pytest.raises(ValueError, match="call `fit"):
        TextVectorizer()(["text"])
    with pytest.raises(ValueError, match="max_tokens=2"):
        TextVectorizer(max_tokens=2)
    with pytest.raises(ValueError, match="min_count=0"):
        TextVectorizer(min_count=0)
    with pytest.raises(ValueError, match="length_percentile=0"):
        TextVectorizer(length_percentile=0)
    with pytest.raises(TypeError, match="str"):
        TextVectorizer().fit([1, 2])

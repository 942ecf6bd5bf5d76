import json
import re

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


def test_numpy_numbers_give_a_json_config():
    vectorizer = TextVectorizer(
        max_tokens=np.int64(100), length_percentile=np.int64(90)
    ).fit(TRAIN)
    config = json.loads(json.dumps(vectorizer.get_config()))
    assert config["max_tokens"] == 100
    assert config["length_percentile"] == 90
    assert (
        TextVectorizer(length_percentile=np.float32(50)).length_percentile == 50
    )
    with pytest.raises(ValueError, match="length_percentile=True"):
        TextVectorizer(length_percentile=True)


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


def test_fnv1a_reference_values():
    from keras_memattn.datasets.vectorizer import fnv1a_32

    # The published FNV-1a 32-bit test vectors.
    assert fnv1a_32("") == 0x811C9DC5
    assert fnv1a_32("a") == 0xE40C292C
    assert fnv1a_32("foobar") == 0xBF9CF968


def test_char_ngrams_mark_word_boundaries():
    from keras_memattn.datasets.vectorizer import char_ngrams

    assert char_ngrams("ab", 2, 3) == ["<a", "ab", "b>", "<ab", "ab>"]
    assert char_ngrams("a", 4, 5) == []


def test_subword_ids_are_hashed_ngrams():
    from keras_memattn.datasets.vectorizer import char_ngrams
    from keras_memattn.datasets.vectorizer import fnv1a_32

    words = TextVectorizer().fit(TRAIN)
    vectorizer = TextVectorizer(
        subword_ngrams=(3, 4), subword_buckets=50, max_subwords=6
    ).fit(TRAIN)
    texts = ["The FILM was good", "unseen"]
    ids = vectorizer(texts)
    length = vectorizer.sequence_length
    assert ids.dtype == np.int32
    assert ids.shape == (2, length, 7)
    assert vectorizer.input_shape == (length, 7)
    # Column 0 holds the word ids of the word-only vectorizer.
    np.testing.assert_array_equal(ids[..., 0], words(texts))
    for row, text in enumerate(texts):
        for col, token in enumerate(vectorizer.tokenize(text)):
            grams = char_ngrams(token, 3, 4)[:6]
            expected = [fnv1a_32(g) % 50 + 1 for g in grams]
            expected += [0] * (6 - len(expected))
            np.testing.assert_array_equal(ids[row, col, 1:], expected)
    # "was" is OOV (word id 1) but has n-grams: "<wa", "was", "as>", "<was",
    # "was>"; the sixth slot is padding.
    assert ids[0, 2, 0] == 1
    assert (ids[0, 2, 1:6] > 0).all() and ids[0, 2, 6] == 0
    # Padded positions are all zero.
    assert (ids[1, 1:] == 0).all()


def test_subword_config_round_trip_is_json():
    vectorizer = TextVectorizer(subword_ngrams=(2, 3), subword_buckets=9).fit(
        TRAIN
    )
    config = json.loads(json.dumps(vectorizer.get_config()))
    revived = TextVectorizer.from_config(config)
    np.testing.assert_array_equal(revived(TRAIN), vectorizer(TRAIN))
    assert revived.get_config() == vectorizer.get_config()
    assert revived.subword_ngrams == (2, 3)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"subword_ngrams": (3,)}, "subword_ngrams"),
        ({"subword_ngrams": (5, 3)}, "subword_ngrams"),
        ({"subword_ngrams": (0, 3)}, "subword_ngrams"),
        ({"subword_buckets": 0}, "subword_buckets=0"),
        ({"max_subwords": 0}, "max_subwords=0"),
    ],
)
def test_subword_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TextVectorizer(**kwargs)
    with pytest.raises(ValueError, match="subword_ngrams"):
        TextVectorizer().subword_ids("word")


def test_combining_marks_stay_inside_words():
    vectorizer = TextVectorizer().fit(["हिन्दी भाषा", "naïve café"])
    assert vectorizer.tokenize("हिन्दी भाषा") == ["हिन्दी", "भाषा"]
    # Decomposed (e + combining accent) and precomposed spellings are one
    # word.
    decomposed = "cafe\u0301"
    assert vectorizer.tokenize(decomposed) == ["café"]
    np.testing.assert_array_equal(
        vectorizer([decomposed]), vectorizer(["café"])
    )
    assert vectorizer([decomposed])[0, 0] > 1  # in the vocabulary


def test_typographic_apostrophes_inside_words_are_apostrophes():
    vectorizer = TextVectorizer().fit(["don't stop", "it's fine"])
    for text in ("don\u2019t stop", "don\u02bct stop"):
        assert vectorizer.tokenize(text) == ["don't", "stop"]
        np.testing.assert_array_equal(
            vectorizer([text]), vectorizer(["don't stop"])
        )
    # Outside a word it is still a quotation mark.
    assert vectorizer.tokenize("\u2018fine\u2019 it\u2019s") == [
        "\u2018",
        "fine",
        "\u2019",
        "it's",
    ]


def test_refit_starts_again_and_arguments_are_checked():
    vectorizer = TextVectorizer().fit(["a"])
    assert vectorizer.sequence_length == 1
    vectorizer.fit(["a b c d e f g h"] * 5)
    assert vectorizer.sequence_length == 8
    assert vectorizer.vocabulary == list("abcdefgh")
    # A length given to the constructor stays.
    fixed = TextVectorizer(sequence_length=3).fit(["a b c d e f"])
    assert fixed.fit(["a"]).sequence_length == 3
    with pytest.raises(TypeError, match="not a single str"):
        TextVectorizer().fit("a good film")
    with pytest.raises(ValueError, match=r"len\(vocabulary\)=4, max_tokens=3"):
        TextVectorizer(max_tokens=3, vocabulary=list("abcd"))
    for length in (0, -2):
        with pytest.raises(ValueError, match=f"sequence_length={length}"):
            vectorizer.encode(["a b"], sequence_length=length)
    assert vectorizer.encode(["a b"], sequence_length=5).shape == (1, 5)


def test_flag_and_subword_arguments_are_checked():
    # "False" used to count as true.
    with pytest.raises(ValueError, match="Received: lowercase='False'"):
        TextVectorizer(lowercase="False")
    # An int used to be a TypeError from `tuple(3)`.
    for bad in (3, (3,), (5, 3), (0, 2), (2.0, 3)):
        with pytest.raises(
            ValueError, match=re.escape(f"Received: subword_ngrams={bad!r}")
        ):
            TextVectorizer(subword_ngrams=bad)
    # NumPy integers are integers.
    numpy_pair = TextVectorizer(subword_ngrams=(np.int64(3), np.int64(5)))
    assert numpy_pair.subword_ngrams == (3, 5)
    assert type(numpy_pair.get_config()["subword_ngrams"][0]) is int


def test_errors_name_the_value_received():
    with pytest.raises(ValueError, match=r"Received: repeated entries \['a'\]"):
        TextVectorizer(vocabulary=["a", "b", "a"])
    with pytest.raises(TypeError, match="Received: text=3 of type int"):
        TextVectorizer().tokenize(3)
    with pytest.raises(
        ValueError, match="Received: subword_ngrams=None, token='word'"
    ):
        TextVectorizer().subword_ids("word")


def test_config_round_trip_keeps_a_length_from_data():
    vectorizer = TextVectorizer().fit(["a b c", "a b c d e"])
    config = json.loads(json.dumps(vectorizer.get_config()))
    assert config["sequence_length"] is None
    assert config["fitted_sequence_length"] == vectorizer.sequence_length
    revived = TextVectorizer.from_config(config)
    assert revived.sequence_length == vectorizer.sequence_length
    np.testing.assert_array_equal(revived(TRAIN), vectorizer(TRAIN))
    # Fitting again chooses the length again, as the original does.
    assert revived.fit(["a"]).sequence_length == 1
    assert vectorizer.fit(["a"]).sequence_length == 1
    # A length given to the constructor stays fixed after the round trip.
    fixed = TextVectorizer(sequence_length=3).fit(TRAIN)
    revived = TextVectorizer.from_config(fixed.get_config())
    assert revived.fit(["a"]).sequence_length == 3
    # A config of an earlier version (the fitted length as
    # `sequence_length`) loads as before.
    old = dict(vectorizer.get_config(), sequence_length=4)
    del old["fitted_sequence_length"]
    assert TextVectorizer.from_config(old).sequence_length == 4


def test_vocabulary_entries_must_be_tokens():
    for entries in (["good", "Good"], ["two words"], ["?!"], [""]):
        with pytest.raises(ValueError, match="never produces.*Received"):
            TextVectorizer(vocabulary=entries)
        with pytest.raises(ValueError, match=re.escape(repr(entries[-1]))):
            TextVectorizer().set_vocabulary(entries)
    # Capitals are tokens when texts are not lower-cased.
    cased = TextVectorizer(lowercase=False, vocabulary=["Good", "?", "isn't"])
    np.testing.assert_array_equal(cased(["Good ? isn't"], 3), [[2, 3, 4]])
    # A saved vocabulary loads as it was saved.
    config = dict(cased.get_config(), lowercase=True)
    assert TextVectorizer.from_config(config).vocabulary[0] == "Good"
    # A lone string is not a list of its characters.
    with pytest.raises(TypeError, match="Received: vocabulary='abc'"):
        TextVectorizer(vocabulary="abc")

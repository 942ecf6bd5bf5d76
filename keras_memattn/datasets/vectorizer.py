"""Word-level text vectorization in pure Python, for every backend.

Optionally with hashed character n-grams per word (fastText subwords).
"""

import collections
import numbers
import re
import sys
import unicodedata

import numpy as np

from keras_memattn import _validation


def _combining_marks():
    """A regex character class body of the Unicode combining marks (M*).

    They are not `\\w` in Python's `re`, yet belong to the word they follow:
    vowel signs in Devanagari or Thai, accents in decomposed text.
    """
    ranges, start, previous = [], None, None
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code))[0] == "M":
            if start is None:
                start = code
            previous = code
        elif start is not None:
            ranges.append((start, previous))
            start = None
    return "".join(f"{chr(a)}-{chr(b)}" for a, b in ranges)


# Words (letters and digits, the combining marks inside them, apostrophes
# inside words) and single punctuation marks; punctuation such as "?" or
# "!" carries signal for question type and sentiment, so it is kept as a
# token.
_WORD = rf"[^\W_](?:[^\W_]|[{_combining_marks()}])*"
_TOKEN = re.compile(rf"{_WORD}(?:'{_WORD})*|[^\w\s]", re.UNICODE)
# Typographic apostrophes (right single quotation mark, modifier letter
# apostrophe) between two word characters are the ASCII one, so "don’t" and
# "don't" are one token; elsewhere a "’" stays a quotation mark.
_APOSTROPHE = re.compile(r"(?<=[^\W_])[\u2019\u02bc](?=[^\W_])", re.UNICODE)

PAD_ID = 0
OOV_ID = 1

_FNV_OFFSET = 2166136261
_FNV_PRIME = 16777619


def fnv1a_32(text):
    """The 32-bit FNV-1a hash of a str's UTF-8 bytes, as fastText uses.

    Unlike Python's `hash`, it does not change between processes, so hashed
    ids computed at training time match those computed after loading.
    """
    value = _FNV_OFFSET
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return value


def char_ngrams(token, min_n, max_n):
    """The character n-grams of `"<" + token + ">"`, shortest first.

    The angle brackets mark the beginning and end of the word, as in
    fastText, so the prefix `"<un"` differs from an inner `"un"`.
    """
    word = f"<{token}>"
    return [
        word[i : i + n]
        for n in range(min_n, max_n + 1)
        for i in range(len(word) - n + 1)
    ]


def _some(items, count=5):
    """The first `count` items, and how many more there are."""
    shown = repr(list(items[:count]))
    if len(items) > count:
        shown += f" and {len(items) - count} more"
    return shown


class TextVectorizer:
    """Maps texts to padded `int32` token ids with a word-level vocabulary.

    The vocabulary is built by `fit` from training texts only, so no word of
    a validation or test split leaks into it. Id 0 is padding (use
    `keras.layers.Embedding(..., mask_zero=True)`), id 1 stands for every
    word outside the vocabulary, and ids from 2 on are the vocabulary words,
    most frequent first (ties in alphabetical order, so the result does not
    depend on the order of the texts). When `sequence_length` is not given,
    `fit` sets it to the `length_percentile`-th percentile of the training
    lengths: longer texts are truncated at the end, shorter ones padded at the
    end. Tokens are words (apostrophes inside them included, typographic
    ones read as `'`) and single punctuation marks.

    This is plain Python and NumPy, with no string tensors, so it works the
    same under TensorFlow, JAX and PyTorch, and its `get_config` is a small
    JSON-able dict that a saved model can carry (see
    `keras_memattn.models.text_classifier(vectorizer=...)`). Subword
    tokenizers (keras-hub's WordPiece or byte-pair encoders) are an
    alternative for large vocabularies, but keras-hub imports TensorFlow on
    every backend and its vocabulary trainer needs tensorflow-text; the
    hashed character n-grams below give words outside the vocabulary
    features without a second vocabulary to fit and store.

    Subword features: with `subword_ngrams=(min_n, max_n)` each token also
    gets the ids of its character n-grams (of `"<" + token + ">"`, as in
    fastText), hashed with 32-bit FNV-1a into `subword_buckets` buckets
    (ids `1..subword_buckets`, 0 is padding). Words outside the vocabulary,
    such as a name seen only at test time, then still have features.
    `encode` returns `(num_texts, sequence_length, 1 + max_subwords)`:
    `[..., 0]` is the word id as without subwords, `[..., 1:]` the n-gram
    ids, shortest n-grams first, cut at `max_subwords` and padded with 0.
    Hashing needs no vocabulary, so nothing about the n-grams is fitted.

    Args:
        max_tokens: largest vocabulary size, including the padding and OOV
            ids. `None` keeps every word. Defaults to 20000.
        min_count: words seen fewer times in the training texts are OOV.
            Defaults to 1.
        sequence_length: fixed output length, or `None` (default) to take it
            from the data in `fit` (again on every call, also after
            `from_config`).
        length_percentile: the percentile of training lengths used when
            `sequence_length` is `None`. Defaults to 95.
        max_sequence_length: upper bound on the length chosen from data.
            Defaults to 400.
        lowercase: whether to lower-case texts before splitting. Defaults to
            `True`.
        vocabulary: optional list of words (without the padding and OOV
            entries) to use instead of calling `fit`. Each must be a token
            that `tokenize` can produce (lower-case when `lowercase=True`,
            one word or one punctuation mark); see `set_vocabulary`.
        subword_ngrams: `None` (default) for word ids only, or a pair
            `(min_n, max_n)` of character n-gram lengths, e.g. `(3, 5)`.
        subword_buckets: number of hash buckets for the n-grams. Defaults
            to 20000.
        max_subwords: most n-grams kept per token. Defaults to 24.

    Example:

    ```python
    vectorizer = keras_memattn.datasets.TextVectorizer(max_tokens=1000)
    vectorizer.fit(["a good film", "a bad film !"])
    ids = vectorizer(["a good , good film"])  # int32, shape (1, length)

    subwords = keras_memattn.datasets.TextVectorizer(subword_ngrams=(3, 5))
    subwords.fit(["a good film", "a bad film !"])
    ids = subwords(["a goodish film"])  # shape (1, length, 25)
    ```
    """

    def __init__(
        self,
        max_tokens=20000,
        min_count=1,
        sequence_length=None,
        length_percentile=95,
        max_sequence_length=400,
        lowercase=True,
        vocabulary=None,
        subword_ngrams=None,
        subword_buckets=20000,
        max_subwords=24,
    ):
        if max_tokens is not None:
            # A Python int, so that `get_config` stays JSON-able.
            max_tokens = _validation.positive_int(
                "max_tokens", max_tokens, "TextVectorizer"
            )
            if max_tokens < 3:
                raise ValueError(
                    "`max_tokens` must be at least 3 (padding, OOV and one "
                    f"word). Received: max_tokens={max_tokens}"
                )
        self.max_tokens = max_tokens
        self.min_count = _validation.positive_int(
            "min_count", min_count, "TextVectorizer"
        )
        self.sequence_length = _validation.optional_positive_int(
            "sequence_length", sequence_length, "TextVectorizer"
        )
        # Whether `fit` chooses the length (again, on every call); kept
        # apart from the length itself so that `get_config` returns the
        # constructor argument.
        self._length_from_data = sequence_length is None
        if (
            isinstance(length_percentile, (bool, np.bool_))
            or not isinstance(length_percentile, numbers.Real)
            or not 0 < length_percentile <= 100
        ):
            raise ValueError(
                "`length_percentile` must be a number in (0, 100]. "
                f"Received: length_percentile={length_percentile!r}"
            )
        if isinstance(length_percentile, np.generic):
            # A Python number, so that `get_config` stays JSON-able.
            length_percentile = length_percentile.item()
        self.length_percentile = length_percentile
        self.max_sequence_length = _validation.positive_int(
            "max_sequence_length", max_sequence_length, "TextVectorizer"
        )
        self.lowercase = _validation.boolean(
            "lowercase", lowercase, "TextVectorizer"
        )
        if subword_ngrams is not None:
            pair = (
                tuple(subword_ngrams)
                if isinstance(subword_ngrams, (list, tuple, np.ndarray))
                else ()
            )
            if len(pair) != 2 or not (
                all(
                    isinstance(n, numbers.Integral) and not isinstance(n, bool)
                    for n in pair
                )
                and 1 <= pair[0] <= pair[1]
            ):
                raise ValueError(
                    "`subword_ngrams` must be None or a pair of integers "
                    "(min_n, max_n) with 1 <= min_n <= max_n. "
                    f"Received: subword_ngrams={subword_ngrams!r}"
                )
            # Python ints, so that `get_config` stays JSON-able.
            subword_ngrams = tuple(int(n) for n in pair)
        self.subword_ngrams = subword_ngrams
        self.subword_buckets = _validation.positive_int(
            "subword_buckets", subword_buckets, "TextVectorizer"
        )
        self.max_subwords = _validation.positive_int(
            "max_subwords", max_subwords, "TextVectorizer"
        )
        self._subword_cache = {}
        self._vocabulary = None
        self._index = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)

    def tokenize(self, text):
        """Splits one text into a list of tokens."""
        if not isinstance(text, str):
            shown = repr(text)
            if len(shown) > 60:
                shown = shown[:57] + "..."
            raise TypeError(
                "`TextVectorizer` expects texts as str. "
                f"Received: text={shown} of type {type(text).__name__}"
            )
        # One spelling per word: "é" typed as e + combining accent and as
        # the precomposed letter give the same token.
        text = unicodedata.normalize("NFC", text)
        text = _APOSTROPHE.sub("'", text)
        if self.lowercase:
            text = text.lower()
        return _TOKEN.findall(text)

    def fit(self, texts):
        """Builds the vocabulary (and the length) from training texts.

        A second call starts again: the vocabulary, and the length unless
        it was given to the constructor, come from the new texts only.

        Args:
            texts: an iterable of str (not a single str).

        Returns:
            `self`.
        """
        if isinstance(texts, str):
            raise TypeError(
                "`TextVectorizer.fit` expects an iterable of texts, not a "
                f"single str. Received: texts={texts[:40]!r}"
            )
        tokenized = [self.tokenize(t) for t in texts]
        if not tokenized:
            raise ValueError("`TextVectorizer.fit` received no texts.")
        counts = collections.Counter(tok for toks in tokenized for tok in toks)
        words = sorted(
            (w for w, c in counts.items() if c >= self.min_count),
            key=lambda w: (-counts[w], w),
        )
        if self.max_tokens is not None:
            words = words[: self.max_tokens - 2]
        # The words are tokens already: no need to check them again.
        self._set_vocabulary(words, check_tokens=False)
        if self._length_from_data:
            lengths = np.array([max(len(t), 1) for t in tokenized])
            length = int(
                np.ceil(np.percentile(lengths, self.length_percentile))
            )
            self.sequence_length = int(
                min(max(length, 1), self.max_sequence_length)
            )
        return self

    def set_vocabulary(self, vocabulary):
        """Sets the vocabulary words (ids 2, 3, ... in this order).

        Every word must be a token that `tokenize` produces, or it could
        never be looked up: with `lowercase=True` a word with capitals such
        as `"Good"`, and any entry that `tokenize` splits (`"a b"`, `"?!"`)
        or drops (`""`, `" "`), raises a `ValueError` naming it.
        """
        self._set_vocabulary(vocabulary, check_tokens=True)

    def _set_vocabulary(self, vocabulary, check_tokens):
        if isinstance(vocabulary, (str, bytes)):
            # A lone string would be read as a list of its characters.
            raise TypeError(
                "`vocabulary` must be a list of words, not a single "
                f"{type(vocabulary).__name__}. Received: "
                f"vocabulary={vocabulary[:40]!r}"
            )
        vocabulary = [str(w) for w in vocabulary]
        if len(set(vocabulary)) != len(vocabulary):
            counts = collections.Counter(vocabulary)
            repeated = sorted(w for w, c in counts.items() if c > 1)
            raise ValueError(
                "`vocabulary` must not contain duplicates. Received: "
                f"repeated entries {_some(repeated)}"
            )
        if check_tokens:
            unreachable = [w for w in vocabulary if self.tokenize(w) != [w]]
            if unreachable:
                raise ValueError(
                    "`vocabulary` has entries that `tokenize` never "
                    "produces, so no text would map to them: each entry "
                    "must be one word or one punctuation mark"
                    + (", in lower case" if self.lowercase else "")
                    + f" (lowercase={self.lowercase}). Received: "
                    f"vocabulary entries {_some(unreachable)}"
                )
        if (
            self.max_tokens is not None
            and len(vocabulary) + 2 > self.max_tokens
        ):
            raise ValueError(
                f"`vocabulary` has {len(vocabulary)} words, more than "
                f"`max_tokens - 2` = {self.max_tokens - 2} (ids 0 and 1 are "
                "padding and OOV). Received: "
                f"len(vocabulary)={len(vocabulary)}, "
                f"max_tokens={self.max_tokens}"
            )
        self._vocabulary = vocabulary
        self._index = {w: i + 2 for i, w in enumerate(vocabulary)}

    @property
    def vocabulary(self):
        """The vocabulary words, without the padding and OOV entries."""
        self._check_fitted()
        return list(self._vocabulary)

    @property
    def vocabulary_size(self):
        """Number of ids, padding and OOV included: the `Embedding` size."""
        self._check_fitted()
        return len(self._vocabulary) + 2

    @property
    def input_shape(self):
        """Shape of one encoded text: `(sequence_length,)`, or
        `(sequence_length, 1 + max_subwords)` with subwords."""
        if self.subword_ngrams is None:
            return (self.sequence_length,)
        return (self.sequence_length, 1 + self.max_subwords)

    def subword_ids(self, token):
        """The hashed n-gram ids of one token (ids `1..subword_buckets`)."""
        if self.subword_ngrams is None:
            raise ValueError(
                "This `TextVectorizer` has no subword features: pass "
                "`subword_ngrams=(min_n, max_n)` to the constructor. "
                f"Received: subword_ngrams=None, token={token!r}"
            )
        ids = self._subword_cache.get(token)
        if ids is None:
            grams = char_ngrams(token, *self.subword_ngrams)
            ids = [
                fnv1a_32(g) % self.subword_buckets + 1
                for g in grams[: self.max_subwords]
            ]
            self._subword_cache[token] = ids
        return ids

    def encode(self, texts, sequence_length=None):
        """Encodes texts as padded token ids.

        Args:
            texts: a str or an iterable of str.
            sequence_length: optional length overriding the fitted one.

        Returns:
            An `int32` array of shape `(num_texts, sequence_length)`, or
            `(num_texts, sequence_length, 1 + max_subwords)` with
            `subword_ngrams` (word id first, then the n-gram ids).
        """
        self._check_fitted()
        if isinstance(texts, str):
            texts = [texts]
        sequence_length = _validation.optional_positive_int(
            "sequence_length", sequence_length, "TextVectorizer.encode"
        )
        length = (
            self.sequence_length if sequence_length is None else sequence_length
        )
        if length is None:
            raise ValueError(
                "`sequence_length` is unknown: pass it to the constructor, "
                "call `fit`, or pass it to `encode`."
            )
        texts = list(texts)
        if self.subword_ngrams is None:
            ids = np.zeros((len(texts), length), dtype="int32")
        else:
            ids = np.zeros(
                (len(texts), length, 1 + self.max_subwords), dtype="int32"
            )
        for row, text in enumerate(texts):
            tokens = self.tokenize(text)[:length]
            words = [self._index.get(t, OOV_ID) for t in tokens]
            if self.subword_ngrams is None:
                ids[row, : len(tokens)] = words
                continue
            ids[row, : len(tokens), 0] = words
            for col, token in enumerate(tokens):
                grams = self.subword_ids(token)
                ids[row, col, 1 : 1 + len(grams)] = grams
        return ids

    __call__ = encode

    def get_config(self):
        """The constructor arguments, vocabulary included (JSON-able).

        `sequence_length` is the constructor argument (`None` when `fit`
        chooses the length); `fitted_sequence_length` holds the length
        `fit` chose (or `None`), which `from_config` restores.
        """
        return {
            "max_tokens": self.max_tokens,
            "min_count": self.min_count,
            "sequence_length": (
                None if self._length_from_data else self.sequence_length
            ),
            "fitted_sequence_length": (
                self.sequence_length if self._length_from_data else None
            ),
            "length_percentile": self.length_percentile,
            "max_sequence_length": self.max_sequence_length,
            "lowercase": self.lowercase,
            "vocabulary": (
                None if self._vocabulary is None else list(self._vocabulary)
            ),
            "subword_ngrams": (
                None
                if self.subword_ngrams is None
                else list(self.subword_ngrams)
            ),
            "subword_buckets": self.subword_buckets,
            "max_subwords": self.max_subwords,
        }

    @classmethod
    def from_config(cls, config):
        """A vectorizer from `get_config()`: the same ids, and a later
        `fit` chooses the length again when the original one did.

        A config without `fitted_sequence_length` (written by an earlier
        version) keeps its `sequence_length` fixed, as it did then.
        """
        config = dict(config)
        fitted = config.pop("fitted_sequence_length", None)
        vocabulary = config.pop("vocabulary", None)
        vectorizer = cls(**config)
        if vocabulary is not None:
            # Not checked again: a saved vocabulary loads as it was saved.
            vectorizer._set_vocabulary(vocabulary, check_tokens=False)
        if fitted is not None:
            vectorizer.sequence_length = _validation.positive_int(
                "fitted_sequence_length", fitted, "TextVectorizer.from_config"
            )
        return vectorizer

    def _check_fitted(self):
        if self._vocabulary is None:
            raise ValueError(
                "This `TextVectorizer` has no vocabulary yet: call "
                "`fit(train_texts)` first."
            )

    def __repr__(self):
        size = None if self._vocabulary is None else self.vocabulary_size
        return (
            f"TextVectorizer(vocabulary_size={size}, "
            f"sequence_length={self.sequence_length})"
        )

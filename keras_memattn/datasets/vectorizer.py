"""Word-level text vectorization in pure Python, for every backend."""

import collections
import re

import numpy as np

from keras_memattn import _validation

# Words (letters, digits, apostrophes inside words) and single punctuation
# marks; punctuation such as "?" or "!" carries signal for question type and
# sentiment, so it is kept as a token.
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[^\w\s]", re.UNICODE)

PAD_ID = 0
OOV_ID = 1


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
    end.

    This is plain Python and NumPy, with no string tensors, so it works the
    same under TensorFlow, JAX and PyTorch, and its `get_config` is a small
    JSON-able dict that a saved model can carry (see
    `keras_memattn.models.text_classifier(vectorizer=...)`). Subword
    tokenizers (keras-hub's WordPiece or byte-pair encoders) are an
    alternative for large vocabularies, but keras-hub imports TensorFlow on
    every backend; for the sentence-level benchmarks here a word vocabulary
    with a frequency cut-off is as accurate.

    Args:
        max_tokens: largest vocabulary size, including the padding and OOV
            ids. `None` keeps every word. Defaults to 20000.
        min_count: words seen fewer times in the training texts are OOV.
            Defaults to 1.
        sequence_length: fixed output length, or `None` (default) to take it
            from the data in `fit`.
        length_percentile: the percentile of training lengths used when
            `sequence_length` is `None`. Defaults to 95.
        max_sequence_length: upper bound on the length chosen from data.
            Defaults to 400.
        lowercase: whether to lower-case texts before splitting. Defaults to
            `True`.
        vocabulary: optional list of words (without the padding and OOV
            entries) to use instead of calling `fit`.

    Example:

    ```python
    vectorizer = keras_memattn.datasets.TextVectorizer(max_tokens=1000)
    vectorizer.fit(["a good film", "a bad film !"])
    ids = vectorizer(["a good , good film"])  # int32, shape (1, length)
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
    ):
        if max_tokens is not None:
            _validation.positive_int("max_tokens", max_tokens, "TextVectorizer")
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
        if (
            isinstance(length_percentile, bool)
            or not isinstance(length_percentile, (int, float))
            or not 0 < length_percentile <= 100
        ):
            raise ValueError(
                "`length_percentile` must be a number in (0, 100]. "
                f"Received: length_percentile={length_percentile!r}"
            )
        self.length_percentile = length_percentile
        self.max_sequence_length = _validation.positive_int(
            "max_sequence_length", max_sequence_length, "TextVectorizer"
        )
        self.lowercase = bool(lowercase)
        self._vocabulary = None
        self._index = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)

    def tokenize(self, text):
        """Splits one text into a list of tokens."""
        if not isinstance(text, str):
            raise TypeError(
                "`TextVectorizer` expects texts as str. "
                f"Received: {type(text).__name__}"
            )
        if self.lowercase:
            text = text.lower()
        return _TOKEN.findall(text)

    def fit(self, texts):
        """Builds the vocabulary (and the length) from training texts.

        Args:
            texts: an iterable of str.

        Returns:
            `self`.
        """
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
        self.set_vocabulary(words)
        if self.sequence_length is None:
            lengths = np.array([max(len(t), 1) for t in tokenized])
            length = int(
                np.ceil(np.percentile(lengths, self.length_percentile))
            )
            self.sequence_length = int(
                min(max(length, 1), self.max_sequence_length)
            )
        return self

    def set_vocabulary(self, vocabulary):
        """Sets the vocabulary words (ids 2, 3, ... in this order)."""
        vocabulary = [str(w) for w in vocabulary]
        if len(set(vocabulary)) != len(vocabulary):
            raise ValueError("`vocabulary` must not contain duplicates.")
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

    def encode(self, texts, sequence_length=None):
        """Encodes texts as padded token ids.

        Args:
            texts: a str or an iterable of str.
            sequence_length: optional length overriding the fitted one.

        Returns:
            An `int32` array of shape `(num_texts, sequence_length)`.
        """
        self._check_fitted()
        if isinstance(texts, str):
            texts = [texts]
        length = sequence_length or self.sequence_length
        if length is None:
            raise ValueError(
                "`sequence_length` is unknown: pass it to the constructor, "
                "call `fit`, or pass it to `encode`."
            )
        texts = list(texts)
        ids = np.zeros((len(texts), length), dtype="int32")
        for row, text in enumerate(texts):
            tokens = self.tokenize(text)[:length]
            ids[row, : len(tokens)] = [
                self._index.get(t, OOV_ID) for t in tokens
            ]
        return ids

    __call__ = encode

    def get_config(self):
        """The constructor arguments, vocabulary included (JSON-able)."""
        return {
            "max_tokens": self.max_tokens,
            "min_count": self.min_count,
            "sequence_length": self.sequence_length,
            "length_percentile": self.length_percentile,
            "max_sequence_length": self.max_sequence_length,
            "lowercase": self.lowercase,
            "vocabulary": (
                None if self._vocabulary is None else list(self._vocabulary)
            ),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

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

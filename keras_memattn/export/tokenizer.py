"""The tokenizer of a text classifier as a JSON file, for apps on devices.

A `.tflite` text classifier takes token ids. An app that classifies raw text
needs what the `TextVectorizer` stored in the `.keras` file knows: the
vocabulary, lower-casing, the sequence length and the subword hashing.
`save_tokenizer` writes all of it, with the class names, into one JSON file;
`examples/tflite_app.py` is a dependency-free implementation of the
encoding that reads it, the one to port to the app's language.
"""

import json
import os

from keras_memattn import _folders
from keras_memattn import _validation

FORMAT = "keras-memattn-tokenizer"
VERSION = 1
# The vocabulary entries of ids 0 and 1, as in
# `keras.layers.TextVectorization.get_vocabulary()`. Neither is a token that
# the tokenizer can produce, so no word is mistaken for them.
PAD_TOKEN = ""
OOV_TOKEN = "[UNK]"


def tokenizer_config(vectorizer, class_names=None):
    """The JSON-able dict that `save_tokenizer` writes.

    Args:
        vectorizer: a fitted `keras_memattn.datasets.TextVectorizer`.
        class_names: optional list of class names, one per output.

    Returns:
        A dict with the keys `format`, `version`, `lowercase`,
        `sequence_length`, `vocabulary` (a list whose index is the token id:
        `""` for padding, `"[UNK]"` for words outside the vocabulary),
        `subwords` (`None`, or `min_n`, `max_n`, `buckets` and
        `max_subwords`), `input_shape` (one text's shape) and
        `class_names` (or `None`).

    Example:

    >>> import keras_memattn
    >>> vectorizer = keras_memattn.datasets.TextVectorizer().fit(
    ...     ["a good film", "a bad film"]
    ... )
    >>> config = keras_memattn.export.tokenizer_config(
    ...     vectorizer, class_names=["neg", "pos"]
    ... )
    >>> config["vocabulary"]
    ['', '[UNK]', 'a', 'film', 'bad', 'good']
    >>> config["sequence_length"], config["class_names"]
    (3, ['neg', 'pos'])
    """
    from keras_memattn.datasets.vectorizer import TextVectorizer

    if not isinstance(vectorizer, TextVectorizer):
        raise TypeError(
            "`vectorizer` must be a `keras_memattn.datasets.TextVectorizer`. "
            f"Received: vectorizer={vectorizer!r} of type "
            f"{type(vectorizer).__name__}"
        )
    vocabulary = vectorizer.vocabulary  # Raises if not fitted.
    if vectorizer.sequence_length is None:
        raise ValueError(
            "The vectorizer has no `sequence_length`: a `.tflite` model has "
            "a fixed time axis, so the app needs it. Pass `sequence_length` "
            "to the `TextVectorizer` or let `fit` choose it."
        )
    if class_names is not None:
        _validation.not_one_string("class_names", class_names, "names")
        class_names = [str(name) for name in class_names]
    subwords = None
    if vectorizer.subword_ngrams is not None:
        min_n, max_n = vectorizer.subword_ngrams
        subwords = {
            "min_n": int(min_n),
            "max_n": int(max_n),
            "buckets": int(vectorizer.subword_buckets),
            "max_subwords": int(vectorizer.max_subwords),
        }
    return {
        "format": FORMAT,
        "version": VERSION,
        "lowercase": bool(vectorizer.lowercase),
        "sequence_length": int(vectorizer.sequence_length),
        "vocabulary": [PAD_TOKEN, OOV_TOKEN] + vocabulary,
        "subwords": subwords,
        "input_shape": [int(d) for d in vectorizer.input_shape],
        "class_names": class_names,
    }


def save_tokenizer(model, path, class_names=None):
    """Writes the tokenizer of a text classifier as JSON, for an app.

    The file holds what turns raw text into the input of the model's
    `.tflite` file: the vocabulary (the list index is the token id),
    whether text is lower-cased, the sequence length, the subword settings
    and the class names. The encoding that reads it is specified in
    `docs/export.md` ("Text on the device") and implemented, without
    Keras or this package, in `examples/tflite_app.py`; a test checks that
    implementation against `TextVectorizer` on random Unicode text.
    `memattn export` writes this file next to the `.tflite` file of every
    model that holds a vectorizer.

    Args:
        model: a `keras.Model` built by
            `keras_memattn.models.text_classifier(vectorizer=...)` (also
            after `add_naive_bayes` or saving and loading), or a fitted
            `keras_memattn.datasets.TextVectorizer`.
        path: the `.json` file to write (its folder is created).
        class_names: optional list of class names; for a model, the ones
            it stores (`keras_memattn.models.get_class_names`) by default.

    Returns:
        `path`.

    Example:

    ```python
    model = keras.models.load_model("sst2.keras")
    keras_memattn.export.to_tflite(model, "sst2.tflite")
    keras_memattn.export.save_tokenizer(model, "sst2.tokenizer.json")
    ```
    """
    from keras_memattn import models
    from keras_memattn.datasets.vectorizer import TextVectorizer

    path = os.fspath(path)
    if isinstance(model, TextVectorizer):
        vectorizer = model
    else:
        vectorizer = models.get_vectorizer(model)
        if vectorizer is None:
            raise ValueError(
                "The model holds no `TextVectorizer`, so there is no "
                "tokenizer to save: build it with "
                "`keras_memattn.models.text_classifier(vectorizer=...)`. "
                f"Received: model={getattr(model, 'name', model)!r}"
            )
        if class_names is None:
            class_names = models.get_class_names(model)
    config = tokenizer_config(vectorizer, class_names)
    if os.path.isdir(path):
        raise ValueError(
            f"`path` must name a file, not a folder. Received: path={path!r}"
        )
    folder = os.path.dirname(os.path.abspath(path))
    _folders.make_folders(folder)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False)
    return path

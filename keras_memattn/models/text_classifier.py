"""A text classifier built from the package's encoders or Keras' own."""

import keras
import ml_dtypes
from keras import ops

from keras_memattn import _initializers
from keras_memattn import _validation

ENCODERS = (
    "wm_lstm",
    "attention_gru",
    "mann",
    "self_attention",
    "lstm",
    "gru",
)
POOLINGS = ("attention", "last", "mean", "max")
RECURRENT_ENCODERS = ("wm_lstm", "attention_gru", "mann", "lstm", "gru")


@keras.saving.register_keras_serializable(package="keras_memattn")
class TokenIds(keras.layers.Layer):
    """Identity on token ids that records how the ids were made.

    A text model takes `int32` token ids, not strings (string tensors exist
    on TensorFlow only). This layer sits right after the model's input and
    passes the ids through unchanged; its config holds the
    `keras_memattn.datasets.TextVectorizer` that produced them and the class
    names, so a saved `.keras` file is all that is needed to classify raw
    text again (`keras_memattn.models.get_vectorizer`). It has no weights.

    Args:
        vectorizer: a fitted `TextVectorizer`, or its config dict.
        class_names: optional list of str, one per output class.
        **kwargs: base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: int tensor of token ids, `(batch, sequence_length)`.

    Returns:
        `inputs`, unchanged.

    Example:

    ```python
    vectorizer = keras_memattn.datasets.TextVectorizer().fit(["a b", "b c"])
    ids = keras.Input((vectorizer.sequence_length,), dtype="int32")
    same = keras_memattn.models.TokenIds(vectorizer, ["neg", "pos"])(ids)
    ```
    """

    def __init__(self, vectorizer, class_names=None, **kwargs):
        super().__init__(**kwargs)
        from keras_memattn.datasets.vectorizer import TextVectorizer

        if isinstance(vectorizer, dict):
            vectorizer = TextVectorizer.from_config(vectorizer)
        if not isinstance(vectorizer, TextVectorizer):
            raise ValueError(
                "`vectorizer` must be a `TextVectorizer` or its config. "
                f"Received: vectorizer={vectorizer!r}"
            )
        vectorizer._check_fitted()
        _validation.not_one_string(
            "class_names", class_names, "names, one per class"
        )
        self.vectorizer = vectorizer
        self.class_names = (
            None if class_names is None else [str(c) for c in class_names]
        )
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vectorizer": self.vectorizer.get_config(),
                "class_names": self.class_names,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_memattn")
class PositionEmbedding(keras.layers.Layer):
    """Adds a learned embedding of each position to a sequence.

    The self-attention encoder of `text_classifier` has no notion of order
    without it. The input's Keras mask passes through.

    Args:
        sequence_length: the largest sequence length.
        embeddings_initializer: initializer of the `(sequence_length,
            features)` table. Defaults to `"uniform"`.
        **kwargs: base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: float tensor `(batch, time, features)` with
            `time <= sequence_length`.

    Returns:
        `inputs` plus the embedding of each position, same shape.

    Example:

    ```python
    x = keras.random.normal((2, 5, 8))
    y = keras_memattn.models.PositionEmbedding(10)(x)
    ```
    """

    def __init__(
        self, sequence_length, embeddings_initializer="uniform", **kwargs
    ):
        super().__init__(**kwargs)
        self.sequence_length = _validation.positive_int(
            "sequence_length", sequence_length, "PositionEmbedding"
        )
        self.embeddings_initializer = keras.initializers.get(
            embeddings_initializer
        )
        self.supports_masking = True

    def build(self, input_shape):
        _validation.input_rank("inputs", input_shape, 3, "PositionEmbedding")
        self.embeddings = self.add_weight(
            shape=(self.sequence_length, input_shape[-1]),
            initializer=self.embeddings_initializer,
            name="embeddings",
        )

    def call(self, inputs):
        inputs = _validation.as_float(inputs, self.compute_dtype)
        steps = ops.shape(inputs)[1]
        if isinstance(steps, int) and steps > self.sequence_length:
            raise ValueError(
                f"PositionEmbedding: the inputs have {steps} time steps, "
                "more than the positions it has embeddings for. Received: "
                f"inputs.shape={tuple(inputs.shape)}, "
                f"sequence_length={self.sequence_length}"
            )
        positions = ops.cast(self.embeddings[:steps], self.compute_dtype)
        return inputs + positions[None]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "sequence_length": self.sequence_length,
                "embeddings_initializer": keras.initializers.serialize(
                    self.embeddings_initializer
                ),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_memattn")
class MaskedMaxPooling(keras.layers.Layer):
    """Maximum over the unpadded time steps of each feature.

    Max-over-time pooling, as in Kim's (2014) CNN and InferSent's BiLSTM-max
    sentence encoder (Conneau et al., 2017). `keras.layers.GlobalMaxPooling1D`
    ignores the Keras mask, so padded steps (zeros or whatever an encoder
    leaves there) could win the maximum; here they never do.

    Masking: consumes the Keras mask of its input. A sequence whose steps are
    all padded gives a zero vector.

    Args:
        **kwargs: base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: float tensor `(batch, time, features)`.
        mask: optional bool tensor `(batch, time)`, `True` for real steps;
            passed automatically from a masking layer.

    Returns:
        float tensor `(batch, features)`.

    Example:

    ```python
    x = keras.random.normal((2, 5, 8))
    mask = keras.ops.convert_to_tensor([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1]])
    y = keras_memattn.models.MaskedMaxPooling()(x, mask=mask > 0)  # (2, 8)
    ```

    References:
        Conneau et al., 2017, "Supervised Learning of Universal Sentence
        Representations from Natural Language Inference Data",
        https://arxiv.org/abs/1705.02364.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        _validation.input_rank("inputs", input_shape, 3, "MaskedMaxPooling")

    def call(self, inputs, mask=None):
        inputs = _validation.as_float(inputs, self.compute_dtype)
        if mask is None:
            return ops.max(inputs, axis=1)
        # Converted first: a nested list has no `shape` to check.
        mask = ops.cast(mask, "bool")
        _validation.padding_mask(inputs, mask, "MaskedMaxPooling")
        mask = mask[..., None]
        # The lowest finite value of the dtype: no real activation is
        # below it, and unlike -inf it keeps the maximum (and its
        # gradient) finite in a row whose steps are all masked.
        dtype = keras.backend.standardize_dtype(inputs.dtype)
        fill = ops.cast(float(ml_dtypes.finfo(dtype).min), dtype)
        pooled = ops.max(ops.where(mask, inputs, fill), axis=1)
        return ops.where(ops.any(mask, axis=1), pooled, ops.zeros_like(pooled))

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


@keras.saving.register_keras_serializable(package="keras_memattn")
class MaskedAveragePooling(keras.layers.Layer):
    """Mean over the unpadded time steps, zero for a fully padded sequence.

    Like `keras.layers.GlobalAveragePooling1D` with a mask, except that a
    sequence whose steps are all padded (an empty text) gives a zero vector
    instead of NaN (0 / 0). The wide part of `text_classifier` pools with it.

    Masking: consumes the Keras mask of its input.

    Args:
        **kwargs: base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: float tensor `(batch, time, features)`.
        mask: optional bool tensor `(batch, time)`, `True` for real steps.

    Returns:
        float tensor `(batch, features)`.

    Example:

    ```python
    x = keras.random.normal((2, 5, 8))
    mask = keras.ops.convert_to_tensor([[1, 1, 0, 0, 0], [0, 0, 0, 0, 0]])
    y = keras_memattn.models.MaskedAveragePooling()(x, mask=mask > 0)
    ```
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        _validation.input_rank("inputs", input_shape, 3, "MaskedAveragePooling")

    def call(self, inputs, mask=None):
        inputs = _validation.as_float(inputs, self.compute_dtype)
        if mask is None:
            return ops.mean(inputs, axis=1)
        # Converted first: a nested list has no `shape` to check. Through
        # bool, so that any nonzero entry of an integer mask weighs one.
        mask = ops.cast(mask, "bool")
        _validation.padding_mask(inputs, mask, "MaskedAveragePooling")
        weights = ops.cast(mask, inputs.dtype)[..., None]
        total = ops.sum(inputs * weights, axis=1)
        return total / ops.maximum(ops.sum(weights, axis=1), 1.0)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


@keras.saving.register_keras_serializable(package="keras_memattn")
class SubwordEmbedding(keras.layers.Layer):
    """Word embeddings averaged with hashed character n-gram embeddings.

    The fastText representation of a word (Bojanowski et al., 2017): the
    vector of word `w` with n-gram bucket ids `g_1 .. g_k` is

    ```
    e(w) = (E[w] + sum_j S[g_j]) / (1 + k)
    ```

    where `E` is the word table and `S` the table of n-gram buckets. A word
    outside the vocabulary (id 1) still gets a vector from its n-grams, and
    rare inflections share n-grams with frequent ones. The ids come from
    `keras_memattn.datasets.TextVectorizer(subword_ngrams=...)`, whose
    `[..., 0]` is the word id and `[..., 1:]` the n-gram ids (0 for none).

    Masking: the output mask is `word id != 0`, as with
    `keras.layers.Embedding(mask_zero=True)`; n-gram id 0 is ignored.

    Args:
        input_dim: size of the word vocabulary (padding and OOV included).
        output_dim: size of the vectors.
        num_buckets: number of n-gram hash buckets (the n-gram ids are
            `1..num_buckets`).
        embeddings_initializer: initializer of both tables. Defaults to
            `"uniform"`, as in `keras.layers.Embedding`.
        **kwargs: base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: int tensor `(batch, time, 1 + max_subwords)`.

    Returns:
        float tensor `(batch, time, output_dim)`.

    Example:

    ```python
    vectorizer = keras_memattn.datasets.TextVectorizer(
        subword_ngrams=(3, 5), subword_buckets=1000
    ).fit(["a good film", "a bad film"])
    layer = keras_memattn.models.SubwordEmbedding(
        vectorizer.vocabulary_size, 8, num_buckets=1000
    )
    vectors = layer(vectorizer(["a goodish film"]))  # (1, length, 8)
    ```

    References:
        Bojanowski et al., 2017, "Enriching Word Vectors with Subword
        Information", https://arxiv.org/abs/1607.04606.
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        num_buckets,
        embeddings_initializer="uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.input_dim = _validation.positive_int(
            "input_dim", input_dim, "SubwordEmbedding"
        )
        self.output_dim = _validation.positive_int(
            "output_dim", output_dim, "SubwordEmbedding"
        )
        self.num_buckets = _validation.positive_int(
            "num_buckets", num_buckets, "SubwordEmbedding"
        )
        self.embeddings_initializer = keras.initializers.get(
            embeddings_initializer
        )
        self.supports_masking = True

    def build(self, input_shape):
        _validation.input_rank("inputs", input_shape, 3, "SubwordEmbedding")
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            name="embeddings",
        )
        self.subword_embeddings = self.add_weight(
            shape=(self.num_buckets + 1, self.output_dim),
            # A new instance: the same one would repeat the word table's
            # first rows (its values do not depend on the shape).
            initializer=_initializers.fresh(self.embeddings_initializer),
            name="subword_embeddings",
        )

    def call(self, inputs):
        # `build` checks the rank only once; word ids alone `(batch, time)`
        # would give one vector per text instead of one per word.
        _validation.input_rank("inputs", inputs.shape, 3, "SubwordEmbedding")
        # One conversion to NumPy (none when traced) for both checks.
        value = _validation.concrete_value(inputs)
        if value is not None:
            _validation.id_range(
                "inputs[..., 0]",
                value[..., 0],
                self.input_dim,
                "input_dim",
                "SubwordEmbedding",
            )
            _validation.id_range(
                "inputs[..., 1:]",
                value[..., 1:],
                self.num_buckets + 1,
                "num_buckets + 1",
                "SubwordEmbedding",
            )
        ids = ops.cast(inputs, "int32")
        words = ops.take(self.embeddings, ids[..., 0], axis=0)
        subwords = ops.take(self.subword_embeddings, ids[..., 1:], axis=0)
        present = ops.cast(ids[..., 1:] > 0, self.compute_dtype)[..., None]
        words = ops.cast(words, self.compute_dtype)
        subwords = ops.cast(subwords, self.compute_dtype) * present
        total = words + ops.sum(subwords, axis=-2)
        return total / (1.0 + ops.sum(present, axis=-2))

    def compute_mask(self, inputs, mask=None):
        return ops.not_equal(inputs[..., 0], 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "num_buckets": self.num_buckets,
                "embeddings_initializer": keras.initializers.serialize(
                    self.embeddings_initializer
                ),
            }
        )
        return config


# A prime p with p * p < 2**31: n-gram hashes stay exact in int32 on every
# backend.
_NGRAM_PRIME = 46337
# Reduces the running hash of a trigram or longer before the next word is
# mixed in. It must differ from `_NGRAM_PRIME`: `(h * p + w) mod p` would
# keep only the last word. `46327 * 46337 + 46336 < 2**31`.
_NGRAM_STATE_MODULUS = 46327


@keras.saving.register_keras_serializable(package="keras_memattn")
class HashedNgrams(keras.layers.Layer):
    """Ids of the word n-grams of a sequence, for a bag-of-n-grams model.

    The "wide" part of `text_classifier(wide_ngrams=...)`, after fastText's
    linear classifier (Joulin et al., 2017). For word ids `w_1 .. w_T` it
    returns, for each order `n = 1 .. max_n` and each position `t`, an id
    of the n-gram `w_t .. w_{t+n-1}`: unigrams keep their word id (`0 ..
    vocab_size - 1`); longer n-grams are hashed in int32 arithmetic,

    ```
    h = w_t mod p;  h = (h mod q_i) * p + (w_{t+i} mod p)  for i = 1 .. n-1
    id = vocab_size + h mod num_buckets
    ```

    with the prime `p = 46337`, `q_1 = p` and `q_i = 46327` for `i >= 2`
    (so `h < 2**31`; for vocabularies below `p` two different bigrams
    collide only through `mod num_buckets`, and reducing a longer n-gram's
    running hash by a number other than `p` keeps its earlier words).
    Plain integer ops, so the ids are the same on every backend. An
    n-gram that reaches padding (id 0) gets id 0.

    Masking: the output has another length, so no mask is passed on; use
    id 0 as the padding of an `Embedding(mask_zero=True)`.

    Args:
        vocab_size: number of word ids.
        num_buckets: number of hash buckets for n-grams of order 2 and up.
        max_n: longest n-gram, at least 1. Defaults to 2.
        **kwargs: base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: int tensor of word ids `(batch, time)`, or the
            `(batch, time, 1 + max_subwords)` ids of a subword vectorizer
            (the word ids `[..., 0]` are used).

    Returns:
        int32 tensor `(batch, time * max_n)`: the unigram ids, then the
        bigram ids, and so on; ids lie in `0 .. vocab_size + num_buckets - 1`.

    Example:

    ```python
    ids = keras.ops.convert_to_tensor([[5, 7, 9, 0]])
    ngrams = keras_memattn.models.HashedNgrams(10, 100)(ids)  # (1, 8)
    ```

    References:
        Joulin et al., 2017, "Bag of Tricks for Efficient Text
        Classification", https://arxiv.org/abs/1607.01759.
    """

    def __init__(self, vocab_size, num_buckets, max_n=2, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = _validation.positive_int(
            "vocab_size", vocab_size, "HashedNgrams"
        )
        self.num_buckets = _validation.positive_int(
            "num_buckets", num_buckets, "HashedNgrams"
        )
        self.max_n = _validation.positive_int("max_n", max_n, "HashedNgrams")
        if self.vocab_size + self.num_buckets >= 2**31:
            raise ValueError(
                "HashedNgrams: `vocab_size + num_buckets` must be below "
                f"2**31. Received: vocab_size={vocab_size}, "
                f"num_buckets={num_buckets}"
            )
        self.built = True

    def _check_rank(self, shape):
        if len(shape) not in (2, 3):
            raise ValueError(
                "HashedNgrams: `inputs` must be word ids `(batch, time)` or "
                "subword ids `(batch, time, 1 + max_subwords)`. Received: "
                f"inputs.shape={tuple(shape)}"
            )

    def call(self, inputs):
        self._check_rank(inputs.shape)
        ids = ops.cast(inputs, "int32")
        if len(ids.shape) == 3:
            ids = ids[..., 0]
        # Larger word ids would share the ids of hashed n-grams.
        _validation.id_range(
            "inputs", ids, self.vocab_size, "vocab_size", "HashedNgrams"
        )
        outputs = [ids]
        hashed = ops.mod(ids, _NGRAM_PRIME)
        valid = ids > 0
        for n in range(2, self.max_n + 1):
            following = ids[:, n - 1 :]
            modulus = _NGRAM_PRIME if n == 2 else _NGRAM_STATE_MODULUS
            hashed = ops.mod(hashed[:, :-1], modulus) * _NGRAM_PRIME
            hashed = hashed + ops.mod(following, _NGRAM_PRIME)
            valid = ops.logical_and(valid[:, :-1], following > 0)
            bucket = self.vocab_size + ops.mod(hashed, self.num_buckets)
            bucket = ops.where(valid, bucket, ops.zeros_like(bucket))
            # Back to `steps` columns; the last n - 1 are padding.
            bucket = ops.concatenate(
                [bucket, ops.zeros_like(ids[:, : n - 1])], axis=1
            )
            outputs.append(bucket)
        return ops.concatenate(outputs, axis=1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        steps = input_shape[1]
        return (
            input_shape[0],
            None if steps is None else steps * self.max_n,
        )

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(
            self.compute_output_shape(inputs.shape), dtype="int32"
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocab_size": self.vocab_size,
                "num_buckets": self.num_buckets,
                "max_n": self.max_n,
            }
        )
        return config


def _package_layer(name, needed_by):
    from keras_memattn import layers

    layer = getattr(layers, name, None)
    if layer is None:
        raise ImportError(
            f"{needed_by} needs `keras_memattn.layers.{name}`, which this "
            "installation of keras_memattn does not provide."
        )
    return layer


def _recurrent_layer(encoder, units, return_sequences, dropout, kwargs):
    kwargs = dict(kwargs)
    kwargs.setdefault("dropout", dropout)
    if encoder == "lstm":
        cls = keras.layers.LSTM
    elif encoder == "gru":
        cls = keras.layers.GRU
    elif encoder == "wm_lstm":
        cls = _package_layer("WorkingMemoryLSTM", "encoder='wm_lstm'")
    elif encoder == "attention_gru":
        cls = _package_layer("AttentionGRU", "encoder='attention_gru'")
    else:
        cls = _package_layer("MANNLayer", "encoder='mann'")
    return cls(units, return_sequences=return_sequences, **kwargs)


def text_classifier(
    encoder="wm_lstm",
    vocab_size=None,
    num_classes=None,
    embedding_dim=128,
    units=128,
    bidirectional=False,
    pooling="attention",
    dropout=0.0,
    num_heads=4,
    sequence_length=None,
    encoder_kwargs=None,
    vectorizer=None,
    class_names=None,
    subword_buckets=None,
    wide_ngrams=None,
    wide_buckets=100000,
    name=None,
):
    """Builds a text classifier: embedding, encoder, pooling, softmax.

    token ids -> `Embedding(mask_zero=True)` -> dropout -> encoder ->
    pooling -> dropout -> `Dense(num_classes, activation="softmax")`.

    Two options add the features of fastText to the recurrent or attention
    encoder. With subwords (`subword_buckets`, or a vectorizer made with
    `subword_ngrams`) the input holds each word's character n-gram ids as
    well, and the embedding is a `SubwordEmbedding`: the word vector
    averaged with its n-gram vectors, so words unseen in training still get
    a vector. With `wide_ngrams` a linear bag-of-n-grams model (a "wide"
    part, as in wide-and-deep models: `HashedNgrams` -> per-class
    embedding -> `MaskedAveragePooling`) adds its logits to the encoder's
    before the softmax.

    The padding mask of the embedding reaches the encoder and the pooling,
    so padded positions never influence the prediction. The final layer
    runs in float32 under a mixed-precision policy.

    Args:
        encoder: one of `"wm_lstm"` (`keras_memattn.layers.WorkingMemoryLSTM`),
            `"attention_gru"` (`keras_memattn.layers.AttentionGRU`),
            `"mann"` (`keras_memattn.layers.MANNLayer`),
            `"self_attention"` (`keras_memattn.layers.MultiHeadSelfAttention`
            with a learned position embedding, a residual connection and
            layer normalization), or the Keras baselines `"lstm"` and
            `"gru"`. Defaults to `"wm_lstm"`.
        vocab_size: number of token ids (padding and OOV included). Defaults
            to `vectorizer.vocabulary_size` when a vectorizer is given.
        num_classes: number of classes, at least 2. Defaults to
            `len(class_names)` when class names are given.
        embedding_dim: size of the token embeddings. Defaults to 128.
        units: size of the recurrent state (or, for `"self_attention"`, of
            all heads together, a multiple of `num_heads`). Defaults to 128.
        bidirectional: wrap a recurrent encoder in
            `keras.layers.Bidirectional` (outputs concatenated). Defaults to
            `False`.
        pooling: how the encoder's sequence becomes one vector:
            `"attention"` (`keras_memattn.layers.AttentionPooling`), `"last"`
            (the recurrent layer's final output; not for
            `"self_attention"`), `"mean"` (masked average) or `"max"`
            (`MaskedMaxPooling`, max over the unpadded steps). Defaults to
            `"attention"`.
        dropout: dropout rate on the embeddings and on the pooled vector,
            and inside the encoder: on the inputs of a recurrent layer, on
            the attention weights of `"self_attention"`. Defaults to 0.
        num_heads: heads of the `"self_attention"` encoder. Defaults to 4.
        sequence_length: fixed input length, or `None` for any length.
            With a vectorizer, its `sequence_length` (the default; another
            value is an error). Required for `"self_attention"` (position
            embedding).
        encoder_kwargs: optional dict of extra constructor arguments for the
            encoder layer, e.g. `{"memory_size": 32}` for `"mann"`; not
            `units`/`return_sequences` (recurrent) or `num_heads`/`key_dim`
            (self-attention), which the other arguments set.
        vectorizer: optional fitted `keras_memattn.datasets.TextVectorizer`.
            It is stored in the model (a `TokenIds` layer), so the saved
            model can encode raw text (`keras_memattn.models.get_vectorizer`).
        class_names: optional list of class names, stored likewise.
        subword_buckets: number of character n-gram hash buckets when the
            input carries subword ids (`(batch, sequence_length, 1 +
            max_subwords)` from `TextVectorizer(subword_ngrams=...)`);
            `None` (default) takes the vectorizer's when it has subwords,
            else the input is word ids only.
        wide_ngrams: `None` (default) for no wide part, or the longest word
            n-gram of the bag-of-n-grams logits added to the encoder's
            (1: words, 2: words and bigrams, ...).
        wide_buckets: hash buckets of the wide part's n-grams of order 2
            and up. Defaults to 100000.
        name: optional model name. Defaults to `"<encoder>_classifier"`.

    Returns:
        An uncompiled `keras.Model` from int token ids `(batch,
        sequence_length)` (with subwords `(batch, sequence_length, 1 +
        max_subwords)`) to class probabilities `(batch, num_classes)`;
        compile it with `"sparse_categorical_crossentropy"`.

    Example:

    ```python
    model = keras_memattn.models.text_classifier(
        encoder="lstm", vocab_size=1000, num_classes=2, units=32,
        embedding_dim=32, pooling="mean",
    )
    model.compile(
        "adam", "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    ```
    """
    _validation.one_of("encoder", encoder, ENCODERS, "text_classifier")
    _validation.one_of("pooling", pooling, POOLINGS, "text_classifier")
    bidirectional = _validation.boolean(
        "bidirectional", bidirectional, "text_classifier"
    )
    if vocab_size is None and vectorizer is not None:
        vocab_size = vectorizer.vocabulary_size
    if num_classes is None and class_names is not None:
        num_classes = len(class_names)
    vocab_size = _validation.positive_int(
        "vocab_size", vocab_size, "text_classifier"
    )
    if vectorizer is not None and vocab_size < vectorizer.vocabulary_size:
        raise ValueError(
            "text_classifier: `vocab_size` must cover the vectorizer's ids "
            f"(vocabulary_size={vectorizer.vocabulary_size}). Received: "
            f"vocab_size={vocab_size}"
        )
    num_classes = _validation.positive_int(
        "num_classes", num_classes, "text_classifier"
    )
    if num_classes < 2:
        raise ValueError(
            "text_classifier: `num_classes` must be at least 2. "
            f"Received: num_classes={num_classes}"
        )
    if class_names is not None and len(class_names) != num_classes:
        raise ValueError(
            "text_classifier: `class_names` must have `num_classes` entries. "
            f"Received: len(class_names)={len(class_names)}, "
            f"num_classes={num_classes}"
        )
    embedding_dim = _validation.positive_int(
        "embedding_dim", embedding_dim, "text_classifier"
    )
    units = _validation.positive_int("units", units, "text_classifier")
    num_heads = _validation.positive_int(
        "num_heads", num_heads, "text_classifier"
    )
    dropout = _validation.rate("dropout", dropout, "text_classifier")
    if vectorizer is not None:
        if sequence_length is None:
            sequence_length = vectorizer.sequence_length
        elif sequence_length != vectorizer.sequence_length:
            raise ValueError(
                "text_classifier: `sequence_length` must match the "
                "vectorizer's, whose ids the model takes "
                f"({vectorizer.sequence_length}). Received: "
                f"sequence_length={sequence_length}"
            )
    sequence_length = _validation.optional_positive_int(
        "sequence_length", sequence_length, "text_classifier"
    )
    subword_width = None
    vectorizer_buckets = None
    if vectorizer is not None and vectorizer.subword_ngrams is not None:
        vectorizer_buckets = vectorizer.subword_buckets
        subword_width = 1 + vectorizer.max_subwords
    if subword_buckets is None:
        subword_buckets = vectorizer_buckets
    elif vectorizer is not None and subword_buckets != vectorizer_buckets:
        raise ValueError(
            "text_classifier: `subword_buckets` must match the vectorizer's "
            f"({vectorizer_buckets}). Received: "
            f"subword_buckets={subword_buckets}"
        )
    subword_buckets = _validation.optional_positive_int(
        "subword_buckets", subword_buckets, "text_classifier"
    )
    wide_ngrams = _validation.optional_positive_int(
        "wide_ngrams", wide_ngrams, "text_classifier"
    )
    wide_buckets = _validation.positive_int(
        "wide_buckets", wide_buckets, "text_classifier"
    )
    encoder_kwargs = dict(encoder_kwargs or {})
    controlled = (
        ("num_heads", "key_dim")
        if encoder == "self_attention"
        else ("units", "return_sequences")
    )
    clashes = sorted(set(encoder_kwargs) & set(controlled))
    if clashes:
        raise ValueError(
            "text_classifier: `encoder_kwargs` may not set "
            f"{', '.join(repr(k) for k in clashes)}; they follow from "
            "`units`, `num_heads` and `pooling`. Received: "
            f"encoder_kwargs={encoder_kwargs!r}"
        )
    if encoder == "self_attention":
        if bidirectional:
            raise ValueError(
                "text_classifier: `bidirectional=True` applies to recurrent "
                "encoders only. Received: encoder='self_attention'"
            )
        if pooling == "last":
            raise ValueError(
                "text_classifier: pooling='last' needs a recurrent encoder. "
                "Received: encoder='self_attention'"
            )
        if sequence_length is None:
            source = (
                "a `vectorizer` with a fixed `sequence_length`"
                if vectorizer is not None
                else "a `vectorizer`"
            )
            raise ValueError(
                "text_classifier: encoder='self_attention' needs "
                f"`sequence_length` (or {source}) for its position "
                "embedding. Received: sequence_length=None"
                + (
                    ", and a vectorizer without a length (fit it, or set "
                    "its `sequence_length`)"
                    if vectorizer is not None
                    else ""
                )
            )
        if units % num_heads:
            raise ValueError(
                "text_classifier: with encoder='self_attention', `units` "
                "(the size of all heads together) must be a multiple of "
                f"`num_heads`. Received: units={units}, num_heads={num_heads}"
            )

    if subword_buckets is None:
        input_shape = (sequence_length,)
    else:
        input_shape = (sequence_length, subword_width)
    inputs = keras.Input(input_shape, dtype="int32", name="token_ids")
    x = inputs
    if vectorizer is not None or class_names is not None:
        if vectorizer is None:
            raise ValueError(
                "text_classifier: `class_names` are stored with the "
                "`vectorizer`; pass both. Received: vectorizer=None"
            )
        x = TokenIds(vectorizer, class_names, name="token_ids_info")(x)
    ids = x
    if subword_buckets is None:
        x = keras.layers.Embedding(
            vocab_size, embedding_dim, mask_zero=True, name="embedding"
        )(x)
    else:
        x = SubwordEmbedding(
            vocab_size, embedding_dim, subword_buckets, name="embedding"
        )(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="embedding_dropout")(x)

    if encoder == "self_attention":
        attention_cls = _package_layer(
            "MultiHeadSelfAttention", "encoder='self_attention'"
        )
        key_dim = units // num_heads
        encoder_kwargs.setdefault("dropout", dropout)
        encoder_kwargs.setdefault("name", "encoder")
        x = PositionEmbedding(sequence_length, name="position_embedding")(x)
        attended = attention_cls(
            num_heads=num_heads, key_dim=key_dim, **encoder_kwargs
        )(x)
        x = keras.layers.Add(name="residual")([x, attended])
        x = keras.layers.LayerNormalization(name="layer_norm")(x)
    else:
        if not bidirectional:
            encoder_kwargs.setdefault("name", "encoder")
        layer = _recurrent_layer(
            encoder, units, pooling != "last", dropout, encoder_kwargs
        )
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name="encoder")
        x = layer(x)

    if pooling == "attention":
        x = _package_layer("AttentionPooling", "pooling='attention'")(
            name="attention_pooling"
        )(x)
    elif pooling == "mean":
        x = MaskedAveragePooling(name="mean_pooling")(x)
    elif pooling == "max":
        x = MaskedMaxPooling(name="max_pooling")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="pooled_dropout")(x)
    if wide_ngrams is None:
        outputs = keras.layers.Dense(
            num_classes,
            activation="softmax",
            dtype="float32",
            name="classifier",
        )(x)
    else:
        logits = keras.layers.Dense(
            num_classes, dtype="float32", name="classifier"
        )(x)
        wide = HashedNgrams(
            vocab_size, wide_buckets, wide_ngrams, name="wide_ngrams"
        )(ids)
        wide = keras.layers.Embedding(
            vocab_size + wide_buckets,
            num_classes,
            mask_zero=True,
            dtype="float32",
            name="wide_embedding",
        )(wide)
        wide = MaskedAveragePooling(dtype="float32", name="wide_pooling")(wide)
        logits = keras.layers.Add(dtype="float32", name="logits")(
            [logits, wide]
        )
        outputs = keras.layers.Activation(
            "softmax", dtype="float32", name="probabilities"
        )(logits)
    return keras.Model(inputs, outputs, name=name or f"{encoder}_classifier")


def _token_ids_layer(model):
    for layer in model.layers:
        if isinstance(layer, TokenIds):
            return layer
    # A model nested in another, as in `add_naive_bayes`.
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found = _token_ids_layer(layer)
            if found is not None:
                return found
    return None


def get_vectorizer(model):
    """The `TextVectorizer` stored in a model by `text_classifier`.

    Args:
        model: a `keras.Model`, e.g. loaded with `keras.models.load_model`.

    Returns:
        The `keras_memattn.datasets.TextVectorizer`, or `None` if the model
        holds none.

    Example:

    ```python
    model = keras.models.load_model("model.keras")
    ids = keras_memattn.models.get_vectorizer(model)(["a fine film"])
    probabilities = model.predict(ids)
    ```
    """
    layer = _token_ids_layer(model)
    return None if layer is None else layer.vectorizer


def get_class_names(model):
    """The class names stored in a model by `text_classifier`, or `None`.

    Example:

    ```python
    import keras
    import keras_memattn

    model = keras.models.load_model("sst2.keras")
    names = keras_memattn.models.get_class_names(model)  # ["negative", ...]
    ```
    """
    layer = _token_ids_layer(model)
    return None if layer is None else layer.class_names

"""A text classifier built from the package's encoders or Keras' own."""

import keras
from keras import ops

from keras_memattn import _validation

ENCODERS = (
    "wm_lstm",
    "attention_gru",
    "mann",
    "self_attention",
    "lstm",
    "gru",
)
POOLINGS = ("attention", "last", "mean")
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
        steps = ops.shape(inputs)[1]
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
    name=None,
):
    """Builds a text classifier: embedding, encoder, pooling, softmax.

    token ids -> `Embedding(mask_zero=True)` -> dropout -> encoder ->
    pooling -> dropout -> `Dense(num_classes, activation="softmax")`.

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
            all heads together). Defaults to 128.
        bidirectional: wrap a recurrent encoder in
            `keras.layers.Bidirectional` (outputs concatenated). Defaults to
            `False`.
        pooling: how the encoder's sequence becomes one vector:
            `"attention"` (`keras_memattn.layers.AttentionPooling`), `"last"`
            (the recurrent layer's final output; not for
            `"self_attention"`) or `"mean"` (masked average). Defaults to
            `"attention"`.
        dropout: dropout rate on the embeddings, on the encoder's inputs and
            on the pooled vector. Defaults to 0.
        num_heads: heads of the `"self_attention"` encoder. Defaults to 4.
        sequence_length: fixed input length, or `None` for any length.
            Defaults to `vectorizer.sequence_length` when a vectorizer is
            given. Required for `"self_attention"` (position embedding).
        encoder_kwargs: optional dict of extra constructor arguments for the
            encoder layer, e.g. `{"memory_size": 32}` for `"mann"`.
        vectorizer: optional fitted `keras_memattn.datasets.TextVectorizer`.
            It is stored in the model (a `TokenIds` layer), so the saved
            model can encode raw text (`keras_memattn.models.get_vectorizer`).
        class_names: optional list of class names, stored likewise.
        name: optional model name. Defaults to `"<encoder>_classifier"`.

    Returns:
        An uncompiled `keras.Model` from int token ids `(batch,
        sequence_length)` to class probabilities `(batch, num_classes)`;
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
    if vocab_size is None and vectorizer is not None:
        vocab_size = vectorizer.vocabulary_size
    if num_classes is None and class_names is not None:
        num_classes = len(class_names)
    vocab_size = _validation.positive_int(
        "vocab_size", vocab_size, "text_classifier"
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
    dropout = _validation.rate("dropout", dropout, "text_classifier")
    if sequence_length is None and vectorizer is not None:
        sequence_length = vectorizer.sequence_length
    sequence_length = _validation.optional_positive_int(
        "sequence_length", sequence_length, "text_classifier"
    )
    encoder_kwargs = dict(encoder_kwargs or {})
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
            raise ValueError(
                "text_classifier: encoder='self_attention' needs "
                "`sequence_length` (or a `vectorizer`) for its position "
                "embedding. Received: sequence_length=None"
            )
        num_heads = _validation.positive_int(
            "num_heads", num_heads, "text_classifier"
        )

    inputs = keras.Input((sequence_length,), dtype="int32", name="token_ids")
    x = inputs
    if vectorizer is not None or class_names is not None:
        if vectorizer is None:
            raise ValueError(
                "text_classifier: `class_names` are stored with the "
                "`vectorizer`; pass both. Received: vectorizer=None"
            )
        x = TokenIds(vectorizer, class_names, name="token_ids_info")(x)
    x = keras.layers.Embedding(
        vocab_size, embedding_dim, mask_zero=True, name="embedding"
    )(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="embedding_dropout")(x)

    if encoder == "self_attention":
        attention_cls = _package_layer(
            "MultiHeadSelfAttention", "encoder='self_attention'"
        )
        key_dim = max(units // num_heads, 1)
        encoder_kwargs.setdefault("dropout", dropout)
        x = PositionEmbedding(sequence_length, name="position_embedding")(x)
        attended = attention_cls(
            num_heads=num_heads,
            key_dim=key_dim,
            name="encoder",
            **encoder_kwargs,
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
        x = keras.layers.GlobalAveragePooling1D(name="mean_pooling")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="pooled_dropout")(x)
    outputs = keras.layers.Dense(
        num_classes, activation="softmax", dtype="float32", name="classifier"
    )(x)
    return keras.Model(inputs, outputs, name=name or f"{encoder}_classifier")


def _token_ids_layer(model):
    for layer in model.layers:
        if isinstance(layer, TokenIds):
            return layer
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

"""Models for the bAbI question answering and copy tasks."""

import keras

from keras_memattn import _validation

COPY_ENCODERS = ("mann", "lstm", "gru", "wm_lstm", "attention_gru")


def babi_memory_network(
    vocabulary_size,
    story_shape,
    query_length,
    embedding_dim=20,
    num_hops=3,
    **memory_network_kwargs,
):
    """A MemN2N model for bAbI: `[story, query]` -> answer logits.

    Args:
        vocabulary_size: number of word ids (padding and OOV included), as
            returned with `keras_memattn.datasets.load_babi`.
        story_shape: `(max_facts, words_per_fact)` of the stories;
            `max_facts` may be `None` when `memory_size` is given or with
            `temporal_encoding=False` (the temporal encoding needs a
            number of memory slots).
        query_length: words per question.
        embedding_dim: size of the word embeddings. Defaults to 20.
        num_hops: memory hops. Defaults to 3.
        **memory_network_kwargs: further arguments of
            `keras_memattn.layers.MemoryNetwork` (e.g. `similarity`,
            `quantization`).

    Returns:
        An uncompiled `keras.Model` with inputs `story` (int32,
        `(batch, *story_shape)`) and `query` (int32, `(batch, query_length)`)
        and logits over the vocabulary, in float32 under a mixed-precision
        policy too; compile it with
        `keras.losses.SparseCategoricalCrossentropy(from_logits=True)`.

    Example:

    ```python
    train, test, vocabulary = keras_memattn.datasets.load_babi(1)
    model = keras_memattn.models.babi_memory_network(
        len(vocabulary), train[0].shape[1:], train[1].shape[1]
    )
    ```
    """
    from keras_memattn.layers import MemoryNetwork

    owner = "babi_memory_network"
    if (
        isinstance(story_shape, (str, bytes))
        or not hasattr(story_shape, "__len__")
        or len(story_shape) != 2
    ):
        raise ValueError(
            f"{owner}: `story_shape` must be a pair (facts, words), facts "
            f"may be None. Received: story_shape={story_shape!r}"
        )
    facts, words = story_shape
    story_shape = (
        _validation.optional_positive_int("story_shape[0]", facts, owner),
        _validation.positive_int("story_shape[1]", words, owner),
    )
    query_length = _validation.positive_int("query_length", query_length, owner)
    story = keras.Input(story_shape, dtype="int32", name="story")
    query = keras.Input((query_length,), dtype="int32", name="query")
    memory_network_kwargs.setdefault(
        "embeddings_initializer", keras.initializers.RandomNormal(stddev=0.1)
    )
    logits = MemoryNetwork(
        vocabulary_size=vocabulary_size,
        embedding_dim=embedding_dim,
        num_hops=num_hops,
        **memory_network_kwargs,
    )([story, query])
    # The loss and softmax in float32 under a mixed-precision policy.
    logits = keras.layers.Activation("linear", dtype="float32", name="logits")(
        logits
    )
    return keras.Model([story, query], logits, name="babi_memory_network")


def copy_model(encoder="mann", units=64, bits=8, **encoder_kwargs):
    """A sequence model for the copy task: bit vectors in, bit logits out.

    Args:
        encoder: `"mann"` (`keras_memattn.layers.MANNLayer`, NTM
            addressing by default), `"wm_lstm"`, `"attention_gru"`, or the
            Keras baselines `"lstm"` and `"gru"`. Defaults to `"mann"`.
        units: size of the recurrent state (the controller's, for
            `"mann"`). Defaults to 64.
        bits: width of the bit vectors; the input has one more channel, the
            delimiter. Defaults to 8.
        **encoder_kwargs: further arguments of the encoder layer (for
            `"mann"`, e.g. `memory_size=32, memory_width=16`).

    Returns:
        An uncompiled `keras.Model` from `(batch, time, bits + 1)` to logits
        `(batch, time, bits)`; compile it with
        `keras.losses.BinaryCrossentropy(from_logits=True)` and train with
        the sample weights of `keras_memattn.datasets.copy_task`.

    Example:

    ```python
    x, y, w = keras_memattn.datasets.copy_task(64, max_length=5, seed=0)
    model = keras_memattn.models.copy_model("lstm", units=32)
    ```
    """
    _validation.one_of("encoder", encoder, COPY_ENCODERS, "copy_model")
    units = _validation.positive_int("units", units, "copy_model")
    bits = _validation.positive_int("bits", bits, "copy_model")
    from keras_memattn import layers

    classes = {
        "mann": getattr(layers, "MANNLayer", None),
        "wm_lstm": getattr(layers, "WorkingMemoryLSTM", None),
        "attention_gru": getattr(layers, "AttentionGRU", None),
        "lstm": keras.layers.LSTM,
        "gru": keras.layers.GRU,
    }
    if "return_sequences" in encoder_kwargs:
        raise ValueError(
            "copy_model: the encoder always returns sequences (one output "
            "per step); `return_sequences` cannot be set. Received: "
            f"return_sequences={encoder_kwargs['return_sequences']!r}"
        )
    if encoder == "mann":
        encoder_kwargs.setdefault("addressing", "ntm")
    inputs = keras.Input((None, bits + 1), name="bits")
    h = classes[encoder](units, return_sequences=True, **encoder_kwargs)(inputs)
    outputs = keras.layers.Dense(bits, dtype="float32", name="logits")(h)
    return keras.Model(inputs, outputs, name=f"{encoder}_copy")

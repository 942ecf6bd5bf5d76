"""Models for the cross-backend `.keras` check.

Each builder returns `(model, inputs)`. A public layer adds one small model
here, so `tests/test_cross_backend.py` saves it under each backend and loads it
under the other two.
"""

import keras
import numpy as np

from tests import toy_layers  # noqa: F401 - registers the toy layers.


def _sequence_input(batch=2, steps=5, features=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, steps, features)).astype("float32")


def toy_rnn():
    x = _sequence_input()
    inputs = keras.Input((None, 3))
    outputs = toy_layers.ToyRNN(4, return_sequences=True)(inputs)
    return keras.Model(inputs, outputs), x


def keras_lstm_with_mask():
    rng = np.random.default_rng(1)
    ids = rng.integers(1, 20, size=(3, 6)).astype("int32")
    ids[0, 4:] = 0
    inputs = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(20, 4, mask_zero=True)(inputs)
    h = keras.layers.LSTM(5)(h)
    return keras.Model(inputs, keras.layers.Dense(2)(h)), ids


def multi_head_self_attention():
    from keras_memattn.layers import MultiHeadSelfAttention

    rng = np.random.default_rng(2)
    ids = rng.integers(1, 20, size=(3, 6)).astype("int32")
    ids[0, 4:] = 0
    inputs = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(20, 8, mask_zero=True)(inputs)
    h = MultiHeadSelfAttention(2, 4, window=2)(h, use_causal_mask=True)
    h = keras.layers.GlobalAveragePooling1D()(h)
    return keras.Model(inputs, keras.layers.Dense(2)(h)), ids


def attention_pooling():
    from keras_memattn.layers import AttentionPooling

    rng = np.random.default_rng(3)
    ids = rng.integers(1, 20, size=(3, 6)).astype("int32")
    ids[1, 3:] = 0
    inputs = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(20, 8, mask_zero=True)(inputs)
    h = AttentionPooling(units=4, num_heads=2)(h)
    return keras.Model(inputs, keras.layers.Dense(2)(h)), ids


def working_memory_lstm():
    from keras_memattn.layers import WorkingMemoryLSTM

    x = _sequence_input()
    x[0, 3:] = 0.0
    inputs = keras.Input((None, 3))
    h = keras.layers.Masking()(inputs)
    h = WorkingMemoryLSTM(4, use_memory_bias=True, return_sequences=True)(h)
    return keras.Model(inputs, h), x


def attention_gru():
    from keras_memattn.layers import AReLU
    from keras_memattn.layers import AttentionGRU

    x = _sequence_input()
    inputs = keras.Input((None, 3))
    h = keras.layers.Bidirectional(AttentionGRU(4, return_sequences=True))(
        inputs
    )
    h = AReLU()(h)
    h = AttentionGRU(3, candidate_activation="tanh", reset_after=False)(h)
    return keras.Model(inputs, h), x


def mann_layer():
    from keras_memattn.layers import MANNLayer

    x = _sequence_input()
    inputs = keras.Input((None, 3))
    outputs = MANNLayer(
        4,
        memory_size=5,
        memory_width=3,
        addressing="ntm",
        return_sequences=True,
    )(inputs)
    return keras.Model(inputs, outputs), x


def text_classifier_with_vocabulary():
    from keras_memattn.datasets import TextVectorizer
    from keras_memattn.models import text_classifier

    texts = ["a good film", "a bad film !", "dull , dull", "great acting"]
    vectorizer = TextVectorizer(sequence_length=6).fit(texts)
    model = text_classifier(
        "self_attention",
        embedding_dim=8,
        units=8,
        num_heads=2,
        pooling="mean",
        vectorizer=vectorizer,
        class_names=["neg", "pos"],
    )
    return model, vectorizer(texts)


def memory_network():
    from keras_memattn.layers import MemoryNetwork
    from keras_memattn.ops import QuantizationConfig

    rng = np.random.default_rng(3)
    story = rng.integers(0, 12, size=(2, 4, 3)).astype("int32")
    query = rng.integers(1, 12, size=(2, 3)).astype("int32")
    inputs = [
        keras.Input((4, 3), dtype="int32"),
        keras.Input((3,), dtype="int32"),
    ]
    outputs = MemoryNetwork(
        12,
        6,
        num_hops=2,
        similarity="hamming",
        quantization=QuantizationConfig("fixed_point", integer_bits=2),
        weight_tying="adjacent",
        # Position weights put grid values on rounding ties, which backends
        # may break differently; bags of grid values are exact.
        position_encoding=False,
    )(inputs)
    return keras.Model(inputs, outputs), [story, query]


BUILDERS = {
    "toy_rnn": toy_rnn,
    "keras_lstm_with_mask": keras_lstm_with_mask,
    "multi_head_self_attention": multi_head_self_attention,
    "attention_pooling": attention_pooling,
    "working_memory_lstm": working_memory_lstm,
    "attention_gru": attention_gru,
    "mann_layer": mann_layer,
    "text_classifier_with_vocabulary": text_classifier_with_vocabulary,
    "memory_network": memory_network,
}

"""Small models for the export tests, one per public layer and example model.

`LAYER_CASES` maps a public layer name of `keras_memattn.layers` (and the
Keras built-ins the recurrent layers are compared with) to a builder;
`MODEL_CASES` does the same for the example models. Each builder returns an
`ExportCase`. `test_export.py` fails if a public layer or an encoder of
`keras_memattn.models.text_classifier` has no entry here.
"""

import dataclasses

import keras
import numpy as np
import pytest

import keras_memattn

VOCAB = 30
STEPS = 6


@dataclasses.dataclass
class ExportCase:
    """A model to export and the inputs to compare it on."""

    model: keras.Model
    inputs: object


def _ids(batch=3, steps=STEPS, seed=0, pad=True):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, VOCAB, size=(batch, steps)).astype("int32")
    if pad:
        ids[0, steps - 2 :] = 0
    return ids


def _sequence_model(layer, mask_zero=True, pooled=False):
    """ids -> Embedding -> layer (-> mean over time) -> Dense(3)."""
    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(VOCAB, 8, mask_zero=mask_zero)(inputs)
    x = layer(x)
    if pooled:
        x = keras.layers.GlobalAveragePooling1D()(x)
    outputs = keras.layers.Dense(3)(x)
    return keras.Model(inputs, outputs)


def _recurrent(layer):
    return ExportCase(_sequence_model(layer), _ids())


def keras_lstm():
    return _recurrent(keras.layers.LSTM(8))


def keras_gru():
    return _recurrent(keras.layers.GRU(8, return_sequences=True))


def keras_mha():
    inputs = keras.Input((STEPS, 8))
    x = keras.layers.MultiHeadAttention(2, 4)(inputs, inputs)
    model = keras.Model(inputs, keras.layers.Dense(3)(x))
    x = np.random.default_rng(0).standard_normal((3, STEPS, 8))
    return ExportCase(model, x.astype("float32"))


def keras_lstm_unrolled():
    inputs = keras.Input((STEPS,), dtype="int32")
    x = keras.layers.Embedding(VOCAB, 8)(inputs)
    x = keras.layers.LSTM(8, unroll=True)(x)
    model = keras.Model(inputs, keras.layers.Dense(3)(x))
    return ExportCase(model, _ids(pad=False))


def working_memory_lstm():
    layer = keras_memattn.layers.WorkingMemoryLSTM(8)
    return _recurrent(layer)


def working_memory_lstm_cell():
    cell = keras_memattn.layers.WorkingMemoryLSTMCell(8)
    return _recurrent(keras.layers.RNN(cell))


def attention_gru():
    return _recurrent(keras_memattn.layers.AttentionGRU(8))


def attention_gru_cell():
    cell = keras_memattn.layers.AttentionGRUCell(8)
    return _recurrent(keras.layers.RNN(cell, return_sequences=True))


def mann_layer():
    layer = keras_memattn.layers.MANNLayer(8, memory_size=4, memory_width=5)
    return _recurrent(layer)


def mann_layer_ntm():
    layer = keras_memattn.layers.MANNLayer(
        8, memory_size=4, memory_width=5, addressing="ntm"
    )
    return _recurrent(layer)


def mann_layer_fixed_point():
    layer = keras_memattn.layers.MANNLayer(
        8,
        memory_size=4,
        memory_width=5,
        similarity="hamming",
        quantization="fixed_point",
    )
    return _recurrent(layer)


def mann_cell():
    cell = keras_memattn.layers.MANNCell(8, memory_size=4, memory_width=5)
    return _recurrent(keras.layers.RNN(cell))


def multi_head_self_attention():
    layer = keras_memattn.layers.MultiHeadSelfAttention(2, 4)
    return ExportCase(_sequence_model(layer, pooled=True), _ids())


def attention_pooling():
    layer = keras_memattn.layers.AttentionPooling()
    return ExportCase(_sequence_model(layer), _ids())


def arelu():
    inputs = keras.Input((5,))
    x = keras_memattn.layers.AReLU()(keras.layers.Dense(4)(inputs))
    model = keras.Model(inputs, x)
    x = np.random.default_rng(0).standard_normal((3, 5)).astype("float32")
    return ExportCase(model, x)


def _memory_network_case(**kwargs):
    story = keras.Input((4, 5), dtype="int32")
    query = keras.Input((5,), dtype="int32")
    layer = keras_memattn.layers.MemoryNetwork(
        vocabulary_size=VOCAB, embedding_dim=8, **kwargs
    )
    model = keras.Model([story, query], layer([story, query]))
    rng = np.random.default_rng(0)
    stories = rng.integers(0, VOCAB, size=(3, 4, 5)).astype("int32")
    queries = rng.integers(0, VOCAB, size=(3, 5)).astype("int32")
    return ExportCase(model, [stories, queries])


def memory_network():
    return _memory_network_case()


def memory_network_quantized():
    return _memory_network_case(
        similarity="hamming", quantization="fixed_point"
    )


def memory_network_memn2n_options():
    # Tied answer layer, linear-start flag, training-only temporal noise, a
    # ReLU on half of the state and a fixed-point accumulator: all must
    # convert to builtin ops.
    from keras_memattn.ops import QuantizationConfig

    return _memory_network_case(
        weight_tying="adjacent",
        tie_answer=True,
        linear_start=True,
        temporal_noise=0.1,
        relu_units=4,
        seed=0,
        quantization=QuantizationConfig(accumulator="fixed_point"),
    )


LAYER_CASES = {
    "keras.LSTM": keras_lstm,
    "keras.LSTM(unroll=True)": keras_lstm_unrolled,
    "keras.GRU": keras_gru,
    "keras.MultiHeadAttention": keras_mha,
    "WorkingMemoryLSTM": working_memory_lstm,
    "WorkingMemoryLSTMCell": working_memory_lstm_cell,
    "AttentionGRU": attention_gru,
    "AttentionGRUCell": attention_gru_cell,
    "MANNLayer": mann_layer,
    "MANNLayer(addressing='ntm')": mann_layer_ntm,
    "MANNLayer(quantization='fixed_point')": mann_layer_fixed_point,
    "MANNCell": mann_cell,
    "MultiHeadSelfAttention": multi_head_self_attention,
    "AttentionPooling": attention_pooling,
    "AReLU": arelu,
    "MemoryNetwork": memory_network,
    "MemoryNetwork(quantization='fixed_point')": memory_network_quantized,
    "MemoryNetwork(MemN2N options)": memory_network_memn2n_options,
}


def _text_classifier(encoder):
    def build():
        model = keras_memattn.models.text_classifier(
            encoder,
            vocab_size=VOCAB,
            num_classes=3,
            embedding_dim=8,
            units=8,
            num_heads=2,
            sequence_length=STEPS,
        )
        return ExportCase(model, _ids())

    return build


def text_classifier_fasttext_features():
    # Subword embeddings, the hashed bag-of-n-grams part and max pooling.
    model = keras_memattn.models.text_classifier(
        "self_attention",
        vocab_size=VOCAB,
        num_classes=3,
        embedding_dim=8,
        num_heads=2,
        sequence_length=STEPS,
        subword_buckets=16,
        wide_ngrams=2,
        wide_buckets=16,
        pooling="max",
    )
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 17, size=(3, STEPS, 4)).astype("int32")
    ids[..., 0] = _ids()
    ids[0, STEPS - 2 :] = 0
    ids[1, :, 3] = 0
    return ExportCase(model, ids)


def text_classifier_with_naive_bayes():
    # `add_naive_bayes`: a nested classifier averaged with naive Bayes.
    model = _text_classifier("self_attention")().model
    ids = _ids(batch=12, seed=1)
    labels = np.arange(12) % 3
    combined = keras_memattn.models.add_naive_bayes(
        model,
        ids[:8],
        labels[:8],
        validation_data=(ids[8:], labels[8:]),
        vocab_size=VOCAB,
        num_buckets=64,
    )
    return ExportCase(combined, _ids())


MODEL_CASES = {
    f"text_classifier/{encoder}": _text_classifier(encoder)
    for encoder in keras_memattn.models.ENCODERS
}
MODEL_CASES["text_classifier/self_attention(subwords, wide, max)"] = (
    text_classifier_fasttext_features
)
MODEL_CASES["add_naive_bayes/self_attention"] = text_classifier_with_naive_bayes


# Run by default (one small model per public layer and the package's own
# encoders); the other cases are marked slow. Conversion costs 2-5 s each.
DEFAULT_CASES = {
    "WorkingMemoryLSTM",
    "AttentionGRU",
    "MANNLayer",
    "MultiHeadSelfAttention",
    "AttentionPooling",
    "AReLU",
    "MemoryNetwork",
    "MemoryNetwork(MemN2N options)",
    "text_classifier/wm_lstm",
    "text_classifier/self_attention(subwords, wide, max)",
    "add_naive_bayes/self_attention",
}


def available(cases):
    """The cases whose layers exist in this version of the package."""
    names = set(dir(keras_memattn.layers))
    return {
        name: builder
        for name, builder in cases.items()
        if name.startswith(("keras.", "text_classifier/", "add_naive_bayes/"))
        or name.split("(")[0] in names
    }


def params(cases):
    """`pytest.param`s of the available `cases`; all but the default ones
    are marked slow."""
    return [
        pytest.param(
            name,
            id=name,
            marks=() if name in DEFAULT_CASES else pytest.mark.slow,
        )
        for name in available(cases)
    ]

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


BUILDERS = {
    "toy_rnn": toy_rnn,
    "keras_lstm_with_mask": keras_lstm_with_mask,
}

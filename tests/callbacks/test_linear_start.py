import math

import keras
import numpy as np
import pytest

from keras_memattn.callbacks import LinearStart
from keras_memattn.layers import MemoryNetwork


@pytest.mark.parametrize("min_delta", ["x", math.nan, math.inf, None, True])
def test_min_delta_must_be_a_finite_number(min_delta):
    with pytest.raises(ValueError, match=r"Received: min_delta="):
        LinearStart(min_delta=min_delta)


def test_min_delta_keeps_its_absolute_value():
    assert LinearStart(min_delta=-0.5).min_delta == 0.5
    assert LinearStart(min_delta=1).min_delta == 1.0


def _linear_start_model():
    story = keras.Input((4, 3), dtype="int32")
    query = keras.Input((3,), dtype="int32")
    layer = MemoryNetwork(10, 8, linear_start=True)
    model = keras.Model([story, query], layer([story, query]))
    model.compile(
        "adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    rng = np.random.default_rng(0)
    x = [
        rng.integers(1, 10, (16, 4, 3)).astype("int32"),
        rng.integers(1, 10, (16, 3)).astype("int32"),
    ]
    return model, layer, x, rng.integers(0, 10, 16)


def test_epochs_without_validation_count_only_towards_the_limit():
    # With `fit(..., validation_freq=2)` the first epoch logs no val_loss:
    # it raised there, telling to pass the validation data it had.
    model, layer, x, y = _linear_start_model()
    callback = LinearStart(patience=10, max_linear_epochs=3)
    with pytest.warns(UserWarning, match="epoch 1 ran no validation"):
        model.fit(
            x,
            y,
            epochs=4,
            validation_split=0.25,
            validation_freq=2,
            callbacks=[callback],
            verbose=0,
        )
    assert callback.switch_epoch == 3
    assert float(keras.ops.convert_to_numpy(layer.attention_softmax)) == 1.0

    # Patience counts the validated epochs only.
    model, layer, x, y = _linear_start_model()
    callback = LinearStart(patience=1)
    callback.set_model(model)
    callback.on_train_begin()
    with pytest.warns(UserWarning, match="no validation"):
        callback.on_epoch_end(0, {"loss": 1.0})
    callback.on_epoch_end(1, {"loss": 1.0, "val_loss": 1.0})
    callback.on_epoch_end(2, {"loss": 1.0})
    assert callback.switch_epoch is None
    callback.on_epoch_end(3, {"loss": 1.0, "val_loss": 1.5})
    assert callback.switch_epoch == 4


def test_missing_monitor_is_an_error():
    model, _, x, y = _linear_start_model()
    # Validation ran, but does not log the monitored quantity.
    with pytest.raises(ValueError, match="Received: monitor='val_acc'"):
        model.fit(
            x,
            y,
            epochs=3,
            validation_split=0.25,
            callbacks=[LinearStart(monitor="val_acc")],
            verbose=0,
        )
    # No validation in the whole `fit`.
    with pytest.warns(UserWarning, match="no validation"):
        with pytest.raises(ValueError, match="`validation_data`"):
            model.fit(x, y, epochs=2, callbacks=[LinearStart()], verbose=0)

"""AReLU: the standalone layer and the function shared with AttentionGRU."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_memattn.layers import AReLU
from keras_memattn.layers.arelu import arelu
from tests.harness import run_layer_test


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_layer_contract():
    run_layer_test(
        AReLU,
        {"alpha": 0.5, "beta": 1.0},
        input_shape=(2, 5, 3),
        expected_output_shape=(2, 5, 3),
        expected_num_trainable_weights=2,
        supports_masking=True,
    )


def test_values_at_initialization():
    layer = AReLU()
    out = ops.convert_to_numpy(layer(np.array([[-1.0, 0.0, 1.0]], "float32")))
    np.testing.assert_allclose(
        out, [[-0.9, 0.0, 1.0 + _sigmoid(2.0)]], rtol=1e-6
    )


@pytest.mark.parametrize(
    "alpha,applied", [(-3.0, 0.01), (0.4, 0.4), (5.0, 0.99)]
)
def test_alpha_is_clipped(alpha, applied):
    x = np.array([-2.0, -0.5, 0.0, 0.5, 3.0], "float32")
    out = ops.convert_to_numpy(arelu(ops.convert_to_tensor(x), alpha, 0.7))
    expected = np.where(x >= 0, (1 + _sigmoid(0.7)) * x, applied * x)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_gradients_reach_alpha_and_beta():
    inputs = keras.Input((4,))
    layer = AReLU()
    model = keras.Model(inputs, layer(inputs))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = np.array([[-1.0, -2.0, 1.0, 2.0]], "float32")
    model.fit(x, np.zeros_like(x), verbose=0)
    assert float(ops.convert_to_numpy(layer.alpha)) != pytest.approx(0.9)
    assert float(ops.convert_to_numpy(layer.beta)) != pytest.approx(2.0)


def test_float16_input_keeps_dtype():
    x = ops.convert_to_tensor(np.array([-1.0, 2.0], "float16"))
    out = arelu(x, ops.convert_to_tensor(0.9), ops.convert_to_tensor(2.0))
    assert keras.backend.standardize_dtype(out.dtype) == "float16"


@pytest.mark.parametrize(
    "name,value",
    [("alpha", "x"), ("beta", None), ("alpha", float("nan")), ("beta", np.inf)],
)
def test_bad_arguments(name, value):
    with pytest.raises(ValueError, match=rf"AReLU: `{name}`.*{name}={value!r}"):
        AReLU(**{name: value})


def test_numpy_scalar_arguments():
    layer = AReLU(alpha=np.float32(0.5), beta=np.float64(1.0))
    assert (layer.alpha_init, layer.beta_init) == (0.5, 1.0)

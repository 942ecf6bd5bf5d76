"""Small layers used to test the test machinery itself."""

import keras
from keras import ops

from keras_memattn.layers.base_rnn import BaseRNN


@keras.saving.register_keras_serializable(package="keras_memattn_tests")
class ToyRNNCell(keras.layers.Layer):
    """A plain tanh RNN cell written with keras.ops."""

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), name="kernel"
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units),
            name="recurrent_kernel",
            initializer="orthogonal",
        )
        self.bias = self.add_weight(
            shape=(self.units,), name="bias", initializer="random_normal"
        )

    def call(self, inputs, states, training=False):
        h = states[0] if isinstance(states, (list, tuple)) else states
        out = self.activation(
            ops.matmul(inputs, self.kernel)
            + ops.matmul(h, self.recurrent_kernel)
            + self.bias
        )
        return out, [out]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "activation": keras.activations.serialize(self.activation),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_memattn_tests")
class ToyRNN(BaseRNN):
    """`ToyRNNCell` in the package's recurrent wrapper."""

    def __init__(self, units, activation="tanh", **kwargs):
        cell = ToyRNNCell(units, activation=activation, name="toy_cell")
        super().__init__(cell, **kwargs)
        self.units = units

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        config["units"] = self.units
        config["activation"] = keras.activations.serialize(self.cell.activation)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_memattn_tests")
class ToyDense(keras.layers.Layer):
    """Dense-like layer; `broken` switches on one of several defects."""

    def __init__(self, units, scale=1.0, broken=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.scale = scale
        self.broken = broken

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), name="kernel"
        )
        self.unused = None
        if self.broken == "dead_weight":
            self.unused = self.add_weight(shape=(self.units,), name="unused")
        self.twin = None
        if self.broken == "shared_initializer":
            # One initializer object for two weights: equal first rows.
            initializer = keras.initializers.RandomUniform()
            self.kernel.assign(initializer(self.kernel.shape))
            self.twin = self.add_weight(
                shape=(input_shape[-1] + 1, self.units),
                initializer=initializer,
                name="twin",
            )

    def call(self, inputs):
        out = ops.matmul(inputs, self.kernel) * self.scale
        if self.twin is not None:
            out = out + ops.matmul(inputs, self.twin[1:])
        if self.broken == "nan":
            out = out * ops.log(ops.zeros_like(out) - 1.0)
        if self.broken == "float32_output":
            out = ops.cast(out, "float32")
        return out

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "broken": self.broken})
        if self.broken != "config_drops_scale":
            config["scale"] = self.scale
        return config

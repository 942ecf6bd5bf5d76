"""Working-memory LSTM (Landi et al., 2021): an LSTM whose cell steers its
gates through a learned, tanh-protected connection."""

import keras
from keras import ops

from keras_memattn import _compat
from keras_memattn import _initializers
from keras_memattn import _validation
from keras_memattn.layers.base_rnn import BaseRNN
from keras_memattn.layers.base_rnn import check_use_cudnn
from keras_memattn.layers.base_rnn import pop_implementation
from keras_memattn.layers.base_rnn import split_last
from keras_memattn.layers.base_rnn import step_matmul


@keras.saving.register_keras_serializable(package="keras_memattn")
class WorkingMemoryLSTMCell(keras.layers.Layer, _compat.DropoutRNNCell):
    r"""Cell of the working-memory LSTM: one step of `WorkingMemoryLSTM`.

    $$
    \begin{aligned}
    [a_i, a_f, a_g, a_o] &= x_t W + h_{t-1} R + b \\
    i_t &= \sigma\big(a_i + \tanh(c_{t-1} U_i + b_{m,i})\big) \\
    f_t &= \sigma\big(a_f + \tanh(c_{t-1} U_f + b_{m,f})\big) \\
    g_t &= \tanh(a_g) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
    o_t &= \sigma\big(a_o + \tanh(c_t U_o + b_{m,o})\big) \\
    h_t &= o_t \odot \tanh(c_t)
    \end{aligned}
    $$

    `W` is `kernel`, `R` is `recurrent_kernel` and `b` is `bias`, exactly as
    in `keras.layers.LSTM` (gate order `i, f, g, o`); `[U_i, U_f, U_o]` is
    `memory_kernel`, of shape `(units, 3 * units)`, and `b_m` the optional
    `memory_bias` (`use_memory_bias=True`). `sigma` is
    `recurrent_activation` and the `tanh` of `g_t` and `h_t` is `activation`;
    the `tanh` on the working-memory path is fixed, since it is what
    "protects" the gates. The input and forget gates see the previous cell
    state, the output gate the freshly updated one.

    With `memory_kernel` all zeros (and no memory bias) the cell is
    `keras.layers.LSTMCell`.

    Args:
        units: positive integer, dimensionality of the output space.
        activation: activation of the candidate and of the output.
            Defaults to `"tanh"`.
        recurrent_activation: activation of the gates. Defaults to
            `"sigmoid"`.
        use_bias: whether the gates have the bias vector `bias`. Defaults
            to `True`.
        kernel_initializer: initializer of `kernel`. Defaults to
            `"glorot_uniform"`.
        recurrent_initializer: initializer of `recurrent_kernel`. Defaults
            to `"orthogonal"`.
        bias_initializer: initializer of `bias` and `memory_bias`. Defaults
            to `"zeros"`.
        unit_forget_bias: add 1 to the forget-gate bias at initialization
            (this forces `bias_initializer="zeros"` for that part).
            Defaults to `True`.
        kernel_regularizer: regularizer of `kernel`. Defaults to `None`.
        recurrent_regularizer: regularizer of `recurrent_kernel`. Defaults
            to `None`.
        bias_regularizer: regularizer of `bias` and `memory_bias`. Defaults
            to `None`.
        kernel_constraint: constraint of `kernel`. Defaults to `None`.
        recurrent_constraint: constraint of `recurrent_kernel`. Defaults to
            `None`.
        bias_constraint: constraint of `bias` and `memory_bias`. Defaults to
            `None`.
        dropout: float in `[0, 1)`, fraction of the input units dropped.
            Defaults to `0.0`.
        recurrent_dropout: float in `[0, 1)`, fraction of the units of
            `h_{t-1}` dropped. Defaults to `0.0`.
        seed: random seed for dropout. Defaults to `None`.
        memory_initializer: initializer of `memory_kernel`. Defaults to
            `"glorot_uniform"`; `"zeros"` starts training from a plain LSTM.
        memory_regularizer: regularizer of `memory_kernel`. Defaults to
            `None`.
        memory_constraint: constraint of `memory_kernel`. Defaults to
            `None`.
        use_memory_bias: whether the working-memory path has the bias
            `memory_bias` of shape `(3 * units,)` inside its `tanh`.
            Defaults to `False`, as in the paper.
        **kwargs: base layer keyword arguments, such as `name` and `dtype`.
            `implementation`, an argument of `keras.layers.LSTM`, is
            accepted and has no effect.

    Call arguments:
        inputs: a 2D tensor `(batch, features)`.
        states: a list `[h, c]` of 2D tensors `(batch, units)`.
        training: whether dropout is applied.

    Returns:
        `(h, [h, c])`, the output and the new states.

    Example:

    ```python
    import numpy as np
    import keras
    import keras_memattn

    cell = keras_memattn.layers.WorkingMemoryLSTMCell(8)
    layer = keras.layers.RNN(cell, return_sequences=True)
    y = layer(np.zeros((2, 5, 3), "float32"))  # (2, 5, 8)
    ```
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        memory_initializer="glorot_uniform",
        memory_regularizer=None,
        memory_constraint=None,
        use_memory_bias=False,
        **kwargs,
    ):
        owner = type(self).__name__
        units = _validation.positive_int("units", units, owner)
        dropout = _validation.rate("dropout", dropout, owner)
        recurrent_dropout = _validation.rate(
            "recurrent_dropout", recurrent_dropout, owner
        )
        super().__init__(**pop_implementation(kwargs))
        self.units = units
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.use_bias = _validation.boolean("use_bias", use_bias, owner)
        self.use_memory_bias = _validation.boolean(
            "use_memory_bias", use_memory_bias, owner
        )
        self.unit_forget_bias = _validation.boolean(
            "unit_forget_bias", unit_forget_bias, owner
        )

        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(
            recurrent_initializer
        )
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.memory_initializer = keras.initializers.get(memory_initializer)

        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = keras.regularizers.get(
            recurrent_regularizer
        )
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.memory_regularizer = keras.regularizers.get(memory_regularizer)

        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.recurrent_constraint = keras.constraints.get(recurrent_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.memory_constraint = keras.constraints.get(memory_constraint)

        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)

        self.state_size = [units, units]
        self.output_size = units
        self._weights_cache = None

    def build(self, input_shape):
        input_dim = input_shape[-1]
        units = self.units
        self.kernel = self.add_weight(
            shape=(input_dim, 4 * units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(units, 4 * units),
            name="recurrent_kernel",
            initializer=_initializers.in_float32(self.recurrent_initializer),
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.memory_kernel = self.add_weight(
            shape=(units, 3 * units),
            name="memory_kernel",
            initializer=self.memory_initializer,
            regularizer=self.memory_regularizer,
            constraint=self.memory_constraint,
        )
        self.bias = None
        if self.use_bias:
            bias_initializer = self.bias_initializer
            if self.unit_forget_bias:
                bias_initializer = _UnitForgetBias(self.bias_initializer)
            self.bias = self.add_weight(
                shape=(4 * units,),
                name="bias",
                initializer=bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.memory_bias = None
        if self.use_memory_bias:
            self.memory_bias = self.add_weight(
                shape=(3 * units,),
                name="memory_bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def call(self, inputs, states, training=False):
        if training and self.dropout > 0:
            inputs = inputs * self.get_dropout_mask(inputs)
        return self.step_projected(
            self._project(inputs), states, training=training
        )

    def project_inputs(self, sequences, training=False):
        """`x W + b` for every step at once: `(batch, time, 4 * units)`.

        With `step_projected`, this lets a loop run one large matrix product
        instead of one per step (the PyTorch loop of `BaseRNN` does).
        """
        if training and self.dropout > 0:
            mask = self.get_dropout_mask(sequences[:, 0])
            sequences = sequences * ops.expand_dims(mask, 1)
        return self._project(sequences)

    def _project(self, inputs):
        z = ops.matmul(inputs, self.kernel)
        if self.use_bias:
            z = ops.add(z, self.bias)
        return z

    def step_projected(self, z_x, states, training=False):
        """One step, given the projected input `x_t W + b`."""
        h_tm1, c_tm1 = states[0], states[1]
        units = self.units
        if training and self.recurrent_dropout > 0:
            h_tm1 = h_tm1 * self.get_recurrent_dropout_mask(h_tm1)

        recurrent_kernel, memory_if, memory_o, bias_if, bias_o = (
            self._step_weights()
        )
        z = z_x + step_matmul(h_tm1, recurrent_kernel)
        # Two equal splits rather than one into (2 * units, units, units):
        # on PyTorch the gradient of an equal split is one concatenation,
        # where each slice of an unequal one costs a zero-filled tensor.
        z_if, z_go = split_last(z, [2 * units, 2 * units])
        z_g, z_o = split_last(z_go, [units, units])
        # The input and forget gates are computed as one (batch, 2 * units)
        # block: fewer ops per step, the same values.
        m_if = step_matmul(c_tm1, memory_if)
        if bias_if is not None:
            m_if = m_if + bias_if
        i, f = split_last(
            self.recurrent_activation(z_if + ops.tanh(m_if)), [units, units]
        )
        c = f * c_tm1 + i * self.activation(z_g)

        m_o = step_matmul(c, memory_o)
        if bias_o is not None:
            m_o = m_o + bias_o
        o = self.recurrent_activation(z_o + ops.tanh(m_o))
        h = o * self.activation(c)
        return h, [h, c]

    def _step_weights(self):
        """The weights a step reads, as tensors (see `step_weights`).

        Inside `WorkingMemoryLSTM` they are read once per sequence, before
        the loop.
        """
        if self._weights_cache is not None:
            return self._weights_cache
        return self.step_weights()

    def step_weights(self):
        """Returns `(recurrent_kernel, memory_if, memory_o, bias_if, bias_o)`.

        `memory_kernel` (and `memory_bias`) split by gate: `(i, f)` and `o`.
        A loop should call this once per sequence: slicing a weight inside
        the loop costs a full-size gradient tensor per step on TensorFlow,
        and reading a variable costs a conversion per step on PyTorch.
        """
        two = 2 * self.units
        memory_if, memory_o = ops.split(self.memory_kernel, [two], axis=1)
        bias_if = bias_o = None
        if self.use_memory_bias:
            bias_if, bias_o = ops.split(self.memory_bias, [two], axis=0)
        recurrent_kernel = ops.convert_to_tensor(self.recurrent_kernel)
        return recurrent_kernel, memory_if, memory_o, bias_if, bias_o

    def get_initial_state(self, batch_size=None):
        return [
            ops.zeros((batch_size, d), dtype=self.compute_dtype)
            for d in self.state_size
        ]

    def get_config(self):
        config = super().get_config()
        config.update(_cell_config(self))
        return config


class _UnitForgetBias:
    """Bias initializer with ones for the forget gate (LSTM order)."""

    def __init__(self, initializer):
        self.initializer = initializer

    def __call__(self, shape, dtype=None):
        units = shape[0] // 4
        return ops.concatenate(
            [
                self.initializer((units,), dtype=dtype),
                ops.ones((units,), dtype=dtype),
                self.initializer((2 * units,), dtype=dtype),
            ]
        )


def _cell_config(source):
    """The cell arguments, read from a cell or from the wrapper."""
    serialize = keras.saving.serialize_keras_object
    return {
        "units": source.units,
        "activation": keras.activations.serialize(source.activation),
        "recurrent_activation": keras.activations.serialize(
            source.recurrent_activation
        ),
        "use_bias": source.use_bias,
        "kernel_initializer": serialize(source.kernel_initializer),
        "recurrent_initializer": serialize(source.recurrent_initializer),
        "bias_initializer": serialize(source.bias_initializer),
        "unit_forget_bias": source.unit_forget_bias,
        "kernel_regularizer": serialize(source.kernel_regularizer),
        "recurrent_regularizer": serialize(source.recurrent_regularizer),
        "bias_regularizer": serialize(source.bias_regularizer),
        "kernel_constraint": serialize(source.kernel_constraint),
        "recurrent_constraint": serialize(source.recurrent_constraint),
        "bias_constraint": serialize(source.bias_constraint),
        "dropout": source.dropout,
        "recurrent_dropout": source.recurrent_dropout,
        "seed": source.seed,
        "memory_initializer": serialize(source.memory_initializer),
        "memory_regularizer": serialize(source.memory_regularizer),
        "memory_constraint": serialize(source.memory_constraint),
        "use_memory_bias": source.use_memory_bias,
    }


_CELL_ARGS = (
    "units",
    "activation",
    "recurrent_activation",
    "use_bias",
    "kernel_initializer",
    "recurrent_initializer",
    "bias_initializer",
    "unit_forget_bias",
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
    "dropout",
    "recurrent_dropout",
    "seed",
    "memory_initializer",
    "memory_regularizer",
    "memory_constraint",
    "use_memory_bias",
)


@keras.saving.register_keras_serializable(package="keras_memattn")
class WorkingMemoryLSTM(BaseRNN):
    r"""Working-memory LSTM layer (Landi et al., 2021).

    An LSTM whose memory cell feeds its three gates through a full learned
    matrix followed by a `tanh` ("working memory connections"): unlike
    peephole connections, the squashing keeps an unbounded cell value from
    saturating the gates. Use it where an LSTM must hold information over
    long sequences. It has `3 * units**2` more weights than the LSTM and
    does 7/4 of its recurrent multiply-adds per step (11/8 of all its
    multiply-adds when the inputs have `units` features).

    $$
    \begin{aligned}
    [a_i, a_f, a_g, a_o] &= x_t W + h_{t-1} R + b \\
    i_t &= \sigma\big(a_i + \tanh(c_{t-1} U_i + b_{m,i})\big) \\
    f_t &= \sigma\big(a_f + \tanh(c_{t-1} U_f + b_{m,f})\big) \\
    g_t &= \tanh(a_g) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
    o_t &= \sigma\big(a_o + \tanh(c_t U_o + b_{m,o})\big) \\
    h_t &= o_t \odot \tanh(c_t)
    \end{aligned}
    $$

    `W` is `kernel`, `R` is `recurrent_kernel` and `b` is `bias`, exactly as
    in `keras.layers.LSTM` (gate order `i, f, g, o`); `[U_i, U_f, U_o]` is
    `memory_kernel`, of shape `(units, 3 * units)`, and `b_m` the optional
    `memory_bias` (`use_memory_bias=True`). `sigma` is
    `recurrent_activation` and the `tanh` of `g_t` and `h_t` is `activation`;
    the `tanh` on the working-memory path is fixed, since it is what
    "protects" the gates. The input and forget gates see the previous cell
    state, the output gate the freshly updated one.

    Reduction: with `memory_kernel` all zeros (and `use_memory_bias=False`)
    the layer computes exactly `keras.layers.LSTM` with the same `kernel`,
    `recurrent_kernel` and `bias`.

    Masking: a masked time step keeps the previous output and states (`h`
    and `c`), as in `keras.layers.LSTM`; the output carries the input mask
    when `return_sequences=True`.

    Args:
        units: positive integer, dimensionality of the output space.
        activation: activation of the candidate and of the output.
            Defaults to `"tanh"`.
        recurrent_activation: activation of the gates. Defaults to
            `"sigmoid"`.
        use_bias: whether the gates have the bias vector `bias`. Defaults
            to `True`.
        kernel_initializer: initializer of `kernel`. Defaults to
            `"glorot_uniform"`.
        recurrent_initializer: initializer of `recurrent_kernel`. Defaults
            to `"orthogonal"`.
        bias_initializer: initializer of `bias` and `memory_bias`. Defaults
            to `"zeros"`.
        unit_forget_bias: add 1 to the forget-gate bias at initialization.
            Defaults to `True`.
        kernel_regularizer: regularizer of `kernel`. Defaults to `None`.
        recurrent_regularizer: regularizer of `recurrent_kernel`. Defaults
            to `None`.
        bias_regularizer: regularizer of `bias` and `memory_bias`. Defaults
            to `None`.
        activity_regularizer: regularizer of the output. Defaults to
            `None`.
        kernel_constraint: constraint of `kernel`. Defaults to `None`.
        recurrent_constraint: constraint of `recurrent_kernel`. Defaults to
            `None`.
        bias_constraint: constraint of `bias` and `memory_bias`. Defaults to
            `None`.
        dropout: float in `[0, 1)`, fraction of the input units dropped
            (one mask per sequence). Defaults to `0.0`.
        recurrent_dropout: float in `[0, 1)`, fraction of the units of
            `h_{t-1}` dropped (one mask per sequence). Defaults to `0.0`.
        seed: random seed for dropout. Defaults to `None`.
        return_sequences: return the whole output sequence rather than the
            last output. Defaults to `False`.
        return_state: also return the last states `h` and `c`. Defaults to
            `False`.
        go_backwards: process the sequence backwards and return the
            reversed sequence. Defaults to `False`.
        stateful: carry the last states of each batch over to the next.
            Defaults to `False`.
        unroll: unroll the loop (short sequences only). Defaults to
            `False`.
        use_cudnn: accepted for compatibility with `keras.layers.LSTM`. This
            layer has no cuDNN kernel: `"auto"` (the default) and `False`
            run its `keras.ops` loop, `True` is a `ValueError`.
        memory_initializer: initializer of `memory_kernel`. Defaults to
            `"glorot_uniform"`; `"zeros"` starts training from a plain LSTM.
        memory_regularizer: regularizer of `memory_kernel`. Defaults to
            `None`.
        memory_constraint: constraint of `memory_kernel`. Defaults to
            `None`.
        use_memory_bias: whether the working-memory path has a bias
            `memory_bias` inside its `tanh`. Defaults to `False`.
        **kwargs: base layer keyword arguments, such as `name` and `dtype`.
            `implementation`, an argument of `keras.layers.LSTM`, is
            accepted and has no effect.

    Call arguments:
        inputs: a 3D tensor `(batch, timesteps, features)`.
        mask: optional boolean tensor `(batch, timesteps)`; `False` steps
            are skipped.
        training: whether dropout is applied.
        initial_state: optional list `[h, c]` of `(batch, units)` tensors.

    Returns:
        `(batch, units)`, or `(batch, timesteps, units)` with
        `return_sequences=True`; with `return_state=True` a list
        `[output, h, c]`.

    Example:

    ```python
    import numpy as np
    import keras_memattn

    x = np.random.default_rng(0).normal(size=(4, 10, 8)).astype("float32")
    layer = keras_memattn.layers.WorkingMemoryLSTM(16, return_sequences=True)
    y = layer(x)  # (4, 10, 16)
    ```

    References:
        - [Landi et al., 2021](https://arxiv.org/abs/2109.00020), "Working
          Memory Connections for LSTM", Neural Networks 144.

    Differences from other implementations: the three working-memory
    matrices are stored as one `memory_kernel` of shape
    `(units, 3 * units)` in gate order `i, f, o`; the bias inside the `tanh`
    (present in public re-implementations, absent from the paper's
    equations) is off by default. The cell state fed to `memory_kernel` is
    never dropped out, and dropout uses one mask shared by all gates (Keras'
    `LSTM` draws one per gate when `recurrent_dropout > 0`).
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        use_cudnn="auto",
        memory_initializer="glorot_uniform",
        memory_regularizer=None,
        memory_constraint=None,
        use_memory_bias=False,
        **kwargs,
    ):
        check_use_cudnn(use_cudnn, "WorkingMemoryLSTM")
        pop_implementation(kwargs)
        cell = WorkingMemoryLSTMCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            memory_initializer=memory_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            memory_regularizer=memory_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            memory_constraint=memory_constraint,
            use_memory_bias=use_memory_bias,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="working_memory_lstm_cell",
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.use_cudnn = use_cudnn

    def inner_loop(self, sequences, initial_state, mask, training=False):
        # Read and split the weights once per sequence rather than per step.
        self.cell._weights_cache = self.cell.step_weights()
        try:
            return super().inner_loop(
                sequences, initial_state, mask, training=training
            )
        finally:
            self.cell._weights_cache = None

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        config.update(_cell_config(self))
        config["activity_regularizer"] = keras.saving.serialize_keras_object(
            self.activity_regularizer
        )
        config["use_cudnn"] = self.use_cudnn
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _cell_property(name):
    def getter(self):
        return getattr(self.cell, name)

    getter.__name__ = name
    getter.__doc__ = f"The cell's `{name}` (read-only)."
    return property(getter)


for _name in _CELL_ARGS:
    setattr(WorkingMemoryLSTM, _name, _cell_property(_name))
del _name

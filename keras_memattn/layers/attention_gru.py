"""Attention-based GRU (AR-GRU, Rajamani et al., 2021): a GRU whose
candidate activation is AReLU."""

import keras
from keras import ops

from keras_memattn import _compat
from keras_memattn import _initializers
from keras_memattn import _validation
from keras_memattn.layers import arelu
from keras_memattn.layers.base_rnn import BaseRNN
from keras_memattn.layers.base_rnn import check_use_cudnn
from keras_memattn.layers.base_rnn import pop_implementation
from keras_memattn.layers.base_rnn import split_last
from keras_memattn.layers.base_rnn import step_matmul

ARELU = "arelu"


def _refuse_activation(kwargs, owner):
    """Raises if `kwargs` holds `activation`, `keras.layers.GRU`'s name for
    `candidate_activation`."""
    _validation.renamed(
        kwargs,
        "activation",
        "candidate_activation",
        owner,
        "default 'arelu'; 'tanh' gives keras.layers.GRU",
    )


@keras.saving.register_keras_serializable(package="keras_memattn")
class AttentionGRUCell(keras.layers.Layer, _compat.DropoutRNNCell):
    r"""Cell of the attention-based GRU: one step of `AttentionGRU`.

    With `reset_after=True` (the default):

    $$
    \begin{aligned}
    [x_z, x_r, x_n] &= x_t W + b_x \qquad
    [h_z, h_r, h_n] = h_{t-1} U + b_h \\
    z_t &= \sigma(x_z + h_z) \qquad r_t = \sigma(x_r + h_r) \\
    \tilde n_t &= \mathrm{AReLU}(x_n + r_t \odot h_n) \\
    h_t &= z_t \odot h_{t-1} + (1 - z_t) \odot \tilde n_t
    \end{aligned}
    $$

    With `reset_after=False` the candidate is
    `AReLU(x_n + (r_t * h_{t-1}) U_n)` and there is one bias. `W` is
    `kernel`, `U` is `recurrent_kernel`, `[b_x, b_h]` is `bias`, as in
    `keras.layers.GRUCell` (gate order `z, r, n`). AReLU scales positive
    values by `1 + sigmoid(arelu_beta)` and negative values by
    `clip(arelu_alpha, 0.01, 0.99)`; the two scalars are weights of the cell.

    Args:
        units: positive integer, dimensionality of the output space.
        candidate_activation: activation of the candidate `n_t`: `"arelu"`
            (learnable, the default), or any Keras activation name or
            callable; `"tanh"` gives `keras.layers.GRUCell`.
        recurrent_activation: activation of the gates. Defaults to
            `"sigmoid"`.
        use_bias: whether the layer uses biases. Defaults to `True`.
        kernel_initializer: initializer of `kernel`. Defaults to
            `"glorot_uniform"`.
        recurrent_initializer: initializer of `recurrent_kernel`. Defaults
            to `"orthogonal"`.
        bias_initializer: initializer of `bias`. Defaults to `"zeros"`.
        kernel_regularizer: regularizer of `kernel`. Defaults to `None`.
        recurrent_regularizer: regularizer of `recurrent_kernel`. Defaults
            to `None`.
        bias_regularizer: regularizer of `bias`. Defaults to `None`.
        kernel_constraint: constraint of `kernel`. Defaults to `None`.
        recurrent_constraint: constraint of `recurrent_kernel`. Defaults to
            `None`.
        bias_constraint: constraint of `bias`. Defaults to `None`.
        dropout: float in `[0, 1)`, fraction of the input units dropped.
            Defaults to `0.0`.
        recurrent_dropout: float in `[0, 1)`, fraction of the units of
            `h_{t-1}` dropped. Defaults to `0.0`.
        reset_after: apply the reset gate after the recurrent matrix
            multiplication (`True`, Keras' default) or before it.
        seed: random seed for dropout. Defaults to `None`.
        arelu_alpha: initial value of `arelu_alpha`. Defaults to `0.9`.
        arelu_beta: initial value of `arelu_beta`. Defaults to `2.0`.
        **kwargs: base layer keyword arguments, such as `name` and `dtype`.
            `implementation`, an argument of `keras.layers.GRU`, is
            accepted and has no effect.

    Call arguments:
        inputs: a 2D tensor `(batch, features)`.
        states: a 2D tensor `(batch, units)`, or a list holding one.
        training: whether dropout is applied.

    Returns:
        `(h, new_states)`, with `new_states` structured like `states`.

    Example:

    ```python
    import numpy as np
    import keras
    import keras_memattn

    cell = keras_memattn.layers.AttentionGRUCell(8)
    layer = keras.layers.RNN(cell, return_sequences=True)
    y = layer(np.zeros((2, 5, 3), "float32"))  # (2, 5, 8)
    ```
    """

    def __init__(
        self,
        units,
        candidate_activation=ARELU,
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        reset_after=True,
        seed=None,
        arelu_alpha=0.9,
        arelu_beta=2.0,
        **kwargs,
    ):
        owner = type(self).__name__
        _refuse_activation(kwargs, owner)
        units = _validation.positive_int("units", units, owner)
        dropout = _validation.rate("dropout", dropout, owner)
        recurrent_dropout = _validation.rate(
            "recurrent_dropout", recurrent_dropout, owner
        )
        arelu_alpha = _validation.finite_float(
            "arelu_alpha", arelu_alpha, owner
        )
        arelu_beta = _validation.finite_float("arelu_beta", arelu_beta, owner)
        super().__init__(**pop_implementation(kwargs))
        self.units = units
        self.uses_arelu = (
            isinstance(candidate_activation, str)
            and candidate_activation.lower() == ARELU
        )
        self.candidate_activation = (
            ARELU
            if self.uses_arelu
            else keras.activations.get(candidate_activation)
        )
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.use_bias = _validation.boolean("use_bias", use_bias, owner)
        self.reset_after = _validation.boolean(
            "reset_after", reset_after, owner
        )
        self.arelu_alpha_init = float(arelu_alpha)
        self.arelu_beta_init = float(arelu_beta)

        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(
            recurrent_initializer
        )
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = keras.regularizers.get(
            recurrent_regularizer
        )
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.recurrent_constraint = keras.constraints.get(recurrent_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)

        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)

        self.state_size = units
        self.output_size = units
        self._slopes = None
        self._weights_cache = None

    def build(self, input_shape):
        input_dim = input_shape[-1]
        units = self.units
        self.kernel = self.add_weight(
            shape=(input_dim, 3 * units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(units, 3 * units),
            name="recurrent_kernel",
            initializer=_initializers.in_float32(self.recurrent_initializer),
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            # One bias for the input and one for the recurrent projection
            # when the reset gate is applied after the matmul (CuDNN style).
            shape = (2, 3 * units) if self.reset_after else (3 * units,)
            self.bias = self.add_weight(
                shape=shape,
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.arelu_alpha = None
        self.arelu_beta = None
        if self.uses_arelu:
            self.arelu_alpha = self.add_weight(
                shape=(),
                name="arelu_alpha",
                initializer=keras.initializers.Constant(self.arelu_alpha_init),
            )
            self.arelu_beta = self.add_weight(
                shape=(),
                name="arelu_beta",
                initializer=keras.initializers.Constant(self.arelu_beta_init),
            )

    def arelu_slopes(self, dtype=None):
        """The AReLU slopes `(positive, negative)` from the cell's weights."""
        return arelu.slopes(
            self.arelu_alpha, self.arelu_beta, dtype or self.compute_dtype
        )

    def _candidate(self, x):
        if not self.uses_arelu:
            return self.candidate_activation(x)
        # Inside `AttentionGRU` the slopes are computed once per sequence.
        slopes = self._slopes or self.arelu_slopes(x.dtype)
        return arelu.apply_slopes(x, *slopes)

    def call(self, inputs, states, training=False):
        if training and self.dropout > 0:
            inputs = inputs * self.get_dropout_mask(inputs)
        return self.step_projected(
            self._project(inputs), states, training=training
        )

    def project_inputs(self, sequences, training=False):
        """`x W + b_x` for every step at once: `(batch, time, 3 * units)`.

        With `step_projected`, this lets a loop run one large matrix product
        instead of one per step (the PyTorch loop of `BaseRNN` does).
        """
        if training and self.dropout > 0:
            mask = self.get_dropout_mask(sequences[:, 0])
            sequences = sequences * ops.expand_dims(mask, 1)
        return self._project(sequences)

    def _project(self, inputs):
        matrix_x = ops.matmul(inputs, self.kernel)
        if self.use_bias:
            input_bias = self.bias[0] if self.reset_after else self.bias
            matrix_x = ops.add(matrix_x, input_bias)
        return matrix_x

    def step_projected(self, matrix_x, states, training=False):
        """One step, given the projected input `x_t W + b_x`."""
        nested = isinstance(states, (list, tuple))
        h_tm1 = states[0] if nested else states
        units = self.units
        h_rec = h_tm1
        if training and self.recurrent_dropout > 0:
            h_rec = h_tm1 * self.get_recurrent_dropout_mask(h_tm1)
        x_z, x_r, x_n = split_last(matrix_x, [units] * 3)
        kernels, recurrent_bias = self._step_weights()

        if self.reset_after:
            matrix_h = step_matmul(h_rec, kernels[0])
            if recurrent_bias is not None:
                matrix_h = matrix_h + recurrent_bias
            h_z, h_r, h_n = split_last(matrix_h, [units] * 3)
        else:
            matrix_h = step_matmul(h_rec, kernels[0])
            h_z, h_r = split_last(matrix_h, [units] * 2)

        z = self.recurrent_activation(x_z + h_z)
        r = self.recurrent_activation(x_r + h_r)
        if self.reset_after:
            h_n = r * h_n
        else:
            h_n = step_matmul(r * h_rec, kernels[1])
        candidate = self._candidate(x_n + h_n)

        h = z * h_tm1 + (1 - z) * candidate
        return h, ([h] if nested else h)

    def _step_weights(self):
        if self._weights_cache is not None:
            return self._weights_cache
        return self.step_weights()

    def step_weights(self):
        """The recurrent weights a step reads, as tensors.

        Returns `(kernels, recurrent_bias)`. With `reset_after=True`,
        `kernels` is `(recurrent_kernel,)` and `recurrent_bias` the second
        row of `bias` (None without bias); otherwise `kernels` holds the
        `(z, r)` and candidate blocks of `recurrent_kernel`,
        `(units, 2 * units)` and `(units, units)`, and `recurrent_bias` is
        None. Inside `AttentionGRU` they are read once per sequence, before
        the loop: slicing a weight inside the loop costs a full-size
        gradient tensor per step on TensorFlow, and reading a variable costs
        a conversion per step on PyTorch.
        """
        kernel = ops.convert_to_tensor(self.recurrent_kernel)
        if not self.reset_after:
            blocks = split_last(kernel, [2 * self.units, self.units])
            return tuple(blocks), None
        recurrent_bias = None
        if self.use_bias:
            recurrent_bias = ops.convert_to_tensor(self.bias)[1]
        return (kernel,), recurrent_bias

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, self.units), dtype=self.compute_dtype)]

    def get_config(self):
        config = super().get_config()
        config.update(_cell_config(self))
        return config


def _serialize_activation(activation):
    if isinstance(activation, str):
        return activation
    return keras.activations.serialize(activation)


def _cell_config(source):
    """The cell arguments, read from a cell or from the wrapper."""
    serialize = keras.saving.serialize_keras_object
    return {
        "units": source.units,
        "candidate_activation": _serialize_activation(
            source.candidate_activation
        ),
        "recurrent_activation": keras.activations.serialize(
            source.recurrent_activation
        ),
        "use_bias": source.use_bias,
        "kernel_initializer": serialize(source.kernel_initializer),
        "recurrent_initializer": serialize(source.recurrent_initializer),
        "bias_initializer": serialize(source.bias_initializer),
        "kernel_regularizer": serialize(source.kernel_regularizer),
        "recurrent_regularizer": serialize(source.recurrent_regularizer),
        "bias_regularizer": serialize(source.bias_regularizer),
        "kernel_constraint": serialize(source.kernel_constraint),
        "recurrent_constraint": serialize(source.recurrent_constraint),
        "bias_constraint": serialize(source.bias_constraint),
        "dropout": source.dropout,
        "recurrent_dropout": source.recurrent_dropout,
        "seed": source.seed,
        "reset_after": source.reset_after,
        "arelu_alpha": source.arelu_alpha_init,
        "arelu_beta": source.arelu_beta_init,
    }


@keras.saving.register_keras_serializable(package="keras_memattn")
class AttentionGRU(BaseRNN):
    r"""Attention-based GRU layer (AR-GRU, Rajamani et al., 2021).

    A GRU whose candidate activation is AReLU, the attention-based ReLU:
    each element of the candidate's pre-activation is rescaled by a learned
    factor that depends on its sign (the "attention" is element-wise, not
    over time steps). The update and reset gates keep their sigmoid. Use it
    in place of `keras.layers.GRU` (the same arguments, except that the
    candidate's activation is `candidate_activation`) where a learnable,
    non-saturating candidate helps, as reported for speech emotion
    recognition.

    With `reset_after=True` (the default):

    $$
    \begin{aligned}
    [x_z, x_r, x_n] &= x_t W + b_x \qquad
    [h_z, h_r, h_n] = h_{t-1} U + b_h \\
    z_t &= \sigma(x_z + h_z) \qquad r_t = \sigma(x_r + h_r) \\
    \tilde n_t &= \mathrm{AReLU}(x_n + r_t \odot h_n) \\
    h_t &= z_t \odot h_{t-1} + (1 - z_t) \odot \tilde n_t \\
    \mathrm{AReLU}(x) &= (1 + \sigma(\beta))\, x \ \text{if } x \ge 0,
    \quad \mathrm{clip}(\alpha, 0.01, 0.99)\, x \ \text{otherwise}
    \end{aligned}
    $$

    With `reset_after=False` the candidate is
    `AReLU(x_n + (r_t * h_{t-1}) U_n)` and there is one bias. The weights
    are those of `keras.layers.GRU` (`kernel`, `recurrent_kernel`, `bias`)
    plus the scalars `arelu_alpha` and `arelu_beta`.

    Reduction: with `candidate_activation="tanh"` the layer has no AReLU
    weights and computes exactly `keras.layers.GRU` with the same weights.

    AReLU is unbounded, so `h_t` is no longer confined to `(-1, 1)`; clip
    gradients (e.g. `clipnorm=1.0`) when training on long sequences.

    Masking: a masked time step keeps the previous output and state, as in
    `keras.layers.GRU`; the output carries the input mask when
    `return_sequences=True`.

    Args:
        units: positive integer, dimensionality of the output space.
        candidate_activation: activation of the candidate, the counterpart
            of `keras.layers.GRU`'s `activation`: `"arelu"` (learnable, the
            default) or any Keras activation name or callable; `"tanh"`
            gives `keras.layers.GRU`.
        recurrent_activation: activation of the gates. Defaults to
            `"sigmoid"`.
        use_bias: whether the layer uses biases. Defaults to `True`.
        kernel_initializer: initializer of `kernel`. Defaults to
            `"glorot_uniform"`.
        recurrent_initializer: initializer of `recurrent_kernel`. Defaults
            to `"orthogonal"`.
        bias_initializer: initializer of `bias`. Defaults to `"zeros"`.
        kernel_regularizer: regularizer of `kernel`. Defaults to `None`.
        recurrent_regularizer: regularizer of `recurrent_kernel`. Defaults
            to `None`.
        bias_regularizer: regularizer of `bias`. Defaults to `None`.
        activity_regularizer: regularizer of the output. Defaults to
            `None`.
        kernel_constraint: constraint of `kernel`. Defaults to `None`.
        recurrent_constraint: constraint of `recurrent_kernel`. Defaults to
            `None`.
        bias_constraint: constraint of `bias`. Defaults to `None`.
        dropout: float in `[0, 1)`, fraction of the input units dropped
            (one mask per sequence). Defaults to `0.0`.
        recurrent_dropout: float in `[0, 1)`, fraction of the units of
            `h_{t-1}` dropped (one mask per sequence). Defaults to `0.0`.
        seed: random seed for dropout. Defaults to `None`.
        return_sequences: return the whole output sequence rather than the
            last output. Defaults to `False`.
        return_state: also return the last state. Defaults to `False`.
        go_backwards: process the sequence backwards and return the
            reversed sequence. Defaults to `False`.
        stateful: carry the last state of each batch over to the next.
            Defaults to `False`.
        unroll: unroll the loop (short sequences only). Defaults to
            `False`.
        reset_after: apply the reset gate after the recurrent matrix
            multiplication (`True`, Keras' default) or before it.
        use_cudnn: accepted for compatibility with `keras.layers.GRU`. This
            layer has no cuDNN kernel: `"auto"` (the default) and `False`
            run its `keras.ops` loop, `True` is a `ValueError`.
        arelu_alpha: initial value of `arelu_alpha`, the slope for negative
            candidate values (clipped to `[0.01, 0.99]` when applied).
            Defaults to `0.9`.
        arelu_beta: initial value of `arelu_beta`; positive candidate
            values are scaled by `1 + sigmoid(arelu_beta)`. Defaults to
            `2.0`.
        **kwargs: base layer keyword arguments, such as `name` and `dtype`.
            `implementation`, an argument of `keras.layers.GRU`, is
            accepted and has no effect.

    Call arguments:
        inputs: a 3D tensor `(batch, timesteps, features)`.
        mask: optional boolean tensor `(batch, timesteps)`; `False` steps
            are skipped.
        training: whether dropout is applied.
        initial_state: optional list holding one `(batch, units)` tensor.

    Returns:
        `(batch, units)`, or `(batch, timesteps, units)` with
        `return_sequences=True`; with `return_state=True` a list
        `[output, state]`.

    Example:

    ```python
    import numpy as np
    import keras_memattn

    x = np.random.default_rng(0).normal(size=(4, 10, 8)).astype("float32")
    layer = keras_memattn.layers.AttentionGRU(16, return_sequences=True)
    y = layer(x)  # (4, 10, 16)
    ```

    References:
        - [Rajamani et al., 2021](https://doi.org/10.1109/ICASSP39728.2021.9414489),
          "A Novel Attention-Based Gated Recurrent Unit and its Efficacy in
          Speech Emotion Recognition", ICASSP 2021.
        - [Chen et al., 2020](https://arxiv.org/abs/2006.13858), "AReLU:
          Attention-based Rectified Linear Unit".

    Differences from other implementations: AReLU replaces the candidate's
    `tanh` only (the gates keep their sigmoid), with one `(alpha, beta)`
    pair per cell, so a `Bidirectional` wrapper learns one pair per
    direction. The argument is named `candidate_activation` rather than
    `activation` so that its default, `"arelu"`, cannot be mistaken for a
    Keras activation; passing `activation` is an error that says so.
    Dropout uses one mask shared by all gates (Keras'
    `GRU` draws one per gate when `recurrent_dropout > 0`).
    """

    def __init__(
        self,
        units,
        candidate_activation=ARELU,
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
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
        reset_after=True,
        use_cudnn="auto",
        arelu_alpha=0.9,
        arelu_beta=2.0,
        **kwargs,
    ):
        check_use_cudnn(use_cudnn, "AttentionGRU")
        _refuse_activation(kwargs, "AttentionGRU")
        pop_implementation(kwargs)
        cell = AttentionGRUCell(
            units,
            candidate_activation=candidate_activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            reset_after=reset_after,
            arelu_alpha=arelu_alpha,
            arelu_beta=arelu_beta,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="attention_gru_cell",
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
        cell = self.cell
        if cell.uses_arelu:
            # In the compute dtype: integer inputs reach this point
            # unconverted (autocasting converts floats only).
            cell._slopes = cell.arelu_slopes()
        cell._weights_cache = cell.step_weights()
        try:
            return super().inner_loop(
                sequences, initial_state, mask, training=training
            )
        finally:
            cell._slopes = None
            cell._weights_cache = None

    @property
    def arelu_alpha(self):
        """Initial value of the cell's `arelu_alpha` weight (read-only)."""
        return self.cell.arelu_alpha_init

    @property
    def arelu_beta(self):
        """Initial value of the cell's `arelu_beta` weight (read-only)."""
        return self.cell.arelu_beta_init

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        config.update(_cell_config(self.cell))
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


for _name in (
    "units",
    "candidate_activation",
    "recurrent_activation",
    "use_bias",
    "kernel_initializer",
    "recurrent_initializer",
    "bias_initializer",
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
    "dropout",
    "recurrent_dropout",
    "seed",
    "reset_after",
):
    setattr(AttentionGRU, _name, _cell_property(_name))
del _name

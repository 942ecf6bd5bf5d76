"""Memory-augmented recurrent layer: a controller with an external memory."""

import keras
import numpy as np
from keras import ops

from keras_memattn import _compat
from keras_memattn import _initializers
from keras_memattn import _validation
from keras_memattn.layers.base_rnn import BaseRNN
from keras_memattn.layers.base_rnn import split_last
from keras_memattn.ops import addressing as addressing_ops
from keras_memattn.ops.masking import masked_softmax

CONTROLLERS = ("lstm", "dense")
ADDRESSING_MODES = ("content", "ntm")
MEMORY_INIT = 1e-6


def _get_quantization(identifier):
    """Resolves `quantization=` to a `QuantizationConfig` or None."""
    if identifier is None:
        return None
    # Imported here: the quantizers are only needed when asked for.
    from keras_memattn.ops.quantization import QuantizationConfig

    return QuantizationConfig.get(identifier)


def _serialize_quantization(identifier):
    if identifier is None or isinstance(identifier, (str, dict)):
        return identifier
    return keras.saving.serialize_keras_object(identifier)


@keras.saving.register_keras_serializable(package="keras_memattn")
class MANNCell(_compat.DropoutRNNCell, keras.layers.Layer):
    """Cell of `MANNLayer`: one step of a controller with an external memory.

    At step $t$ the controller (an LSTM, or a feed-forward layer) reads the
    input together with the previous read vectors,
    $h_t = \\mathrm{controller}([x_t; r_{t-1}], h_{t-1})$, and a linear
    projection of $h_t$ gives every head its parameters: a key $k$, a key
    strength $\\beta = \\operatorname{softplus}(\\cdot)$ and, with
    `addressing="ntm"`, an interpolation gate $g = \\sigma(\\cdot)$, a shift
    distribution $s = \\operatorname{softmax}(\\cdot)$ over
    $-S \\ldots S$ and a sharpening exponent
    $\\gamma = 1 + \\operatorname{softplus}(\\cdot)$; write heads also emit an
    erase vector $e = \\sigma(\\cdot)$ and an add vector
    $a = \\tanh(\\cdot)$. Writes come first, then reads from the new memory:

    $$
    \\begin{aligned}
    M_t &= M_{t-1} \\odot \\textstyle\\prod_{j}(1 - w^{w,j}_t e_j^\\top)
        + \\sum_j w^{w,j}_t a_j^\\top \\\\
    r^i_t &= M_t^\\top w^{r,i}_t \\qquad
    y_t = [h_t; r^1_t; \\ldots; r^R_t]
    \\end{aligned}
    $$

    The weights $w$ come from `keras_memattn.ops.content_weights` (content
    addressing) or `keras_memattn.ops.ntm_weights` (content, interpolation,
    circular shift and sharpening). Addressing, similarity, softmax and the
    memory update run in float32; the output and the states are in the
    compute dtype.

    The states, in order: the previous output $[h; r^1; \\ldots; r^R]$ (the
    controller output and the read vectors; first, because Keras' loops
    carry the first state as the output of masked steps), the LSTM cell
    state `c` (LSTM controller only), the memory flattened to
    `memory_size * memory_width`, the read weights
    (`num_read_heads * memory_size`) and the write weights
    (`num_write_heads * memory_size`, only with `addressing="ntm"`). The
    memory starts at the small constant 1e-6 in every entry, the head
    weights on slot 0 and the output at zero.

    Args:
        units: positive integer, size of the controller output.
        memory_size: positive integer, number of memory slots `N`.
            Defaults to `128`.
        memory_width: positive integer, width `M` of each slot. Defaults to
            `20`.
        num_read_heads: positive integer. Defaults to `1`.
        num_write_heads: positive integer. Defaults to `1`.
        controller: `"lstm"` (default) or `"dense"` (feed-forward).
        addressing: `"content"` (default) or `"ntm"` (content plus location
            addressing).
        similarity: `"cosine"` (default), `"dot"` or `"hamming"` (Q-MANN's
            bounded similarity on fixed-point words).
        quantization: `None` (default, float), `"fixed_point"`, `"binary"`,
            a `keras_memattn.ops.quantization.QuantizationConfig` or its
            config dict. Fake-quantizes the memory (tensor name
            `"memory"`), the keys (`"state"`) and the read vectors
            (`"read"`) with straight-through gradients; the Hamming
            similarity reads its operands in the `"memory"` format (8 bits,
            3 integer bits when `quantization` is None).
        shift_range: non-negative integer `S`; the NTM shift covers
            `-S..S`, at most `(memory_size - 1) // 2`. Defaults to `1`.
            Used with `addressing="ntm"`.
        activation: controller activation. Defaults to `"tanh"`.
        recurrent_activation: LSTM gate activation. Defaults to
            `"sigmoid"`.
        use_bias: whether the controller and the head projection use a bias.
            Defaults to `True`.
        kernel_initializer: for the input and head kernels. Defaults to
            `"glorot_uniform"`.
        recurrent_initializer: for the LSTM recurrent kernel. Defaults to
            `"orthogonal"`.
        bias_initializer: Defaults to `"zeros"`.
        unit_forget_bias: add 1 to the LSTM forget-gate bias at
            initialization. Defaults to `True`.
        kernel_regularizer: for the input and head kernels.
        recurrent_regularizer: for the recurrent kernel.
        bias_regularizer: for the biases.
        kernel_constraint: for the input and head kernels.
        recurrent_constraint: for the recurrent kernel.
        bias_constraint: for the biases.
        dropout: float in [0, 1), dropout rate on the inputs.
        recurrent_dropout: float in [0, 1), dropout rate on the recurrent
            inputs of the controller (its previous output and the previous
            read vectors).
        seed: random seed for dropout.
        epsilon: small constant of the cosine norms and the sharpening.
            Defaults to `1e-6`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: tensor of shape `(batch, features)`.
        states: list of state tensors, as described above.
        training: whether dropout applies.

    Returns:
        `(output, new_states)`, with `output` of shape
        `(batch, units + num_read_heads * memory_width)`.

    Example:

    ```python
    import numpy as np
    import keras
    import keras_memattn

    cell = keras_memattn.layers.MANNCell(16, memory_size=8, memory_width=4)
    layer = keras.layers.RNN(cell, return_sequences=True)
    y = layer(np.zeros((2, 5, 3), "float32"))  # (2, 5, 16 + 4)
    ```
    """

    def __init__(
        self,
        units,
        memory_size=128,
        memory_width=20,
        num_read_heads=1,
        num_write_heads=1,
        controller="lstm",
        addressing="content",
        similarity="cosine",
        quantization=None,
        shift_range=1,
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
        epsilon=1e-6,
        **kwargs,
    ):
        name = type(self).__name__
        self.units = _validation.positive_int("units", units, name)
        self.memory_size = _validation.positive_int(
            "memory_size", memory_size, name
        )
        self.memory_width = _validation.positive_int(
            "memory_width", memory_width, name
        )
        self.num_read_heads = _validation.positive_int(
            "num_read_heads", num_read_heads, name
        )
        self.num_write_heads = _validation.positive_int(
            "num_write_heads", num_write_heads, name
        )
        self.controller = _validation.one_of(
            "controller", controller, CONTROLLERS, name
        )
        self.addressing = _validation.one_of(
            "addressing", addressing, ADDRESSING_MODES, name
        )
        self.similarity = _validation.one_of(
            "similarity", similarity, addressing_ops.SIMILARITIES, name
        )
        self.shift_range = _validation.non_negative_int(
            "shift_range", shift_range, name
        )
        if (
            self.addressing == "ntm"
            and 2 * self.shift_range + 1 > self.memory_size
        ):
            # Shifts that differ by memory_size are the same rotation.
            raise ValueError(
                f"{name}: the shifts -shift_range..shift_range must be "
                f"distinct rotations of the {self.memory_size} memory "
                "slots, so `2 * shift_range + 1` must be at most "
                f"`memory_size`. Received: shift_range={self.shift_range}, "
                f"memory_size={self.memory_size}"
            )
        self.epsilon = _validation.positive_float("epsilon", epsilon, name)
        self.dropout = _validation.rate("dropout", dropout, name)
        self.recurrent_dropout = _validation.rate(
            "recurrent_dropout", recurrent_dropout, name
        )
        super().__init__(**kwargs)
        self.quantization = quantization
        self._quantizer = _get_quantization(quantization)
        if (
            self._quantizer is not None
            and self._quantizer.accumulator != "float"
        ):
            raise ValueError(
                "MANNCell addresses its memory with a float accumulator; "
                "`QuantizationConfig(accumulator='fixed_point')` is "
                "supported by MemoryNetwork only. Received: quantization="
                f"{self._quantizer!r}"
            )
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.use_bias = _validation.boolean("use_bias", use_bias, name)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(
            recurrent_initializer
        )
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.unit_forget_bias = _validation.boolean(
            "unit_forget_bias", unit_forget_bias, name
        )
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = keras.regularizers.get(
            recurrent_regularizer
        )
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.recurrent_constraint = keras.constraints.get(recurrent_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.seed = _validation.optional_seed("seed", seed, name)
        self.seed_generator = keras.random.SeedGenerator(seed=self.seed)

        n, m = self.memory_size, self.memory_width
        r, w = self.num_read_heads, self.num_write_heads
        location = 2 * self.shift_range + 3 if self.addressing == "ntm" else 0
        # Per head: key (m), strength (1), then gate, shift (2S + 1) and
        # gamma for location addressing; write heads add erase and add.
        self._read_head_size = m + 1 + location
        self._write_head_size = m + 1 + location + 2 * m
        self._interface_size = (
            r * self._read_head_size + w * self._write_head_size
        )
        self.output_size = self.units + r * m
        self.state_size = [self.output_size]
        if self.controller == "lstm":
            self.state_size.append(self.units)
        self.state_size += [n * m, r * n]
        if self.addressing == "ntm":
            self.state_size.append(w * n)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"{type(self).__name__}: the last dimension of `inputs` must "
                f"be known. Received: inputs.shape={tuple(input_shape)}"
            )
        reads = self.num_read_heads * self.memory_width
        gates = 4 if self.controller == "lstm" else 1
        self.kernel = self.add_weight(
            shape=(input_dim + reads, gates * self.units),
            name="kernel",
            initializer=_initializers.fresh(self.kernel_initializer),
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.controller == "lstm":
            self.recurrent_kernel = self.add_weight(
                shape=(self.units, 4 * self.units),
                name="recurrent_kernel",
                initializer=_initializers.in_float32(
                    self.recurrent_initializer
                ),
                regularizer=self.recurrent_regularizer,
                constraint=self.recurrent_constraint,
            )
        else:
            self.recurrent_kernel = None
        if self.use_bias:
            if self.controller == "lstm" and self.unit_forget_bias:

                def bias_initializer(_, *args, **kwargs):
                    units = self.units
                    return ops.concatenate(
                        [
                            self.bias_initializer((units,), *args, **kwargs),
                            keras.initializers.get("ones")(
                                (units,), *args, **kwargs
                            ),
                            self.bias_initializer(
                                (units * 2,), *args, **kwargs
                            ),
                        ]
                    )

            else:
                bias_initializer = self.bias_initializer
            self.bias = self.add_weight(
                shape=(gates * self.units,),
                name="bias",
                initializer=bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.head_kernel = self.add_weight(
            shape=(self.units, self._interface_size),
            name="head_kernel",
            initializer=_initializers.fresh(self.kernel_initializer),
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.head_bias = self.add_weight(
                shape=(self._interface_size,),
                name="head_bias",
                initializer=_initializers.fresh(self.bias_initializer),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.head_bias = None
        self.built = True

    # ------------------------------------------------------------------
    # One step.

    def _split_states(self, states, training):
        states = list(states)
        output = states.pop(0)
        if training and self.recurrent_dropout > 0:
            output = output * self.get_recurrent_dropout_mask(output)
        parts = {"h": output[:, : self.units], "reads": output[:, self.units :]}
        if self.controller == "lstm":
            parts["c"] = states.pop(0)
        parts["memory"] = states.pop(0)
        parts["read_weights"] = states.pop(0)
        if self.addressing == "ntm":
            parts["write_weights"] = states.pop(0)
        return parts

    def _controller(self, inputs, reads, h_prev, c_prev, training):
        if training and self.dropout > 0:
            inputs = inputs * self.get_dropout_mask(inputs)
        z = ops.matmul(ops.concatenate([inputs, reads], axis=-1), self.kernel)
        if self.bias is not None:
            z = z + self.bias
        if self.controller == "dense":
            return self.activation(z), None
        z = z + ops.matmul(h_prev, self.recurrent_kernel)
        z_i, z_f, z_c, z_o = split_last(z, [self.units] * 4)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c = f * c_prev + i * self.activation(z_c)
        o = self.recurrent_activation(z_o)
        return o * self.activation(c), c

    def _parse_heads(self, interface, offset, heads, size, write):
        n_shift = 2 * self.shift_range + 1
        block = ops.reshape(
            interface[:, offset : offset + heads * size], (-1, heads, size)
        )
        m = self.memory_width
        params = {
            "keys": block[..., :m],
            "strength": ops.softplus(block[..., m : m + 1]),
        }
        pos = m + 1
        if self.addressing == "ntm":
            params["gate"] = ops.sigmoid(block[..., pos : pos + 1])
            params["shift"] = masked_softmax(
                block[..., pos + 1 : pos + 1 + n_shift], axis=-1
            )
            pos += 1 + n_shift
            params["gamma"] = 1.0 + ops.softplus(block[..., pos : pos + 1])
            pos += 1
        if write:
            params["erase"] = ops.sigmoid(block[..., pos : pos + m])
            params["add"] = ops.tanh(block[..., pos + m : pos + 2 * m])
        return params

    def _quantize(self, x, tensor):
        if self._quantizer is None:
            return x
        return self._quantizer.quantize(x, tensor=tensor)

    def _hamming_kwargs(self):
        if self.similarity != "hamming" or self._quantizer is None:
            return {}
        return self._quantizer.hamming_kwargs("memory")

    def _address(self, params, memory, previous):
        # memory: (batch, 1, N, M) against keys (batch, heads, M).
        keys = self._quantize(params["keys"], "state")
        kwargs = dict(kind=self.similarity, epsilon=self.epsilon)
        kwargs.update(self._hamming_kwargs())
        if self.addressing == "content":
            return addressing_ops.content_weights(
                keys, memory, params["strength"], **kwargs
            )
        return addressing_ops.ntm_weights(
            keys,
            memory,
            params["strength"],
            params["gate"],
            params["shift"],
            params["gamma"],
            previous,
            **kwargs,
        )

    def call(self, inputs, states, training=False):
        parts = self._split_states(states, training)
        n, m = self.memory_size, self.memory_width
        r, w = self.num_read_heads, self.num_write_heads
        h, c = self._controller(
            inputs, parts["reads"], parts["h"], parts.get("c"), training
        )

        interface = ops.matmul(h, self.head_kernel)
        if self.head_bias is not None:
            interface = interface + self.head_bias
        interface = ops.cast(interface, "float32")
        read_params = self._parse_heads(
            interface, 0, r, self._read_head_size, write=False
        )
        write_params = self._parse_heads(
            interface,
            r * self._read_head_size,
            w,
            self._write_head_size,
            write=True,
        )

        memory = ops.reshape(ops.cast(parts["memory"], "float32"), (-1, n, m))
        previous_write = None
        if self.addressing == "ntm":
            previous_write = ops.reshape(
                ops.cast(parts["write_weights"], "float32"), (-1, w, n)
            )
        write_w = self._address(
            write_params, ops.expand_dims(memory, 1), previous_write
        )
        # Erase then add, as outer products (batch, heads, N, M).
        erase = ops.expand_dims(write_w, -1) * ops.expand_dims(
            write_params["erase"], -2
        )
        add = ops.expand_dims(write_w, -1) * ops.expand_dims(
            write_params["add"], -2
        )
        # The product of the heads' retain factors, one head at a time:
        # JAX cannot differentiate `ops.prod` when the batch size is
        # symbolic (as in `model.export` of a JAX model).
        heads = ops.unstack(1.0 - erase, w, axis=1)
        retain = heads[0]
        for head in heads[1:]:
            retain = retain * head
        memory = memory * retain + ops.sum(add, axis=1)
        memory = self._quantize(memory, "memory")

        previous_read = ops.reshape(
            ops.cast(parts["read_weights"], "float32"), (-1, r, n)
        )
        read_w = self._address(
            read_params, ops.expand_dims(memory, 1), previous_read
        )
        reads = ops.einsum("brn,bnm->brm", read_w, memory)
        reads = ops.reshape(self._quantize(reads, "read"), (-1, r * m))

        dtype = self.compute_dtype
        reads = ops.cast(reads, dtype)
        output = ops.concatenate([h, reads], axis=-1)
        new_states = [output] if c is None else [output, c]
        new_states.append(ops.cast(ops.reshape(memory, (-1, n * m)), dtype))
        new_states.append(ops.cast(ops.reshape(read_w, (-1, r * n)), dtype))
        if self.addressing == "ntm":
            new_states.append(
                ops.cast(ops.reshape(write_w, (-1, w * n)), dtype)
            )
        return output, new_states

    def get_initial_state(self, batch_size=None):
        dtype = self.compute_dtype
        n, m = self.memory_size, self.memory_width
        r, w = self.num_read_heads, self.num_write_heads
        slot0 = np.zeros((1, n), "float32")
        slot0[0, 0] = 1.0
        states = [ops.zeros((batch_size, self.output_size), dtype=dtype)]
        if self.controller == "lstm":
            states.append(ops.zeros((batch_size, self.units), dtype=dtype))
        states.append(ops.zeros((batch_size, n * m), dtype=dtype) + MEMORY_INIT)
        zeros_r = ops.zeros((batch_size, r * n), dtype=dtype)
        states.append(zeros_r + ops.cast(np.tile(slot0, (1, r)), dtype))
        if self.addressing == "ntm":
            zeros_w = ops.zeros((batch_size, w * n), dtype=dtype)
            states.append(zeros_w + ops.cast(np.tile(slot0, (1, w)), dtype))
        return states

    def get_config(self):
        config = {
            "units": self.units,
            "memory_size": self.memory_size,
            "memory_width": self.memory_width,
            "num_read_heads": self.num_read_heads,
            "num_write_heads": self.num_write_heads,
            "controller": self.controller,
            "addressing": self.addressing,
            "similarity": self.similarity,
            "quantization": _serialize_quantization(self.quantization),
            "shift_range": self.shift_range,
            "activation": keras.activations.serialize(self.activation),
            "recurrent_activation": keras.activations.serialize(
                self.recurrent_activation
            ),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(
                self.kernel_initializer
            ),
            "recurrent_initializer": keras.initializers.serialize(
                self.recurrent_initializer
            ),
            "bias_initializer": keras.initializers.serialize(
                self.bias_initializer
            ),
            "unit_forget_bias": self.unit_forget_bias,
            "kernel_regularizer": keras.regularizers.serialize(
                self.kernel_regularizer
            ),
            "recurrent_regularizer": keras.regularizers.serialize(
                self.recurrent_regularizer
            ),
            "bias_regularizer": keras.regularizers.serialize(
                self.bias_regularizer
            ),
            "kernel_constraint": keras.constraints.serialize(
                self.kernel_constraint
            ),
            "recurrent_constraint": keras.constraints.serialize(
                self.recurrent_constraint
            ),
            "bias_constraint": keras.constraints.serialize(
                self.bias_constraint
            ),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
            "epsilon": self.epsilon,
        }
        return {**super().get_config(), **config}


_CELL_ARGS = (
    "units",
    "memory_size",
    "memory_width",
    "num_read_heads",
    "num_write_heads",
    "controller",
    "addressing",
    "similarity",
    "quantization",
    "shift_range",
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
    "epsilon",
)


@keras.saving.register_keras_serializable(package="keras_memattn")
class MANNLayer(BaseRNN):
    """Memory-augmented recurrent layer (NTM-style external memory).

    A controller (an LSTM by default) reads and writes an external memory of
    `memory_size` slots of width `memory_width` through read and write
    heads, in the manner of the Neural Turing Machine (Graves et al.,
    2014). The output at each step is the controller output concatenated
    with the read vectors, of size `units + num_read_heads * memory_width`.
    See `MANNCell` for the equations.

    Addressing is content-based (`addressing="content"`: cosine, dot or
    Hamming similarity times a key strength, then a softmax over the slots)
    or the NTM's content plus location addressing (`addressing="ntm"`:
    interpolation with the previous weights, a circular shift over
    `-shift_range..shift_range` and sharpening). The memory, the head
    weights and the read vectors are RNN states, so `return_state`,
    `stateful`, masking and `keras.layers.Bidirectional` behave as for
    `keras.layers.LSTM`; `return_state=True` returns them flattened, in the
    order listed in `MANNCell`.

    Numerical safety: the memory starts at the constant 1e-6 (never all
    zero), the cosine norms carry an epsilon, strengths are
    softplus-bounded and the sharpening exponent is `1 + softplus`, computed
    in log space; addressing runs in float32 under mixed precision.
    Sequences of 1,000 steps and `mixed_float16` stay finite.

    Masking: a masked time step leaves the output and every state
    (memory included) unchanged, as in `keras.layers.RNN`.

    Args:
        units: positive integer, size of the controller output.
        memory_size: positive integer, number of memory slots. Defaults to
            `128`.
        memory_width: positive integer, width of each slot. Defaults to
            `20`.
        num_read_heads: positive integer. Defaults to `1`.
        num_write_heads: positive integer. Defaults to `1`.
        controller: `"lstm"` (default) or `"dense"`.
        addressing: `"content"` (default) or `"ntm"`.
        similarity: `"cosine"` (default), `"dot"` or `"hamming"`.
        quantization: `None` (default), `"fixed_point"`, `"binary"`, a
            `keras_memattn.ops.quantization.QuantizationConfig` or its
            config; fake-quantizes memory, keys and read vectors (Q-MANN).
        shift_range: non-negative integer, largest NTM shift. Defaults to
            `1`.
        activation: controller activation. Defaults to `"tanh"`.
        recurrent_activation: LSTM gate activation. Defaults to
            `"sigmoid"`.
        use_bias: Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        recurrent_initializer: Defaults to `"orthogonal"`.
        bias_initializer: Defaults to `"zeros"`.
        unit_forget_bias: Defaults to `True`.
        kernel_regularizer: Defaults to `None`.
        recurrent_regularizer: Defaults to `None`.
        bias_regularizer: Defaults to `None`.
        activity_regularizer: Defaults to `None`.
        kernel_constraint: Defaults to `None`.
        recurrent_constraint: Defaults to `None`.
        bias_constraint: Defaults to `None`.
        dropout: float in [0, 1), dropout on the inputs. Defaults to `0.0`.
        recurrent_dropout: float in [0, 1), dropout on the controller's
            recurrent inputs. Defaults to `0.0`.
        seed: random seed for dropout.
        epsilon: Defaults to `1e-6`.
        return_sequences: return the whole output sequence. Defaults to
            `False`.
        return_state: also return the last states. Defaults to `False`.
        go_backwards: process the sequence backwards. Defaults to `False`.
        stateful: keep the last states of each batch as the initial states
            of the next. Defaults to `False`.
        unroll: unroll the loop. Defaults to `False`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: tensor of shape `(batch, timesteps, features)`.
        mask: optional boolean tensor `(batch, timesteps)`.
        training: whether dropout applies.
        initial_state: optional list of initial state tensors.

    Returns:
        `(batch, units + num_read_heads * memory_width)`, or with
        `return_sequences=True` `(batch, timesteps, units + ...)`; with
        `return_state=True`, followed by the final states.

    Example:

    >>> import numpy as np
    >>> import keras
    >>> import keras_memattn
    >>> layer = keras_memattn.layers.MANNLayer(
    ...     16, memory_size=32, memory_width=8, addressing="ntm",
    ...     return_sequences=True,
    ... )
    >>> x = np.random.rand(2, 10, 9).astype("float32")
    >>> tuple(layer(x).shape)
    (2, 10, 24)
    >>> model = keras.Sequential([keras.Input((None, 9))])
    >>> model.add(keras_memattn.layers.MANNLayer(16, memory_size=32))
    >>> tuple(model(x).shape)
    (2, 36)

    References:
        - A. Graves, G. Wayne, I. Danihelka, [Neural Turing Machines](
          https://arxiv.org/abs/1410.5401), 2014.
        - M. Collier, J. Beel, [Implementing Neural Turing Machines](
          https://arxiv.org/abs/1807.08518), ICANN 2018 (constant memory
          initialisation).
        - S. Park et al., [Quantized Memory-Augmented Neural Networks](
          https://arxiv.org/abs/1711.03712), AAAI 2018 (Hamming similarity,
          quantization).

    Differences from other implementations: writes happen before reads in
    each step (as in the DNC), so a read can return what was just written;
    the add vector goes through `tanh` so the memory stays bounded; the
    initial memory, head weights (slot 0) and read vectors are constants,
    not learned biases; the sharpening is computed as
    `softmax(gamma * log(w + epsilon))`.
    """

    def __init__(
        self,
        units,
        memory_size=128,
        memory_width=20,
        num_read_heads=1,
        num_write_heads=1,
        controller="lstm",
        addressing="content",
        similarity="cosine",
        quantization=None,
        shift_range=1,
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
        epsilon=1e-6,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        **kwargs,
    ):
        cell = MANNCell(
            units,
            memory_size=memory_size,
            memory_width=memory_width,
            num_read_heads=num_read_heads,
            num_write_heads=num_write_heads,
            controller=controller,
            addressing=addressing,
            similarity=similarity,
            quantization=quantization,
            shift_range=shift_range,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            epsilon=epsilon,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="mann_cell",
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
        self.input_spec = keras.layers.InputSpec(ndim=3)

    def reset_state(self):
        # Back to the initial memory (1e-6) and head positions, not zeros.
        if self.states is not None:
            batch_size = self.states[0].shape[0]
            initial = self.cell.get_initial_state(batch_size)
            for variable, value in zip(self.states, initial):
                variable.assign(value)

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in _CELL_ARGS:
            config[key] = cell_config[key]
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _cell_property(name):
    return property(
        lambda self: getattr(self.cell, name),
        doc=f"`{name}` of the cell (read-only).",
    )


# Flat, LSTM-like read access to the cell's arguments (`layer.units`).
for _name in _CELL_ARGS:
    setattr(MANNLayer, _name, _cell_property(_name))
del _name

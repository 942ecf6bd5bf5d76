"""The recurrent wrapper every recurrent layer of the package inherits.

`BaseRNN` is `keras.layers.RNN` with one change: the loop primitive is chosen
per backend, by measurement (see the "Speed" section of the docs).

* TensorFlow and JAX: Keras' own loop (`tf.while_loop` / `jax.lax.scan`),
  which runs a `keras.ops` cell at the speed of the built-in LSTM.
* PyTorch: a Python loop over `keras.ops.unstack` that calls the cell's
  `call` directly. A cell may offer `project_inputs(sequences, training)`
  (the input projection of all steps as one matrix product) and
  `step_projected(projected_t, states, training)` (the rest of a step); this
  loop then uses them. Keras' torch loop indexes `x[t]`, whose backward pass
  writes a full-size zero tensor per step (training cost grows with the
  square of the length), and it goes through `Layer.__call__` on every step
  (about 0.3 ms each at batch 1). The unstack loop is linear in the length.

Both paths compute the same function, including masking (a masked step keeps
the previous output and states), `go_backwards`, `zero_output_for_mask` and
`return_sequences`; `tests/layers/test_base_rnn.py` checks their parity on
every backend.
"""

import contextlib

import keras
from keras import ops
from keras import tree

from keras_memattn import _compat
from keras_memattn import _validation

LOOP_IMPLEMENTATIONS = ("auto", "keras", "unstack")


def rnn_loop(
    step_function,
    sequences,
    initial_states,
    mask=None,
    go_backwards=False,
    zero_output_for_mask=False,
    return_all_outputs=True,
):
    """Runs `step_function` over the time axis with a Python loop.

    Same contract as Keras' backend `rnn`: `step_function(x_t, states)`
    returns `(output_t, new_states)`; a step whose mask is False keeps the
    previous output (zeros before the first step) and the previous states.

    Args:
        step_function: callable `(inputs_t, states) -> (output_t, states)`.
        sequences: tensor of shape `(batch, time, ...)`.
        initial_states: list of state tensors, each `(batch, ...)`.
        mask: optional boolean tensor `(batch, time)`.
        go_backwards: process the sequence from the last step to the first.
            Outputs are then in processing order, as in Keras.
        zero_output_for_mask: write zeros instead of the carried output at
            masked steps.
        return_all_outputs: stack every step's output; otherwise `outputs`
            holds only the last one, with a time axis of length 1.

    Returns:
        `(last_output, outputs, states)`, with `outputs` of shape
        `(batch, time, ...)`.
    """
    inputs = ops.unstack(sequences, axis=1)
    masks = (
        None if mask is None else ops.unstack(ops.cast(mask, "bool"), axis=1)
    )
    if go_backwards:
        inputs = inputs[::-1]
        masks = None if masks is None else masks[::-1]

    states = list(initial_states)
    # Flat states (a list of tensors, as in every cell of this package)
    # skip the per-step tree flattening, which costs more than the step's
    # arithmetic at small batch sizes.
    flat = not any(tree.is_nested(s) for s in states)
    outputs = []
    prev_output = None
    for t, x_t in enumerate(inputs):
        output, new_states = step_function(x_t, states)
        if flat and isinstance(new_states, (list, tuple)):
            new_states = list(new_states)
        else:
            new_states = list(tree.flatten(new_states))
        if masks is not None:
            m = masks[t]
            if prev_output is None:
                prev_output = ops.zeros_like(output)
            output = ops.where(_expand(m, output), output, prev_output)
            flat_old = states if flat else tree.flatten(states)
            new_states = [
                ops.where(_expand(m, s), s, old)
                for s, old in zip(new_states, flat_old)
            ]
        if not flat:
            new_states = tree.pack_sequence_as(states, new_states)
        states = new_states
        prev_output = output
        if return_all_outputs or t == len(inputs) - 1:
            outputs.append(output)

    stacked = ops.stack(outputs, axis=1)
    last_output = prev_output
    if masks is not None and zero_output_for_mask:
        if return_all_outputs:
            keep = ops.stack(masks, axis=1)
        else:
            keep = ops.expand_dims(masks[-1], 1)
        stacked = ops.where(_expand(keep, stacked), stacked, 0)
        last_output = ops.where(_expand(masks[-1], last_output), last_output, 0)
    return last_output, stacked, states


def split_last(x, sizes):
    """Splits the last axis of `x` into consecutive parts of `sizes`.

    For the gate blocks inside a recurrent step. Equal parts use
    `ops.split` by count on every backend: its gradient is one
    concatenation, where the gradient of each slice is a zero-filled
    full-size tensor (on PyTorch, equal splits take 4-10 % off the training
    step of `AttentionGRU` at T = 200 against three slices). Unequal parts use
    `ops.split` at boundaries on TensorFlow and JAX, and basic slicing on
    PyTorch, whose `ops.split` converts the boundaries to a tensor and back
    at every step, several times the cost of the slices. All give the same
    values.

    Args:
        x: a tensor.
        sizes: the sizes of the parts; they must add up to `x.shape[-1]`.

    Returns:
        A list of `len(sizes)` tensors.

    Example:

    >>> from keras import ops
    >>> parts = split_last(ops.ones((2, 5)), [2, 3])
    >>> [tuple(p.shape) for p in parts]
    [(2, 2), (2, 3)]
    """
    if len(sizes) == 1:
        return [x]
    if len(set(sizes)) == 1:
        return ops.split(x, len(sizes), axis=-1)
    if keras.backend.backend() == "torch":
        parts = []
        start = 0
        for size in sizes:
            parts.append(x[..., start : start + size])
            start += size
        return parts
    bounds = []
    total = 0
    for size in sizes[:-1]:
        total += size
        bounds.append(total)
    return ops.split(x, bounds, axis=-1)


def step_matmul(x, kernel):
    """`ops.matmul(x, kernel)` for the products inside a recurrent step.

    On PyTorch, where every step runs eagerly, it is `x @ kernel`: the same
    product without the argument handling of `ops.matmul` (about 17 us per
    call on the 2-core CPU of the benchmarks, a third of a `(64, 128)` by
    `(128, 384)` product). Elsewhere it is `ops.matmul`. Both operands must
    be tensors of the same floating dtype, as inside a step.

    Args:
        x: a tensor `(batch, n)`.
        kernel: a tensor `(n, m)`.

    Returns:
        The tensor `(batch, m)`.

    Example:

    >>> from keras import ops
    >>> y = step_matmul(ops.ones((2, 3)), ops.ones((3, 4)))
    >>> tuple(y.shape)
    (2, 4)
    """
    if keras.backend.backend() == "torch":
        return x @ kernel
    return ops.matmul(x, kernel)


def check_use_cudnn(use_cudnn, owner):
    """Validates the `use_cudnn` argument that Keras' LSTM and GRU take.

    The layers of this package have no cuDNN kernel: `"auto"` and `False`
    run their `keras.ops` loop, and `True` (which asks for cuDNN) is a
    `ValueError`, as it is for a Keras layer that cannot use cuDNN.
    """
    if use_cudnn is True:
        raise ValueError(
            f"{owner} has no cuDNN kernel, so `use_cudnn=True` cannot be "
            "honoured; use 'auto' or False (the keras.ops loop, on every "
            "backend and device). Received: use_cudnn=True"
        )
    if use_cudnn is not False and use_cudnn != "auto":
        raise ValueError(
            f"{owner}: `use_cudnn` must be one of 'auto', True, False. "
            f"Received: use_cudnn={use_cudnn!r}"
        )
    return use_cudnn


def _expand(mask, like):
    while len(mask.shape) < len(like.shape):
        mask = ops.expand_dims(mask, -1)
    return mask


def pop_implementation(kwargs):
    """Drops `implementation` from `kwargs`.

    `keras.layers.LSTM` and `GRU` (and their cells) take it as a hint on
    how to split a step into operations; the layers here compute each step
    one way only, so they accept it, as drop-in replacements, and ignore it.
    """
    kwargs.pop("implementation", None)
    return kwargs


class BaseRNN(keras.layers.RNN):
    """`keras.layers.RNN` with the per-backend loop of this package.

    Subclasses set up their cell and pass it to `super().__init__`; all the
    `keras.layers.RNN` behaviour (masks, `return_state`, `stateful`,
    `go_backwards`, `unroll`, `Bidirectional`) is inherited. `unroll=True`
    uses Keras' unrolled loop on TensorFlow and JAX; on PyTorch the unstack
    loop, which is already unrolled there. Inputs must have rank 3
    `(batch, time, features)`; another rank, or once built another number of
    features, raises a `ValueError` naming the shape received.
    """

    # Which loop runs: "auto" (the fastest per backend), "keras" or
    # "unstack". An attribute, not an argument: tests set it to check that
    # the two paths agree. They do, but for one case where Keras' own loops
    # disagree between backends: the outputs of masked steps before the
    # first unmasked one, with `zero_output_for_mask=False` and a non-zero
    # `initial_state`, are zeros in the "unstack" loop and on TensorFlow and
    # PyTorch, and repeat the initial state in Keras' JAX loop.
    loop_implementation = "auto"

    def build(self, sequences_shape, initial_state_shape=None):
        _validation.input_rank(
            "inputs", sequences_shape, 3, type(self).__name__
        )
        if sequences_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__}: the last dimension of `inputs` "
                "must be known. "
                f"Received: inputs.shape={tuple(sequences_shape)}"
            )
        # Later calls with another number of features are refused by Keras
        # (a ValueError naming the shape), not by the kernels' matmul.
        self.input_spec = keras.InputSpec(
            ndim=3, axes={-1: int(sequences_shape[-1])}
        )
        super().build(sequences_shape, initial_state_shape)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        _validation.input_rank(
            "inputs", sequences.shape, 3, type(self).__name__
        )
        if sequences.shape[1] == 0:
            # Keras' loops fail on an empty time axis with an index error.
            raise ValueError(
                f"{type(self).__name__}: `inputs` must have at least one "
                f"time step. Received: inputs.shape={tuple(sequences.shape)}"
            )
        if initial_state is not None:
            self._check_initial_state(initial_state, sequences.shape[0])
        first_mask = mask[0] if tree.is_nested(mask) else mask
        if first_mask is not None:
            _validation.padding_mask(sequences, first_mask, type(self).__name__)
        return super().call(
            sequences, initial_state=initial_state, mask=mask, training=training
        )

    def _check_initial_state(self, initial_state, batch_size=None):
        """Raises unless `initial_state` matches the cell's `state_size` and
        the batch size of the inputs (unknown sizes pass)."""
        sizes = self.cell.state_size
        sizes = list(sizes) if isinstance(sizes, (list, tuple)) else [sizes]
        states = tree.flatten(initial_state)
        shapes = [tuple(s.shape) for s in states]
        if len(states) != len(sizes) or any(
            len(shape) != 2
            or shape[-1] not in (None, size)
            or (None not in (batch_size, shape[0]) and shape[0] != batch_size)
            for shape, size in zip(shapes, sizes)
        ):
            raise ValueError(
                f"{type(self).__name__} expects `initial_state` to be "
                f"{len(sizes)} tensor(s) of shape (batch, size) with sizes "
                f"{sizes} and the batch size of the inputs ({batch_size}). "
                f"Received: initial_state with shapes {shapes}"
            )

    def _use_unstack_loop(self):
        impl = self.loop_implementation
        if impl not in LOOP_IMPLEMENTATIONS:
            raise ValueError(
                "`loop_implementation` must be one of "
                f"{LOOP_IMPLEMENTATIONS}. "
                f"Received: loop_implementation={impl!r}"
            )
        on_torch = keras.backend.backend() == "torch"
        if self.unroll and not on_torch:
            return False  # Keras' unrolled loop.
        if impl == "auto":
            # On PyTorch, which runs eagerly, the unstack loop is an
            # unrolled loop, so `unroll=True` takes it as well (Keras'
            # unrolled torch loop fails with `go_backwards` and a mask).
            return on_torch
        return impl == "unstack"

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if tree.is_nested(mask):
            # A list of masks (one per input) uses the sequence's, as in
            # `keras.layers.LSTM` and `keras.layers.GRU`.
            mask = mask[0]
        cell = self.cell
        own_masks = not (
            _compat._KerasDropoutRNNCell is not None
            and isinstance(cell, _compat._KerasDropoutRNNCell)
        )
        if own_masks and hasattr(cell, "get_dropout_mask"):
            # Draw the per-sequence dropout masks before the loop, so that
            # every step (and every backend) uses the same masks.
            cell.get_dropout_mask(sequences[:, 0])
            cell.get_recurrent_dropout_mask(tree.flatten(initial_state)[0])
        if not self._use_unstack_loop():
            result = super().inner_loop(
                sequences, initial_state, mask, training=training
            )
        else:
            result = self._unstack_loop(
                sequences, initial_state, mask, training
            )
        if own_masks and hasattr(cell, "reset_dropout_mask"):
            cell.reset_dropout_mask()
            cell.reset_recurrent_dropout_mask()
        return result

    def _unstack_loop(self, sequences, initial_state, mask, training):
        cell = self.cell
        kwargs = {}
        if isinstance(cell, keras.layers.Layer):
            call = cell.call if cell.built else cell
            if _compat.call_has_training_arg(cell):
                kwargs["training"] = training
        else:  # pragma: no cover - any object with `call` and `state_size`.
            call = cell.call
        stateful_torch = self.stateful
        project = getattr(cell, "project_inputs", None)
        if project is not None:
            # One matrix product for the input projection of every step;
            # the loop then runs the recurrent part only.
            sequences = project(sequences, training=training)
            call = cell.step_projected

        def step(inputs, states):
            if stateful_torch:
                states = tree.map_structure(ops.copy, states)
            output, new_states = call(inputs, states, **kwargs)
            if not tree.is_nested(new_states):
                new_states = [new_states]
            return output, new_states

        if not tree.is_nested(initial_state):
            initial_state = [initial_state]
        # `cell.call` skips `Layer.__call__`: open the cell's name scope
        # here, so that weights the cell creates in its first step (a layer
        # given as its activation, say) get the paths Keras' loop gives.
        scope = (
            keras.name_scope(cell.name, caller=cell)
            if isinstance(cell, keras.layers.Layer)
            else contextlib.nullcontext()
        )
        with scope:
            return rnn_loop(
                step,
                sequences,
                initial_state,
                mask=mask,
                go_backwards=self.go_backwards,
                zero_output_for_mask=self.zero_output_for_mask,
                return_all_outputs=self.return_sequences,
            )

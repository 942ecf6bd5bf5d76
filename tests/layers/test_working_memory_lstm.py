"""WorkingMemoryLSTM: layer contract, reductions and a NumPy reference."""

import itertools

import keras
import numpy as np
import pytest
from keras import ops

from keras_memattn.layers import WorkingMemoryLSTM
from keras_memattn.layers import WorkingMemoryLSTMCell
from tests.harness import check_keras_argument_order
from tests.harness import run_layer_test

BATCH, STEPS, FEATURES, UNITS = 3, 6, 4, 5
MASK = np.ones((BATCH, STEPS), bool)
MASK[0, 4:] = False  # Right padding.
MASK[1, 1:3] = False  # A gap in the middle.


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((BATCH, STEPS, FEATURES)).astype("float32")


def _np(x):
    return ops.convert_to_numpy(x)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def numpy_reference(x, kernel, recurrent, bias, memory, memory_bias=None):
    """The cell equations of Landi et al. (2021), step by step, in float64."""
    x, kernel, recurrent, bias, memory = (
        np.asarray(a, "float64") for a in (x, kernel, recurrent, bias, memory)
    )
    n = recurrent.shape[0]
    mb = np.zeros(3 * n) if memory_bias is None else memory_bias
    h = np.zeros((x.shape[0], n))
    c = np.zeros((x.shape[0], n))
    outputs = []
    for t in range(x.shape[1]):
        a = x[:, t] @ kernel + h @ recurrent + bias
        a_i, a_f, a_g, a_o = np.split(a, 4, axis=-1)
        i = _sigmoid(a_i + np.tanh(c @ memory[:, :n] + mb[:n]))
        f = _sigmoid(a_f + np.tanh(c @ memory[:, n : 2 * n] + mb[n : 2 * n]))
        c = f * c + i * np.tanh(a_g)
        o = _sigmoid(a_o + np.tanh(c @ memory[:, 2 * n :] + mb[2 * n :]))
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


# --------------------------------------------------------------------------
# Layer contract.


def test_layer_contract():
    run_layer_test(
        WorkingMemoryLSTM,
        {
            "units": 4,
            "return_sequences": True,
            "use_memory_bias": True,
            "bias_initializer": keras.initializers.RandomNormal(seed=1),
        },
        input_shape=(2, 5, 3),
        expected_output_shape=(2, 5, 4),
        expected_num_trainable_weights=5,
        supports_masking=True,
    )


def test_layer_contract_return_state():
    run_layer_test(
        WorkingMemoryLSTM,
        {"units": 3, "return_state": True, "go_backwards": True},
        input_shape=(2, 4, 3),
        expected_output_shape=[(2, 3), (2, 3), (2, 3)],
        expected_num_trainable_weights=4,
        run_mixed_precision_check=False,
        run_saving_check=False,
    )


def test_weights_and_parameter_count():
    layer = WorkingMemoryLSTM(UNITS, use_memory_bias=True)
    layer.build((None, None, FEATURES))
    shapes = {w.name: tuple(w.shape) for w in layer.weights}
    assert shapes == {
        "kernel": (FEATURES, 4 * UNITS),
        "recurrent_kernel": (UNITS, 4 * UNITS),
        "bias": (4 * UNITS,),
        "memory_kernel": (UNITS, 3 * UNITS),
        "memory_bias": (3 * UNITS,),
    }
    lstm = keras.layers.LSTM(UNITS)
    lstm.build((None, None, FEATURES))
    plain = WorkingMemoryLSTM(UNITS)
    plain.build((None, None, FEATURES))
    assert plain.count_params() == lstm.count_params() + 3 * UNITS**2


def test_unit_forget_bias():
    layer = WorkingMemoryLSTM(UNITS)
    layer.build((None, None, FEATURES))
    bias = _np(layer.cell.bias)
    np.testing.assert_array_equal(bias[UNITS : 2 * UNITS], 1.0)
    np.testing.assert_array_equal(bias[:UNITS], 0.0)
    np.testing.assert_array_equal(bias[2 * UNITS :], 0.0)


def test_properties_and_config_are_flat():
    layer = WorkingMemoryLSTM(
        7, dropout=0.25, memory_initializer="zeros", use_memory_bias=True
    )
    assert layer.units == 7
    assert layer.dropout == 0.25
    assert layer.use_memory_bias is True
    assert isinstance(layer.memory_initializer, keras.initializers.Zeros)
    config = layer.get_config()
    assert "cell" not in config
    assert config["units"] == 7
    assert WorkingMemoryLSTM.from_config(config).get_config() == config
    with pytest.raises(AttributeError):
        layer.units = 3


@pytest.mark.parametrize(
    "ours,theirs",
    [
        (WorkingMemoryLSTM, keras.layers.LSTM),
        (WorkingMemoryLSTMCell, keras.layers.LSTMCell),
    ],
)
def test_keras_arguments_come_first_in_keras_order(ours, theirs):
    # The working-memory arguments come after Keras' own.
    extra = ["memory_initializer", "memory_regularizer", "memory_constraint"]
    check_keras_argument_order(ours, theirs, [*extra, "use_memory_bias"])


# --------------------------------------------------------------------------
# Reductions and references.


# With `return_state=True` the last output and states are checked too, so
# `return_sequences=False` only needs one case.
LOOP_CASES = [
    (m, g, True) for m, g in itertools.product([False, True], repeat=2)
]
LOOP_CASES.append((True, True, False))
PARITY_CASES = [(False, False, True), (True, True, True), (True, False, False)]


@pytest.mark.parametrize("use_mask,go_backwards,return_sequences", LOOP_CASES)
def test_zero_memory_kernel_equals_keras_lstm(
    use_mask, go_backwards, return_sequences
):
    x = _inputs()
    kwargs = dict(
        return_sequences=return_sequences,
        return_state=True,
        go_backwards=go_backwards,
        bias_initializer="random_normal",
        unit_forget_bias=False,
    )
    layer = WorkingMemoryLSTM(UNITS, memory_initializer="zeros", **kwargs)
    # The generic loop: on GPU, Keras' cuDNN kernels compute in TF32 and
    # (JAX) order the outputs of `go_backwards` differently.
    reference = keras.layers.LSTM(UNITS, use_cudnn=False, **kwargs)
    mask = MASK if use_mask else None
    layer(x, mask=mask)
    reference(x, mask=mask)
    cell = layer.cell
    reference.set_weights(
        [_np(cell.kernel), _np(cell.recurrent_kernel), _np(cell.bias)]
    )
    got = layer(x, mask=mask)
    expected = reference(x, mask=mask)
    assert len(got) == len(expected) == 3
    for a, b in zip(got, expected):
        np.testing.assert_allclose(_np(a), _np(b), atol=1e-5)


@pytest.mark.parametrize(
    "seed,use_memory_bias", [(0, False), (1, True), (2, True)]
)
def test_matches_numpy_reference(seed, use_memory_bias):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, STEPS, FEATURES)).astype("float32")
    layer = WorkingMemoryLSTM(
        UNITS,
        return_sequences=True,
        return_state=True,
        use_memory_bias=use_memory_bias,
    )
    layer.build(x.shape)
    weights = [
        0.5 * rng.standard_normal(tuple(w.shape)).astype("float32")
        for w in layer.weights
    ]
    layer.set_weights(weights)
    cell = layer.cell
    sequence, h, c = layer(x)
    ref_seq, ref_h, ref_c = numpy_reference(
        x,
        _np(cell.kernel),
        _np(cell.recurrent_kernel),
        _np(cell.bias),
        _np(cell.memory_kernel),
        _np(cell.memory_bias) if use_memory_bias else None,
    )
    np.testing.assert_allclose(_np(sequence), ref_seq, atol=1e-5)
    np.testing.assert_allclose(_np(h), ref_h, atol=1e-5)
    np.testing.assert_allclose(_np(c), ref_c, atol=1e-5)


def test_gates_see_the_right_cell_state():
    # The output gate reads c_t: changing its block of the memory kernel
    # changes h_t but not c_t at the same step. The input and forget gates
    # read c_{t-1}, which is zero at the first step, so their blocks have no
    # effect there.
    cell = WorkingMemoryLSTMCell(UNITS)
    x = _inputs()[:, 0]
    cell.build(x.shape)
    states = cell.get_initial_state(BATCH)
    h0, (_, c0) = cell.call(x, states)
    memory = _np(cell.memory_kernel).copy()
    memory[:, 2 * UNITS :] += 1.0
    cell.memory_kernel.assign(memory)
    h1, (_, c1) = cell.call(x, states)
    np.testing.assert_allclose(_np(c0), _np(c1), atol=1e-7)
    assert np.max(np.abs(_np(h0) - _np(h1))) > 1e-3
    memory[:, : 2 * UNITS] += 1.0
    cell.memory_kernel.assign(memory)
    h2, (_, c2) = cell.call(x, states)
    np.testing.assert_allclose(_np(h1), _np(h2), atol=1e-7)
    np.testing.assert_allclose(_np(c1), _np(c2), atol=1e-7)


@pytest.mark.parametrize("use_mask,go_backwards,return_sequences", PARITY_CASES)
def test_loop_implementations_agree(use_mask, go_backwards, return_sequences):
    x = _inputs(3)
    outs = {}
    for loop in ("keras", "unstack"):
        layer = WorkingMemoryLSTM(
            UNITS,
            return_sequences=return_sequences,
            return_state=True,
            go_backwards=go_backwards,
            use_memory_bias=True,
            bias_initializer="random_normal",
            seed=5,
        )
        layer.loop_implementation = loop
        layer.build(x.shape)
        if loop == "keras":
            weights = layer.get_weights()
        else:
            layer.set_weights(weights)
        outs[loop] = layer(x, mask=MASK if use_mask else None)
    for a, b in zip(outs["keras"], outs["unstack"]):
        np.testing.assert_allclose(_np(a), _np(b), atol=1e-6)


# --------------------------------------------------------------------------
# Dropout.


def _dropout_layer():
    layer = WorkingMemoryLSTM(
        UNITS, dropout=0.5, recurrent_dropout=0.5, seed=11
    )
    layer.build((None, STEPS, FEATURES))
    return layer


def test_dropout_only_in_training():
    x = _inputs()
    layer = _dropout_layer()
    inference = _np(layer(x, training=False))
    np.testing.assert_array_equal(inference, _np(layer(x, training=False)))
    training = _np(layer(x, training=True))
    assert np.max(np.abs(training - inference)) > 1e-3


@pytest.mark.parametrize("loop", ["keras", "unstack"])
def test_dropout_is_reproducible_with_a_seed(loop):
    x = _inputs()
    first, second = _dropout_layer(), _dropout_layer()
    second.set_weights(first.get_weights())
    first.loop_implementation = second.loop_implementation = loop
    np.testing.assert_allclose(
        _np(first(x, training=True)), _np(second(x, training=True)), atol=1e-6
    )


# --------------------------------------------------------------------------
# Composition with Keras.


def test_inside_bidirectional():
    x = _inputs()
    layer = keras.layers.Bidirectional(
        WorkingMemoryLSTM(UNITS, return_sequences=True)
    )
    out = layer(x, mask=MASK)
    assert tuple(out.shape) == (BATCH, STEPS, 2 * UNITS)
    assert np.all(np.isfinite(_np(out)))
    revived = keras.layers.Bidirectional.from_config(layer.get_config())
    assert isinstance(revived.backward_layer, WorkingMemoryLSTM)
    assert revived.backward_layer.go_backwards


def test_stacked_cells():
    x = _inputs()
    cells = [WorkingMemoryLSTMCell(UNITS), WorkingMemoryLSTMCell(3)]
    layer = keras.layers.RNN(
        keras.layers.StackedRNNCells(cells), return_sequences=True
    )
    out = layer(x)
    assert tuple(out.shape) == (BATCH, STEPS, 3)
    # The stack equals the two layers applied one after the other.
    first = WorkingMemoryLSTM(UNITS, return_sequences=True)
    second = WorkingMemoryLSTM(3, return_sequences=True)
    first.build(x.shape)
    second.build((BATCH, STEPS, UNITS))
    first.set_weights(cells[0].get_weights())
    second.set_weights(cells[1].get_weights())
    np.testing.assert_allclose(_np(out), _np(second(first(x))), atol=1e-5)


def test_embedding_mask_zero_keeps_state_and_stays_finite():
    ids = np.array([[3, 5, 2, 0, 0, 0], [0, 0, 0, 0, 0, 0], [4, 1, 0, 0, 0, 0]])
    inputs = keras.Input((None,), dtype="int32")
    embedded = keras.layers.Embedding(9, FEATURES, mask_zero=True)(inputs)
    sequence, h, c = WorkingMemoryLSTM(
        UNITS, return_sequences=True, return_state=True
    )(embedded)
    model = keras.Model(inputs, [sequence, h, c])
    sequence, h, c = (_np(t) for t in model(ids))
    assert np.all(np.isfinite(sequence))
    # Masked steps repeat the last unmasked output; the last state is that
    # of the last real token; a fully padded row keeps the zero state.
    np.testing.assert_allclose(sequence[0, 3:], sequence[0, 2:3].repeat(3, 0))
    np.testing.assert_allclose(h[0], sequence[0, 2])
    np.testing.assert_allclose(h[2], sequence[2, 1])
    np.testing.assert_array_equal(h[1], 0.0)
    np.testing.assert_array_equal(c[1], 0.0)


# --------------------------------------------------------------------------
# Bad arguments.


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"units": 0}, "units=0"),
        ({"units": -3}, "units=-3"),
        ({"units": 2.5}, "units=2.5"),
        ({"units": 4, "dropout": 1.0}, "dropout=1.0"),
        ({"units": 4, "dropout": -0.1}, "dropout=-0.1"),
        ({"units": 4, "recurrent_dropout": 1.5}, "recurrent_dropout=1.5"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        WorkingMemoryLSTM(**kwargs)
    with pytest.raises(ValueError, match=message):
        WorkingMemoryLSTMCell(**kwargs)


def test_wrong_input_rank():
    layer = WorkingMemoryLSTM(UNITS)
    with pytest.raises(ValueError, match=r"inputs.*rank 3.*\(3, 4\)"):
        layer(np.zeros((3, 4), "float32"))
    layer(_inputs())
    # Once built, Keras' InputSpec check answers first.
    with pytest.raises(ValueError, match=r"ndim=3.*\(3, 6, 4, 1\)"):
        layer(np.zeros((3, 6, 4, 1), "float32"))

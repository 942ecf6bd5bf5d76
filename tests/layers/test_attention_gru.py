"""AttentionGRU: layer contract, reduction to GRU and a NumPy reference."""

import itertools

import keras
import numpy as np
import pytest
from keras import ops

from keras_memattn.layers import AttentionGRU
from keras_memattn.layers import AttentionGRUCell
from tests.harness import check_keras_argument_order
from tests.harness import run_layer_test

BATCH, STEPS, FEATURES, UNITS = 3, 6, 4, 5
MASK = np.ones((BATCH, STEPS), bool)
MASK[0, 4:] = False  # Right padding.
MASK[1, 1:3] = False  # A gap in the middle.

# With `return_state=True` the last output and state are checked too, so
# `return_sequences=False` only needs one case.
LOOP_CASES = [
    (m, g, True) for m, g in itertools.product([False, True], repeat=2)
]
LOOP_CASES.append((True, True, False))
PARITY_CASES = [(False, False, True), (True, True, True), (True, False, False)]


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((BATCH, STEPS, FEATURES)).astype("float32")


def _np(x):
    return ops.convert_to_numpy(x)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def numpy_arelu(x, alpha, beta):
    return np.where(
        x >= 0, (1.0 + _sigmoid(beta)) * x, np.clip(alpha, 0.01, 0.99) * x
    )


def numpy_reference(x, kernel, recurrent, bias, alpha, beta, reset_after):
    """AR-GRU (Rajamani et al., 2021), step by step, in float64."""
    x, kernel, recurrent, bias = (
        np.asarray(a, "float64") for a in (x, kernel, recurrent, bias)
    )
    n = recurrent.shape[0]
    if reset_after:
        input_bias, recurrent_bias = bias[0], bias[1]
    else:
        input_bias, recurrent_bias = bias, np.zeros(3 * n)
    h = np.zeros((x.shape[0], n))
    outputs = []
    for t in range(x.shape[1]):
        x_z, x_r, x_n = np.split(x[:, t] @ kernel + input_bias, 3, axis=-1)
        h_all = h @ recurrent + recurrent_bias
        z = _sigmoid(x_z + h_all[:, :n])
        r = _sigmoid(x_r + h_all[:, n : 2 * n])
        if reset_after:
            h_n = r * h_all[:, 2 * n :]
        else:
            h_n = (r * h) @ recurrent[:, 2 * n :]
        h = z * h + (1 - z) * numpy_arelu(x_n + h_n, alpha, beta)
        outputs.append(h)
    return np.stack(outputs, axis=1), h


# --------------------------------------------------------------------------
# Layer contract.


def test_layer_contract():
    run_layer_test(
        AttentionGRU,
        {"units": 4, "return_sequences": True},
        input_shape=(2, 5, 3),
        expected_output_shape=(2, 5, 4),
        expected_num_trainable_weights=5,
        supports_masking=True,
    )


def test_layer_contract_reset_before():
    run_layer_test(
        AttentionGRU,
        {"units": 4, "reset_after": False, "return_sequences": True},
        input_shape=(2, 5, 3),
        expected_output_shape=(2, 5, 4),
        expected_num_trainable_weights=5,
        run_mixed_precision_check=False,
        run_saving_check=False,
    )


def test_layer_contract_return_state():
    run_layer_test(
        AttentionGRU,
        {"units": 3, "return_state": True, "go_backwards": True},
        input_shape=(2, 4, 3),
        expected_output_shape=[(2, 3), (2, 3)],
        expected_num_trainable_weights=5,
        run_mixed_precision_check=False,
        run_saving_check=False,
    )


def test_weight_names_and_shapes():
    layer = AttentionGRU(UNITS)
    layer.build((None, None, FEATURES))
    shapes = {w.name: tuple(w.shape) for w in layer.weights}
    assert shapes == {
        "kernel": (FEATURES, 3 * UNITS),
        "recurrent_kernel": (UNITS, 3 * UNITS),
        "bias": (2, 3 * UNITS),
        "arelu_alpha": (),
        "arelu_beta": (),
    }
    np.testing.assert_allclose(_np(layer.cell.arelu_alpha), 0.9)
    np.testing.assert_allclose(_np(layer.cell.arelu_beta), 2.0)
    gru = keras.layers.GRU(UNITS)
    gru.build((None, None, FEATURES))
    assert layer.count_params() == gru.count_params() + 2


def test_callable_candidate_activation():
    layer = AttentionGRU(UNITS, candidate_activation=keras.activations.relu)
    layer(_inputs())
    assert not any("arelu" in w.name for w in layer.weights)
    config = layer.get_config()
    assert config["candidate_activation"] == "relu"
    revived = AttentionGRU.from_config(config)
    assert revived.candidate_activation is keras.activations.relu


@pytest.mark.parametrize(
    "ours,theirs",
    [
        (AttentionGRU, keras.layers.GRU),
        (AttentionGRUCell, keras.layers.GRUCell),
    ],
)
def test_keras_arguments_come_first_in_keras_order(ours, theirs):
    # `candidate_activation` takes the place of `activation`; the AReLU
    # arguments come after Keras' own.
    check_keras_argument_order(
        ours,
        theirs,
        ["arelu_alpha", "arelu_beta"],
        renamed={"activation": "candidate_activation"},
    )


def test_properties_and_config_are_flat():
    layer = AttentionGRU(7, recurrent_dropout=0.25, reset_after=False)
    assert layer.units == 7
    assert layer.recurrent_dropout == 0.25
    assert layer.reset_after is False
    assert layer.candidate_activation == "arelu"
    config = layer.get_config()
    assert "cell" not in config
    assert AttentionGRU.from_config(config).get_config() == config
    with pytest.raises(AttributeError):
        layer.units = 3


# --------------------------------------------------------------------------
# Reductions and references.


@pytest.mark.parametrize(
    "use_mask,go_backwards,return_sequences,reset_after",
    [(*case, True) for case in LOOP_CASES] + [(True, True, True, False)],
)
def test_tanh_equals_keras_gru(
    use_mask, go_backwards, return_sequences, reset_after
):
    x = _inputs()
    kwargs = dict(
        return_sequences=return_sequences,
        return_state=True,
        go_backwards=go_backwards,
        reset_after=reset_after,
        bias_initializer="random_normal",
    )
    layer = AttentionGRU(UNITS, candidate_activation="tanh", **kwargs)
    # The generic loop: on GPU, Keras' cuDNN kernels compute in TF32 and
    # (JAX) order the outputs of `go_backwards` differently.
    reference = keras.layers.GRU(UNITS, use_cudnn=False, **kwargs)
    mask = MASK if use_mask else None
    layer(x, mask=mask)
    reference(x, mask=mask)
    reference.set_weights(layer.get_weights())
    got = layer(x, mask=mask)
    expected = reference(x, mask=mask)
    assert len(got) == len(expected) == 2
    for a, b in zip(got, expected):
        np.testing.assert_allclose(_np(a), _np(b), atol=1e-5)


@pytest.mark.parametrize("seed,reset_after", [(0, True), (1, False), (2, True)])
def test_matches_numpy_reference(seed, reset_after):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, STEPS, FEATURES)).astype("float32")
    layer = AttentionGRU(
        UNITS, return_sequences=True, return_state=True, reset_after=reset_after
    )
    layer.build(x.shape)
    cell = layer.cell
    weights = [
        0.5 * rng.standard_normal(tuple(w.shape)).astype("float32")
        for w in layer.weights
    ]
    layer.set_weights(weights)
    # Put alpha inside and outside the clip range depending on the seed.
    cell.arelu_alpha.assign([0.3, 1.7, -0.2][seed])
    sequence, h = layer(x)
    ref_seq, ref_h = numpy_reference(
        x,
        _np(cell.kernel),
        _np(cell.recurrent_kernel),
        _np(cell.bias),
        float(_np(cell.arelu_alpha)),
        float(_np(cell.arelu_beta)),
        reset_after,
    )
    np.testing.assert_allclose(_np(sequence), ref_seq, atol=1e-5)
    np.testing.assert_allclose(_np(h), ref_h, atol=1e-5)


@pytest.mark.parametrize("use_mask,go_backwards,return_sequences", PARITY_CASES)
def test_loop_implementations_agree(use_mask, go_backwards, return_sequences):
    x = _inputs(3)
    outs = {}
    for loop in ("keras", "unstack"):
        layer = AttentionGRU(
            UNITS,
            return_sequences=return_sequences,
            return_state=True,
            go_backwards=go_backwards,
            bias_initializer="random_normal",
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


def test_gradients_reach_arelu_weights():
    x = _inputs()
    inputs = keras.Input((STEPS, FEATURES))
    layer = AttentionGRU(UNITS)
    model = keras.Model(inputs, layer(inputs))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    cell = layer.cell
    before = [_np(cell.arelu_alpha), _np(cell.arelu_beta)]
    model.fit(x, np.ones((BATCH, UNITS)), verbose=0, epochs=1)
    after = [_np(cell.arelu_alpha), _np(cell.arelu_beta)]
    assert before[0] != after[0] and before[1] != after[1]


# --------------------------------------------------------------------------
# Dropout.


def _dropout_layer():
    layer = AttentionGRU(UNITS, dropout=0.5, recurrent_dropout=0.5, seed=11)
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
        AttentionGRU(UNITS, return_sequences=True)
    )
    out = layer(x, mask=MASK)
    assert tuple(out.shape) == (BATCH, STEPS, 2 * UNITS)
    assert np.all(np.isfinite(_np(out)))
    # One AReLU pair per direction.
    assert sum("arelu_alpha" in w.path for w in layer.weights) == 2
    revived = keras.layers.Bidirectional.from_config(layer.get_config())
    assert isinstance(revived.backward_layer, AttentionGRU)


def test_stacked_cells():
    x = _inputs()
    cells = [AttentionGRUCell(UNITS), AttentionGRUCell(3)]
    layer = keras.layers.RNN(
        keras.layers.StackedRNNCells(cells), return_sequences=True
    )
    out = layer(x)
    first = AttentionGRU(UNITS, return_sequences=True)
    second = AttentionGRU(3, return_sequences=True)
    first.build(x.shape)
    second.build((BATCH, STEPS, UNITS))
    first.set_weights(cells[0].get_weights())
    second.set_weights(cells[1].get_weights())
    np.testing.assert_allclose(_np(out), _np(second(first(x))), atol=1e-5)


def test_embedding_mask_zero_keeps_state_and_stays_finite():
    ids = np.array([[3, 5, 2, 0, 0, 0], [0, 0, 0, 0, 0, 0], [4, 1, 0, 0, 0, 0]])
    inputs = keras.Input((None,), dtype="int32")
    embedded = keras.layers.Embedding(9, FEATURES, mask_zero=True)(inputs)
    sequence, h = AttentionGRU(UNITS, return_sequences=True, return_state=True)(
        embedded
    )
    model = keras.Model(inputs, [sequence, h])
    sequence, h = (_np(t) for t in model(ids))
    assert np.all(np.isfinite(sequence))
    np.testing.assert_allclose(sequence[0, 3:], sequence[0, 2:3].repeat(3, 0))
    np.testing.assert_allclose(h[0], sequence[0, 2])
    np.testing.assert_allclose(h[2], sequence[2, 1])
    np.testing.assert_array_equal(h[1], 0.0)


# --------------------------------------------------------------------------
# Bad arguments.


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"units": 0}, "units=0"),
        ({"units": None}, "units=None"),
        ({"units": 4, "dropout": 1.0}, "dropout=1.0"),
        ({"units": 4, "recurrent_dropout": -0.5}, "recurrent_dropout=-0.5"),
        ({"units": 4, "arelu_alpha": "big"}, "arelu_alpha='big'"),
        ({"units": 4, "arelu_alpha": float("nan")}, "arelu_alpha=nan"),
        ({"units": 4, "arelu_beta": float("-inf")}, "arelu_beta=-inf"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AttentionGRU(**kwargs)
    with pytest.raises(ValueError, match=message):
        AttentionGRUCell(**kwargs)


def test_numpy_scalar_arelu_arguments():
    layer = AttentionGRU(
        UNITS, arelu_alpha=np.float32(0.5), arelu_beta=np.float64(1.0)
    )
    assert layer.cell.arelu_alpha_init == 0.5
    assert layer.cell.arelu_beta_init == 1.0


def test_activation_points_to_candidate_activation():
    for cls in (AttentionGRU, AttentionGRUCell):
        with pytest.raises(
            ValueError,
            match="`activation` is named `candidate_activation` here "
            r"\(default 'arelu'; 'tanh' gives keras.layers.GRU\). "
            "Received: activation='tanh'",
        ):
            cls(UNITS, activation="tanh")


@pytest.mark.parametrize("loop", ["keras", "unstack"])
def test_integer_inputs_compute_as_floats(loop):
    # The AReLU slopes follow the compute dtype, not the inputs' dtype:
    # integer slopes were an error on TensorFlow and JAX and truncated the
    # slopes to (1, 0), a plain ReLU, on PyTorch.
    ints = np.random.default_rng(0).integers(-3, 4, (BATCH, STEPS, FEATURES))
    layer = AttentionGRU(UNITS, return_sequences=True)
    layer.loop_implementation = loop
    expected = _np(layer(ints.astype("float32")))
    for dtype in ("int32", "uint8"):
        values = np.abs(ints) if dtype == "uint8" else ints
        want = expected if dtype == "int32" else _np(layer(np.abs(ints)))
        np.testing.assert_allclose(
            _np(layer(values.astype(dtype))), want, atol=1e-6
        )


def test_unknown_candidate_activation():
    with pytest.raises(ValueError, match="nope"):
        AttentionGRU(UNITS, candidate_activation="nope")


def test_wrong_input_rank():
    layer = AttentionGRU(UNITS)
    with pytest.raises(ValueError, match=r"inputs.*rank 3.*\(3, 4\)"):
        layer(np.zeros((3, 4), "float32"))


def test_layer_activation_weights_have_the_same_path_in_both_loops():
    # The unstack loop calls `cell.call` directly; weights the cell created
    # in its first step used to miss the cell's name scope there.
    from keras_memattn.layers import AReLU

    x = np.random.default_rng(0).random((2, 4, 3)).astype("float32")
    paths = {}
    for loop in ("keras", "unstack"):
        layer = AttentionGRU(
            4, candidate_activation=AReLU(name="act"), name=f"gru_{loop}"
        )
        layer.loop_implementation = loop
        layer(x)
        paths[loop] = [
            w.path.replace(layer.name, "gru") for w in layer.trainable_weights
        ]
    assert paths["unstack"] == paths["keras"]
    assert "gru/attention_gru_cell/act/alpha" in paths["keras"]

"""Parity of the two loop implementations of `BaseRNN` on every backend."""

import itertools
import re

import keras
import numpy as np
import pytest
from keras import ops

from keras_memattn.layers import AttentionGRU
from keras_memattn.layers import WorkingMemoryLSTM
from keras_memattn.layers.base_rnn import BaseRNN
from keras_memattn.layers.base_rnn import rnn_loop
from keras_memattn.layers.base_rnn import split_last
from keras_memattn.layers.base_rnn import step_matmul
from tests.toy_layers import ToyRNN

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 6, 3)).astype("float32")
MASK = np.ones((4, 6), bool)
MASK[0, 4:] = False
MASK[1, :] = False
MASK[2, 1:3] = False  # A gap in the middle.


# The package's recurrent layers, by name, with the arguments they need.
RECURRENT_LAYERS = pytest.mark.parametrize(
    "layer_name,kwargs",
    [
        ("WorkingMemoryLSTM", {}),
        ("AttentionGRU", {}),
        ("MANNLayer", {"memory_size": 3, "memory_width": 2}),
    ],
)


def _recurrent(layer_name, units, **kwargs):
    import keras_memattn.layers

    return getattr(keras_memattn.layers, layer_name)(units, **kwargs)


def _run(loop, **kwargs):
    keras.utils.set_random_seed(3)
    layer = ToyRNN(5, **kwargs)
    layer.loop_implementation = loop
    mask = kwargs.pop("_mask", None)
    return layer, layer(X, mask=mask)


@pytest.mark.parametrize(
    "return_sequences,go_backwards,zero_output_for_mask,use_mask",
    list(itertools.product([True, False], repeat=4)),
)
def test_unstack_loop_matches_keras_loop(
    return_sequences, go_backwards, zero_output_for_mask, use_mask
):
    outs = {}
    for loop in ("keras", "unstack"):
        keras.utils.set_random_seed(3)
        layer = ToyRNN(
            5,
            return_sequences=return_sequences,
            go_backwards=go_backwards,
            zero_output_for_mask=zero_output_for_mask,
            return_state=True,
        )
        layer.loop_implementation = loop
        outs[loop] = layer(X, mask=MASK if use_mask else None)
    for a, b in zip(outs["keras"], outs["unstack"]):
        np.testing.assert_allclose(
            ops.convert_to_numpy(a), ops.convert_to_numpy(b), atol=1e-6
        )


def test_auto_loop_choice_per_backend():
    layer = ToyRNN(2)
    expected = keras.backend.backend() == "torch"
    assert layer._use_unstack_loop() is expected
    layer.unroll = True
    # On PyTorch the unstack loop is an unrolled loop already.
    assert layer._use_unstack_loop() is expected


@pytest.mark.parametrize("layer_cls", [WorkingMemoryLSTM, AttentionGRU])
def test_unroll_with_go_backwards_and_mask(layer_cls):
    # Keras' unrolled PyTorch loop fails on this combination, which the
    # backward half of every `Bidirectional(..., unroll=True)` over a padded
    # batch hits; on PyTorch these layers use the unstack loop instead.
    outs = {}
    for unroll in (False, True):
        keras.utils.set_random_seed(3)
        layer = layer_cls(
            4, unroll=unroll, go_backwards=True, return_sequences=True
        )
        outs[unroll] = ops.convert_to_numpy(layer(X, mask=MASK))
    # Outputs in processing order: compared at the unmasked steps (at masked
    # ones Keras' own unrolled and scanned loops differ on TensorFlow).
    steps = MASK[:, ::-1]
    np.testing.assert_allclose(outs[True][steps], outs[False][steps], atol=1e-6)
    bidirectional = keras.layers.Bidirectional(
        layer_cls(4, unroll=True, return_sequences=True)
    )
    y = ops.convert_to_numpy(bidirectional(X, mask=MASK))
    assert y.shape == (4, 6, 8) and np.all(np.isfinite(y))


def test_unknown_loop_implementation_is_rejected():
    layer = ToyRNN(2)
    layer.loop_implementation = "fast"
    with pytest.raises(ValueError, match="loop_implementation='fast'"):
        layer(X)


def test_rnn_loop_masked_steps_keep_state():
    def step(x, states):
        new = states[0] + x
        return new, [new]

    seq = ops.ones((1, 4, 1))
    mask = ops.convert_to_tensor(np.array([[True, False, True, False]]))
    last, outs, states = rnn_loop(step, seq, [ops.zeros((1, 1))], mask=mask)
    np.testing.assert_allclose(
        ops.convert_to_numpy(outs)[0, :, 0], [1.0, 1.0, 2.0, 2.0]
    )
    np.testing.assert_allclose(ops.convert_to_numpy(states[0]), [[2.0]])
    np.testing.assert_allclose(ops.convert_to_numpy(last), [[2.0]])


def test_rnn_loop_nested_states_with_mask():
    # A state that is itself a structure takes the tree-flattening path.
    def step(x, states):
        total, (count, last) = states
        return total + x, [total + x, (count + 1.0, x)]

    seq = ops.convert_to_tensor(
        np.arange(1.0, 5.0, dtype="float32").reshape(1, 4, 1)
    )
    mask = ops.convert_to_tensor(np.array([[True, False, True, True]]))
    zeros = ops.zeros((1, 1))
    _, outs, states = rnn_loop(step, seq, [zeros, (zeros, zeros)], mask=mask)
    np.testing.assert_allclose(
        ops.convert_to_numpy(outs)[0, :, 0], [1.0, 1.0, 4.0, 8.0]
    )
    total, (count, last) = states
    np.testing.assert_allclose(ops.convert_to_numpy(total), [[8.0]])
    np.testing.assert_allclose(ops.convert_to_numpy(count), [[3.0]])
    np.testing.assert_allclose(ops.convert_to_numpy(last), [[4.0]])


@pytest.mark.parametrize("sizes", [[2, 3, 1], [6], [1, 1, 4], [2, 2, 2]])
def test_split_last_matches_numpy(sizes):
    x = np.random.default_rng(0).standard_normal((2, 3, 6)).astype("float32")
    parts = split_last(ops.convert_to_tensor(x), sizes)
    expected = np.split(x, np.cumsum(sizes)[:-1], axis=-1)
    assert len(parts) == len(sizes)
    for part, ref in zip(parts, expected):
        np.testing.assert_array_equal(ops.convert_to_numpy(part), ref)


def test_step_matmul_matches_numpy():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3)).astype("float32")
    kernel = rng.standard_normal((3, 5)).astype("float32")
    out = step_matmul(ops.convert_to_tensor(x), ops.convert_to_tensor(kernel))
    assert tuple(out.shape) == (4, 5)
    np.testing.assert_allclose(
        ops.convert_to_numpy(out), x @ kernel, rtol=1e-6, atol=1e-6
    )


def test_base_rnn_is_a_keras_rnn():
    assert issubclass(BaseRNN, keras.layers.RNN)
    bi = keras.layers.Bidirectional(ToyRNN(3, return_sequences=True))
    out = bi(X)
    assert tuple(out.shape) == (4, 6, 6)


@pytest.mark.parametrize("layer_name", ["WorkingMemoryLSTM", "AttentionGRU"])
def test_projected_inputs_path_matches_per_step_path_with_dropout(layer_name):
    # The unstack loop projects all inputs at once (`project_inputs`), the
    # Keras loop projects per step (`call`); with the same seed both draw the
    # same dropout masks and must agree in training.
    import keras_memattn

    layer_cls = getattr(keras_memattn.layers, layer_name)
    outs = {}
    for loop in ("keras", "unstack"):
        keras.utils.set_random_seed(5)
        layer = layer_cls(
            5,
            dropout=0.3,
            recurrent_dropout=0.2,
            seed=7,
            return_sequences=True,
        )
        layer.loop_implementation = loop
        outs[loop] = ops.convert_to_numpy(layer(X, mask=MASK, training=True))
    np.testing.assert_allclose(outs["keras"], outs["unstack"], atol=1e-5)


@RECURRENT_LAYERS
def test_initial_state_of_wrong_count_or_width_is_rejected(layer_name, kwargs):
    layer = _recurrent(layer_name, 4, **kwargs)
    x = np.ones((2, 5, 3), "float32")
    sizes = layer.cell.state_size
    sizes = list(sizes) if isinstance(sizes, (list, tuple)) else [sizes]
    good = [np.zeros((2, size), "float32") for size in sizes]
    assert tuple(layer(x, initial_state=good).shape) == (
        2,
        layer.cell.output_size,
    )
    too_many = good + good[:1]
    too_wide = [np.zeros((2, sizes[0] + 5), "float32")] + good[1:]
    wrong_batch = [np.zeros((3, size), "float32") for size in sizes]
    for bad in (too_many, too_wide, wrong_batch):
        shapes = re.escape(str([tuple(state.shape) for state in bad]))
        with pytest.raises(
            ValueError, match=rf"{layer_name} expects `initial_state`.*{shapes}"
        ):
            layer(x, initial_state=bad)


@pytest.mark.parametrize("loop", ["keras", "unstack"])
@RECURRENT_LAYERS
def test_mask_of_another_shape_is_rejected(layer_name, kwargs, loop):
    # Without the check, a longer mask ran on PyTorch on its first steps,
    # and the other backends failed inside their loops.
    layer = _recurrent(layer_name, 4, **kwargs)
    layer.loop_implementation = loop
    for shape in ((4, 7), (4, 5), (3, 6), (4, 6, 1)):
        with pytest.raises(
            ValueError,
            match=re.escape(
                f"{layer_name}: `mask` must have the shape (batch, time) = "
                f"(4, 6) of the inputs. Received: mask.shape={shape}"
            ),
        ):
            layer(X, mask=np.ones(shape, bool))
    for mask in (MASK, [MASK, None]):
        assert layer(X, mask=mask).shape[0] == 4


@pytest.mark.parametrize("layer_name", ["WorkingMemoryLSTM", "AttentionGRU"])
def test_implementation_is_accepted_and_changes_nothing(layer_name):
    # `keras.layers.LSTM`/`GRU` and their cells take `implementation`.
    import keras_memattn.layers

    cls = getattr(keras_memattn.layers, layer_name)
    cell_cls = getattr(keras_memattn.layers, layer_name + "Cell")
    reference = cls(4)
    expected = ops.convert_to_numpy(reference(X))
    for implementation in (1, 2):
        layer = cls(4, implementation=implementation)
        layer(X)
        layer.set_weights(reference.get_weights())
        np.testing.assert_allclose(
            ops.convert_to_numpy(layer(X)), expected, atol=1e-6
        )
        assert "implementation" not in layer.get_config()
        cell = cell_cls(4, implementation=implementation)
        assert "implementation" not in cell.get_config()


@pytest.mark.parametrize("loop", ["keras", "unstack"])
@pytest.mark.parametrize("layer_name", ["WorkingMemoryLSTM", "AttentionGRU"])
def test_mask_given_as_a_list_uses_its_first_entry(layer_name, loop):
    # `keras.layers.LSTM` and `GRU` accept a list of masks (one per input)
    # and use the first.
    layer = _recurrent(layer_name, 4, return_sequences=True)
    layer.loop_implementation = loop
    expected = ops.convert_to_numpy(layer(X, mask=MASK))
    nested = ops.convert_to_numpy(layer(X, mask=[MASK, None]))
    np.testing.assert_allclose(nested, expected, atol=1e-6)


@pytest.mark.parametrize(
    "layer_name, keras_cls, own",
    [
        (
            "WorkingMemoryLSTM",
            keras.layers.LSTM,
            {
                "memory_initializer",
                "memory_regularizer",
                "memory_constraint",
                "use_memory_bias",
            },
        ),
        (
            "AttentionGRU",
            keras.layers.GRU,
            # The candidate's activation is AReLU, configured by its own
            # arguments; `candidate_activation` replaces `activation`.
            {"candidate_activation", "arelu_alpha", "arelu_beta"},
        ),
    ],
)
def test_arguments_are_keras_arguments_plus_the_layers_own(
    layer_name, keras_cls, own
):
    import inspect

    from keras_memattn import layers

    ours = inspect.signature(getattr(layers, layer_name)).parameters
    theirs = inspect.signature(keras_cls).parameters
    missing = set(theirs) - set(ours) - {"activation"}
    assert not missing, missing
    assert set(ours) - set(theirs) == own
    for name in set(theirs) & set(ours):
        assert ours[name].default == theirs[name].default, name


@pytest.mark.parametrize("layer_name", ["WorkingMemoryLSTM", "AttentionGRU"])
def test_use_cudnn_is_accepted_but_true_is_refused(layer_name):
    from keras_memattn import layers

    cls = getattr(layers, layer_name)
    x = np.ones((2, 3, 4), "float32")
    for value in ("auto", False):
        layer = cls(5, use_cudnn=value)
        assert layer.get_config()["use_cudnn"] == value
        assert cls.from_config(layer.get_config()).use_cudnn == value
        assert tuple(layer(x).shape) == (2, 5)
    with pytest.raises(ValueError, match="no cuDNN kernel.*use_cudnn=True"):
        cls(5, use_cudnn=True)
    with pytest.raises(ValueError, match="Received: use_cudnn='yes'"):
        cls(5, use_cudnn="yes")


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@RECURRENT_LAYERS
def test_half_precision_policy_builds_with_orthogonal_init(
    layer_name, kwargs, dtype
):
    # Keras' Orthogonal initializer (the default recurrent one) takes a QR
    # decomposition, which JAX and PyTorch have no float16/bfloat16 kernel
    # for (nor TensorFlow a bfloat16 one): the layers draw it in float32.
    layer = _recurrent(layer_name, 3, dtype=dtype, **kwargs)
    out = layer(X)
    assert keras.backend.standardize_dtype(out.dtype) == dtype
    assert np.isfinite(ops.convert_to_numpy(ops.cast(out, "float32"))).all()
    kernel = layer.cell.recurrent_kernel
    assert keras.backend.standardize_dtype(kernel.dtype) == dtype
    # Orthonormal rows, to half precision.
    rows = ops.convert_to_numpy(ops.cast(kernel, "float32"))
    np.testing.assert_allclose(rows @ rows.T, np.eye(3), atol=0.03)


@RECURRENT_LAYERS
def test_empty_time_axis_is_refused(layer_name, kwargs):
    layer = _recurrent(layer_name, 3, **kwargs)
    with pytest.raises(
        ValueError, match=r"at least one time step.*\(2, 0, 3\)"
    ):
        layer(np.zeros((2, 0, 3), "float32"))


@pytest.mark.parametrize("loop", ["keras", "unstack"])
@RECURRENT_LAYERS
def test_inputs_with_other_features_than_built_are_rejected(
    layer_name, kwargs, loop
):
    # Without the check, the kernels' matrix product failed with a
    # different error on every backend (TypeError, RuntimeError,
    # InvalidArgumentError), and a symbolic call passed.
    layer = _recurrent(layer_name, 4, **kwargs)
    layer.loop_implementation = loop
    layer(X)
    message = r"axis -1 of input shape to have value 3.*received input with"
    with pytest.raises(ValueError, match=message + r" shape \(4, 6, 5\)"):
        layer(np.ones((4, 6, 5), "float32"))
    with pytest.raises(ValueError, match=message + r" shape \(None, 6, 5\)"):
        layer(keras.Input((6, 5)))
    assert layer(X).shape == (4, layer.cell.output_size)
    assert layer(keras.Input((None, 3))).shape == (
        None,
        layer.cell.output_size,
    )

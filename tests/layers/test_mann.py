import math
import os
import tempfile

import keras
import numpy as np
import pytest
from keras import ops

from keras_memattn.layers import MANNCell
from keras_memattn.layers import MANNLayer
from tests.harness import run_layer_test

SMALL = dict(units=8, memory_size=6, memory_width=4)


def _np(x):
    return np.asarray(ops.convert_to_numpy(x), dtype="float64")


# --------------------------------------------------------------------------
# Shared harness.


@pytest.mark.parametrize(
    "kwargs, trainable",
    [
        (dict(), 5),
        (
            dict(
                addressing="ntm",
                controller="dense",
                num_read_heads=2,
                num_write_heads=2,
                similarity="hamming",
                quantization="fixed_point",
                return_sequences=True,
            ),
            4,
        ),
    ],
    ids=["content-lstm", "ntm-dense-2heads-hamming-fixed-point"],
)
def test_harness(kwargs, trainable):
    kwargs = dict(SMALL, **kwargs)
    heads = kwargs.get("num_read_heads", 1)
    width = 8 + heads * 4
    shape = (3, 5, width) if kwargs.get("return_sequences") else (3, width)
    run_layer_test(
        MANNLayer,
        kwargs,
        input_shape=(3, 5, 3),
        expected_output_shape=shape,
        expected_num_trainable_weights=trainable,
        expected_num_non_trainable_weights=0,
        supports_masking=True,
        expected_output_mask="input"
        if kwargs.get("return_sequences")
        else None,
    )


# --------------------------------------------------------------------------
# NumPy reference of one step.


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(x))


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _cosine(k, mem, eps=1e-6):
    # k: (B, H, M); mem: (B, N, M) -> (B, H, N).
    dot = np.einsum("bhm,bnm->bhn", k, mem)
    kn = np.sqrt((k**2).sum(-1) + eps**2)[..., None]
    mn = np.sqrt((mem**2).sum(-1) + eps**2)[:, None, :]
    return dot / (kn * mn)


def _address(p, mem, prev, ntm, shift_range, eps=1e-6):
    w = _softmax(p["beta"] * _cosine(p["key"], mem))
    if not ntm:
        return w
    w = p["gate"] * w + (1 - p["gate"]) * prev
    shifted = np.zeros_like(w)
    for j in range(2 * shift_range + 1):
        shifted += p["shift"][..., j : j + 1] * np.roll(w, j - shift_range, -1)
    sharp = (shifted + eps) ** p["gamma"]
    return sharp / sharp.sum(-1, keepdims=True)


def _heads(vec, heads, m, ntm, shift_range, write):
    n_shift = 2 * shift_range + 1
    size = m + 1 + (n_shift + 2 if ntm else 0) + (2 * m if write else 0)
    out = []
    for h in range(heads):
        v = vec[:, h * size : (h + 1) * size]
        p = {"key": v[:, :m], "beta": _softplus(v[:, m : m + 1])}
        i = m + 1
        if ntm:
            p["gate"] = _sigmoid(v[:, i : i + 1])
            p["shift"] = _softmax(v[:, i + 1 : i + 1 + n_shift])
            i += 1 + n_shift
            p["gamma"] = 1 + _softplus(v[:, i : i + 1])
            i += 1
        if write:
            p["erase"] = _sigmoid(v[:, i : i + m])
            p["add"] = np.tanh(v[:, i + m : i + 2 * m])
        out.append(p)
    # Stack per-head parameters to (B, heads, ...).
    return {k: np.stack([p[k] for p in out], 1) for k in out[0]}, heads * size


def _reference_step(cell, x, states):
    n, m = cell.memory_size, cell.memory_width
    r, w = cell.num_read_heads, cell.num_write_heads
    ntm = cell.addressing == "ntm"
    weights = {v.name: _np(v) for v in cell.weights}
    states = [np.asarray(s, "float64") for s in states]
    prev = states.pop(0)
    h_prev, reads_prev = prev[:, : cell.units], prev[:, cell.units :]
    c_prev = states.pop(0) if cell.controller == "lstm" else None
    mem = states.pop(0).reshape(-1, n, m)
    read_prev = states.pop(0).reshape(-1, r, n)
    write_prev = states.pop(0).reshape(-1, w, n) if ntm else None

    z = np.concatenate([x, reads_prev], -1) @ weights["kernel"]
    z = z + weights["bias"]
    if cell.controller == "lstm":
        z = z + h_prev @ weights["recurrent_kernel"]
        u = cell.units
        i, f = _sigmoid(z[:, :u]), _sigmoid(z[:, u : 2 * u])
        g, o = np.tanh(z[:, 2 * u : 3 * u]), _sigmoid(z[:, 3 * u :])
        c = f * c_prev + i * g
        h = o * np.tanh(c)
    else:
        c = None
        h = np.tanh(z)
    iface = h @ weights["head_kernel"] + weights["head_bias"]
    rp, used = _heads(iface, r, m, ntm, cell.shift_range, write=False)
    wp, _ = _heads(iface[:, used:], w, m, ntm, cell.shift_range, write=True)

    ww = _address(wp, mem, write_prev, ntm, cell.shift_range)
    keep = np.ones_like(mem)
    for j in range(w):
        keep *= 1 - ww[:, j, :, None] * wp["erase"][:, j, None, :]
    mem = mem * keep + np.einsum("bjn,bjm->bnm", ww, wp["add"])
    rw = _address(rp, mem, read_prev, ntm, cell.shift_range)
    reads = np.einsum("brn,bnm->brm", rw, mem).reshape(len(x), -1)
    out = np.concatenate([h, reads], -1)
    new = [out] + ([c] if c is not None else [])
    new += [mem.reshape(len(x), -1), rw.reshape(len(x), -1)]
    new += [ww.reshape(len(x), -1)] if ntm else []
    return out, new


def _random_states(cell, batch, rng):
    n = cell.memory_size
    states = []
    for size in cell.state_size:
        states.append(rng.standard_normal((batch, size)) * 0.5)
    # Head weightings must be distributions over the slots.
    first_w = 3 if cell.controller == "lstm" else 2
    for k in range(first_w, len(states)):
        s = rng.random(states[k].shape) + 0.1
        s = s.reshape(batch, -1, n)
        states[k] = (s / s.sum(-1, keepdims=True)).reshape(batch, -1)
    return [s.astype("float32") for s in states]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(addressing="content"),
        dict(addressing="ntm", num_read_heads=2, num_write_heads=2),
        dict(addressing="ntm", controller="dense", shift_range=2),
    ],
    ids=["content", "ntm-2heads", "ntm-dense-shift2"],
)
def test_one_step_matches_numpy_reference(kwargs, rng):
    cell = MANNCell(**dict(SMALL, **kwargs))
    x = rng.standard_normal((3, 5)).astype("float32")
    cell.build((3, 5))
    for v in cell.weights:
        v.assign(rng.standard_normal(v.shape).astype("float32") * 0.5)
    states = _random_states(cell, 3, rng)
    out, new_states = cell(
        ops.convert_to_tensor(x), [ops.convert_to_tensor(s) for s in states]
    )
    want_out, want_states = _reference_step(cell, x, states)
    np.testing.assert_allclose(_np(out), want_out, rtol=1e-4, atol=1e-5)
    assert len(new_states) == len(want_states)
    for got, want in zip(new_states, want_states):
        np.testing.assert_allclose(_np(got), want, rtol=1e-4, atol=1e-5)


def test_single_head_content_read_hand_computed():
    # Head parameters come from the head bias alone (zero head kernel):
    # read key (1, 0), strength softplus(b) = 10; the write head erases
    # and adds nothing (erase = sigmoid(-40), add = tanh(0)).
    cell = MANNCell(4, memory_size=3, memory_width=2)
    cell.build((1, 1))
    beta_logit = math.log(math.expm1(10.0))
    read = [1.0, 0.0, beta_logit]
    write = [1.0, 0.0, 0.0] + [-40.0, -40.0] + [0.0, 0.0]
    cell.head_kernel.assign(np.zeros(cell.head_kernel.shape, "float32"))
    cell.head_bias.assign(np.array(read + write, "float32"))
    memory = np.array([[1.0, 0.0, 0.0, 1.0, 1.0, 1.0]], "float32")
    states = [
        np.zeros((1, 6), "float32"),
        np.zeros((1, 4), "float32"),
        memory,
        np.full((1, 3), 1 / 3, "float32"),
    ]
    out, _ = cell(np.ones((1, 1), "float32"), states)
    # cos(k, M_i) = 1, 0, 1/sqrt(2); weights exp(10 cos) / sum.
    e = [math.exp(10.0), 1.0, math.exp(10.0 / math.sqrt(2.0))]
    total = sum(e)
    expected = [(e[0] + e[2]) / total, (e[1] + e[2]) / total]
    np.testing.assert_allclose(_np(out)[0, 4:], expected, rtol=1e-5)


# --------------------------------------------------------------------------
# Numerical safety.


def test_thousand_steps_stay_finite():
    layer = MANNLayer(
        4,
        memory_size=4,
        memory_width=3,
        addressing="ntm",
        return_sequences=True,
    )
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 1000, 2)).astype("float32") * 10.0
    # Through `predict`, which compiles the loop: an eager TensorFlow loop
    # runs each of the 1,000 steps op by op.
    inputs = keras.Input((1000, 2))
    out = keras.Model(inputs, layer(inputs)).predict(x, verbose=0)
    assert out.shape == (1, 1000, 7)
    assert np.all(np.isfinite(out))


def test_mixed_float16_long_sequence_finite():
    layer = MANNLayer(
        4,
        memory_size=4,
        memory_width=3,
        addressing="ntm",
        dtype="mixed_float16",
        return_state=True,
    )
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 100, 2)).astype("float32") * 100.0
    out, *states = layer(x)
    assert keras.backend.standardize_dtype(out.dtype) == "float16"
    for t in [out, *states]:
        assert keras.backend.standardize_dtype(t.dtype) == "float16"
        assert np.all(np.isfinite(_np(t)))


def test_all_zero_input_and_controller_are_finite():
    layer = MANNLayer(
        **SMALL, addressing="ntm", kernel_initializer="zeros", use_bias=False
    )
    out = _np(layer(np.zeros((2, 5, 3), "float32")))
    assert np.all(np.isfinite(out))


# --------------------------------------------------------------------------
# RNN behaviour.


def test_return_state_layout_and_initial_values():
    layer = MANNLayer(**SMALL, addressing="ntm", return_state=True)
    out, prev, c, memory, read_w, write_w = layer(
        np.zeros((2, 1, 3), "float32"), mask=np.zeros((2, 1), bool)
    )
    # A fully masked sequence returns the initial states.
    np.testing.assert_allclose(_np(memory), np.full((2, 24), 1e-6), rtol=1e-6)
    np.testing.assert_array_equal(_np(read_w)[:, 0], 1.0)
    np.testing.assert_array_equal(_np(write_w).sum(-1), 1.0)
    assert tuple(prev.shape) == (2, 12)
    assert tuple(c.shape) == (2, 8)
    assert tuple(out.shape) == (2, 12)


def test_loop_paths_agree(rng):
    x = rng.standard_normal((2, 6, 3)).astype("float32")
    mask = np.ones((2, 6), bool)
    mask[0, 4:] = False
    outs = []
    for impl in ("keras", "unstack"):
        keras.utils.set_random_seed(3)
        layer = MANNLayer(**SMALL, addressing="ntm", return_sequences=True)
        layer.loop_implementation = impl
        outs.append(_np(layer(x, mask=mask)))
    np.testing.assert_allclose(outs[0], outs[1], atol=1e-5)


def test_stateful_carries_memory_and_resets(rng):
    x = rng.standard_normal((2, 4, 3)).astype("float32")
    layer = MANNLayer(**SMALL, stateful=True)
    first = _np(layer(x))
    second = _np(layer(x))
    assert not np.allclose(first, second)
    layer.reset_state()
    np.testing.assert_allclose(_np(layer(x)), first, atol=1e-6)
    memory = _np(layer.states[2 if layer.controller == "lstm" else 1])
    assert np.all(np.abs(memory) > 0)


def test_bidirectional_and_sequential(rng):
    x = rng.standard_normal((2, 5, 3)).astype("float32")
    bi = keras.layers.Bidirectional(MANNLayer(**SMALL, return_sequences=True))
    assert tuple(bi(x).shape) == (2, 5, 24)
    model = keras.Sequential([keras.Input((None, 3))])
    model.add(MANNLayer(**SMALL, addressing="ntm"))
    model.add(keras.layers.Dense(2))
    assert tuple(model(x).shape) == (2, 2)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.keras")
        model.save(path)
        loaded = keras.models.load_model(path)
    np.testing.assert_allclose(_np(loaded(x)), _np(model(x)), atol=1e-6)


def test_dropout_changes_training_output_only(rng):
    x = rng.standard_normal((2, 5, 3)).astype("float32")
    layer = MANNLayer(**SMALL, dropout=0.5, recurrent_dropout=0.5, seed=1)
    a = _np(layer(x, training=False))
    b = _np(layer(x, training=False))
    np.testing.assert_allclose(a, b)
    assert not np.allclose(_np(layer(x, training=True)), a)


def test_quantization_config_round_trip():
    from keras_memattn.ops.quantization import QuantizationConfig

    q = QuantizationConfig("fixed_point", word_length=6, integer_bits=2)
    layer = MANNLayer(**SMALL, similarity="hamming", quantization=q)
    revived = MANNLayer.from_config(layer.get_config())
    assert revived.cell._quantizer == q
    layer = MANNLayer(**SMALL, quantization="binary")
    assert MANNLayer.from_config(layer.get_config()).cell._quantizer.mode == (
        "binary"
    )


def test_flat_properties():
    layer = MANNLayer(**SMALL, addressing="ntm", shift_range=2)
    assert layer.units == 8
    assert layer.memory_size == 6
    assert layer.addressing == "ntm"
    assert layer.shift_range == 2


# --------------------------------------------------------------------------
# Bad arguments.


@pytest.mark.parametrize(
    "name, value",
    [
        ("units", 0),
        ("memory_size", 0),
        ("memory_width", -1),
        ("num_read_heads", 0),
        ("num_write_heads", 1.5),
        ("controller", "gru"),
        ("addressing", "dnc"),
        ("similarity", "euclidean"),
        ("quantization", "int4"),
        ("shift_range", -1),
        ("dropout", 1.0),
    ],
)
def test_bad_arguments_name_the_argument(name, value):
    kwargs = dict(SMALL, **{name: value})
    with pytest.raises(ValueError, match=f"{name}={value!r}"):
        MANNLayer(**kwargs)


def test_seed_is_checked_and_numpy_integers_are_accepted():
    with pytest.raises(ValueError, match=r"MANNCell.*Received: seed=1.5"):
        MANNLayer(**SMALL, seed=1.5)
    layer = MANNLayer(**SMALL, dropout=0.5, seed=np.int64(3))
    config = layer.get_config()
    assert config["seed"] == 3 and type(config["seed"]) is int
    assert MANNLayer.from_config(config).seed == 3


def test_shift_range_must_fit_the_memory_with_ntm_addressing():
    kwargs = dict(SMALL, memory_size=4, addressing="ntm")
    with pytest.raises(
        ValueError, match=r"Received: shift_range=2, memory_size=4"
    ):
        MANNLayer(**dict(kwargs, shift_range=2))
    MANNLayer(**dict(kwargs, shift_range=1))  # -1, 0, 1: distinct.
    # Content addressing does not shift.
    MANNLayer(**dict(kwargs, addressing="content", shift_range=2))


def test_fixed_point_accumulator_is_rejected():
    from keras_memattn.ops.quantization import QuantizationConfig

    with pytest.raises(ValueError, match="MemoryNetwork only"):
        MANNLayer(
            **dict(
                SMALL,
                quantization=QuantizationConfig(accumulator="fixed_point"),
            )
        )


def test_unknown_feature_dimension_is_rejected():
    with pytest.raises(
        ValueError, match=r"last dimension.*\(None, None, None\)"
    ):
        MANNLayer(4, memory_size=3, memory_width=2)(keras.Input((None, None)))

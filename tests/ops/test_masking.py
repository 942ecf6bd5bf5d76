import keras
import numpy as np
import pytest
from keras import ops

from keras_memattn.ops import large_negative
from keras_memattn.ops import masked_softmax


def _np(x):
    return ops.convert_to_numpy(ops.cast(x, "float32"))


def test_matches_numpy_softmax_on_kept_positions(rng):
    logits = rng.standard_normal((3, 5)).astype("float32")
    mask = rng.random((3, 5)) > 0.3
    mask[:, 0] = True
    got = _np(masked_softmax(ops.convert_to_tensor(logits), mask))
    e = np.exp(logits - logits.max(-1, keepdims=True)) * mask
    np.testing.assert_allclose(got, e / e.sum(-1, keepdims=True), atol=1e-6)
    assert np.all(got[~mask] == 0.0)


def test_fully_masked_row_is_zero_not_nan():
    logits = ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]])
    mask = ops.convert_to_tensor([[False, False], [True, False]])
    got = _np(masked_softmax(logits, mask))
    np.testing.assert_array_equal(got, [[0.0, 0.0], [1.0, 0.0]])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_low_precision_inputs_stay_finite(dtype):
    logits = ops.cast(ops.convert_to_tensor([[60000.0, -60000.0, 0.0]]), dtype)
    mask = ops.convert_to_tensor([[True, True, False]])
    got = masked_softmax(logits, mask)
    assert keras.backend.standardize_dtype(got.dtype) == dtype
    assert np.all(np.isfinite(_np(got)))
    np.testing.assert_allclose(_np(got).sum(), 1.0, atol=1e-2)


def test_large_negative_is_finite_in_float16():
    assert np.isfinite(np.float16(large_negative("float16")))
    assert large_negative("float32") == -1e9
    assert large_negative("bfloat16") == -1e9


def test_rows_of_very_negative_logits_still_sum_to_one():
    # Every kept logit below the masked fill value: the weight must still
    # go to the kept positions (it used to go to the masked ones, which
    # were then zeroed, leaving a row of zeros).
    logits = ops.convert_to_tensor(
        [[-3e10, -1e10, 5.0], [-2e9, -2e9, -2e9]], "float32"
    )
    mask = ops.convert_to_tensor([[True, True, False], [True, False, True]])
    got = _np(masked_softmax(logits, mask))
    np.testing.assert_allclose(got, [[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]])


def test_mask_broadcasts_over_heads_and_gradients_stay_finite(rng):
    logits = rng.standard_normal((2, 3, 4, 4)).astype("float32") * 1e3
    mask = rng.random((2, 1, 4, 4)) > 0.4
    mask[:, :, 0, 0] = True
    mask[1, 0, 3] = False  # a fully masked query row
    got = _np(masked_softmax(ops.convert_to_tensor(logits), mask))
    kept = np.broadcast_to(mask, logits.shape)
    # Masked logits are set to their row's kept maximum (0 for a fully
    # masked row) before `exp`, so the reference never overflows.
    top = np.where(kept, logits, -np.inf).max(-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.exp(np.where(kept, logits, top) - top)
    e = np.where(kept, e, 0.0)
    sums = e.sum(-1, keepdims=True)
    want = np.divide(e, sums, out=np.zeros_like(e), where=sums > 0)
    np.testing.assert_allclose(got, want, atol=1e-6)


@pytest.mark.parametrize("with_mask", [False, True])
def test_integer_logits_are_rejected(with_mask):
    # They used to give all zeros, cast back to the integer dtype.
    logits = ops.convert_to_tensor([[1, 2, 3]], "int32")
    mask = ops.convert_to_tensor([[True, True, False]]) if with_mask else None
    with pytest.raises(ValueError, match="`logits`.*logits.dtype=int32"):
        masked_softmax(logits, mask)


@pytest.mark.parametrize("with_mask", [False, True])
def test_zero_length_axis_gives_an_empty_result(with_mask):
    # The row maximum used to fail on an empty axis (TensorFlow, JAX).
    logits = ops.zeros((2, 3, 0))
    mask = ops.zeros((2, 1, 0), "bool") if with_mask else None
    got = masked_softmax(logits, mask)
    assert tuple(got.shape) == (2, 3, 0)


def test_empty_batch_gives_an_empty_result():
    # Keras' maximum refuses an empty tensor: the row maximum used to fail
    # on an empty batch (TensorFlow, PyTorch).
    got = masked_softmax(ops.zeros((0, 3, 4)), ops.zeros((0, 1, 4), "bool"))
    assert tuple(got.shape) == (0, 3, 4)


def test_one_position_gets_weight_one_without_a_warning():
    # `keras.ops.softmax` warns for an axis of size 1 (one-step sequences,
    # one memory slot), suggesting a sigmoid was meant.
    import warnings

    from keras_memattn.layers import AttentionPooling
    from keras_memattn.layers import MultiHeadSelfAttention
    from keras_memattn.ops import sharpen

    logits = np.array([[[0.5], [-2.0]]], "float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        np.testing.assert_array_equal(
            ops.convert_to_numpy(masked_softmax(logits)), np.ones((1, 2, 1))
        )
        masked = masked_softmax(logits, np.array([[[True], [False]]]))
        np.testing.assert_array_equal(
            ops.convert_to_numpy(masked), [[[1], [0]]]
        )
        np.testing.assert_allclose(
            ops.convert_to_numpy(sharpen(np.array([[0.3]]), 2.0)), [[1.0]]
        )
        x = np.ones((2, 1, 4), "float32")
        attention = MultiHeadSelfAttention(2, 2)
        attention.attention_implementation = "explicit"
        attention(x)
        AttentionPooling()(x)
    # Not finite in, not finite out, as `ops.softmax` gives.
    nan = ops.convert_to_numpy(masked_softmax(np.array([[np.nan]], "float32")))
    assert np.isnan(nan).all()

"""The harness must pass a correct layer and fail broken ones."""

import keras
import numpy as np
import pytest

from tests import harness
from tests.toy_layers import ToyDense
from tests.toy_layers import ToyRNN

X = np.random.default_rng(0).standard_normal((3, 5, 4)).astype("float32")


def test_correct_dense_layer_passes():
    harness.run_layer_test(
        ToyDense,
        {"units": 6, "scale": 0.5},
        input_data=X,
        expected_output_shape=(3, 5, 6),
        expected_num_trainable_weights=1,
    )


def test_correct_recurrent_layer_passes_with_masking():
    harness.run_layer_test(
        ToyRNN,
        {"units": 6, "return_sequences": True},
        input_data=X,
        expected_output_shape=(3, 5, 6),
        expected_num_trainable_weights=3,
        supports_masking=True,
        expected_output_mask="input",
    )


def test_wrong_get_config_fails():
    with pytest.raises(AssertionError, match="scale"):
        harness.run_layer_test(
            ToyDense,
            {"units": 6, "scale": 0.5, "broken": "config_drops_scale"},
            input_data=X,
        )


def test_nan_output_fails():
    with pytest.raises(AssertionError, match="non-finite"):
        harness.run_layer_test(
            ToyDense, {"units": 6, "broken": "nan"}, input_data=X
        )


def test_weights_that_start_equal_fail():
    with pytest.raises(AssertionError, match="identical values in their first"):
        harness.run_layer_test(
            ToyDense,
            {"units": 6, "broken": "shared_initializer"},
            input_data=X,
        )


def test_weight_without_gradient_fails():
    with pytest.raises(AssertionError, match="unchanged"):
        harness.run_layer_test(
            ToyDense,
            {"units": 6, "broken": "dead_weight"},
            input_data=X,
            run_mixed_precision_check=False,
        )


def test_wrong_mixed_precision_dtype_fails():
    with pytest.raises(AssertionError, match="mixed_float16"):
        harness.run_layer_test(
            ToyDense,
            {"units": 6, "broken": "float32_output"},
            input_data=X,
            run_training_check=False,
        )


def test_wrong_expected_shape_fails():
    with pytest.raises(AssertionError, match="output shape"):
        harness.run_layer_test(
            ToyDense,
            {"units": 6},
            input_data=X,
            expected_output_shape=(3, 5, 7),
        )


def test_unregistered_layer_fails_saving():
    class Unregistered(ToyDense):
        pass

    with pytest.raises(Exception):  # noqa: B017 - Keras raises TypeError.
        harness._check_saving(Unregistered, {"units": 2}, X, {})


def test_missing_mask_propagation_fails():
    with pytest.raises(AssertionError, match="mask"):
        harness.run_layer_test(
            ToyRNN,
            {"units": 4, "return_sequences": False},
            input_data=X,
            supports_masking=True,
            expected_output_mask="input",
            run_training_check=False,
            run_mixed_precision_check=False,
            run_saving_check=False,
        )


def test_policy_is_reset_between_tests():
    assert keras.config.dtype_policy().name == "float32"

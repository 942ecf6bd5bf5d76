import numpy as np
import pytest

from keras_memattn.datasets import adding_problem
from keras_memattn.datasets import associative_recall
from keras_memattn.datasets import copy_task


def test_shapes_and_numpy_integer_arguments():
    x, y, w = copy_task(np.int64(3), max_length=np.int32(4), seed=0)
    assert (x.shape, y.shape, w.shape) == ((3, 9, 9), (3, 9, 8), (3, 9))
    # Each sequence is copied once: as many target steps as input steps.
    np.testing.assert_array_equal(w.sum(1), x[..., :8].any(-1).sum(1))
    x, y, w = associative_recall(2, item_length=np.int64(2), seed=0)
    assert x.shape[0] == 2 and int(w[0].sum()) == 2
    x, y = adding_problem(2, length=np.int64(10), seed=0)
    assert x.shape == (2, 10, 2)


@pytest.mark.parametrize(
    "function, kwargs, match",
    [
        (copy_task, {"num_sequences": 0}, "num_sequences=0"),
        (copy_task, {"num_sequences": 2, "bits": 0}, "bits=0"),
        (copy_task, {"num_sequences": 2, "min_length": 1.5}, "min_length=1.5"),
        (copy_task, {"num_sequences": 2, "total_length": 0}, "total_length=0"),
        (copy_task, {"num_sequences": 2, "total_length": 5}, "total_length=5"),
        (associative_recall, {"num_sequences": -1}, "num_sequences=-1"),
        (
            associative_recall,
            {"num_sequences": 2, "item_length": 0},
            "item_length=0",
        ),
        (associative_recall, {"num_sequences": 2, "bits": 0}, "bits=0"),
        (adding_problem, {"num_sequences": 0}, "num_sequences=0"),
        (adding_problem, {"num_sequences": 2, "length": 1}, "length=1"),
    ],
)
def test_bad_arguments_name_the_argument(function, kwargs, match):
    with pytest.raises(ValueError, match=match):
        function(**kwargs)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
@pytest.mark.parametrize(
    "function", [copy_task, associative_recall, adding_problem]
)
def test_bad_seed_names_the_argument(function, seed):
    # Numpy's errors (TypeError for 1.5, "expected non-negative integer"
    # for -1) did not name the argument, and True was taken as the seed 1.
    with pytest.raises(ValueError, match=f"Received: seed={seed!r}"):
        function(2, seed=seed)


def test_seeded_data_repeats_and_integer_types_agree():
    for function in (copy_task, associative_recall, adding_problem):
        first = function(3, seed=7)
        for again in (function(3, seed=7), function(3, seed=np.int64(7))):
            for a, b in zip(first, again):
                np.testing.assert_array_equal(a, b)

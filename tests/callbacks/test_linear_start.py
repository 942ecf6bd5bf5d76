import math

import pytest

from keras_memattn.callbacks import LinearStart


@pytest.mark.parametrize("min_delta", ["x", math.nan, math.inf, None, True])
def test_min_delta_must_be_a_finite_number(min_delta):
    with pytest.raises(ValueError, match=r"Received: min_delta="):
        LinearStart(min_delta=min_delta)


def test_min_delta_keeps_its_absolute_value():
    assert LinearStart(min_delta=-0.5).min_delta == 0.5
    assert LinearStart(min_delta=1).min_delta == 1.0

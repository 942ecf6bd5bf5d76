"""True/False arguments of every layer refuse other values.

A string such as "False" would otherwise count as true and change the
layer (and be saved as a string in its config).
"""

import re

import pytest

from keras_memattn import layers

CASES = [
    (layers.WorkingMemoryLSTM, {"units": 4}, "use_bias"),
    (layers.WorkingMemoryLSTM, {"units": 4}, "use_memory_bias"),
    (layers.WorkingMemoryLSTMCell, {"units": 4}, "unit_forget_bias"),
    (layers.AttentionGRU, {"units": 4}, "use_bias"),
    (layers.AttentionGRUCell, {"units": 4}, "reset_after"),
    (layers.MANNLayer, {"units": 4}, "use_bias"),
    (layers.MANNCell, {"units": 4}, "unit_forget_bias"),
    (layers.AttentionPooling, {}, "use_bias"),
    (layers.MultiHeadSelfAttention, {"num_heads": 2, "key_dim": 4}, "use_bias"),
]
MEMORY_NETWORK = {"vocabulary_size": 10, "embedding_dim": 4}
CASES += [
    (layers.MemoryNetwork, MEMORY_NETWORK, flag)
    for flag in (
        "tie_answer",
        "linear_start",
        "position_encoding",
        "temporal_encoding",
    )
]


@pytest.mark.parametrize(
    "cls,kwargs,flag", CASES, ids=[f"{c.__name__}-{f}" for c, _, f in CASES]
)
def test_flag_must_be_true_or_false(cls, kwargs, flag):
    for value in ("False", 0, None):
        with pytest.raises(
            ValueError,
            match=re.escape(
                f"`{flag}` must be True or False. Received: {flag}={value!r}"
            ),
        ):
            cls(**kwargs, **{flag: value})
    layer = cls(**kwargs, **{flag: False})
    owner = getattr(layer, "cell", layer)
    assert getattr(owner, flag) is False

"""`keras.Model.export`: TF SavedModels of the package's layers and models.

Keras writes a SavedModel from TensorFlow natively and from JAX through
`jax2tf`, with a symbolic batch size and the gradients of the model traced
too. Each case is exported, loaded back with `tf.saved_model.load`, and its
`serve` endpoint compared with `predict` on two batch sizes.
"""

import keras
import numpy as np
import pytest

from tests.export import export_cases

BACKEND = keras.backend.backend()

pytestmark = pytest.mark.skipif(
    BACKEND not in ("tensorflow", "jax"),
    reason="Keras' `Model.export` to a SavedModel fails on PyTorch for "
    "every model, `keras.layers.Dense` included (Keras 3.15)",
)

# Keras' own layers are covered by Keras.
CASES = {
    name: builder
    for name, builder in {
        **export_cases.LAYER_CASES,
        **export_cases.MODEL_CASES,
    }.items()
    if not name.startswith("keras.")
}


def _serve(reloaded, inputs):
    import tensorflow as tf

    # A model of several inputs takes them as one list, as `predict` does.
    args = keras.tree.map_structure(tf.constant, inputs)
    outputs = reloaded.serve(args)
    return keras.tree.map_structure(np.asarray, outputs)


@pytest.mark.parametrize("name", export_cases.params(CASES))
def test_saved_model_matches_predict(name, tmp_path):
    import tensorflow as tf

    case = CASES[name]()
    path = str(tmp_path / "model")
    case.model.export(path, verbose=False)
    reloaded = tf.saved_model.load(path)
    # The whole batch, then its first sample: the batch size stays free.
    for inputs in (
        case.inputs,
        keras.tree.map_structure(lambda x: x[:1], case.inputs),
    ):
        expected = case.model.predict(inputs, verbose=0)
        got = _serve(reloaded, inputs)
        keras.tree.map_structure(
            lambda g, e: np.testing.assert_allclose(g, e, atol=1e-5),
            got,
            expected,
        )

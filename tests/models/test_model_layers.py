"""The two registered layers of `keras_memattn.models` pass the harness."""

import numpy as np
import pytest

from keras_memattn.datasets import TextVectorizer
from keras_memattn.models import PositionEmbedding
from keras_memattn.models import TokenIds
from tests import harness


def test_position_embedding_harness():
    harness.run_layer_test(
        PositionEmbedding,
        {"sequence_length": 8, "embeddings_initializer": "glorot_uniform"},
        input_shape=(3, 6, 4),
        expected_output_shape=(3, 6, 4),
        expected_num_trainable_weights=1,
        supports_masking=True,
        expected_output_mask="input",
    )


def test_position_embedding_rejects_bad_length():
    with pytest.raises(ValueError, match="sequence_length=0"):
        PositionEmbedding(0)


def test_token_ids_harness():
    vectorizer = TextVectorizer().fit(["a good film", "a bad film", "good"])
    ids = vectorizer.encode(["a good film", "bad"])
    harness.run_layer_test(
        TokenIds,
        {"vectorizer": vectorizer.get_config(), "class_names": ["neg", "pos"]},
        input_data=np.asarray(ids, "int32"),
        expected_output_shape=tuple(np.shape(ids)),
        expected_num_trainable_weights=0,
        # No weights to train, and an int output for the functional checks;
        # `.keras` round trips of models that hold it are tested with the
        # text classifier.
        run_training_check=False,
        run_saving_check=False,
    )


def test_token_ids_rejects_non_vectorizer():
    with pytest.raises(ValueError, match="vectorizer"):
        TokenIds("not a vectorizer")

import sys

import keras
import numpy as np
import pytest

import keras_memattn
from keras_memattn.callbacks import _tensorboard
from tests.callbacks.events import read_images

IDS = np.array(
    [[3, 7, 2, 9, 0, 0], [5, 1, 8, 4, 6, 2], [2, 2, 0, 0, 0, 0]],
    dtype="int32",
)


def _keras_mha_model():
    inputs = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(12, 8, mask_zero=True, name="embedding")(inputs)
    x = keras.layers.MultiHeadAttention(2, 4, name="attention")(h, h)
    x = keras.layers.GlobalAveragePooling1D()(x)
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    model.compile("adam", "mse")
    return model


def _package_model():
    inputs = keras.Input((6,), dtype="int32")
    h = keras.layers.Embedding(12, 8, mask_zero=True)(inputs)
    x = keras_memattn.layers.MultiHeadSelfAttention(
        num_heads=2, key_dim=4, name="self_attention"
    )(h)
    x = keras_memattn.layers.AttentionPooling(name="pooling")(x)
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    model.compile("adam", "mse")
    return model


def test_scores_match_a_direct_masked_call():
    model = _keras_mha_model()
    scores = keras_memattn.callbacks.get_attention_scores(
        model, IDS, "attention"
    )
    h = model.get_layer("embedding")(IDS)
    mask = IDS != 0
    _, expected = model.get_layer("attention")(
        h, h, query_mask=mask, value_mask=mask, return_attention_scores=True
    )
    np.testing.assert_allclose(
        scores, keras.ops.convert_to_numpy(expected), atol=1e-6
    )
    assert scores.shape == (3, 2, 6, 6)
    # Padded keys get no weight; each real query row is a distribution.
    assert np.all(scores[0, :, :, 4:] == 0)
    sums = scores.sum(-1).transpose(0, 2, 1)  # (batch, query, heads)
    np.testing.assert_allclose(sums[mask], 1.0, atol=1e-5)


def test_scores_of_package_layers():
    model = _package_model()
    attention = keras_memattn.callbacks.get_attention_scores(
        model, IDS, "self_attention"
    )
    pooling = keras_memattn.callbacks.get_attention_scores(
        model, IDS, "pooling"
    )
    mask = IDS != 0
    assert attention.shape == (3, 2, 6, 6)
    assert pooling.shape[0] == 3 and pooling.shape[-1] == 6
    sums = attention.sum(-1).transpose(0, 2, 1)  # (batch, query, heads)
    np.testing.assert_allclose(sums[mask], 1.0, atol=1e-5)
    np.testing.assert_allclose(pooling.sum(-1), 1.0, atol=1e-5)
    for scores in (attention, pooling):
        assert np.all(scores[2, ..., 2:] < 1e-6)


def test_scores_of_text_classifier():
    model = keras_memattn.models.text_classifier(
        encoder="self_attention",
        vocab_size=12,
        num_classes=2,
        embedding_dim=8,
        units=8,
        num_heads=2,
        sequence_length=6,
    )
    pooling = keras_memattn.callbacks.get_attention_scores(
        model, IDS, "attention_pooling"
    )
    attention = keras_memattn.callbacks.get_attention_scores(
        model, IDS, "encoder"
    )
    assert attention.shape == (3, 2, 6, 6)
    np.testing.assert_allclose(pooling.sum(-1), 1.0, atol=1e-5)
    for scores in (attention, pooling):
        assert np.all(scores[0, ..., 4:] < 1e-6)


def test_logger_writes_images_each_epoch(tmp_path):
    model = _package_model()
    tokens = [["it", "is", "a", "film"], list("abcdefg"), ["ok", "ok"]]
    logger = keras_memattn.callbacks.AttentionLogger(
        str(tmp_path), inputs=IDS, tokens=tokens, max_examples=2
    )
    model.fit(IDS, np.zeros((3, 2)), epochs=2, callbacks=[logger], verbose=0)
    images = read_images(str(tmp_path))
    assert set(images) == {"attention/self_attention", "attention/pooling"}
    for by_step in images.values():
        assert sorted(by_step) == [0, 1]
        for step_images in by_step.values():
            assert len(step_images) == 2
            assert step_images[0].shape == (384, 512, 3)
            assert step_images[0].std() > 0
    # The images change as the weights train.
    first, second = images["attention/self_attention"][0]
    assert not np.array_equal(first, second)


def _run_epochs(callback, model, epochs):
    """Drives a callback through `epochs` epochs without training."""
    callback.set_model(model)
    callback.on_train_begin()
    for epoch in range(epochs):
        callback.on_epoch_end(epoch)
    callback.on_train_end()


def test_logger_freq_and_layer_names(tmp_path):
    model = _keras_mha_model()
    logger = keras_memattn.callbacks.AttentionLogger(
        str(tmp_path), inputs=IDS[:1], layer_names="attention", freq=2
    )
    _run_epochs(logger, model, epochs=3)
    images = read_images(str(tmp_path))
    assert list(images) == ["attention/attention"]
    assert sorted(images["attention/attention"]) == [1]


def test_logger_errors(tmp_path):
    with pytest.raises(ValueError, match="Received: freq=0"):
        keras_memattn.callbacks.AttentionLogger(str(tmp_path), IDS, freq=0)
    with pytest.raises(ValueError, match="Received: max_examples=-1"):
        keras_memattn.callbacks.AttentionLogger(
            str(tmp_path), IDS, max_examples=-1
        )
    model = _keras_mha_model()
    with pytest.raises(
        ValueError, match="no layer named 'nope'.*Received: layer_name='nope'"
    ):
        keras_memattn.callbacks.get_attention_scores(model, IDS, "nope")
    with pytest.raises(ValueError, match="return_attention_scores"):
        keras_memattn.callbacks.get_attention_scores(model, IDS, "embedding")
    plain = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(2, name="head")]
    )
    logger = keras_memattn.callbacks.AttentionLogger(str(tmp_path), IDS)
    with pytest.warns(UserWarning, match="no images are written"):
        _run_epochs(logger, plain, epochs=1)
    assert read_images(str(tmp_path)) == {}
    explicit = keras_memattn.callbacks.AttentionLogger(
        str(tmp_path), IDS, layer_names="head"
    )
    with pytest.raises(ValueError, match="Received: layer_names=\\['head'\\]"):
        _run_epochs(explicit, plain, epochs=1)


def test_missing_tensorflow_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    with pytest.raises(ImportError, match=r"keras-memattn\[tensorflow\]"):
        _tensorboard.import_tensorflow()


@pytest.mark.parametrize(
    "module, extra", [("tensorflow", "tensorflow"), ("matplotlib", "apps")]
)
@pytest.mark.parametrize(
    "logger",
    [
        keras_memattn.callbacks.AttentionLogger,
        keras_memattn.callbacks.MemoryAddressingLogger,
    ],
)
def test_loggers_check_their_packages_when_made(
    logger, module, extra, monkeypatch
):
    # They used to fail at the end of the first epoch, when the first
    # images are drawn and written.
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=rf"keras-memattn\[{extra}\]"):
        logger("logs", IDS)


def test_sequential_model_and_shared_layers():
    # `keras.Sequential` has no `input` of its own in Keras 3.
    functional = _package_model()
    sequential = keras.Sequential(
        [keras.Input((6,), dtype="int32")] + functional.layers[1:]
    )
    want = keras_memattn.callbacks.get_attention_scores(
        functional, IDS, "self_attention"
    )
    got = keras_memattn.callbacks.get_attention_scores(
        sequential, IDS, "self_attention"
    )
    np.testing.assert_allclose(got, want, atol=1e-6)
    # The same layers called again in a second model: the probe uses the
    # call that the second model's inputs feed.
    inputs = keras.Input((6,), dtype="int32")
    x = inputs
    for layer in functional.layers[1:-1]:
        x = layer(x)
    encoder = keras.Model(inputs, x)
    got = keras_memattn.callbacks.get_attention_scores(
        encoder, IDS, "self_attention"
    )
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_logger_probes_the_model_it_is_set_to(tmp_path):
    # A logger reused for a second model used to keep drawing the first.
    first, second = _keras_mha_model(), _keras_mha_model()
    logger = keras_memattn.callbacks.AttentionLogger(
        str(tmp_path), IDS[:1], layer_names="attention"
    )
    logger.set_model(first)
    from_first = logger.images()["attention"]
    logger.set_model(second)
    from_second = logger.images()["attention"]
    fresh = keras_memattn.callbacks.AttentionLogger(
        str(tmp_path / "fresh"), IDS[:1], layer_names="attention"
    )
    fresh.set_model(second)
    np.testing.assert_array_equal(from_second, fresh.images()["attention"])
    assert not np.array_equal(from_first, from_second)


def test_sequence_lengths_of_subword_inputs_and_empty_texts():
    from keras_memattn.callbacks import _probe

    # Subword inputs are measured on their word ids (they gave None, so
    # padding was drawn); a row of padding only keeps its full length.
    subwords = np.zeros((3, 6, 4), "int32")
    subwords[..., 0] = IDS
    subwords[0, :2, 1:] = 11
    np.testing.assert_array_equal(_probe.sequence_lengths(subwords), [4, 6, 2])
    empty = IDS.copy()
    empty[2] = 0
    np.testing.assert_array_equal(_probe.sequence_lengths(empty), [4, 6, 6])


def test_logger_draws_an_empty_text_uncut(tmp_path):
    import warnings

    ids = IDS.copy()
    ids[2] = 0
    model = _package_model()
    logger = keras_memattn.callbacks.AttentionLogger(
        str(tmp_path), inputs=ids, tokens=[["a"] * 4, ["b"] * 6, []]
    )
    logger.set_model(model)
    with warnings.catch_warnings():
        # matplotlib warned for every zero-width panel.
        warnings.simplefilter("error", UserWarning)
        images = logger.images()
    for layer_images in images.values():
        assert layer_images.shape[0] == 3


def test_logger_skips_weights_that_are_not_finite(tmp_path):
    # Diverged weights were drawn as blank images without a word.
    model = _package_model()
    embedding = model.layers[1]
    embedding.set_weights([np.full((12, 8), np.nan, "float32")])
    logger = keras_memattn.callbacks.AttentionLogger(str(tmp_path), IDS)
    with pytest.warns(UserWarning, match="'self_attention' hold NaN"):
        _run_epochs(logger, model, epochs=1)
    assert read_images(str(tmp_path)) == {}

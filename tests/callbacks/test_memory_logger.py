import keras
import numpy as np
import pytest

import keras_memattn
from tests.callbacks.events import read_images

IDS = np.array([[3, 7, 2, 9, 0, 0], [5, 1, 8, 4, 6, 2]], dtype="int32")


def _model(addressing="ntm", return_state=False):
    inputs = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(12, 4, mask_zero=True, name="embedding")(inputs)
    outputs = keras_memattn.layers.MANNLayer(
        6,
        memory_size=5,
        memory_width=3,
        addressing=addressing,
        return_state=return_state,
        name="memory",
    )(h)
    if return_state:
        return keras.Model(inputs, outputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(outputs))
    model.compile("adam", "mse")
    return model


@pytest.mark.parametrize("addressing", ["ntm", "content"])
def test_last_weights_match_the_layer_state(addressing):
    model = _model(addressing, return_state=True)
    weights = keras_memattn.callbacks.get_memory_addressing(
        model, IDS, "memory"
    )
    expected = ["read_weights"]
    if addressing == "ntm":
        expected.append("write_weights")
    assert sorted(weights) == sorted(expected)
    read = weights["read_weights"]
    assert read.shape == (2, 6, 1, 5)
    np.testing.assert_allclose(read.sum(-1), 1.0, atol=1e-5)

    # The layer's own final states, in the order documented by MANNCell:
    # ..., read weights[, write weights].
    states = [keras.ops.convert_to_numpy(s) for s in model(IDS)[1:]]
    if addressing == "ntm":
        np.testing.assert_allclose(
            weights["write_weights"][:, -1, 0], states[-1], atol=1e-5
        )
        states = states[:-1]
    np.testing.assert_allclose(read[:, -1, 0], states[-1], atol=1e-5)


def test_masked_steps_repeat_the_weights():
    model = _model()
    weights = keras_memattn.callbacks.get_memory_addressing(
        model, IDS, "memory"
    )
    read = weights["read_weights"]
    # Example 0 has 4 tokens: steps 4 and 5 keep the weights of step 3.
    np.testing.assert_array_equal(read[0, 4], read[0, 3])
    np.testing.assert_array_equal(read[0, 5], read[0, 3])
    assert not np.allclose(read[1, 5], read[1, 3])


def test_logger_writes_memory_images(tmp_path):
    model = _model()
    logger = keras_memattn.callbacks.MemoryAddressingLogger(
        str(tmp_path), inputs=IDS, tokens=[list("abcd"), list("abcdef")]
    )
    # Driven by hand: training a MANNLayer would only add compile time.
    logger.set_model(model)
    for epoch in range(2):
        logger.on_epoch_end(epoch)
    logger.on_train_end()
    images = read_images(str(tmp_path))
    assert list(images) == ["memory/memory"]
    assert sorted(images["memory/memory"]) == [0, 1]
    step_images = images["memory/memory"][1]
    assert len(step_images) == 2
    assert step_images[0].shape == (384, 512, 3)


def test_errors(tmp_path):
    model = _model()
    with pytest.raises(ValueError, match="is not a `keras_memattn.layers"):
        keras_memattn.callbacks.get_memory_addressing(model, IDS, "embedding")
    with pytest.raises(ValueError, match="Received: layer_name='nope'"):
        keras_memattn.callbacks.get_memory_addressing(model, IDS, "nope")
    with pytest.raises(ValueError, match="Received: freq=0"):
        keras_memattn.callbacks.MemoryAddressingLogger(
            str(tmp_path), IDS, freq=0
        )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        # It used to write into a folder named "None".
        (dict(log_dir=None), "Received: log_dir=None"),
        (dict(layer_names=5), "Received: layer_names=5"),
        (dict(layer_names=["memory", 3]), "Received: layer_names="),
        # A string used to become one token per character.
        (dict(tokens="abc"), "Received: tokens='abc'"),
        (dict(tokens=["abc", "de"]), "Received: tokens="),
    ],
)
@pytest.mark.parametrize(
    "logger",
    [
        keras_memattn.callbacks.MemoryAddressingLogger,
        keras_memattn.callbacks.AttentionLogger,
    ],
)
def test_bad_logger_arguments_name_the_argument(
    tmp_path, logger, kwargs, match
):
    kwargs = dict(dict(log_dir=str(tmp_path), inputs=IDS), **kwargs)
    with pytest.raises(ValueError, match=match):
        logger(**kwargs)


def test_path_like_log_dir(tmp_path):
    logger = keras_memattn.callbacks.MemoryAddressingLogger(
        tmp_path / "logs", inputs=IDS, layer_names=("memory",)
    )
    assert logger.log_dir == str(tmp_path / "logs")
    assert logger.layer_names == ["memory"]
    # Token lists may be tuples or arrays.
    logger = keras_memattn.callbacks.MemoryAddressingLogger(
        tmp_path, inputs=IDS, tokens=(("a", "b"), np.array(["c", "d"]))
    )
    assert logger.tokens == [["a", "b"], ["c", "d"]]


def test_sequential_model():
    # `keras.Sequential` has no `input` of its own in Keras 3.
    functional = _model()
    sequential = keras.Sequential(
        [keras.Input((None,), dtype="int32")] + functional.layers[1:]
    )
    want = keras_memattn.callbacks.get_memory_addressing(
        functional, IDS, "memory"
    )
    got = keras_memattn.callbacks.get_memory_addressing(
        sequential, IDS, "memory"
    )
    assert want.keys() == got.keys()
    for key in want:
        np.testing.assert_allclose(got[key], want[key], atol=1e-6)


def test_logger_probes_the_model_it_is_set_to(tmp_path):
    # A logger reused for a second model used to keep drawing the first.
    first, second = _model(), _model()
    logger = keras_memattn.callbacks.MemoryAddressingLogger(
        str(tmp_path), inputs=IDS[:1]
    )
    logger.set_model(first)
    from_first = logger.images()["memory"]
    logger.set_model(second)
    from_second = logger.images()["memory"]
    fresh = keras_memattn.callbacks.MemoryAddressingLogger(
        str(tmp_path / "fresh"), inputs=IDS[:1]
    )
    fresh.set_model(second)
    np.testing.assert_array_equal(from_second, fresh.images()["memory"])
    assert not np.array_equal(from_first, from_second)


def test_bidirectional_memory_layer_is_drawn_for_its_forward_layer(tmp_path):
    inputs = keras.Input((None,), dtype="int32")
    embedding = keras.layers.Embedding(12, 4, mask_zero=True)
    h = embedding(inputs)
    wrapper = keras.layers.Bidirectional(
        keras_memattn.layers.MANNLayer(6, memory_size=5, memory_width=3),
        name="memory",
    )
    model = keras.Model(inputs, keras.layers.Dense(1)(wrapper(h)))
    weights = keras_memattn.callbacks.get_memory_addressing(
        model, IDS, "memory"
    )
    # The same forward layer, called on its own, gives the same weights.
    forward = wrapper.forward_layer
    alone = keras.Model(inputs, forward(embedding(inputs)))
    expected = keras_memattn.callbacks.get_memory_addressing(
        alone, IDS, forward.name
    )
    assert sorted(weights) == sorted(expected)
    for key in weights:
        np.testing.assert_allclose(weights[key], expected[key], atol=1e-6)
    # The logger finds the wrapped layer without `layer_names`.
    logger = keras_memattn.callbacks.MemoryAddressingLogger(
        str(tmp_path), inputs=IDS
    )
    logger.set_model(model)
    logger.on_epoch_end(0)
    logger.on_train_end()
    assert list(read_images(str(tmp_path))) == ["memory/memory"]
    # A Bidirectional around another layer is still refused.
    lstm = keras.layers.Bidirectional(keras.layers.LSTM(3), name="lstm")
    other = keras.Model(inputs, lstm(h))
    with pytest.raises(ValueError, match="is not a `keras_memattn.layers"):
        keras_memattn.callbacks.get_memory_addressing(other, IDS, "lstm")


def test_mixed_precision_gives_float32_weights():
    # The cell's states are float16 under this policy; the loop used to
    # carry them cast to float32 and failed on JAX.
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = _model()
        weights = keras_memattn.callbacks.get_memory_addressing(
            model, IDS, "memory"
        )
    finally:
        keras.config.set_dtype_policy("float32")
    for key in ("read_weights", "write_weights"):
        assert weights[key].dtype == np.float32
        np.testing.assert_allclose(weights[key].sum(-1), 1.0, atol=1e-2)


def test_go_backwards_layer_is_drawn_in_input_order(tmp_path, monkeypatch):
    inputs = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(12, 4, mask_zero=True)(inputs)
    layer = keras_memattn.layers.MANNLayer(
        6, memory_size=5, memory_width=3, go_backwards=True, name="memory"
    )
    model = keras.Model(inputs, layer(h))
    # Processing order: example 0 starts with its two padded steps.
    read = keras_memattn.callbacks.get_memory_addressing(model, IDS, "memory")[
        "read_weights"
    ]
    drawn = []

    def draw_panels(panels, **kwargs):
        drawn.append((panels, kwargs["x_labels"]))
        return original(panels, **kwargs)

    original = keras_memattn.callbacks.plotting.draw_panels
    monkeypatch.setattr(
        keras_memattn.callbacks.plotting, "draw_panels", draw_panels
    )
    logger = keras_memattn.callbacks.MemoryAddressingLogger(
        str(tmp_path), inputs=IDS
    )
    logger.set_model(model)
    logger.images()
    for i, length in enumerate([4, 6]):
        panels, labels = drawn[i]
        assert labels == [str(t) for t in range(length)]
        # Column t is the step that read token t: the last `length`
        # processing steps, reversed; no padded step is drawn.
        want = read[i, ::-1][:length, 0].T
        np.testing.assert_allclose(panels[0], want, atol=1e-6)


@pytest.mark.parametrize("tokens", [None, [list("abcd"), []]])
def test_an_empty_text_is_drawn_uncut(tmp_path, tokens):
    import warnings

    ids = IDS.copy()
    ids[1] = 0
    logger = keras_memattn.callbacks.MemoryAddressingLogger(
        str(tmp_path), inputs=ids, tokens=tokens
    )
    logger.set_model(_model())
    with warnings.catch_warnings():
        # matplotlib warned for every zero-width panel.
        warnings.simplefilter("error", UserWarning)
        images = logger.images()
    assert images["memory"].shape[0] == 2


def test_logger_skips_weights_that_are_not_finite(tmp_path):
    # Diverged weights were drawn as blank images without a word.
    model = _model()
    embedding = model.get_layer("embedding")
    embedding.set_weights([np.full((12, 4), np.nan, "float32")])
    logger = keras_memattn.callbacks.MemoryAddressingLogger(str(tmp_path), IDS)
    logger.set_model(model)
    with pytest.warns(UserWarning, match="'memory' hold NaN"):
        assert logger.images() == {}

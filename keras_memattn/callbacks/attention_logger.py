"""TensorBoard images of attention maps, written during training."""

import warnings

import keras
import numpy as np

from keras_memattn.callbacks import _image_logger
from keras_memattn.callbacks import _probe
from keras_memattn.callbacks import plotting

_OWNER = "AttentionLogger"


def _attention_layers(model):
    return [
        layer
        for layer in model.layers
        if _probe.accepts_argument(layer, "return_attention_scores")
    ]


def _scores_from_outputs(outputs):
    return keras.ops.convert_to_numpy(
        keras.ops.cast(keras.tree.flatten(outputs)[-1], "float32")
    )


def get_attention_scores(model, inputs, layer_name):
    """Attention weights of one layer of `model` for a batch of inputs.

    Re-runs the layer named `layer_name` in inference mode on the tensors it
    receives inside `model` (with their Keras masks), asking it for
    `return_attention_scores=True`. Works for every layer whose `call` takes
    that argument: `keras_memattn.layers.MultiHeadSelfAttention`,
    `keras_memattn.layers.AttentionPooling` and
    `keras.layers.MultiHeadAttention`.

    Args:
        model: a functional or Sequential model.
        inputs: a batch in the structure `model` takes.
        layer_name: name of a top-level layer of `model`.

    Returns:
        A float32 NumPy array: `(batch, query_steps, key_steps)` per head for
        self-attention, i.e. `(batch, heads, query_steps, key_steps)`, and
        `(batch, heads, steps)` for attention pooling (also with one head).

    Example:

    ```python
    import numpy as np
    import keras
    import keras_memattn

    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(50, 8, mask_zero=True)(inputs)
    x = keras.layers.MultiHeadAttention(2, 4, name="attention")(x, x)
    outputs = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling1D()(x))
    model = keras.Model(inputs, outputs)

    ids = np.array([[5, 8, 2, 0], [3, 4, 9, 7]])
    scores = keras_memattn.callbacks.get_attention_scores(
        model, ids, "attention"
    )
    scores.shape  # (2, 2, 4, 4)
    ```
    """
    layer = _probe.find_layer(
        model, layer_name, "get_attention_scores", "layer_name"
    )
    if not _probe.accepts_argument(layer, "return_attention_scores"):
        raise ValueError(
            f"Layer {layer_name!r} ({type(layer).__name__}) has no "
            "`return_attention_scores` call argument. "
            f"Received: layer_name={layer_name!r}"
        )
    probe = _probe.LayerProbe(model, layer)
    return _scores_from_outputs(
        probe.call(inputs, return_attention_scores=True)
    )


class AttentionLogger(_image_logger.ImageLogger):
    """Writes attention maps of a fixed batch to TensorBoard each epoch.

    At the end of every `freq`-th epoch, each chosen layer is re-run in
    inference mode on the fixed batch `inputs` (see
    `keras_memattn.callbacks.get_attention_scores`) and its weights are
    drawn with `keras_memattn.callbacks.plot_attention`, one image per
    example, under the tag `attention/<layer name>` at step `epoch`. The
    model can train on any backend; the event files are written with
    `tf.summary`, so TensorFlow must be installed.

    Padding is cut from the images: when `tokens` is given, each example is
    shown up to its number of tokens; otherwise, when the first model input
    holds integer ids, up to the last non-zero id (`0` is the padding id of
    `mask_zero` embeddings).

    Use the same `log_dir` as `keras.callbacks.TensorBoard` to see the
    images beside the scalars and histograms.

    When the weights of a layer hold NaN or infinite values (training has
    diverged), that layer gets no images at that epoch, with a warning;
    training goes on.

    Args:
        log_dir: folder for the TensorBoard event files.
        inputs: a fixed batch, in the structure the model takes. Keep it
            small (a few examples); each example becomes one image.
        layer_names: a layer name or list of names. Defaults to every
            top-level layer whose `call` takes `return_attention_scores`
            (with a warning, and no images, when there is none).
        tokens: optional list (one entry per example) of token lists used
            as axis labels.
        max_examples: draw at most this many examples of `inputs`.
            Defaults to `4`.
        freq: write every `freq` epochs. Defaults to `1`.

    Raises:
        ImportError: when TensorFlow (which writes the event files, on
            every backend) or matplotlib (which draws the images) is not
            installed.

    Example:

    ```python
    import numpy as np
    import keras
    import keras_memattn

    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(50, 8, mask_zero=True)(inputs)
    x = keras.layers.MultiHeadAttention(2, 4, name="attention")(x, x)
    outputs = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling1D()(x))
    model = keras.Model(inputs, outputs)
    model.compile("adam", "mse")

    ids = np.random.randint(1, 50, size=(16, 6))
    logger = keras_memattn.callbacks.AttentionLogger(
        "logs", inputs=ids[:2], tokens=[list("abcdef")] * 2
    )
    model.fit(ids, np.zeros((16, 1)), epochs=2, callbacks=[logger])
    ```
    """

    tag = "attention"
    description = "Attention weights of layer {name}."

    def _build_probes(self):
        if self.layer_names is None:
            layers = _attention_layers(self.model)
            if not layers:
                warnings.warn(
                    f"{_OWNER}: the model has no layer whose `call` takes "
                    "`return_attention_scores`; no images are written. "
                    "Pass `layer_names` to name the layers.",
                    stacklevel=2,
                )
        else:
            layers = [
                _probe.find_layer(self.model, name, _OWNER)
                for name in self.layer_names
            ]
            for layer in layers:
                if not _probe.accepts_argument(
                    layer, "return_attention_scores"
                ):
                    raise ValueError(
                        f"{_OWNER}: layer {layer.name!r} "
                        f"({type(layer).__name__}) has no "
                        "`return_attention_scores` call argument. "
                        f"Received: layer_names={self.layer_names!r}"
                    )
        self._probes = [_probe.LayerProbe(self.model, lyr) for lyr in layers]

    def _example_tokens(self, index, lengths, steps):
        if self.tokens is not None and index < len(self.tokens):
            # An empty text has no labels: its maps are drawn uncut.
            return [str(t) for t in self.tokens[index]][:steps] or None
        if lengths is not None:
            return [str(i) for i in range(min(int(lengths[index]), steps))]
        return None

    def images(self):
        """Draws the current attention maps.

        Returns:
            A dict from layer name to a `(examples, height, width, 3)` uint8
            array.
        """
        if self._probes is None:
            self._build_probes()
        lengths = _probe.sequence_lengths(self.inputs)
        result = {}
        for probe in self._probes:
            scores = _scores_from_outputs(
                probe.call(self.inputs, return_attention_scores=True)
            )
            if not self.drawable(probe.layer.name, scores):
                continue
            arrays = []
            for i in range(scores.shape[0]):
                row_labels = None
                if scores.ndim == 3:
                    row_labels = [f"head {h}" for h in range(scores.shape[1])]
                fig = plotting.attention_figure(
                    scores[i],
                    tokens=self._example_tokens(i, lengths, scores.shape[-1]),
                    row_labels=row_labels,
                    title=f"{probe.layer.name}, example {i}",
                    figsize=(6.4, 4.8),
                    dpi=80,
                )
                arrays.append(plotting.figure_to_array(fig))
            result[probe.layer.name] = np.stack(arrays)
        return result

"""TensorBoard images of the read and write weights of a memory layer."""

import warnings

import keras
import numpy as np
from keras import ops

from keras_memattn.callbacks import _image_logger
from keras_memattn.callbacks import _probe
from keras_memattn.callbacks import plotting
from keras_memattn.layers.base_rnn import BaseRNN
from keras_memattn.layers.mann import MANNLayer

_OWNER = "MemoryAddressingLogger"


class _StatesAsOutput(keras.layers.Layer):
    """Wraps a built cell so that its output at each step is its states.

    The concatenated states are also carried as an extra first state: Keras'
    JAX loop takes the first state as the previous output at masked steps.
    """

    def __init__(self, cell, **kwargs):
        super().__init__(**kwargs)
        self.cell = cell
        sizes = keras.tree.flatten(cell.state_size)
        self.output_size = int(sum(sizes))
        self.state_size = [self.output_size] + list(sizes)

    def build(self, input_shape):
        self.built = True

    def _concat(self, states):
        # In the cell's state dtype (float16 under mixed precision), so the
        # carried concatenation keeps the dtype the loop started with.
        dtype = keras.backend.standardize_dtype(states[0].dtype)
        return ops.concatenate([ops.cast(s, dtype) for s in states], axis=-1)

    def call(self, inputs, states, training=False):
        _, new_states = self.cell.call(inputs, states[1:], training=False)
        new_states = keras.tree.flatten(new_states)
        output = self._concat(new_states)
        return output, [output] + new_states

    def get_initial_state(self, batch_size=None):
        states = keras.tree.flatten(self.cell.get_initial_state(batch_size))
        return [self._concat(states)] + states


def _memory_layer(layer):
    """The `MANNLayer` that `layer` is, or wraps in a
    `keras.layers.Bidirectional` (its forward layer); else None."""
    if isinstance(layer, keras.layers.Bidirectional):
        layer = layer.forward_layer
    return layer if isinstance(layer, MANNLayer) else None


def _memory_layers(model):
    return [layer for layer in model.layers if _memory_layer(layer)]


def _check_memory_layer(layer, layer_name):
    if _memory_layer(layer) is None:
        raise ValueError(
            f"Layer {layer.name!r} ({type(layer).__name__}) is not a "
            "`keras_memattn.layers.MANNLayer` (or a "
            "`keras.layers.Bidirectional` around one). "
            f"Received: layer_names={layer_name!r}"
        )


def _addressing(probe, inputs):
    # A Bidirectional wrapper receives the inputs of its forward layer.
    layer = _memory_layer(probe.layer)
    args, kwargs = probe.arguments(inputs)
    for key in ("initial_state", "training"):
        kwargs.pop(key, None)
    stepper = BaseRNN(
        _StatesAsOutput(layer.cell),
        return_sequences=True,
        go_backwards=layer.go_backwards,
        dtype=layer.dtype_policy,
    )
    states = keras.ops.convert_to_numpy(
        stepper(*args, training=False, **kwargs)
    ).astype("float32")
    cell = layer.cell
    sizes = [int(s) for s in keras.tree.flatten(cell.state_size)]
    per_state = np.split(states, np.cumsum(sizes)[:-1], axis=-1)
    # MANNCell documents its states as ending with the read weights and,
    # with NTM addressing, the write weights.
    n = cell.memory_size
    parts = {}
    if cell.addressing == "ntm":
        parts["write_weights"] = per_state.pop()
    parts["read_weights"] = per_state.pop()
    for key, heads in (
        ("read_weights", cell.num_read_heads),
        ("write_weights", cell.num_write_heads),
    ):
        if key in parts and parts[key].shape[-1] != heads * n:
            raise ValueError(  # pragma: no cover - guards the state layout.
                f"Unexpected state layout of {type(cell).__name__}: "
                f"{key} of size {parts[key].shape[-1]}, expected "
                f"{heads} heads x {n} slots."
            )
    batch, steps = states.shape[:2]
    result = {}
    for key in ("read_weights", "write_weights"):
        if key in parts:
            result[key] = parts[key].reshape(batch, steps, -1, n)
    return result


def get_memory_addressing(model, inputs, layer_name):
    """Read (and write) weights of a `MANNLayer` at every step of a batch.

    Runs the cell of the layer named `layer_name` over the inputs it
    receives inside `model` (with their Keras mask), from its initial state,
    in inference mode, and returns the head weights it keeps in its state.
    A masked step repeats the previous weights, as the layer does. Write
    weights are part of the state only with `addressing="ntm"`. For a
    `keras.layers.Bidirectional` around a `MANNLayer`, the weights are
    those of its forward layer.

    Args:
        model: a functional or Sequential model.
        inputs: a batch in the structure `model` takes.
        layer_name: name of a top-level `keras_memattn.layers.MANNLayer`,
            or of a `keras.layers.Bidirectional` wrapping one.

    Returns:
        A dict with `"read_weights"`, a float32 array
        `(batch, steps, num_read_heads, memory_size)`, and with
        `addressing="ntm"` also `"write_weights"`,
        `(batch, steps, num_write_heads, memory_size)`. Steps are in
        processing order (reversed when the layer has `go_backwards=True`).

    Example:

    ```python
    import numpy as np
    import keras
    import keras_memattn

    inputs = keras.Input((None, 3))
    x = keras_memattn.layers.MANNLayer(
        8, memory_size=6, memory_width=4, addressing="ntm", name="memory"
    )(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    weights = keras_memattn.callbacks.get_memory_addressing(
        model, np.random.rand(2, 5, 3), "memory"
    )
    weights["write_weights"].shape  # (2, 5, 1, 6)
    ```
    """
    layer = _probe.find_layer(
        model, layer_name, "get_memory_addressing", "layer_name"
    )
    _check_memory_layer(layer, layer_name)
    return _addressing(_probe.LayerProbe(model, layer), inputs)


class MemoryAddressingLogger(_image_logger.ImageLogger):
    """Writes memory read/write weights of a fixed batch to TensorBoard.

    The memory counterpart of `keras_memattn.callbacks.AttentionLogger`: at
    the end of every `freq`-th epoch, each chosen `MANNLayer` is run over
    the fixed batch `inputs` (see
    `keras_memattn.callbacks.get_memory_addressing`) and, for each example,
    one image shows the weight every head puts on each memory slot
    (vertical axis) at each step (horizontal axis): one panel per read head
    and, with `addressing="ntm"`, per write head. Images go under the tag
    `memory/<layer name>` at step `epoch`, written with `tf.summary`, so
    TensorFlow must be installed; the model can train on any backend.

    Padding is cut as in `AttentionLogger`: by `tokens` when given, else by
    the last non-zero id when the first model input holds integer ids.
    Steps are drawn in input order, also for a layer with
    `go_backwards=True` (which reads them last to first).

    When the weights of a layer hold NaN or infinite values (training has
    diverged), that layer gets no images at that epoch, with a warning;
    training goes on.

    Args:
        log_dir: folder for the TensorBoard event files.
        inputs: a fixed batch, in the structure the model takes.
        layer_names: a layer name or list of names. Defaults to every
            top-level `MANNLayer` of the model, and every
            `keras.layers.Bidirectional` around one (drawn for its forward
            layer), with a warning, and no images, when there is none.
        tokens: optional list (one entry per example) of token lists used
            as labels of the step axis.
        max_examples: draw at most this many examples. Defaults to `4`.
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

    inputs = keras.Input((None, 3))
    x = keras_memattn.layers.MANNLayer(8, memory_size=6, memory_width=4)(
        inputs
    )
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    model.compile("adam", "mse")
    x_train = np.random.rand(16, 5, 3)
    logger = keras_memattn.callbacks.MemoryAddressingLogger(
        "logs", inputs=x_train[:2]
    )
    model.fit(x_train, np.zeros((16, 1)), epochs=2, callbacks=[logger])
    ```
    """

    tag = "memory"
    description = "Read and write weights of layer {name}."

    def _build_probes(self):
        if self.layer_names is None:
            layers = _memory_layers(self.model)
            if not layers:
                warnings.warn(
                    f"{_OWNER}: the model has no `MANNLayer`; no images are "
                    "written.",
                    stacklevel=2,
                )
        else:
            layers = []
            for name in self.layer_names:
                layer = _probe.find_layer(self.model, name, _OWNER)
                _check_memory_layer(layer, self.layer_names)
                layers.append(layer)
        self._probes = [_probe.LayerProbe(self.model, lyr) for lyr in layers]

    def images(self):
        """Draws the current addressing weights.

        Returns:
            A dict from layer name to a `(examples, height, width, 3)` uint8
            array.
        """
        if self._probes is None:
            self._build_probes()
        lengths = _probe.sequence_lengths(self.inputs)
        result = {}
        for probe in self._probes:
            weights = _addressing(probe, self.inputs)
            if _memory_layer(probe.layer).go_backwards:
                # Processing order -> input order, so that the columns line
                # up with the tokens and padding is cut from the end.
                weights = {k: v[:, ::-1] for k, v in weights.items()}
            if not self.drawable(probe.layer.name, weights):
                continue
            arrays = []
            for i in range(weights["read_weights"].shape[0]):
                panels, titles = [], []
                for key, kind in (
                    ("read_weights", "read"),
                    ("write_weights", "write"),
                ):
                    if key not in weights:
                        continue
                    # (steps, heads, slots) -> (heads, slots, steps)
                    heads = np.transpose(weights[key][i], (1, 2, 0))
                    panels.extend(heads)
                    titles.extend(f"{kind} head {h}" for h in range(len(heads)))
                panels = np.stack(panels)
                labels = None
                if self.tokens is not None and i < len(self.tokens):
                    labels = [str(t) for t in self.tokens[i]]
                elif lengths is not None:
                    labels = [str(t) for t in range(int(lengths[i]))]
                # An empty text has no labels: its maps are drawn uncut.
                labels = labels or None
                if labels is not None:
                    labels = labels[: panels.shape[-1]]
                    panels = panels[..., : len(labels)]
                fig = plotting.draw_panels(
                    panels,
                    titles=titles,
                    x_labels=labels,
                    xlabel=None if labels is not None else "step",
                    ylabel="memory slot",
                    title=f"{probe.layer.name}, example {i}",
                    figsize=(6.4, 4.8),
                    dpi=80,
                )
                arrays.append(plotting.figure_to_array(fig))
            result[probe.layer.name] = np.stack(arrays)
        return result

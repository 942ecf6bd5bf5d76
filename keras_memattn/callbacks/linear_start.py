"""`LinearStart`: MemN2N's linear start for `MemoryNetwork` layers."""

import warnings

import keras
import numpy as np

from keras_memattn import _validation


def _linear_start_layers(model):
    from keras_memattn.layers.memory_network import MemoryNetwork

    return [
        layer
        for layer in model._flatten_layers(include_self=False)
        if isinstance(layer, MemoryNetwork) and layer.linear_start
    ]


class LinearStart(keras.callbacks.Callback):
    """Inserts the softmax of linear-start memory layers when training stalls.

    MemN2N (Sukhbaatar et al., 2015) trains its memory network first with
    the attention softmax removed and re-inserts it once the validation
    loss stops decreasing. Build the model with
    `MemoryNetwork(..., linear_start=True)` and pass this callback to `fit`:
    at the end of every epoch it watches `monitor`, and after `patience`
    epochs without improvement (or at `max_linear_epochs` at the latest) it
    sets the `attention_softmax` flag of every such layer of the model to 1.
    The switch is final; a model whose flag is already 1 (trained before,
    or loaded from a file) is left as it is. The callback counts epochs
    and waits across `fit` calls, so a model trained one epoch per `fit`
    switches at the same epoch as in one call; use a new callback for a
    new model. With `fit(..., validation_freq=n)`, an epoch without
    validation has no `val_` quantities: it counts towards
    `max_linear_epochs` but not towards `patience`.

    Args:
        monitor: the logged quantity to watch. Defaults to `"val_loss"`.
        patience: epochs without improvement before the switch. Defaults
            to 3.
        min_delta: smallest change that counts as an improvement (a finite
            number; its absolute value is used). Defaults to 0.
        mode: `"min"`, `"max"` or `"auto"` (`"max"` for names that
            contain "acc", "auc", "precision", "recall", "f1" or "top",
            else `"min"`). Defaults to `"auto"`.
        max_linear_epochs: optional epoch count after which the softmax is
            inserted whatever the monitor does.
        verbose: print a line when the softmax is inserted. Defaults to 0.

    Attributes:
        switch_epoch: the 1-based epoch (counted over all `fit` calls)
            after which the softmax was inserted, or None.

    Example:

    >>> import keras, numpy as np
    >>> from keras_memattn.callbacks import LinearStart
    >>> from keras_memattn.layers import MemoryNetwork
    >>> story = keras.Input((4, 3), dtype="int32")
    >>> query = keras.Input((3,), dtype="int32")
    >>> answer = MemoryNetwork(10, 8, linear_start=True)([story, query])
    >>> model = keras.Model([story, query], answer)
    >>> model.compile("adam", keras.losses.SparseCategoricalCrossentropy(
    ...     from_logits=True))
    >>> x = [np.ones((8, 4, 3), "int32"), np.ones((8, 3), "int32")]
    >>> callback = LinearStart(monitor="loss", max_linear_epochs=1)
    >>> _ = model.fit(x, np.ones(8), epochs=2, callbacks=[callback],
    ...               verbose=0)
    >>> callback.switch_epoch
    1
    """

    def __init__(
        self,
        monitor="val_loss",
        patience=3,
        min_delta=0.0,
        mode="auto",
        max_linear_epochs=None,
        verbose=0,
    ):
        super().__init__()
        owner = "LinearStart"
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(
                "LinearStart: `monitor` must be the name of a logged "
                f"quantity, e.g. 'val_loss'. Received: monitor={monitor!r}"
            )
        self.monitor = monitor
        self.patience = _validation.positive_int("patience", patience, owner)
        self.min_delta = abs(
            _validation.finite_float("min_delta", min_delta, owner)
        )
        mode = _validation.one_of("mode", mode, ("auto", "min", "max"), owner)
        if mode == "auto":
            higher_is_better = (
                "acc",
                "auc",
                "precision",
                "recall",
                "f1",
                "top",
            )
            name = monitor.lower()
            mode = (
                "max" if any(key in name for key in higher_is_better) else "min"
            )
        self.mode = mode
        self.max_linear_epochs = _validation.optional_positive_int(
            "max_linear_epochs", max_linear_epochs, owner
        )
        self.verbose = verbose
        self.switch_epoch = None
        self._best = np.inf if self.mode == "min" else -np.inf
        self._wait = 0
        self._epochs = 0

    def on_train_begin(self, logs=None):
        # Whether this `fit` has logged the monitored quantity yet, and
        # whether it has ended an epoch without validation.
        self._seen = False
        self._skipped = False
        self._layers = _linear_start_layers(self.model)
        if not self._layers:
            raise ValueError(
                "LinearStart needs a model with at least one "
                "`MemoryNetwork(..., linear_start=True)` layer. Received: "
                f"a model without one ({self.model.name!r})"
            )
        self._done = all(
            float(keras.ops.convert_to_numpy(layer.attention_softmax)) >= 1.0
            for layer in self._layers
        )

    def _improved(self, value):
        if self.mode == "min":
            return value < self._best - self.min_delta
        return value > self._best + self.min_delta

    def _missing_monitor(self, logs):
        return ValueError(
            f"LinearStart monitors {self.monitor!r}, which the logs do "
            f"not have. Available: {sorted(logs)}. Pass "
            "`validation_data` to `fit` or monitor a training metric. "
            f"Received: monitor={self.monitor!r}"
        )

    def on_epoch_end(self, epoch, logs=None):
        if self._done:
            return
        logs = logs or {}
        value = logs.get(self.monitor)
        validated = any(key.startswith("val_") for key in logs)
        if value is None and (validated or not self.monitor.startswith("val_")):
            raise self._missing_monitor(logs)
        self._epochs += 1
        if value is None:
            # No validation at this epoch (`validation_freq` > 1, or none
            # at all, which `on_train_end` reports).
            if not self._seen and not self._skipped:
                warnings.warn(
                    f"LinearStart: epoch {epoch + 1} ran no validation, so "
                    f"{self.monitor!r} is not logged; epochs without it do "
                    "not count towards `patience`.",
                    stacklevel=2,
                )
            self._skipped = True
            self._last_logs = logs
        else:
            self._seen = True
            value = float(value)
            if self._improved(value):
                self._best = value
                self._wait = 0
            else:
                self._wait += 1
        limit = self.max_linear_epochs
        if self._wait >= self.patience or (
            limit is not None and self._epochs >= limit
        ):
            for layer in self._layers:
                layer.attention_softmax.assign(1.0)
            self._done = True
            self.switch_epoch = self._epochs
            if self.verbose:
                print(
                    f"\nEpoch {self._epochs}: LinearStart inserted the "
                    "attention softmax."
                )

    def on_train_end(self, logs=None):
        if self._skipped and not self._seen and not self._done:
            # A whole `fit` without validation: the softmax would never be
            # inserted before `max_linear_epochs`.
            raise self._missing_monitor(self._last_logs)

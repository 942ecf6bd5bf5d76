"""Classification metrics in the form the CLI and the benchmarks report."""

import numpy as np

from keras_memattn import _validation


def _class_ids(name, values):
    """`values` as int64 class ids `(n,)`; `(n, 1)` is accepted too."""
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(
            f"`{name}` must hold integer class ids of shape (n,) or (n, 1); "
            "for one-hot labels or probabilities pass `argmax(axis=-1)`. "
            f"Received: {name}.shape={array.shape}"
        )
    if array.size and not (
        np.issubdtype(array.dtype, np.integer)
        or np.issubdtype(array.dtype, np.bool_)
        or (
            np.issubdtype(array.dtype, np.floating)
            # Infinite or huge values would wrap around in int64.
            and np.all(np.abs(array) < 2**63)
            and np.all(array == np.round(array))
        )
    ):
        raise ValueError(
            f"`{name}` must hold integer class ids, not scores or names. "
            f"Received: {name} of dtype {array.dtype}, e.g. {array[:3]!r}"
        )
    return array.astype("int64")


def classification_metrics(y_true, y_pred, class_names=None):
    """Accuracy, macro-F1 and the scikit-learn classification report.

    Args:
        y_true: int array of true labels, `(num_examples,)`.
        y_pred: int array of predicted labels, same shape.
        class_names: optional list of names, one per class index.

    Returns:
        A JSON-able dict with `"accuracy"`, `"macro_f1"` (the unweighted
        mean of the per-class F1 over the classes in `class_names`, or over
        the labels present), `"num_examples"` and, when scikit-learn is
        installed, `"report"`
        (`sklearn.metrics.classification_report(..., output_dict=True)`).

    Raises:
        ValueError: if the labels are scores or one-hot rows rather than
            class ids, the two arrays differ in length, they are empty,
            a label has no entry in `class_names`, or two class names are
            the same.

    Example:

    ```python
    metrics = keras_memattn.models.classification_metrics([0, 1, 1], [0, 1, 0])
    ```
    """
    y_true = _class_ids("y_true", y_true)
    y_pred = _class_ids("y_pred", y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "`y_true` and `y_pred` must have the same length. Received: "
            f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
        )
    if not len(y_true):
        raise ValueError(
            "`y_true` and `y_pred` hold no examples, so there is nothing to "
            "score. Received: y_true.shape=(0,)"
        )
    if class_names is not None:
        _validation.not_one_string(
            "class_names", class_names, "names, one per class"
        )
        names = [str(c) for c in class_names]
        if len(set(names)) != len(names):
            # The report is keyed by name: one class would overwrite another.
            raise ValueError(
                "`class_names` must be distinct, one per class. Received: "
                f"class_names={list(class_names)!r}"
            )
        labels = np.arange(len(class_names))
        outside = np.setdiff1d(np.union1d(y_true, y_pred), labels)
        if outside.size:
            # They would silently drop out of the macro-F1 and the report.
            raise ValueError(
                f"Labels {outside.tolist()} have no entry in `class_names` "
                f"(ids 0 to {len(class_names) - 1}). Received: "
                f"class_names={list(class_names)!r}"
            )
    else:
        labels = np.union1d(y_true, y_pred)
    f1 = []
    for c in labels:
        tp = np.sum((y_pred == c) & (y_true == c))
        predicted = np.sum(y_pred == c)
        actual = np.sum(y_true == c)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        total = precision + recall
        f1.append(2 * precision * recall / total if total else 0.0)
    metrics = {
        "accuracy": float(np.mean(y_true == y_pred)),
        "macro_f1": float(np.mean(f1)) if f1 else 0.0,
        "num_examples": int(len(y_true)),
    }
    try:
        from sklearn.metrics import classification_report
    except ImportError:
        return metrics
    metrics["report"] = classification_report(
        y_true,
        y_pred,
        labels=labels,
        target_names=(
            None if class_names is None else [str(c) for c in class_names]
        ),
        output_dict=True,
        zero_division=0,
    )
    return metrics


def summarize_folds(fold_metrics):
    """Mean and standard deviation of accuracy and macro-F1 over folds.

    Args:
        fold_metrics: a list of dicts from `classification_metrics`.

    Returns:
        A dict `{"accuracy": {"mean", "std"}, "macro_f1": {"mean", "std"}}`
        (population standard deviation, as over a fixed set of folds).

    Raises:
        ValueError: if there are no folds, or a fold's accuracy or macro-F1
            is missing, not finite or outside [0, 1].

    Example:

    ```python
    import keras_memattn

    folds = [
        keras_memattn.models.classification_metrics([0, 1, 1], [0, 1, 0]),
        keras_memattn.models.classification_metrics([0, 1, 1], [0, 1, 1]),
    ]
    summary = keras_memattn.models.summarize_folds(folds)
    ```
    """
    fold_metrics = list(fold_metrics)
    if not fold_metrics:
        raise ValueError(
            "`fold_metrics` must hold the metrics of at least one fold. "
            "Received: fold_metrics=[]"
        )
    summary = {}
    for key in ("accuracy", "macro_f1"):
        missing = [i for i, m in enumerate(fold_metrics) if key not in m]
        if missing:
            raise ValueError(
                f"Each fold's metrics need {key!r} (from "
                f"`classification_metrics`). Received: fold {missing[0]} "
                f"with keys {sorted(fold_metrics[missing[0]])}"
            )
        values = np.array([m[key] for m in fold_metrics], dtype="float64")
        bad = np.flatnonzero(~np.isfinite(values) | (values < 0) | (values > 1))
        if bad.size:
            raise ValueError(
                f"Each fold's {key!r} must be a number in [0, 1]. "
                f"Received: fold {bad[0]} with {key}={values[bad[0]]}"
            )
        summary[key] = {
            "mean": float(values.mean()),
            "std": float(values.std()),
        }
    return summary

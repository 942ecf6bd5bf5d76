"""Algorithmic tasks generated on the fly, seeded: no files involved."""

import numpy as np

from keras_memattn import _validation


def _rng(seed, owner):
    """The numpy generator of `seed`, or a `ValueError` naming it.

    Numpy's own errors (for a float, a string or a negative number) do not
    say which argument they are about, and it takes `True` as the seed 1.
    """
    if not isinstance(seed, bool):
        try:
            return np.random.default_rng(seed)
        except (TypeError, ValueError):
            pass
    raise ValueError(
        f"{owner}: `seed` must be None or a non-negative integer. "
        f"Received: seed={seed!r}"
    )


def copy_task(
    num_sequences,
    min_length=1,
    max_length=20,
    bits=8,
    total_length=None,
    seed=None,
):
    """The NTM copy task: read a sequence of random bit vectors, then repeat it.

    Each example is a sequence of `L` random `bits`-bit vectors (`L` drawn
    uniformly from `min_length..max_length`), then one delimiter step (the
    extra input channel set to 1), then `L` blank steps during which the
    target is the sequence. Examples are left-aligned and zero-padded to
    `total_length` steps.

    Args:
        num_sequences: number of examples.
        min_length: shortest sequence. Defaults to `1`.
        max_length: longest sequence. Defaults to `20`.
        bits: width of each vector. Defaults to `8`.
        total_length: number of time steps; defaults to
            `2 * max_length + 1`.
        seed: seed of the numpy generator (None or an integer >= 0).

    Returns:
        `(inputs, targets, sample_weight)`: float32 arrays of shapes
        `(num_sequences, total_length, bits + 1)`,
        `(num_sequences, total_length, bits)` and
        `(num_sequences, total_length)`; the weights are 1 at the steps
        where the copy must be produced and 0 elsewhere.

    Example:

    >>> from keras_memattn.datasets import copy_task
    >>> x, y, w = copy_task(4, max_length=5, seed=0)
    >>> x.shape, y.shape, w.shape
    ((4, 11, 9), (4, 11, 8), (4, 11))
    """
    owner = "copy_task"
    num_sequences = _validation.positive_int(
        "num_sequences", num_sequences, owner
    )
    min_length = _validation.positive_int("min_length", min_length, owner)
    max_length = _validation.positive_int("max_length", max_length, owner)
    bits = _validation.positive_int("bits", bits, owner)
    if min_length > max_length:
        raise ValueError(
            "`min_length` must be in [1, max_length]. "
            f"Received: min_length={min_length}, max_length={max_length}"
        )
    if total_length is None:
        total_length = 2 * max_length + 1
    total_length = _validation.positive_int("total_length", total_length, owner)
    if total_length < 2 * max_length + 1:
        raise ValueError(
            "`total_length` must be at least 2 * max_length + 1. "
            f"Received: total_length={total_length}"
        )
    rng = _rng(seed, owner)
    inputs = np.zeros((num_sequences, total_length, bits + 1), "float32")
    targets = np.zeros((num_sequences, total_length, bits), "float32")
    weights = np.zeros((num_sequences, total_length), "float32")
    lengths = rng.integers(min_length, max_length + 1, size=num_sequences)
    for i, length in enumerate(lengths):
        seq = rng.integers(0, 2, size=(length, bits)).astype("float32")
        inputs[i, :length, :bits] = seq
        inputs[i, length, bits] = 1.0
        targets[i, length + 1 : 2 * length + 1] = seq
        weights[i, length + 1 : 2 * length + 1] = 1.0
    return inputs, targets, weights


def associative_recall(
    num_sequences,
    min_items=2,
    max_items=6,
    item_length=3,
    bits=6,
    seed=None,
):
    """The NTM associative recall task: given one item, recall the next.

    An item is `item_length` random `bits`-bit vectors. Each example shows
    `k` items (`k` uniform in `min_items..max_items`), each preceded by a
    delimiter step (input channel `bits`), then a query: one of the first
    `k - 1` items between two query delimiters (channel `bits + 1`); the
    target is the item that followed it, over the next `item_length` steps.
    Examples are left-aligned and zero-padded to
    `max_items * (item_length + 1) + 2 * item_length + 2` steps.

    Args:
        num_sequences: number of examples.
        min_items: fewest items (at least 2). Defaults to `2`.
        max_items: most items. Defaults to `6`.
        item_length: vectors per item. Defaults to `3`.
        bits: width of each vector. Defaults to `6`.
        seed: seed of the numpy generator (None or an integer >= 0).

    Returns:
        `(inputs, targets, sample_weight)` float32 arrays of shapes
        `(num_sequences, T, bits + 2)`, `(num_sequences, T, bits)` and
        `(num_sequences, T)`, the weights marking the answer steps.

    Example:

    >>> from keras_memattn.datasets import associative_recall
    >>> x, y, w = associative_recall(4, seed=0)
    >>> x.shape, y.shape, int(w[0].sum())
    ((4, 32, 8), (4, 32, 6), 3)
    """
    owner = "associative_recall"
    num_sequences = _validation.positive_int(
        "num_sequences", num_sequences, owner
    )
    min_items = _validation.positive_int("min_items", min_items, owner)
    max_items = _validation.positive_int("max_items", max_items, owner)
    item_length = _validation.positive_int("item_length", item_length, owner)
    bits = _validation.positive_int("bits", bits, owner)
    if not 2 <= min_items <= max_items:
        raise ValueError(
            "`min_items` must be in [2, max_items]. "
            f"Received: min_items={min_items}, max_items={max_items}"
        )
    rng = _rng(seed, owner)
    steps = max_items * (item_length + 1) + 2 * item_length + 2
    inputs = np.zeros((num_sequences, steps, bits + 2), "float32")
    targets = np.zeros((num_sequences, steps, bits), "float32")
    weights = np.zeros((num_sequences, steps), "float32")
    counts = rng.integers(min_items, max_items + 1, size=num_sequences)
    for i, count in enumerate(counts):
        items = rng.integers(0, 2, size=(count, item_length, bits))
        t = 0
        for item in items:
            inputs[i, t, bits] = 1.0
            inputs[i, t + 1 : t + 1 + item_length, :bits] = item
            t += item_length + 1
        query = rng.integers(0, count - 1)
        inputs[i, t, bits + 1] = 1.0
        inputs[i, t + 1 : t + 1 + item_length, :bits] = items[query]
        t += item_length + 1
        inputs[i, t, bits + 1] = 1.0
        t += 1
        targets[i, t : t + item_length] = items[query + 1]
        weights[i, t : t + item_length] = 1.0
    return inputs, targets, weights


def adding_problem(num_sequences, length=200, seed=None):
    """The adding problem: the sum of the two marked values of a sequence.

    Each step has two channels: a value drawn uniformly from `[0, 1)` and a
    marker that is 1 at exactly two steps, one in each half of the sequence,
    and 0 elsewhere. The target is the sum of the two marked values. A
    constant prediction of 1 (the mean target) scores a mean squared error
    of 1/6 ~= 0.167, the baseline a model must beat.

    Args:
        num_sequences: number of examples.
        length: number of time steps (at least 2). Defaults to `200`.
        seed: seed of the numpy generator (None or an integer >= 0).

    Returns:
        `(inputs, targets)`: float32 arrays of shapes
        `(num_sequences, length, 2)` and `(num_sequences, 1)`.

    Example:

    >>> from keras_memattn.datasets import adding_problem
    >>> x, y = adding_problem(4, length=10, seed=0)
    >>> x.shape, y.shape, x[..., 1].sum(axis=1).tolist()
    ((4, 10, 2), (4, 1), [2.0, 2.0, 2.0, 2.0])
    """
    num_sequences = _validation.positive_int(
        "num_sequences", num_sequences, "adding_problem"
    )
    length = _validation.positive_int("length", length, "adding_problem")
    if length < 2:
        raise ValueError(
            f"`length` must be an integer >= 2. Received: length={length!r}"
        )
    rng = _rng(seed, "adding_problem")
    values = rng.random((num_sequences, length)).astype("float32")
    half = length // 2
    first = rng.integers(0, half, size=num_sequences)
    second = rng.integers(half, length, size=num_sequences)
    markers = np.zeros((num_sequences, length), "float32")
    rows = np.arange(num_sequences)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    inputs = np.stack([values, markers], axis=-1)
    targets = (values[rows, first] + values[rows, second])[:, None]
    return inputs, targets.astype("float32")

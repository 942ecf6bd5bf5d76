"""Attention maps and memory addressing weights as matplotlib figures.

matplotlib is imported only when a figure is drawn, always with the
non-interactive Agg backend, so importing `keras_memattn` never needs it and
plotting works on machines without a display.
"""

import importlib.util
import math
import os

import keras
import numpy as np

_MAX_PANELS = 16


_INSTALL_HINT = (
    "Plotting attention maps needs matplotlib. Install it with "
    "`pip install keras-memattn[apps]` (or `pip install matplotlib`)."
)


def check_installed():
    """Raises the ImportError of a missing matplotlib without importing
    it."""
    if importlib.util.find_spec("matplotlib") is None:
        raise ImportError(_INSTALL_HINT)


def _pyplot():
    try:
        import matplotlib
    except ImportError as e:  # pragma: no cover - depends on the install.
        raise ImportError(_INSTALL_HINT) from e
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    return matplotlib, Figure, FigureCanvasAgg


def _as_panels(scores):
    """Returns `scores` as `(panels, rows, cols)` float32 and panel titles."""
    # Backend tensors too: a PyTorch tensor that requires grad (the scores
    # of a layer called outside `no_grad`) refuses a plain `np.asarray`.
    scores = np.asarray(keras.ops.convert_to_numpy(scores), dtype="float32")
    _check_finite(scores)
    if scores.ndim == 1:
        return scores[None, None, :], [None]
    if scores.ndim == 2:
        return scores[None], [None]
    if scores.ndim == 3:
        return scores, [f"head {i}" for i in range(scores.shape[0])]
    raise ValueError(
        "`scores` must have rank 1 (steps,), 2 (rows, steps) or 3 "
        "(heads, query_steps, key_steps) for one example. "
        f"Received: scores.shape={scores.shape}"
    )


def _check_finite(scores):
    """Raises a ValueError when `scores` is empty or not finite.

    A NaN is drawn as a blank cell and an infinite value spoils the colour
    scale of the whole panel, so neither can be shown truthfully.
    """
    if scores.size == 0:
        raise ValueError(
            "`scores` has no values to draw. "
            f"Received: scores.shape={scores.shape}"
        )
    finite = np.isfinite(scores)
    if not finite.all():
        nan = int(np.isnan(scores).sum())
        raise ValueError(
            f"`scores` must be finite; it holds {nan} NaN and "
            f"{int((~finite).sum()) - nan} infinite values. "
            f"Received: scores.shape={scores.shape}"
        )


def _check_labels(name, labels, size):
    if labels is None:
        return None
    if isinstance(labels, (str, bytes)):
        # A lone string would label one step per character.
        raise ValueError(
            f"`{name}` must be a list of labels, one per step, not a single "
            f"string. Received: {name}={labels[:40]!r}"
        )
    labels = [str(t) for t in labels]
    if not labels:
        # Cutting the maps to no steps would leave nothing to draw.
        raise ValueError(
            f"`{name}` must hold at least one label (or be None). "
            f"Received: {name}=[]"
        )
    if len(labels) > size:
        raise ValueError(
            f"`{name}` has more entries than the scores have steps "
            f"({size}). Received: len({name})={len(labels)}"
        )
    return labels


def attention_figure(
    scores,
    tokens=None,
    query_tokens=None,
    row_labels=None,
    title=None,
    figsize=None,
    dpi=100,
    cmap="viridis",
):
    """Draws attention weights of one example as a heat map figure.

    The shape of `scores` decides the layout:

    * `(steps,)`: one row of weights, e.g. `AttentionPooling` with one head;
    * `(rows, steps)`: a matrix, e.g. `AttentionPooling` weights of several
      heads `(heads, steps)` or the read weights of a memory head over time
      `(steps, memory_slots)`;
    * `(heads, query_steps, key_steps)`: one panel per head, e.g. the
      scores of `MultiHeadSelfAttention` (at most 16 heads are drawn).

    When `tokens` is given, the key axis (the last one) is cut to
    `len(tokens)`, which drops the padding of a padded sequence; for
    self-attention (square panels) the query axis is cut too.

    Args:
        scores: array of attention weights of one example (see above).
        tokens: optional list of strings labelling the last axis.
        query_tokens: optional list of strings labelling the query axis of
            rank-3 scores. Defaults to `tokens` when the panels are square.
        row_labels: optional list of strings labelling the rows of rank-2
            scores.
        title: optional figure title.
        figsize: `(width, height)` in inches. Defaults to a size that grows
            with the number of steps and panels.
        dpi: resolution of the figure.
        cmap: matplotlib colour map name.

    Returns:
        A `matplotlib.figure.Figure` (not attached to pyplot, so it needs no
        closing).
    """
    panels, titles = _as_panels(scores)
    raw_rank = np.ndim(scores)
    tokens = _check_labels("tokens", tokens, panels.shape[-1])
    if tokens is not None:
        square = raw_rank == 3 and panels.shape[1] == panels.shape[2]
        panels = panels[..., : len(tokens)]
        if square:
            panels = panels[:, : len(tokens), :]
            if query_tokens is None:
                query_tokens = tokens
    query_tokens = _check_labels("query_tokens", query_tokens, panels.shape[1])
    if query_tokens is not None:
        panels = panels[:, : len(query_tokens), :]
    row_labels = _check_labels("row_labels", row_labels, panels.shape[1])

    return draw_panels(
        panels,
        titles=titles,
        x_labels=tokens,
        y_labels=query_tokens if query_tokens is not None else row_labels,
        xlabel=None if tokens is not None else "step",
        title=title,
        figsize=figsize,
        dpi=dpi,
        cmap=cmap,
    )


def draw_panels(
    panels,
    titles=None,
    x_labels=None,
    y_labels=None,
    xlabel=None,
    ylabel=None,
    title=None,
    figsize=None,
    dpi=100,
    cmap="viridis",
):
    """Draws `(panels, rows, cols)` weights as heat maps on one figure."""
    _, Figure, FigureCanvasAgg = _pyplot()
    panels = np.asarray(panels, dtype="float32")[:_MAX_PANELS]
    titles = list(titles or [None] * len(panels))
    count = panels.shape[0]
    cols = min(count, 4)
    rows = math.ceil(count / cols)
    if figsize is None:
        width = min(max(3.0, 0.35 * panels.shape[2] + 1.5), 12.0)
        height = min(max(1.2, 0.35 * panels.shape[1] + 1.2), 10.0)
        figsize = (width * cols, height * rows)

    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    vmax = float(np.max(panels)) if panels.size else 1.0
    vmax = vmax if vmax > 0 else 1.0
    for i in range(count):
        ax = fig.add_subplot(rows, cols, i + 1)
        image = ax.imshow(
            panels[i],
            aspect="auto",
            interpolation="nearest",
            cmap=cmap,
            vmin=0.0,
            vmax=vmax,
        )
        if x_labels is not None:
            ax.set_xticks(range(len(x_labels)))
            ax.set_xticklabels(x_labels, rotation=90, fontsize=8)
        if y_labels is not None:
            ax.set_yticks(range(len(y_labels)))
            ax.set_yticklabels(y_labels, fontsize=8)
        elif panels.shape[1] == 1:
            ax.set_yticks([])
        if xlabel:
            ax.set_xlabel(xlabel)
        if ylabel:
            ax.set_ylabel(ylabel)
        if titles[i] is not None:
            ax.set_title(titles[i], fontsize=9)
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.02)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def figure_to_array(fig):
    """Renders a matplotlib figure to a `(height, width, 3)` uint8 array."""
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    return np.array(rgba[..., :3], dtype="uint8")


def plot_attention(
    scores,
    path=None,
    tokens=None,
    query_tokens=None,
    row_labels=None,
    title=None,
    figsize=None,
    dpi=100,
    cmap="viridis",
):
    """Plots attention weights of one example and saves them as an image.

    Takes the weights that `keras_memattn.callbacks.get_attention_scores`
    (or a layer called with `return_attention_scores=True`) returns, for one
    example of the batch. The layout follows the rank of `scores`: a row
    `(steps,)`, a matrix `(rows, steps)`, or one panel per head
    `(heads, query_steps, key_steps)`. With `tokens`, padding beyond the
    last token is cut off and the axes carry the words.

    Args:
        scores: array-like attention weights of one example.
        path: where to write the image, in the format its extension names
            (any that matplotlib writes: `.png`, `.pdf`, `.svg`, ...), PNG
            when it has none. If `None`, nothing is written.
        tokens: optional list of strings labelling the last axis.
        query_tokens: optional list of strings labelling the query axis of
            rank-3 scores (defaults to `tokens` for square panels).
        row_labels: optional list of strings labelling the rows of rank-2
            scores (e.g. `["head 0", "head 1"]`).
        title: optional figure title.
        figsize: `(width, height)` in inches; by default it grows with the
            number of steps.
        dpi: resolution of raster images (PNG, JPEG).
        cmap: matplotlib colour map name.

    Returns:
        The `matplotlib.figure.Figure`.

    Raises:
        ValueError: when `scores` is empty or holds NaN or infinite values
            (a NaN would be a blank cell, an infinity would spoil the
            colour scale).

    Example:

    ```python
    import numpy as np
    import keras_memattn

    weights = np.array([0.1, 0.6, 0.2, 0.1])
    fig = keras_memattn.callbacks.plot_attention(
        weights, tokens=["a", "truly", "fine", "film"]
    )
    ```
    """
    image_format = None if path is None else _image_format(path)
    fig = attention_figure(
        scores,
        tokens=tokens,
        query_tokens=query_tokens,
        row_labels=row_labels,
        title=title,
        figsize=figsize,
        dpi=dpi,
        cmap=cmap,
    )
    if path is not None:
        fig.savefig(path, format=image_format, dpi=dpi)
    return fig


def _image_format(path):
    """The matplotlib format named by the extension of `path` (PNG if none)."""
    canvas = _pyplot()[2]
    suffix = os.path.splitext(os.fspath(path))[1].lstrip(".").lower()
    formats = canvas.get_supported_filetypes()
    if suffix and suffix not in formats:
        raise ValueError(
            "plot_attention: `path` must end in an image extension that "
            f"matplotlib writes ({', '.join(sorted(formats))}), or have "
            f"none (PNG). Received: path={os.fspath(path)!r}"
        )
    return suffix or "png"

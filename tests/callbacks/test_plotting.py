import matplotlib.image
import numpy as np
import pytest

from keras_memattn.callbacks import plot_attention
from keras_memattn.callbacks import plotting


def _heat_axes(fig):
    # Colour bars are axes too; the heat maps are the ones with images.
    return [
        ax for ax in fig.axes if ax.images and ax.get_label() != "<colorbar>"
    ]


def test_writes_png_of_requested_size(tmp_path, rng):
    weights = rng.dirichlet(np.ones(5))
    path = tmp_path / "weights.png"
    plot_attention(weights, path=str(path), figsize=(4, 2), dpi=50)
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(str(path))
    assert image.shape[:2] == (100, 200)


def test_tokens_cut_padding_and_label_axes(rng):
    # Self-attention scores of 6 steps, of which the last 2 are padding.
    scores = rng.dirichlet(np.ones(6), size=(2, 6))
    fig = plot_attention(scores, tokens=["a", "good", "film", "!"])
    axes = _heat_axes(fig)
    assert len(axes) == 2
    for ax in axes:
        assert ax.images[0].get_array().shape == (4, 4)
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert labels == ["a", "good", "film", "!"]
        assert [t.get_text() for t in ax.get_yticklabels()] == labels
    np.testing.assert_allclose(
        axes[1].images[0].get_array(), scores[1, :4, :4], rtol=1e-6
    )


def test_pooling_heads_as_rows(rng):
    weights = rng.dirichlet(np.ones(7), size=3)
    fig = plot_attention(
        weights, tokens=list("abcde"), row_labels=["h0", "h1", "h2"]
    )
    (ax,) = _heat_axes(fig)
    assert ax.images[0].get_array().shape == (3, 5)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["h0", "h1", "h2"]


def test_figure_to_array_matches_figure_size(rng):
    fig = plotting.attention_figure(
        rng.random((2, 3, 3)), figsize=(3, 2), dpi=40
    )
    array = plotting.figure_to_array(fig)
    assert array.shape == (80, 120, 3)
    assert array.dtype == np.uint8
    assert array.min() < array.max()


def test_rejects_bad_rank():
    with pytest.raises(ValueError, match=r"scores.shape=\(1, 2, 3, 4\)"):
        plot_attention(np.zeros((1, 2, 3, 4)))


def test_rejects_too_many_tokens():
    with pytest.raises(ValueError, match=r"len\(tokens\)=4"):
        plot_attention(np.ones(3) / 3, tokens=list("abcd"))


def test_rejects_empty_tokens():
    # It cut the maps to no steps and drew empty panels.
    with pytest.raises(ValueError, match=r"at least one label.*tokens=\[\]"):
        plot_attention(np.ones(3) / 3, tokens=[])


def test_rejects_a_string_as_tokens():
    # It used to label one step per character.
    with pytest.raises(ValueError, match="Received: tokens='abcd'"):
        plot_attention(np.ones(4) / 4, tokens="abcd")


def test_scores_straight_from_a_layer_call():
    # On PyTorch these scores require grad, which a plain `np.asarray`
    # refuses.
    from keras_memattn.layers import MultiHeadSelfAttention

    x = np.random.default_rng(0).standard_normal((1, 5, 8)).astype("float32")
    _, scores = MultiHeadSelfAttention(2, 4)(x, return_attention_scores=True)
    fig = plot_attention(scores[0], tokens=list("abcde"))
    assert len(_heat_axes(fig)) == 2


def test_format_follows_the_extension(tmp_path, rng):
    weights = rng.dirichlet(np.ones(4))
    svg = tmp_path / "weights.svg"
    pdf = tmp_path / "weights.PDF"
    bare = tmp_path / "weights"
    for path in (svg, pdf, bare):
        plot_attention(weights, path=path)
    assert b"<svg" in svg.read_bytes()[:500]
    assert pdf.read_bytes().startswith(b"%PDF")
    assert bare.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_rejects_unknown_extension(tmp_path, rng):
    path = tmp_path / "weights.txt"
    with pytest.raises(ValueError, match=r"path=.*weights\.txt"):
        plot_attention(rng.dirichlet(np.ones(4)), path=path)
    assert not path.exists()


@pytest.mark.parametrize(
    "scores, found",
    [
        (np.array([[np.nan, 0.5, 0.5], [0.2, 0.3, 0.5]]), "1 NaN and 0"),
        (np.full((2, 3, 3), np.nan), "18 NaN and 0"),
        # An infinity gave the panel a colour scale of (-0.1, 0.1).
        (np.array([np.inf, 0.5, 0.5]), "0 NaN and 1 infinite"),
    ],
)
def test_rejects_scores_that_are_not_finite(scores, found):
    # A NaN was drawn as a blank cell without a word.
    with pytest.raises(ValueError, match=rf"finite.*{found}.*scores\.shape"):
        plot_attention(scores)


@pytest.mark.parametrize("shape", [(0,), (2, 0), (2, 0, 0)])
def test_rejects_empty_scores(shape):
    # It drew empty panels, with matplotlib warnings.
    with pytest.raises(ValueError, match=r"no values.*scores\.shape=\("):
        plot_attention(np.zeros(shape))

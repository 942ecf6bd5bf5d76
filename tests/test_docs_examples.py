"""The Python examples in README.md and docs/ run as printed.

Each page's ```python blocks run in order in one namespace, as a reader
pasting them into one session would, in a temporary working directory. A
few blocks continue from prose rather than from an earlier block (they use
a trained `model` or arrays such as `x_train`); `SETUP` gives them those
names with small stand-ins, run before the block. `Model.fit` is limited to
one epoch of two batches of 16 (unless the example sets its own batch size)
and one validation batch, so that examples written for real training
budgets stay cheap; everything else (loading the datasets, building,
compiling, saving, callbacks, export) runs as written. Data comes from
`$KERAS_MEMATTN_DATA` (see `conftest.py`).
"""

import pathlib
import re

import keras
import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = ["README.md"] + sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md")
)
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
BACKEND = keras.backend.backend()

_TEXT_MODEL = """
import keras
import numpy as np
import keras_memattn

model = keras.Sequential(
    [
        keras.Input((None,), dtype="int32"),
        keras.layers.Embedding(100, 8, mask_zero=True),
        keras_memattn.layers.WorkingMemoryLSTM(8),
        keras.layers.Dense(2, activation="softmax"),
    ]
)
x_test = np.random.default_rng(0).integers(1, 100, size=(4, 6))
"""

_MR = """
import numpy as np
import keras_memattn

texts, labels = keras_memattn.datasets.load_mr()
texts, labels = texts[::50], labels[::50]  # both classes, 214 texts
vectorizer = keras_memattn.datasets.TextVectorizer().fit(texts[:160])
x_train, y_train = vectorizer(texts[:160]), labels[:160]
x_val, y_val = vectorizer(texts[160:]), labels[160:]
model = keras_memattn.models.text_classifier(
    encoder="gru", units=8, embedding_dim=8, vectorizer=vectorizer,
    class_names=["negative", "positive"],
)
model.compile("adam", "sparse_categorical_crossentropy")
"""

_BABI = """
import keras
import keras_memattn
from keras_memattn.datasets import load_babi

(stories, queries, answers), test, vocabulary = load_babi(task=1)
story = keras.Input(stories.shape[1:], dtype="int32")
query = keras.Input(queries.shape[1:], dtype="int32")
logits = keras_memattn.layers.MemoryNetwork(
    vocabulary_size=len(vocabulary), embedding_dim=8, linear_start=True
)([story, query])
model = keras.Model([story, query], logits)
model.compile(
    "adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True)
)
"""

_DISTRIBUTED = """
import numpy as np

x, y = vectorizer(train_texts[:64]), np.asarray(train_labels[:64])
class_names = ["negative", "positive"]
"""

# (page, first line of the block) -> code run before that block.
SETUP = {
    ("docs/export.md", "import keras_memattn"): _TEXT_MODEL,
    ("docs/getting-started.md", "model.fit(x_train, y_train, "): _MR,
    ("docs/getting-started.md", "distribution = "): _DISTRIBUTED,
    ("docs/layers/memory_network.md", "memory = "): _BABI,
}

# Pages (or blocks, by their first line) that need something the active
# backend does not have, with the reason.
NEEDS = {
    "docs/export.md": (
        BACKEND == "tensorflow",
        "converts in this process on TensorFlow; the other backends' route "
        "(a TensorFlow child process) is covered by tests/export",
    ),
}
BLOCK_NEEDS = {
    ("docs/getting-started.md", "distribution = "): (
        BACKEND == "jax",
        "Keras' distribution API is JAX-only; on other backends the block "
        "must raise the documented ValueError",
    ),
}


def _blocks(page):
    return BLOCK.findall((ROOT / page).read_text(encoding="utf-8"))


def _key(page, code):
    for p, start in list(SETUP) + list(BLOCK_NEEDS):
        if p == page and code.startswith(start):
            return (p, start)
    return None


def _short_fit(fit):
    def wrapped(self, *args, **kwargs):
        kwargs["epochs"] = 1
        kwargs["steps_per_epoch"] = 2
        kwargs["validation_steps"] = 1
        # Without a batch size, Keras splits arrays into `steps_per_epoch`
        # batches, which would make the two steps cover all the data.
        kwargs.setdefault("batch_size", 16)
        kwargs.setdefault("verbose", 0)
        return fit(self, *args, **kwargs)

    return wrapped


def test_pages_have_examples():
    # Guards against the pattern silently matching nothing.
    counts = {page: len(_blocks(page)) for page in PAGES}
    assert counts["README.md"] >= 1
    assert counts["docs/getting-started.md"] >= 4
    assert sum(counts.values()) >= 20


def test_setup_keys_name_existing_blocks():
    for page, start in list(SETUP) + list(BLOCK_NEEDS):
        assert any(code.startswith(start) for code in _blocks(page)), (
            page,
            start,
        )


@pytest.mark.parametrize(
    "page", [p for p in PAGES if _blocks(p)], ids=lambda p: p
)
def test_page_examples_run(page, tmp_path, monkeypatch):
    available, reason = NEEDS.get(page, (True, ""))
    if not available:
        pytest.skip(reason)
    if page == "docs/export.md":
        pytest.importorskip("ai_edge_litert")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(keras.Model, "fit", _short_fit(keras.Model.fit))
    namespace = {"__name__": "__docs__"}
    for index, code in enumerate(_blocks(page)):
        key = _key(page, code)
        if key in SETUP:
            exec(compile(SETUP[key], f"{page}:setup", "exec"), namespace)
        where = f"{page}, python block {index + 1}"
        compiled = compile(code, where, "exec")
        block_ok, _ = BLOCK_NEEDS.get(key, (True, ""))
        if not block_ok:
            with pytest.raises(ValueError, match="JAX"):
                exec(compiled, namespace)
            continue
        exec(compiled, namespace)
    # What the examples compute is finite.
    for name in ("probabilities", "scores", "w", "weights"):
        if name in namespace:
            for value in keras.tree.flatten(namespace[name]):
                if isinstance(value, keras.KerasTensor):
                    continue
                value = keras.ops.convert_to_numpy(value)
                assert np.all(np.isfinite(value)), (page, name)

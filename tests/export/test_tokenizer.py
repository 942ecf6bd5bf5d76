"""The tokenizer JSON of a text classifier, and the app that reads it.

`examples/tflite_app.py` encodes text from the JSON without Keras or the
package; these tests hold it to `TextVectorizer.encode` on hand-picked and
random Unicode text, and (where conversion runs in this process) check that
it classifies raw text with the `.tflite` file as the Keras model does.
"""

import argparse
import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

import keras_memattn
from keras_memattn.datasets import TextVectorizer
from keras_memattn.export import cli

ROOT = pathlib.Path(__file__).resolve().parents[2]
APP_PATH = ROOT / "examples" / "tflite_app.py"
ON_TF = keras.backend.backend() == "tensorflow"


def _load_app():
    spec = importlib.util.spec_from_file_location("tflite_app", APP_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()

TRAIN = [
    "A good film, isn't it?",
    "Don’t watch: a BAD film!!",
    "Café crème — naïve résumé; rock'n'roll.",
    "Ça va? Ünïcödé wörds & $5.99 (cheap)",
    "नमस्ते दुनिया, हिन्दी पाठ",
    "日本語のテキスト。中文文本！",
    "under_score snake_case x__y",
]
TRICKY = TRAIN + [
    "",
    "   ",
    "good good good good good good good good good good good good",
    "e\u0301te\u0301 (decomposed accents)",
    "don\u2019t won\u02bct ’quoted’ it’",
    "'leading and trailing' apostrophes' ''",
    "\u0301 a mark with no word before it",
    "İstanbul ΣΊΣΥΦΟΣ straße",
    "emoji 😀👍🏽 and \U0001d400 maths",
    "tabs\tand\nnewlines\u00a0nbsp\u2003em-space",
    "x'",
]


def _vectorizers():
    return {
        "words": TextVectorizer(sequence_length=12).fit(TRAIN),
        "keep_case": TextVectorizer(lowercase=False, sequence_length=9).fit(
            TRAIN
        ),
        "subwords": TextVectorizer(
            subword_ngrams=(2, 4), subword_buckets=97, max_subwords=6
        ).fit(TRAIN),
    }


def _spec(vectorizer, tmp_path, name="t.tokenizer.json"):
    path = keras_memattn.export.save_tokenizer(vectorizer, tmp_path / name)
    return app.load_tokenizer(path)


@pytest.mark.parametrize("kind", ["words", "keep_case", "subwords"])
def test_app_encodes_as_the_vectorizer(kind, tmp_path):
    vectorizer = _vectorizers()[kind]
    spec = _spec(vectorizer, tmp_path)
    for text in TRICKY:
        assert app.tokenize(text, vectorizer.lowercase) == (
            vectorizer.tokenize(text)
        ), text
    np.testing.assert_array_equal(app.encode(TRICKY, spec), vectorizer(TRICKY))


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=40)
    | st.text(alphabet="aéB’ʼ'_ \u0301\u0903!?.-1٣", max_size=30),
    lowercase=st.booleans(),
)
def test_app_tokenizes_random_unicode_as_the_vectorizer(text, lowercase):
    vectorizer = TextVectorizer(lowercase=lowercase)
    assert app.tokenize(text, lowercase) == vectorizer.tokenize(text)


def test_saved_file_holds_what_the_app_needs(tmp_path):
    vectorizer = _vectorizers()["subwords"]
    path = keras_memattn.export.save_tokenizer(
        vectorizer, tmp_path / "new" / "t.json", class_names=["neg", "pos"]
    )
    assert path == str(tmp_path / "new" / "t.json")
    with open(path, encoding="utf-8") as f:
        config = json.load(f)
    assert config["format"] == "keras-memattn-tokenizer"
    assert config["version"] == 1
    assert config["vocabulary"][:2] == ["", "[UNK]"]
    assert config["vocabulary"][2:] == vectorizer.vocabulary
    assert config["lowercase"] is True
    assert config["sequence_length"] == vectorizer.sequence_length
    assert config["input_shape"] == [vectorizer.sequence_length, 7]
    assert config["subwords"] == {
        "min_n": 2,
        "max_n": 4,
        "buckets": 97,
        "max_subwords": 6,
    }
    assert config["class_names"] == ["neg", "pos"]
    # Non-ASCII words are stored as text, readable in the file.
    assert "café" in config["vocabulary"]
    with open(path, encoding="utf-8") as f:
        assert "café" in f.read()


def _classifier(vectorizer, class_names=("neg", "pos")):
    return keras_memattn.models.text_classifier(
        encoder="gru",
        units=4,
        embedding_dim=4,
        pooling="mean",
        vectorizer=vectorizer,
        class_names=list(class_names),
        wide_ngrams=2,
        wide_buckets=50,
    )


def test_model_gives_its_vectorizer_and_class_names(tmp_path):
    vectorizer = _vectorizers()["subwords"]
    model = _classifier(vectorizer, ["bad", "good"])
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path, compile=False)
    with_nb = keras_memattn.models.add_naive_bayes(
        loaded, vectorizer(TRAIN), np.array([0, 1] * 3 + [0])
    )
    for candidate in (model, loaded, with_nb):
        spec = _spec(candidate, tmp_path)
        assert spec["class_names"] == ["bad", "good"]
        np.testing.assert_array_equal(
            app.encode(TRICKY, spec), vectorizer(TRICKY)
        )
    # Names given explicitly win over the stored ones.
    out = keras_memattn.export.save_tokenizer(
        model, tmp_path / "x.json", class_names=["n", "p"]
    )
    assert app.load_tokenizer(out)["class_names"] == ["n", "p"]


def test_bad_input_is_a_clear_error(tmp_path):
    save = keras_memattn.export.save_tokenizer
    plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="holds no `TextVectorizer`"):
        save(plain, tmp_path / "t.json")
    with pytest.raises(ValueError, match="no vocabulary yet"):
        save(TextVectorizer(), tmp_path / "t.json")
    with pytest.raises(ValueError, match="Received: path="):
        save(_vectorizers()["words"], tmp_path)
    with pytest.raises(ValueError, match="class_names='pos'"):
        save(_vectorizers()["words"], tmp_path / "t.json", class_names="pos")
    with pytest.raises(TypeError, match="Received: vectorizer=3"):
        keras_memattn.export.tokenizer_config(3)
    assert not (tmp_path / "t.json").exists()


def test_app_rejects_other_files(tmp_path):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "something"}))
    with pytest.raises(ValueError, match="not a keras-memattn tokenizer"):
        app.load_tokenizer(other)
    newer = tmp_path / "newer.json"
    newer.write_text(
        json.dumps({"format": "keras-memattn-tokenizer", "version": 2})
    )
    with pytest.raises(ValueError, match="version 2"):
        app.load_tokenizer(newer)


@pytest.mark.parametrize(
    "output, expected",
    [
        ("out/model.tflite", "out/model.tokenizer.json"),
        ("model.TFLITE", "model.tokenizer.json"),
        ("model.bin", "model.bin.tokenizer.json"),
        ("model", "model.tokenizer.json"),
    ],
)
def test_cli_tokenizer_path(output, expected):
    assert cli.tokenizer_path(output) == expected


# Conversion runs in this process on TensorFlow only; on JAX and PyTorch
# each conversion is a TensorFlow child process (5-20 s), so these run in
# the slow suite there.
export_test = pytest.mark.export if ON_TF else pytest.mark.slow


def _export(argv, capsys):
    parser = argparse.ArgumentParser(prog="memattn")
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["export", *argv])
    code = args.run(args)
    return code, capsys.readouterr()


@export_test
@pytest.mark.parametrize("batch_size", [1, 3])
def test_app_classifies_text_as_the_keras_model(batch_size, tmp_path, capsys):
    pytest.importorskip("ai_edge_litert")
    vectorizer = _vectorizers()["subwords"]
    model = _classifier(vectorizer)
    model_path = tmp_path / "model.keras"
    model.save(model_path)
    out = tmp_path / "phone" / "model.tflite"
    code, captured = _export(
        [str(model_path), str(out), "--batch-size", str(batch_size)], capsys
    )
    assert code == 0, captured.err
    tokenizer_file = tmp_path / "phone" / "model.tokenizer.json"
    assert f"wrote {tokenizer_file}" in captured.out
    spec = app.load_tokenizer(tokenizer_file)
    # Seven texts: with batch size 3 the last batch is padded.
    texts = TRICKY[:7]
    probabilities = app.classify(str(out), spec, texts)
    expected = model.predict(vectorizer(texts), verbose=0)
    assert probabilities.shape == (7, 2)
    np.testing.assert_allclose(probabilities, expected, atol=1e-5)


@export_test
def test_app_script_prints_the_class_names(tmp_path, capsys):
    pytest.importorskip("ai_edge_litert")
    model = _classifier(_vectorizers()["words"], ["bad", "good"])
    model_path = tmp_path / "model.keras"
    model.save(model_path)
    out = tmp_path / "model.tflite"
    assert _export([str(model_path), str(out)], capsys)[0] == 0
    result = subprocess.run(
        [
            sys.executable,
            str(APP_PATH),
            str(out),
            str(tmp_path / "model.tokenizer.json"),
            "a good film",
            "Don’t watch it!",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, PYTHONPATH=""),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    for line, text in zip(lines, ["a good film", "Don’t watch it!"]):
        label, probability, shown = line.split("\t")
        assert label in ("bad", "good")
        assert 0.5 <= float(probability) <= 1.0
        assert shown == text


@export_test
def test_cli_writes_no_tokenizer_for_other_models(tmp_path, capsys):
    pytest.importorskip("ai_edge_litert")
    model = keras.Sequential(
        [
            keras.Input((5,), dtype="int32"),
            keras.layers.Embedding(10, 4),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(2),
        ]
    )
    model_path = tmp_path / "model.keras"
    model.save(model_path)
    out = tmp_path / "model.tflite"
    code, captured = _export([str(model_path), str(out)], capsys)
    assert code == 0, captured.err
    assert captured.out.count("wrote ") == 1, captured.out
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "model.keras",
        "model.tflite",
    ]


@export_test
def test_cli_tokenizer_that_cannot_be_written_removes_the_file(
    tmp_path, capsys
):
    pytest.importorskip("ai_edge_litert")
    model = _classifier(_vectorizers()["words"])
    model_path = tmp_path / "model.keras"
    model.save(model_path)
    (tmp_path / "out" / "m.tokenizer.json").mkdir(parents=True)
    out = tmp_path / "out" / "m.tflite"
    code, captured = _export([str(model_path), str(out)], capsys)
    assert code == 2
    assert captured.out == ""
    err = captured.err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(
        f"memattn: error: cannot write the tokenizer {out.parent}"
    )
    assert f"so {out} was removed" in err
    assert not out.exists()

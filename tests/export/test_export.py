"""TF-Lite export: builtin ops only, LiteRT output equal to Keras.

Conversion needs the TensorFlow backend. On TensorFlow the tests convert in
this process; on JAX and PyTorch `test_export_from_active_backend` (and,
marked slow there, `test_cli_export_and_verify`) exercise the documented
route: a `.keras` file converted in a TensorFlow child process.
"""

import inspect
import os
import sys
import zipfile

import keras
import numpy as np
import pytest

import keras_memattn
from keras_memattn import export
from keras_memattn.export import cli
from tests.export import export_cases

pytestmark = pytest.mark.export

ON_TF = keras.backend.backend() == "tensorflow"
tf_only = pytest.mark.skipif(
    not ON_TF,
    reason="in-process conversion needs the TensorFlow backend; this "
    "backend's route is covered by test_export_from_active_backend",
)
FLOAT_ATOL = 1e-5
# On JAX and torch each conversion runs in a TensorFlow child process (5-20 s);
# test_export_from_active_backend covers that route in the default run.
slow_unless_tf = pytest.mark.export if ON_TF else pytest.mark.slow


def _has_variable_time(model):
    return any(
        len(t.shape) > 1 and t.shape[1] is None
        for t in keras.tree.flatten(model.input)
    )


def _longer(inputs, extra=2):
    """Same samples with `extra` padding steps appended on axis 1."""
    return keras.tree.map_structure(
        lambda x: np.concatenate(
            [x, np.zeros(x.shape[:1] + (extra,) + x.shape[2:], x.dtype)], 1
        ),
        inputs,
    )


def test_every_public_layer_has_an_export_case():
    public = [
        name
        for name, value in vars(keras_memattn.layers).items()
        if inspect.isclass(value)
        and issubclass(value, keras.layers.Layer)
        and not name.startswith("_")
    ]
    covered = {name.split("(")[0] for name in export_cases.LAYER_CASES}
    missing = sorted(set(public) - covered)
    assert not missing, f"no export case in export_cases.py for {missing}"


def test_every_example_model_has_an_export_case():
    # Model builders are the public functions documented as "Builds ...".
    builders = [
        name
        for name, value in vars(keras_memattn.models).items()
        if inspect.isfunction(value)
        and not name.startswith("_")
        and (value.__doc__ or "").lstrip().startswith("Builds")
    ]
    assert "text_classifier" in builders
    covered = {name.split("/")[0] for name in export_cases.MODEL_CASES}
    assert set(builders) <= covered, sorted(set(builders) - covered)
    for encoder in keras_memattn.models.ENCODERS:
        assert f"text_classifier/{encoder}" in export_cases.MODEL_CASES


@tf_only
@pytest.mark.parametrize(
    "name",
    export_cases.params(export_cases.LAYER_CASES)
    + export_cases.params(export_cases.MODEL_CASES),
)
def test_float_export_matches_keras(name, tmp_path):
    cases = {**export_cases.LAYER_CASES, **export_cases.MODEL_CASES}
    case = cases[name]()
    path = export.to_tflite(case.model, tmp_path / "model.tflite")

    ops = export.check_builtin_ops(path)
    report = export.verify_tflite(path, case.model, case.inputs)
    assert report.max_abs_diff < FLOAT_ATOL, report.summary()
    assert report.ops == dict(ops)
    assert report.size_bytes == os.path.getsize(path)
    assert report.max_abs_output > 0
    recurrent = any(
        isinstance(layer, keras.layers.RNN) and not layer.unroll
        for layer in case.model._flatten_layers()
    )
    assert ("WHILE" in ops) == recurrent, sorted(ops)
    if _has_variable_time(case.model):
        # The time axis stays variable: a longer input is resized in.
        longer = export.verify_tflite(path, case.model, _longer(case.inputs))
        assert longer.max_abs_diff < FLOAT_ATOL, longer.summary()


def _wide_lstm_model(units=32):
    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(200, 32, mask_zero=True)(inputs)
    x = keras.layers.LSTM(units)(x)
    return keras.Model(inputs, keras.layers.Dense(4)(x))


def _ids(batch=4, steps=8, high=200, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(1, high, size=(batch, steps)).astype("int32")


def _quantized_sizes(tmp_path, modes):
    model = _wide_lstm_model()
    x = _ids()
    sizes = {}
    for mode in modes:
        path = export.to_tflite(
            model,
            tmp_path / f"{mode}.tflite",
            quantize=mode,
            # Read by quantize="int8" only: an empty one used to be refused.
            representative_data=[],
        )
        report = export.verify_tflite(path, model, x)
        sizes[mode] = report.size_bytes
        limit = {None: 1e-6, "dynamic": 0.05, "float16": 1e-2}[mode]
        assert report.relative_diff < limit, (mode, report.summary())
        assert "WHILE" in report.ops
    return sizes


@tf_only
def test_dynamic_range_is_smaller_and_close(tmp_path):
    sizes = _quantized_sizes(tmp_path, (None, "dynamic"))
    assert sizes["dynamic"] < 0.5 * sizes[None], sizes


@tf_only
@pytest.mark.slow
def test_float16_is_smaller_and_close(tmp_path):
    sizes = _quantized_sizes(tmp_path, (None, "float16"))
    assert sizes["float16"] < 0.7 * sizes[None], sizes


@tf_only
def test_fixed_batch_and_sequence_length(tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    model = _wide_lstm_model(units=8)
    path = export.to_tflite(
        model, tmp_path / "b2.tflite", batch_size=2, sequence_length=8
    )
    detail = Interpreter(model_path=path).get_input_details()[0]
    assert list(detail["shape_signature"]) == [2, 8]
    # Three samples: the second batch is padded and trimmed again.
    report = export.verify_tflite(path, model, _ids(batch=3))
    assert report.outputs[0].shape == (3, 4)
    assert report.max_abs_diff < FLOAT_ATOL, report.summary()


@tf_only
def test_full_integer_attention_model(tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(200, 16)(inputs)
    x = keras_memattn.layers.MultiHeadSelfAttention(2, 8)(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    model = keras.Model(inputs, keras.layers.Dense(4)(x))
    path = export.to_tflite(
        model,
        tmp_path / "int8.tflite",
        sequence_length=8,
        quantize="int8",
        # NumPy's default int64 ids feed the int32 input (they failed).
        representative_data=_ids(batch=64, seed=1).astype("int64"),
    )
    interpreter = Interpreter(model_path=path)
    dtypes = {d["dtype"] for d in interpreter.get_tensor_details()}
    assert np.int8 in dtypes
    assert interpreter.get_input_details()[0]["dtype"] == np.int32
    assert interpreter.get_output_details()[0]["dtype"] == np.float32
    report = export.verify_tflite(path, model, _ids(batch=16, seed=2))
    assert report.relative_diff < 0.1, report.summary()


@tf_only
@pytest.mark.slow
def test_full_integer_recurrent_model_works_or_says_why(tmp_path):
    model = _wide_lstm_model(units=8)
    try:
        path = export.to_tflite(
            model,
            tmp_path / "int8.tflite",
            quantize="int8",
            representative_data=_ids(batch=32),
        )
    except export.TFLiteExportError as e:
        assert "unroll=True" in str(e)
        assert "dynamic" in str(e)
    else:
        report = export.verify_tflite(path, model, _ids(batch=8))
        assert report.relative_diff < 0.5, report.summary()


@tf_only
@pytest.mark.slow
def test_full_integer_unrolled_lstm(tmp_path):
    inputs = keras.Input((8,), dtype="int32")
    x = keras.layers.Embedding(200, 16)(inputs)
    x = keras.layers.LSTM(16, unroll=True)(x)
    model = keras.Model(inputs, keras.layers.Dense(4)(x))
    path = export.to_tflite(
        model,
        tmp_path / "int8.tflite",
        quantize="int8",
        representative_data=_ids(batch=64),
    )
    report = export.verify_tflite(path, model, _ids(batch=8, seed=3))
    assert "WHILE" not in report.ops
    assert report.relative_diff < 0.5, report.summary()


@keras.saving.register_keras_serializable(package="keras_memattn_tests")
class _Cumprod(keras.layers.Layer):
    """`cumprod` has no TF-Lite builtin kernel."""

    def call(self, x):
        return keras.ops.cumprod(x, axis=1)


def _cumprod_model():
    inputs = keras.Input((4, 3))
    return keras.Model(inputs, _Cumprod()(inputs))


@tf_only
def test_op_without_builtin_is_named(tmp_path):
    path = tmp_path / "new" / "cumprod.tflite"
    with pytest.raises(export.TFLiteExportError, match="tf.Cumprod"):
        export.to_tflite(_cumprod_model(), path)
    # Neither the file nor the folder made for it is left behind.
    assert not (tmp_path / "new").exists()


@tf_only
def test_flex_op_in_a_file_is_named(tmp_path):
    import tensorflow as tf

    model = _cumprod_model()
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS,
        tf.lite.OpsSet.SELECT_TF_OPS,
    ]
    content = converter.convert()
    assert export.list_ops(content)["FlexCumprod"] == 1
    with pytest.raises(export.TFLiteExportError, match="FlexCumprod"):
        export.check_builtin_ops(content)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"quantize": "int4"}, "quantize"),
        ({"batch_size": 0}, "batch_size"),
        ({"sequence_length": -3}, "sequence_length"),
        ({"quantize": "int8"}, "representative_data"),
    ],
)
def test_invalid_arguments(kwargs, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        export.to_tflite(_wide_lstm_model(4), tmp_path / "m.tflite", **kwargs)


def test_folder_path_and_empty_inputs_are_rejected_up_front(tmp_path):
    # A folder used to fail with IsADirectoryError after the conversion.
    with pytest.raises(ValueError, match="`path` names a folder"):
        export.to_tflite(_wide_lstm_model(4), tmp_path)
    # Not a model: refused before the folders for `path` are made (it was
    # an AttributeError, with the folders left behind).
    with pytest.raises(ValueError, match="Received: model=None"):
        export.to_tflite(None, tmp_path / "new" / "m.tflite")
    assert not (tmp_path / "new").exists()
    with pytest.raises(ValueError, match="at least one sample"):
        export.verify_tflite(tmp_path / "m.tflite", None, np.zeros((0, 5)))


@pytest.mark.parametrize("module", ["tensorflow", "ai_edge_litert"])
def test_missing_export_packages_name_the_extra(module, tmp_path, monkeypatch):
    # On JAX and PyTorch a missing TensorFlow used to surface as the
    # conversion process's ModuleNotFoundError traceback.
    model = _wide_lstm_model(4)
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=r"keras-memattn\[export\]"):
        export.to_tflite(model, tmp_path / "new" / "m.tflite")
    assert not (tmp_path / "new").exists()


def test_missing_litert_names_the_extra(tmp_path, monkeypatch):
    for name in ("", ".interpreter", ".schema_py_generated"):
        monkeypatch.setitem(sys.modules, "ai_edge_litert" + name, None)
    for call in (
        lambda: export.list_ops(b""),
        lambda: export.check_builtin_ops(b""),
        lambda: export.verify_tflite(tmp_path / "m.tflite", None, _ids()),
    ):
        with pytest.raises(ImportError, match=r"keras-memattn\[export\]"):
            call()


def test_keras_quantized_model_is_rejected(tmp_path):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(3)(inputs))
    model.quantize("int8")
    with pytest.raises(export.TFLiteExportError, match="quantization_mode"):
        export.to_tflite(model, tmp_path / "m.tflite")


def _small_package_model():
    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(50, 8, mask_zero=True)(inputs)
    x = keras_memattn.layers.WorkingMemoryLSTM(8, return_sequences=True)(x)
    x = keras_memattn.layers.AttentionPooling()(x)
    return keras.Model(inputs, keras.layers.Dense(3)(x))


def test_export_from_active_backend(tmp_path):
    # On JAX and torch this saves `.keras` and converts in a TensorFlow
    # child process; the weights must arrive unchanged.
    model = _small_package_model()
    x = _ids(batch=3, steps=6, high=50)
    x[0, 4:] = 0
    path = export.to_tflite(model, tmp_path / "model.tflite")
    report = export.verify_tflite(path, model, x)
    assert report.max_abs_diff < FLOAT_ATOL, report.summary()
    assert "WHILE" in report.ops
    # Inputs of another rank: LiteRT's own error was a RuntimeError.
    with pytest.raises(ValueError, match=r"ranks \[2\].*shapes \[\(6,\)\]"):
        export.verify_tflite(path, model, x[0])


@slow_unless_tf
def test_verify_reports_nan_outputs_as_a_difference(tmp_path):
    # The builtin `max(0.0, nan)` is 0.0: a NaN read as a perfect match.
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    path = export.to_tflite(model, tmp_path / "dense.tflite")
    x = np.ones((4, 3), "float32")

    class NanModel:
        def predict(self, inputs, **kwargs):
            outputs = np.array(model.predict(inputs, verbose=0))
            outputs[1, 0] = np.nan
            return outputs

    report = export.verify_tflite(path, NanModel(), x)
    assert np.isnan(report.max_abs_diff), report.summary()
    assert not report.max_abs_diff < FLOAT_ATOL
    assert export.verify_tflite(path, model, x).max_abs_diff < FLOAT_ATOL


@slow_unless_tf
def test_cli_export_and_verify(tmp_path, capsys):
    import argparse

    model = _small_package_model()
    model_path = str(tmp_path / "model.keras")
    model.save(model_path)
    out = str(tmp_path / "model.tflite")
    parser = argparse.ArgumentParser(prog="memattn")
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["export", model_path, out, "--quantize", "dynamic", "--verify"]
    )
    assert args.run(args) == 0
    printed = capsys.readouterr().out
    assert os.path.exists(out)
    assert "max abs diff vs Keras" in printed
    assert "WHILE" in printed


def test_cli_int8_needs_data(tmp_path, capsys):
    import argparse

    parser = argparse.ArgumentParser(prog="memattn")
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["export", "m.keras", str(tmp_path / "m.tflite"), "--quantize", "int8"]
    )
    assert cli.run(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("memattn: error: --quantize int8 needs")
    assert "--representative-data" in captured.err


def test_cli_missing_files_are_one_line_errors(tmp_path, capsys):
    # A missing model or calibration file used to print `error:` on stdout
    # with status 1, or a FileNotFoundError traceback.
    import argparse

    model_path = tmp_path / "m.keras"
    _small_package_model().save(model_path)
    parser = argparse.ArgumentParser(prog="memattn")
    cli.add_parser(parser.add_subparsers(dest="command"))
    out = str(tmp_path / "sub" / "m.tflite")
    missing_npy = str(tmp_path / "missing.npy")
    bad_npz = tmp_path / "bad.npz"
    bad_npz.write_text("not an archive")
    empty_npz = tmp_path / "empty.npz"
    np.savez(empty_npz)
    npy = tmp_path / "data.npy"
    np.save(npy, np.zeros((2, 5), "int32"))
    not_a_zip = tmp_path / "notes.keras"
    not_a_zip.write_text("not a model")
    not_a_model = tmp_path / "empty.keras"
    with zipfile.ZipFile(not_a_model, "w") as archive:
        archive.writestr("notes.txt", "no model here")
    for argv, match in [
        ([str(tmp_path / "nope.keras"), out], "nope.keras does not exist"),
        (
            [str(model_path), out, "--quantize", "int8"]
            + ["--representative-data", missing_npy],
            f"--representative-data {missing_npy} does not exist",
        ),
        (
            [str(model_path), out, "--quantize", "int8"]
            + ["--representative-data", str(bad_npz)],
            f"cannot read --representative-data {bad_npz}",
        ),
        (
            [str(model_path), out, "--quantize", "int8"]
            + ["--representative-data", str(empty_npz)],
            "holds no arrays",
        ),
        (
            [str(model_path), out, "--representative-data", str(npy)],
            "only with --quantize int8. Received: --representative-data with "
            "no --quantize",
        ),
        ([str(model_path), out, "--sequence-length", "0"], "Received: "),
        # A file that holds no Keras model used to end in a traceback.
        (
            [str(not_a_model), out],
            f"Cannot load a Keras model from {not_a_model}",
        ),
        # Keras said "File not found" of a file that is not a zip archive.
        (
            [str(not_a_zip), out],
            f"Cannot load a Keras model from {not_a_zip}: it is not a "
            ".keras file",
        ),
    ]:
        args = parser.parse_args(["export", *argv])
        assert cli.run(args) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        err = captured.err.strip()
        assert len(err.splitlines()) == 1, err
        assert err.startswith("memattn: error: ") and match in err, err
    assert not (tmp_path / "sub").exists()


@tf_only
def test_sequential_model_exports(tmp_path):
    # `keras.Sequential` has no `input` of its own in Keras 3.
    model = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(50, 8, mask_zero=True),
            keras_memattn.layers.MANNLayer(8, memory_size=4, memory_width=3),
            keras.layers.Dense(3),
        ]
    )
    path = export.to_tflite(model, tmp_path / "sequential.tflite")
    report = export.verify_tflite(path, model, _ids(batch=3, steps=6, high=50))
    assert report.max_abs_diff < FLOAT_ATOL, report.summary()


def test_representative_batches_keep_every_sample():
    from keras_memattn.export import tflite

    data = np.arange(7)[:, None]
    batches = list(tflite._iter_batches(data, 4))
    assert [b[0].ravel().tolist() for b in batches] == [
        [0, 1, 2, 3],
        [4, 5, 6, 0],
    ]
    # Fewer samples than a batch still make one (repeated) batch.
    assert [
        b[0].ravel().tolist() for b in tflite._iter_batches(data[:3], 4)
    ] == [[0, 1, 2, 0]]
    # A generator is read once and can then be read again.
    stream = tflite._fixed_representative(x for x in (data[:2], data[2:5]))
    assert len(list(tflite._iter_batches(stream, 1))) == 5
    assert len(list(tflite._iter_batches(stream, 1))) == 5
    with pytest.raises(ValueError, match="0 samples"):
        tflite._fixed_representative(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="0 samples"):
        tflite._fixed_representative(iter([]))
    # An empty list is no samples, not an empty list of input arrays.
    with pytest.raises(ValueError, match="type list with 0 samples"):
        tflite._fixed_representative([])
    # Nested lists of numbers are one array (they were a TypeError).
    nested = tflite._fixed_representative([[1, 2, 3]] * 4)
    assert [b[0].shape for b in tflite._iter_batches(nested, 2)] == [(2, 3)] * 2


def _subword_wide_classifier():
    """A small text classifier with subwords (7 buckets) and a wide part;
    returns the model and its vectorizer."""
    vectorizer = keras_memattn.datasets.TextVectorizer(
        subword_ngrams=(2, 3), subword_buckets=7, max_subwords=4
    ).fit(["a good film", "a bad film", "fine acting"])
    model = keras_memattn.models.text_classifier(
        encoder="gru",
        units=4,
        embedding_dim=4,
        pooling="mean",
        vectorizer=vectorizer,
        class_names=["neg", "pos"],
        wide_ngrams=2,
        wide_buckets=500,
    )
    return model, vectorizer


def test_sample_inputs_fit_a_subword_and_wide_text_classifier():
    # The wide part's Embedding has vocabulary + buckets rows: drawing word
    # ids below its size fed ids outside the word and n-gram tables.
    model, vectorizer = _subword_wide_classifier()
    ids = cli.sample_inputs(model, num_samples=64)
    assert ids.shape == (64, vectorizer.sequence_length, 5)
    assert ids.dtype == np.int32
    words, subwords = ids[..., 0], ids[..., 1:]
    assert 0 <= words.min() and words.max() < vectorizer.vocabulary_size
    assert 0 <= subwords.min() and subwords.max() <= 7
    assert subwords.max() == 7  # the whole range of n-gram ids
    # Models without a vectorizer keep the Embedding rule.
    plain = cli.sample_inputs(_wide_lstm_model(4), num_samples=64)
    assert plain.max() < 200 and plain.max() > 100


def test_sequence_length_that_a_fixed_time_axis_ignores_is_an_error(
    tmp_path,
):
    inputs = keras.Input((6,), dtype="int32")
    x = keras.layers.Embedding(50, 4)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    with pytest.raises(
        ValueError, match=r"fixed at 6.*Received: sequence_length=9"
    ):
        export.to_tflite(model, tmp_path / "m.tflite", sequence_length=9)
    vectors = keras.Input((3,))
    flat = keras.Model(vectors, keras.layers.Dense(2)(vectors))
    with pytest.raises(ValueError, match="fixed at 3"):
        export.to_tflite(flat, tmp_path / "m.tflite", sequence_length=4)
    assert not (tmp_path / "m.tflite").exists()
    from keras_memattn.export import tflite

    # The model's own length, or a variable time axis, is accepted.
    tflite._check_sequence_length(model, 6)
    tflite._check_sequence_length(_wide_lstm_model(4), 9)


def _export_with_fake_verify(tmp_path, monkeypatch, verify, out):
    """Runs `memattn export --verify` with a stand-in converter (which
    writes a few bytes) and `verify`; returns the exit status."""
    import argparse

    from keras_memattn.export import tflite

    def fake_export(model, path, **kwargs):
        with open(path, "wb") as f:
            f.write(b"converted")
        return path

    monkeypatch.setattr(tflite, "to_tflite", fake_export)
    monkeypatch.setattr(tflite, "verify_tflite", verify)
    model_path = tmp_path / "m.keras"
    _small_package_model().save(model_path)
    parser = argparse.ArgumentParser(prog="memattn")
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["export", str(model_path), str(out), "--verify"])
    return cli.run(args)


def test_cli_verify_failure_is_one_line_and_removes_the_file(
    tmp_path, capsys, monkeypatch
):
    pytest.importorskip("ai_edge_litert")

    def broken(path, model, inputs):
        raise RuntimeError("gather index out of bounds\nNode number 3")

    out = tmp_path / "new" / "m.tflite"
    assert _export_with_fake_verify(tmp_path, monkeypatch, broken, out) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"memattn: error: --verify failed, so {out} was")
    assert "gather index out of bounds Node number 3" in err
    assert not (tmp_path / "new").exists()


def test_cli_verify_fails_on_non_finite_outputs(tmp_path, capsys, monkeypatch):
    # A NaN output used to be printed as the difference, with status 0 and
    # the file kept.
    pytest.importorskip("ai_edge_litert")
    from keras_memattn.export import tflite

    def nan_report(path, model, inputs):
        nan = float("nan")
        return tflite.TFLiteReport(path, 9, {}, nan, 1.0, nan, 0.1, [], [])

    out = tmp_path / "m.tflite"
    assert _export_with_fake_verify(tmp_path, monkeypatch, nan_report, out) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"memattn: error: --verify failed, so {out} was")
    assert "differ from the Keras outputs by nan" in err
    assert not out.exists()


@slow_unless_tf
def test_cli_verify_subword_and_wide_text_classifier(tmp_path, capsys):
    import argparse

    model, _ = _subword_wide_classifier()
    model_path = str(tmp_path / "model.keras")
    model.save(model_path)
    out = str(tmp_path / "model.tflite")
    parser = argparse.ArgumentParser(prog="memattn")
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["export", model_path, out, "--verify"])
    assert args.run(args) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    diff = float(printed.split("max abs diff vs Keras: ")[1].split()[0])
    assert diff < FLOAT_ATOL, printed

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_memattn import _bench
from keras_memattn import cli

WORDS = {0: ["dull", "bad", "boring"], 1: ["great", "fine", "good"]}


def _write_tsv(path, n=60, seed=0, single_class=False):
    rng = np.random.default_rng(seed)
    lines = ["label\tsentence"]
    for i in range(n):
        label = 0 if single_class else i % 2
        words = rng.choice(WORDS[label], size=3).tolist() + ["film"]
        lines.append(f"{['neg', 'pos'][label]}\t{' '.join(words)}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _train_args(tmp_path, *extra):
    return [
        "train",
        "--train",
        str(_write_tsv(tmp_path / "train.tsv")),
        "--text-column",
        "sentence",
        "--encoder",
        "gru",
        "--pooling",
        "mean",
        "--units",
        "4",
        "--embedding-dim",
        "4",
        "--epochs",
        "1",
        "--batch-size",
        "64",
        "--quiet",
        *extra,
    ]


def _assert_one_line_error(capsys, argv, match, created=None):
    code = cli.main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith("memattn") and match in err, err
    if created is not None:
        assert not os.path.exists(created)
        leftovers = [
            n for n in os.listdir(os.path.dirname(created)) if "memattn" in n
        ]
        assert leftovers == []


def _assert_evaluate_matches(out, test_file, metrics, capsys):
    """`memattn evaluate` of the saved model repeats the test accuracy."""
    code = cli.main(
        [
            "evaluate",
            str(out / "model.keras"),
            "--test",
            str(test_file),
            "--text-column",
            "sentence",
        ]
    )
    assert code == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["accuracy"] == pytest.approx(metrics["test"]["accuracy"])


def test_train_predict_evaluate_round_trip(tmp_path, capsys):
    test_file = _write_tsv(tmp_path / "test.tsv", n=20, seed=1)
    out = tmp_path / "run"
    code = cli.main(
        _train_args(tmp_path, "--test", str(test_file), "--out", str(out))
    )
    assert code == 0
    stdout = capsys.readouterr().out
    assert "accuracy" in stdout and str(out) in stdout
    assert sorted(os.listdir(out)) == ["metrics.json", "model.keras"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["class_names"] == ["neg", "pos"]
    assert metrics["backend"] == keras.backend.backend()
    assert metrics["test"]["num_examples"] == 20
    assert 0.0 <= metrics["test"]["accuracy"] <= 1.0
    assert set(metrics["test"]["report"]) >= {"neg", "pos", "macro avg"}
    assert [n for n in os.listdir(tmp_path) if n.startswith(".memattn")] == []

    assert (
        cli.main(["predict", str(out / "model.keras"), "good film", "bad"]) == 0
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    label, probability, text = lines[0].split("\t")
    assert label in ("neg", "pos") and 0.5 <= float(probability) <= 1.0
    assert text == "good film"

    _assert_evaluate_matches(out, test_file, metrics, capsys)


def test_subword_and_wide_options_train_and_predict(tmp_path, capsys):
    out, logs = tmp_path / "run", tmp_path / "logs"
    test_file = _write_tsv(tmp_path / "test.tsv", n=20, seed=1)
    argv = _train_args(
        tmp_path,
        "--test",
        str(test_file),
        "--subword-ngrams",
        "2",
        "3",
        "--subword-buckets",
        "64",
        "--max-subwords",
        "5",
        "--wide-ngrams",
        "2",
        "--wide-buckets",
        "500",
        "--out",
        str(out),
        "--tensorboard",
        str(logs),
    )
    argv[argv.index("--pooling") + 1] = "attention"
    assert cli.main(argv) == 0
    capsys.readouterr()
    model = keras.models.load_model(out / "model.keras")
    from keras_memattn import models

    vectorizer = models.get_vectorizer(model)
    assert vectorizer.subword_ngrams == (2, 3)
    assert vectorizer.subword_buckets == 64
    assert vectorizer.max_subwords == 5
    assert model.get_layer("wide_ngrams").max_n == 2
    assert model.get_layer("wide_ngrams").num_buckets == 500
    assert cli.main(["predict", str(out / "model.keras"), "goodish"]) == 0
    label, probability, _ = capsys.readouterr().out.strip().split("\t")
    assert label in ("neg", "pos") and 0.5 <= float(probability) <= 1.0


def test_naive_bayes_member_is_saved_and_used(tmp_path, capsys):
    out = tmp_path / "run"
    test_file = _write_tsv(tmp_path / "test.tsv", n=20, seed=1)
    argv = _train_args(
        tmp_path, "--test", str(test_file), "--naive-bayes", "--out", str(out)
    )
    assert cli.main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    capsys.readouterr()
    model = keras.models.load_model(out / "model.keras")
    from keras_memattn import models

    naive_bayes = model.get_layer("naive_bayes")
    assert isinstance(naive_bayes, models.NaiveBayesNgrams)
    # Fitted: the statistics are not the zeros of a fresh layer.
    assert np.any(keras.ops.convert_to_numpy(naive_bayes.class_log_probs))
    assert models.get_class_names(model) == ["neg", "pos"]
    assert cli.main(["predict", str(out / "model.keras"), "good film"]) == 0
    label, probability, _ = capsys.readouterr().out.strip().split("\t")
    assert label in ("neg", "pos") and 0.5 <= float(probability) <= 1.0
    _assert_evaluate_matches(out, test_file, metrics, capsys)


def test_cross_validation_writes_per_fold_metrics(tmp_path, capsys):
    out, logs = tmp_path / "cv", tmp_path / "logs"
    code = cli.main(
        _train_args(
            tmp_path, "--cv", "2", "--out", str(out), "--tensorboard", str(logs)
        )
    )
    assert code == 0
    for fold in ("fold1", "fold2"):
        assert os.listdir(logs / fold / "train")  # TensorBoard event files
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["folds"]) == 2
    accuracies = [f["accuracy"] for f in metrics["folds"]]
    assert metrics["cross_validation"]["accuracy"]["mean"] == pytest.approx(
        np.mean(accuracies)
    )
    assert sum(f["num_examples"] for f in metrics["folds"]) == 60
    assert "+-" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, match",
    [
        (["train", "--task", "nope"], "unknown task 'nope'"),
        (["train", "--task", "trec", "--encoder", "cnn"], "unknown encoder"),
        (["train", "--task", "trec", "--epochs", "0"], "--epochs must be"),
        (["train", "--task", "trec", "--cv", "5"], "--cv applies"),
        (
            ["train", "--task", "trec", "--subword-ngrams", "4", "2"],
            "--subword-ngrams must be",
        ),
        (["train", "--task", "trec", "--wide-ngrams", "0"], "--wide-ngrams"),
        (
            ["train", "--task", "trec", "--max-subwords", "0"],
            "--max-subwords must be a positive integer. Received: "
            "--max-subwords 0",
        ),
        (["train"], "pass --task"),
        (["train", "--train", "missing.tsv", "--cv", "2"], "missing.tsv"),
        (["predict", "missing.keras", "text"], "missing.keras"),
        (["evaluate", "missing.keras", "--task", "sst2"], "missing.keras"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, match, capsys, tmp_path):
    argv = [a if a != "missing.tsv" else str(tmp_path / a) for a in argv]
    _assert_one_line_error(capsys, argv, match)


def test_a_model_file_that_is_not_a_keras_archive(tmp_path, capsys):
    # Keras said "File not found" of a file that exists.
    not_a_model = tmp_path / "notes.keras"
    not_a_model.write_text("not a model")
    _assert_one_line_error(
        capsys,
        ["predict", str(not_a_model), "text"],
        f"cannot load {not_a_model}: it is not a .keras file (a zip archive",
    )


def test_a_folder_where_a_file_is_expected_is_named(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    _assert_one_line_error(
        capsys,
        ["train", "--train", str(run), "--cv", "2"],
        f"{run} is a folder; `path` names a TSV or CSV file",
    )
    _assert_one_line_error(
        capsys,
        ["predict", str(run), "text"],
        f"model {run} is a folder, not a .keras file",
    )
    # The folder `memattn train --out` wrote: the message names the model.
    (run / "model.keras").write_bytes(b"")
    _assert_one_line_error(
        capsys,
        ["evaluate", str(run), "--task", "sst2"],
        f"the model `memattn train` wrote there is {run / 'model.keras'}",
    )


def test_a_data_file_that_cannot_be_read_is_one_line(
    tmp_path, capsys, monkeypatch
):
    # A PermissionError (an unreadable file) was a traceback.
    from keras_memattn.datasets import text

    train = _write_tsv(tmp_path / "train.tsv")

    def unreadable(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(text, "open", unreadable, raising=False)
    _assert_one_line_error(
        capsys,
        ["train", "--train", str(train), "--cv", "2"],
        f"cannot read {train}: Permission denied",
    )


def test_evaluate_a_model_without_class_names_needs_one_label_per_output(
    tmp_path, capsys
):
    # Its outputs are 0..C-1; a file with fewer or more labels was scored
    # with its sorted labels taken as outputs (labels 1 and 2 as 0 and 1).
    from keras_memattn import datasets
    from keras_memattn import models

    vectorizer = datasets.TextVectorizer().fit(["good film", "bad film"])
    model = models.text_classifier(
        encoder="gru",
        pooling="mean",
        units=4,
        embedding_dim=4,
        vectorizer=vectorizer,
        num_classes=3,
    )
    model_path = tmp_path / "unnamed.keras"
    model.save(model_path)
    subset = tmp_path / "subset.tsv"
    subset.write_text("label\ttext\n1\tgood film\n2\tbad film\n")
    _assert_one_line_error(
        capsys,
        ["evaluate", str(model_path), "--test", str(subset)],
        "the model stores no class names and has 3 outputs, so the data "
        f"needs 3 classes; --test {subset} has 2: ['1', '2']",
    )
    extra = tmp_path / "extra.tsv"
    extra.write_text("label\ttext\n0\ta\n1\tb\n2\tc\n3\td\n")
    _assert_one_line_error(
        capsys,
        ["evaluate", str(model_path), "--test", str(extra)],
        f"--test {extra} has 4",
    )
    every = tmp_path / "every.tsv"
    every.write_text("label\ttext\n0\ta\n1\tb\n2\tc\n")
    assert cli.main(["evaluate", str(model_path), "--test", str(every)]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["num_examples"] == 3


def test_bad_files_leave_nothing_behind(tmp_path, capsys):
    out = tmp_path / "out"
    bad_columns = tmp_path / "bad.tsv"
    bad_columns.write_text("label\ttext\npos\tgood\n")
    unknown_label = tmp_path / "unknown_label.tsv"
    unknown_label.write_text("label\tsentence\nmixed\tgood\n")
    train = str(_write_tsv(tmp_path / "train.tsv"))
    one_class = str(_write_tsv(tmp_path / "one.tsv", single_class=True))
    cases = [
        (
            ["--train", str(bad_columns), "--cv", "2"],
            # The flag, not load_text_classification's argument name.
            "no column named 'sentence' (`--text-column`)",
        ),
        (
            ["--train", train, "--test", str(unknown_label)],
            "labels ['mixed'] are not among the training labels ['neg', 'pos']",
        ),
        (["--train", one_class, "--cv", "2"], "single class"),
        (
            ["--train", train, "--label-column", "sentence", "--cv", "2"],
            "`--label-column` and `--text-column` must be different "
            "columns. Received: --label-column 'sentence', --text-column "
            "'sentence'",
        ),
    ]
    for extra, match in cases:
        _assert_one_line_error(
            capsys,
            ["train", *extra, "--text-column", "sentence", "--out", str(out)],
            match,
            created=str(out),
        )


@pytest.mark.skipif(
    keras.backend.backend() == "tensorflow",
    reason="importing TensorFlow itself logs to stderr on that backend",
)
def test_single_class_error_is_the_only_stderr_line(tmp_path):
    # The labels used to be checked after `set_random_seed`, which imports
    # TensorFlow (when installed) and its start-up log lines.
    one_class = _write_tsv(tmp_path / "one.tsv", single_class=True)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "keras_memattn.cli",
            "train",
            "--train",
            str(one_class),
            "--test",
            str(one_class),
            "--text-column",
            "sentence",
            "--out",
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "memattn: error: the training labels have a single class; a "
        "classifier needs at least two"
    ], proc.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(
    keras.backend.backend() == "jax", reason="the error is for other backends"
)
def test_data_parallel_flag_needs_jax(tmp_path, capsys):
    _assert_one_line_error(
        capsys, _train_args(tmp_path, "--cv", "2", "--data-parallel"), "JAX"
    )


@pytest.mark.slow
@pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="DataParallel is JAX-only"
)
def test_data_parallel_flag_trains_on_two_devices(tmp_path):
    # Two virtual CPU devices need a fresh process (XLA reads the flag once).
    out = tmp_path / "dp"
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2")
    argv = _train_args(tmp_path, "--cv", "2", "--data-parallel")
    argv[argv.index("--batch-size") + 1] = "16"
    proc = subprocess.run(
        [sys.executable, "-m", "keras_memattn.cli", *argv, "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert [f["num_examples"] for f in metrics["folds"]] == [30, 30]
    argv[argv.index("--batch-size") + 1] = "15"
    proc = subprocess.run(
        [sys.executable, "-m", "keras_memattn.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    assert "multiple of the 2 devices" in proc.stderr


def test_export_subcommand_is_registered_when_available():
    parser = cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert {"train", "evaluate", "predict"} <= set(commands)
    try:
        import keras_memattn.export.cli  # noqa: F401
    except ModuleNotFoundError:
        assert "export" not in commands
    else:
        assert "export" in commands


def test_copy_task_trains_a_sequence_model(tmp_path, capsys):
    out = tmp_path / "copy"
    argv = ["train", "--task", "copy", "--encoder", "gru", "--units", "8"]
    argv += ["--num-train", "64", "--copy-length", "3", "--epochs", "1"]
    assert cli.main([*argv, "--quiet", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["task"] == "copy" and metrics["encoder"] == "gru"
    assert 0.0 <= metrics["test"]["bit_accuracy"] <= 1.0
    model = keras.models.load_model(out / "model.keras")
    assert model.output_shape == (None, None, 8)
    assert "bit_accuracy" in capsys.readouterr().out
    # The flags of the run are saved with its metrics, as for text tasks.
    config = metrics["config"]
    assert config["num_train"] == 64 and config["copy_length"] == 3
    assert config["units"] == 8 and config["epochs"] == 1


def test_copy_task_with_mann_writes_memory_images(tmp_path, capsys):
    # `--tensorboard` gave scalars and histograms only on the copy task.
    pytest.importorskip("tensorflow")
    from tests.callbacks.events import read_images

    logs = tmp_path / "logs"
    argv = ["train", "--task", "copy", "--encoder", "mann", "--units", "8"]
    argv += ["--num-train", "16", "--copy-length", "2", "--epochs", "1"]
    argv += ["--tensorboard", str(logs), "--quiet", "--out", str(tmp_path)]
    assert cli.main(argv) == 0
    images = read_images(str(logs / "memory"))
    # One image, of the model's MANNLayer (named by Keras: mann_layer_N).
    assert len(images) == 1
    assert list(images)[0].startswith("memory/mann_layer")


@pytest.mark.parametrize(
    "argv, match",
    [
        (["train", "--task", "babi", "--babi-task", "21"], "--babi-task"),
        (["train", "--task", "babi", "--encoder", "lstm"], "unknown encoder"),
        (["train", "--task", "copy", "--encoder", "self_attention"], "unknown"),
        (["train", "--task", "babi", "--naive-bayes"], "--naive-bayes is for"),
    ],
)
def test_sequence_task_bad_input(argv, match, capsys):
    _assert_one_line_error(capsys, argv, match)


# ---------------------------------------------------------------------------
# Regressions: flag combinations, files and folders.


@pytest.mark.parametrize(
    "extra, match",
    [
        (
            ["--task", "trec"],
            "--task and --train/--test are alternatives; pass one of them. "
            "Received: --task trec --test",
        ),
        (["--task", "babi"], "Received: --task babi --test"),
        ([], "--test needs --train"),
    ],
)
def test_train_test_without_train_is_an_error(extra, match, tmp_path, capsys):
    # `--test` used to be ignored silently when training on a --task.
    test_file = _write_tsv(tmp_path / "test.tsv", n=4)
    out = tmp_path / "new" / "run"
    argv = ["train", *extra, "--test", str(test_file), "--out", str(out)]
    _assert_one_line_error(capsys, argv, match)
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    "extra, match",
    [
        (
            ["--encoder", "self_attention", "--pooling", "last"],
            "--pooling last needs a recurrent encoder",
        ),
        (
            ["--encoder", "self_attention", "--bidirectional"],
            "--bidirectional applies to recurrent encoders only",
        ),
        (
            ["--max-tokens", "2"],
            "--max-tokens must be at least 3 (padding, OOV and one word). "
            "Received: --max-tokens 2",
        ),
    ],
)
def test_invalid_model_flags_fail_before_anything_is_created(
    extra, match, tmp_path, capsys
):
    out = tmp_path / "new" / "run"
    argv = _train_args(tmp_path, "--cv", "2", "--out", str(out))
    argv += ["--max-train", "8", *extra]  # the last --pooling wins
    _assert_one_line_error(capsys, argv, match)
    assert not (tmp_path / "new").exists()


def test_tensorboard_folder_is_checked_before_anything_is_created(
    tmp_path, capsys
):
    # A file there used to surface as TensorFlow's FailedPreconditionError
    # traceback once training had started.
    a_file = tmp_path / "notes.txt"
    a_file.write_text("")
    out = tmp_path / "new" / "run"
    for logs, match in [
        (a_file, f"--tensorboard {a_file} exists and is not a folder"),
        (
            a_file / "logs",
            f"--tensorboard {a_file / 'logs'} cannot be created: {a_file} "
            "is not a folder",
        ),
    ]:
        argv = _train_args(tmp_path, "--cv", "2", "--out", str(out))
        _assert_one_line_error(
            capsys, [*argv, "--tensorboard", str(logs)], match
        )
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    "module, pooling, extra",
    [
        ("tensorflow", "mean", "tensorflow"),
        # Attention pooling adds the attention-map images.
        ("matplotlib", "attention", "apps"),
    ],
)
def test_tensorboard_needs_are_checked_before_anything_is_created(
    module, pooling, extra, tmp_path, capsys, monkeypatch
):
    # Without TensorFlow, Keras' TensorBoard callback failed with a
    # ModuleNotFoundError traceback once training had started.
    monkeypatch.setitem(sys.modules, module, None)
    new = tmp_path / "new"
    argv = _train_args(tmp_path, "--cv", "2", "--out", str(new / "run"))
    argv += ["--pooling", pooling, "--tensorboard", str(new / "logs")]
    _assert_one_line_error(capsys, argv, f'"keras-memattn[{extra}]"')
    assert not new.exists()


def test_cross_validation_without_scikit_learn_names_the_extra(
    tmp_path, capsys, monkeypatch
):
    for name in ("sklearn", "sklearn.model_selection"):
        monkeypatch.setitem(sys.modules, name, None)
    out = tmp_path / "new" / "run"
    _assert_one_line_error(
        capsys,
        _train_args(tmp_path, "--cv", "2", "--out", str(out)),
        "--cv 2 splits the data with scikit-learn, which is not installed: "
        'pip install "keras-memattn[apps]"',
    )
    assert not (tmp_path / "new").exists()


def test_backend_that_is_not_installed_names_the_extra(capsys, monkeypatch):
    other = next(b for b in cli.BACKENDS if b != keras.backend.backend())
    monkeypatch.setitem(sys.modules, other, None)
    _assert_one_line_error(
        capsys,
        ["--backend", other, "bench", "--lengths", "10"],
        f'is not installed: pip install "keras-memattn[{other}]"',
    )


def test_value_error_while_building_the_model_is_one_line(
    tmp_path, capsys, monkeypatch
):
    # A rule the up-front checks do not know still reaches the user as one
    # line with status 2, and the folders made for --out are removed again.
    from keras_memattn import models

    def refuse(**kwargs):
        raise ValueError("text_classifier: no.\nReceived: units=4")

    monkeypatch.setattr(models, "text_classifier", refuse)
    out = tmp_path / "new" / "run"
    argv = _train_args(tmp_path, "--cv", "2", "--max-train", "8")
    _assert_one_line_error(
        capsys,
        [*argv, "--out", str(out)],
        # The flag, not the Python argument.
        "text_classifier: no. Received: --units 4",
    )
    assert not (tmp_path / "new").exists()


def test_model_argument_errors_name_the_flags(tmp_path, capsys):
    argv = _train_args(tmp_path, "--cv", "2", "--max-train", "8")
    _assert_one_line_error(
        capsys,
        [*argv, "--encoder", "self_attention", "--units", "10"],
        "Received: --units 10, --num-heads 4",
    )


def test_more_folds_than_examples(tmp_path, capsys):
    # scikit-learn's message named its own `n_splits`.
    out = tmp_path / "run"
    argv = _train_args(tmp_path, "--cv", "9", "--max-train", "8")
    _assert_one_line_error(
        capsys,
        [*argv, "--out", str(out)],
        "`--cv` must not exceed the number of examples (8). Received: --cv 9",
        created=str(out),
    )


def test_missing_dataset_names_the_data_dir_flag(tmp_path, capsys, monkeypatch):
    from keras_memattn import datasets

    monkeypatch.delenv("KERAS_MEMATTN_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("KERAS_MEMATTN_NO_DOWNLOAD", "1")
    empty = tmp_path / "empty"
    empty.mkdir()
    code = cli.main(["train", "--task", "sst2", "--data-dir", str(empty)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "pass `--data-dir DIR`" in err and "KERAS_MEMATTN_DATA" in err
    assert "data_dir=" not in err
    # The Python API keeps naming its argument.
    with pytest.raises(FileNotFoundError, match="data_dir="):
        datasets.load_sst2(str(empty))


def test_unreadable_csv_is_one_line(tmp_path, capsys):
    # A stray quote in a CSV joins the rest of the file into one field.
    stray = tmp_path / "stray.csv"
    stray.write_text('label,text\npos,"good film\n' + "neg,dull film\n" * 20000)
    _assert_one_line_error(
        capsys,
        ["train", "--train", str(stray), "--cv", "2"],
        f"{stray}: cannot read the row that starts on line 2",
    )
    # A short file used to load, the rest of it swallowed into one text.
    short = tmp_path / "short.csv"
    short.write_text('label,text\npos,"good film\n' + "neg,dull film\n" * 5)
    _assert_one_line_error(
        capsys,
        ["train", "--train", str(short), "--cv", "2"],
        "starts on line 2: unexpected end of data (a quote opened there is "
        "never closed)",
    )


def test_a_file_that_is_not_utf8_is_named_with_a_remedy(tmp_path, capsys):
    latin1 = tmp_path / "latin1.tsv"
    latin1.write_bytes(b"label\ttext\npos\tcaf\xe9 film\nneg\tdull\n")
    _assert_one_line_error(
        capsys,
        ["train", "--train", str(latin1), "--cv", "2"],
        f"{latin1} is not valid utf-8 text (invalid continuation byte at "
        "byte 18); pass the file's --encoding (such as --encoding latin-1).",
    )


def _other_format_files(tmp_path):
    """The training file of `_write_tsv` as latin-1 text with `;` between
    the fields, and a test file with a latin-1 word."""
    rows = _write_tsv(tmp_path / "utf8.tsv").read_text().splitlines()
    rows = [row.replace("\t", ";") for row in rows]
    rows.append("pos;caf\xe9 cr\xe8me film")
    train = tmp_path / "train.csv"
    train.write_bytes(("\n".join(rows) + "\n").encode("latin-1"))
    test = tmp_path / "test.csv"
    test.write_bytes("label;sentence\npos;caf\xe9 film\n".encode("latin-1"))
    return train, test


def test_delimiter_and_encoding_of_the_files(tmp_path, capsys):
    # The command read only UTF-8 files with a comma (.csv) or a tab.
    train, test = _other_format_files(tmp_path)
    argv = _train_args(tmp_path, "--out", str(tmp_path / "out"))
    argv[argv.index("--train") + 1] = str(train)
    flags = ["--delimiter", ";", "--encoding", "latin-1"]
    assert cli.main([*argv, "--test", str(test), *flags]) == 0
    capsys.readouterr()
    model_path = str(tmp_path / "out" / "model.keras")
    from keras_memattn import models

    model = keras.models.load_model(model_path)
    assert "café" in models.get_vectorizer(model).vocabulary
    evaluate = ["evaluate", model_path, "--test", str(test)]
    evaluate += ["--text-column", "sentence"]
    assert cli.main([*evaluate, *flags]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["num_examples"] == 1
    # Without --encoding the same file is a one-line error naming it.
    _assert_one_line_error(
        capsys, [*evaluate, "--delimiter", ";"], "pass the file's --encoding"
    )


@pytest.mark.parametrize(
    "flags, match",
    [
        (
            ["--encoding", "klingon"],
            "`--encoding` must name a text encoding Python knows, such as "
            "'utf-8' or 'latin-1'. Received: --encoding 'klingon'",
        ),
        (
            ["--delimiter", ";;"],
            "`--delimiter` must be a single character, such as ',' or "
            "'\\t'. Received: --delimiter ';;'",
        ),
    ],
)
def test_bad_delimiter_or_encoding_is_one_line(flags, match, tmp_path, capsys):
    train = _write_tsv(tmp_path / "train.tsv")
    _assert_one_line_error(
        capsys, ["train", "--train", str(train), "--cv", "2", *flags], match
    )


def test_a_backslash_t_delimiter_is_a_tab(tmp_path):
    from keras_memattn.cli import _delimiter

    assert _delimiter("\\t") == "\t"
    assert _delimiter(";") == ";"
    assert _delimiter(None) is None


def _trained_model(tmp_path, capsys):
    out = tmp_path / "run"
    test_file = _write_tsv(tmp_path / "test.tsv", n=10, seed=1)
    argv = _train_args(tmp_path, "--test", str(test_file), "--max-train", "16")
    assert cli.main([*argv, "--out", str(out)]) == 0
    capsys.readouterr()
    return out / "model.keras"


def test_predict_and_evaluate_load_without_compiling(
    tmp_path, capsys, monkeypatch
):
    # compile=True would rebuild the training setup; a jit_compile=True
    # saved on JAX then turns into torch.compile under PyTorch (slow).
    model_path = _trained_model(tmp_path, capsys)
    test_file = tmp_path / "test.tsv"
    calls = []
    load_model = keras.models.load_model

    def spy(*args, **kwargs):
        calls.append(kwargs.get("compile", True))
        return load_model(*args, **kwargs)

    monkeypatch.setattr(keras.models, "load_model", spy)
    assert cli.main(["predict", str(model_path), "good film"]) == 0
    argv = ["evaluate", str(model_path), "--test", str(test_file)]
    assert cli.main([*argv, "--text-column", "sentence"]) == 0
    metrics = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert metrics["num_examples"] == 10
    assert calls == [False, False]


def test_evaluate_output_folder_is_created_or_refused(tmp_path, capsys):
    model_path = _trained_model(tmp_path, capsys)
    test_file = tmp_path / "test.tsv"
    argv = ["evaluate", str(model_path), "--test", str(test_file)]
    argv += ["--text-column", "sentence", "--output"]
    output = tmp_path / "missing" / "dir" / "e.json"
    assert cli.main([*argv, str(output)]) == 0
    assert json.loads(output.read_text())["num_examples"] == 10
    capsys.readouterr()
    not_a_folder = tmp_path / "test.tsv" / "e.json"
    _assert_one_line_error(
        capsys, [*argv, str(not_a_folder)], "is not a folder"
    )
    _assert_one_line_error(capsys, [*argv, str(tmp_path)], "is a folder")


def test_export_errors_follow_the_cli_contract(tmp_path, capsys):
    pytest.importorskip("keras_memattn.export.cli")
    model_path = tmp_path / "m.keras"
    model_path.write_bytes(b"not checked before the flags")
    out = str(tmp_path / "m.tflite")
    for argv, match in [
        (
            ["export", str(tmp_path / "missing.keras"), out],
            "missing.keras does not exist",
        ),
        (
            ["export", str(model_path), out, "--quantize", "int8"],
            "--quantize int8 needs --representative-data",
        ),
        (
            [
                "export",
                str(model_path),
                out,
                "--quantize",
                "int8",
                "--representative-data",
                str(tmp_path / "missing.npy"),
            ],
            "--representative-data " + str(tmp_path / "missing.npy"),
        ),
        (
            ["export", str(model_path), out, "--batch-size", "0"],
            "--batch-size must be a positive integer. Received: --batch-size 0",
        ),
    ]:
        assert cli.main(argv) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        err = captured.err.strip()
        assert len(err.splitlines()) == 1, err
        assert err.startswith("memattn: error: ") and match in err, err
    assert os.listdir(tmp_path) == ["m.keras"]


def test_export_errors_of_to_tflite_name_the_flags(
    tmp_path, capsys, monkeypatch
):
    pytest.importorskip("keras_memattn.export.cli")
    from keras_memattn.export import tflite

    def to_tflite(model, path, sequence_length=None, **kwargs):
        raise ValueError(
            "`sequence_length` fixes a time axis that the model leaves "
            "unknown. Received: sequence_length=7"
        )

    monkeypatch.setattr(tflite, "to_tflite", to_tflite)
    model_path = tmp_path / "m.keras"
    model_path.write_bytes(b"not read")
    out = str(tmp_path / "sub" / "m.tflite")
    argv = ["export", str(model_path), out, "--sequence-length", "7"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "memattn: error: `--sequence-length` fixes a time axis that the "
        "model leaves unknown. Received: --sequence-length 7"
    ), err
    assert os.listdir(tmp_path) == ["m.keras"]


@pytest.mark.parametrize("verify", [[], ["--verify"]])
def test_export_without_the_export_extra_names_it(
    verify, tmp_path, capsys, monkeypatch
):
    # Conversion reads the ops of the file with LiteRT, so leaving out
    # --verify does not help.
    pytest.importorskip("keras_memattn.export.cli")
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)
    model_path = tmp_path / "m.keras"
    model_path.write_bytes(b"not read")
    out = str(tmp_path / "sub" / "m.tflite")
    _assert_one_line_error(
        capsys,
        ["export", str(model_path), out, *verify],
        'ai-edge-litert is not installed: pip install "keras-memattn[export]"',
    )
    assert os.listdir(tmp_path) == ["m.keras"]


def test_a_run_never_leaves_an_older_model_beside_new_metrics(tmp_path):
    # A cross-validation run writes metrics only; an earlier run's model in
    # the same --out must not stay next to them.
    out, tmp = tmp_path / "out", tmp_path / "tmp"
    out.mkdir()
    tmp.mkdir()
    (out / "model.keras").write_text("old model")
    (out / "metrics.json").write_text("old metrics")
    (out / "notes.txt").write_text("the user's file")
    (tmp / "metrics.json").write_text("new metrics")
    cli._move_into(str(tmp), str(out))
    assert sorted(os.listdir(out)) == ["metrics.json", "notes.txt"]
    assert (out / "metrics.json").read_text() == "new metrics"


def test_single_class_left_after_the_validation_split(tmp_path, capsys):
    # Three examples, one of them of the second class: the held-out third
    # can take it, leaving one class to train on.
    train = tmp_path / "tiny.tsv"
    train.write_text(
        "label\tsentence\nneg\tbad film\nneg\tdull film\npos\tgood\n"
    )
    test = _write_tsv(tmp_path / "test.tsv", n=6)
    out = tmp_path / "out"
    for seed in range(20):
        argv = [
            "train", "--train", str(train), "--test", str(test),
            "--text-column", "sentence", "--validation-split", "0.34",
            "--seed", str(seed), "--epochs", "1", "--out", str(out),
        ]  # fmt: skip
        order = np.random.default_rng(seed).permutation(3)
        if order[0] == 2:  # the "pos" row is held out
            _assert_one_line_error(
                capsys, argv, "after holding out validation data", str(out)
            )
            return
    pytest.fail("no seed held out the single positive example")


_TINY_BENCH = [
    "--batch-size", "2",
    "--features", "3",
    "--units", "4",
    "--repeats", "1",
    "--warmup", "0",
]  # fmt: skip


def test_bench_times_each_layer_against_keras(tmp_path, capsys):
    out = tmp_path / "rows" / "bench.json"
    # One length here (each row compiles four models); the self-attention
    # test below covers several lengths.
    argv = ["bench", "--layers", "wm_lstm", "mann", "--lengths", "3"]
    argv += _TINY_BENCH
    assert cli.main([*argv, "--json", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    rows = json.loads(out.read_text())
    assert [(r["layer"], r["baseline"], r["length"]) for r in rows] == [
        ("WorkingMemoryLSTM", "keras.layers.LSTM", 3),
        ("MANNLayer", "keras.layers.LSTM", 3),
    ]
    for row in rows:
        for kind in ("train", "infer"):
            ours, theirs = row[f"{kind}_ms"], row[f"baseline_{kind}_ms"]
            assert ours > 0 and theirs > 0
            assert row[f"{kind}_ratio"] == pytest.approx(ours / theirs)
    # A header, a rule, one line per row, then the settings.
    table = [line for line in printed if line.startswith("|")]
    assert len(table) == 2 + len(rows)
    assert table[2].startswith("| WorkingMemoryLSTM | keras.layers.LSTM | 3 |")
    assert printed[-1].startswith(f"backend {keras.backend.backend()}")


@pytest.mark.parametrize("slow_ms, rounds", [(None, 5), (1e9, 5), (0.0, 3)])
def test_bench_timer_alternates_and_caps_slow_rounds(slow_ms, rounds):
    calls = []
    fns = [lambda: calls.append("a"), lambda: calls.append("b")]
    times = _bench.interleaved_ms(fns, repeats=5, warmup=2, slow_ms=slow_ms)
    assert len(times) == 2 and all(t >= 0 for t in times)
    # Warm-up (two untimed calls and one timed call each), the probe, then
    # the rounds, which alternate.
    probe = 0 if slow_ms is None else 1
    assert calls[: 6 + 2 * probe] == ["a"] * 3 + ["b"] * 3 + ["a", "b"] * probe
    assert calls[6 + 2 * probe :] == ["a", "b"] * rounds


def test_bench_self_attention_against_multi_head_attention(capsys):
    argv = ["bench", "--layers", "self_attention", "--lengths", "3", "5"]
    argv += _TINY_BENCH
    assert cli.main(argv) == 0
    rows = [
        line
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("| MultiHeadSelfAttention")
    ]
    assert len(rows) == 2
    assert all("keras.layers.MultiHeadAttention" in row for row in rows)


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--lengths", "4", "0"], "--lengths must be positive. Received: "),
        (["--repeats", "0"], "--repeats must be positive"),
        (["--warmup", "-1"], "--warmup must be 0 or more"),
        (["--units", "6"], "--units must be a multiple of 4"),
        (["--layers", "cnn"], "invalid choice: 'cnn'"),
    ],
)
def test_bench_bad_input_is_one_line_and_exit_2(extra, match, capsys):
    _assert_one_line_error(capsys, ["bench", *extra], match)


def test_bench_json_must_be_a_writable_file(tmp_path, capsys):
    _assert_one_line_error(
        capsys, ["bench", "--json", str(tmp_path)], "is a folder, not a file"
    )
    blocker = tmp_path / "file"
    blocker.write_text("")
    _assert_one_line_error(
        capsys,
        ["bench", "--json", str(blocker / "bench.json")],
        "is not a folder",
    )


# ---------------------------------------------------------------------------
# Output files that are the model, and flags that do not apply.


def test_export_to_the_model_path_is_refused(tmp_path, capsys):
    pytest.importorskip("keras_memattn.export.cli")
    model_path = tmp_path / "same.keras"
    model_path.write_bytes(b"the model")
    link = tmp_path / "link.keras"
    os.symlink(model_path, link)
    for output in (model_path, link, tmp_path / "." / "same.keras"):
        _assert_one_line_error(
            capsys,
            ["export", str(model_path), str(output)],
            f"output {output} is the model file",
        )
    assert model_path.read_bytes() == b"the model"


def test_evaluate_output_to_the_model_path_is_refused(tmp_path, capsys):
    model_path = _trained_model(tmp_path, capsys)
    saved = model_path.read_bytes()
    argv = ["evaluate", str(model_path), "--test", str(tmp_path / "test.tsv")]
    argv += ["--text-column", "sentence", "--output", str(model_path)]
    _assert_one_line_error(
        capsys,
        argv,
        f"--output {model_path} is the model file; writing it would "
        "destroy the model",
    )
    assert model_path.read_bytes() == saved


def test_evaluate_output_to_the_test_file_is_refused(tmp_path, capsys):
    model_path = _trained_model(tmp_path, capsys)
    test_file = tmp_path / "test.tsv"
    saved = test_file.read_bytes()
    argv = ["evaluate", str(model_path), "--test", str(test_file)]
    argv += ["--text-column", "sentence", "--output", str(test_file)]
    _assert_one_line_error(
        capsys,
        argv,
        f"--output {test_file} is the test data file; writing it would "
        "destroy the test data",
    )
    assert test_file.read_bytes() == saved


@pytest.mark.parametrize(
    "extra, match",
    [
        (
            ["--task", "babi"],
            "evaluate scores text classifiers on a text task",
        ),
        (["--task", "copy"], "Received: --task copy"),
        (
            ["--task", "foo"],
            "unknown task 'foo'; choose one of sst2, trec, imdb",
        ),
        (["--task", "subj"], "task 'subj' has no test split"),
        (
            ["--task", "trec", "--split", "dev"],
            "task 'trec' has no dev split (only sst2 has one)",
        ),
        (
            ["--test", "test.tsv", "--split", "dev"],
            "--split dev applies to --task sst2",
        ),
        (["--task", "sst2", "--fine"], "--fine applies to --task trec only"),
        (
            ["--task", "sst2", "--label-column", "y"],
            "--label-column does not apply to --task sst2",
        ),
        (
            ["--test", "test.tsv", "--data-dir", "d"],
            "--data-dir does not apply to --train/--test files",
        ),
    ],
)
def test_evaluate_refuses_tasks_and_splits_it_cannot_score(
    extra, match, tmp_path, capsys, monkeypatch
):
    # `--task babi` used to load SUBJ and then report a missing split.
    from keras_memattn import datasets

    def not_loaded(*args, **kwargs):
        raise AssertionError("no data set is loaded for this error")

    for name in ("load_subj", "load_mr", "load_trec", "load_sst2"):
        monkeypatch.setattr(datasets, name, not_loaded)
    model_path = tmp_path / "model.keras"
    model_path.write_bytes(b"not loaded either")
    monkeypatch.chdir(tmp_path)
    _assert_one_line_error(capsys, ["evaluate", str(model_path), *extra], match)


@pytest.mark.parametrize(
    "extra, match",
    [
        (
            ["--task", "trec", "--patience", "-1"],
            "--patience must be 0 or more. Received: --patience -1",
        ),
        (
            ["--task", "sst2", "--fine"],
            "--fine applies to --task trec only. Received: --fine with "
            "--task sst2",
        ),
        (
            ["--task", "copy", "--ten-k"],
            "--ten-k applies to --task babi only",
        ),
        (
            ["--task", "trec", "--babi-task", "1"],
            "--babi-task applies to --task babi only. Received: "
            "--babi-task 1 with --task trec",
        ),
        (
            ["--task", "babi", "--copy-length", "5"],
            "--copy-length applies to --task copy only",
        ),
        (
            ["--task", "sst2", "--num-train", "100"],
            "--num-train applies to --task copy only",
        ),
        (
            ["--train", "train.tsv", "--cv", "2", "--fine"],
            "Received: --fine with --train/--test files",
        ),
        # The bAbI and copy models have no text classifier options.
        (
            ["--task", "copy", "--pooling", "max"],
            "--pooling does not apply to --task copy, which would ignore "
            "it. Received: --pooling max with --task copy",
        ),
        (
            ["--task", "babi", "--subword-ngrams", "3", "5"],
            "Received: --subword-ngrams 3 5 with --task babi",
        ),
        (["--task", "babi", "--dropout", "0.5"], "--dropout does not apply"),
        (["--task", "babi", "--units", "8"], "--units does not apply"),
        (
            ["--task", "copy", "--embedding-dim", "8"],
            "--embedding-dim does not apply",
        ),
        (["--task", "copy", "--data-dir", "d"], "--data-dir does not apply"),
        (
            ["--task", "trec", "--text-column", "sentence"],
            "--text-column does not apply to --task trec",
        ),
        (
            ["--task", "trec", "--delimiter", ";"],
            "--delimiter does not apply to --task trec",
        ),
        (
            ["--task", "babi", "--encoding", "latin-1"],
            "Received: --encoding latin-1 with --task babi",
        ),
        (
            ["--train", "train.tsv", "--cv", "2", "--data-dir", "d"],
            "Received: --data-dir d with --train/--test files",
        ),
        (
            ["--task", "trec", "--encoder", "lstm", "--num-heads", "2"],
            "--num-heads does not apply to --encoder lstm",
        ),
        (
            ["--task", "sst2", "--validation-split", "0.5"],
            "--validation-split does not apply to --task sst2, which "
            "validates on its dev split",
        ),
        (
            ["--task", "trec", "--subword-buckets", "7"],
            "--subword-buckets does not apply to a run without "
            "--subword-ngrams, which would ignore it. Received: "
            "--subword-buckets 7",
        ),
        (
            ["--task", "trec", "--max-subwords", "3"],
            "--max-subwords does not apply to a run without --subword-ngrams",
        ),
        (
            ["--task", "mr", "--cv", "2", "--wide-buckets", "5"],
            "--wide-buckets does not apply to a run without --wide-ngrams",
        ),
    ],
)
def test_flags_that_would_be_ignored_are_errors(extra, match, tmp_path, capsys):
    out = tmp_path / "new" / "run"
    _assert_one_line_error(capsys, ["train", *extra, "--out", str(out)], match)
    assert not (tmp_path / "new").exists()


def test_training_runs_without_a_temporary_folder(
    tmp_path, capsys, monkeypatch
):
    # A run killed while training used to leave its `.memattn-*` folder.
    seen = []
    fit_and_score = cli._fit_and_score

    def spy(*args, **kwargs):
        seen.append([n for n in os.listdir(tmp_path) if "memattn" in n])
        return fit_and_score(*args, **kwargs)

    monkeypatch.setattr(cli, "_fit_and_score", spy)
    test_file = _write_tsv(tmp_path / "test.tsv", n=10, seed=1)
    argv = _train_args(tmp_path, "--test", str(test_file), "--max-train", "16")
    assert cli.main([*argv, "--out", str(tmp_path / "run")]) == 0
    assert seen == [[]]
    assert sorted(os.listdir(tmp_path / "run")) == [
        "metrics.json",
        "model.keras",
    ]
    assert [n for n in os.listdir(tmp_path) if "memattn" in n] == []


@pytest.mark.slow
def test_bidirectional_mann_writes_memory_images(tmp_path, capsys):
    # The MANNLayer sits inside Bidirectional: no images were written.
    # Slow (about 25 s a backend): the logger's own tests cover the
    # unwrapping; this one runs it end to end through `memattn train`.
    pytest.importorskip("tensorflow")
    from tests.callbacks.events import read_images

    logs = tmp_path / "logs"
    argv = _train_args(tmp_path, "--cv", "2", "--max-train", "12")
    argv[argv.index("--encoder") + 1] = "mann"
    argv += ["--bidirectional", "--tensorboard", str(logs)]
    argv += ["--out", str(tmp_path / "run")]
    assert cli.main(argv) == 0
    images = read_images(str(logs / "fold1" / "memory"))
    assert list(images) == ["memory/encoder"]

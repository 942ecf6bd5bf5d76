"""The `memattn` command: train, evaluate and use text classifiers.

```
memattn train --task sst2 --encoder wm_lstm --epochs 3 --out runs/sst2
memattn train --task mr --encoder lstm --cv 10
memattn train --train my_train.tsv --test my_test.tsv --encoder gru
memattn evaluate runs/sst2/model.keras --task sst2
memattn predict runs/sst2/model.keras "a gripping , funny film"
memattn export runs/sst2/model.keras sst2.tflite --verify
memattn bench --layers wm_lstm --lengths 100
```

Bad input (an unknown task or encoder, a missing file, a TSV without the
named columns, a single-class label set) prints one line,
`memattn: error: ...`, and exits with status 2. `train` writes into a
temporary folder next to `--out` and moves the files into place only at the
end, so a failed run leaves nothing half-written.
"""

import argparse
import contextlib
import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

from keras_memattn import _bench
from keras_memattn import _folders

TEXT_TASKS = ("sst2", "trec", "mr", "subj", "imdb")
TASKS = (*TEXT_TASKS, "babi", "copy")
CV_TASKS = ("mr", "subj")
# The tasks with a test split that `evaluate` can score.
EVALUATE_TASKS = tuple(t for t in TEXT_TASKS if t not in CV_TASKS)
BACKENDS = ("tensorflow", "jax", "torch")
# The package each backend imports; each is an extra of the same name.
_BACKEND_PACKAGES = {
    "tensorflow": "TensorFlow",
    "jax": "JAX",
    "torch": "PyTorch",
}


class CLIError(Exception):
    """A user error: reported on one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _encoders():
    from keras_memattn.models.text_classifier import ENCODERS

    return ENCODERS


def _add_model_options(p):
    p.add_argument(
        "--encoder",
        default=None,
        help="default: wm_lstm (text), memory_network (babi), mann (copy)",
    )
    p.add_argument("--bidirectional", action="store_true")
    p.add_argument(
        "--pooling",
        default="attention",
        help="attention, last, mean or max (default: attention)",
    )
    p.add_argument("--units", type=int, default=128)
    p.add_argument("--embedding-dim", type=int, default=128)
    p.add_argument("--dropout", type=float, default=0.3)
    p.add_argument("--num-heads", type=int, default=4)


def _add_data_options(p, training):
    tasks = TASKS if training else EVALUATE_TASKS
    p.add_argument("--task", default=None, help=f"one of: {', '.join(tasks)}")
    if training:
        p.add_argument("--train", default=None, help="your own TSV/CSV")
    p.add_argument("--test", default=None, help="your own TSV/CSV")
    p.add_argument("--label-column", default="label")
    p.add_argument("--text-column", default="text")
    p.add_argument(
        "--delimiter",
        default=None,
        help=(
            "field separator of --train/--test (default: ',' for .csv "
            "files, a tab otherwise; '\\t' is a tab)"
        ),
    )
    p.add_argument(
        "--encoding",
        default="utf-8",
        help="text encoding of --train/--test (default: utf-8)",
    )
    p.add_argument("--data-dir", default=None)
    p.add_argument(
        "--fine", action="store_true", help="TREC: the 50 fine classes"
    )


def add_text_feature_arguments(parser):
    """Adds the subword and wide-part flags to an argument parser.

    Shared by `memattn train` and `benchmarks/accuracy.py`:
    `--subword-ngrams MIN_N MAX_N`, `--subword-buckets`, `--max-subwords`
    (the `TextVectorizer` options) and `--wide-ngrams`, `--wide-buckets`
    (the `text_classifier` options), with the defaults of those APIs.
    `text_feature_errors` checks the parsed values.
    """
    parser.add_argument(
        "--subword-ngrams",
        type=int,
        nargs=2,
        default=None,
        metavar=("MIN_N", "MAX_N"),
        help="add hashed character n-grams of these lengths to each word "
        "(fastText subwords), e.g. 3 5. Default: words only.",
    )
    parser.add_argument("--subword-buckets", type=int, default=20000)
    parser.add_argument("--max-subwords", type=int, default=24)
    parser.add_argument(
        "--wide-ngrams",
        type=int,
        default=None,
        help="add a bag of word n-grams up to this order to the encoder "
        "(its logits are summed with the encoder's), e.g. 2. Default: none.",
    )
    parser.add_argument("--wide-buckets", type=int, default=100000)


def text_feature_errors(args):
    """One-line messages for the invalid flags of `add_text_feature_arguments`.

    Returns an empty list when all values are valid.
    """
    errors = []
    for name in ("subword_buckets", "max_subwords", "wide_buckets"):
        value = getattr(args, name)
        if value < 1:
            errors.append(_flag_message(name, value, "a positive integer"))
    if args.wide_ngrams is not None and args.wide_ngrams < 1:
        errors.append(
            _flag_message("wide_ngrams", args.wide_ngrams, "a positive integer")
        )
    if args.subword_ngrams is not None and not (
        1 <= args.subword_ngrams[0] <= args.subword_ngrams[1]
    ):
        value = " ".join(str(n) for n in args.subword_ngrams)
        errors.append(
            _flag_message(
                "subword_ngrams", value, "two integers 1 <= MIN_N <= MAX_N"
            )
        )
    return errors


def _flag_message(name, value, requirement):
    flag = "--" + name.replace("_", "-")
    return f"{flag} must be {requirement}. Received: {flag} {value}"


def build_parser():
    """The argument parser of `memattn` (sub-commands included)."""
    parser = _Parser(
        prog="memattn",
        description=(
            "Train keras-memattn text classifiers (or memory models on "
            "bAbI and the copy task), evaluate and use the text "
            "classifiers, export models to TF-Lite, and time the layers."
        ),
    )
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default=None,
        help="Keras backend (default: $KERAS_BACKEND or Keras' default)",
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    sub.required = True

    train = sub.add_parser(
        "train",
        help="train a text classifier (or, with --task babi or copy, a "
        "memory model)",
    )
    _add_data_options(train, training=True)
    _add_model_options(train)
    train.add_argument("--epochs", type=int, default=5)
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--learning-rate", type=float, default=1e-3)
    train.add_argument(
        "--patience",
        type=int,
        default=2,
        help="epochs without improvement before early stopping, on "
        "validation accuracy (text tasks) or loss (babi, copy); default: 2",
    )
    train.add_argument(
        "--validation-split",
        type=float,
        default=0.1,
        help="held out of the training data when the task has no dev split",
    )
    train.add_argument(
        "--cv",
        type=int,
        default=None,
        help="k-fold cross-validation, for data without a test split: "
        "mr and subj (default 10) or --train without --test",
    )
    train.add_argument("--max-tokens", type=int, default=20000)
    add_text_feature_arguments(train)
    train.add_argument(
        "--naive-bayes",
        action="store_true",
        help="average the trained model with naive Bayes over word 1-2-grams "
        "(fitted on the training data, calibrated on the validation data; "
        "saved in the model)",
    )
    train.add_argument("--sequence-length", type=int, default=None)
    train.add_argument(
        "--max-train",
        type=int,
        default=None,
        help="use at most this many training examples (random subset)",
    )
    train.add_argument(
        "--babi-task", type=int, default=None, help="bAbI: 1 to 20 (default 1)"
    )
    train.add_argument(
        "--ten-k", action="store_true", help="bAbI: the 10k training split"
    )
    train.add_argument(
        "--copy-length",
        type=int,
        default=None,
        help="copy: longest sequence (default 10)",
    )
    train.add_argument(
        "--num-train",
        type=int,
        default=None,
        help="copy: training sequences (default 2000)",
    )
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default=None, help="output folder")
    train.add_argument("--tensorboard", default=None, metavar="DIR")
    train.add_argument(
        "--data-parallel",
        action="store_true",
        help="keras.distribution.DataParallel over local devices (JAX)",
    )
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(func=_run_train)

    evaluate = sub.add_parser(
        "evaluate",
        help="evaluate a saved text classifier",
        description=(
            "Scores a saved text classifier on the test split of a text "
            "task (sst2, trec or imdb; --split dev: the sst2 dev split) or "
            "on your own --test FILE. mr and subj have no test split (they "
            "are scored by cross-validation in `memattn train`), and bAbI "
            "and copy models are scored by `memattn train` as well."
        ),
    )
    evaluate.add_argument("model")
    _add_data_options(evaluate, training=False)
    evaluate.add_argument(
        "--split", default="test", help="test (default) or dev (SST-2)"
    )
    evaluate.add_argument("--output", default=None, help="write JSON here")
    evaluate.set_defaults(func=_run_evaluate)

    predict = sub.add_parser("predict", help="classify texts")
    predict.add_argument("model")
    predict.add_argument("texts", nargs="+")
    predict.set_defaults(func=_run_predict)

    bench = _bench.add_parser(sub)
    bench.set_defaults(func=_run_bench)

    try:
        export_cli = importlib.import_module("keras_memattn.export.cli")
    except ModuleNotFoundError as e:
        if e.name != "keras_memattn.export.cli":
            raise
    else:
        export_cli.add_parser(sub)
        for name, action in sub.choices.items():
            if name == "export" and action.get_default("func") is None:
                action.set_defaults(func=export_cli.run)
    return parser


def main(argv=None):
    """Runs `memattn` with `argv` (default: `sys.argv[1:]`); returns the
    exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, or a usage error already printed.
        return e.code
    if (
        args.backend is not None
        and importlib.util.find_spec(args.backend) is None
    ):
        return report_error(
            CLIError(
                f"--backend {args.backend} needs "
                f"{_BACKEND_PACKAGES[args.backend]}, which is not installed: "
                f'pip install "keras-memattn[{args.backend}]"'
            )
        )
    if args.backend is not None and _switch_backend_needed(args.backend):
        env = dict(os.environ, KERAS_BACKEND=args.backend)
        return subprocess.call(
            [sys.executable, "-m", "keras_memattn.cli", *argv], env=env
        )
    try:
        return args.func(args) or 0
    except CLIError as e:
        return report_error(e)


def report_error(error):
    """Prints a `CLIError` as one `memattn: error: ...` line on stderr;
    returns the exit status, 2."""
    message = " ".join(str(error).split())
    print(f"memattn: error: {message}", file=sys.stderr)
    return 2


def _switch_backend_needed(backend):
    import keras

    return keras.backend.backend() != backend


# ---------------------------------------------------------------------------
# Data.


def _check_choice(name, value, choices):
    if value not in choices:
        raise CLIError(
            f"unknown {name} {value!r}; choose one of {', '.join(choices)}"
        )


def _load_file(path, args, class_names=None):
    from keras_memattn import datasets

    try:
        return datasets.load_text_classification(
            path,
            label_column=args.label_column,
            text_column=args.text_column,
            delimiter=_delimiter(args.delimiter),
            class_names=class_names,
            encoding=args.encoding,
        )
    except OSError as e:
        if e.errno is not None:
            # From the operating system (a file that cannot be read), not
            # one of the loader's own messages.
            raise CLIError(f"cannot read {path}: {e.strerror}") from None
        raise CLIError(_file_error(str(e).splitlines()[0])) from None
    except (ValueError, UnicodeDecodeError) as e:
        raise CLIError(_file_error(str(e).splitlines()[0])) from None


def _in_flag_words(message, flags):
    """`message` with the Python arguments it names written as flags.

    `flags` maps argument names to flags: "`name`" becomes "`--flag`"
    and "name=value" becomes "--flag value" (not inside a longer name:
    "recurrent_dropout=" stays).
    """
    for argument, flag in flags.items():
        message = message.replace(f"`{argument}`", f"`{flag}`")
        message = re.sub(rf"(?<![\w.]){argument}=", f"{flag} ", message)
    return message


def _flags_of(*arguments):
    """`{argument: flag}` for Python arguments set from the flags of the
    same name (`sequence_length` from `--sequence-length`), for
    `_in_flag_words`."""
    return {name: "--" + name.replace("_", "-") for name in arguments}


# What `memattn train` passes to `TextVectorizer` and `text_classifier`,
# each from the flag of the same name; their errors name the flags.
_MODEL_FLAGS = _flags_of(
    "encoder",
    "embedding_dim",
    "units",
    "bidirectional",
    "pooling",
    "dropout",
    "num_heads",
    "wide_ngrams",
    "wide_buckets",
    "max_tokens",
    "sequence_length",
    "subword_ngrams",
    "subword_buckets",
    "max_subwords",
)


def _file_error(message):
    """A `load_text_classification` error in the command line's words.

    The loader names its Python arguments; here they are flags, and the
    class names are those of the training file.
    """
    message = message.replace(
        "are not among class_names=", "are not among the training labels "
    ).replace(
        "; pass the file's `encoding`.",
        "; pass the file's --encoding (such as --encoding latin-1).",
    )
    return _in_flag_words(
        message,
        _flags_of("label_column", "text_column", "delimiter", "encoding"),
    )


def _delimiter(value):
    """The `--delimiter` value, with the two characters `\\t` read as a
    tab (what a shell passes for `--delimiter '\\t'`)."""
    return "\t" if value == "\\t" else value


def _dataset_missing(error):
    """The one-line CLI message for a dataset loader's FileNotFoundError.

    The loaders' message tells Python callers to pass `data_dir=`; on the
    command line that argument is the `--data-dir` flag.
    """
    message = " ".join(str(error).split())
    return message.replace("`data_dir=`", "`--data-dir DIR`")


def _load_task(args, training, class_names=None):
    """Returns a dict: `train`, `dev`, `test` (each `(texts, labels)` or
    None), `all` for cross-validation tasks, and `class_names`."""
    from keras_memattn import datasets

    train_file = getattr(args, "train", None)
    if train_file is not None or (not training and args.test is not None):
        if args.task not in (None, "custom"):
            raise CLIError(
                "--task and --train/--test are alternatives; pass one of them"
            )
        data = {"train": None, "dev": None, "test": None, "all": None}
        if train_file is not None:
            texts, labels, class_names = _load_file(train_file, args)
            data["train"] = (texts, labels)
        if args.test is not None:
            texts, labels, class_names = _load_file(
                args.test, args, class_names
            )
            data["test"] = (texts, labels)
        if training and data["test"] is None:
            data["all"], data["train"] = data["train"], None
        data["class_names"] = class_names
        data["task"] = "custom"
        return data
    if args.task is None:
        raise CLIError("pass --task or your own data with --train/--test")
    _check_choice("task", args.task, TASKS)
    try:
        if args.task == "sst2":
            loaded = datasets.load_sst2(args.data_dir)
            data = dict(loaded, all=None)
            names = ["negative", "positive"]
        elif args.task == "trec":
            loaded = datasets.load_trec(args.data_dir, fine=args.fine)
            data = dict(loaded, dev=None, all=None)
            names = data.pop("class_names")
        elif args.task == "imdb":
            data = dict(datasets.load_imdb(args.data_dir), dev=None, all=None)
            names = ["negative", "positive"]
        elif args.task in CV_TASKS:
            loader = (
                datasets.load_mr if args.task == "mr" else datasets.load_subj
            )
            data = {"train": None, "dev": None, "test": None}
            data["all"] = loader(args.data_dir)
            names = (
                ["negative", "positive"]
                if args.task == "mr"
                else ["objective", "subjective"]
            )
        else:
            raise CLIError(
                f"task {args.task!r} is not a text classification task; "
                f"choose one of {', '.join(TEXT_TASKS)}"
            )
    except FileNotFoundError as e:
        raise CLIError(_dataset_missing(e)) from None
    data["class_names"] = names
    data["task"] = args.task
    return data


def _subset(pair, indices):
    texts, labels = pair
    return [texts[i] for i in indices], labels[indices]


def _validation_split(pair, fraction, seed):
    import numpy as np

    texts, labels = pair
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(texts))
    n_val = max(1, int(round(fraction * len(texts))))
    return _subset(pair, np.sort(order[n_val:])), _subset(
        pair, np.sort(order[:n_val])
    )


# ---------------------------------------------------------------------------
# train.


def _validate_train_args(args):
    if args.test is not None and args.train is None:
        if args.task not in (None, "custom"):
            raise CLIError(
                "--task and --train/--test are alternatives; pass one of "
                f"them. Received: --task {args.task} --test {args.test}"
            )
        raise CLIError(
            "--test needs --train (the data to train on) or, instead of "
            f"both, a --task. Received: --test {args.test} without --train"
        )
    if args.naive_bayes and args.task in ("babi", "copy"):
        raise CLIError(
            "--naive-bayes is for text classification; it does not apply to "
            f"--task {args.task}"
        )
    _check_task_flags(args)
    if args.task == "babi":
        args.babi_task = 1 if args.babi_task is None else args.babi_task
        args.encoder = args.encoder or "memory_network"
        _check_choice("encoder", args.encoder, ("memory_network",))
    elif args.task == "copy":
        from keras_memattn.models.sequence_tasks import COPY_ENCODERS

        args.copy_length = 10 if args.copy_length is None else args.copy_length
        args.num_train = 2000 if args.num_train is None else args.num_train
        args.encoder = args.encoder or "mann"
        _check_choice("encoder", args.encoder, COPY_ENCODERS)
    else:
        args.encoder = args.encoder or "wm_lstm"
        _check_choice("encoder", args.encoder, _encoders())
    _check_choice("pooling", args.pooling, ("attention", "last", "mean", "max"))
    checks = [
        (name, value >= 1, "a positive integer")
        for name, value in (
            ("epochs", args.epochs),
            ("batch_size", args.batch_size),
            ("units", args.units),
            ("embedding_dim", args.embedding_dim),
            ("num_heads", args.num_heads),
        )
    ]
    checks += [
        (
            "max_tokens",
            args.max_tokens >= 3,
            "at least 3 (padding, OOV and one word)",
        ),
        ("patience", args.patience >= 0, "0 or more"),
        ("dropout", 0.0 <= args.dropout < 1.0, "in [0, 1)"),
        ("learning_rate", args.learning_rate > 0.0, "positive"),
        ("validation_split", 0.0 < args.validation_split < 1.0, "in (0, 1)"),
        (
            "max_train",
            args.max_train is None or args.max_train >= 1,
            "positive",
        ),
        (
            "sequence_length",
            args.sequence_length is None or args.sequence_length >= 1,
            "positive",
        ),
        ("cv", args.cv is None or args.cv >= 2, "at least 2"),
    ]
    for name, ok, requirement in checks:
        if not ok:
            raise CLIError(
                _flag_message(name, getattr(args, name), requirement)
            )
    errors = text_feature_errors(args)
    if errors:
        raise CLIError(errors[0])
    _check_encoder_options(args)
    _check_unused_flags(args, build_parser().parse_args(["train"]))
    if args.tensorboard is not None:
        if os.path.exists(args.tensorboard) and not os.path.isdir(
            args.tensorboard
        ):
            raise CLIError(
                f"--tensorboard {args.tensorboard} exists and is not a folder"
            )
        _check_folder_creatable("--tensorboard", args.tensorboard)
        _check_tensorboard_installed(args)
    if args.data_parallel:
        import keras

        if keras.backend.backend() != "jax":
            raise CLIError(
                "--data-parallel uses keras.distribution.DataParallel, which "
                "Keras implements for the JAX backend only; add --backend jax"
            )


def _check_tensorboard_installed(args):
    """A CLI error for --tensorboard without what writing its logs needs:
    TensorFlow on every backend, and matplotlib for the images."""
    if importlib.util.find_spec("tensorflow") is None:
        raise CLIError(
            "--tensorboard writes its logs with TensorFlow (tf.summary), "
            "also on the JAX and PyTorch backends, and TensorFlow is not "
            'installed: pip install "keras-memattn[tensorflow]" or leave '
            "out --tensorboard"
        )
    # The image loggers of `_tensorboard_callbacks` and `copy` draw with
    # matplotlib.
    images = args.encoder == "mann" or (
        args.task not in ("babi", "copy")
        and (args.pooling == "attention" or args.encoder == "self_attention")
    )
    if images and importlib.util.find_spec("matplotlib") is None:
        raise CLIError(
            "--tensorboard draws attention maps and memory addressing with "
            "matplotlib, which is not installed: "
            'pip install "keras-memattn[apps]" or leave out --tensorboard'
        )


# Flags that apply to one task only: (attribute, task, flag).
_TASK_FLAGS = (
    ("fine", "trec", "--fine"),
    ("babi_task", "babi", "--babi-task"),
    ("ten_k", "babi", "--ten-k"),
    ("copy_length", "copy", "--copy-length"),
    ("num_train", "copy", "--num-train"),
)


def _check_task_flags(args):
    """A CLI error for a task-specific flag given with another task (or
    with your own files), where it would be ignored."""
    for name, task, flag in _TASK_FLAGS:
        value = getattr(args, name, None)
        if value is None or value is False or args.task == task:
            continue
        given = flag if value is True else f"{flag} {value}"
        raise CLIError(
            f"{flag} applies to --task {task} only. Received: {given} "
            f"with {_data_source(args)}"
        )


def _data_source(args):
    if args.task is not None:
        return f"--task {args.task}"
    if getattr(args, "train", None) is not None or args.test is not None:
        return "--train/--test files"
    return "no --task"


# The flags of the text classifiers and their vectorizer, which the bAbI
# and copy models do not have.
_TEXT_MODEL_FLAGS = (
    "bidirectional",
    "pooling",
    "dropout",
    "num_heads",
    "max_tokens",
    "sequence_length",
    "max_train",
    "subword_ngrams",
    "subword_buckets",
    "max_subwords",
    "wide_ngrams",
    "wide_buckets",
)


# The flags that describe --train/--test files.
_FILE_FLAGS = ("label_column", "text_column", "delimiter", "encoding")


def _unused_flags(args):
    """The flags that a run with `args` never reads, each with what the
    run is (`"--task babi"`) and whether the error names it after the value
    (`Received: --flag V with --task babi`)."""
    files = getattr(args, "train", None) is not None or args.test is not None
    if (args.task is None) != files:
        return {}  # An error of its own: no data, or two sources of it.
    source = _data_source(args)
    if args.task == "babi":
        names = (*_TEXT_MODEL_FLAGS, "units", *_FILE_FLAGS)
        return {name: (source, True) for name in names}
    if args.task == "copy":
        names = (
            *_TEXT_MODEL_FLAGS,
            "embedding_dim",
            "data_dir",
            *_FILE_FLAGS,
        )
        return {name: (source, True) for name in names}
    names = ("data_dir",) if files else _FILE_FLAGS
    unused = {name: (source, True) for name in names}
    if getattr(args, "encoder", None) not in (None, "self_attention"):
        unused["num_heads"] = (f"--encoder {args.encoder}", True)
    if args.task == "sst2" and getattr(args, "cv", None) is None:
        unused["validation_split"] = (
            "--task sst2, which validates on its dev split",
            True,
        )
    if getattr(args, "subword_ngrams", None) is None:
        for name in ("subword_buckets", "max_subwords"):
            unused[name] = ("a run without --subword-ngrams", False)
    if getattr(args, "wide_ngrams", None) is None:
        unused["wide_buckets"] = ("a run without --wide-ngrams", False)
    return unused


def _check_unused_flags(args, defaults):
    """A CLI error for a flag set to another value than its default (from
    the namespace `defaults`) where the run would ignore it."""
    for name, (context, repeat) in _unused_flags(args).items():
        value = getattr(args, name, None)
        if value == getattr(defaults, name, None):
            continue
        flag = "--" + name.replace("_", "-")
        if value is True:
            given = flag
        elif isinstance(value, list):
            given = f"{flag} {' '.join(str(v) for v in value)}"
        else:
            given = f"{flag} {value}"
        raise CLIError(
            f"{flag} does not apply to {context}, which would ignore it. "
            f"Received: {given}" + (f" with {context}" if repeat else "")
        )


def _check_encoder_options(args):
    """The `text_classifier` rules on flag combinations, as CLI errors."""
    from keras_memattn.models.text_classifier import RECURRENT_ENCODERS

    if args.task in ("babi", "copy") or args.encoder in RECURRENT_ENCODERS:
        return
    if args.bidirectional:
        raise CLIError(
            "--bidirectional applies to recurrent encoders only "
            f"({', '.join(RECURRENT_ENCODERS)}). Received: --encoder "
            f"{args.encoder} --bidirectional"
        )
    if args.pooling == "last":
        raise CLIError(
            "--pooling last needs a recurrent encoder "
            f"({', '.join(RECURRENT_ENCODERS)}). Received: --encoder "
            f"{args.encoder} --pooling last"
        )


@contextlib.contextmanager
def _as_cli_error(*errors, flags=None):
    """Re-raises `errors` as a one-line `CLIError` (exit status 2), with
    the arguments in `flags` (see `_in_flag_words`) written as flags."""
    try:
        yield
    except errors as e:
        message = " ".join(str(e).split())
        raise CLIError(_in_flag_words(message, flags or {})) from None


def _check_labels(labels, what):
    import numpy as np

    if len(np.unique(labels)) < 2:
        raise CLIError(
            f"the {what} labels have a single class; a classifier needs at "
            "least two"
        )


def _fit_and_score(train, val, test, class_names, args, log_dir=None):
    """Trains one model; returns `(model, metrics)`."""
    import keras
    import numpy as np

    from keras_memattn import datasets
    from keras_memattn import models

    with _as_cli_error(ValueError, flags=_MODEL_FLAGS):
        vectorizer = datasets.TextVectorizer(
            max_tokens=args.max_tokens,
            sequence_length=args.sequence_length,
            subword_ngrams=args.subword_ngrams,
            subword_buckets=args.subword_buckets,
            max_subwords=args.max_subwords,
        ).fit(train[0])
    x_train, x_val = vectorizer(train[0]), vectorizer(val[0])
    y_train, y_val = train[1], val[1]
    shards = getattr(args, "shards", 1)
    if shards > 1:
        # Every batch must split evenly over the devices: drop the last
        # (at most shards - 1) examples; batch_size is a multiple of shards.
        n_train = len(y_train) - len(y_train) % shards
        n_val = len(y_val) - len(y_val) % shards
        x_train, y_train = x_train[:n_train], y_train[:n_train]
        x_val, y_val = x_val[:n_val], y_val[:n_val]
    with _as_cli_error(ValueError, flags=_MODEL_FLAGS):
        model = models.text_classifier(
            encoder=args.encoder,
            embedding_dim=args.embedding_dim,
            units=args.units,
            bidirectional=args.bidirectional,
            pooling=args.pooling,
            dropout=args.dropout,
            num_heads=args.num_heads,
            vectorizer=vectorizer,
            class_names=class_names,
            wide_ngrams=args.wide_ngrams,
            wide_buckets=args.wide_buckets,
        )
    model.compile(
        optimizer=keras.optimizers.Adam(args.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    callbacks = [
        keras.callbacks.EarlyStopping(
            monitor="val_accuracy",
            patience=args.patience,
            restore_best_weights=True,
        )
    ]
    if log_dir is not None:
        callbacks.extend(_tensorboard_callbacks(log_dir, x_val[:4], args))
    model.fit(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=args.epochs,
        batch_size=args.batch_size,
        callbacks=callbacks,
        verbose=0 if args.quiet else 1,
    )
    if args.naive_bayes:
        model = models.add_naive_bayes(
            model, x_train, y_train, validation_data=(x_val, y_val)
        )
    x_test = vectorizer(test[0])
    padding = -len(x_test) % shards
    if padding:
        x_test = np.concatenate([x_test, x_test[:1].repeat(padding, 0)])
    probabilities = model.predict(x_test, batch_size=256, verbose=0)
    probabilities = probabilities[: len(test[0])]
    predictions = np.argmax(probabilities, axis=-1)
    return model, models.classification_metrics(
        test[1], predictions, class_names
    )


def _tensorboard_callbacks(log_dir, sample, args):
    """Scalars and histograms, plus attention maps and memory addressing
    images for the models that have them."""
    import keras

    callbacks = [keras.callbacks.TensorBoard(log_dir, histogram_freq=1)]
    try:
        from keras_memattn import callbacks as package_callbacks
    except ImportError:
        return callbacks
    if args.pooling == "attention" or args.encoder == "self_attention":
        logger = getattr(package_callbacks, "AttentionLogger", None)
        if logger is not None:
            callbacks.append(
                logger(os.path.join(log_dir, "attention"), inputs=sample)
            )
    if args.encoder == "mann":
        logger = getattr(package_callbacks, "MemoryAddressingLogger", None)
        if logger is not None:
            callbacks.append(
                logger(os.path.join(log_dir, "memory"), inputs=sample)
            )
    return callbacks


def _run_train(args):
    import keras
    import numpy as np

    from keras_memattn import datasets
    from keras_memattn import models

    _validate_train_args(args)
    if args.task in ("babi", "copy") and args.train is None:
        return _run_sequence_task(args)
    data = _load_task(args, training=True)
    class_names = data["class_names"]
    task = data["task"]
    cv = args.cv
    if data["all"] is not None and cv is None:
        if task == "custom":
            raise CLIError("pass --test FILE or --cv K with --train")
        cv = 10
    if data["all"] is None and cv is not None:
        raise CLIError(
            f"--cv applies to tasks without a test split (mr, subj, or "
            f"--train without --test); task {task!r} has one"
        )
    # The data is cut and checked before anything imports TensorFlow
    # (`set_random_seed` does), so that a bad label set is one line on stderr.
    if cv is None:
        train, test = data["train"], data["test"]
        if args.max_train is not None and args.max_train < len(train[0]):
            rng = np.random.default_rng(args.seed)
            keep = np.sort(rng.permutation(len(train[0]))[: args.max_train])
            train = _subset(train, keep)
        _check_labels(train[1], "training")
        val = data.get("dev")
        if val is None:
            train, val = _validation_split(
                train, args.validation_split, args.seed
            )
            _check_labels(
                train[1], "training (after holding out validation data)"
            )
    else:
        texts, labels = data["all"]
        if args.max_train is not None and args.max_train < len(texts):
            rng = np.random.default_rng(args.seed)
            keep = rng.permutation(len(texts))[: args.max_train]
            texts, labels = _subset((texts, labels), np.sort(keep))
        _check_labels(labels, "training")
        try:
            folds = datasets.cross_validation_splits(
                labels, n_splits=cv, seed=args.seed
            )
        except ValueError as e:
            message = str(e).splitlines()[0]
            raise CLIError(
                _in_flag_words(message, {"n_splits": "--cv"})
            ) from None
        except ImportError:
            given = (
                f"--cv {cv}"
                if args.cv is not None
                else f"--task {task} (no test split: {cv}-fold "
                "cross-validation)"
            )
            raise CLIError(
                f"{given} splits the data with scikit-learn, which is not "
                'installed: pip install "keras-memattn[apps]"'
            ) from None
    out = _prepare_out(args, f"{task}-{args.encoder}")
    keras.utils.set_random_seed(args.seed)

    distribution = None
    if args.data_parallel:
        distribution = models.data_parallel()
        args.shards = int(distribution.device_mesh.devices.size)
        if args.batch_size % args.shards:
            raise CLIError(
                f"--batch-size must be a multiple of the {args.shards} "
                f"devices with --data-parallel. Received: {args.batch_size}"
            )
    results = {
        "task": task,
        "encoder": args.encoder,
        "backend": keras.backend.backend(),
        "class_names": class_names,
        "config": _run_config(args),
    }
    with _maybe_scope(distribution):
        if cv is None:
            model, metrics = _fit_and_score(
                train, val, test, class_names, args, args.tensorboard
            )
            results["test"] = metrics
            summary = metrics
        else:
            model = None  # Cross-validation saves no model.
            fold_metrics = []
            for k, (train_idx, test_idx) in enumerate(folds):
                if not args.quiet:
                    print(f"fold {k + 1}/{cv}")
                train = _subset((texts, labels), train_idx)
                train, val = _validation_split(
                    train, args.validation_split, args.seed + k
                )
                _check_labels(
                    train[1],
                    f"fold {k + 1} training (after holding out validation "
                    "data)",
                )
                log_dir = (
                    None
                    if args.tensorboard is None
                    else os.path.join(args.tensorboard, f"fold{k + 1}")
                )
                _, metrics = _fit_and_score(
                    train,
                    val,
                    _subset((texts, labels), test_idx),
                    class_names,
                    args,
                    log_dir,
                )
                fold_metrics.append(metrics)
            results["folds"] = fold_metrics
            results["cross_validation"] = models.summarize_folds(fold_metrics)
            summary = {
                key: value["mean"]
                for key, value in results["cross_validation"].items()
            }
    _save_run(out, results, model)
    _print_summary(results, summary, out, cv)
    return 0


def _run_config(args):
    """The flags of a `train` run, for its `metrics.json`."""
    return {
        k: v
        for k, v in vars(args).items()
        if k not in ("func", "command") and not callable(v)
    }


def _save_run(out, results, model=None):
    """Writes `metrics.json` (and `model.keras` unless `model` is None) into
    `out`: first into a temporary folder beside it, made only now so that
    a run stopped while training leaves none behind, then moved into
    place."""
    created = _make_folders(os.path.dirname(out))
    tmp = tempfile.mkdtemp(prefix=".memattn-", dir=os.path.dirname(out))
    done = False
    try:
        if model is not None:
            model.save(os.path.join(tmp, "model.keras"))
        with open(os.path.join(tmp, "metrics.json"), "w") as f:
            json.dump(results, f, indent=2)
        _move_into(tmp, out)
        done = True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not done:
            _remove_empty(created)


def _prepare_out(args, name):
    """The absolute `--out` folder, checked; nothing is created yet."""
    out = os.path.abspath(args.out or os.path.join("runs", name))
    if os.path.exists(out) and not os.path.isdir(out):
        raise CLIError(f"--out {out} exists and is not a folder")
    _check_folder_creatable("--out", out)
    return out


def _check_folder_creatable(flag, path):
    """Raises CLIError unless the folders above `path` exist or can be made
    (the nearest existing one must be a writable folder)."""
    ancestor = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(ancestor):
        ancestor = os.path.dirname(ancestor)
    if not os.path.isdir(ancestor):
        raise CLIError(
            f"{flag} {path} cannot be created: {ancestor} is not a folder"
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise CLIError(
            f"{flag} {path} cannot be created: {ancestor} is not writable"
        )


def _check_not_model(flag, path, model, what="model", source="model"):
    """Raises CLIError when `path` is the model file `model`: writing there
    would destroy the model. `flag` names the argument in the message;
    `what` and `source` name another input file (the test data, say)."""
    same = os.path.realpath(path) == os.path.realpath(model)
    if not same and os.path.exists(path) and os.path.exists(model):
        same = os.path.samefile(path, model)  # a hard link, say.
    if same:
        raise CLIError(
            f"{flag} {path} is the {what} file; writing it would destroy the "
            f"{what}, so name another file. Received: {source} {model}, "
            f"{flag} {path}"
        )


def _make_folders(path):
    """`_folders.make_folders`, with a failure as a `CLIError`."""
    try:
        return _folders.make_folders(path)
    except OSError as e:
        raise CLIError(f"cannot create {path}: {e.strerror}") from None


_remove_empty = _folders.remove_empty


def _run_sequence_task(args):
    """`train --task babi|copy`: a memory model on a non-text task."""
    import keras
    import numpy as np

    from keras_memattn import datasets
    from keras_memattn import models

    if args.cv is not None:
        raise CLIError(f"--cv does not apply to task {args.task!r}")
    if args.data_parallel:
        raise CLIError(
            "--data-parallel applies to the text classification tasks"
        )
    if args.task == "babi":
        if not 1 <= args.babi_task <= 20:
            raise CLIError(
                f"--babi-task must be 1 to 20. Received: {args.babi_task}"
            )
        try:
            train, test, vocabulary = datasets.load_babi(
                args.babi_task, ten_k=args.ten_k, data_dir=args.data_dir
            )
        except FileNotFoundError as e:
            raise CLIError(_dataset_missing(e)) from None
        name = f"babi{args.babi_task}-{args.encoder}"
    else:
        if args.copy_length < 1 or args.num_train < 1:
            raise CLIError("--copy-length and --num-train must be positive")
        name = f"copy-{args.encoder}"
    out = _prepare_out(args, name)
    keras.utils.set_random_seed(args.seed)
    callbacks = [
        keras.callbacks.EarlyStopping(
            monitor="val_loss",
            patience=args.patience,
            restore_best_weights=True,
        )
    ]
    if args.tensorboard is not None:
        callbacks.append(
            keras.callbacks.TensorBoard(args.tensorboard, histogram_freq=1)
        )
    fit_kwargs = dict(
        epochs=args.epochs,
        batch_size=args.batch_size,
        callbacks=callbacks,
        verbose=0 if args.quiet else 1,
    )
    results = {
        "task": args.task,
        "encoder": args.encoder,
        "backend": keras.backend.backend(),
        "config": _run_config(args),
    }
    if args.task == "babi":
        stories, queries, answers = train
        model = models.babi_memory_network(
            len(vocabulary),
            stories.shape[1:],
            queries.shape[1],
            embedding_dim=args.embedding_dim,
            temporal_noise=0.1,  # MemN2N's random empty memories.
            seed=args.seed,
        )
        model.compile(
            optimizer=keras.optimizers.Adam(args.learning_rate, clipnorm=40.0),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        model.fit(
            [stories, queries],
            answers,
            validation_split=args.validation_split,
            **fit_kwargs,
        )
        logits = model.predict(list(test[:2]), batch_size=256, verbose=0)
        metrics = models.classification_metrics(
            test[2], np.argmax(logits, axis=-1)
        )
        metrics.pop("report", None)
        metrics["test_error"] = 100.0 * (1.0 - metrics["accuracy"])
        results["babi_task"] = args.babi_task
    else:
        x, y, w = datasets.copy_task(
            args.num_train, max_length=args.copy_length, seed=args.seed
        )
        model = models.copy_model(args.encoder, units=args.units)
        if args.tensorboard is not None and args.encoder == "mann":
            from keras_memattn.callbacks import MemoryAddressingLogger

            fit_kwargs["callbacks"] = callbacks + [
                MemoryAddressingLogger(
                    os.path.join(args.tensorboard, "memory"), inputs=x[:4]
                )
            ]
        model.compile(
            optimizer=keras.optimizers.Adam(args.learning_rate, clipnorm=10.0),
            loss=keras.losses.BinaryCrossentropy(from_logits=True),
        )
        model.fit(
            x,
            y,
            sample_weight=w,
            validation_split=args.validation_split,
            **fit_kwargs,
        )
        x, y, w = datasets.copy_task(
            256, max_length=args.copy_length, seed=args.seed + 1
        )
        logits = model.predict(x, batch_size=256, verbose=0)
        wrong = ((logits > 0.0) != (y > 0.5)).sum(-1) * w
        metrics = {
            "bits_wrong_per_sequence": float(wrong.sum(-1).mean()),
            "bit_accuracy": float(1.0 - wrong.sum() / (w.sum() * y.shape[-1])),
            "num_examples": int(len(x)),
        }
    results["test"] = metrics
    _save_run(out, results, model)
    shown = ", ".join(
        f"{k} {v:.4f}" for k, v in metrics.items() if isinstance(v, float)
    )
    print(f"{results['task']} / {args.encoder}: {shown} (test)")
    print(f"wrote {out}")
    return 0


class _NullScope:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _maybe_scope(distribution):
    return _NullScope() if distribution is None else distribution.scope()


# The files a run writes into `--out`.
_RUN_FILES = ("model.keras", "metrics.json")


def _move_into(tmp, out):
    """Moves the run's files from `tmp` into `out`.

    A run's file that this run did not write (the `model.keras` of an
    earlier run, when a cross-validation run saves none) is removed, so
    the folder never pairs new metrics with an old model.
    """
    os.makedirs(out, exist_ok=True)
    written = set(os.listdir(tmp))
    for name in _RUN_FILES:
        stale = os.path.join(out, name)
        if name not in written and os.path.isfile(stale):
            os.remove(stale)
    for name in written:
        os.replace(os.path.join(tmp, name), os.path.join(out, name))


def _print_summary(results, summary, out, cv):
    where = f"{cv}-fold CV mean" if cv else "test"
    line = (
        f"{results['task']} / {results['encoder']}: accuracy "
        f"{summary['accuracy']:.4f}, macro-F1 {summary['macro_f1']:.4f} "
        f"({where})"
    )
    if cv:
        stats = results["cross_validation"]["accuracy"]
        line += f"; accuracy {stats['mean']:.4f} +- {stats['std']:.4f}"
    print(line)
    print(f"wrote {out}")


# ---------------------------------------------------------------------------
# evaluate and predict.


def _load_model(path):
    import keras

    import keras_memattn  # noqa: F401 - registers the package's layers.

    if os.path.isdir(path):
        inside = os.path.join(path, "model.keras")
        hint = (
            f"; the model `memattn train` wrote there is {inside}"
            if os.path.isfile(inside)
            else ""
        )
        raise CLIError(f"model {path} is a folder, not a .keras file{hint}")
    if not os.path.isfile(path):
        raise CLIError(f"model file {path} does not exist")
    if str(path).endswith(".keras") and not zipfile.is_zipfile(path):
        # Keras would say "File not found" of a file that exists.
        raise CLIError(
            f"cannot load {path}: it is not a .keras file (a zip archive "
            "written by `model.save` or `memattn train`)"
        )
    try:
        # Only `predict` is called: compile=False skips restoring the
        # optimizer, loss and metrics, and a `jit_compile=True` saved on
        # JAX does not turn into torch.compile under PyTorch.
        model = keras.models.load_model(path, compile=False)
    except Exception as e:
        raise CLIError(
            f"cannot load {path}: {' '.join(str(e).split())[:300]}"
        ) from None
    from keras_memattn import models

    vectorizer = models.get_vectorizer(model)
    if vectorizer is None:
        raise CLIError(
            f"{path} holds no TextVectorizer; save models built with "
            "keras_memattn.models.text_classifier(vectorizer=...)"
        )
    return model, vectorizer, models.get_class_names(model)


def _run_evaluate(args):
    import numpy as np

    from keras_memattn import models

    _check_evaluate_args(args)
    _check_unused_flags(args, build_parser().parse_args(["evaluate", "M"]))
    if args.output:
        if os.path.isdir(args.output):
            raise CLIError(f"--output {args.output} is a folder; name a file")
        _check_not_model("--output", args.output, args.model)
        if args.test is not None:
            _check_not_model(
                "--output", args.output, args.test, "test data", "--test"
            )
        _check_folder_creatable("--output", args.output)
    model, vectorizer, class_names = _load_model(args.model)
    data = _load_task(args, training=False, class_names=class_names)
    split = data.get(args.split)
    if split is None:  # Ruled out by `_check_evaluate_args`.
        raise CLIError(f"task {data['task']!r} has no {args.split} split")
    if class_names is None:
        # The data's labels stand for the outputs 0..C-1 (a file's in
        # sorted order): a different number of classes cannot match.
        outputs = int(model.output_shape[-1])
        found = data["class_names"]
        if len(found) != outputs:
            source = (
                f"--test {args.test}"
                if data["task"] == "custom"
                else f"--task {data['task']}"
            )
            raise CLIError(
                f"the model stores no class names and has {outputs} "
                f"outputs, so the data needs {outputs} classes; {source} "
                f"has {len(found)}: {found[:10]}"
            )
    if class_names is not None and data["class_names"] is not None:
        if list(class_names) != list(data["class_names"]):
            raise CLIError(
                f"the model's classes {class_names} differ from the data's "
                f"{data['class_names']}"
            )
    probabilities = model.predict(
        vectorizer(split[0]), batch_size=256, verbose=0
    )
    metrics = models.classification_metrics(
        split[1], np.argmax(probabilities, axis=-1), class_names
    )
    text = json.dumps(metrics, indent=2)
    if args.output:
        _write_text(args.output, text, "--output")
    print(text)
    print(
        f"accuracy {metrics['accuracy']:.4f}, macro-F1 "
        f"{metrics['macro_f1']:.4f} on {metrics['num_examples']} examples",
        file=sys.stderr,
    )
    return 0


def _check_evaluate_args(args):
    """CLI errors for `evaluate` flags, before the model or data is loaded:
    it scores text classifiers on a split that exists."""
    _check_choice("split", args.split, ("test", "dev"))
    _check_task_flags(args)
    if args.test is not None:
        if args.task not in (None, "custom"):
            raise CLIError(
                "--task and --test are alternatives; pass one of them. "
                f"Received: --task {args.task} --test {args.test}"
            )
        if args.split != "test":
            raise CLIError(
                "--split dev applies to --task sst2 (the only task with a "
                "dev split); a --test FILE is scored as it is, without "
                f"--split. Received: --test {args.test} --split {args.split}"
            )
        return
    if args.task is None:
        raise CLIError("pass --task or your own data with --test FILE")
    if args.task in ("babi", "copy"):
        raise CLIError(
            "evaluate scores text classifiers on a text task with a test "
            f"split ({', '.join(EVALUATE_TASKS)}) or a --test FILE; bAbI "
            "and copy models are scored by `memattn train`. Received: "
            f"--task {args.task}"
        )
    if args.task in CV_TASKS:
        raise CLIError(
            f"task {args.task!r} has no test split (it is scored by "
            f"cross-validation: memattn train --task {args.task} --cv K); "
            f"evaluate on your own --test FILE instead. Received: --task "
            f"{args.task}"
        )
    _check_choice("task", args.task, EVALUATE_TASKS)
    if args.split == "dev" and args.task != "sst2":
        raise CLIError(
            f"task {args.task!r} has no dev split (only sst2 has one); "
            f"use --split test. Received: --task {args.task} --split dev"
        )


def _write_text(path, text, flag):
    """Writes `text` to `path`, creating its folder; a failure leaves no
    partial file and no new empty folder behind."""
    created = _make_folders(os.path.dirname(os.path.abspath(path)))
    existed = os.path.exists(path)
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError as e:
        if not existed and os.path.isfile(path):
            os.remove(path)
        _remove_empty(created)
        raise CLIError(
            f"cannot write {flag} {path}: {e.strerror or e}"
        ) from None


def _run_bench(args):
    try:
        _bench.check_args(args)
    except ValueError as e:
        raise CLIError(str(e)) from None
    if args.json is not None:
        if os.path.isdir(args.json):
            raise CLIError(f"--json {args.json} is a folder, not a file")
        _check_folder_creatable("--json", args.json)
    rows = _bench.run(args)
    if args.json is not None:
        _write_text(args.json, json.dumps(rows, indent=2) + "\n", "--json")


def _run_predict(args):
    import numpy as np

    model, vectorizer, class_names = _load_model(args.model)
    probabilities = np.asarray(model.predict(vectorizer(args.texts), verbose=0))
    for text, p in zip(args.texts, probabilities):
        index = int(np.argmax(p))
        label = class_names[index] if class_names else str(index)
        print(f"{label}\t{p[index]:.4f}\t{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

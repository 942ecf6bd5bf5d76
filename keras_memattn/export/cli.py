"""`memattn export`: convert a `.keras` file to a builtins-only `.tflite`."""

import os
import zipfile

import numpy as np

from keras_memattn import _compat
from keras_memattn.cli import CLIError
from keras_memattn.cli import _check_folder_creatable
from keras_memattn.cli import _check_not_model
from keras_memattn.cli import _flag_message
from keras_memattn.cli import _flags_of
from keras_memattn.cli import _in_flag_words
from keras_memattn.cli import _make_folders
from keras_memattn.cli import _remove_empty
from keras_memattn.cli import report_error
from keras_memattn.export.tflite import QUANTIZE_MODES
from keras_memattn.export.tflite import _missing_export_packages

DESCRIPTION = """\
Converts MODEL.keras to OUT.tflite with TF-Lite builtin ops only (no Flex)
and a static batch size (so recurrent loops become builtin WHILE ops). The
time axis keeps the model's: a time axis left unknown in the model's
keras.Input stays variable unless --sequence-length fixes it; a fixed one
(a text classifier's, from its vectorizer's sequence length) stays as it is.
Conversion runs on the TensorFlow backend; under JAX or PyTorch it runs in a
TensorFlow child process. With --verify, the file runs in the LiteRT
interpreter on random inputs and the largest difference from the Keras model
is printed; a file that fails to run is removed. For a text classifier (a
model that stores its vectorizer), OUT.tokenizer.json is written next to
OUT.tflite: the vocabulary, lower-casing, sequence length, subword settings
and class names that an app needs to turn text into the model's input (see
examples/tflite_app.py).
"""


def add_parser(subparsers):
    """Adds the `export` subcommand to an argparse subparsers object."""
    parser = subparsers.add_parser(
        "export",
        help="convert a .keras model to .tflite (builtin ops only)",
        description=DESCRIPTION,
    )
    parser.add_argument("model", help="the .keras file to convert")
    parser.add_argument("output", help="the .tflite file to write")
    parser.add_argument(
        "--quantize",
        choices=[mode for mode in QUANTIZE_MODES if mode],
        default=None,
        help="post-training quantization (default: none, float32)",
    )
    parser.add_argument(
        "--sequence-length",
        type=int,
        default=None,
        help=(
            "fix a time axis that the model leaves unknown; a model whose "
            "time axis is fixed accepts only its own length (layers with "
            "unroll=True need it fixed in the model's keras.Input)"
        ),
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1,
        help="static batch size of the exported model (default: 1)",
    )
    parser.add_argument(
        "--representative-data",
        default=None,
        help=(
            "calibration inputs for --quantize int8 (and only for it): a "
            ".npy file (one input) or a .npz file (one array per input, in "
            "input order)"
        ),
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="run the file in LiteRT and compare it with the Keras model",
    )
    parser.set_defaults(run=run)
    return parser


def run(args):
    """Runs `memattn export` with parsed arguments; returns the exit code.

    Bad input (a missing model or data file, an invalid flag, an output
    path that is the model file, a model that does not convert, a file
    that fails `--verify`) prints one line, `memattn: error: ...`, on
    stderr and returns 2, as the other `memattn` subcommands do. A file
    fails `--verify` when it does not run in LiteRT or when an output of
    it or of the Keras model is not finite; such a file is removed.
    """
    try:
        return _run(args)
    except CLIError as e:
        return report_error(e)


def _run(args):
    import keras

    import keras_memattn  # noqa: F401 - registers the layers.
    from keras_memattn.export import tflite

    _check_args(args)
    data = None
    if args.representative_data:
        data = _load_arrays(args.representative_data)
    model_path = os.path.abspath(args.model)
    created = _make_folders(os.path.dirname(os.path.abspath(args.output)))
    try:
        path = tflite.to_tflite(
            model_path,
            args.output,
            sequence_length=args.sequence_length,
            batch_size=args.batch_size,
            quantize=args.quantize,
            representative_data=data,
        )
    except (tflite.TFLiteExportError, ValueError) as e:
        _remove_empty(created)
        message = " ".join(str(e).split())
        raise CLIError(_in_flag_words(message, _EXPORT_FLAGS)) from None
    report = None
    model = None
    if args.verify:
        try:
            # Only `predict` is called: no optimizer or loss is needed.
            model = keras.models.load_model(model_path, compile=False)
            inputs = sample_inputs(model, args.sequence_length)
            report = tflite.verify_tflite(path, model, inputs)
            if not np.isfinite(report.max_abs_diff):
                raise ValueError(
                    "the LiteRT outputs differ from the Keras outputs by "
                    f"{report.max_abs_diff} (a non-finite output)"
                )
        except (RuntimeError, ValueError) as e:
            # A file that does not run is not left behind as a result.
            os.remove(path)
            _remove_empty(created)
            raise CLIError(
                f"--verify failed, so {path} was removed: "
                f"{' '.join(str(e).split())}"
            ) from None
    tokenizer_file = _save_tokenizer(model, model_path, path, created)
    print(f"wrote {path} ({os.path.getsize(path) / 1024:.1f} KiB)")
    if tokenizer_file is not None:
        print(
            f"wrote {tokenizer_file} (the tokenizer for an app; see "
            "examples/tflite_app.py)"
        )
    if report is not None:
        print(report.summary())
    return 0


def tokenizer_path(output):
    """Where `memattn export` writes the tokenizer of a text classifier:
    `model.tflite` -> `model.tokenizer.json`."""
    root, ext = os.path.splitext(output)
    if ext.lower() != ".tflite":
        root = output
    return root + ".tokenizer.json"


def _save_tokenizer(model, model_path, path, created):
    """Writes the tokenizer JSON next to `path` when the model holds a
    `TextVectorizer`; returns its path, or `None` for other models."""
    import keras

    from keras_memattn import models
    from keras_memattn.export import tokenizer

    if model is None:
        model = keras.models.load_model(model_path, compile=False)
    if models.get_vectorizer(model) is None:
        return None
    target = tokenizer_path(path)
    try:
        return tokenizer.save_tokenizer(model, target)
    except (OSError, ValueError, TypeError) as e:
        # Without its tokenizer the file cannot classify text: neither is
        # left behind.
        os.remove(path)
        _remove_empty(created)
        raise CLIError(
            f"cannot write the tokenizer {target}, so {path} was removed: "
            f"{' '.join(str(e).split())}"
        ) from None


# The arguments of `to_tflite` that come from flags of the same name; its
# errors name the flags.
_EXPORT_FLAGS = _flags_of(
    "sequence_length", "batch_size", "quantize", "representative_data"
)


def _check_args(args):
    """CLI errors for the flags, before any model is loaded."""
    if args.batch_size < 1:
        raise CLIError(
            _flag_message("batch_size", args.batch_size, "a positive integer")
        )
    if args.sequence_length is not None and args.sequence_length < 1:
        raise CLIError(
            _flag_message(
                "sequence_length", args.sequence_length, "a positive integer"
            )
        )
    if args.quantize == "int8" and not args.representative_data:
        raise CLIError(
            "--quantize int8 needs --representative-data (a .npy or .npz "
            "file of typical inputs). Received: --quantize int8 without "
            "--representative-data"
        )
    if args.representative_data and args.quantize != "int8":
        received = (
            "no --quantize"
            if args.quantize is None
            else f"--quantize {args.quantize}"
        )
        raise CLIError(
            "--representative-data is used only with --quantize int8. "
            f"Received: --representative-data with {received}"
        )
    if not os.path.isfile(args.model):
        raise CLIError(f"model file {args.model} does not exist")
    _check_not_model("output", args.output, args.model)
    if args.representative_data and not os.path.isfile(
        args.representative_data
    ):
        raise CLIError(
            f"--representative-data {args.representative_data} does not "
            "exist; pass a .npy file (one input) or a .npz file (one array "
            "per input)"
        )
    if os.path.isdir(args.output):
        raise CLIError(f"output {args.output} is a folder; name a .tflite file")
    _check_folder_creatable("output", args.output)
    missing = _missing_export_packages()
    if missing:
        # Conversion reads the ops of the file with LiteRT, also without
        # --verify.
        raise CLIError(
            "export converts with TensorFlow and checks the file with "
            f"LiteRT; {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not installed: "
            'pip install "keras-memattn[export]"'
        )


def sample_inputs(model, sequence_length=None, num_samples=4, seed=0):
    """Random inputs that fit `model`: valid token ids for integer inputs.

    Unknown dimensions (other than the batch) take `sequence_length`, or 8.
    For a model that stores a `TextVectorizer` (see
    `keras_memattn.models.text_classifier`), word ids are drawn below its
    `vocabulary_size` and, with subwords, the n-gram ids (`[..., 1:]`) in
    `0..subword_buckets`. Integer inputs of other models are drawn below
    the smallest `input_dim` of their `Embedding` layers (or 2 when they
    have none).
    """
    import keras

    from keras_memattn import models

    rng = np.random.default_rng(seed)
    vectorizer = models.get_vectorizer(model)
    if vectorizer is not None:
        high = vectorizer.vocabulary_size
    else:
        vocab = [
            layer.input_dim
            for layer in _compat.nested_layers(model)
            if isinstance(layer, keras.layers.Embedding)
        ]
        high = min(vocab) if vocab else 2

    def draw(tensor):
        shape = [num_samples] + [
            dim if dim is not None else (sequence_length or 8)
            for dim in tensor.shape[1:]
        ]
        if "int" not in str(tensor.dtype):
            return rng.standard_normal(shape).astype(tensor.dtype)
        ids = rng.integers(0, high, size=shape)
        if (
            vectorizer is not None
            and vectorizer.subword_ngrams is not None
            and len(shape) == 3
        ):
            # [..., 0] is the word id, [..., 1:] the n-gram ids (0 is none).
            ids[..., 1:] = rng.integers(
                0,
                vectorizer.subword_buckets + 1,
                size=shape[:2] + [shape[2] - 1],
            )
        return ids.astype(tensor.dtype)

    return keras.tree.map_structure(draw, _compat.model_input(model))


def _load_arrays(path):
    """The arrays of a .npy file (one input) or a .npz file (one array per
    input, in input order)."""
    try:
        loaded = np.load(path)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                arrays = [loaded[name] for name in loaded.files]
            if not arrays:
                raise ValueError("the .npz file holds no arrays")
            return arrays
        return loaded
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise CLIError(
            f"cannot read --representative-data {path} as .npy or .npz: "
            f"{' '.join(str(e).split())}"
        ) from None

"""`memattn export`: convert a `.keras` file to a builtins-only `.tflite`."""

import os

import numpy as np

from keras_memattn import _compat
from keras_memattn.export.tflite import QUANTIZE_MODES

DESCRIPTION = """\
Converts MODEL.keras to OUT.tflite with TF-Lite builtin ops only (no Flex),
a static batch size (so recurrent loops become builtin WHILE ops) and, unless
--sequence-length is given, a variable sequence length. Conversion runs on the
TensorFlow backend; under JAX or PyTorch it runs in a TensorFlow child process.
With --verify, the file runs in the LiteRT interpreter on random inputs and
the largest difference from the Keras model is printed.
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
        help="fix the time axis (needed for layers with unroll=True)",
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
            "calibration inputs for --quantize int8: a .npy file (one input) "
            "or a .npz file (one array per input, in input order)"
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
    """Runs `memattn export` with parsed arguments; returns the exit code."""
    import keras

    import keras_memattn  # noqa: F401 - registers the layers.
    from keras_memattn.export import tflite

    data = None
    if args.representative_data:
        data = _load_arrays(args.representative_data)
    elif args.quantize == "int8":
        print(
            "error: --quantize int8 needs --representative-data "
            "(a .npy or .npz file of typical inputs)"
        )
        return 2
    model_path = os.path.abspath(args.model)
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
        print(f"error: {e}")
        return 1
    print(f"wrote {path} ({os.path.getsize(path) / 1024:.1f} KiB)")
    if args.verify:
        model = keras.models.load_model(model_path)
        inputs = sample_inputs(model, args.sequence_length)
        report = tflite.verify_tflite(path, model, inputs)
        print(report.summary())
    return 0


def sample_inputs(model, sequence_length=None, num_samples=4, seed=0):
    """Random inputs that fit `model`: valid token ids for integer inputs.

    Unknown dimensions (other than the batch) take `sequence_length`, or 8.
    Integer inputs are drawn below the smallest `input_dim` of the model's
    `Embedding` layers (or 2 when it has none).
    """
    import keras

    rng = np.random.default_rng(seed)
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
        if "int" in str(tensor.dtype):
            return rng.integers(0, high, size=shape).astype(tensor.dtype)
        return rng.standard_normal(shape).astype(tensor.dtype)

    return keras.tree.map_structure(draw, model.input)


def _load_arrays(path):
    if path.endswith(".npz"):
        with np.load(path) as npz:
            return [npz[name] for name in npz.files]
    return np.load(path)

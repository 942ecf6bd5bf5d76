"""TF-Lite export with builtin ops only, and numerical verification in LiteRT.

The conversion route (see `docs/export.md`):

1. On the TensorFlow backend, the model is exported as a SavedModel whose
   serving signature has a fixed batch size (`batch_size`, default 1). A
   static batch is what lets the Keras RNN loop lower to a builtin `WHILE`
   op: with an unknown batch, the loop's `TensorList` has no static element
   shape and TF-Lite needs the `Flex` delegate.
2. `tf.lite.TFLiteConverter.from_saved_model` converts it with
   `TFLITE_BUILTINS` only (`TFLITE_BUILTINS_INT8` for `quantize="int8"`).
   Full-integer conversion runs in a child process, because the converter's
   calibrator can crash the interpreter on models with `WHILE` loops.
3. The op table of the result is read back and any custom (`Flex*`) op is an
   error.

On the JAX and PyTorch backends the model is saved as `.keras` and steps 1-3
run in a child Python process on the TensorFlow backend.
"""

import collections
import dataclasses
import importlib
import importlib.util
import json
import numbers
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

import keras
import numpy as np

from keras_memattn import _compat
from keras_memattn import _folders
from keras_memattn import _validation

QUANTIZE_MODES = (None, "dynamic", "float16", "int8")

_UNROLL_HINT = (
    "Full-integer conversion is known to crash the TF-Lite calibrator on "
    "models with recurrent WHILE loops (tensorflow/tensorflow#75140). Use "
    "`quantize='dynamic'` (int8 weights, float activations), or build the "
    "recurrent layers with `unroll=True` on a `keras.Input` whose time axis "
    "is fixed."
)


# Import name and distribution name of what conversion and LiteRT need.
_EXPORT_PACKAGES = (
    ("tensorflow", "TensorFlow"),
    ("ai_edge_litert", "ai-edge-litert"),
)


def _missing_export_packages():
    """The distributions of the `export` extra that are not installed."""
    return [
        label
        for module, label in _EXPORT_PACKAGES
        if importlib.util.find_spec(module) is None
    ]


def _check_export_installed():
    """Raises an ImportError that names the extra when conversion cannot
    run. Checked without importing TensorFlow, which on the JAX and PyTorch
    backends only the conversion process imports."""
    missing = _missing_export_packages()
    if missing:
        raise ImportError(
            "TF-Lite export needs TensorFlow (the converter) and "
            "ai-edge-litert (to read the ops of the file), also when the "
            "model trains on the JAX or PyTorch backend; "
            f"{' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not installed. Install "
            "them with `pip install keras-memattn[export]`."
        )


def _import_litert(name):
    """Imports `ai_edge_litert.<name>`, or raises an ImportError that says
    how to get it."""
    try:
        return importlib.import_module(f"ai_edge_litert.{name}")
    except ImportError as e:
        raise ImportError(
            "Reading and running .tflite files needs the LiteRT interpreter "
            "(ai-edge-litert). Install it with "
            "`pip install keras-memattn[export]`."
        ) from e


class TFLiteExportError(RuntimeError):
    """The model cannot be converted to a builtins-only TF-Lite model."""


@dataclasses.dataclass
class TFLiteReport:
    """Result of `verify_tflite`.

    Attributes:
        path: the `.tflite` file.
        size_bytes: file size in bytes.
        ops: `{op_name: count}` over every subgraph (loop bodies included).
        max_abs_diff: largest absolute difference between the LiteRT and
            the Keras outputs, over all samples and outputs.
        max_abs_output: largest absolute Keras output (the scale that
            `relative_diff` divides by).
        relative_diff: `max_abs_diff / max_abs_output`.
        latency_ms: median LiteRT time of one `invoke` on one batch.
        outputs: LiteRT outputs, one array per model output, with the
            samples of `inputs` concatenated.
        keras_outputs: Keras outputs on the same inputs.
    """

    path: str
    size_bytes: int
    ops: dict
    max_abs_diff: float
    max_abs_output: float
    relative_diff: float
    latency_ms: float
    outputs: list
    keras_outputs: list

    def summary(self):
        """One human-readable paragraph: size, ops, differences, latency."""
        ops = ", ".join(
            f"{name}x{count}" if count > 1 else name
            for name, count in sorted(self.ops.items())
        )
        return (
            f"{self.path}: {self.size_bytes / 1024:.1f} KiB\n"
            f"ops: {ops}\n"
            f"max abs diff vs Keras: {self.max_abs_diff:.3g} "
            f"({100 * self.relative_diff:.3g} % of max |output| "
            f"{self.max_abs_output:.3g})\n"
            f"LiteRT latency: {self.latency_ms:.3f} ms per invoke"
        )


def to_tflite(
    model,
    path,
    *,
    sequence_length=None,
    batch_size=1,
    quantize=None,
    representative_data=None,
):
    """Converts a Keras model to a `.tflite` file with builtin ops only.

    The batch dimension of every input is fixed to `batch_size`, so the
    recurrent loops of `keras.layers.RNN` (and of every recurrent layer of
    this package) lower to a builtin `WHILE` op instead of `Flex` TensorList
    ops. The time axis stays variable (`-1` in the interpreter's shape
    signature; resize it with `Interpreter.resize_tensor_input`) unless
    `sequence_length` fixes it. Layers built with `unroll=True` need a fixed
    time axis in the model's `keras.Input` already.

    Conversion needs TensorFlow. On the TensorFlow backend it runs in this
    process. On the JAX and PyTorch backends the model is saved as `.keras`
    to a temporary folder and converted by a child Python process on the
    TensorFlow backend (`KERAS_BACKEND=tensorflow`); the weights travel
    unchanged. Layers of a model converted that way must be importable and
    registered for serialization in the child process: every layer of
    `keras_memattn` and Keras is; a model with other custom layers should be
    exported from a TensorFlow-backend process that imports them.

    Args:
        model: a built functional or `Sequential` `keras.Model`, or the path
            of a `.keras` file.
        path: where to write the `.tflite` file.
        sequence_length: optional int. Fixes axis 1 of every input whose
            axis 1 is unknown. Defaults to `None` (keep it variable). A
            model with no unknown axis 1 (a `text_classifier`, whose length
            comes from its vectorizer) accepts only its own length here.
        batch_size: int, the static batch size of the exported model.
            Defaults to `1`.
        quantize: `None` (float32), `"dynamic"` (int8 weights, float
            activations), `"float16"` (float16 weights) or `"int8"` (full
            integer with int8 builtin kernels; inputs and outputs keep their
            dtypes). Defaults to `None`.
        representative_data: calibration inputs for `quantize="int8"`: an
            array (or a list of arrays, one per model input) whose first axis
            indexes samples, or a generator (not a list) of such batches. A
            few hundred samples are typical; they are cast to the dtypes of
            the model's inputs (NumPy's float64 and int64 defaults work).
            The other modes ignore it.

    Returns:
        The path of the written file, as a string.

    Raises:
        ValueError: an invalid argument, a `model` that is no functional
            or Sequential model (or a file that holds none), or a
            `sequence_length` that differs from the model's fixed time
            axis. On any error neither the file nor the folders made for
            it are left behind.
        TFLiteExportError: the model needs an op that TF-Lite has no builtin
            kernel for (the message names it), full-integer conversion
            crashed the converter, or the full-integer file fails to run in
            LiteRT on the representative data.
        ImportError: TensorFlow or ai-edge-litert is not installed (the
            `export` extra), on any backend.

    Example:

    ```python
    import keras
    import numpy as np
    import keras_memattn

    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(100, 8)(inputs)
    x = keras.layers.LSTM(8)(x)
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    path = keras_memattn.export.to_tflite(model, "/tmp/lstm.tflite")
    report = keras_memattn.export.verify_tflite(
        path, model, np.random.randint(0, 100, (4, 7)).astype("int32")
    )
    print(report.summary())
    ```
    """
    batch_size = _validation.positive_int("batch_size", batch_size)
    sequence_length = _validation.optional_positive_int(
        "sequence_length", sequence_length
    )
    _validation.one_of("quantize", quantize, QUANTIZE_MODES)
    if quantize == "int8" and representative_data is None:
        raise ValueError(
            "`representative_data` is required when quantize='int8': "
            "full-integer conversion calibrates activation ranges on it. "
            "Received: representative_data=None"
        )
    if quantize != "int8":
        representative_data = None  # Only full-integer conversion reads it.
    if representative_data is not None:
        representative_data = _fixed_representative(representative_data)
    if not isinstance(model, (str, os.PathLike)):
        _model_input(model)  # Before any folder is made.
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(
            f"`path` names a folder; pass the path of a .tflite file. "
            f"Received: path={path!r}"
        )
    options = {
        "sequence_length": sequence_length,
        "batch_size": batch_size,
        "quantize": quantize,
    }
    if not isinstance(model, (str, os.PathLike)):
        _check_not_keras_quantized(model)
        _check_sequence_length(model, sequence_length)
    _check_export_installed()
    created = _folders.make_folders(os.path.dirname(os.path.abspath(path)))
    try:
        if keras.backend.backend() != "tensorflow":
            return _convert_in_subprocess(
                model, path, representative_data, options
            )
        if isinstance(model, (str, os.PathLike)):
            model = _load_model(os.fspath(model))
        return _convert_in_process(
            model, path, representative_data, isolate_int8=True, **options
        )
    except BaseException:
        # Nothing is left behind: no file (see the converters), and none of
        # the folders made for it.
        _folders.remove_empty(created)
        raise


def verify_tflite(path, model, inputs, *, repeats=10, num_threads=None):
    """Runs a `.tflite` file in LiteRT and compares it with the Keras model.

    The interpreter has the static batch size of the export; `inputs` are
    fed in consecutive batches of that size (the last one padded by
    repeating its final sample and trimmed again). A variable time axis is
    resized to the length of `inputs`. Works on every Keras backend: only
    the Keras model runs on the backend, LiteRT runs the file.

    Args:
        path: the `.tflite` file.
        model: the Keras model the file was converted from.
        inputs: an array or a list of arrays (one per model input), with
            samples on the first axis.
        repeats: how many `invoke` calls the latency median is taken over.
            Defaults to `10`.
        num_threads: LiteRT interpreter threads. Defaults to `None` (the
            interpreter's default).

    Returns:
        A `TFLiteReport` (size, op counts, largest difference, latency and
        both sets of outputs).

    Example:

    ```python
    import keras
    import numpy as np
    import keras_memattn

    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(100, 8, mask_zero=True)(inputs)
    x = keras_memattn.layers.AttentionGRU(8)(x)
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    path = keras_memattn.export.to_tflite(model, "/tmp/gru.tflite")
    ids = np.random.randint(1, 100, (8, 12)).astype("int32")
    report = keras_memattn.export.verify_tflite(path, model, ids)
    assert report.max_abs_diff < 1e-5, report.summary()
    ```
    """
    Interpreter = _import_litert("interpreter").Interpreter

    path = os.fspath(path)
    flat_inputs = [np.asarray(x) for x in keras.tree.flatten(inputs)]
    if not flat_inputs or any(x.ndim == 0 or not len(x) for x in flat_inputs):
        raise ValueError(
            "`inputs` must hold at least one sample: arrays whose first "
            "axis indexes samples. Received: inputs with shapes "
            f"{[x.shape for x in flat_inputs]}"
        )
    num_samples = len(flat_inputs[0])
    interpreter = Interpreter(model_path=path, num_threads=num_threads)
    input_details, output_indices = _signature_io(interpreter)
    if len(input_details) != len(flat_inputs):
        raise ValueError(
            f"The TF-Lite model has {len(input_details)} inputs but "
            f"{len(flat_inputs)} arrays were given. Received: inputs with "
            f"shapes {[x.shape for x in flat_inputs]}"
        )
    ranks = [len(detail["shape_signature"]) for detail in input_details]
    if [x.ndim for x in flat_inputs] != ranks:
        # LiteRT would fail to resize or prepare with an obscure message.
        raise ValueError(
            f"The TF-Lite model's inputs have ranks {ranks} (samples first). "
            f"Received: inputs with shapes {[x.shape for x in flat_inputs]}"
        )
    batch = int(input_details[0]["shape_signature"][0])
    if batch < 1:
        batch = num_samples
    for detail, x in zip(input_details, flat_inputs):
        shape = [batch, *x.shape[1:]]
        if list(detail["shape"]) != shape:
            interpreter.resize_tensor_input(detail["index"], shape)
    interpreter.allocate_tensors()

    collected = [[] for _ in output_indices]
    first_batch = None
    for start in range(0, num_samples, batch):
        chunk = [x[start : start + batch] for x in flat_inputs]
        count = len(chunk[0])
        if count < batch:
            chunk = [
                np.concatenate([c, np.repeat(c[-1:], batch - count, 0)])
                for c in chunk
            ]
        for detail, x in zip(input_details, chunk):
            interpreter.set_tensor(detail["index"], x.astype(detail["dtype"]))
        if first_batch is None:
            first_batch = chunk
        interpreter.invoke()
        for values, index in zip(collected, output_indices):
            values.append(np.array(interpreter.get_tensor(index))[:count])
    outputs = [np.concatenate(values) for values in collected]

    for detail, x in zip(input_details, first_batch):
        interpreter.set_tensor(detail["index"], x.astype(detail["dtype"]))
    latency_ms = _median_ms(interpreter.invoke, repeats)

    keras_outputs = [
        np.asarray(keras.ops.convert_to_numpy(y))
        for y in keras.tree.flatten(
            model.predict(inputs, batch_size=256, verbose=0)
        )
    ]
    if len(keras_outputs) != len(outputs):
        raise ValueError(
            f"The TF-Lite model has {len(outputs)} outputs but the Keras "
            f"model has {len(keras_outputs)}."
        )
    max_abs_diff = 0.0
    max_abs_output = 0.0
    for lite, ref in zip(outputs, keras_outputs):
        lite = lite.reshape(ref.shape).astype("float64")
        ref = ref.astype("float64")
        # `np.max`, unlike the builtin `max`, keeps a NaN: a NaN output
        # must not read as a perfect match.
        diff = np.max(np.abs(lite - ref))
        max_abs_diff = float(np.max([max_abs_diff, diff]))
        max_abs_output = float(np.max([max_abs_output, np.max(np.abs(ref))]))
    return TFLiteReport(
        path=path,
        size_bytes=os.path.getsize(path),
        ops=dict(list_ops(path)),
        max_abs_diff=max_abs_diff,
        max_abs_output=max_abs_output,
        relative_diff=max_abs_diff / max(max_abs_output, 1e-12),
        latency_ms=latency_ms,
        outputs=outputs,
        keras_outputs=keras_outputs,
    )


def list_ops(model):
    """Counts the operators of a TF-Lite model, over all its subgraphs.

    Loop and branch bodies are separate subgraphs of the flatbuffer, so the
    ops inside a `WHILE` body are counted too. Custom ops (for example
    `FlexTensorListReserve`) appear under their custom code.

    Args:
        model: the path of a `.tflite` file, or its content as `bytes`.

    Returns:
        A `collections.Counter` mapping op names (`"FULLY_CONNECTED"`,
        `"WHILE"`, ...) to counts.

    Example:

    ```python
    import keras_memattn

    counts = keras_memattn.export.list_ops("model.tflite")
    ```
    """
    return _read_ops(model)[0]


def _read_ops(model):
    """Op counts and the set of custom op names of a TF-Lite flatbuffer."""
    schema = _import_litert("schema_py_generated")

    if isinstance(model, (bytes, bytearray)):
        content = bytes(model)
    else:
        with open(os.fspath(model), "rb") as f:
            content = f.read()
    names = {
        value: name
        for name, value in vars(schema.BuiltinOperator).items()
        if not name.startswith("_")
    }
    flat = schema.Model.GetRootAs(content, 0)
    codes = []
    custom_ops = set()
    for i in range(flat.OperatorCodesLength()):
        code = flat.OperatorCodes(i)
        custom = code.CustomCode()
        if custom:
            codes.append(custom.decode())
            custom_ops.add(custom.decode())
        else:
            # Builtin codes above 127 live in `BuiltinCode`, older ones in
            # `DeprecatedBuiltinCode`; the larger of the two is the op.
            number = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
            codes.append(names.get(number, f"BUILTIN_{number}"))
    counts = collections.Counter()
    for g in range(flat.SubgraphsLength()):
        subgraph = flat.Subgraphs(g)
        for o in range(subgraph.OperatorsLength()):
            counts[codes[subgraph.Operators(o).OpcodeIndex()]] += 1
    return counts, custom_ops


def check_builtin_ops(model):
    """Raises `TFLiteExportError` if a TF-Lite model has a non-builtin op.

    Args:
        model: the path of a `.tflite` file, or its content as `bytes`.

    Returns:
        The op counts (as `list_ops`) when every op is a builtin.

    Example:

    ```python
    import keras_memattn

    keras_memattn.export.check_builtin_ops("model.tflite")  # or raises
    ```
    """
    ops, custom = _read_ops(model)
    if custom:
        raise TFLiteExportError(
            "The TF-Lite model uses ops that are not TF-Lite builtins: "
            f"{', '.join(sorted(custom))}. `Flex*` ops need the TensorFlow "
            "Select delegate, which mobile runtimes do not ship by default."
        )
    return ops


def _convert_in_process(
    model,
    path,
    representative_data,
    *,
    sequence_length,
    batch_size,
    quantize,
    isolate_int8,
):
    """TensorFlow backend: SavedModel with a static batch, then convert."""
    import tensorflow as tf

    _check_not_keras_quantized(model)
    if representative_data is not None:
        representative_data = _cast_representative(representative_data, model)
    signature = _input_signature(model, batch_size, sequence_length)
    workdir = tempfile.mkdtemp(prefix="memattn-export-")
    try:
        saved_model = os.path.join(workdir, "saved_model")
        try:
            model.export(
                saved_model,
                format="tf_saved_model",
                input_signature=signature,
                verbose=False,
            )
        except Exception as e:
            raise TFLiteExportError(
                "Tracing the model with input signature "
                f"{_describe_signature(signature)} failed: {e}. Layers "
                "built with `unroll=True` need a fixed time axis in the "
                "model's `keras.Input`."
            ) from e
        if quantize == "int8" and isolate_int8:
            data_path = os.path.join(workdir, "representative.npz")
            _save_representative(representative_data, data_path)
            _run_worker(
                {
                    "mode": "saved_model",
                    "source": saved_model,
                    "output": os.path.abspath(path),
                    "quantize": quantize,
                    "batch_size": batch_size,
                    "representative_data": data_path,
                },
                workdir,
            )
            content = open(path, "rb").read()
        else:
            content = _convert_saved_model(
                tf, saved_model, quantize, representative_data, batch_size
            )
            with open(path, "wb") as f:
                f.write(content)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    try:
        check_builtin_ops(content)
        if quantize == "int8":
            _check_runs(content, representative_data, batch_size)
    except TFLiteExportError:
        os.remove(path)
        raise
    return path


def _check_runs(content, data, batch_size, max_batches=8):
    """Invokes a converted model on calibration batches; raises on failure.

    A full-integer model can convert and still fail at run time, for
    example when a divisor quantizes to zero.
    """
    Interpreter = _import_litert("interpreter").Interpreter

    interpreter = Interpreter(model_content=content)
    input_details, _ = _signature_io(interpreter)
    for count, batch in enumerate(_iter_batches(data, batch_size)):
        if count == max_batches:
            break
        try:
            for detail, x in zip(input_details, batch):
                if list(detail["shape"]) != list(x.shape):
                    interpreter.resize_tensor_input(detail["index"], x.shape)
            interpreter.allocate_tensors()
            for detail, x in zip(input_details, batch):
                interpreter.set_tensor(
                    detail["index"], x.astype(detail["dtype"])
                )
            interpreter.invoke()
        except (RuntimeError, ValueError) as e:
            raise TFLiteExportError(
                "The full-integer model converted but fails in LiteRT on "
                f"the representative data: {str(e).splitlines()[0]} Use "
                "`quantize='dynamic'` for this model."
            ) from e


def _convert_saved_model(tf, saved_model, quantize, data, batch_size):
    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantize is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if quantize == "int8":
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.TFLITE_BUILTINS_INT8
        ]
        batches = list(_iter_batches(data, batch_size))

        def representative_dataset():
            yield from batches

        converter.representative_dataset = representative_dataset
    try:
        return converter.convert()
    except Exception as e:
        raise TFLiteExportError(_explain_converter_error(str(e))) from e


def _explain_converter_error(message):
    ops = sorted(set(re.findall(r"'(tf\.[A-Za-z0-9_]+)' op", message)))
    ops += sorted(
        set(re.findall(r"(?:tf|tfl)\.[A-Za-z0-9_]+(?= op is neither)", message))
    )
    if "TensorListReserve" in message:
        return (
            "The TF-Lite converter could not lower a recurrent loop to a "
            "builtin WHILE op because its element shape is not static "
            "(tf.TensorListReserve). Export with a fixed `batch_size` and, "
            "if the error remains, a fixed `sequence_length`. Converter "
            f"message: {_first_lines(message)}"
        )
    if ops:
        return (
            "The model uses ops that have no TF-Lite builtin kernel: "
            f"{', '.join(dict.fromkeys(ops))}. They would need Flex "
            "(SELECT_TF_OPS), which this export does not enable; rewrite the "
            "layer with ops that have builtins (for example "
            "`exp(cumsum(log(x)))` instead of `cumprod`)."
        )
    return f"TF-Lite conversion failed: {_first_lines(message)}"


def _first_lines(message, count=6):
    lines = [line for line in message.splitlines() if line.strip()]
    return "\n".join(lines[:count])


def _check_not_keras_quantized(model):
    for layer in _compat.nested_layers(model):
        mode = getattr(layer, "quantization_mode", None)
        if mode is not None:
            raise TFLiteExportError(
                f"Layer `{layer.name}` was quantized by Keras "
                f"(quantization_mode={mode!r}); such models do not convert "
                "to TF-Lite. Export the float model and pass `quantize=` to "
                "`to_tflite` instead."
            )


def _model_input(model):
    try:
        return _compat.model_input(model)
    except (AttributeError, ValueError) as e:
        raise ValueError(
            "`to_tflite` needs a functional or Sequential model with known "
            f"inputs (built with `keras.Input`). Received: model={model!r}"
        ) from e


def _check_sequence_length(model, sequence_length):
    """Raises when `sequence_length` would be ignored: no input has an
    unknown axis 1, and it differs from the fixed ones."""
    if sequence_length is None:
        return
    shapes = [tuple(t.shape) for t in keras.tree.flatten(_model_input(model))]
    timed = [shape for shape in shapes if len(shape) > 1]
    if any(shape[1] is None for shape in timed):
        return
    fixed = sorted({shape[1] for shape in timed})
    if fixed == [sequence_length]:
        return
    if fixed:
        where = (
            "the model's time axis is fixed at "
            f"{', '.join(str(n) for n in fixed)} in its `keras.Input` "
            "(a text classifier's at its vectorizer's sequence length)"
        )
    else:
        where = "the model's inputs have no time axis"
    raise ValueError(
        "`sequence_length` fixes a time axis that the model leaves unknown, "
        f"but {where}; export without `sequence_length`. Received: "
        f"sequence_length={sequence_length}"
    )


def _input_signature(model, batch_size, sequence_length):
    import tensorflow as tf

    structure = _model_input(model)
    _check_sequence_length(model, sequence_length)

    def spec(tensor):
        shape = list(tensor.shape)
        shape[0] = batch_size
        if sequence_length is not None and len(shape) > 1:
            if shape[1] is None:
                shape[1] = sequence_length
        return tf.TensorSpec(shape, tf.as_dtype(tensor.dtype))

    return [keras.tree.map_structure(spec, structure)]


def _describe_signature(signature):
    return [
        f"{spec.dtype.name}{list(spec.shape)}"
        for spec in keras.tree.flatten(signature)
    ]


def _is_arrays(data):
    """Whether `data` is an array or a structure of arrays (not empty)."""
    if not isinstance(data, (np.ndarray, list, tuple, dict)):
        return False
    leaves = keras.tree.flatten(data)
    return bool(leaves) and all(hasattr(x, "shape") for x in leaves)


def _fixed_representative(data):
    """`data` in a form that can be read more than once, checked non-empty.

    A generator is read once here: the conversion and the check that the
    converted file runs both go through the samples.
    """
    received = type(data).__name__
    if isinstance(data, (list, tuple)) and all(
        isinstance(x, numbers.Number) for x in keras.tree.flatten(data)
    ):
        data = np.asarray(data)  # Nested lists of numbers: one array.
    if not _is_arrays(data):
        data = _Batches(data)
    if next(_iter_batches(data, 1), None) is None:
        raise ValueError(
            "`representative_data` holds no samples; full-integer "
            "conversion needs some to calibrate activation ranges. "
            f"Received: representative_data of type {received} "
            "with 0 samples"
        )
    return data


class _Batches:
    """The batches of a generator, kept so they can be read again."""

    def __init__(self, batches):
        self.batches = list(batches)

    def __iter__(self):
        return iter(self.batches)


def _batches(arrays, batch_size):
    """Splits arrays into batches; the last is completed by wrapping around
    to the first samples, so no sample is dropped and fewer samples than
    `batch_size` still make one batch."""
    count = len(arrays[0])
    for start in range(0, count, batch_size):
        rows = np.arange(start, start + batch_size) % count
        yield [x[rows] for x in arrays]


def _iter_batches(data, batch_size):
    """Yields lists of float/int arrays of `batch_size` samples."""
    if _is_arrays(data):
        items = [data]
    else:
        items = data
    for item in items:
        arrays = [np.asarray(x) for x in keras.tree.flatten(item)]
        if arrays and len(arrays[0]):
            yield from _batches(arrays, batch_size)


def _cast_representative(data, model):
    """The calibration samples as arrays of the model's input dtypes.

    NumPy's defaults, float64 and int64, do not feed a float32 or int32
    TF-Lite input. Data whose inputs do not match the model's in number is
    returned as it is, for the conversion to report.
    """
    dtypes = [
        keras.backend.standardize_dtype(t.dtype)
        for t in keras.tree.flatten(model.input)
    ]
    per_input = [np.concatenate(s) for s in zip(*_iter_batches(data, 1))]
    if len(per_input) != len(dtypes):
        return data
    return [x.astype(dtype) for x, dtype in zip(per_input, dtypes)]


def _load_model(path):
    """`keras.models.load_model`, with a `ValueError` naming the file when
    it holds no readable Keras model (Keras raises KeyError, OSError, ...).
    """
    if str(path).endswith(".keras") and not zipfile.is_zipfile(path):
        # Keras would say "File not found" of a file that exists.
        raise ValueError(
            f"Cannot load a Keras model from {path}: it is not a .keras file "
            "(a zip archive written by `model.save`)"
        )
    try:
        return keras.models.load_model(path)
    except (OSError, KeyError, TypeError, ValueError, zipfile.BadZipFile) as e:
        raise ValueError(
            f"Cannot load a Keras model from {path}: {_first_lines(str(e), 1)}"
        ) from e


def _save_representative(data, path):
    per_input = zip(*_iter_batches(data, 1))
    np.savez(path, *[np.concatenate(samples) for samples in per_input])


def _load_representative(path):
    with np.load(path) as npz:
        return [npz[f"arr_{i}"] for i in range(len(npz.files))]


def _convert_in_subprocess(model, path, representative_data, options):
    """JAX/torch: save `.keras`, convert in a TensorFlow-backend process."""
    workdir = tempfile.mkdtemp(prefix="memattn-export-")
    try:
        if isinstance(model, (str, os.PathLike)):
            source = os.path.abspath(os.fspath(model))
        else:
            source = os.path.join(workdir, "model.keras")
            model.save(source)
        spec = {
            "mode": "keras",
            "source": source,
            "output": os.path.abspath(path),
            **options,
        }
        if representative_data is not None:
            spec["representative_data"] = os.path.join(
                workdir, "representative.npz"
            )
            _save_representative(
                representative_data, spec["representative_data"]
            )
        _run_worker(spec, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return path


def _run_worker(spec, workdir):
    spec_path = os.path.join(workdir, "spec.json")
    spec["result"] = os.path.join(workdir, "result.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    env = dict(os.environ, KERAS_BACKEND="tensorflow")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    process = subprocess.run(
        [sys.executable, "-m", "keras_memattn.export._worker", spec_path],
        env=env,
        capture_output=True,
        text=True,
    )
    if os.path.exists(spec["result"]):
        with open(spec["result"]) as f:
            result = json.load(f)
        if result.get("error"):
            error_cls = {
                "ValueError": ValueError,
                "TFLiteExportError": TFLiteExportError,
            }.get(result["type"], TFLiteExportError)
            raise error_cls(result["error"])
        if process.returncode == 0:
            return
    if process.returncode < 0:
        name = signal.Signals(-process.returncode).name
        message = (
            f"The TF-Lite converter crashed ({name}) in the conversion process"
        )
        if spec.get("quantize") == "int8":
            message += f" during full-integer quantization. {_UNROLL_HINT}"
        else:
            message += "."
        raise TFLiteExportError(message)
    raise TFLiteExportError(
        "The TensorFlow conversion process failed with exit code "
        f"{process.returncode}:\n{process.stderr[-3000:]}"
    )


def _worker_main(spec_path):
    """Entry point of the conversion child process (TensorFlow backend)."""
    with open(spec_path) as f:
        spec = json.load(f)
    data = None
    if spec.get("representative_data"):
        data = _load_representative(spec["representative_data"])
    try:
        if spec["mode"] == "keras":
            import keras_memattn  # noqa: F401 - registers the layers.

            # Already isolated: a converter crash ends this process and
            # the parent reports it.
            _convert_in_process(
                _load_model(spec["source"]),
                spec["output"],
                data,
                sequence_length=spec["sequence_length"],
                batch_size=spec["batch_size"],
                quantize=spec["quantize"],
                isolate_int8=False,
            )
        else:
            import tensorflow as tf

            content = _convert_saved_model(
                tf, spec["source"], spec["quantize"], data, spec["batch_size"]
            )
            with open(spec["output"], "wb") as f:
                f.write(content)
        result = {"error": None}
    except (TFLiteExportError, ValueError) as e:
        result = {"error": str(e), "type": type(e).__name__}
    with open(spec["result"], "w") as f:
        json.dump(result, f)


def _signature_io(interpreter):
    """Input details and output tensor indices in the model's call order."""
    signatures = interpreter.get_signature_list()
    if len(signatures) == 1:
        runner = interpreter.get_signature_runner(next(iter(signatures)))
        inputs = runner.get_input_details()
        outputs = runner.get_output_details()
        by_index = {d["index"]: d for d in interpreter.get_input_details()}
        input_details = [
            by_index[inputs[name]["index"]] for name in _ordered(inputs)
        ]
        output_indices = [outputs[name]["index"] for name in _ordered(outputs)]
        return input_details, output_indices
    return (
        interpreter.get_input_details(),
        [d["index"] for d in interpreter.get_output_details()],
    )


def _ordered(names):
    """Sorts `args_0, args_0_1, ..., output_0, output_1, ...` naturally."""

    def key(name):
        return [
            int(part) if part.isdigit() else part
            for part in re.split(r"(\d+)", name)
        ]

    return sorted(names, key=key)


def _median_ms(fn, repeats):
    for _ in range(3):
        fn()
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)

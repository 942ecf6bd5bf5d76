"""TF-Lite export of the example models: size, batch-1 latency, accuracy.

For each encoder of `keras_memattn.models.text_classifier` (and the LSTM
baseline with `unroll=True`, the one recurrent form that full-integer
conversion accepts), a small model is
trained briefly on SST-2 (word vocabulary from the training split) and
exported three ways with `keras_memattn.export.to_tflite`: float32,
dynamic-range (int8 weights) and full-integer int8. For each file the script
reports its size, the LiteRT batch-1 `invoke` time against the Keras batch-1
`predict_on_batch` time measured in the same process, and the test-set
accuracy of the exported model against the Keras model's.

Run on the TensorFlow backend (conversion needs TensorFlow):

    KERAS_BACKEND=tensorflow python benchmarks/export.py

It writes `benchmarks/results/export-tensorflow.json` and
`docs/benchmarks/export-tensorflow.md`. With `--ops` it instead converts the
small per-layer models of `tests/export/export_cases.py` and writes their op
lists to `docs/benchmarks/export-ops-tensorflow.md`.
"""

import argparse
import os
import sys
import tempfile
import time

import keras
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import common  # noqa: E402
from keras_memattn import datasets  # noqa: E402
from keras_memattn import export  # noqa: E402
from keras_memattn import models  # noqa: E402

COMMAND = "KERAS_BACKEND=tensorflow python benchmarks/export.py"

# Each encoder of `text_classifier`, plus the LSTM baseline unrolled over the
# fixed sequence length: no WHILE loop, the route to full-integer int8.
VARIANTS = {encoder: (encoder, {}) for encoder in models.ENCODERS}
VARIANTS["lstm_unrolled"] = ("lstm", {"unroll": True})


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--encoders",
        nargs="+",
        default=list(VARIANTS),
        choices=list(VARIANTS),
    )
    parser.add_argument("--train-samples", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--sequence-length", type=int, default=40)
    parser.add_argument("--max-tokens", type=int, default=8000)
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--calibration-samples", type=int, default=200)
    parser.add_argument("--latency-repeats", type=int, default=50)
    parser.add_argument(
        "--ops",
        action="store_true",
        help="instead, write the op list of every per-layer test model",
    )
    return parser.parse_args(argv)


def load_data(args):
    data = datasets.load_sst2()
    train_texts, train_labels = data["train"]
    rng = np.random.default_rng(0)
    keep = rng.permutation(len(train_texts))[: args.train_samples]
    train_texts = [train_texts[i] for i in keep]
    train_labels = np.asarray(train_labels)[keep]
    vectorizer = datasets.TextVectorizer(
        max_tokens=args.max_tokens, sequence_length=args.sequence_length
    ).fit(train_texts)
    test_texts, test_labels = data["test"]
    return (
        vectorizer,
        (vectorizer.encode(train_texts), train_labels),
        (vectorizer.encode(test_texts), np.asarray(test_labels)),
    )


def benchmark_encoder(variant, args, vectorizer, train, test, workdir):
    encoder, encoder_kwargs = VARIANTS[variant]
    keras.utils.set_random_seed(0)
    model = models.text_classifier(
        encoder,
        encoder_kwargs=encoder_kwargs,
        vectorizer=vectorizer,
        class_names=["negative", "positive"],
        embedding_dim=args.units,
        units=args.units,
        num_heads=4,
        sequence_length=args.sequence_length,
    )
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    model.fit(*train, batch_size=64, epochs=args.epochs, verbose=0)
    train_s = time.perf_counter() - start
    x_test, y_test = test
    keras_ms = common.time_inference(
        model, x_test[:1], warmup=5, repeats=args.latency_repeats
    )
    calibration = train[0][: args.calibration_samples]
    rows = []
    float_size = None
    for quantize in (None, "dynamic", "int8"):
        label = quantize or "float32"
        path = os.path.join(workdir, f"{variant}-{label}.tflite")
        row = {
            "model": f"text_classifier/{encoder}"
            + "".join(f" ({k}={v})" for k, v in encoder_kwargs.items()),
            "format": label,
            "keras_ms": keras_ms,
            "train_s": train_s,
        }
        try:
            start = time.perf_counter()
            export.to_tflite(
                model,
                path,
                quantize=quantize,
                representative_data=calibration,
            )
            row["convert_s"] = time.perf_counter() - start
        except export.TFLiteExportError as e:
            row["status"] = "not exported: " + str(e).split(". ")[0]
            rows.append(row)
            print(f"{variant} {label}: {row['status']}", flush=True)
            continue
        try:
            report = export.verify_tflite(
                path, model, x_test, repeats=args.latency_repeats
            )
        except RuntimeError as e:
            row["status"] = "LiteRT failed: " + str(e).splitlines()[0]
            rows.append(row)
            print(f"{variant} {label}: {row['status']}", flush=True)
            continue
        keras_pred = np.argmax(report.keras_outputs[0], axis=-1)
        lite_pred = np.argmax(report.outputs[0], axis=-1)
        if float_size is None:
            float_size = report.size_bytes
        row.update(
            status="ok",
            size_kb=report.size_bytes / 1024,
            size_ratio=report.size_bytes / float_size,
            litert_ms=report.latency_ms,
            speedup=keras_ms / report.latency_ms,
            keras_acc=100 * float(np.mean(keras_pred == y_test)),
            litert_acc=100 * float(np.mean(lite_pred == y_test)),
            agreement=100 * float(np.mean(keras_pred == lite_pred)),
            max_abs_diff=report.max_abs_diff,
            ops=len(report.ops),
            has_while="WHILE" in report.ops,
        )
        row["acc_delta"] = row["litert_acc"] - row["keras_acc"]
        rows.append(row)
        print(
            f"{variant} {label}: {row['size_kb']:.0f} KB "
            f"({100 * row['size_ratio']:.0f} %), LiteRT "
            f"{row['litert_ms']:.3f} ms vs Keras {keras_ms:.3f} ms, "
            f"acc {row['litert_acc']:.2f} vs {row['keras_acc']:.2f}, "
            f"max diff {row['max_abs_diff']:.2g}",
            flush=True,
        )
    return rows


def op_table():
    """Op list of the small per-layer models of the export tests."""
    from tests.export import export_cases

    cases = {
        **export_cases.available(export_cases.LAYER_CASES),
        **export_cases.MODEL_CASES,
    }
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for name, builder in cases.items():
            case = builder()
            path = export.to_tflite(
                case.model, os.path.join(workdir, "model.tflite")
            )
            report = export.verify_tflite(path, case.model, case.inputs)
            rows.append(
                {
                    "case": f"`{name}`",
                    "size_kb": report.size_bytes / 1024,
                    "max_abs_diff": report.max_abs_diff,
                    "ops": ", ".join(sorted(report.ops)),
                }
            )
            print(name, rows[-1]["ops"], flush=True)
    common.write_report(
        "export-ops",
        rows,
        [
            ("case", "model", None),
            ("size_kb", "float KB", ".1f"),
            ("max_abs_diff", "max abs diff", ".1g"),
            ("ops", "TF-Lite ops (all subgraphs)", None),
        ],
        "Builtin ops of the per-layer export test models "
        "(tests/export/export_cases.py), float32, batch 1",
        command=f"{COMMAND} --ops",
    )


def main(argv=None):
    args = parse_args(argv)
    if keras.backend.backend() != "tensorflow":
        raise SystemExit(
            "Run this benchmark with KERAS_BACKEND=tensorflow: it measures "
            "Keras and LiteRT in the same process, and conversion needs "
            "TensorFlow."
        )
    if args.ops:
        op_table()
        return
    vectorizer, train, test = load_data(args)
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for variant in args.encoders:
            rows += benchmark_encoder(
                variant, args, vectorizer, train, test, workdir
            )
    columns = [
        ("model", "model", None),
        ("format", "format", None),
        ("size_kb", "size KB", ".0f"),
        ("size_ratio", "size / float", ".2f"),
        ("litert_ms", "LiteRT b1 ms", ".3f"),
        ("keras_ms", "Keras b1 ms", ".3f"),
        ("speedup", "Keras / LiteRT", ".1f"),
        ("keras_acc", "Keras acc %", ".2f"),
        ("litert_acc", "LiteRT acc %", ".2f"),
        ("acc_delta", "Δ acc (points)", "+.2f"),
        ("agreement", "same label %", ".2f"),
        ("max_abs_diff", "max abs diff", ".2g"),
        ("status", "status", None),
    ]
    notes = [
        f"SST-2: {args.train_samples} training phrases, {args.epochs} "
        f"epoch(s), accuracy on the {len(test[1])}-sentence test set; "
        f"vocabulary of {args.max_tokens} words, sequence length "
        f"{args.sequence_length}, embedding and units {args.units}. "
        "Latency: median of "
        f"{args.latency_repeats} batch-1 calls after warm-up, Keras "
        "`predict_on_batch` against LiteRT `invoke`, same process. int8 "
        f"is calibrated on {args.calibration_samples} training phrases.",
    ]
    common.write_report(
        "export",
        rows,
        columns,
        "TF-Lite export of the example models",
        notes=notes,
        command=COMMAND,
    )


if __name__ == "__main__":
    main()

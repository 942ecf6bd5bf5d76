"""Q-MANN on bAbI 1k: float vs conventionally quantized vs Hamming addressing.

Trains a `MemoryNetwork` per bAbI task in five configurations with the same
seed, data split, epochs and optimizer (only the similarity and the
quantization differ), as in the comparison of Park et al. (2018):

* float MemN2N (dot-product similarity);
* 8-bit fixed point with dot similarity (conventional quantization);
* 8-bit fixed point with Hamming similarity (Q-MANN);
* binary with dot similarity;
* binary with Hamming similarity (Q-MANN).

and reports the mean test error, the number of failed tasks (error > 5 %)
and the error reduction of Hamming over dot at the same precision.

    KERAS_BACKEND=jax python -m benchmarks.qmann --epochs 25

Results go to `benchmarks/results/qmann-<backend>.json` and
`docs/benchmarks/qmann-<backend>.md` (summary) and
`docs/benchmarks/qmann_tasks-<backend>.md` (per task).
"""

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks import common  # noqa: E402
from examples.babi import run_task  # noqa: E402
from keras_memattn.ops import QuantizationConfig  # noqa: E402

CONFIGS = (
    ("float", "dot", None),
    ("fixed8_dot", "dot", "fixed_point"),
    ("fixed8_hamming", "hamming", "fixed_point"),
    ("binary_dot", "dot", "binary"),
    ("binary_hamming", "hamming", "binary"),
)

LABELS = {
    "float": "float, dot (MemN2N)",
    "fixed8_dot": "8-bit fixed point, dot (conventional)",
    "fixed8_hamming": "8-bit fixed point, Hamming (Q-MANN)",
    "binary_dot": "binary, dot (conventional)",
    "binary_hamming": "binary, Hamming (Q-MANN)",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, nargs="+", default=range(1, 21))
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--embedding-dim", type=int, default=20)
    parser.add_argument("--integer-bits", type=int, default=3)
    parser.add_argument(
        "--hamming-scale",
        type=float,
        default=0.375,
        help="kappa; 0.375 bounds the logits by 7.5 at embedding 20, as "
        "Q-MANN's 1/8 does at embedding 60",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--configs", nargs="+", default=[name for name, _, _ in CONFIGS]
    )
    args = parser.parse_args()
    tasks = list(args.tasks)

    errors = {}
    seconds = {}
    start = time.perf_counter()
    for name, similarity, mode in CONFIGS:
        if name not in args.configs:
            continue
        quantization = None
        if mode is not None:
            quantization = QuantizationConfig(
                mode=mode, word_length=8, integer_bits=args.integer_bits
            )
        errors[name] = {}
        seconds[name] = 0.0
        for task in tasks:
            result = run_task(
                task,
                epochs=args.epochs,
                seed=args.seed,
                embedding_dim=args.embedding_dim,
                similarity=similarity,
                quantization=quantization,
                hamming_scale=args.hamming_scale,
            )
            errors[name][task] = result["test_error"]
            seconds[name] += result["train_seconds"]
            print(
                f"{name:15s} task {task:2d}: "
                f"{result['test_error']:5.1f} % "
                f"(best epoch {result['best_epoch']})",
                flush=True,
            )
    total_minutes = (time.perf_counter() - start) / 60.0

    rows = []
    for name in errors:
        values = list(errors[name].values())
        row = {
            "config": LABELS[name],
            "mean_error": float(np.mean(values)),
            "failed": int(sum(v > 5.0 for v in values)),
            "train_minutes": seconds[name] / 60.0,
            "reduction": None,
        }
        baseline = {"fixed8_hamming": "fixed8_dot"}.get(name) or {
            "binary_hamming": "binary_dot"
        }.get(name)
        if baseline in errors:
            base = float(np.mean(list(errors[baseline].values())))
            row["reduction"] = 100.0 * (base - row["mean_error"]) / base
        rows.append(row)

    command = (
        "KERAS_BACKEND=jax python -m benchmarks.qmann --epochs "
        f"{args.epochs} --hamming-scale {args.hamming_scale} "
        f"--tasks {' '.join(map(str, tasks))}"
    )
    setup = (
        f"bAbI 1k (en), tasks {tasks[0]}-{tasks[-1]}"
        if tasks == list(range(tasks[0], tasks[-1] + 1))
        else f"bAbI 1k (en), tasks {', '.join(map(str, tasks))}"
    )
    notes = [
        f"{setup}; one model per task; {args.epochs} epochs of Adam "
        "(learning rate 0.01, clipnorm 40), batch 32, 3 hops, "
        f"embedding {args.embedding_dim}, adjacent tying, position and "
        "temporal encoding; 10 % of the training split held out and the "
        f"best validation epoch kept; seed {args.seed}; fixed point = 8 "
        f"bits with {args.integer_bits} integer bits; Hamming scale "
        f"{args.hamming_scale}. Reduction = relative "
        "drop of the mean error from dot to Hamming similarity at the same "
        f"precision. Total wall time {total_minutes:.1f} min.",
    ]
    common.write_report(
        "qmann",
        rows,
        [
            ("config", "configuration", None),
            ("mean_error", "mean test error %", ".1f"),
            ("failed", "failed tasks (> 5 %)", "d"),
            ("reduction", "error reduction vs dot %", ".0f"),
            ("train_minutes", "train min", ".1f"),
        ],
        title="Q-MANN configurations on bAbI 1k",
        notes=notes,
        command=command,
    )
    task_rows = [
        {"task": task, **{name: errors[name][task] for name in errors}}
        for task in tasks
    ]
    common.write_report(
        "qmann_tasks",
        task_rows,
        [("task", "task", "d")]
        + [(name, LABELS[name], ".1f") for name in errors],
        title="Test error (%) per bAbI task",
        command=command,
    )


if __name__ == "__main__":
    main()

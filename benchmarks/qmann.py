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

    KERAS_BACKEND=jax python -m benchmarks.qmann

Results go to `benchmarks/results/qmann-<backend>.json` and
`docs/benchmarks/qmann-<backend>.md` (summary) and
`docs/benchmarks/qmann_tasks-<backend>.md` (per task).
"""

import argparse
import multiprocessing
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

# (name, similarity, quantization mode, accumulator)
CONFIGS = (
    ("float", "dot", None, None),
    ("fixed8_dot_wide", "dot", "fixed_point", "float"),
    ("fixed8_dot", "dot", "fixed_point", "fixed_point"),
    ("fixed8_hamming", "hamming", "fixed_point", "float"),
    ("binary_dot", "dot", "binary", "float"),
    ("binary_hamming", "hamming", "binary", "float"),
)

LABELS = {
    "float": "float, dot (MemN2N)",
    "fixed8_dot_wide": "8-bit fixed point, dot, wide accumulator",
    "fixed8_dot": "8-bit fixed point, dot, 8-bit accumulator (conventional)",
    "fixed8_hamming": "8-bit fixed point, Hamming (Q-MANN)",
    "binary_dot": "binary, dot (conventional)",
    "binary_hamming": "binary, Hamming (Q-MANN)",
}
# Q-MANN's claim is measured against the conventional variant.
BASELINES = {"fixed8_hamming": "fixed8_dot", "binary_hamming": "binary_dot"}


def _run_job(job_and_options):
    (name, similarity, mode, accumulator, task), options = job_and_options
    options = dict(options)
    integer_bits = options.pop("integer_bits")
    logits_integer_bits = options.pop("logits_integer_bits")
    quantization = None
    if mode is not None:
        formats = None
        if logits_integer_bits is not None and mode == "fixed_point":
            formats = {"logits": {"integer_bits": logits_integer_bits}}
        quantization = QuantizationConfig(
            mode=mode,
            word_length=8,
            integer_bits=integer_bits,
            accumulator=accumulator,
            tensor_formats=formats,
        )
    return run_task(
        task, similarity=similarity, quantization=quantization, **options
    )


def _record(errors, seconds, name, result):
    errors[name][result["task"]] = result["test_error"]
    seconds[name] += result["train_seconds"]
    print(
        f"{name:15s} task {result['task']:2d}: "
        f"{result['test_error']:5.1f} % (best epoch {result['best_epoch']})",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, nargs="+", default=range(1, 21))
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--restarts", type=int, default=1)
    parser.add_argument("--embedding-dim", type=int, default=20)
    parser.add_argument(
        "--weight-tying", default="layerwise", choices=["layerwise", "adjacent"]
    )
    parser.add_argument(
        "--linear-start", action=argparse.BooleanOptionalAction, default=False
    )
    parser.add_argument("--integer-bits", type=int, default=3)
    parser.add_argument(
        "--logits-integer-bits",
        type=int,
        default=None,
        help="integer bits of the attention logits' format (default: "
        "--integer-bits)",
    )
    parser.add_argument(
        "--hamming-scale",
        type=float,
        default=0.125,
        help="kappa (Q-MANN: 1/8)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="training processes run in parallel (one per CPU core)",
    )
    parser.add_argument(
        "--configs", nargs="+", default=[config[0] for config in CONFIGS]
    )
    args = parser.parse_args()
    tasks = list(args.tasks)

    jobs = [
        (name, similarity, mode, accumulator, task)
        for name, similarity, mode, accumulator in CONFIGS
        if name in args.configs
        for task in tasks
    ]
    options = {
        "epochs": args.epochs,
        "seed": args.seed,
        "restarts": args.restarts,
        "weight_tying": args.weight_tying,
        "tie_answer": args.weight_tying == "adjacent",
        "linear_start": args.linear_start,
        "embedding_dim": args.embedding_dim,
        "hamming_scale": args.hamming_scale,
        "integer_bits": args.integer_bits,
        "logits_integer_bits": args.logits_integer_bits,
    }
    errors = {job[0]: {} for job in jobs}
    seconds = dict.fromkeys(errors, 0.0)
    start = time.perf_counter()
    if args.workers > 1:
        # One single-threaded XLA process per worker: these models are too
        # small for intra-op threads to pay off.
        os.environ["XLA_FLAGS"] = (
            os.environ.get("XLA_FLAGS", "")
            + " --xla_cpu_multi_thread_eigen=false"
            + " intra_op_parallelism_threads=1"
        )
        context = multiprocessing.get_context("spawn")
        with context.Pool(args.workers) as pool:
            results = pool.imap(
                _run_job, [(job, options) for job in jobs], chunksize=1
            )
            for job, result in zip(jobs, results):
                name = job[0]
                _record(errors, seconds, name, result)
    else:
        for job in jobs:
            _record(errors, seconds, job[0], _run_job((job, options)))
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
        baseline = BASELINES.get(name)
        if baseline in errors:
            base = float(np.mean(list(errors[baseline].values())))
            row["reduction"] = 100.0 * (base - row["mean_error"]) / base
        rows.append(row)

    flags = [f"--epochs {args.epochs}", f"--restarts {args.restarts}"]
    if args.weight_tying != "layerwise":
        flags.append(f"--weight-tying {args.weight_tying}")
    if args.linear_start:
        flags.append("--linear-start")
    if args.logits_integer_bits is not None:
        flags.append(f"--logits-integer-bits {args.logits_integer_bits}")
    flags.append(f"--hamming-scale {args.hamming_scale}")
    if tasks != list(range(1, 21)):
        flags.append(f"--tasks {' '.join(map(str, tasks))}")
    if args.workers > 1:
        flags.append(f"--workers {args.workers}")
    command = "KERAS_BACKEND=jax python -m benchmarks.qmann " + " ".join(flags)
    setup = (
        f"bAbI 1k (en), tasks {tasks[0]}-{tasks[-1]}"
        if tasks == list(range(tasks[0], tasks[-1] + 1))
        else f"bAbI 1k (en), tasks {', '.join(map(str, tasks))}"
    )
    logits_bits = (
        args.integer_bits
        if args.logits_integer_bits is None
        else args.logits_integer_bits
    )
    notes = [
        f"{setup}; one model per task, the best of {args.restarts} random "
        f"restart(s) on validation; {args.epochs} epochs of Adam (learning "
        "rate 0.01 halved every 25 epochs, clipnorm 40), batch 32, 3 hops, "
        f"embedding {args.embedding_dim}, {args.weight_tying} tying, "
        "position and temporal encoding, 10 % random empty memories"
        + (", linear start" if args.linear_start else "")
        + "; 10 % of the training split held out and the best validation "
        f"epoch kept; seed {args.seed}; fixed point = 8 bits with "
        f"{args.integer_bits} integer bits ({logits_bits} for the attention "
        f"logits); Hamming scale {args.hamming_scale}. The wide accumulator "
        "sums float products and rounds the result; the 8-bit accumulator "
        "rounds every product and saturates every partial sum "
        "(`QuantizationConfig(accumulator='fixed_point')`). Reduction = "
        "relative drop of the mean error from the conventional dot variant "
        "to the Hamming variant at the same precision. Total wall time "
        f"{total_minutes:.1f} min.",
    ]
    common.write_report(
        "qmann",
        rows,
        [
            ("config", "configuration", None),
            ("mean_error", "mean test error %", ".1f"),
            ("failed", "failed tasks (> 5 %)", "d"),
            ("reduction", "error reduction vs conventional %", ".0f"),
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

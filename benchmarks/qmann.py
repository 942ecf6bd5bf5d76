"""Q-MANN on bAbI: float vs conventionally quantized vs Hamming addressing.

Trains a `MemoryNetwork` in six configurations with the same seed, data
split, epochs and optimizer (only the similarity and the arithmetic
differ), as in the comparison of Park et al. (2018):

* float MemN2N (dot-product similarity);
* 8-bit fixed point with dot similarity, wide (float) accumulator;
* 8-bit fixed point with dot similarity and an 8-bit accumulator
  (conventional quantization);
* 8-bit fixed point with Hamming similarity (Q-MANN);
* binary with dot similarity;
* binary with Hamming similarity (Q-MANN).

and reports the mean test error, the number of failed tasks (error > 5 %)
and the error reduction of Hamming over dot at the same precision. By
default each configuration trains one model per task; `--joint` trains one
model per configuration on all the tasks at once (MemN2N's joint setting).
The 1k training splits are the default; `--ten-k` trains on the 10k ones,
the setting of the Q-MANN paper (the test splits are the same).

    KERAS_BACKEND=jax python -m benchmarks.qmann --workers 2
    KERAS_BACKEND=jax python -m benchmarks.qmann --joint --workers 2

Results go to `benchmarks/results/qmann-<backend>.json` and
`docs/benchmarks/qmann-<backend>.md` (summary) and
`docs/benchmarks/qmann_tasks-<backend>.md` (per task); with `--joint`, to
`qmann_joint-<backend>` and `qmann_joint_tasks-<backend>`; with
`--name NAME`, to `NAME-<backend>` and `NAME_tasks-<backend>` (so a trial
run leaves the tables of the docs alone).
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
from examples import babi  # noqa: E402
from examples.babi import run_joint  # noqa: E402
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


OPTIMIZER_NAMES = {"adam": "Adam", "sgd": "SGD"}


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
    if task is None:
        tasks = options.pop("tasks")
        return run_joint(
            tasks, similarity=similarity, quantization=quantization, **options
        )
    options.pop("tasks")
    return run_task(
        task, similarity=similarity, quantization=quantization, **options
    )


def _record(errors, seconds, name, result):
    seconds[name] += result["train_seconds"]
    if "task" not in result:  # One joint model for all the tasks.
        errors[name].update(result["test_error"])
        values = list(result["test_error"].values())
        print(
            f"{name:15s} joint: {np.mean(values):5.1f} % "
            f"(best epoch {result['best_epoch']})",
            flush=True,
        )
        return
    errors[name][result["task"]] = result["test_error"]
    print(
        f"{name:15s} task {result['task']:2d}: "
        f"{result['test_error']:5.1f} % (best epoch {result['best_epoch']})",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    babi.add_training_arguments(parser)
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
    parser.add_argument(
        "--name",
        default=None,
        help="report name (files <name>-<backend>.* and <name>_tasks-...); "
        "default qmann, or qmann_joint with --joint",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="training processes run in parallel (one per CPU core)",
    )
    parser.add_argument(
        "--configs",
        nargs="+",
        default=[config[0] for config in CONFIGS],
        choices=[config[0] for config in CONFIGS],
    )
    args = babi.apply_defaults(parser.parse_args())
    tasks = list(args.tasks)

    jobs = [
        (name, similarity, mode, accumulator, task)
        for name, similarity, mode, accumulator in CONFIGS
        if name in args.configs
        for task in ([None] if args.joint else tasks)
    ]
    options = {
        "tasks": tuple(tasks),
        "epochs": args.epochs,
        "learning_rate": args.learning_rate,
        "optimizer": args.optimizer,
        "decay_every": args.decay_every,
        "clipnorm": args.clipnorm,
        "ten_k": args.ten_k,
        "linear_start_epochs": args.linear_start_epochs,
        "seed": args.seed,
        "restarts": args.restarts,
        "weight_tying": args.weight_tying,
        "tie_answer": args.weight_tying == "adjacent",
        "linear_start": args.linear_start,
        "embedding_dim": args.embedding_dim,
        "relu_units": args.relu_units,
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

    flags = ["--joint"] if args.joint else []
    if args.ten_k:
        flags.append("--ten-k")
    flags += [f"--epochs {args.epochs}", f"--restarts {args.restarts}"]
    if args.optimizer != "adam":
        flags.append(f"--optimizer {args.optimizer}")
    if args.decay_every != 25:
        flags.append(f"--decay-every {args.decay_every}")
    if args.clipnorm != 40.0:
        flags.append(f"--clipnorm {args.clipnorm:g}")
    if args.linear_start_epochs is not None:
        flags.append(f"--linear-start-epochs {args.linear_start_epochs}")
    if args.embedding_dim != (50 if args.joint else 20):
        flags.append(f"--embedding-dim {args.embedding_dim}")
    if args.relu_units != (args.embedding_dim // 2 if args.joint else 0):
        flags.append(f"--relu-units {args.relu_units}")
    if args.learning_rate != (0.003 if args.joint else 0.01):
        flags.append(f"--learning-rate {args.learning_rate}")
    if args.weight_tying != "layerwise":
        flags.append(f"--weight-tying {args.weight_tying}")
    if args.linear_start:
        flags.append("--linear-start")
    if args.configs != [config[0] for config in CONFIGS]:
        flags.append(f"--configs {' '.join(args.configs)}")
    if args.seed != 0:
        flags.append(f"--seed {args.seed}")
    if args.integer_bits != 3:
        flags.append(f"--integer-bits {args.integer_bits}")
    if args.logits_integer_bits is not None:
        flags.append(f"--logits-integer-bits {args.logits_integer_bits}")
    flags.append(f"--hamming-scale {args.hamming_scale}")
    if tasks != list(range(1, 21)):
        flags.append(f"--tasks {' '.join(map(str, tasks))}")
    if args.workers > 1:
        flags.append(f"--workers {args.workers}")
    if args.name is not None:
        flags.append(f"--name {args.name}")
    command = "KERAS_BACKEND=jax python -m benchmarks.qmann " + " ".join(flags)
    split = "bAbI 10k (en-10k)" if args.ten_k else "bAbI 1k (en)"
    setup = (
        f"{split}, tasks {tasks[0]}-{tasks[-1]}"
        if tasks == list(range(tasks[0], tasks[-1] + 1))
        else f"{split}, tasks {', '.join(map(str, tasks))}"
    )
    logits_bits = (
        args.integer_bits
        if args.logits_integer_bits is None
        else args.logits_integer_bits
    )
    notes = [
        f"{setup}; "
        + (
            "one model trained on all the tasks at once (joint)"
            if args.joint
            else "one model per task"
        )
        + f", the best of {args.restarts} random "
        f"restart(s) on validation; {args.epochs} epochs of "
        f"{OPTIMIZER_NAMES[args.optimizer]} (learning rate "
        f"{args.learning_rate} halved every {args.decay_every} epochs, "
        f"clipnorm {args.clipnorm:g}), "
        "batch 32, 3 hops, "
        f"embedding {args.embedding_dim}, {args.weight_tying} tying, "
        + (
            f"a ReLU on {args.relu_units} of the {args.embedding_dim} state "
            "units after every hop, "
            if args.relu_units
            else ""
        )
        + "position and temporal encoding, 10 % random empty memories"
        + (", linear start" if args.linear_start else "")
        + (
            f" for {args.linear_start_epochs} epochs"
            if args.linear_start_epochs
            else ""
        )
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
    report = args.name or ("qmann_joint" if args.joint else "qmann")
    common.write_report(
        report,
        rows,
        [
            ("config", "configuration", None),
            ("mean_error", "mean test error %", ".1f"),
            ("failed", "failed tasks (> 5 %)", "d"),
            ("reduction", "error reduction vs conventional %", ".0f"),
            ("train_minutes", "train min", ".1f"),
        ],
        title="Q-MANN configurations on "
        + ("bAbI 10k" if args.ten_k else "bAbI 1k")
        + (", joint training" if args.joint else ""),
        notes=notes,
        command=command,
    )
    task_rows = [
        {"task": task, **{name: errors[name][task] for name in errors}}
        for task in tasks
    ]
    common.write_report(
        report + "_tasks",
        task_rows,
        [("task", "task", "d")]
        + [(name, LABELS[name], ".1f") for name in errors],
        title="Test error (%) per bAbI task"
        + (", joint training" if args.joint else ""),
        command=command,
    )


if __name__ == "__main__":
    main()

"""Speed of WorkingMemoryLSTM and AttentionGRU against Keras' LSTM and GRU.

For each sequence length, times one training step (batch 64, 128 features,
128 units, Adam, MSE on the last output) and one batch-1 inference call of
each new layer and of its Keras baseline, in the same process on the active
backend. Candidate and baseline calls alternate, so that load on a shared
machine hits both alike; each time is the median of the repeats. On PyTorch
the script also times `torch.nn.LSTM` / `torch.nn.GRU` of the same size as a
native reference.

Run once per backend:

    KERAS_BACKEND=jax python benchmarks/recurrent.py [--quick]

Writes `benchmarks/results/recurrent-<backend>.json` and
`docs/benchmarks/recurrent-<backend>.md` (`--name` changes `recurrent`;
`--lengths` times other sequence lengths than 50, 100, 200 and 400).

`--processes N` measures each configuration in N fresh processes and reports
the medians over them, with the range of the training ratio. On the 2-core
CPU of the docs, PyTorch's timings differ much more between processes than
within one, so one process can land on either side of a target. For the same
reason the PyTorch scaling target (training time at T = 400 at most 4.5x the
time at T = 100) is checked with both lengths timed in turns in one process
(in each of the N processes), not from two rows measured in different ones.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

import keras
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import common  # noqa: E402
from keras_memattn.layers import AttentionGRU  # noqa: E402
from keras_memattn.layers import WorkingMemoryLSTM  # noqa: E402

BATCH, FEATURES, UNITS = 64, 128, 128
LENGTHS = (50, 100, 200, 400)
QUICK_LENGTHS = (50, 100)
PAIRS = (
    ("WorkingMemoryLSTM", WorkingMemoryLSTM, "LSTM", keras.layers.LSTM, "LSTM"),
    ("AttentionGRU", AttentionGRU, "GRU", keras.layers.GRU, "GRU"),
)
# Targets: time ratio to the Keras baseline on TF and JAX.
RATIO_TARGETS = {"WorkingMemoryLSTM": 1.5, "AttentionGRU": 1.15}
SLOW_MS = 1000.0  # Configurations slower than this get fewer repeats.
# PyTorch target: time at the second length <= 4.5x time at the first.
SCALING = (100, 400)


def _model(layer_cls, steps):
    inputs = keras.Input((steps, FEATURES), batch_size=None)
    return keras.Model(inputs, layer_cls(UNITS)(inputs))


def _timed(fns, repeats, warmup):
    """Median ms of each function, calling them in turns."""
    return common.interleaved_ms(fns, repeats, warmup, slow_ms=SLOW_MS)


def _keras_step_fns(candidate_cls, baseline_cls, steps, rng):
    x = rng.standard_normal((BATCH, steps, FEATURES)).astype("float32")
    y = np.zeros((BATCH, UNITS), "float32")
    x1 = x[:1]
    train, infer = [], []
    for cls in (candidate_cls, baseline_cls):
        keras.utils.set_random_seed(0)
        model = _model(cls, steps)
        model.compile(optimizer="adam", loss="mse")
        train.append(lambda m=model: m.train_on_batch(x, y))
        infer.append(lambda m=model: m.predict_on_batch(x1))
    return train, infer


def _torch_native_ms(kind, steps, rng, repeats, warmup):
    import torch

    torch.manual_seed(0)
    rnn_cls = torch.nn.LSTM if kind == "LSTM" else torch.nn.GRU
    rnn = rnn_cls(FEATURES, UNITS, batch_first=True)
    optimizer = torch.optim.Adam(rnn.parameters())
    x = torch.from_numpy(
        rng.standard_normal((BATCH, steps, FEATURES)).astype("float32")
    )
    y = torch.zeros(BATCH, UNITS)

    def step():
        optimizer.zero_grad()
        out, _ = rnn(x)
        loss = torch.nn.functional.mse_loss(out[:, -1], y)
        loss.backward()
        optimizer.step()
        return loss.detach()

    return _timed([step], repeats, warmup)[0]


def run(pairs, lengths, repeats, warmup, processes=1):
    rows = []
    for pair in pairs:
        for steps in lengths:
            print(f"{pair[0]} vs {pair[2]}, T={steps} ...", flush=True)
            if processes == 1:
                row = measure(pair, steps, repeats, warmup)
            else:
                row = _median_row(
                    [
                        _measure_in_child(pair[0], steps, repeats, warmup)
                        for _ in range(processes)
                    ]
                )
            print(row, flush=True)
            rows.append(row)
        if keras.backend.backend() == "torch" and set(SCALING) <= set(lengths):
            print(
                f"{pair[0]}, T={SCALING[1]} vs T={SCALING[0]} ...", flush=True
            )
            if processes == 1:
                runs = [scaling(pair, repeats, warmup)]
            else:
                runs = [
                    _scaling_in_child(pair[0], repeats, warmup)
                    for _ in range(processes)
                ]
            ratios = [r["scaling"] for r in runs]
            print(ratios, flush=True)
            long_row = next(
                r
                for r in rows
                if r["layer"] == pair[0] and r["steps"] == SCALING[1]
            )
            long_row["scaling"] = statistics.median(ratios)
            long_row["scaling_range"] = f"{min(ratios):.2f}-{max(ratios):.2f}"
    return rows


CHILD_PREFIX = "ROW "


def _run_child(flag, name, *numbers):
    """Runs this script with `flag` in a fresh process; returns its row."""
    proc = subprocess.run(
        [
            sys.executable,
            os.path.abspath(__file__),
            flag,
            name,
            *map(str, numbers),
        ],
        capture_output=True,
        text=True,
    )
    for line in proc.stdout.splitlines():
        if line.startswith(CHILD_PREFIX):
            return json.loads(line[len(CHILD_PREFIX) :])
    raise RuntimeError(
        f"benchmark child {flag} {name} {numbers} failed "
        f"(exit code {proc.returncode}):\n{proc.stderr[-2000:]}"
    )


def _measure_in_child(name, steps, repeats, warmup):
    """`measure` in a fresh Python process; returns its row."""
    return _run_child("--child", name, steps, repeats, warmup)


def _scaling_in_child(name, repeats, warmup):
    """`scaling` in a fresh Python process."""
    return _run_child("--scaling-child", name, repeats, warmup)


def scaling(pair, repeats, warmup):
    """Training-step time at the longer of `SCALING` over the shorter.

    Both lengths are timed in turns in this process, so that the ratio is
    free of the differences between processes.
    """
    name, cls = pair[0], pair[1]
    fns = []
    for steps in SCALING:
        rng = np.random.default_rng(steps)
        x = rng.standard_normal((BATCH, steps, FEATURES)).astype("float32")
        y = np.zeros((BATCH, UNITS), "float32")
        keras.utils.set_random_seed(0)
        model = _model(cls, steps)
        model.compile(optimizer="adam", loss="mse")
        fns.append(lambda m=model, x=x, y=y: m.train_on_batch(x, y))
    short_ms, long_ms = _timed(fns, repeats, warmup)
    return {
        "layer": name,
        "short_ms": short_ms,
        "long_ms": long_ms,
        "scaling": long_ms / short_ms,
    }


def _median_row(rows):
    """Medians of the measured fields over processes, and the ratio range."""
    merged = dict(rows[0])
    for key, value in rows[0].items():
        if isinstance(value, float):
            merged[key] = statistics.median(r[key] for r in rows)
    ratios = [r["train_ratio"] for r in rows]
    merged["train_ratio_range"] = f"{min(ratios):.2f}-{max(ratios):.2f}"
    merged["processes"] = len(rows)
    return merged


def measure(pair, steps, repeats, warmup):
    """One row: the layer of `pair` and its baseline at length `steps`."""
    name, cls, base_name, base_cls, kind = pair
    backend = keras.backend.backend()
    rng = np.random.default_rng(steps)
    train, infer = _keras_step_fns(cls, base_cls, steps, rng)
    train_ms = _timed(train, repeats, warmup)
    infer_ms = _timed(infer, repeats, warmup)
    row = {
        "layer": name,
        "baseline": f"keras.layers.{base_name}",
        "steps": steps,
        **common.timing_fields(train_ms, infer_ms),
    }
    if backend == "torch":
        row["torch_native_train_ms"] = _torch_native_ms(
            kind, steps, rng, repeats, warmup
        )
    return row


def verdicts(rows):
    """One line per target, stating the measured numbers and pass/miss."""
    backend = keras.backend.backend()
    lines = []
    for name in dict.fromkeys(r["layer"] for r in rows):
        mine = {r["steps"]: r for r in rows if r["layer"] == name}
        if backend in ("tensorflow", "jax"):
            target = RATIO_TARGETS[name]
            worst = max(r["train_ratio"] for r in mine.values())
            status = "met" if worst <= target else "missed"
            lines.append(
                f"- {name}: target training-step ratio <= {target} on "
                f"{backend}: **{status}** (largest measured ratio "
                f"{worst:.2f})."
            )
        elif backend == "torch":
            checks = []
            if 200 in mine:
                ratio = mine[200]["train_ratio"]
                checks.append(
                    (ratio <= 0.5, f"ratio at T=200 is {ratio:.2f} (<= 0.5)")
                )
            longer = [r for s, r in mine.items() if s >= 100]
            faster = all(r["train_ratio"] < 1.0 for r in longer)
            checks.append(
                (faster, "faster than the baseline at every T >= 100")
            )
            short, long = SCALING
            if short in mine and long in mine:
                across = mine[long]["train_ms"] / mine[short]["train_ms"]
                growth = mine[long].get("scaling", across)
                where = ""
                if "scaling" in mine[long]:
                    where = (
                        " with both lengths timed in one process (range "
                        f"{mine[long]['scaling_range']}; "
                        f"{across:.2f} from the rows above)"
                    )
                checks.append(
                    (
                        growth <= 4.5,
                        f"time({long}) / time({short}) = {growth:.2f}"
                        f"{where} (<= 4.5)",
                    )
                )
            text = "; ".join(
                f"{what}: {'met' if ok else 'missed'}" for ok, what in checks
            )
            lines.append(f"- {name} on torch: {text}.")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"lengths {QUICK_LENGTHS} only, 3 repeats",
    )
    parser.add_argument(
        "--layers",
        nargs="+",
        choices=[pair[0] for pair in PAIRS],
        default=[pair[0] for pair in PAIRS],
        help="which layers to time (default: all)",
    )
    parser.add_argument(
        "--lengths",
        nargs="+",
        type=int,
        default=None,
        help=f"sequence lengths (default {LENGTHS})",
    )
    parser.add_argument(
        "--name",
        default="recurrent",
        help="report name (files <name>-<backend>.*)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="fresh processes per configuration; medians are reported "
        "(default 1: everything in this process)",
    )
    parser.add_argument(
        "--child", nargs=4, default=None, help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--scaling-child", nargs=3, default=None, help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        name, steps, repeats, warmup = args.child
        pair = next(p for p in PAIRS if p[0] == name)
        row = measure(pair, int(steps), int(repeats), int(warmup))
        print(CHILD_PREFIX + json.dumps(row), flush=True)
        return
    if args.scaling_child:
        name, repeats, warmup = args.scaling_child
        pair = next(p for p in PAIRS if p[0] == name)
        row = scaling(pair, int(repeats), int(warmup))
        print(CHILD_PREFIX + json.dumps(row), flush=True)
        return
    if args.processes < 1:
        parser.error(
            f"--processes must be at least 1. Received: {args.processes}"
        )
    if args.lengths and min(args.lengths) < 1:
        parser.error(f"--lengths must be positive. Received: {args.lengths}")
    if args.lengths and args.quick:
        parser.error("--lengths and --quick exclude each other")
    lengths = args.lengths or (QUICK_LENGTHS if args.quick else LENGTHS)
    pairs = [pair for pair in PAIRS if pair[0] in args.layers]
    repeats, warmup = (3, 1) if args.quick else (7, 2)
    load_before = os.getloadavg()[0]
    rows = run(pairs, lengths, repeats, warmup, args.processes)
    load_after = os.getloadavg()[0]
    backend = keras.backend.backend()
    command = f"KERAS_BACKEND={backend} python benchmarks/recurrent.py"
    # Environment variables that change the timings go into the command.
    for variable in (
        "MALLOC_TRIM_THRESHOLD_",
        "MALLOC_MMAP_THRESHOLD_",
        "OMP_NUM_THREADS",
    ):
        value = os.environ.get(variable)
        if value:
            command = f"{variable}={value} {command}"
    if args.quick:
        command += " --quick"
    if len(pairs) < len(PAIRS):
        command += " --layers " + " ".join(args.layers)
    if args.lengths:
        command += " --lengths " + " ".join(map(str, args.lengths))
    if args.processes > 1:
        command += f" --processes {args.processes}"
    if args.name != "recurrent":
        command += f" --name {args.name}"
    write(rows, command, (load_before, load_after), args.name)


def write(rows, command, load, name="recurrent"):
    """Writes the JSON results and the docs table for `rows`."""
    columns = [
        ("layer", "layer", None),
        ("baseline", "baseline", None),
        ("steps", "T", None),
        ("train_ms", "train ms", ".1f"),
        ("baseline_train_ms", "baseline train ms", ".1f"),
        ("train_ratio", "train ratio", ".2f"),
        ("infer_ms", "infer b1 ms", ".2f"),
        ("baseline_infer_ms", "baseline infer b1 ms", ".2f"),
        ("infer_ratio", "infer ratio", ".2f"),
    ]
    processes = rows[0].get("processes", 1) if rows else 1
    if processes > 1:
        columns.insert(6, ("train_ratio_range", "train ratio range", None))
    if keras.backend.backend() == "torch":
        columns.append(
            ("torch_native_train_ms", "torch.nn LSTM/GRU train ms", ".1f")
        )
    notes = [
        "Train: one `train_on_batch` step, batch 64, 128 features, 128 "
        "units, Adam, MSE on the last output. Infer: `predict_on_batch` on "
        "batch 1. Ratios are candidate / baseline, measured in turns in the "
        "same process; medians of the repeats (3 for configurations slower "
        "than 1 s)"
        + (
            f", then medians over {processes} fresh processes per row (the "
            "range is the lowest and highest training ratio of those "
            "processes)."
            if processes > 1
            else "."
        ),
        f"1-minute load average {load[0]:.1f} at the start and "
        f"{load[1]:.1f} at the end, on {os.cpu_count()} CPUs (the benchmark "
        "itself keeps them busy; a load well above the CPU count means other "
        "processes shared the machine and absolute times are inflated, while "
        "the ratios are more robust because the calls alternate).",
        "Targets:\n\n" + "\n".join(verdicts(rows)),
    ]
    json_path, md_path = common.write_report(
        name,
        rows,
        columns,
        title="Recurrent layers against Keras' LSTM and GRU",
        notes=notes,
        command=command,
    )
    print(f"wrote {json_path} and {md_path}")


if __name__ == "__main__":
    main()

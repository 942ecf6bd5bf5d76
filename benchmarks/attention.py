"""MultiHeadSelfAttention against keras.layers.MultiHeadAttention.

Run once per backend, e.g.

    KERAS_BACKEND=jax python benchmarks/attention.py

Speed: one model per layer, `Input((T, 128)) -> attention -> output`, with 4
heads of size 32 (the same weights count in both layers), timed in the same
process for T = 100 and 400: a `train_on_batch` step at batch 64 (Adam, MSE)
and a `predict_on_batch` call at batch 1. The package layer runs with its
default path choice ("auto") and, for reference, forced to each of its two
attention paths ("explicit" einsum + masked softmax, "fused"
`keras.ops.dot_product_attention`).

Memory: each layer runs one forward+backward step at T = 1024, batch 8, in a
fresh subprocess; the number reported is the growth of the process's resident
set size during that first step (the highest value sampled every millisecond
from `/proc/self/statm`, minus the value before the step). It includes the
backend's tracing or compilation of the step, which is about the same for
both layers. The
size of the largest intermediate, the `(batch, heads, T, T)` float32 weights,
is listed next to it.

Writes `docs/benchmarks/attention-<backend>.md` (speed) and
`docs/benchmarks/attention-memory-<backend>.md` (memory), plus the JSON rows
under `benchmarks/results/`.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import keras
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import common  # noqa: E402
from keras_memattn.layers import MultiHeadSelfAttention  # noqa: E402

WIDTH = 128
HEADS = 4
KEY_DIM = 32
BATCH = 64
LENGTHS = (100, 400)
MEMORY_LENGTH = 1024
MEMORY_BATCH = 8
KINDS = ("keras", "auto", "explicit", "fused")
COMMAND = "KERAS_BACKEND={backend} python benchmarks/attention.py"


class _KerasSelfAttention(keras.layers.Layer):
    """`keras.layers.MultiHeadAttention` called as self-attention."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.mha = keras.layers.MultiHeadAttention(HEADS, KEY_DIM)

    def build(self, input_shape):
        self.mha.build(input_shape, input_shape)

    def call(self, x):
        return self.mha(x, x)


def _layer(kind):
    if kind == "keras":
        return _KerasSelfAttention()
    layer = MultiHeadSelfAttention(HEADS, KEY_DIM)
    layer.attention_implementation = kind
    return layer


def _model(kind, steps):
    inputs = keras.Input((steps, WIDTH))
    return keras.Model(inputs, _layer(kind)(inputs))


def _interleaved(fns, warmup, repeats):
    """Median ms of each function of the dict `fns`, timed in turns."""
    times = common.interleaved_ms(list(fns.values()), repeats, warmup)
    return dict(zip(fns, times))


def _measure(steps, repeats):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, steps, WIDTH)).astype("float32")
    y = np.zeros_like(x)
    x1 = x[:1]
    models = {}
    for kind in KINDS:
        keras.utils.set_random_seed(0)
        models[kind] = _model(kind, steps)
        models[kind].compile(optimizer="adam", loss="mse")

    def train(model):
        return lambda: model.train_on_batch(x, y)

    def infer(model):
        return lambda: model.predict_on_batch(x1)

    train_ms = _interleaved(
        {k: train(m) for k, m in models.items()}, 3, repeats
    )
    infer_ms = _interleaved(
        {k: infer(m) for k, m in models.items()}, 5, 3 * repeats
    )
    return train_ms, infer_ms


def speed(repeats):
    backend = keras.backend.backend()
    rows = []
    for steps in LENGTHS:
        train_ms, infer_ms = _measure(steps, repeats)
        for mode, times in (
            ("train step, batch 64", train_ms),
            ("inference, batch 1", infer_ms),
        ):
            print(f"T={steps} {mode}: {times}", flush=True)
            keras_ms = times["keras"]
            rows.append(
                {
                    "length": steps,
                    "mode": mode,
                    "keras_ms": keras_ms,
                    "ours_ms": times["auto"],
                    "ratio": times["auto"] / keras_ms,
                    "explicit_ms": times["explicit"],
                    "fused_ms": times["fused"],
                    "target_met": "yes" if times["auto"] <= keras_ms else "no",
                }
            )
    common.write_report(
        "attention",
        rows,
        [
            ("length", "T", None),
            ("mode", "measured", None),
            ("keras_ms", "keras MHA ms", ".2f"),
            ("ours_ms", "MultiHeadSelfAttention ms", ".2f"),
            ("ratio", "ratio (ours / keras)", ".2f"),
            ("target_met", "ratio <= 1", None),
            ("explicit_ms", "explicit path ms", ".2f"),
            ("fused_ms", "fused path ms", ".2f"),
        ],
        title=f"Self-attention speed, batch {BATCH} training and batch 1 "
        f"inference, width {WIDTH}, {HEADS} heads x {KEY_DIM}",
        notes=[
            "Median of repeated runs after warm-up; all variants timed in "
            "alternating rounds in the same process. The "
            "MultiHeadSelfAttention column is the default path choice; the "
            "last two columns force each path."
        ],
        command=COMMAND.format(backend=backend),
    )


def _resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _memory_child(kind):
    """Runs in a subprocess: peak RSS growth of one train step, in MiB.

    A thread samples the resident set size every millisecond while the
    step runs; the result is the highest sample minus the size before.
    """
    import threading

    rng = np.random.default_rng(0)
    x = rng.standard_normal((MEMORY_BATCH, MEMORY_LENGTH, WIDTH))
    x = x.astype("float32")
    y = np.zeros_like(x)
    model = _model(kind, MEMORY_LENGTH)
    model.compile(optimizer="adam", loss="mse")
    before = _resident_bytes()
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _resident_bytes())
            time.sleep(0.001)

    thread = threading.Thread(target=sample)
    thread.start()
    model.train_on_batch(x, y)
    done.set()
    thread.join()
    peak[0] = max(peak[0], _resident_bytes())
    print(json.dumps({"delta_mib": (peak[0] - before) / 2**20}))


def memory():
    backend = keras.backend.backend()
    rows = []
    weights_mib = MEMORY_BATCH * HEADS * MEMORY_LENGTH**2 * 4 / 2**20
    results = {}
    for kind in ("keras", "auto"):
        proc = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--memory-child", kind],
            capture_output=True,
            text=True,
            check=True,
            env=dict(os.environ, KERAS_BACKEND=backend),
        )
        line = proc.stdout.strip().splitlines()[-1]
        results[kind] = json.loads(line)["delta_mib"]
        print(f"memory {kind}: {results[kind]:.0f} MiB", flush=True)
    for kind, label in (
        ("keras", "keras.layers.MultiHeadAttention"),
        ("auto", "MultiHeadSelfAttention"),
    ):
        rows.append(
            {
                "layer": label,
                "delta_mib": results[kind],
                "ratio": results[kind] / results["keras"],
                "weights_mib": weights_mib,
            }
        )
    common.write_report(
        "attention-memory",
        rows,
        [
            ("layer", "layer", None),
            ("delta_mib", "peak RSS growth MiB", ".0f"),
            ("ratio", "ratio to keras", ".2f"),
            ("weights_mib", "one (B, heads, T, T) float32 tensor MiB", ".0f"),
        ],
        title=f"Self-attention memory, one forward+backward step at T "
        f"{MEMORY_LENGTH}, batch {MEMORY_BATCH}, width {WIDTH}, {HEADS} heads",
        notes=[
            "Highest resident set size, sampled every millisecond, minus "
            "the size before the step, in a fresh process per layer; it "
            "includes the tracing/compilation of the step."
        ],
        command=COMMAND.format(backend=backend),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--memory-child", default=None)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1. Received: {args.repeats}")
    if args.memory_child:
        _memory_child(args.memory_child)
        return
    if not args.skip_speed:
        speed(args.repeats)
    if not args.skip_memory:
        memory()


if __name__ == "__main__":
    main()

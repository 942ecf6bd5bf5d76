"""The adding problem: WorkingMemoryLSTM against an LSTM of equal units.

Each sequence has a value channel (uniform in [0, 1)) and a marker channel
with two ones, one in each half; the target is the sum of the two marked
values. Both models see the same fresh batches (generated on the fly,
seeded) for the same number of steps, then are scored on held-out
sequences by their mean squared error relative to the trivial predictor
that always answers the mean target (MSE ~= 1/6): 1.0 means nothing was
learned, 0.0 a perfect fit.

    KERAS_BACKEND=jax python examples/adding_problem.py
    KERAS_BACKEND=jax python examples/adding_problem.py --steps 4000 --seed 1

`--output results.json` also writes the numbers and the training curves.
"""

import argparse
import json
import time

import keras
import numpy as np

from keras_memattn.datasets import adding_problem
from keras_memattn.layers import WorkingMemoryLSTM

MODELS = ("working_memory_lstm", "lstm")


def build_model(kind, length, units):
    inputs = keras.Input((length, 2))
    if kind == "working_memory_lstm":
        h = WorkingMemoryLSTM(units)(inputs)
    else:
        h = keras.layers.LSTM(units)(inputs)
    return keras.Model(inputs, keras.layers.Dense(1)(h))


def relative_mse(model, x, y):
    """MSE of the model divided by that of predicting the mean target."""
    pred = model.predict(x, batch_size=256, verbose=0)
    trivial = float(np.mean((y - 1.0) ** 2))
    return float(np.mean((pred - y) ** 2)) / trivial


def train(kind, args):
    keras.utils.set_random_seed(args.seed)
    model = build_model(kind, args.length, args.units)
    model.compile(
        optimizer=keras.optimizers.Adam(args.learning_rate, clipnorm=1.0),
        loss="mse",
    )
    x_test, y_test = adding_problem(
        args.eval_sequences, args.length, seed=args.seed + 10**6
    )
    curve = []
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        x, y = adding_problem(
            args.batch_size, args.length, seed=args.seed * 10**5 + step
        )
        loss = float(model.train_on_batch(x, y))
        if step % args.log_every == 0 or step == args.steps:
            score = relative_mse(model, x_test, y_test)
            curve.append({"step": step, "loss": loss, "relative_mse": score})
            print(
                f"{kind:>20} step {step:5d}  train loss {loss:.4f}  "
                f"held-out MSE / trivial {score:.3f}",
                flush=True,
            )
    seconds = time.perf_counter() - start
    return {
        "model": kind,
        "parameters": model.count_params(),
        "relative_mse": relative_mse(model, x_test, y_test),
        "seconds": seconds,
        "curve": curve,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", choices=MODELS, default=MODELS)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--eval-sequences", type=int, default=1000)
    parser.add_argument("--log-every", type=int, default=250)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    for flag in ("steps", "log-every", "batch-size", "units", "length"):
        if getattr(args, flag.replace("-", "_")) < 1:
            parser.error(f"--{flag} must be at least 1")

    results = [train(kind, args) for kind in args.models]
    print(
        f"\nadding problem, T={args.length}, units={args.units}, "
        f"{args.steps} steps of batch {args.batch_size}, "
        f"backend {keras.backend.backend()}"
    )
    for r in results:
        print(
            f"{r['model']:>20}: held-out MSE / trivial = "
            f"{r['relative_mse']:.3f} ({r['parameters']} parameters, "
            f"{r['seconds']:.0f} s)"
        )
    if args.output:
        with open(args.output, "w") as f:
            json.dump({"args": vars(args), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()

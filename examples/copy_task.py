"""The NTM copy task: MANNLayer against an LSTM of similar size.

Trains on random 8-bit sequences of length 1-20 (generated on the fly,
seeded) and reports the bits wrong per sequence on held-out sequences of
length 20 and, to test generalisation, 40.

    KERAS_BACKEND=jax python examples/copy_task.py --model mann --steps 4000
    KERAS_BACKEND=jax python examples/copy_task.py --model lstm --steps 4000

`--output results.json` also writes the numbers (and the training curve).
"""

import argparse
import json
import time

import keras

from keras_memattn.datasets import copy_task
from keras_memattn.layers import MANNLayer

BITS = 8


def build_model(kind, units, memory_size, memory_width):
    inputs = keras.Input((None, BITS + 1))
    if kind == "mann":
        h = MANNLayer(
            units,
            memory_size=memory_size,
            memory_width=memory_width,
            addressing="ntm",
            return_sequences=True,
        )(inputs)
    else:
        h = keras.layers.LSTM(units, return_sequences=True)(inputs)
    return keras.Model(inputs, keras.layers.Dense(BITS)(h))


def bits_wrong(model, length, num_sequences, seed, batch_size=64):
    """Mean number of wrong bits per sequence, all sequences of `length`."""
    x, y, w = copy_task(
        num_sequences, min_length=length, max_length=length, seed=seed
    )
    logits = model.predict(x, batch_size=batch_size, verbose=0)
    wrong = ((logits > 0.0) != (y > 0.5)).sum(-1) * w
    return float(wrong.sum(-1).mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["mann", "lstm"], default="mann")
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--units", type=int, default=None)
    parser.add_argument("--memory-size", type=int, default=64)
    parser.add_argument("--memory-width", type=int, default=20)
    parser.add_argument("--max-length", type=int, default=20)
    parser.add_argument("--eval-lengths", type=int, nargs="+", default=[20, 40])
    parser.add_argument("--eval-sequences", type=int, default=200)
    parser.add_argument("--log-every", type=int, default=250)
    parser.add_argument(
        "--time-budget",
        type=float,
        default=None,
        help="stop training after this many seconds",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    # Similar parameter counts: MANN with a 100-unit LSTM controller and an
    # LSTM with 120 units both have about 62k parameters.
    units = args.units or (100 if args.model == "mann" else 120)
    model = build_model(args.model, units, args.memory_size, args.memory_width)
    model.compile(
        optimizer=keras.optimizers.Adam(args.learning_rate, clipnorm=10.0),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    print(
        f"{args.model}: {model.count_params()} parameters, "
        f"backend {keras.backend.backend()}"
    )

    curve = []
    start = time.time()
    steps = 0
    chunk = args.log_every
    while steps < args.steps:
        n = min(chunk, args.steps - steps)
        x, y, w = copy_task(
            n * args.batch_size,
            max_length=args.max_length,
            seed=args.seed * 1_000_003 + steps,
        )
        history = model.fit(
            x,
            y,
            sample_weight=w,
            batch_size=args.batch_size,
            epochs=1,
            verbose=0,
            shuffle=False,
        )
        steps += n
        wrong = bits_wrong(model, args.max_length, 64, seed=10**6 + steps)
        elapsed = time.time() - start
        curve.append([steps, history.history["loss"][-1], wrong, elapsed])
        print(
            f"step {steps:6d}  loss {history.history['loss'][-1]:.4f}  "
            f"bits wrong @{args.max_length}: {wrong:6.2f}  "
            f"({elapsed:.0f} s)",
            flush=True,
        )
        if args.time_budget and elapsed > args.time_budget:
            break

    results = {
        "model": args.model,
        "backend": keras.backend.backend(),
        "parameters": model.count_params(),
        "steps": steps,
        "sequences_seen": steps * args.batch_size,
        "train_seconds": round(time.time() - start, 1),
        "args": vars(args),
        "bits_wrong_per_sequence": {},
        "curve": curve,
    }
    for length in args.eval_lengths:
        wrong = bits_wrong(model, length, args.eval_sequences, seed=2 * 10**6)
        results["bits_wrong_per_sequence"][str(length)] = wrong
        print(
            f"length {length}: {wrong:.2f} bits wrong per sequence "
            f"(of {length * BITS})"
        )
    if args.output:
        with open(args.output, "w") as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == "__main__":
    main()

"""The NTM associative recall task: MANNLayer against an LSTM baseline.

Each episode shows 2-6 items (an item is three random 6-bit vectors), then
one of them as a query; the model must output the item that followed it.
Episodes are generated on the fly, seeded. Reports the bits wrong per
episode (of 18) with 6 items and, to test generalisation, 12 items.

    KERAS_BACKEND=jax python examples/associative_recall.py --model mann
    KERAS_BACKEND=jax python examples/associative_recall.py --model lstm

`--output results.json` also writes the numbers (and the training curve).
"""

import argparse
import json
import time

import keras

from keras_memattn.datasets import associative_recall
from keras_memattn.layers import MANNLayer

BITS = 6


def build_model(kind, units, memory_size, memory_width, controller="dense"):
    inputs = keras.Input((None, BITS + 2))
    if kind == "mann":
        h = MANNLayer(
            units,
            memory_size=memory_size,
            memory_width=memory_width,
            addressing="ntm",
            controller=controller,
            return_sequences=True,
        )(inputs)
    else:
        h = keras.layers.LSTM(units, return_sequences=True)(inputs)
    return keras.Model(inputs, keras.layers.Dense(BITS)(h))


def bits_wrong(model, items, num_episodes, seed, batch_size=64):
    """Mean wrong bits per episode, every episode with `items` items."""
    x, y, w = associative_recall(
        num_episodes, min_items=items, max_items=items, seed=seed
    )
    logits = model.predict(x, batch_size=batch_size, verbose=0)
    wrong = ((logits > 0.0) != (y > 0.5)).sum(-1) * w
    return float(wrong.sum(-1).mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["mann", "lstm"], default="mann")
    parser.add_argument("--steps", type=int, default=12000)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=3e-4)
    parser.add_argument("--units", type=int, default=None)
    parser.add_argument(
        "--controller",
        choices=["lstm", "dense"],
        default="dense",
        help="MANN controller (the NTM paper's feed-forward one learns "
        "this task fastest)",
    )
    parser.add_argument("--memory-size", type=int, default=64)
    parser.add_argument("--memory-width", type=int, default=20)
    parser.add_argument("--max-items", type=int, default=6)
    parser.add_argument("--eval-items", type=int, nargs="+", default=[6, 12])
    parser.add_argument("--eval-episodes", type=int, default=200)
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
    units = args.units or (100 if args.model == "mann" else 120)
    model = build_model(
        args.model, units, args.memory_size, args.memory_width, args.controller
    )
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
    while steps < args.steps:
        n = min(args.log_every, args.steps - steps)
        x, y, w = associative_recall(
            n * args.batch_size,
            max_items=args.max_items,
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
        loss = history.history["loss"][-1]
        wrong = bits_wrong(model, args.max_items, 64, seed=10**6 + steps)
        elapsed = time.time() - start
        curve.append([steps, loss, wrong, elapsed])
        print(
            f"step {steps:6d}  loss {loss:.4f}  "
            f"bits wrong @{args.max_items} items: {wrong:5.2f}  "
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
        "episodes_seen": steps * args.batch_size,
        "train_seconds": round(time.time() - start, 1),
        "args": vars(args),
        "bits_wrong_per_episode": {},
        "curve": curve,
    }
    for items in args.eval_items:
        wrong = bits_wrong(model, items, args.eval_episodes, seed=2 * 10**6)
        results["bits_wrong_per_episode"][str(items)] = wrong
        print(f"{items} items: {wrong:.2f} bits wrong per episode (of 18)")
    if args.output:
        with open(args.output, "w") as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == "__main__":
    main()

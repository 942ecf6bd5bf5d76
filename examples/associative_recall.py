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

import _ntm_tasks
import keras

from keras_memattn.datasets import associative_recall

BITS = 6


def bits_wrong(model, items, num_episodes, seed):
    """Mean wrong bits per episode, every episode with `items` items."""
    data = associative_recall(
        num_episodes, min_items=items, max_items=items, seed=seed
    )
    return _ntm_tasks.bits_wrong(model, data)


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
    for flag in ("steps", "log-every", "batch-size"):
        if getattr(args, flag.replace("-", "_")) < 1:
            parser.error(f"--{flag} must be at least 1")

    keras.utils.set_random_seed(args.seed)
    units = args.units or (100 if args.model == "mann" else 120)
    model = _ntm_tasks.build_model(
        args.model,
        units,
        BITS + 2,
        BITS,
        args.memory_size,
        args.memory_width,
        controller=args.controller,
    )
    _ntm_tasks.compile_model(model, args.learning_rate)
    print(
        f"{args.model}: {model.count_params()} parameters, "
        f"backend {keras.backend.backend()}"
    )

    def make_data(num, seed):
        return associative_recall(num, max_items=args.max_items, seed=seed)

    steps, curve, seconds = _ntm_tasks.train(
        model,
        args,
        make_data,
        monitor=lambda seed: bits_wrong(model, args.max_items, 64, seed),
        describe=lambda wrong: (
            f"bits wrong @{args.max_items} items: {wrong:5.2f}"
        ),
    )

    results = {
        "model": args.model,
        "backend": keras.backend.backend(),
        "parameters": model.count_params(),
        "steps": steps,
        "episodes_seen": steps * args.batch_size,
        "train_seconds": seconds,
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

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

import _ntm_tasks
import keras

from keras_memattn.datasets import copy_task

BITS = 8


def bits_wrong(model, length, num_sequences, seed):
    """Mean number of wrong bits per sequence, all sequences of `length`."""
    data = copy_task(
        num_sequences, min_length=length, max_length=length, seed=seed
    )
    return _ntm_tasks.bits_wrong(model, data)


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
    for flag in ("steps", "log-every", "batch-size"):
        if getattr(args, flag.replace("-", "_")) < 1:
            parser.error(f"--{flag} must be at least 1")

    keras.utils.set_random_seed(args.seed)
    # Similar parameter counts: MANN with a 100-unit LSTM controller has
    # 62,260 parameters, an LSTM with 120 units 63,368.
    units = args.units or (100 if args.model == "mann" else 120)
    model = _ntm_tasks.build_model(
        args.model,
        units,
        BITS + 1,
        BITS,
        args.memory_size,
        args.memory_width,
    )
    _ntm_tasks.compile_model(model, args.learning_rate)
    print(
        f"{args.model}: {model.count_params()} parameters, "
        f"backend {keras.backend.backend()}"
    )

    def make_data(num, seed):
        return copy_task(num, max_length=args.max_length, seed=seed)

    steps, curve, seconds = _ntm_tasks.train(
        model,
        args,
        make_data,
        monitor=lambda seed: bits_wrong(model, args.max_length, 64, seed),
        describe=lambda wrong: f"bits wrong @{args.max_length}: {wrong:6.2f}",
    )

    results = {
        "model": args.model,
        "backend": keras.backend.backend(),
        "parameters": model.count_params(),
        "steps": steps,
        "sequences_seen": steps * args.batch_size,
        "train_seconds": seconds,
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

"""`memattn bench`: how fast the layers run here, next to Keras' own.

Times one training step (Adam, mean squared error against zeros) and one
batch-1 inference call of each chosen layer and of its Keras counterpart, in
the same process on the active backend, calling the two in turns so that
other load on the machine hits both alike; each time is the median of the
repeats. The ratio column is layer time / Keras time.

```
memattn bench
memattn --backend jax bench --layers wm_lstm --lengths 100 400
memattn bench --layers self_attention --json attention.json
```

The `benchmarks/` scripts of the repository measure the same things at the
sizes of the docs, against their targets.
"""

import statistics
import time

# name: (what is timed, the Keras layer it is timed against)
LAYERS = {
    "wm_lstm": ("WorkingMemoryLSTM", "keras.layers.LSTM"),
    "attention_gru": ("AttentionGRU", "keras.layers.GRU"),
    "mann": ("MANNLayer", "keras.layers.LSTM"),
    "self_attention": (
        "MultiHeadSelfAttention",
        "keras.layers.MultiHeadAttention",
    ),
}
HEADS = 4
COLUMNS = (
    ("layer", "layer", "{}"),
    ("baseline", "baseline", "{}"),
    ("T", "length", "{}"),
    ("train ms", "train_ms", "{:.2f}"),
    ("baseline train ms", "baseline_train_ms", "{:.2f}"),
    ("train ratio", "train_ratio", "{:.2f}"),
    ("infer ms", "infer_ms", "{:.3f}"),
    ("baseline infer ms", "baseline_infer_ms", "{:.3f}"),
    ("infer ratio", "infer_ratio", "{:.2f}"),
)


def add_parser(subparsers):
    """Adds the `bench` subcommand to an argparse subparsers object."""
    parser = subparsers.add_parser(
        "bench",
        help="time the layers against their Keras counterparts",
        description=__doc__.split("\n\n")[1],
    )
    parser.add_argument(
        "--layers",
        nargs="+",
        choices=list(LAYERS),
        default=list(LAYERS),
        help="which layers (default: all); `mann` is timed against "
        "keras.layers.LSTM of the same units",
    )
    parser.add_argument(
        "--lengths",
        nargs="+",
        type=int,
        default=[50, 100],
        help="sequence lengths (default: 50 100)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=64,
        help="of the training step (default 64; inference runs on 1)",
    )
    parser.add_argument(
        "--features", type=int, default=128, help="input width (default 128)"
    )
    parser.add_argument(
        "--units",
        type=int,
        default=128,
        help="recurrent units, or the width of all attention heads together "
        f"({HEADS} heads; a multiple of {HEADS})",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=10,
        help="timed calls of each model (default 10)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=3,
        help="untimed calls of each model first (default 3)",
    )
    parser.add_argument(
        "--json",
        default=None,
        metavar="FILE",
        help="also write the rows to this JSON file",
    )
    return parser


def check_args(args):
    """Raises `ValueError` with a one-line message for bad flag values."""
    for flag, values in (
        ("--lengths", args.lengths),
        ("--batch-size", [args.batch_size]),
        ("--features", [args.features]),
        ("--units", [args.units]),
        ("--repeats", [args.repeats]),
    ):
        for value in values:
            if value < 1:
                raise ValueError(
                    f"{flag} must be positive. Received: {flag} {value}"
                )
    if args.warmup < 0:
        raise ValueError(
            f"--warmup must be 0 or more. Received: --warmup {args.warmup}"
        )
    if "self_attention" in args.layers and args.units % HEADS:
        raise ValueError(
            f"--units must be a multiple of {HEADS} (the heads of "
            f"self_attention). Received: --units {args.units}"
        )


def run(args):
    """Runs the benchmark of checked `args`; prints the table as it goes and
    returns the rows (dicts keyed by the second field of `COLUMNS`)."""
    import keras

    print(_header(), flush=True)
    rows = []
    for name in args.layers:
        for length in args.lengths:
            rows.append(measure(name, length, args))
            print(_format_row(rows[-1]), flush=True)
    print(
        f"backend {keras.backend.backend()}, batch {args.batch_size} "
        f"(inference: 1), {args.features} features, {args.units} units; "
        f"medians of {args.repeats} calls in turns; ratio = layer / baseline"
    )
    return rows


def measure(name, length, args):
    """One row: the layer `name` and its baseline at sequence `length`."""
    import numpy as np

    rng = np.random.default_rng(0)
    shape = (length, args.features)
    x = rng.standard_normal((args.batch_size, *shape)).astype("float32")
    models = [_model(name, shape, args, baseline) for baseline in (0, 1)]
    train = []
    for model in models:
        model.compile(optimizer="adam", loss="mse")
        # Outputs may differ in width (MANNLayer adds its read vectors).
        y = np.zeros((args.batch_size, *model.output_shape[1:]), "float32")
        train.append(lambda m=model, y=y: m.train_on_batch(x, y))
    infer = [(lambda m=m: m.predict_on_batch(x[:1])) for m in models]
    train_ms = interleaved_ms(train, args.repeats, args.warmup)
    infer_ms = interleaved_ms(infer, args.repeats, args.warmup)
    candidate, baseline = LAYERS[name]
    return {
        "layer": candidate,
        "baseline": baseline,
        "length": length,
        **timing_fields(train_ms, infer_ms),
    }


def timing_fields(train_ms, infer_ms):
    """The times and ratios of a row, from `[layer, baseline]` medians."""
    return {
        "train_ms": train_ms[0],
        "baseline_train_ms": train_ms[1],
        "train_ratio": train_ms[0] / train_ms[1],
        "infer_ms": infer_ms[0],
        "baseline_infer_ms": infer_ms[1],
        "infer_ratio": infer_ms[0] / infer_ms[1],
    }


def _model(name, shape, args, baseline):
    import keras

    from keras_memattn import layers

    inputs = keras.Input(shape)
    units = args.units
    if name == "self_attention":
        if baseline:
            layer = keras.layers.MultiHeadAttention(HEADS, units // HEADS)
            outputs = layer(inputs, inputs)
        else:
            layer = layers.MultiHeadSelfAttention(HEADS, units // HEADS)
            outputs = layer(inputs)
    elif baseline:
        cls = keras.layers.GRU if name == "attention_gru" else keras.layers.LSTM
        outputs = cls(units)(inputs)
    else:
        outputs = getattr(layers, LAYERS[name][0])(units)(inputs)
    return keras.Model(inputs, outputs)


def sync(x):
    """Blocks until `x` is computed (JAX dispatches asynchronously)."""
    import keras
    import numpy as np

    for leaf in keras.tree.flatten(x):
        if hasattr(leaf, "block_until_ready"):
            leaf.block_until_ready()
        else:
            np.asarray(keras.ops.convert_to_numpy(leaf))
    return x


def median_ms(fn, warmup=3, repeats=10):
    """Median wall time of `fn()` in milliseconds, after `warmup` calls."""
    for _ in range(warmup):
        sync(fn())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        sync(fn())
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def interleaved_ms(fns, repeats, warmup, slow_ms=None):
    """Median milliseconds of each function, the functions called in turns.

    On a shared machine, alternating rounds (one call of each function per
    round) expose all the functions to the same load. With `slow_ms`, at
    most 3 rounds run when the slowest function takes longer than that
    after warm-up.
    """
    for fn in fns:
        median_ms(fn, warmup=warmup, repeats=1)
    if slow_ms is not None:
        probe = max(median_ms(fn, warmup=0, repeats=1) for fn in fns)
        if probe > slow_ms:
            repeats = min(repeats, 3)
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, bucket in zip(fns, times):
            bucket.append(median_ms(fn, warmup=0, repeats=1))
    return [statistics.median(bucket) for bucket in times]


def _header():
    titles = "| " + " | ".join(title for title, _, _ in COLUMNS) + " |"
    return titles + "\n|" + "---|" * len(COLUMNS)


def _format_row(row):
    cells = (fmt.format(row[key]) for _, key, fmt in COLUMNS)
    return "| " + " | ".join(cells) + " |"

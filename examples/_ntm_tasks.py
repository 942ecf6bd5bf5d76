"""What the NTM examples (copy, associative recall) share.

The model, the bit-error metric and the training loop; each example supplies
its data generator and its reporting.
"""

import time

import keras

from keras_memattn.layers import MANNLayer


def build_model(
    kind, units, features, bits, memory_size, memory_width, controller="lstm"
):
    """A MANNLayer (NTM addressing) or an LSTM, then bit logits per step."""
    inputs = keras.Input((None, features))
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
    model = keras.Model(inputs, keras.layers.Dense(bits)(h))
    return model


def compile_model(model, learning_rate):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=10.0),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )


def bits_wrong(model, data, batch_size=64):
    """Mean number of wrong output bits per sequence of `data = (x, y, w)`."""
    x, y, w = data
    logits = model.predict(x, batch_size=batch_size, verbose=0)
    wrong = ((logits > 0.0) != (y > 0.5)).sum(-1) * w
    return float(wrong.sum(-1).mean())


def train(model, args, make_data, monitor, describe):
    """Trains in chunks of `args.log_every` steps on fresh seeded data.

    `make_data(num, seed)` returns `(x, y, w)`; `monitor(seed)` returns the
    bits wrong on a small held-out set, printed with `describe(wrong)`.
    Stops after `args.steps` steps or `args.time_budget` seconds.

    Returns:
        `(steps, curve, seconds)`.
    """
    curve = []
    start = time.time()
    steps = 0
    while steps < args.steps:
        n = min(args.log_every, args.steps - steps)
        x, y, w = make_data(
            n * args.batch_size, seed=args.seed * 1_000_003 + steps
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
        wrong = monitor(seed=10**6 + steps)
        elapsed = time.time() - start
        curve.append([steps, loss, wrong, elapsed])
        print(
            f"step {steps:6d}  loss {loss:.4f}  {describe(wrong)}  "
            f"({elapsed:.0f} s)",
            flush=True,
        )
        if args.time_budget and elapsed > args.time_budget:
            break
    return steps, curve, round(time.time() - start, 1)

"""Question answering on bAbI with a memory network (MemN2N / Q-MANN).

Trains one `keras_memattn.layers.MemoryNetwork` per task on the 1k English
training split (10 % held out for validation; the weights of the best
validation epoch are kept), then prints the test error of every task and the
mean. The recipe follows MemN2N and Q-MANN: 3 hops with layer-wise weight
tying, position and temporal encoding, 10 % random empty memories, Adam with
the learning rate halved every 25 epochs for 100 epochs, and optionally the
best of several random restarts on the validation split. `--joint` trains
one model on all the tasks at once instead (MemN2N's joint setting:
embedding 50, learning rate 0.003, and a ReLU on half of the controller
state after every hop, as in MemN2N's layer-wise language models) and
prints its test error on each task. `--ten-k` trains on the 10k training
splits (the setting of the Q-MANN paper) instead of the 1k ones.
`--linear-start` adds MemN2N's linear start
(`keras_memattn.callbacks.LinearStart`), `--weight-tying adjacent
--tie-answer` gives MemN2N's adjacent tying, and `--optimizer sgd` its
plain SGD. The last command below is MemN2N's reference recipe for joint
training, its rate and clip norm scaled to this script's loss (the batch
mean, where the reference code sums); the benchmarks page of the docs
compares it with the other recipes tried.

    KERAS_BACKEND=jax python examples/babi.py --tasks 1 2 3
    KERAS_BACKEND=jax python examples/babi.py --joint
    KERAS_BACKEND=jax python examples/babi.py --similarity hamming \\
        --quantization fixed_point
    KERAS_BACKEND=jax python examples/babi.py --joint --optimizer sgd \\
        --learning-rate 0.16 --clipnorm 1.25 --linear-start \\
        --linear-start-epochs 30 --epochs 90 --decay-every 15 \\
        --weight-tying adjacent --tie-answer

The data comes from `$KERAS_MEMATTN_DATA/babi` (or `--data-dir`, the Keras
cache, or a download of the bAbI v1.2 archive).
"""

import argparse
import time

import keras
import numpy as np

import keras_memattn
from keras_memattn.datasets import load_babi
from keras_memattn.datasets import load_babi_joint


def build_model(
    vocabulary_size,
    story_shape,
    query_length,
    embedding_dim=20,
    num_hops=3,
    similarity="dot",
    quantization=None,
    weight_tying="layerwise",
    hamming_scale=0.125,
    tie_answer=False,
    linear_start=False,
    temporal_noise=0.1,
    relu_units=0,
    learning_rate=0.01,
    optimizer="adam",
    clipnorm=40.0,
    seed=None,
):
    """A compiled model: `[story, query]` -> answer logits over the words."""
    story = keras.Input(story_shape, dtype="int32", name="story")
    query = keras.Input((query_length,), dtype="int32", name="query")
    logits = keras_memattn.layers.MemoryNetwork(
        vocabulary_size=vocabulary_size,
        embedding_dim=embedding_dim,
        num_hops=num_hops,
        similarity=similarity,
        quantization=quantization,
        weight_tying=weight_tying,
        hamming_scale=hamming_scale,
        tie_answer=tie_answer,
        linear_start=linear_start,
        temporal_noise=temporal_noise,
        relu_units=relu_units,
        seed=seed,
        embeddings_initializer=keras.initializers.RandomNormal(stddev=0.1),
    )([story, query])
    model = keras.Model([story, query], logits)
    model.compile(
        optimizer=keras.optimizers.get(
            {
                "class_name": optimizer,
                "config": {
                    "learning_rate": learning_rate,
                    "clipnorm": clipnorm,
                },
            }
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def _train_best(
    stories,
    queries,
    answers,
    vocabulary_size,
    epochs=100,
    batch_size=32,
    seed=0,
    restarts=1,
    learning_rate=0.01,
    decay_every=25,
    linear_start_patience=5,
    linear_start_epochs=None,
    verbose=0,
    **model_kwargs,
):
    """Trains `restarts` models; returns the best on validation and stats.

    10 % of the samples (a seeded permutation) are held out for
    validation; each restart keeps the weights of its best validation
    epoch, and the restart with the best validation accuracy (then the
    lowest validation loss) wins. With linear start, the softmax comes back
    when the validation loss has not improved for `linear_start_patience`
    epochs, or, with `linear_start_epochs`, after exactly that many epochs
    at the initial learning rate, the halving schedule starting from there
    (MemN2N's reference code).
    """
    linear_start = model_kwargs.get("linear_start", False)
    fixed_linear = linear_start and linear_start_epochs is not None

    def schedule(epoch):
        if fixed_linear:
            if epoch < linear_start_epochs:
                return learning_rate
            epoch -= linear_start_epochs
        return learning_rate * 0.5 ** (epoch // decay_every)

    order = np.random.default_rng(seed).permutation(len(answers))
    n_val = len(answers) // 10
    val, train = order[:n_val], order[n_val:]
    x_val = [stories[val], queries[val]]
    best_model, best_key, best_epoch = None, None, None
    for restart in range(restarts):
        keras.utils.set_random_seed(seed + restart)
        model = build_model(
            vocabulary_size,
            stories.shape[1:],
            queries.shape[1],
            learning_rate=learning_rate,
            seed=seed + restart,
            **model_kwargs,
        )
        callbacks = [
            keras.callbacks.EarlyStopping(
                monitor="val_accuracy",
                mode="max",
                patience=epochs,
                restore_best_weights=True,
            ),
            keras.callbacks.LearningRateScheduler(schedule),
        ]
        if fixed_linear:
            callbacks.append(
                keras_memattn.callbacks.LinearStart(
                    patience=linear_start_epochs,
                    max_linear_epochs=linear_start_epochs,
                )
            )
        elif linear_start:
            callbacks.append(
                keras_memattn.callbacks.LinearStart(
                    patience=linear_start_patience
                )
            )
        model.fit(
            [stories[train], queries[train]],
            answers[train],
            validation_data=(x_val, answers[val]),
            batch_size=batch_size,
            epochs=epochs,
            callbacks=callbacks,
            verbose=verbose,
        )
        val_loss, val_accuracy = model.evaluate(
            x_val, answers[val], batch_size=256, verbose=0
        )
        key = (val_accuracy, -val_loss)
        if best_key is None or key > best_key:
            best_model, best_key = model, key
            best_epoch = callbacks[0].best_epoch + 1
    return best_model, 100.0 * (1.0 - best_key[0]), best_epoch


def _same_sentence_length(train, test):
    """Pads facts and questions to one length, for one position encoding."""
    words = max(train[0].shape[-1], train[1].shape[-1])

    def pad(x):
        width = [(0, 0)] * (x.ndim - 1) + [(0, words - x.shape[-1])]
        return np.pad(x, width)

    return (
        (pad(train[0]), pad(train[1])) + tuple(train[2:]),
        (pad(test[0]), pad(test[1])) + tuple(test[2:]),
    )


def run_task(task, data_dir=None, ten_k=False, **options):
    """Trains on one task; returns a dict with the test error and timings.

    `ten_k=True` trains on the 10k training split instead of the 1k one
    (the test split is the same 1,000 questions). `options` are those of
    the training loop (`epochs=100`, `batch_size=32`, `seed=0`,
    `restarts=1`, `learning_rate=0.01`, `decay_every=25`,
    `linear_start_patience=5`, `linear_start_epochs=None`, `verbose=0`)
    and of `build_model`. Each of `restarts` runs trains from its own random
    initialisation (seeds `seed`, `seed + 1`, ...); the run with the best
    validation accuracy (then the lowest validation loss) is evaluated on
    the test split. The learning rate is halved every `decay_every` epochs.
    """
    train, test, vocabulary = load_babi(task, ten_k=ten_k, data_dir=data_dir)
    # One sentence length for facts and questions, so that both get the
    # same position encoding (as in MemN2N).
    train, test = _same_sentence_length(train, test)
    start = time.perf_counter()
    model, val_error, best_epoch = _train_best(
        *train, len(vocabulary), **options
    )
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(
        list(test[:2]), test[2], batch_size=256, verbose=0
    )
    return {
        "task": task,
        "test_error": 100.0 * (1.0 - accuracy),
        "val_error": val_error,
        "best_epoch": best_epoch,
        "train_seconds": seconds,
    }


def run_joint(tasks=tuple(range(1, 21)), data_dir=None, ten_k=False, **options):
    """Trains one model on all `tasks` at once; returns per-task results.

    The joint setting of MemN2N: the tasks share a vocabulary and a
    model, the validation split is drawn from all tasks together, and the
    test error is reported per task. `ten_k` and `options` are those of
    `run_task`, with an embedding of 50, a learning rate of 0.003 and a
    ReLU on half of the state (`relu_units`) unless given.
    Returns a dict with `"test_error"` (a dict task -> error in %),
    `"val_error"`, `"best_epoch"` and `"train_seconds"`.
    """
    options.setdefault("embedding_dim", 50)
    options.setdefault("learning_rate", 0.003)
    options.setdefault("relu_units", options["embedding_dim"] // 2)
    train, test, vocabulary = load_babi_joint(
        tasks, ten_k=ten_k, data_dir=data_dir
    )
    train, test = _same_sentence_length(train, test)
    start = time.perf_counter()
    model, val_error, best_epoch = _train_best(
        *train[:3], len(vocabulary), **options
    )
    seconds = time.perf_counter() - start
    stories, queries, answers, task_ids = test
    logits = model.predict([stories, queries], batch_size=256, verbose=0)
    correct = np.argmax(logits, axis=-1) == answers
    errors = {
        int(task): 100.0 * (1.0 - float(np.mean(correct[task_ids == task])))
        for task in tasks
    }
    return {
        "test_error": errors,
        "val_error": val_error,
        "best_epoch": best_epoch,
        "train_seconds": seconds,
    }


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, got {value}")
    return value


def add_training_arguments(parser):
    """The training flags shared by this script and `benchmarks/qmann.py`.

    `apply_defaults` fills in the defaults that depend on `--joint`.
    """
    parser.add_argument("--tasks", type=int, nargs="+", default=range(1, 21))
    parser.add_argument(
        "--joint",
        action="store_true",
        help="train one model on all the tasks at once (MemN2N's joint)",
    )
    parser.add_argument(
        "--ten-k",
        action="store_true",
        help="train on the 10k training splits (en-10k) instead of the 1k",
    )
    parser.add_argument("--epochs", type=_positive_int, default=100)
    parser.add_argument(
        "--optimizer",
        default="adam",
        choices=["adam", "sgd"],
        help="Adam (default) or plain SGD, as in MemN2N",
    )
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="initial rate; default 0.01 per task, 0.003 joint",
    )
    parser.add_argument(
        "--decay-every",
        type=_positive_int,
        default=25,
        help="halve the learning rate every this many epochs (default 25)",
    )
    parser.add_argument(
        "--restarts",
        type=_positive_int,
        default=1,
        help="random restarts per task; the best on validation is tested",
    )
    parser.add_argument(
        "--embedding-dim",
        type=int,
        default=None,
        help="default 20 per task, 50 joint (as in MemN2N)",
    )
    parser.add_argument(
        "--weight-tying", default="layerwise", choices=["layerwise", "adjacent"]
    )
    parser.add_argument(
        "--linear-start",
        action="store_true",
        help="MemN2N's linear start (keras_memattn.callbacks.LinearStart)",
    )
    parser.add_argument(
        "--linear-start-epochs",
        type=_positive_int,
        default=None,
        help="with --linear-start: insert the softmax after exactly this "
        "many epochs at the initial rate, then start the halving schedule "
        "(default: when the validation loss stalls for 5 epochs)",
    )
    parser.add_argument(
        "--relu-units",
        type=_non_negative_int,
        default=None,
        help="units of the controller state put through a ReLU after every "
        "hop (MemoryNetwork's relu_units); default half the embedding "
        "joint, 0 per task",
    )
    parser.add_argument(
        "--clipnorm",
        type=float,
        default=40.0,
        help="clip each gradient tensor to this L2 norm (default 40)",
    )
    parser.add_argument("--seed", type=int, default=0)


def apply_defaults(args):
    """Sets the learning rate and embedding size left at None by the flags.

    Raises `SystemExit` (as `argparse` does) for flags that do not go
    together.
    """
    if args.linear_start_epochs is not None and not args.linear_start:
        raise SystemExit("error: --linear-start-epochs needs --linear-start")
    if not args.clipnorm > 0 or args.clipnorm == float("inf"):
        raise SystemExit(
            f"error: --clipnorm must be a positive number, got {args.clipnorm}"
        )
    if args.learning_rate is None:
        args.learning_rate = 0.003 if args.joint else 0.01
    if args.embedding_dim is None:
        args.embedding_dim = 50 if args.joint else 20
    if args.relu_units is None:
        args.relu_units = args.embedding_dim // 2 if args.joint else 0
    if args.relu_units > args.embedding_dim:
        raise SystemExit(
            f"error: --relu-units must be at most the embedding size "
            f"({args.embedding_dim}), got {args.relu_units}"
        )
    return args


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_training_arguments(parser)
    parser.add_argument("--hops", type=int, default=3)
    parser.add_argument(
        "--similarity", default="dot", choices=["dot", "cosine", "hamming"]
    )
    parser.add_argument(
        "--quantization", default=None, choices=["fixed_point", "binary"]
    )
    parser.add_argument(
        "--tie-answer",
        action="store_true",
        help="answer layer = last value embedding (MemN2N, adjacent tying)",
    )
    parser.add_argument("--data-dir", default=None)
    args = apply_defaults(parser.parse_args())

    options = dict(
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        optimizer=args.optimizer,
        decay_every=args.decay_every,
        clipnorm=args.clipnorm,
        linear_start_epochs=args.linear_start_epochs,
        seed=args.seed,
        restarts=args.restarts,
        data_dir=args.data_dir,
        ten_k=args.ten_k,
        embedding_dim=args.embedding_dim,
        num_hops=args.hops,
        similarity=args.similarity,
        quantization=args.quantization,
        weight_tying=args.weight_tying,
        tie_answer=args.tie_answer,
        linear_start=args.linear_start,
        relu_units=args.relu_units,
    )
    if args.joint:
        result = run_joint(tuple(args.tasks), **options)
        print(
            f"joint training: validation error {result['val_error']:.1f} %, "
            f"best epoch {result['best_epoch']}, "
            f"{result['train_seconds']:.0f} s"
        )
        errors = list(result["test_error"].values())
        for task, error in result["test_error"].items():
            print(f"task {task:2d}: test error {error:5.1f} %")
    else:
        errors = []
        for task in args.tasks:
            result = run_task(task, **options)
            errors.append(result["test_error"])
            print(
                f"task {task:2d}: test error {result['test_error']:5.1f} % "
                f"(best epoch {result['best_epoch']}, "
                f"{result['train_seconds']:.0f} s)",
                flush=True,
            )
    failed = sum(e > 5.0 for e in errors)
    print(
        f"mean test error {np.mean(errors):.1f} % over {len(errors)} tasks, "
        f"{failed} failed (> 5 %)"
    )


if __name__ == "__main__":
    main()

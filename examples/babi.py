"""Question answering on bAbI with a memory network (MemN2N / Q-MANN).

Trains one `keras_memattn.layers.MemoryNetwork` per task on the 1k English
training split (10 % held out for validation; the weights of the best
validation epoch are kept), then prints the test error of every task and the
mean.

    KERAS_BACKEND=jax python examples/babi.py --tasks 1 2 3 --epochs 60
    KERAS_BACKEND=jax python examples/babi.py --similarity hamming \\
        --quantization fixed_point

The data comes from `$KERAS_MEMATTN_DATA/babi` (or `--data-dir`, the Keras
cache, or a download of the bAbI v1.2 archive).
"""

import argparse
import time

import keras
import numpy as np

import keras_memattn
from keras_memattn.datasets import load_babi


def build_model(
    vocabulary_size,
    story_shape,
    query_length,
    embedding_dim=20,
    num_hops=3,
    similarity="dot",
    quantization=None,
    weight_tying="adjacent",
    hamming_scale=0.125,
    learning_rate=0.01,
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
        embeddings_initializer=keras.initializers.RandomNormal(stddev=0.1),
    )([story, query])
    model = keras.Model([story, query], logits)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=40.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def run_task(
    task,
    epochs=60,
    batch_size=32,
    seed=0,
    data_dir=None,
    verbose=0,
    **model_kwargs,
):
    """Trains on one task; returns a dict with the test error and timings."""
    keras.utils.set_random_seed(seed)
    (stories, queries, answers), test, vocabulary = load_babi(
        task, data_dir=data_dir
    )
    order = np.random.default_rng(seed).permutation(len(answers))
    n_val = len(answers) // 10
    val, train = order[:n_val], order[n_val:]
    model = build_model(
        len(vocabulary),
        stories.shape[1:],
        queries.shape[1],
        **model_kwargs,
    )
    best = keras.callbacks.EarlyStopping(
        monitor="val_accuracy",
        mode="max",
        patience=epochs,
        restore_best_weights=True,
    )
    start = time.perf_counter()
    model.fit(
        [stories[train], queries[train]],
        answers[train],
        validation_data=([stories[val], queries[val]], answers[val]),
        batch_size=batch_size,
        epochs=epochs,
        callbacks=[best],
        verbose=verbose,
    )
    seconds = time.perf_counter() - start
    test_stories, test_queries, test_answers = test
    _, accuracy = model.evaluate(
        [test_stories, test_queries],
        test_answers,
        batch_size=256,
        verbose=0,
    )
    return {
        "task": task,
        "test_error": 100.0 * (1.0 - accuracy),
        "best_epoch": best.best_epoch + 1,
        "train_seconds": seconds,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, nargs="+", default=range(1, 21))
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--embedding-dim", type=int, default=20)
    parser.add_argument("--hops", type=int, default=3)
    parser.add_argument(
        "--similarity", default="dot", choices=["dot", "cosine", "hamming"]
    )
    parser.add_argument(
        "--quantization", default=None, choices=["fixed_point", "binary"]
    )
    parser.add_argument(
        "--weight-tying", default="adjacent", choices=["adjacent", "layerwise"]
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()

    errors = []
    for task in args.tasks:
        result = run_task(
            task,
            epochs=args.epochs,
            seed=args.seed,
            data_dir=args.data_dir,
            embedding_dim=args.embedding_dim,
            num_hops=args.hops,
            similarity=args.similarity,
            quantization=args.quantization,
            weight_tying=args.weight_tying,
        )
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

"""Subjectivity classification on SUBJ with stratified cross-validation.

SUBJ has no fixed split; the literature reports 10-fold cross-validation.
This script builds the 10 stratified folds and, by default, trains and
tests on the first of them (under a minute on a 2-core CPU);
`--run-folds 10` runs the whole protocol, and `--max-train N` trains each
fold's model on a random N of its training part. For each fold the
vocabulary is fitted on that fold's training part only. Prints accuracy per
fold and the mean +- std. With `--naive-bayes`, each trained model is also
averaged with naive Bayes over its word 1-2-grams (`add_naive_bayes`), and
both accuracies are printed.

    KERAS_BACKEND=jax python examples/text_classification_subj.py
    KERAS_BACKEND=jax python examples/text_classification_subj.py \\
        --encoder self_attention --pooling mean --run-folds 10
    KERAS_BACKEND=jax python examples/text_classification_subj.py \\
        --naive-bayes

The data comes from `--data-dir`, `$KERAS_MEMATTN_DATA` or the Keras cache.
"""

import argparse
import time

import keras
import numpy as np

import keras_memattn


def run_fold(texts, labels, train_idx, test_idx, args, fold):
    keras.utils.set_random_seed(args.seed + fold)
    train_idx = np.random.default_rng(args.seed + fold).permutation(train_idx)
    if args.max_train:
        train_idx = train_idx[: args.max_train]
    n_val = len(train_idx) // 10
    val_idx, train_idx = train_idx[:n_val], train_idx[n_val:]
    vectorizer = keras_memattn.datasets.TextVectorizer(max_tokens=20000)
    vectorizer.fit([texts[i] for i in train_idx])
    model = keras_memattn.models.text_classifier(
        encoder=args.encoder,
        units=args.units,
        embedding_dim=args.embedding_dim,
        pooling=args.pooling,
        dropout=args.dropout,
        vectorizer=vectorizer,
        class_names=["objective", "subjective"],
    )
    model.compile(
        "adam", "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    ids = vectorizer(texts)
    model.fit(
        ids[train_idx],
        labels[train_idx],
        validation_data=(ids[val_idx], labels[val_idx]),
        epochs=args.epochs,
        batch_size=args.batch_size,
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor="val_accuracy", patience=1, restore_best_weights=True
            )
        ],
        verbose=0,
    )
    models = {"model": model}
    if args.naive_bayes:
        models["with naive Bayes"] = keras_memattn.models.add_naive_bayes(
            model,
            ids[train_idx],
            labels[train_idx],
            validation_data=(ids[val_idx], labels[val_idx]),
        )
    metrics = {}
    for name, m in models.items():
        predictions = np.argmax(
            m.predict(ids[test_idx], batch_size=256, verbose=0), axis=-1
        )
        metrics[name] = keras_memattn.models.classification_metrics(
            labels[test_idx], predictions
        )
    return metrics


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", default="wm_lstm")
    parser.add_argument("--pooling", default="attention")
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--run-folds", type=int, default=1)
    parser.add_argument(
        "--max-train",
        type=int,
        default=0,
        help="random training texts per fold to use (0: all)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--naive-bayes",
        action="store_true",
        help="also average each model with naive Bayes over word 1-2-grams",
    )
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    if not 1 <= args.run_folds <= args.folds:
        parser.error(
            f"--run-folds must be in [1, --folds]. Received: {args.run_folds}"
        )

    texts, labels = keras_memattn.datasets.load_subj(args.data_dir)
    folds = keras_memattn.datasets.cross_validation_splits(
        labels, n_splits=args.folds, seed=args.seed
    )
    start = time.time()
    results = {}
    for fold, (train_idx, test_idx) in enumerate(folds[: args.run_folds]):
        metrics = run_fold(texts, labels, train_idx, test_idx, args, fold)
        for name, m in metrics.items():
            results.setdefault(name, []).append(m)
            print(f"fold {fold + 1} ({name}): accuracy {m['accuracy']:.4f}")
    seconds = time.time() - start
    for name, folds_metrics in results.items():
        summary = keras_memattn.models.summarize_folds(folds_metrics)
        print(
            f"SUBJ ({args.encoder}, {name}, {len(folds_metrics)} of "
            f"{args.folds} folds, {seconds:.0f} s): accuracy "
            f"{summary['accuracy']['mean']:.4f} +- "
            f"{summary['accuracy']['std']:.4f}, macro-F1 "
            f"{summary['macro_f1']['mean']:.4f}"
        )


if __name__ == "__main__":
    main()

"""Question type classification on TREC (6 coarse classes).

Trains a bidirectional working-memory LSTM with attention pooling on the
5,452 training questions (10 % held out for early stopping) and prints
accuracy, macro-F1 and the per-class report on the 500 TREC-10 test
questions. The default budget runs in a few minutes on a 2-core CPU;
`--max-train N` trains on a random N of the training questions instead.

    KERAS_BACKEND=jax python examples/text_classification_trec.py
    KERAS_BACKEND=jax python examples/text_classification_trec.py --fine

The data comes from `--data-dir`, `$KERAS_MEMATTN_DATA`, the Keras cache, or
a download.
"""

import argparse
import time

import keras
import numpy as np

import keras_memattn


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", default="wm_lstm")
    parser.add_argument("--pooling", default="attention")
    parser.add_argument("--no-bidirectional", action="store_true")
    parser.add_argument("--fine", action="store_true", help="50 classes")
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--max-train",
        type=int,
        default=0,
        help="random training questions to use (0: all)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)

    data = keras_memattn.datasets.load_trec(args.data_dir, fine=args.fine)
    class_names = data["class_names"]
    texts, labels = data["train"]
    order = np.random.default_rng(args.seed).permutation(len(texts))
    if args.max_train:
        order = order[: args.max_train]
    n_val = len(order) // 10
    val, train = order[:n_val], order[n_val:]

    vectorizer = keras_memattn.datasets.TextVectorizer(max_tokens=10000).fit(
        [texts[i] for i in train]
    )
    model = keras_memattn.models.text_classifier(
        encoder=args.encoder,
        units=args.units,
        embedding_dim=args.embedding_dim,
        pooling=args.pooling,
        bidirectional=not args.no_bidirectional,
        dropout=args.dropout,
        vectorizer=vectorizer,
        class_names=class_names,
    )
    model.compile(
        "adam", "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    ids = vectorizer(texts)
    start = time.time()
    model.fit(
        ids[train],
        labels[train],
        validation_data=(ids[val], labels[val]),
        epochs=args.epochs,
        batch_size=args.batch_size,
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor="val_accuracy", patience=3, restore_best_weights=True
            )
        ],
        verbose=2,
    )
    test_texts, test_labels = data["test"]
    predictions = np.argmax(
        model.predict(vectorizer(test_texts), verbose=0), axis=-1
    )
    metrics = keras_memattn.models.classification_metrics(
        test_labels, predictions, class_names
    )
    if not args.fine:
        for name in class_names:
            row = metrics["report"][name]
            print(
                f"  {name:5s} precision {row['precision']:.3f} "
                f"recall {row['recall']:.3f} f1 {row['f1-score']:.3f}"
            )
    print(
        f"TREC test ({args.encoder}, {len(class_names)} classes, "
        f"{time.time() - start:.0f} s): accuracy {metrics['accuracy']:.4f}, "
        f"macro-F1 {metrics['macro_f1']:.4f}"
    )


if __name__ == "__main__":
    main()

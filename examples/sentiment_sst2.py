"""Sentence sentiment on SST-2 with a working-memory LSTM.

Fits a word vocabulary on the training phrases, trains
`keras_memattn.models.text_classifier` with early stopping on the dev split,
and prints accuracy and macro-F1 on the 1,821-sentence test set. The default
budget (8,000 training phrases, 2 epochs) runs in a few minutes on a 2-core
CPU; `--max-train 0` uses all 67,349 phrases.

    KERAS_BACKEND=jax python examples/sentiment_sst2.py
    KERAS_BACKEND=jax python examples/sentiment_sst2.py --encoder lstm \\
        --max-train 0 --epochs 4

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
    parser.add_argument("--bidirectional", action="store_true")
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-train", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)

    data = keras_memattn.datasets.load_sst2(args.data_dir)
    train_texts, train_labels = data["train"]
    if args.max_train:
        keep = np.random.default_rng(args.seed).permutation(len(train_texts))
        keep = np.sort(keep[: args.max_train])
        train_texts = [train_texts[i] for i in keep]
        train_labels = train_labels[keep]

    vectorizer = keras_memattn.datasets.TextVectorizer(max_tokens=20000)
    vectorizer.fit(train_texts)
    model = keras_memattn.models.text_classifier(
        encoder=args.encoder,
        units=args.units,
        embedding_dim=args.embedding_dim,
        pooling=args.pooling,
        bidirectional=args.bidirectional,
        dropout=args.dropout,
        vectorizer=vectorizer,
        class_names=["negative", "positive"],
    )
    model.compile(
        "adam", "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    start = time.time()
    model.fit(
        vectorizer(train_texts),
        train_labels,
        validation_data=(vectorizer(data["dev"][0]), data["dev"][1]),
        epochs=args.epochs,
        batch_size=args.batch_size,
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor="val_accuracy", patience=1, restore_best_weights=True
            )
        ],
        verbose=2,
    )
    test_texts, test_labels = data["test"]
    predictions = np.argmax(
        model.predict(vectorizer(test_texts), batch_size=256, verbose=0), -1
    )
    metrics = keras_memattn.models.classification_metrics(
        test_labels, predictions, ["negative", "positive"]
    )
    print(
        f"SST-2 test ({args.encoder}, {len(train_texts)} training phrases, "
        f"{time.time() - start:.0f} s): accuracy {metrics['accuracy']:.4f}, "
        f"macro-F1 {metrics['macro_f1']:.4f}"
    )


if __name__ == "__main__":
    main()

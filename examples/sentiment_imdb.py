"""Long-document sentiment on IMDB with an attention GRU.

The reviews average about 230 words, so this is the long-sequence example:
texts are truncated to `--sequence-length` tokens (200 by default), a
`keras_memattn.layers.AttentionGRU` reads them, and attention pooling picks
the telling sentences. The default budget (4,000 training reviews, 5,000
test reviews, 2 epochs) runs in a few minutes on a 2-core CPU; pass
`--max-train 0 --max-test 0` for the full 25,000 / 25,000.

    KERAS_BACKEND=jax python examples/sentiment_imdb.py
    KERAS_BACKEND=torch python examples/sentiment_imdb.py --encoder lstm

The reviews are read straight from the two tar.gz archives in `imdb/` under
`--data-dir`, `$KERAS_MEMATTN_DATA`, or the Keras cache, or a download.
"""

import argparse
import time

import keras
import numpy as np

import keras_memattn


def _sample(pair, size, seed):
    texts, labels = pair
    if not size or size >= len(texts):
        return texts, labels
    keep = np.sort(np.random.default_rng(seed).permutation(len(texts))[:size])
    return [texts[i] for i in keep], labels[keep]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", default="attention_gru")
    parser.add_argument("--pooling", default="attention")
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--sequence-length", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-train", type=int, default=4000)
    parser.add_argument("--max-test", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)

    data = keras_memattn.datasets.load_imdb(args.data_dir)
    texts, labels = _sample(data["train"], args.max_train, args.seed)
    test_texts, test_labels = _sample(data["test"], args.max_test, args.seed)
    order = np.random.default_rng(args.seed).permutation(len(texts))
    n_val = len(texts) // 10
    val, train = order[:n_val], order[n_val:]

    vectorizer = keras_memattn.datasets.TextVectorizer(
        max_tokens=20000, sequence_length=args.sequence_length
    ).fit([texts[i] for i in train])
    model = keras_memattn.models.text_classifier(
        encoder=args.encoder,
        units=args.units,
        embedding_dim=args.embedding_dim,
        pooling=args.pooling,
        dropout=args.dropout,
        vectorizer=vectorizer,
        class_names=["negative", "positive"],
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
                monitor="val_accuracy", patience=1, restore_best_weights=True
            )
        ],
        verbose=2,
    )
    predictions = np.argmax(
        model.predict(vectorizer(test_texts), batch_size=256, verbose=0), -1
    )
    metrics = keras_memattn.models.classification_metrics(
        test_labels, predictions, ["negative", "positive"]
    )
    print(
        f"IMDB test ({args.encoder}, {len(train)} training reviews, "
        f"{len(test_texts)} test reviews, {time.time() - start:.0f} s): "
        f"accuracy {metrics['accuracy']:.4f}, "
        f"macro-F1 {metrics['macro_f1']:.4f}"
    )


if __name__ == "__main__":
    main()

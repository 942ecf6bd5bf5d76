"""Attention maps of a small SST-2 sentiment model, saved as PNG.

Trains `keras_memattn.models.text_classifier(encoder="self_attention",
pooling="attention")` on a random 20,000 of the SST-2 training phrases
(`--max-train 0` for all) for 3 epochs, prints the test accuracy, then
draws, for a few short test sentences,

* the `AttentionPooling` weights (which words the sentence vector is made
  of): `attention_pooling_sst2.png`;
* the `MultiHeadSelfAttention` scores of the first sentence, one panel per
  head: `self_attention_sst2.png`.

The figures in the documentation come from this script:

    KERAS_BACKEND=jax python examples/attention_maps.py --out-dir docs/images

It runs in a few minutes on a 2-core CPU. Data: `KERAS_MEMATTN_DATA` or
`--data-dir` (see `keras_memattn.datasets.load_sst2`).
"""

import argparse
import os

import keras
import numpy as np

import keras_memattn


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--max-train",
        type=int,
        default=20000,
        help="random training phrases to use (0: all)",
    )
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--examples", type=int, default=4)
    parser.add_argument("--out-dir", default=".")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    keras.utils.set_random_seed(args.seed)
    data = keras_memattn.datasets.load_sst2(args.data_dir)
    texts, labels = data["train"]
    order = np.random.default_rng(args.seed).permutation(len(texts))
    if args.max_train:
        order = order[: args.max_train]
    train_texts = [texts[i] for i in order]
    train_labels = np.asarray(labels)[order]

    vectorizer = keras_memattn.datasets.TextVectorizer(max_tokens=20000)
    vectorizer.fit(train_texts)
    model = keras_memattn.models.text_classifier(
        encoder="self_attention",
        vectorizer=vectorizer,
        num_classes=2,
        embedding_dim=64,
        units=64,
        num_heads=4,
        pooling="attention",
        dropout=0.3,
    )
    model.compile(
        "adam", "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    dev_texts, dev_labels = data["dev"]
    model.fit(
        vectorizer.encode(train_texts),
        train_labels,
        validation_data=(vectorizer.encode(dev_texts), dev_labels),
        epochs=args.epochs,
        batch_size=64,
        verbose=2,
    )
    test_texts, test_labels = data["test"]
    _, accuracy = model.evaluate(
        vectorizer.encode(test_texts), test_labels, verbose=0
    )
    print(f"SST-2 test accuracy: {accuracy:.4f}")

    # A few short test sentences, in file order.
    chosen = [
        i
        for i, text in enumerate(test_texts)
        if 6 <= len(vectorizer.tokenize(text)) <= 12
    ][: args.examples]
    tokens = [
        vectorizer.tokenize(test_texts[i])[: vectorizer.sequence_length]
        for i in chosen
    ]
    ids = vectorizer.encode([test_texts[i] for i in chosen])
    probabilities = model.predict(ids, verbose=0)
    pooling = keras_memattn.callbacks.get_attention_scores(
        model, ids, "attention_pooling"
    )
    attention = keras_memattn.callbacks.get_attention_scores(
        model, ids, "encoder"
    )

    os.makedirs(args.out_dir, exist_ok=True)
    width = max(len(t) for t in tokens)
    rows = np.zeros((len(chosen), width), "float32")
    for row, weights in enumerate(
        pooling.reshape(len(chosen), -1, ids.shape[1])
    ):
        rows[row, : len(tokens[row])] = weights.mean(0)[: len(tokens[row])]
    labels_text = [
        f"{'pos' if p.argmax() else 'neg'} {p.max():.2f} "
        f"(true {'pos' if test_labels[i] else 'neg'})"
        for p, i in zip(probabilities, chosen)
    ]
    # The figure is returned (path=None writes nothing) so that the words
    # can be written on it before it is saved.
    fig = keras_memattn.callbacks.plot_attention(
        rows,
        row_labels=labels_text,
        title="AttentionPooling weights (SST-2 test sentences)",
        figsize=(9, 1.2 + 0.6 * len(chosen)),
    )
    # One word per cell, written on the heat map.
    ax = fig.axes[0]
    ax.set_xlabel("token position")
    for r, sentence in enumerate(tokens):
        for c, word in enumerate(sentence):
            ax.text(
                c,
                r,
                word,
                ha="center",
                va="center",
                fontsize=7,
                color="white" if rows[r, c] < rows.max() / 2 else "black",
            )
    ax.set_xticks([])
    path = os.path.join(args.out_dir, "attention_pooling_sst2.png")
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")

    path = os.path.join(args.out_dir, "self_attention_sst2.png")
    keras_memattn.callbacks.plot_attention(
        attention[0],
        path=path,
        tokens=tokens[0],
        title="MultiHeadSelfAttention scores, one panel per head",
        figsize=(12, 3.6),
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

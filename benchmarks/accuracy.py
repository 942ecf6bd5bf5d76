"""Test accuracy of the text classifiers against Kim (2014) and TF-IDF.

For each encoder of `keras_memattn.models.text_classifier` and each dataset,
trains from random embeddings (no pre-trained vectors) and reports the test
accuracy as mean +- std over seeds, next to:

* Kim (2014) CNN-rand and CNN-static, the numbers of the paper;
* a scikit-learn TF-IDF (word 1-2 grams) + logistic regression baseline,
  fitted in the same run on the same splits;
* with `--cnn-baseline`, Kim's CNN-rand trained in the same run, per seed on
  the same training and validation parts as the encoders (see
  `kim_cnn_probs`), so the published numbers can be told apart from the
  differences of this pipeline (tokenization, splits, framework).

Protocols follow the literature: SST-2 trains on the 67,349 training phrases,
stops early on the dev sentences and is tested on the 1,821 test sentences;
TREC trains on its 5,452 questions (10 % held out for early stopping) and is
tested on the 500 TREC-10 questions; MR and SUBJ use stratified 10-fold
cross-validation (10 % of each training part held out for early stopping).
For MR and SUBJ one run is the mean over the folds that ran. With
`--refit`, where the validation data is held out of the training data
(TREC, MR, SUBJ), early stopping only chooses the number of epochs: a second
model with the same seed trains on all the training data for that many
epochs, and it is the one tested.

Besides the mean over seeds, the "ensemble" column averages the predicted
probabilities of all seeds of an encoder (one model per seed) and scores that.
With `--ensemble-encoders`, one more row averages the probabilities of every
model of every encoder of the run; it is reported beside the encoders and
not counted as one of them in the targets.

With `--naive-bayes`, the package's `NaiveBayesNgrams` (multinomial naive
Bayes over binarized word 1-2-grams, Wang and Manning 2012) runs as a
second same-run baseline (fitted on all the training data), and each
encoder also gets a "+ naive Bayes" row: per seed, the average of the
encoder's test probabilities and those of a naive Bayes model fitted on
the same training part, with its temperature calibrated on the same
validation data (Mesnil et al. 2014 ensembled naive Bayes features with
neural models the same way). The targets are checked for the encoders
alone and, separately, with that member.

The full grid (every encoder, four datasets, three seeds, ten folds) takes
many CPU hours; the options cut it down:

    # full grid (a large machine)
    KERAS_BACKEND=jax python benchmarks/accuracy.py

    # the reduced run in the docs: 23 minutes on a shared 2-core CPU
    KERAS_BACKEND=jax python benchmarks/accuracy.py \\
        --encoders self_attention wm_lstm --seeds 1 --folds 1 --epochs 3 \\
        --max-train 10000

    # an encoder averaged with naive Bayes over word 1-2-grams
    KERAS_BACKEND=jax python benchmarks/accuracy.py --datasets mr \\
        --encoders attention_gru --subword-ngrams 3 5 --wide-ngrams 2 \\
        --naive-bayes --name accuracy-mr-naive-bayes

    # fastText-style features: hashed character 3-5-grams per word and a
    # linear bag of words and bigrams added to the encoder's logits
    KERAS_BACKEND=jax python benchmarks/accuracy.py --datasets trec \\
        --encoders self_attention --seeds 3 --subword-ngrams 3 5 \\
        --wide-ngrams 2 --name accuracy-trec-subwords

Writes `benchmarks/results/<name>-<backend>.json` and
`docs/benchmarks/<name>-<backend>.md` (`--name`, default `accuracy`; see
`benchmarks/common.py`).
"""

import argparse
import json
import os
import sys
import time

import keras
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras_memattn  # noqa: E402
from benchmarks import common  # noqa: E402
from keras_memattn import cli  # noqa: E402

DATASETS = ("sst2", "trec", "mr", "subj")
NAMES = {"sst2": "SST-2", "trec": "TREC", "mr": "MR", "subj": "SUBJ"}
# Kim (2014), Table 2 (see the Kim 2014 paper notes).
CNN_RAND = {"mr": 76.1, "sst2": 82.7, "subj": 89.6, "trec": 91.2}
CNN_STATIC = {"mr": 81.0, "sst2": 86.8, "subj": 93.0, "trec": 92.8}
TFIDF = "tfidf_logreg"
ENCODER_ENSEMBLE = "encoder_ensemble"
NAIVE_BAYES = "naive_bayes"
WITH_NAIVE_BAYES = " + naive_bayes"
NAIVE_BAYES_BUCKETS = 1_000_000
# Keras' own layers, trained as baselines; the targets concern the others.
KERAS_BASELINES = ("lstm", "gru")
KIM_CNN = "kim_cnn_rand"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--datasets", nargs="+", default=list(DATASETS), choices=DATASETS
    )
    parser.add_argument(
        "--encoders",
        nargs="+",
        default=list(keras_memattn.models.ENCODERS),
        choices=list(keras_memattn.models.ENCODERS),
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=3,
        help="number of seeds (0, 1, ...). Default 3.",
    )
    parser.add_argument(
        "--folds",
        type=int,
        default=10,
        help="how many of the 10 CV folds of MR and SUBJ to run. Default 10.",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=10,
        help="maximum epochs (early stopping on the "
        "validation accuracy). Default 10.",
    )
    parser.add_argument("--patience", type=int, default=2)
    parser.add_argument(
        "--refit",
        action="store_true",
        help="where the validation data is held out of the training data "
        "(TREC, MR, SUBJ), train again on all of it for the number of "
        "epochs early stopping chose, and test that model",
    )
    parser.add_argument(
        "--max-train",
        type=int,
        default=None,
        help="use at most this many training examples "
        "(a seeded random subset). Default: all.",
    )
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--embedding-dim", type=int, default=128)
    parser.add_argument("--dropout", type=float, default=0.5)
    parser.add_argument(
        "--pooling",
        default="attention",
        choices=["attention", "last", "mean", "max"],
    )
    parser.add_argument("--bidirectional", action="store_true")
    parser.add_argument(
        "--window",
        type=int,
        default=None,
        help="local attention for `self_attention`: each position sees its "
        "WINDOW neighbours on each side. Default: the whole text.",
    )
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--max-tokens", type=int, default=20000)
    parser.add_argument(
        "--length-percentile",
        type=float,
        default=95,
        help="sequence length: this percentile of the training texts' "
        "lengths (SST-2 trains on phrases, most shorter than its test "
        "sentences)",
    )
    parser.add_argument(
        "--keep-case",
        action="store_true",
        help="do not lower-case the texts (Kim 2014 keeps the case of TREC)",
    )
    cli.add_text_feature_arguments(parser)
    parser.add_argument(
        "--ensemble-encoders",
        action="store_true",
        help="also score the average of the predicted probabilities of "
        "all seeds of all encoders",
    )
    parser.add_argument(
        "--naive-bayes",
        action="store_true",
        help="also fit naive Bayes over word 1-2-grams, alone and averaged "
        "with each encoder's probabilities",
    )
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the TF-IDF + logistic regression baseline",
    )
    parser.add_argument(
        "--cnn-baseline",
        action="store_true",
        help="also train Kim's (2014) CNN-rand, per seed, on the encoders' "
        "training and validation parts",
    )
    parser.add_argument("--data-dir", default=None)
    parser.add_argument(
        "--name",
        default="accuracy",
        help="report name (files <name>-<backend>.*)",
    )
    args = parser.parse_args(argv)
    for name in (
        "seeds",
        "folds",
        "epochs",
        "batch_size",
        "units",
        "embedding_dim",
    ):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.max_train is not None and args.max_train < 1:
        parser.error(
            f"--max-train must be at least 1 (leave it out for all). "
            f"Received: {args.max_train}"
        )
    if args.patience < 0:
        parser.error(
            f"--patience must be at least 0. Received: {args.patience}"
        )
    for error in cli.text_feature_errors(args):
        parser.error(error)
    if not 0 < args.length_percentile <= 100:
        parser.error("--length-percentile must be in (0, 100]")
    if args.folds > 10:
        parser.error("--folds must be at most 10")
    if args.window is not None and args.window < 1:
        parser.error(f"--window must be at least 1, got {args.window}")
    if args.ensemble_encoders and len(args.encoders) < 2:
        parser.error("--ensemble-encoders needs at least two --encoders")
    return args


def tasks(dataset, data_dir, folds):
    """Yields `(split_name, train, validation_or_None, test)` text splits."""
    datasets = keras_memattn.datasets
    if dataset == "sst2":
        data = datasets.load_sst2(data_dir)
        yield "test", data["train"], data["dev"], data["test"]
    elif dataset == "trec":
        data = datasets.load_trec(data_dir)
        yield "test", data["train"], None, data["test"]
    else:
        load = datasets.load_mr if dataset == "mr" else datasets.load_subj
        texts, labels = load(data_dir)
        splits = datasets.cross_validation_splits(labels, n_splits=10, seed=0)
        for k, (train_idx, test_idx) in enumerate(splits[:folds]):
            yield (
                f"fold{k}",
                ([texts[i] for i in train_idx], labels[train_idx]),
                None,
                ([texts[i] for i in test_idx], labels[test_idx]),
            )


def subsample(split, max_train, seed):
    texts, labels = split
    if max_train is None or len(texts) <= max_train:
        return list(texts), np.asarray(labels)
    idx = np.random.default_rng(seed).permutation(len(texts))[:max_train]
    return [texts[i] for i in idx], np.asarray(labels)[idx]


def hold_out(split, seed, fraction=0.1):
    """Stratified random hold-out for early stopping (Kim 2014: 10 %)."""
    from sklearn.model_selection import train_test_split

    texts, labels = split
    idx = np.arange(len(texts))
    train_idx, val_idx = train_test_split(
        idx, test_size=fraction, stratify=labels, random_state=seed
    )
    pick = lambda ids: ([texts[i] for i in ids], labels[ids])  # noqa: E731
    return pick(train_idx), pick(val_idx)


def tfidf_baseline(train, test):
    """Test probabilities of TF-IDF (word 1-2 grams) + logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
        LogisticRegression(C=10.0, max_iter=2000),
    )
    model.fit(train[0], train[1])
    return model.predict_proba(test[0])


def naive_bayes_probs(train, val, test, num_classes, args):
    """Test probabilities of `NaiveBayesNgrams` over word 1-2-grams.

    The words are those of the encoders' vectorizer (the same vocabulary
    size and case handling), over whole texts; bigrams are hashed into
    `NAIVE_BAYES_BUCKETS` buckets (the table is not trained, so its size
    costs only memory, and on MR fewer buckets measured worse). With
    `val`, the temperature is calibrated on it.
    """
    models = keras_memattn.models
    vectorizer = keras_memattn.datasets.TextVectorizer(
        max_tokens=args.max_tokens,
        length_percentile=100,
        lowercase=not args.keep_case,
    ).fit(train[0])
    vocab_size = vectorizer.vocabulary_size
    ngrams = models.HashedNgrams(vocab_size, NAIVE_BAYES_BUCKETS, max_n=2)

    def encode(texts):
        ids = vectorizer.encode(texts)
        return np.concatenate(
            [
                keras.ops.convert_to_numpy(ngrams(ids[i : i + 4096]))
                for i in range(0, len(ids), 4096)
            ]
        )

    layer = models.NaiveBayesNgrams(
        vocab_size + NAIVE_BAYES_BUCKETS, num_classes
    )
    layer.adapt(encode(train[0]), np.asarray(train[1]))
    if val is not None:
        layer.calibrate(encode(val[0]), np.asarray(val[1]))
    scores = layer(encode(test[0]))
    return np.asarray(keras.ops.convert_to_numpy(keras.ops.softmax(scores)))


def kim_cnn_probs(dataset, train, val, test, num_classes, seed, args):
    """Test probabilities of Kim's (2014) CNN-rand, and the epochs run.

    Kim's recipe, built from Keras layers: 300-dimensional word vectors
    drawn from U(-0.25, 0.25), convolutions of widths 3, 4 and 5 with 100
    ReLU filters each, max-pooling over time, dropout 0.5, a softmax layer
    whose weight vectors are held to an L2 norm of at most 3, Adadelta
    (rate 1.0, rho 0.95, epsilon 1e-6) on batches of 50, the case of the
    words kept on TREC only. It trains for up to 25 epochs and keeps the
    weights of the epoch with the best validation accuracy (patience 5).
    Words are those of the package's vectorizer (`max_tokens` words, texts
    cut at the 95th percentile of the training lengths), not Kim's
    tokenizer, and the padding is a token of its own.
    """
    layers = keras.layers
    keras.utils.set_random_seed(seed)
    vectorizer = keras_memattn.datasets.TextVectorizer(
        max_tokens=args.max_tokens, lowercase=dataset != "trec"
    ).fit(train[0])
    inputs = keras.Input((vectorizer.sequence_length,), dtype="int32")
    x = layers.Embedding(
        vectorizer.vocabulary_size,
        300,
        embeddings_initializer=keras.initializers.RandomUniform(-0.25, 0.25),
    )(inputs)
    pooled = [
        layers.GlobalMaxPooling1D()(
            layers.Conv1D(100, width, padding="same", activation="relu")(x)
        )
        for width in (3, 4, 5)
    ]
    x = layers.Dropout(0.5)(layers.Concatenate()(pooled))
    outputs = layers.Dense(
        num_classes,
        activation="softmax",
        kernel_constraint=keras.constraints.MaxNorm(3.0, axis=0),
    )(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adadelta(1.0, rho=0.95, epsilon=1e-6),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(
        vectorizer.encode(train[0]),
        np.asarray(train[1]),
        validation_data=(vectorizer.encode(val[0]), np.asarray(val[1])),
        epochs=25,
        batch_size=50,
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor="val_accuracy", patience=5, restore_best_weights=True
            )
        ],
        verbose=0,
    )
    probs = model.predict(vectorizer.encode(test[0]), batch_size=256, verbose=0)
    return np.asarray(probs), len(history.history["loss"])


def train_encoder(
    encoder, train, val, test, num_classes, seed, args, refit_on=None
):
    """Trains one model; returns test probabilities and the epochs run.

    With `refit_on` (the training data before the validation hold-out),
    a second model, with the same seed, is trained on all of it for the
    number of epochs that early stopping chose, and its probabilities are
    returned instead.
    """
    probs, epochs, best = _fit(
        encoder, train, val, test, num_classes, seed, args
    )
    if refit_on is None:
        return probs, epochs
    probs, _, _ = _fit(
        encoder, refit_on, None, test, num_classes, seed, args, epochs=best
    )
    return probs, epochs


def _fit(encoder, train, val, test, num_classes, seed, args, epochs=None):
    """One model: early stopping on `val`, or `epochs` epochs without it.

    Returns `(test probabilities, epochs run, best epoch count)`.
    """
    keras.utils.set_random_seed(seed)
    vectorizer = keras_memattn.datasets.TextVectorizer(
        max_tokens=args.max_tokens,
        length_percentile=args.length_percentile,
        lowercase=not args.keep_case,
        subword_ngrams=args.subword_ngrams,
        subword_buckets=args.subword_buckets,
        max_subwords=args.max_subwords,
    ).fit(train[0])
    x_train = vectorizer.encode(train[0])
    x_test = vectorizer.encode(test[0])
    model = keras_memattn.models.text_classifier(
        encoder=encoder,
        vocab_size=vectorizer.vocabulary_size,
        num_classes=num_classes,
        embedding_dim=args.embedding_dim,
        units=args.units,
        bidirectional=args.bidirectional and encoder != "self_attention",
        pooling=args.pooling,
        dropout=args.dropout,
        sequence_length=vectorizer.sequence_length,
        subword_buckets=(
            vectorizer.subword_buckets if args.subword_ngrams else None
        ),
        wide_ngrams=args.wide_ngrams,
        wide_buckets=args.wide_buckets,
        encoder_kwargs=(
            {"window": args.window}
            if args.window and encoder == "self_attention"
            else None
        ),
    )
    model.compile(
        optimizer=keras.optimizers.Adam(args.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    if val is None:
        history = model.fit(
            x_train,
            np.asarray(train[1]),
            epochs=epochs,
            batch_size=args.batch_size,
            verbose=0,
        )
        best = epochs
    else:
        stop = keras.callbacks.EarlyStopping(
            monitor="val_accuracy",
            patience=args.patience,
            restore_best_weights=True,
        )
        history = model.fit(
            x_train,
            np.asarray(train[1]),
            validation_data=(vectorizer.encode(val[0]), np.asarray(val[1])),
            epochs=args.epochs,
            batch_size=args.batch_size,
            callbacks=[stop],
            verbose=0,
        )
        accuracy = history.history["val_accuracy"]
        best = int(np.argmax(accuracy)) + 1
    probs = model.predict(x_test, batch_size=256, verbose=0)
    return np.asarray(probs), len(history.history["loss"]), best


def run(args):
    results = {}  # (dataset, model) -> {"seed_acc": [...], "ensemble": x}
    for dataset in args.datasets:
        per_model = {}
        for split_name, train, val, test in tasks(
            dataset, args.data_dir, args.folds
        ):
            labels_test = np.asarray(test[1])
            num_classes = int(max(np.max(train[1]), np.max(labels_test))) + 1
            if not args.no_baseline:
                start = time.perf_counter()
                probs = tfidf_baseline(train, test)
                acc = float(np.mean(probs.argmax(-1) == labels_test))
                entry = per_model.setdefault(TFIDF, _new_entry())
                entry["splits"].append(
                    {"split": split_name, "seed_acc": [acc], "ensemble": acc}
                )
                entry["seconds"] += time.perf_counter() - start
                print(f"{dataset} {split_name} {TFIDF}: {acc:.4f}", flush=True)
            if args.naive_bayes:
                start = time.perf_counter()
                probs = naive_bayes_probs(train, None, test, num_classes, args)
                acc = float(np.mean(probs.argmax(-1) == labels_test))
                entry = per_model.setdefault(NAIVE_BAYES, _new_entry())
                entry["splits"].append(
                    {"split": split_name, "seed_acc": [acc], "ensemble": acc}
                )
                entry["seconds"] += time.perf_counter() - start
                print(
                    f"{dataset} {split_name} {NAIVE_BAYES}: {acc:.4f}",
                    flush=True,
                )
            all_probs = []
            # Naive Bayes depends only on the training part: one fit per
            # seed, or one in all where the part does not change with it.
            nb_fits = {}
            cnn = [KIM_CNN] if args.cnn_baseline else []
            for encoder in [*cnn, *args.encoders]:
                baseline = encoder == KIM_CNN
                entry = per_model.setdefault(encoder, _new_entry())
                if args.naive_bayes and not baseline:
                    per_model.setdefault(
                        encoder + WITH_NAIVE_BAYES, _new_entry()
                    )
                seed_acc, seed_probs, epochs = [], [], []
                nb_acc, nb_probs = [], []
                start = time.perf_counter()
                for seed in range(args.seeds):
                    part = subsample(train, args.max_train, seed)
                    refit_on = None
                    if val is None:
                        if args.refit:
                            refit_on = part
                        part, val_part = hold_out(part, seed)
                    else:
                        val_part = val
                    data = (part, val_part, test, num_classes, seed, args)
                    if baseline:
                        probs, ran = kim_cnn_probs(dataset, *data)
                    else:
                        probs, ran = train_encoder(
                            encoder, *data, refit_on=refit_on
                        )
                    acc = float(np.mean(probs.argmax(-1) == labels_test))
                    seed_acc.append(acc)
                    seed_probs.append(probs)
                    epochs.append(ran)
                    print(
                        f"{dataset} {split_name} {encoder} seed {seed}: "
                        f"{acc:.4f} ({ran} epochs)",
                        flush=True,
                    )
                    if args.naive_bayes and not baseline:
                        key = seed if val is None or args.max_train else 0
                        if key not in nb_fits:
                            nb_fits[key] = naive_bayes_probs(
                                part, val_part, test, num_classes, args
                            )
                        nb = nb_fits[key]
                        nb_probs.append(nb)
                        nb_acc.append(
                            float(
                                np.mean((probs + nb).argmax(-1) == labels_test)
                            )
                        )
                        print(
                            f"{dataset} {split_name} {encoder}"
                            f"{WITH_NAIVE_BAYES} seed {seed}: "
                            f"{nb_acc[-1]:.4f}",
                            flush=True,
                        )
                ensemble = float(
                    np.mean(np.mean(seed_probs, 0).argmax(-1) == labels_test)
                )
                if not baseline:
                    all_probs += seed_probs
                entry["splits"].append(
                    {
                        "split": split_name,
                        "seed_acc": seed_acc,
                        "ensemble": ensemble,
                        "epochs": epochs,
                    }
                )
                entry["seconds"] += time.perf_counter() - start
                if args.naive_bayes and not baseline:
                    both = np.mean(seed_probs, 0) + np.mean(nb_probs, 0)
                    per_model[encoder + WITH_NAIVE_BAYES]["splits"].append(
                        {
                            "split": split_name,
                            "seed_acc": nb_acc,
                            "ensemble": float(
                                np.mean(both.argmax(-1) == labels_test)
                            ),
                        }
                    )
            if args.ensemble_encoders:
                acc = float(
                    np.mean(np.mean(all_probs, 0).argmax(-1) == labels_test)
                )
                entry = per_model.setdefault(ENCODER_ENSEMBLE, _new_entry())
                entry["splits"].append(
                    {"split": split_name, "seed_acc": [acc], "ensemble": acc}
                )
                print(
                    f"{dataset} {split_name} ensemble of all encoders: "
                    f"{acc:.4f}",
                    flush=True,
                )
        results[dataset] = per_model
    return results


def _new_entry():
    return {"splits": [], "seconds": 0.0}


def summarize(entry):
    """Mean and std over seeds of the (fold-averaged) accuracy, in %."""
    per_seed = np.mean([s["seed_acc"] for s in entry["splits"]], axis=0)
    ensemble = np.mean([s["ensemble"] for s in entry["splits"]])
    return (
        100 * float(np.mean(per_seed)),
        100 * float(np.std(per_seed)),
        100 * float(ensemble),
    )


def _cell(mean, std, runs):
    return f"{mean:.1f} ± {std:.1f}" if runs > 1 else f"{mean:.1f}"


def report(results, args, command):
    datasets = [d for d in DATASETS if d in results]
    models = []
    for per_model in results.values():
        models += [m for m in per_model if m not in models]
    rows, raw = [], []
    best, best_nb = {}, {}
    for model in models:
        label = model
        if model == TFIDF:
            label = "TF-IDF + LogReg"
        elif model == ENCODER_ENSEMBLE:
            label = (
                f"ensemble: {len(args.encoders)} encoders x "
                f"{args.seeds} seed(s)"
            )
        elif model in KERAS_BASELINES:
            label = f"{model} (Keras baseline)"
        elif model == KIM_CNN:
            label = "CNN-rand, Kim's recipe (same run)"
        elif model == NAIVE_BAYES:
            label = "naive Bayes, word 1-2-grams (NaiveBayesNgrams)"
        elif model.endswith(WITH_NAIVE_BAYES):
            label = model.replace(WITH_NAIVE_BAYES, " + naive Bayes")
        row = {"model": label}
        ens = {"model": f"{label} (ensemble of {args.seeds} seeds)"}
        for d in datasets:
            entry = results[d].get(model)
            if entry is None:
                continue
            mean, std, ensemble = summarize(entry)
            runs = len(entry["splits"][0]["seed_acc"])
            row[d] = _cell(mean, std, runs)
            ens[d] = f"{ensemble:.1f}"
            raw.append(
                {
                    "dataset": d,
                    "model": model,
                    "mean": mean,
                    "std": std,
                    "ensemble": ensemble,
                    "seconds": entry["seconds"],
                    "splits": entry["splits"],
                }
            )
            if model not in (
                TFIDF,
                ENCODER_ENSEMBLE,
                NAIVE_BAYES,
                KIM_CNN,
                *KERAS_BASELINES,
            ):
                top = max(mean, ensemble)
                chosen = best_nb if model.endswith(WITH_NAIVE_BAYES) else best
                if top > chosen.get(d, (-1, None))[0]:
                    chosen[d] = (top, model)
        rows.append(row)
        if (
            model not in (TFIDF, ENCODER_ENSEMBLE, NAIVE_BAYES)
            and args.seeds > 1
        ):
            rows.append(ens)
    rows.append(
        {
            "model": "Kim (2014) CNN-rand",
            **{d: f"{CNN_RAND[d]:.1f}" for d in datasets},
        }
    )
    rows.append(
        {
            "model": "Kim (2014) CNN-static (word2vec)",
            **{d: f"{CNN_STATIC[d]:.1f}" for d in datasets},
        }
    )
    columns = [("model", "model", None)] + [
        (
            d,
            NAMES[d]
            + (
                " (test)"
                if d in ("sst2", "trec")
                else f" ({args.folds}-fold CV)"
                if args.folds > 1
                else " (CV fold 1 of 10)"
            ),
            None,
        )
        for d in datasets
    ]
    notes = [_targets(results, best, datasets)]
    if best_nb:
        notes.append(
            _targets(
                results,
                best_nb,
                datasets,
                "Targets with the naive Bayes member (best encoder + naive "
                "Bayes, mean or ensemble):",
            )
        )
    notes.append(
        f"Settings: {args.epochs} epochs at most (early stopping on "
        f"validation accuracy, patience {args.patience}"
        f"{_refit_note(args)}), "
        f"{args.seeds} seed(s), "
        f"max {args.max_train or 'all'} training examples, "
        f"units {args.units}, embedding {args.embedding_dim}, "
        f"dropout {args.dropout}, pooling {args.pooling}"
        f"{', bidirectional' if args.bidirectional else ''}, batch "
        f"{args.batch_size}, Adam {args.learning_rate}"
        f"{_features(args)}; random embeddings."
    )
    if args.cnn_baseline:
        notes.append(
            "CNN-rand (same run): Kim's recipe (300-dimensional word vectors, "
            "filter widths 3, 4, 5 x 100, max-pooling, dropout 0.5, max-norm "
            "3, Adadelta, batch 50, up to 25 epochs keeping the best on "
            "validation, case kept on TREC only), trained per seed on the "
            "same training and validation parts as the encoders, never "
            "refit; see `kim_cnn_probs` in the script."
        )
    return common.write_report(
        args.name,
        rows,
        columns,
        title="Test accuracy (%)",
        notes=notes,
        command=command,
    ), raw


def _refit_note(args):
    if not args.refit:
        return ""
    return (
        "; with --refit the tested model is trained again on the held-out "
        "validation data too, for the chosen number of epochs"
    )


def _features(args):
    parts = []
    if args.window:
        parts.append(f"self-attention window {args.window}")
    if args.keep_case:
        parts.append("case kept")
    if args.subword_ngrams:
        low, high = args.subword_ngrams
        parts.append(
            f"character {low}-{high}-gram subwords ({args.subword_buckets} "
            f"buckets, at most {args.max_subwords} per word)"
        )
    if args.wide_ngrams:
        parts.append(
            f"wide bag of word 1-{args.wide_ngrams}-grams "
            f"({args.wide_buckets} buckets)"
        )
    return "".join(f", {p}" for p in parts)


def _targets(
    results,
    best,
    datasets,
    title="Targets (best package encoder, mean or ensemble):",
):
    lines = [title, ""]
    static_met = 0
    for d in datasets:
        if d not in best:
            continue
        top, model = best[d]
        tfidf = results[d].get(TFIDF)
        tfidf_acc = summarize(tfidf)[0] if tfidf else None
        beats_rand = top > CNN_RAND[d]
        beats_tfidf = tfidf_acc is None or top > tfidf_acc
        reaches_static = top >= CNN_STATIC[d]
        static_met += reaches_static
        line = (
            f"- {NAMES[d]}: best {top:.1f} ({model}); "
            f"beats CNN-rand {CNN_RAND[d]:.1f}: "
            f"{'yes' if beats_rand else 'no'}; beats TF-IDF "
            f"{'–' if tfidf_acc is None else f'{tfidf_acc:.1f}'}: "
            f"{'yes' if beats_tfidf else 'no'}; reaches CNN-static "
            f"{CNN_STATIC[d]:.1f}: {'yes' if reaches_static else 'no'}"
        )
        if KIM_CNN in results[d]:
            cnn_mean, _, cnn_ensemble = summarize(results[d][KIM_CNN])
            cnn_top = max(cnn_mean, cnn_ensemble)
            line += (
                f" (same-run CNN-rand, mean or ensemble: {cnn_top:.1f}; "
                f"beaten: {'yes' if top > cnn_top else 'no'})"
            )
        lines.append(line)
    lines += [
        "",
        f"CNN-static reached on {static_met} of {len(best)} "
        "datasets (target: at least 2 of 4).",
    ]
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    command = "KERAS_BACKEND={} python benchmarks/accuracy.py {}".format(
        keras.backend.backend(),
        " ".join(sys.argv[1:] if argv is None else argv),
    ).strip()
    start = time.perf_counter()
    results = run(args)
    (json_path, md_path), raw = report(results, args, command)
    with open(json_path) as f:
        stored = json.load(f)
    stored["runs"] = raw
    with open(json_path, "w") as f:
        json.dump(stored, f, indent=2)
    print(f"Done in {time.perf_counter() - start:.0f} s; wrote {md_path}")
    with open(md_path) as f:
        print(f.read())


if __name__ == "__main__":
    main()

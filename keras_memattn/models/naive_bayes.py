"""A naive Bayes bag-of-n-grams classifier as a Keras layer."""

import keras
import numpy as np
from keras import ops

from keras_memattn import _validation
from keras_memattn.models.text_classifier import HashedNgrams
from keras_memattn.models.text_classifier import get_vectorizer


@keras.saving.register_keras_serializable(package="keras_memattn")
class NaiveBayesNgrams(keras.layers.Layer):
    """Class scores of multinomial naive Bayes over binarized n-gram ids.

    The "MNB" classifier of Wang and Manning (2012), a strong baseline on
    short sentiment and subjectivity texts, as a layer whose statistics are
    computed from data with `adapt`, like Keras' preprocessing layers. For a
    sequence of n-gram ids (for example the output of `HashedNgrams`) it
    returns, for each class `c`,

    ```
    score_c = (log prior_c + sum_{i in set(ids), i != 0} log theta_{c,i}) / T
    ```

    where each distinct id counts once (binarized counts), id 0 is
    padding, and `adapt(ids, labels)` sets, from `N_{c,i}`, the number of
    training texts of class `c` that contain id `i`, and `n_c`, the number
    of training texts of class `c`,

    ```
    theta_{c,i} = (N_{c,i} + alpha) / (sum_j N_{c,j} + alpha * (input_dim - 1))
    prior_c = (n_c + alpha) / (n + alpha * num_classes)
    ```

    (Laplace smoothing over the `input_dim - 1` non-padding ids; the prior
    is smoothed too, so a class absent from the data keeps a finite score).
    `softmax(scores)` are the naive Bayes class probabilities. They are
    notoriously over-confident; the temperature `T` (1 after `adapt`) can be
    fitted on held-out data with `calibrate`, which changes the
    probabilities but never the predicted class. Calibrated probabilities
    can be averaged with a neural classifier's, an ensemble that Mesnil et
    al. (2014) found to beat either member on sentiment data.

    All statistics are non-trainable weights, so they are saved with the
    model and the layer can sit inside a `keras.Model` (ids in, scores out).
    The scores are computed and returned in float32 under every dtype
    policy: summed log-probabilities of dozens of n-grams lose too much
    precision in float16. Repeated ids are found by comparing every pair
    of positions (plain ops, so the layer runs on every backend and
    converts to builtin TF-Lite ops): `batch * length**2` booleans, which
    is small for sentences and grows for long documents.

    Args:
        input_dim: number of ids, the largest id plus one (for
            `HashedNgrams(vocab_size, num_buckets)`, `vocab_size +
            num_buckets`).
        num_classes: number of classes, at least 2.
        alpha: additive (Laplace) smoothing, a positive number. Defaults
            to 1.0.
        **kwargs: base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: int tensor of ids `(batch, length)`, each in
            `0 .. input_dim - 1`; 0 is padding. Concrete ids outside that
            range raise a `ValueError` (traced ones cannot be checked).

    Returns:
        float32 tensor `(batch, num_classes)` of class scores (logits).

    Example:

    ```python
    ngrams = keras_memattn.models.HashedNgrams(vocab_size, 100000)
    nb = keras_memattn.models.NaiveBayesNgrams(vocab_size + 100000, 2)
    nb.adapt(ngrams(x_train), y_train)
    nb.calibrate(ngrams(x_val), y_val)
    probs = keras.ops.softmax(nb(ngrams(x_test)))
    ```

    References:
        Wang and Manning, 2012, "Baselines and Bigrams: Simple, Good
        Sentiment and Topic Classification",
        https://aclanthology.org/P12-2018/.
        Mesnil et al., 2014, "Ensemble of Generative and Discriminative
        Techniques for Sentiment Analysis of Movie Reviews",
        https://arxiv.org/abs/1412.5335.
    """

    def __init__(self, input_dim, num_classes, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        owner = "NaiveBayesNgrams"
        self.input_dim = _validation.positive_int("input_dim", input_dim, owner)
        self.num_classes = _validation.positive_int(
            "num_classes", num_classes, owner
        )
        if self.num_classes < 2:
            raise ValueError(
                f"{owner}: `num_classes` must be at least 2. "
                f"Received: num_classes={num_classes!r}"
            )
        if self.input_dim < 2:
            raise ValueError(
                f"{owner}: `input_dim` must be at least 2 (id 0 is "
                f"padding). Received: input_dim={input_dim!r}"
            )
        self.alpha = _validation.positive_float("alpha", alpha, owner)

    def build(self, input_shape=None):
        if input_shape is not None:
            _validation.input_rank("inputs", input_shape, 2, "NaiveBayesNgrams")

        def weight(name, shape, initializer):
            return self.add_weight(
                name=name,
                shape=shape,
                initializer=initializer,
                dtype="float32",
                trainable=False,
                autocast=False,
            )

        self.class_log_probs = weight(
            "class_log_probs", (self.input_dim, self.num_classes), "zeros"
        )
        self.class_log_prior = weight(
            "class_log_prior", (self.num_classes,), "zeros"
        )
        self.temperature = weight("temperature", (), "ones")
        self.built = True

    def call(self, inputs):
        _validation.input_rank("inputs", inputs.shape, 2, "NaiveBayesNgrams")
        self._check_ids(inputs)
        ids = ops.cast(inputs, "int32")
        positions = ops.arange(ops.shape(ids)[1])
        earlier = ops.expand_dims(positions, 0) < ops.expand_dims(positions, 1)
        repeated = ops.any(
            ops.logical_and(
                ops.equal(ops.expand_dims(ids, 2), ops.expand_dims(ids, 1)),
                ops.expand_dims(earlier, 0),
            ),
            axis=-1,
        )
        first = ops.logical_and(ids > 0, ops.logical_not(repeated))
        log_probs = ops.take(self.class_log_probs, ids, axis=0)
        log_probs = ops.where(
            ops.expand_dims(first, -1), log_probs, ops.zeros_like(log_probs)
        )
        scores = ops.sum(log_probs, axis=1) + self.class_log_prior
        return scores / self.temperature

    def _check_ids(self, inputs):
        _validation.id_range(
            "inputs", inputs, self.input_dim, "input_dim", "NaiveBayesNgrams"
        )

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_classes)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(
            self.compute_output_shape(inputs.shape), dtype="float32"
        )

    def adapt(self, ids, labels):
        """Sets the class statistics from training ids and labels.

        Replaces any earlier statistics and resets the temperature to 1.

        Args:
            ids: int array-like `(num_texts, length)` of ids in
                `0 .. input_dim - 1` (0 is padding), or a tensor.
            labels: int array-like `(num_texts,)` of classes in
                `0 .. num_classes - 1`.

        Returns:
            The layer.
        """
        ids, labels = self._check_data(ids, labels, "adapt")
        if not self.built:
            self.build()
        # Distinct ids per text: sort each row, keep the first of each run.
        ids = np.sort(ids, axis=1)
        keep = ids > 0
        keep[:, 1:] &= ids[:, 1:] != ids[:, :-1]
        rows = np.broadcast_to(labels[:, None], ids.shape)[keep]
        counts = np.bincount(
            ids[keep] * self.num_classes + rows,
            minlength=self.input_dim * self.num_classes,
        ).reshape(self.input_dim, self.num_classes)
        counts = counts.astype("float64")
        counts[0] = 0.0
        smoothed = counts[1:] + self.alpha
        log_probs = np.zeros((self.input_dim, self.num_classes))
        log_probs[1:] = np.log(smoothed) - np.log(smoothed.sum(axis=0))
        class_counts = np.bincount(labels, minlength=self.num_classes)
        prior = np.log(class_counts + self.alpha) - np.log(
            len(labels) + self.alpha * self.num_classes
        )
        self.class_log_probs.assign(log_probs.astype("float32"))
        self.class_log_prior.assign(prior.astype("float32"))
        self.temperature.assign(1.0)
        return self

    def calibrate(self, ids, labels, batch_size=None):
        """Fits the temperature to held-out data; returns it.

        Chooses the temperature `T` in `[0.01, 1e4]` that minimizes the
        cross-entropy of `softmax(scores)` on `(ids, labels)` (a search
        over a logarithmic grid refined around its best point). Call it
        after `adapt`, with data that `adapt` did not see.

        Args:
            ids: int array-like `(num_texts, length)`, as for `adapt`.
            labels: int array-like `(num_texts,)`.
            batch_size: texts scored at a time. By default as many as
                keep the pairwise comparison of a batch (`batch *
                length**2`) within about 16 million, and at most 1,024.

        Returns:
            The fitted temperature, a float.
        """
        ids, labels = self._check_data(ids, labels, "calibrate")
        if batch_size is None:
            length = max(int(ids.shape[1]), 1)
            batch_size = min(1024, max(1, 2**24 // length**2))
        batch_size = _validation.positive_int(
            "batch_size", batch_size, "NaiveBayesNgrams.calibrate"
        )
        if not self.built:
            self.build()
        self.temperature.assign(1.0)
        scores = np.concatenate(
            [
                ops.convert_to_numpy(self(ids[i : i + batch_size]))
                for i in range(0, len(ids), batch_size)
            ]
        ).astype("float64")
        rows = np.arange(len(labels))

        def loss(log_t):
            z = scores / np.exp(log_t)
            z = z - z.max(axis=1, keepdims=True)
            log_norm = np.log(np.exp(z).sum(axis=1))
            return float(np.mean(log_norm - z[rows, labels]))

        low, high = np.log(0.01), np.log(1e4)
        grid = np.linspace(low, high, 141)
        for _ in range(3):
            best = grid[int(np.argmin([loss(g) for g in grid]))]
            step = grid[1] - grid[0]
            grid = np.linspace(
                max(best - step, low), min(best + step, high), 41
            )
        temperature = float(np.clip(np.exp(best), 0.01, 1e4))
        self.temperature.assign(temperature)
        return temperature

    def _check_data(self, ids, labels, method):
        owner = f"NaiveBayesNgrams.{method}"
        ids = np.asarray(ops.convert_to_numpy(ids))
        labels = np.asarray(ops.convert_to_numpy(labels))
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        _validation.input_rank("ids", ids.shape, 2, owner)
        _validation.input_rank("labels", labels.shape, 1, owner)
        if len(ids) != len(labels) or len(ids) == 0:
            raise ValueError(
                f"{owner}: `ids` and `labels` must hold the same, non-zero "
                f"number of texts. Received: ids.shape={ids.shape}, "
                f"labels.shape={labels.shape}"
            )
        for name, values, high in (
            ("ids", ids, self.input_dim),
            ("labels", labels, self.num_classes),
        ):
            if not np.issubdtype(values.dtype, np.integer):
                raise ValueError(
                    f"{owner}: `{name}` must be integers. "
                    f"Received: {name}.dtype={values.dtype}"
                )
            # Texts of no ids (length 0) have no range to check.
            if values.size and (values.min() < 0 or values.max() >= high):
                raise ValueError(
                    f"{owner}: `{name}` must lie in 0 .. {high - 1}. "
                    f"Received: {name} from {values.min()} to "
                    f"{values.max()}"
                )
        return ids.astype("int64"), labels.astype("int64")

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "input_dim": self.input_dim,
                "num_classes": self.num_classes,
                "alpha": self.alpha,
            }
        )
        return config


def add_naive_bayes(
    model,
    x,
    y,
    validation_data=None,
    vocab_size=None,
    num_buckets=1_000_000,
    max_n=2,
    alpha=1.0,
    batch_size=4096,
):
    """A trained classifier averaged with naive Bayes over its word n-grams.

    Fits `NaiveBayesNgrams` over the word 1- to `max_n`-grams of the
    model's own inputs (`HashedNgrams`), calibrates its temperature on
    `validation_data` when given, and returns a new `keras.Model` with the
    same input whose output is the average of the model's class
    probabilities and the naive Bayes ones: the ensemble of a neural and a
    naive Bayes classifier of Mesnil et al. (2014). The model itself is
    used as it is (it is not trained again), and the naive Bayes statistics
    are weights of the new model, so it saves to one `.keras` file, and
    `get_vectorizer` / `get_class_names` find what `text_classifier`
    stored in the model.

    Args:
        model: a trained `keras.Model` with one int input of word ids
            `(batch, time)` (or the `(batch, time, 1 + subwords)` ids of a
            subword vectorizer) and one output of class probabilities, such
            as a `text_classifier`.
        x: the training ids, as the model takes them.
        y: int training labels `(num_texts,)`.
        validation_data: optional `(ids, labels)` held out of `x`, on which
            the naive Bayes temperature is fitted. Without it the
            temperature stays 1, and the over-confident naive Bayes
            probabilities dominate the average.
        vocab_size: number of word ids. Defaults to the vocabulary size of
            the model's vectorizer (`get_vectorizer(model)`).
        num_buckets: hash buckets for the n-grams of order 2 and up.
            The table is not trained, so a large one costs only memory
            and file size: `(vocab_size + num_buckets) * num_classes`
            float32 numbers, 8 MB for two classes at the default; pass
            fewer for a smaller `.keras` or TF-Lite file (on three folds of
            MR, naive Bayes alone lost 0.4 to 0.8 points with 100,000).
            Defaults to 1,000,000.
        max_n: longest word n-gram. Defaults to 2.
        alpha: additive smoothing of naive Bayes. Defaults to 1.0.
        batch_size: texts hashed at a time while fitting.

    Returns:
        A `keras.Model` from the same input to the averaged probabilities.

    Example:

    ```python
    model = keras_memattn.models.text_classifier(
        encoder="attention_gru", vectorizer=vectorizer
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x_train, y_train, validation_data=(x_val, y_val))
    combined = keras_memattn.models.add_naive_bayes(
        model, x_train, y_train, validation_data=(x_val, y_val)
    )
    probabilities = combined.predict(x_test)
    ```
    """
    owner = "add_naive_bayes"
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(
            f"{owner}: `model` must have one input and one output. "
            f"Received: a model with {len(model.inputs)} inputs and "
            f"{len(model.outputs)} outputs"
        )
    if vocab_size is None:
        vectorizer = get_vectorizer(model)
        if vectorizer is None:
            raise ValueError(
                f"{owner}: the model holds no vectorizer to take the "
                "vocabulary size from; pass `vocab_size`. "
                "Received: vocab_size=None"
            )
        vocab_size = vectorizer.vocabulary_size
    vocab_size = _validation.positive_int("vocab_size", vocab_size, owner)
    num_buckets = _validation.positive_int("num_buckets", num_buckets, owner)
    batch_size = _validation.positive_int("batch_size", batch_size, owner)
    num_classes = model.outputs[0].shape[-1]
    ngrams = HashedNgrams(
        vocab_size, num_buckets, max_n, name="naive_bayes_ngrams"
    )
    naive_bayes = NaiveBayesNgrams(
        vocab_size + num_buckets, num_classes, alpha, name="naive_bayes"
    )

    def hashed(ids, name):
        ids = np.asarray(ops.convert_to_numpy(ids))
        if ids.dtype.kind not in "iuf":
            # Raw texts, say: the model takes their ids.
            raise ValueError(
                f"{owner}: `{name}` must hold the token ids that the model "
                "takes; encode texts with `get_vectorizer(model)(texts)`. "
                f"Received: {name} of dtype {ids.dtype}"
            )
        if ids.ndim not in (2, 3) or not len(ids):
            # An empty array used to fail in `np.concatenate`, and ids of
            # another rank inside `HashedNgrams`.
            raise ValueError(
                f"{owner}: `{name}` must hold the ids of at least one text, "
                "`(num_texts, time)` or `(num_texts, time, 1 + subwords)`. "
                f"Received: {name} of shape {ids.shape}"
            )
        words = ids[..., 0] if ids.ndim == 3 else ids
        if words.size and words.max() >= vocab_size:
            # Larger ids would land among the hashed n-gram features.
            raise ValueError(
                f"{owner}: the word ids of `{name}` must be below "
                f"`vocab_size`. Received: vocab_size={vocab_size}, largest "
                f"id {int(words.max())}"
            )
        return np.concatenate(
            [
                ops.convert_to_numpy(ngrams(ids[i : i + batch_size]))
                for i in range(0, len(ids), batch_size)
            ]
        )

    if validation_data is not None and (
        not isinstance(validation_data, (tuple, list))
        or len(validation_data) != 2
    ):
        raise ValueError(
            f"{owner}: `validation_data` must be a pair (ids, labels). "
            f"Received: validation_data of type "
            f"{type(validation_data).__name__}"
            + (
                f" with {len(validation_data)} items"
                if isinstance(validation_data, (tuple, list))
                else ""
            )
        )
    naive_bayes.adapt(hashed(x, "x"), y)
    if validation_data is not None:
        naive_bayes.calibrate(
            hashed(validation_data[0], "validation_data"), validation_data[1]
        )
    model_input = model.inputs[0]
    inputs = keras.Input(
        model_input.shape[1:], dtype=model_input.dtype, name="token_ids"
    )
    scores = naive_bayes(ngrams(inputs))
    naive_bayes_probabilities = keras.layers.Softmax(
        dtype="float32", name="naive_bayes_probabilities"
    )(scores)
    outputs = keras.layers.Average(dtype="float32", name="ensemble")(
        [model(inputs), naive_bayes_probabilities]
    )
    return keras.Model(inputs, outputs, name=f"{model.name}_naive_bayes")

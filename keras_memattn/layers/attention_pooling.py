"""Attention pooling: one vector per sequence from a sequence of features."""

import math

import keras
from keras import ops

from keras_memattn import _initializers
from keras_memattn import _validation
from keras_memattn.ops.masking import masked_softmax

__all__ = ["AttentionPooling"]

SCORES = ("additive", "dot")


@keras.saving.register_keras_serializable(package="keras_memattn")
class AttentionPooling(keras.layers.Layer):
    r"""Attention over the time axis that returns one vector per sequence.

    The many-to-one attention used on top of recurrent encoders in
    sentiment and text classification models (Kardakis et al., 2021): each
    step $h_t$ of the input `(batch, time, features)` gets a score, the
    scores are normalised over the unpadded steps, and the steps are
    averaged with those weights. For head $j$ (of `num_heads`):

    $$
    e_{t,j} = \begin{cases}
        v_j^\top \tanh(W h_t + b) & \text{score="additive"}\\
        q_j^\top h_t / \sqrt{d} & \text{score="dot"}
    \end{cases}
    \qquad
    a_{t,j} = \frac{\exp e_{t,j}}{\sum_{s\,\text{unpadded}} \exp e_{s,j}},
    \qquad
    s_j = \sum_t a_{t,j}\, h_t,
    $$

    with $W \in \mathbb{R}^{d \times u}$ (`kernel`), $b$ (`bias`), and the
    score vectors $v_j \in \mathbb{R}^u$ or learned query vectors
    $q_j \in \mathbb{R}^d$ stacked as the columns of `score_kernel`; $d$ is
    the feature size and $u$ is `units`. The output is the concatenation
    $[s_1, \dots, s_h]$: one weighted average of the full feature vector per
    head (as in the multi-hop "structured self-attentive" sentence
    embedding), so its size is `num_heads * features`. Scores, softmax and
    the weighted average run in float32 (float64 under a float64 policy,
    except for the matrix products on PyTorch, which Keras' matmul computes
    in float32); outputs are in the compute dtype.

    Masking: the layer consumes the Keras mask of its input (its output has
    no time axis and carries no mask). Padded steps get exactly zero
    weight and the weights of the other steps sum to one, so the values at
    padded steps, even infinite or NaN ones, never change the output. A
    sequence whose steps are all padded gets all-zero weights and a zero
    output vector.

    Args:
        units: size of the hidden layer of the additive score. Defaults to
            the input feature size. Only used with `score="additive"`.
        score: `"additive"` (Bahdanau-style: a one-hidden-layer network per
            step) or `"dot"` (a learned query vector per head, scaled by
            $1/\sqrt{d}$). Defaults to `"additive"`.
        num_heads: number of independent weightings of the steps; the
            pooled vectors are concatenated. Defaults to `1`.
        use_bias: whether the additive score has the bias $b$. Defaults to
            `True`.
        kernel_initializer: initializer of `kernel` and `score_kernel`.
            Defaults to `"glorot_uniform"`.
        bias_initializer: initializer of `bias`. Defaults to `"zeros"`.
        kernel_regularizer: regularizer of `kernel` and `score_kernel`.
            Defaults to `None`.
        bias_regularizer: regularizer of `bias`. Defaults to `None`.
        activity_regularizer: regularizer of the pooled output (not of the
            weights that `return_attention_scores` adds). Defaults to
            `None`.
        kernel_constraint: constraint on `kernel` and `score_kernel`.
            Defaults to `None`.
        bias_constraint: constraint on `bias`. Defaults to `None`.
        **kwargs: base layer arguments such as `name` and `dtype`.

    Call arguments:
        inputs: a float tensor of shape `(batch, time, features)`, e.g. the
            sequence output of a recurrent layer.
        mask: a boolean tensor of shape `(batch, time)`, True at unpadded
            steps; normally set by Keras from the input.
        return_attention_scores: if True, also return the weights.
            Defaults to `False`.

    Returns:
        The pooled tensor, of shape `(batch, num_heads * features)`; with
        `return_attention_scores=True`, the tuple `(pooled, weights)` where
        `weights` has shape `(batch, num_heads, time)`.

    Example:

    >>> import numpy as np
    >>> import keras
    >>> import keras_memattn
    >>> ids = np.array([[5, 2, 9, 0, 0], [3, 3, 1, 4, 7]])
    >>> h = keras.layers.Embedding(10, 8, mask_zero=True)(ids)
    >>> h = keras.layers.GRU(16, return_sequences=True)(h)
    >>> pool = keras_memattn.layers.AttentionPooling()
    >>> pooled, weights = pool(h, return_attention_scores=True)
    >>> tuple(pooled.shape), tuple(weights.shape)
    ((2, 16), (2, 1, 5))
    >>> keras.ops.convert_to_numpy(weights)[0, 0, 3:].tolist()
    [0.0, 0.0]

    References:
        - D. Bahdanau, K. Cho, Y. Bengio, [Neural Machine Translation by
          Jointly Learning to Align and Translate](
          https://arxiv.org/abs/1409.0473), ICLR 2015 (additive score).
        - Z. Lin et al., [A Structured Self-attentive Sentence Embedding](
          https://arxiv.org/abs/1703.03130), ICLR 2017 (several heads).
        - S. Kardakis et al., [Examining Attention Mechanisms in Deep
          Learning Models for Sentiment Analysis](
          https://doi.org/10.3390/app11093883), Applied Sciences 11(9), 2021.

    Differences from other implementations:
        - Several heads pool the whole feature vector each and are
          concatenated (Lin et al.), rather than splitting the features
          between heads as multi-head attention does.
        - The "dot" score divides by $\sqrt{d}$ so that its logits start
          near unit scale; the scale only rescales the learned query.
        - Many implementations fill padded logits with a fixed constant
          such as `-1e4`, which leaves a tiny weight on padded steps; here
          those weights are exactly zero, also in float16.
    """

    def __init__(
        self,
        units=None,
        score="additive",
        num_heads=1,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        owner = type(self).__name__
        units = _validation.optional_positive_int("units", units, owner)
        score = _validation.one_of("score", score, SCORES, owner)
        num_heads = _validation.positive_int("num_heads", num_heads, owner)
        if score == "dot" and units is not None:
            raise ValueError(
                f"{owner}: `units` is only used with score='additive'; "
                f"leave it None with score='dot'. Received: units={units!r}"
            )
        super().__init__(**kwargs)
        # Applied in `call`: the base layer would also regularize the
        # attention weights whenever they are returned.
        self._activity_regularizer = keras.regularizers.get(
            activity_regularizer
        )
        self.units = units
        self.score = score
        self.num_heads = num_heads
        self.use_bias = _validation.boolean("use_bias", use_bias, owner)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        _validation.input_rank(
            "inputs", input_shape, 3, owner=type(self).__name__
        )
        features = input_shape[-1]
        if features is None:
            raise ValueError(
                f"{type(self).__name__}: the last dimension of `inputs` must "
                f"be known. Received: inputs.shape={tuple(input_shape)}"
            )
        # Later calls with another rank or width fail with Keras' message
        # naming the shapes, not inside a matrix product.
        self.input_spec = keras.InputSpec(ndim=3, axes={-1: features})
        self.kernel = None
        self.bias = None
        score_in = features
        if self.score == "additive":
            hidden = self.units or features
            self.kernel = self.add_weight(
                name="kernel",
                shape=(features, hidden),
                initializer=_initializers.fresh(self.kernel_initializer),
                regularizer=self.kernel_regularizer,
                constraint=self.kernel_constraint,
            )
            if self.use_bias:
                self.bias = self.add_weight(
                    name="bias",
                    shape=(hidden,),
                    initializer=self.bias_initializer,
                    regularizer=self.bias_regularizer,
                    constraint=self.bias_constraint,
                )
            score_in = hidden
        self.score_kernel = self.add_weight(
            name="score_kernel",
            shape=(score_in, self.num_heads),
            initializer=_initializers.fresh(self.kernel_initializer),
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )

    def call(self, inputs, mask=None, return_attention_scores=False):
        # float32 at least: half-precision scores and sums lose too much.
        work = "float64" if self.compute_dtype == "float64" else "float32"
        h = ops.cast(inputs, work)
        if mask is not None:
            # Converted first: a nested list has no `shape` to check.
            mask = ops.cast(mask, "bool")
            _validation.padding_mask(inputs, mask, type(self).__name__)
            # Zero weight times a non-finite padded value would still be
            # NaN: padded steps are zeroed before they are used.
            h = ops.where(ops.expand_dims(mask, -1), h, ops.zeros_like(h))
        if self.score == "additive":
            hidden = ops.matmul(h, ops.cast(self.kernel, work))
            if self.bias is not None:
                hidden = ops.add(hidden, ops.cast(self.bias, work))
            hidden = ops.tanh(hidden)
            logits = ops.matmul(hidden, ops.cast(self.score_kernel, work))
        else:
            scale = 1.0 / math.sqrt(h.shape[-1])
            logits = ops.matmul(h, ops.cast(self.score_kernel, work))
            logits = ops.multiply(logits, scale)
        # [B, N, T]
        logits = ops.transpose(logits, (0, 2, 1))
        if mask is not None:
            mask = ops.expand_dims(mask, 1)
        weights = masked_softmax(logits, mask, axis=-1)
        # [B, N, F] -> [B, N * F]
        pooled = ops.matmul(weights, h)
        pooled = ops.reshape(pooled, (-1, self.num_heads * h.shape[-1]))
        pooled = ops.cast(pooled, self.compute_dtype)
        if self._activity_regularizer is not None:
            # Divided by the batch size, as Keras does.
            loss = self._activity_regularizer(pooled)
            batch = ops.cast(ops.shape(pooled)[0], loss.dtype)
            self.add_loss(ops.divide_no_nan(loss, batch))
        if return_attention_scores:
            return pooled, ops.cast(weights, self.compute_dtype)
        return pooled

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_heads * input_shape[-1])

    def compute_output_spec(
        self, inputs, mask=None, return_attention_scores=False
    ):
        if mask is not None:
            _validation.padding_mask(inputs, mask, type(self).__name__)
        shape = self.compute_output_shape(inputs.shape)
        pooled = keras.KerasTensor(shape, dtype=self.compute_dtype)
        if not return_attention_scores:
            return pooled
        weights = keras.KerasTensor(
            (inputs.shape[0], self.num_heads, inputs.shape[1]),
            dtype=self.compute_dtype,
        )
        return pooled, weights

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "score": self.score,
                "num_heads": self.num_heads,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "bias_initializer": keras.initializers.serialize(
                    self.bias_initializer
                ),
                "kernel_regularizer": keras.regularizers.serialize(
                    self.kernel_regularizer
                ),
                "bias_regularizer": keras.regularizers.serialize(
                    self.bias_regularizer
                ),
                "activity_regularizer": keras.regularizers.serialize(
                    self._activity_regularizer
                ),
                "kernel_constraint": keras.constraints.serialize(
                    self.kernel_constraint
                ),
                "bias_constraint": keras.constraints.serialize(
                    self.bias_constraint
                ),
            }
        )
        return config

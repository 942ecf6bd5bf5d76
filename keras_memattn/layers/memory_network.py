"""End-to-end memory network (MemN2N) with optional Q-MANN quantization."""

import keras
import numpy as np
from keras import ops

from keras_memattn import _initializers
from keras_memattn import _validation
from keras_memattn.ops import addressing
from keras_memattn.ops import quantization as quantization_ops
from keras_memattn.ops.masking import masked_softmax
from keras_memattn.ops.quantization import QuantizationConfig

WEIGHT_TYINGS = ("layerwise", "adjacent")


def position_encoding(num_words, embedding_dim):
    """MemN2N's position encoding matrix, `(num_words, embedding_dim)`.

    $l_{kj} = (1 - j/J) - (k/d)(1 - 2j/J)$ for word $j = 1..J$ and
    dimension $k = 1..d$ (Sukhbaatar et al., 2015, section 4.1).

    Args:
        num_words: `J`, the (padded) number of words per sentence.
        embedding_dim: `d`.

    Returns:
        A float32 numpy array.
    """
    j = np.arange(1, num_words + 1, dtype="float32")[:, None] / num_words
    k = np.arange(1, embedding_dim + 1, dtype="float32")[None, :]
    k = k / embedding_dim
    return ((1.0 - j) - k * (1.0 - 2.0 * j)).astype("float32")


@keras.saving.register_keras_serializable(package="keras_memattn")
class MemoryNetwork(keras.layers.Layer):
    """End-to-end memory network (MemN2N) over a story and a question.

    The story is a set of facts, each a bag of word ids; the question is one
    bag of word ids. Each fact is embedded twice, as an addressing key
    $m_i$ and as a value $c_i$, the question as the controller state $u$,
    and `num_hops` rounds of content addressing refine $u$:

    $$
    \\begin{aligned}
    m_i &= \\textstyle\\sum_j l_j \\odot A x_{ij} + T_A[t_i], \\quad
    c_i = \\textstyle\\sum_j l_j \\odot C x_{ij} + T_C[t_i], \\quad
    u^1 = \\textstyle\\sum_j l_j \\odot B q_j \\\\
    p^k &= \\operatorname{softmax}_i\\big(s(u^k, m_i^k)\\big), \\quad
    o^k = \\textstyle\\sum_i p_i^k c_i^k, \\quad
    u^{k+1} = H u^k + o^k \\\\
    y &= \\phi(W u^{K+1})
    \\end{aligned}
    $$

    where $l_j$ is the position encoding (or all ones), $t_i$ the number of
    facts that come after fact $i$ (the temporal encoding), $s$ the
    similarity (`"dot"`, `"cosine"` or Q-MANN's bounded `"hamming"`) and
    $\\phi$ the `activation`. With `relu_units=r`, the last $r$ units of
    every $u^{k+1}$ go through a ReLU (MemN2N's layer-wise language models
    apply one to half of the units). With `weight_tying="layerwise"` the
    embeddings $A, C$ are shared by all hops and $H$ is a learned
    `(embedding_dim, embedding_dim)` map; with `"adjacent"` each hop has its
    own embeddings with $A^{k+1} = C^k$, $B = A^1$ and $H$ the identity.

    Quantization (Q-MANN, Park et al. 2018) is fake quantization with float
    master weights: when `quantization` is set, the embeddings, temporal
    tables and $H$ are quantized before use (tensor name `"weights"` of
    `QuantizationConfig.tensor_formats`), and so are the memory vectors
    $m_i, c_i$ (`"memory"`), the controller state $u^k$ (`"state"`), the
    read vectors $o^k$ (`"read"`) and, in fixed-point mode, the attention
    logits $s(u^k, m_i)$ (`"logits"`). With
    `QuantizationConfig(accumulator="fixed_point")` the dot-product
    similarity is itself computed in the logits format, product by product
    with a saturating accumulator (`fixed_point_dot` of
    `keras_memattn.ops.quantization`), as fixed-point hardware without a
    wide accumulator would. The softmax and the answer layer $W$ stay in
    float. Gradients pass through the quantizers with clipped
    straight-through estimates.

    Two training aids of MemN2N are built in. With `linear_start=True` the
    layer starts with the softmax over facts removed (the weights are the
    raw similarities of the real facts, so the model is linear up to the
    answer) and holds a non-trainable flag, `attention_softmax`, that
    `keras_memattn.callbacks.LinearStart` sets to 1 to insert the softmax
    once the validation loss stops improving (MemN2N reports that this
    avoids poor local minima on some tasks).
    With `temporal_noise=p`, training stories get on average a fraction `p`
    of empty memories inserted between their facts ("random noise"), which
    jitters the temporal encoding and regularises it.

    Masking: word id 0 is padding and contributes nothing; a fact made only
    of padding is masked out of the attention (it gets zero weight and does
    not count for the temporal encoding), so stories may be padded before
    or after their facts. A story with no fact at all reads a zero vector.
    The layer consumes no Keras mask and produces none.

    Args:
        vocabulary_size: number of word ids, padding (0) included.
        embedding_dim: width `d` of the embeddings and of the controller
            state.
        num_hops: number of memory hops `K`. Defaults to 3.
        output_dim: number of answer classes. Defaults to `vocabulary_size`
            (answers are words).
        memory_size: number of rows of the temporal encoding tables; facts
            further back than `memory_size - 1` share the last row. Defaults
            to the number of facts of the story the layer is built with.
        similarity: `"dot"` (MemN2N), `"cosine"` or `"hamming"` (Q-MANN's
            bounded similarity). Defaults to `"dot"`.
        quantization: None (float, the default), a
            `keras_memattn.ops.QuantizationConfig`, its config dict, or
            `"fixed_point"` (8 bits, 3 integer bits) or `"binary"`.
        hamming_scale: the scale $\\kappa$ of the Hamming similarity.
            Defaults to 0.125 as in Q-MANN. Used only with
            `similarity="hamming"`; the similarity reads its inputs in the
            quantization format (8 bits, 3 integer bits when `quantization`
            is None).
        weight_tying: `"layerwise"` (default) or `"adjacent"`.
        position_encoding: weight the words of a sentence by their position
            (MemN2N "PE") instead of a plain bag of words. Defaults to True.
        temporal_encoding: add a learned vector per fact age (MemN2N "TE").
            Defaults to True.
        activation: activation of the answer, e.g. `"softmax"`. Defaults to
            None (logits).
        relu_units: number of units of the controller state, counted from
            the last, put through a ReLU after every hop, in
            `[0, embedding_dim]`. MemN2N applies a ReLU to half of the units
            of each layer of its layer-wise language models ("to aid
            training", Section 5 of the paper); the nonlinearity lets the
            answer depend on whether what was read agrees with the
            question, as yes/no questions need. Defaults to 0 (the linear
            model).
        tie_answer: use the transposed last value embedding as the answer
            layer, $W = (C^K)^T$ (MemN2N's adjacent tying; with layer-wise
            tying $W = C^T$), instead of a separate `answer_kernel`. Answers
            are then words: `output_dim` must be None or `vocabulary_size`.
            Defaults to False.
        linear_start: start with linear attention (MemN2N's "LS"); see
            above. Defaults to False.
        temporal_noise: probability, in `[0, 1)`, that an empty memory is
            inserted just before each fact of a training story, which ages
            the earlier facts by one (MemN2N's random noise, "RN", adds
            10 % empty memories: 0.1). Only acts with
            `temporal_encoding=True` and `training=True`. Defaults to 0.
        seed: optional integer seed of the temporal noise.
        embeddings_initializer: initializer of the embeddings and temporal
            tables. Defaults to `"random_normal"`.
        kernel_initializer: initializer of `H` and `W`. Defaults to
            `"glorot_uniform"`.
        embeddings_regularizer: optional regularizer of the embeddings.
        kernel_regularizer: optional regularizer of `H` and `W`.
        embeddings_constraint: optional constraint of the embeddings.
        kernel_constraint: optional constraint of `H` and `W`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: a list `[story, query]` of integer tensors: `story` of
            shape `(batch, facts, words)` and `query` of shape
            `(batch, query_words)`, with the same batch size; ids in
            `[0, vocabulary_size)`, 0 being padding. Ids outside that range
            raise a `ValueError` when the values are known at call time;
            inside a compiled function, where they cannot be checked, they
            count as padding.
        return_attention_scores: if True, also return the attention weights
            of every hop. Defaults to False.
        training: whether the call is in training mode (only the temporal
            noise depends on it).

    Returns:
        Answer logits (or `activation` of them) of shape
        `(batch, output_dim)`, and with `return_attention_scores=True` also
        the attention weights `(batch, num_hops, facts)`.

    Example:

    >>> import numpy as np
    >>> import keras_memattn
    >>> story = np.array([[[1, 2, 3], [4, 5, 0], [0, 0, 0]]])
    >>> query = np.array([[6, 2, 0]])
    >>> layer = keras_memattn.layers.MemoryNetwork(
    ...     vocabulary_size=8, embedding_dim=4, similarity="hamming",
    ...     quantization="fixed_point")
    >>> tuple(layer([story, query]).shape)
    (1, 8)

    References:
        - Sukhbaatar, Szlam, Weston, Fergus. *End-To-End Memory Networks*.
          NeurIPS 2015.
        - Park, Kim, Lee, Bae, Yoon. *Quantized Memory-Augmented Neural
          Networks*. AAAI 2018.

    Differences from other implementations:
        By default the answer layer $W$ is a separate float kernel of
        shape `(embedding_dim, output_dim)`, so answers need not be words;
        `tie_answer=True` ties it to $C^K$ as MemN2N does. Linear start and
        random noise are properties of the layer rather than of a training
        script; random noise shifts the temporal indices of the facts
        instead of allocating empty memory rows. Q-MANN keeps quantized
        weights only and varies the fixed-point split per hop; here float
        master weights are fake-quantized and the format is set per tensor,
        not per hop. Temporal indices count real facts only, so padding
        position does not matter.
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim,
        num_hops=3,
        output_dim=None,
        memory_size=None,
        similarity="dot",
        quantization=None,
        hamming_scale=0.125,
        weight_tying="layerwise",
        position_encoding=True,
        temporal_encoding=True,
        activation=None,
        relu_units=0,
        tie_answer=False,
        linear_start=False,
        temporal_noise=0.0,
        seed=None,
        embeddings_initializer="random_normal",
        kernel_initializer="glorot_uniform",
        embeddings_regularizer=None,
        kernel_regularizer=None,
        embeddings_constraint=None,
        kernel_constraint=None,
        **kwargs,
    ):
        owner = "MemoryNetwork"
        self.vocabulary_size = _validation.positive_int(
            "vocabulary_size", vocabulary_size, owner
        )
        self.embedding_dim = _validation.positive_int(
            "embedding_dim", embedding_dim, owner
        )
        self.num_hops = _validation.positive_int("num_hops", num_hops, owner)
        self.output_dim = _validation.optional_positive_int(
            "output_dim", output_dim, owner
        )
        self.memory_size = _validation.optional_positive_int(
            "memory_size", memory_size, owner
        )
        self.similarity = _validation.one_of(
            "similarity", similarity, addressing.SIMILARITIES, owner
        )
        self.quantization = QuantizationConfig.get(quantization)
        if (
            self.quantization is not None
            and self.quantization.for_tensor("logits").accumulator != "float"
            and similarity != "dot"
        ):
            raise ValueError(
                f"{owner}: a fixed-point accumulator sums dot products; "
                f"with similarity={similarity!r} it would have no effect. "
                "Use similarity='dot' or the default accumulator. Received: "
                f"quantization={self.quantization!r}, "
                f"similarity={similarity!r}"
            )
        self.hamming_scale = _validation.positive_float(
            "hamming_scale", hamming_scale, owner
        )
        self.weight_tying = _validation.one_of(
            "weight_tying", weight_tying, WEIGHT_TYINGS, owner
        )
        self.temporal_noise = _validation.rate(
            "temporal_noise", temporal_noise, owner
        )
        self.relu_units = _validation.non_negative_int(
            "relu_units", relu_units, owner
        )
        if self.relu_units > self.embedding_dim:
            raise ValueError(
                f"{owner}: `relu_units` must be at most `embedding_dim` "
                f"({self.embedding_dim}). Received: relu_units="
                f"{self.relu_units}"
            )
        self.tie_answer = _validation.boolean("tie_answer", tie_answer, owner)
        if self.tie_answer and self.output_dim not in (
            None,
            self.vocabulary_size,
        ):
            raise ValueError(
                "MemoryNetwork: `tie_answer=True` answers with words, so "
                "`output_dim` must be None or `vocabulary_size` "
                f"({self.vocabulary_size}). Received: output_dim="
                f"{self.output_dim}"
            )
        seed = _validation.optional_seed("seed", seed, owner)
        super().__init__(**kwargs)
        self.linear_start = _validation.boolean(
            "linear_start", linear_start, owner
        )
        self.seed = seed
        self.seed_generator = (
            keras.random.SeedGenerator(seed) if self.temporal_noise else None
        )
        self.position_encoding = _validation.boolean(
            "position_encoding", position_encoding, owner
        )
        self.temporal_encoding = _validation.boolean(
            "temporal_encoding", temporal_encoding, owner
        )
        self.activation = (
            None if activation is None else keras.activations.get(activation)
        )
        self.embeddings_initializer = keras.initializers.get(
            embeddings_initializer
        )
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.embeddings_regularizer = keras.regularizers.get(
            embeddings_regularizer
        )
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.embeddings_constraint = keras.constraints.get(
            embeddings_constraint
        )
        self.kernel_constraint = keras.constraints.get(kernel_constraint)

    @property
    def answer_dim(self):
        """Width of the answer: `output_dim`, or `vocabulary_size`."""
        return self.output_dim or self.vocabulary_size

    def _split_shapes(self, input_shape):
        if (
            not isinstance(input_shape, (list, tuple))
            or len(input_shape) != 2
            or not isinstance(input_shape[0], (list, tuple))
        ):
            raise ValueError(
                "MemoryNetwork expects `inputs=[story, query]`. "
                f"Received: input_shape={input_shape}"
            )
        story_shape, query_shape = (tuple(s) for s in input_shape)
        _validation.input_rank("story", story_shape, 3, "MemoryNetwork")
        _validation.input_rank("query", query_shape, 2, "MemoryNetwork")
        if (
            story_shape[0] is not None
            and query_shape[0] is not None
            and story_shape[0] != query_shape[0]
        ):
            raise ValueError(
                "MemoryNetwork: `story` and `query` must have the same batch "
                f"size. Received: story.shape={story_shape}, "
                f"query.shape={query_shape}"
            )
        return story_shape, query_shape

    def _check_ids(self, name, ids):
        _validation.id_range(
            name, ids, self.vocabulary_size, "vocabulary_size", "MemoryNetwork"
        )

    def _int32_ids(self, ids):
        """`ids` as int32, with ids outside `[0, vocabulary_size)` set to 0.

        The range is checked before the cast, which would wrap int64 ids
        beyond the int32 range onto valid ids in a traced call.
        """
        valid = ops.logical_and(
            ops.greater(ids, 0), ops.less(ids, self.vocabulary_size)
        )
        return ops.cast(ops.where(valid, ids, 0), "int32")

    def _embedding(self, name):
        return self.add_weight(
            shape=(self.vocabulary_size, self.embedding_dim),
            name=name,
            initializer=_initializers.fresh(self.embeddings_initializer),
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )

    def _temporal(self, name):
        return self.add_weight(
            shape=(self._memory_rows, self.embedding_dim),
            name=name,
            initializer=_initializers.fresh(self.embeddings_initializer),
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )

    def build(self, input_shape):
        story_shape, _ = self._split_shapes(input_shape)
        self._memory_rows = self.memory_size or story_shape[1]
        if self.temporal_encoding and self._memory_rows is None:
            raise ValueError(
                "MemoryNetwork with `temporal_encoding=True` needs "
                "`memory_size` or a story with a known number of facts. "
                f"Received: memory_size=None, story shape {story_shape}"
            )
        if self.weight_tying == "layerwise":
            self.query_embeddings = self._embedding("query_embeddings")
            self.key_embeddings = self._embedding("key_embeddings")
            self.value_embeddings = self._embedding("value_embeddings")
            if self.temporal_encoding:
                self.key_temporal = self._temporal("key_temporal")
                self.value_temporal = self._temporal("value_temporal")
            self.hop_kernel = self.add_weight(
                shape=(self.embedding_dim, self.embedding_dim),
                name="hop_kernel",
                initializer=_initializers.fresh(self.kernel_initializer),
                regularizer=self.kernel_regularizer,
                constraint=self.kernel_constraint,
            )
        else:
            self.hop_embeddings = [
                self._embedding(f"embeddings_{k}")
                for k in range(self.num_hops + 1)
            ]
            if self.temporal_encoding:
                self.hop_temporal = [
                    self._temporal(f"temporal_{k}")
                    for k in range(self.num_hops + 1)
                ]
        if not self.tie_answer:
            self.answer_kernel = self.add_weight(
                shape=(self.embedding_dim, self.answer_dim),
                name="answer_kernel",
                initializer=_initializers.fresh(self.kernel_initializer),
                regularizer=self.kernel_regularizer,
                constraint=self.kernel_constraint,
            )
        if self.linear_start:
            self.attention_softmax = self.add_weight(
                shape=(),
                name="attention_softmax",
                initializer="zeros",
                trainable=False,
            )

    # ------------------------------------------------------------------
    # Forward pass.

    def _quantize(self, x, tensor):
        if self.quantization is None:
            return x
        return self.quantization.quantize(x, tensor=tensor)

    def _weight(self, variable, dtype):
        return self._quantize(ops.cast(variable, dtype), "weights")

    def _bag(self, table, ids, encoding):
        """Sum of (position-weighted) word embeddings over the last axis.

        Ids outside `[0, vocabulary_size)` that reach a traced call (where
        `_check_ids` cannot see them) count as padding: gathering them
        would give NaN on JAX and wrap around from the end elsewhere.
        """
        valid = ops.logical_and(
            ops.greater(ids, 0), ops.less(ids, self.vocabulary_size)
        )
        words = ops.take(table, ops.where(valid, ids, 0), axis=0)
        present = ops.cast(valid, words.dtype)[..., None]
        if encoding is not None:
            words = words * encoding
        return ops.sum(words * present, axis=-2)

    def _encoding(self, num_words, dtype):
        if not self.position_encoding:
            return None
        if num_words is None:
            raise ValueError(
                "MemoryNetwork with `position_encoding=True` needs a known "
                "number of words per sentence. Received: words=None"
            )
        return ops.convert_to_tensor(
            position_encoding(num_words, self.embedding_dim), dtype=dtype
        )

    def _similarity(self, keys, memory):
        logits_format = (
            None
            if self.quantization is None
            else self.quantization.for_tensor("logits")
        )
        if (
            self.similarity == "dot"
            and logits_format is not None
            and logits_format.mode == "fixed_point"
            and logits_format.accumulator == "fixed_point"
        ):
            return quantization_ops.fixed_point_dot(
                keys,
                memory,
                word_length=logits_format.word_length,
                integer_bits=logits_format.integer_bits,
                rounding=logits_format.rounding,
            )
        kwargs = {}
        if self.similarity == "hamming":
            kwargs["scale"] = self.hamming_scale
            if self.quantization is not None:
                kwargs.update(self.quantization.hamming_kwargs("memory"))
        return addressing.similarity(
            keys, memory, kind=self.similarity, **kwargs
        )

    def _split_inputs(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            shape = getattr(inputs, "shape", None)
            received = (
                f"inputs={inputs!r}"
                if shape is None
                else f"inputs.shape={tuple(shape)}"
            )
            raise ValueError(
                "MemoryNetwork expects `inputs=[story, query]`. "
                f"Received: {received}"
            )
        story, query = inputs
        self._split_shapes([tuple(story.shape), tuple(query.shape)])
        return story, query

    def call(self, inputs, return_attention_scores=False, training=None):
        story, query = self._split_inputs(inputs)
        self._check_ids("story", story)
        self._check_ids("query", query)
        story = self._int32_ids(story)
        query = self._int32_ids(query)
        # Fake quantization runs in float32 so the grid is exact.
        dtype = "float32" if self.quantization else self.compute_dtype
        story_pe = self._encoding(story.shape[-1], dtype)
        query_pe = self._encoding(query.shape[-1], dtype)

        # A fact is real if it holds a word id that `_bag` does not treat
        # as padding.
        fact_mask = ops.any(
            ops.logical_and(
                ops.greater(story, 0), ops.less(story, self.vocabulary_size)
            ),
            axis=-1,
        )  # (b, f)
        if self.temporal_encoding:
            real = ops.cast(fact_mask, "int32")
            # A fact's age is the number of slots after it (0 for the most
            # recent fact): the later real facts and, with temporal noise,
            # the empty memories inserted just before each of them (one
            # before the first fact would change no age).
            slots = real
            if training and self.temporal_noise:
                inserted = keras.random.uniform(
                    ops.shape(real), seed=self.seed_generator
                )
                inserted = ops.cast(
                    ops.less(inserted, self.temporal_noise), "int32"
                )
                slots = real * (1 + inserted)
            age = ops.sum(slots, axis=-1, keepdims=True) - ops.cumsum(
                slots, axis=-1
            )
            age = ops.minimum(age, self._memory_rows - 1)

        def memory(table, temporal):
            m = self._bag(self._weight(table, dtype), story, story_pe)
            if self.temporal_encoding:
                m = m + ops.take(self._weight(temporal, dtype), age, axis=0)
            return self._quantize(m, "memory")

        if self.weight_tying == "layerwise":
            query_table = self.query_embeddings
            keys = memory(
                self.key_embeddings,
                self.key_temporal if self.temporal_encoding else None,
            )
            values = memory(
                self.value_embeddings,
                self.value_temporal if self.temporal_encoding else None,
            )
            hop_memories = [(keys, values)] * self.num_hops
            hop_kernel = self._weight(self.hop_kernel, dtype)
        else:
            query_table = self.hop_embeddings[0]
            embedded = [
                memory(
                    table,
                    self.hop_temporal[k] if self.temporal_encoding else None,
                )
                for k, table in enumerate(self.hop_embeddings)
            ]
            hop_memories = list(zip(embedded[:-1], embedded[1:]))
            hop_kernel = None

        state = self._quantize(
            self._bag(self._weight(query_table, dtype), query, query_pe),
            "state",
        )
        if self.relu_units:
            relu_mask = (
                np.arange(self.embedding_dim)
                >= self.embedding_dim - self.relu_units
            )
        scores = []
        for keys, values in hop_memories:
            logits = self._similarity(state, keys)  # (b, f), float32
            if (
                self.quantization
                and self.quantization.for_tensor("logits").mode == "fixed_point"
            ):
                logits = self._quantize(logits, "logits")
            weights = masked_softmax(logits, fact_mask)
            if self.linear_start:
                linear = ops.where(fact_mask, logits, 0.0)
                gate = ops.cast(self.attention_softmax, weights.dtype)
                weights = gate * weights + (1.0 - gate) * linear
            scores.append(weights)
            read = ops.einsum("bf,bfd->bd", ops.cast(weights, dtype), values)
            read = self._quantize(read, "read")
            if hop_kernel is not None:
                state = ops.matmul(state, hop_kernel) + read
            else:
                state = state + read
            if self.relu_units:
                state = ops.where(relu_mask, ops.relu(state), state)
            state = self._quantize(state, "state")

        # The answer layer is float (Q-MANN keeps it at high precision).
        answer = ops.matmul(
            ops.cast(state, self.compute_dtype),
            ops.cast(self._answer_kernel(), self.compute_dtype),
        )
        # Keras' `matmul` on PyTorch returns float32 for float64 operands.
        answer = ops.cast(answer, self.compute_dtype)
        if self.activation is not None:
            answer = self.activation(answer)
        if return_attention_scores:
            scores = ops.cast(ops.stack(scores, axis=1), self.compute_dtype)
            return answer, scores
        return answer

    def _answer_kernel(self):
        if not self.tie_answer:
            return self.answer_kernel
        if self.weight_tying == "layerwise":
            return ops.transpose(self.value_embeddings)
        return ops.transpose(self.hop_embeddings[-1])

    def compute_output_shape(self, input_shape):
        story_shape, _ = self._split_shapes(input_shape)
        return (story_shape[0], self.answer_dim)

    def compute_output_spec(
        self, inputs, return_attention_scores=False, training=None
    ):
        story, query = self._split_inputs(inputs)
        shape = self.compute_output_shape([story.shape, query.shape])
        output = keras.KerasTensor(shape, dtype=self.compute_dtype)
        if return_attention_scores:
            scores = keras.KerasTensor(
                (story.shape[0], self.num_hops, story.shape[1]),
                dtype=self.compute_dtype,
            )
            return output, scores
        return output

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "num_hops": self.num_hops,
                "output_dim": self.output_dim,
                "memory_size": self.memory_size,
                "similarity": self.similarity,
                "quantization": None
                if self.quantization is None
                else self.quantization.get_config(),
                "hamming_scale": self.hamming_scale,
                "weight_tying": self.weight_tying,
                "position_encoding": self.position_encoding,
                "temporal_encoding": self.temporal_encoding,
                "activation": keras.activations.serialize(self.activation)
                if self.activation is not None
                else None,
                "relu_units": self.relu_units,
                "tie_answer": self.tie_answer,
                "linear_start": self.linear_start,
                "temporal_noise": self.temporal_noise,
                "seed": self.seed,
                "embeddings_initializer": keras.initializers.serialize(
                    self.embeddings_initializer
                ),
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "embeddings_regularizer": keras.regularizers.serialize(
                    self.embeddings_regularizer
                ),
                "kernel_regularizer": keras.regularizers.serialize(
                    self.kernel_regularizer
                ),
                "embeddings_constraint": keras.constraints.serialize(
                    self.embeddings_constraint
                ),
                "kernel_constraint": keras.constraints.serialize(
                    self.kernel_constraint
                ),
            }
        )
        return config

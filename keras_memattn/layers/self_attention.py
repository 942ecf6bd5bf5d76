"""Multi-head self-attention with one fused query/key/value projection."""

import math

import keras
from keras import ops

from keras_memattn import _initializers
from keras_memattn import _validation
from keras_memattn.layers.base_rnn import split_last
from keras_memattn.ops.masking import masked_softmax

__all__ = ["MultiHeadSelfAttention"]

ATTENTION_IMPLEMENTATIONS = ("auto", "fused", "explicit")

# Backends on which `keras.ops.dot_product_attention` trains faster than the
# explicit einsum + softmax on CPU (benchmarks/attention.py measures both).
_FUSED_BACKENDS = ("torch",)


@keras.saving.register_keras_serializable(package="keras_memattn")
class MultiHeadSelfAttention(keras.layers.Layer):
    r"""Multi-head self-attention over a sequence (Vaswani et al., 2017).

    Every position of the input `x` of shape `(batch, time, features)`
    attends to the positions of the same sequence. One fused kernel holds
    the query, key and value projections of all heads:

    $$
    [Q_j, K_j, V_j] = x\,W^{QKV}_j + b^{QKV}_j, \qquad
    A_j = \operatorname{softmax}\!\Big(\frac{Q_j K_j^\top}{\sqrt{d_k}}
        + M\Big), \qquad
    y = \big[A_1 V_1, \dots, A_h V_h\big]\,W^O + b^O,
    $$

    where $h$ is `num_heads`, $d_k$ is `key_dim` and $M$ is $0$ where
    attention is allowed and $-\infty$ elsewhere. The softmax (and the
    query-key product under mixed precision) runs in float32, or float64
    under a float64 policy; the output is in the compute dtype.

    When no attention weights are needed (no `return_attention_scores`, no
    dropout in training), `value_dim` equals `key_dim` and the compute
    dtype is not float64, the attention runs through
    `keras.ops.dot_product_attention` on the backend where that is faster
    (PyTorch); elsewhere through an explicit einsum and
    `keras_memattn.ops.masked_softmax`. Both paths compute the same result.

    Masking: the Keras mask of `x` (e.g. from
    `keras.layers.Embedding(mask_zero=True)`) is the padding mask. As in
    `keras.layers.MultiHeadAttention`, it masks both the keys (no position
    attends to a padded step) and the queries, and it combines by logical
    AND with `attention_mask`, the causal mask and the `window` band. The
    output carries the same Keras mask. A query row with no position to
    attend to (a padded step, or a row that `attention_mask` empties) gets
    all-zero attention weights, so its output is the output bias
    $b^O$ (zero without biases): finite on every path, never NaN.

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head's queries and keys.
        value_dim: size of each head's values. Defaults to `key_dim`.
        dropout: dropout rate on the attention weights, in `[0, 1)`.
            Defaults to `0.0`.
        use_bias: whether the projections have biases. Defaults to `True`.
        output_dim: size of the output features. Defaults to the input
            feature size.
        window: if set, a positive integer `w`: each position attends only
            to positions at most `w` steps away on either side (local
            attention). Defaults to `None` (global attention).
        kernel_initializer: initializer of the projection kernels; the
            query, key and value parts of the fused kernel and the output
            kernel are drawn separately, each from its own copy of the
            initializer and with the shape of a separate projection (an
            initializer with a fixed `seed` gives equal-shaped parts equal
            values, as in `keras.layers.MultiHeadAttention`).
            Defaults to `"glorot_uniform"`.
        bias_initializer: initializer of the biases. Defaults to `"zeros"`.
        kernel_regularizer: regularizer of the kernels. Defaults to `None`.
        bias_regularizer: regularizer of the biases. Defaults to `None`.
        activity_regularizer: regularizer of the output (not of the
            attention weights that `return_attention_scores` adds).
            Defaults to `None`.
        kernel_constraint: constraint on the kernels. Defaults to `None`.
        bias_constraint: constraint on the biases. Defaults to `None`.
        seed: integer seed of the attention dropout. Defaults to `None`.
        **kwargs: base layer arguments such as `name` and `dtype`.

    Call arguments:
        inputs: a float tensor of shape `(batch, time, features)`.
        mask: a boolean tensor of shape `(batch, time)`, True at the steps
            that are not padding; normally set by Keras from the input.
        attention_mask: a boolean tensor of shape `(batch, time, time)`,
            True where query position `i` may attend to key position `j`.
        use_causal_mask: if True, position `i` attends only to positions
            `j <= i`. Defaults to `False`.
        return_attention_scores: if True, also return the attention
            weights. Defaults to `False`.
        training: whether dropout is active.

    Returns:
        The output, of shape `(batch, time, output_dim)`; with
        `return_attention_scores=True`, the tuple `(output, scores)` where
        `scores` has shape `(batch, num_heads, time, time)` and holds the
        attention weights after masking (each row sums to one, or is all
        zero when nothing may be attended to), before dropout.

    Example:

    >>> import numpy as np
    >>> import keras_memattn
    >>> layer = keras_memattn.layers.MultiHeadSelfAttention(
    ...     num_heads=2, key_dim=4
    ... )
    >>> x = np.random.rand(3, 6, 8).astype("float32")
    >>> y, scores = layer(x, use_causal_mask=True, return_attention_scores=True)
    >>> tuple(y.shape), tuple(scores.shape)
    ((3, 6, 8), (3, 2, 6, 6))

    References:
        - A. Vaswani et al., [Attention Is All You Need](
          https://arxiv.org/abs/1706.03762), NeurIPS 2017.

    Differences from other implementations:
        - `keras.layers.MultiHeadAttention` keeps three separate query, key
          and value projections; this layer fuses them into one kernel
          `qkv_kernel` of shape `(features, num_heads * (2 * key_dim +
          value_dim))` (query, key, value blocks in that order, heads
          inside each block). `load_weights_from_keras` copies the weights
          of a `keras.layers.MultiHeadAttention` into this layout, and then
          both compute the same outputs and scores on unpadded rows.
        - On a fully masked query row `keras.layers.MultiHeadAttention`
          spreads the weights uniformly over all (padded) keys; this layer
          gives all-zero weights.
        - `window=w` allows `w` neighbours on each side, i.e. `|i - j| <= w`;
          `keras.layers.MultiHeadAttention(sliding_window=s)` allows
          `|i - j| < s`, so `window=w` equals `sliding_window=w + 1`.
        - Only self-attention over the time axis; for cross-attention or
          other `attention_axes` use `keras.layers.MultiHeadAttention`.
        - The output width is `output_dim`, an integer, where
          `keras.layers.MultiHeadAttention` has `output_shape` (an integer
          or a tuple); passing `output_shape` is an error that says so.
    """

    # Which attention path runs when no weights are returned and no dropout
    # is active: "auto" (the faster per backend), "fused"
    # (`ops.dot_product_attention`) or "explicit" (einsum + masked softmax).
    # An attribute, not an argument: it never changes results, and tests set
    # it to check that both paths agree.
    attention_implementation = "auto"

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        dropout=0.0,
        use_bias=True,
        output_dim=None,
        window=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        seed=None,
        **kwargs,
    ):
        owner = type(self).__name__
        _validation.renamed(
            kwargs, "output_shape", "output_dim", owner, "an integer"
        )
        num_heads = _validation.positive_int("num_heads", num_heads, owner)
        key_dim = _validation.positive_int("key_dim", key_dim, owner)
        value_dim = _validation.optional_positive_int(
            "value_dim", value_dim, owner
        )
        dropout = _validation.rate("dropout", dropout, owner)
        output_dim = _validation.optional_positive_int(
            "output_dim", output_dim, owner
        )
        window = _validation.optional_positive_int("window", window, owner)
        seed = _validation.optional_seed("seed", seed, owner)
        super().__init__(**kwargs)
        # Applied in `call`: the base layer would also regularize the
        # attention weights whenever they are returned.
        self._activity_regularizer = keras.regularizers.get(
            activity_regularizer
        )
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.value_dim = value_dim
        self.dropout = dropout
        self.output_dim = output_dim
        self.window = window
        self.use_bias = _validation.boolean("use_bias", use_bias, owner)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    @property
    def _value_dim(self):
        return self.key_dim if self.value_dim is None else self.value_dim

    def _block_sizes(self):
        qk = self.num_heads * self.key_dim
        return (qk, qk, self.num_heads * self._value_dim)

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
        out_dim = self.output_dim or features
        blocks = self._block_sizes()

        def fused_kernel_initializer(shape, dtype=None):
            return ops.concatenate(
                [
                    _initializers.fresh(self.kernel_initializer)(
                        (features, n), dtype
                    )
                    for n in blocks
                ],
                axis=-1,
            )

        def fused_bias_initializer(shape, dtype=None):
            return ops.concatenate(
                [
                    _initializers.fresh(self.bias_initializer)((n,), dtype)
                    for n in blocks
                ],
                axis=-1,
            )

        self.qkv_kernel = self.add_weight(
            name="qkv_kernel",
            shape=(features, sum(blocks)),
            initializer=fused_kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.qkv_bias = None
        if self.use_bias:
            self.qkv_bias = self.add_weight(
                name="qkv_bias",
                shape=(sum(blocks),),
                initializer=fused_bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.output_kernel = self.add_weight(
            name="output_kernel",
            shape=(blocks[2], out_dim),
            initializer=_initializers.fresh(self.kernel_initializer),
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.output_bias = None
        if self.use_bias:
            self.output_bias = self.add_weight(
                name="output_bias",
                shape=(out_dim,),
                initializer=_initializers.fresh(self.bias_initializer),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def call(
        self,
        inputs,
        mask=None,
        attention_mask=None,
        use_causal_mask=False,
        return_attention_scores=False,
        training=None,
    ):
        # Integer or boolean features failed in the projections on PyTorch.
        x = _validation.as_float(inputs, self.compute_dtype)
        allowed, causal_only = self._attention_mask(
            x, mask, attention_mask, use_causal_mask
        )
        explicit = (
            return_attention_scores
            or (training and self.dropout > 0.0)
            or not self._use_fused()
            # JAX's kernel needs equal key and value head sizes.
            or self._value_dim != self.key_dim
            # Keras' kernel computes float64 in float32 (PyTorch, JAX).
            or self.compute_dtype == "float64"
        )
        # Training (forward and backward) is fastest with the heads in the
        # `(batch, time, heads, dim)` layout that the fused kernel takes;
        # a forward pass alone is faster with `(batch, heads, time, dim)`,
        # where the attention products need no transposes.
        layout = "btnh" if (training or not explicit) else "bnth"
        query, key, value = self._project(x, layout, training=training)
        if explicit:
            context, scores = self._explicit_attention(
                query, key, value, allowed, training, layout
            )
        else:
            context = self._fused_attention(
                query, key, value, allowed, causal_only
            )
            scores = None
        output_kernel = ops.reshape(
            self.output_kernel, (self.num_heads, self._value_dim, -1)
        )
        # The head-size letter is renamed to follow `n` in the alphabet:
        # PyTorch's einsum orders the summed axes alphabetically, and with
        # `(n, h)` it would transpose the context in the forward pass and
        # hand the attention kernel a non-contiguous gradient.
        output = ops.einsum(
            f"{layout.replace('h', 'w')},nwe->bte", context, output_kernel
        )
        if self.use_bias:
            output = ops.add(output, self.output_bias)
        if self._activity_regularizer is not None:
            # Divided by the batch size, as Keras does.
            loss = self._activity_regularizer(output)
            batch = ops.cast(ops.shape(output)[0], loss.dtype)
            self.add_loss(ops.divide_no_nan(loss, batch))
        if return_attention_scores:
            return output, scores
        return output

    def _project(self, x, layout="btnh", training=None):
        """The queries, keys and values of all heads.

        Outside training, one product with the whole kernel, viewed as
        `(features, 3, num_heads, dim)`, computes all three; in training,
        each comes from its own block of `qkv_kernel`, viewed as
        `(features, num_heads, dim)`. Measured on CPU, the three products
        train faster (the gradient of the single product's split is a
        concatenation), and the single product runs batch-1 inference
        faster (by 3-6 % on TensorFlow and JAX, 15-20 % on PyTorch).

        Args:
            x: the inputs, `[B, T, F]`.
            layout: `"btnh"` for `[B, T, N, H]` outputs, `"bnth"` for
                `[B, N, T, H]`.
            training: whether the layer is training.
        """
        heads = self.num_heads
        if not training and self._value_dim == self.key_dim:
            return self._project_at_once(x, layout)
        dims = (self.key_dim, self.key_dim, self._value_dim)
        blocks = self._block_sizes()
        # One read and one split of each weight, not three slices.
        kernels = split_last(ops.convert_to_tensor(self.qkv_kernel), blocks)
        biases = [None] * 3
        if self.use_bias:
            biases = split_last(ops.convert_to_tensor(self.qkv_bias), blocks)
        outputs = []
        for kernel, bias, dim in zip(kernels, biases, dims):
            kernel = ops.reshape(kernel, (-1, heads, dim))
            y = ops.einsum(f"btf,fnh->{layout}", x, kernel)
            if bias is not None:
                shape = (heads, dim) if layout == "btnh" else (heads, 1, dim)
                y = ops.add(y, ops.reshape(bias, shape))
            outputs.append(y)
        return outputs

    def _project_at_once(self, x, layout):
        """`_project` as one product; needs `value_dim == key_dim`."""
        shape = (3, self.num_heads, self.key_dim)
        kernel = ops.reshape(self.qkv_kernel, (-1, *shape))
        # The three-way axis `k` leads the layout's other axes, or follows
        # the time axis for `[B, T, N, H]`; unstacking it gives the queries,
        # keys and values.
        if layout == "btnh":
            y = ops.einsum("btf,fknh->btknh", x, kernel)
            bias_shape, axis = shape, 2
        else:
            y = ops.einsum("btf,fknh->kbnth", x, kernel)
            bias_shape, axis = (3, 1, self.num_heads, 1, self.key_dim), 0
        if self.use_bias:
            y = ops.add(y, ops.reshape(self.qkv_bias, bias_shape))
        return ops.unstack(y, 3, axis=axis)

    def _use_fused(self):
        impl = self.attention_implementation
        if impl not in ATTENTION_IMPLEMENTATIONS:
            raise ValueError(
                "`attention_implementation` must be one of "
                f"{ATTENTION_IMPLEMENTATIONS}. "
                f"Received: attention_implementation={impl!r}"
            )
        if impl == "auto":
            return keras.backend.backend() in _FUSED_BACKENDS
        return impl == "fused"

    def _attention_mask(self, x, mask, attention_mask, use_causal_mask):
        """Combines all masks into one boolean `[B or 1, 1, T, T]` tensor.

        Returns `(allowed, causal_only)`: `allowed` is None when nothing is
        masked; `causal_only` is True when the causal mask is the only one,
        so the fused path can use the backend's causal kernel.
        """
        steps = ops.shape(x)[1]
        allowed = None
        if mask is not None:
            mask = ops.cast(mask, "bool")
            self._check_padding_mask(x, mask)
            # Queries [B, T, 1] and keys [B, 1, T].
            allowed = ops.logical_and(
                ops.expand_dims(mask, -1), ops.expand_dims(mask, -2)
            )
        if attention_mask is not None:
            # Converted first: Keras also takes nested lists, which have no
            # `shape` to check.
            attention_mask = ops.cast(attention_mask, "bool")
            self._check_attention_mask(x, attention_mask)
            allowed = (
                attention_mask
                if allowed is None
                else ops.logical_and(allowed, attention_mask)
            )
        causal_only = bool(use_causal_mask) and allowed is None
        if self.window is not None or use_causal_mask:
            rows = ops.expand_dims(ops.arange(steps, dtype="int32"), 1)
            cols = ops.expand_dims(ops.arange(steps, dtype="int32"), 0)
            band = None
            if self.window is not None:
                causal_only = False
                band = ops.less_equal(ops.abs(rows - cols), self.window)
            if use_causal_mask:
                causal = ops.greater_equal(rows, cols)
                band = causal if band is None else ops.logical_and(band, causal)
            # [1, T, T]
            band = ops.expand_dims(band, 0)
            allowed = (
                band if allowed is None else ops.logical_and(allowed, band)
            )
        if allowed is not None:
            # Broadcast over heads: [B or 1, 1, T, T].
            allowed = ops.expand_dims(allowed, 1)
        return allowed, causal_only

    def _check_padding_mask(self, x, mask):
        """Raises unless `mask` has the shape `(batch, time)` of `x`.

        Called as `layer(x, x)` (the `keras.layers.MultiHeadAttention`
        form), the second `x` lands in `mask`.
        """
        _validation.padding_mask(
            x,
            mask,
            type(self).__name__,
            hint="(This layer attends within one sequence; call it as "
            "`layer(x)`, not `layer(x, x)`.)",
        )

    def _check_attention_mask(self, x, attention_mask):
        """Raises unless `attention_mask` broadcasts to `(batch, T, T)`.

        A `(batch, T)` mask would otherwise broadcast against the heads
        axis of the scores and mask the wrong examples.
        """
        shape = tuple(attention_mask.shape)
        expected = (x.shape[0], x.shape[1], x.shape[1])
        if len(shape) != 3 or not all(
            got is None or want is None or got in (1, want)
            for got, want in zip(shape, expected)
        ):
            raise ValueError(
                f"{type(self).__name__}: `attention_mask` must have shape "
                f"(batch, time, time) = {expected}, or dimensions of size 1 "
                "that broadcast to it. "
                f"Received: attention_mask.shape={shape}"
            )

    def _explicit_attention(
        self, query, key, value, allowed, training, layout="btnh"
    ):
        """Einsum + masked softmax, on inputs in `layout` (see `_project`)."""
        work_dtype = "float64" if self.compute_dtype == "float64" else "float32"
        keys = layout.replace("t", "s")
        # Similarity and softmax in float32 whatever the compute dtype; the
        # scale goes on the queries, which are smaller than the logits.
        query = ops.multiply(
            ops.cast(query, work_dtype), 1.0 / math.sqrt(self.key_dim)
        )
        logits = ops.einsum(
            f"{layout},{keys}->bnts", query, ops.cast(key, work_dtype)
        )
        weights = masked_softmax(logits, allowed, axis=-1)
        scores = ops.cast(weights, self.compute_dtype)
        dropped = scores
        if training and self.dropout > 0.0:
            dropped = keras.random.dropout(
                scores, self.dropout, seed=self.seed_generator
            )
        context = ops.einsum(f"bnts,{keys}->{layout}", dropped, value)
        return context, scores

    def _fused_attention(self, query, key, value, allowed, causal_only):
        dtype = self.compute_dtype
        if dtype not in ("float32", "float64"):
            query = ops.cast(query, "float32")
            key = ops.cast(key, "float32")
            value = ops.cast(value, "float32")
        scale = 1.0 / math.sqrt(self.key_dim)
        if allowed is None or causal_only:
            context = ops.dot_product_attention(
                query,
                key,
                value,
                scale=scale,
                is_causal=causal_only,
            )
            return ops.cast(context, dtype)
        # A query row with no allowed key would give NaN (or a uniform
        # average) inside the kernel: open it up there, then zero its
        # output, as the explicit path's all-zero weights do.
        # [B or 1, 1, T, 1]
        has_key = ops.any(allowed, axis=-1, keepdims=True)
        safe = ops.logical_or(allowed, ops.logical_not(has_key))
        context = ops.dot_product_attention(
            query, key, value, mask=safe, scale=scale
        )
        # [B or 1, T, 1, 1]
        keep = ops.transpose(has_key, (0, 2, 1, 3))
        context = ops.where(keep, context, ops.zeros_like(context))
        return ops.cast(context, dtype)

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, input_shape):
        out_dim = self.output_dim or input_shape[-1]
        return (*input_shape[:-1], out_dim)

    def compute_output_spec(
        self,
        inputs,
        mask=None,
        attention_mask=None,
        use_causal_mask=False,
        return_attention_scores=False,
        training=None,
    ):
        if mask is not None:
            self._check_padding_mask(inputs, mask)
        if attention_mask is not None and hasattr(attention_mask, "shape"):
            # Checked when a functional model is built, not only when it
            # first runs.
            self._check_attention_mask(inputs, attention_mask)
        shape = self.compute_output_shape(inputs.shape)
        output = keras.KerasTensor(shape, dtype=self.compute_dtype)
        if not return_attention_scores:
            return output
        batch, steps = inputs.shape[0], inputs.shape[1]
        scores = keras.KerasTensor(
            (batch, self.num_heads, steps, steps), dtype=self.compute_dtype
        )
        return output, scores

    def load_weights_from_keras(self, layer):
        """Copies a `keras.layers.MultiHeadAttention`'s weights into this one.

        The source must be built for self-attention on inputs of this
        layer's feature size, with the same `num_heads`, `key_dim`,
        `value_dim`, `use_bias` and output size, the default
        `attention_axes`, no `use_gate`, and a `sliding_window` equal to
        this layer's `window + 1` (or neither set). Its query, key and
        value kernels `(features, num_heads, dim)` become the three blocks
        of `qkv_kernel`; its output kernel `(num_heads, value_dim,
        output_dim)` is flattened into `output_kernel`. Afterwards
        `self(x)` equals `layer(x, x)` on every unpadded position.

        Args:
            layer: a built `keras.layers.MultiHeadAttention`.

        Raises:
            ValueError: if `layer` is not a built
                `keras.layers.MultiHeadAttention` with a compatible
                configuration, or if this layer is not built.

        Example:

        >>> import numpy as np
        >>> import keras
        >>> import keras_memattn
        >>> x = np.random.rand(2, 5, 8).astype("float32")
        >>> mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
        >>> _ = mha(x, x)
        >>> layer = keras_memattn.layers.MultiHeadSelfAttention(2, 4)
        >>> layer.build(x.shape)
        >>> layer.load_weights_from_keras(mha)
        >>> ours = keras.ops.convert_to_numpy(layer(x))
        >>> theirs = keras.ops.convert_to_numpy(mha(x, x))
        >>> bool(np.allclose(ours, theirs, atol=1e-5))
        True
        """
        name = type(self).__name__
        if not isinstance(layer, keras.layers.MultiHeadAttention):
            raise ValueError(
                f"{name}.load_weights_from_keras: `layer` must be a "
                "keras.layers.MultiHeadAttention. "
                f"Received: layer={type(layer).__name__}"
            )
        if not (self.built and layer.built):
            raise ValueError(
                f"{name}.load_weights_from_keras: both layers must be built "
                "(call them once or call `build`). "
                f"Received: self.built={self.built}, layer.built={layer.built}"
            )
        mine = {
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self._value_dim,
            "use_bias": self.use_bias,
        }
        their_config = layer.get_config()
        theirs = {
            "num_heads": layer.num_heads,
            "key_dim": layer.key_dim,
            "value_dim": layer.value_dim or layer.key_dim,
            "use_bias": layer.use_bias,
        }
        # Options of Keras' layer that change its outputs and that this
        # layer has no weights or arguments for (Keras versions without
        # them leave them out of the config).
        if their_config.get("use_gate", False):
            mine["use_gate"] = False
            theirs["use_gate"] = True
        their_window = their_config.get("sliding_window")
        if their_window is not None or self.window is not None:
            mine["sliding_window"] = (
                None if self.window is None else self.window + 1
            )
            theirs["sliding_window"] = their_window
        for key in mine:
            if mine[key] != theirs[key]:
                raise ValueError(
                    f"{name}.load_weights_from_keras: `{key}` differs. "
                    f"Received: {key}={theirs[key]!r}, expected "
                    f"{key}={mine[key]!r}"
                )
        dense = (
            layer.query_dense,
            layer.key_dense,
            layer.value_dense,
        )
        kernels = [ops.convert_to_numpy(d.kernel) for d in dense]
        features = self.qkv_kernel.shape[0]
        shapes = [k.shape for k in kernels]
        expected = [
            (features, self.num_heads, self.key_dim),
            (features, self.num_heads, self.key_dim),
            (features, self.num_heads, self._value_dim),
        ]
        out_kernel = ops.convert_to_numpy(layer.output_dense.kernel)
        out_expected = (
            self.num_heads,
            self._value_dim,
            self.output_kernel.shape[1],
        )
        if shapes != expected or out_kernel.shape != out_expected:
            raise ValueError(
                f"{name}.load_weights_from_keras: kernel shapes do not match "
                "(is `layer` built for self-attention on inputs with "
                f"{features} features, default `attention_axes` and the same "
                "output size?). Received: kernel shapes="
                f"{shapes + [out_kernel.shape]}, expected "
                f"{expected + [out_expected]}"
            )
        flat = [k.reshape(features, -1) for k in kernels]
        self.qkv_kernel.assign(
            ops.concatenate([ops.convert_to_tensor(k) for k in flat], axis=-1)
        )
        self.output_kernel.assign(out_kernel.reshape(-1, out_expected[-1]))
        if self.use_bias:
            biases = [ops.convert_to_numpy(d.bias).reshape(-1) for d in dense]
            self.qkv_bias.assign(
                ops.concatenate(
                    [ops.convert_to_tensor(b) for b in biases], axis=-1
                )
            )
            self.output_bias.assign(
                ops.convert_to_numpy(layer.output_dense.bias)
            )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "key_dim": self.key_dim,
                "value_dim": self.value_dim,
                "dropout": self.dropout,
                "use_bias": self.use_bias,
                "output_dim": self.output_dim,
                "window": self.window,
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
                "seed": self.seed,
            }
        )
        return config

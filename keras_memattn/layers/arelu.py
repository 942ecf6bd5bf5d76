"""AReLU: the attention-based rectified linear unit (Chen et al., 2020)."""

import keras
from keras import ops

from keras_memattn import _validation

ALPHA_RANGE = (0.01, 0.99)


def arelu(x, alpha, beta):
    """Applies AReLU to `x` with the scalar parameters `alpha` and `beta`.

    $$
    \\mathrm{AReLU}(x) =
    \\begin{cases}
    (1 + \\sigma(\\beta))\\, x & x \\ge 0 \\\\
    \\mathrm{clip}(\\alpha, 0.01, 0.99)\\, x & x < 0
    \\end{cases}
    $$

    The clip is applied in the forward pass, so `alpha` gets no gradient
    while it lies outside `[0.01, 0.99]`, as in the reference implementation.
    This function is shared by `keras_memattn.layers.AReLU` and the candidate
    activation of `keras_memattn.layers.AttentionGRUCell`.

    Args:
        x: tensor.
        alpha: scalar tensor, the slope for negative inputs (before the clip).
        beta: scalar tensor; positive inputs are scaled by `1 + sigmoid(beta)`.

    Returns:
        A tensor with the shape and dtype of `x`.
    """
    return apply_slopes(x, *slopes(alpha, beta, x.dtype))


def slopes(alpha, beta, dtype):
    """The AReLU slopes `(1 + sigmoid(beta), clip(alpha, 0.01, 0.99))`.

    Recurrent layers compute them once per sequence and call
    `apply_slopes` at every step.
    """
    positive = 1.0 + ops.sigmoid(ops.cast(beta, dtype))
    negative = ops.clip(ops.cast(alpha, dtype), *ALPHA_RANGE)
    # Some backends promote a clipped low-precision scalar to float32.
    return ops.cast(positive, dtype), ops.cast(negative, dtype)


def apply_slopes(x, positive, negative):
    """`x * positive` where `x >= 0`, else `x * negative`."""
    return x * ops.where(x >= 0, positive, negative)


@keras.saving.register_keras_serializable(package="keras_memattn")
class AReLU(keras.layers.Layer):
    """Attention-based rectified linear unit with two learnable scalars.

    Each element is rescaled by a learned factor that depends on its sign:

    $$
    \\mathrm{AReLU}(x) =
    \\begin{cases}
    (1 + \\sigma(\\beta))\\, x & x \\ge 0 \\\\
    \\mathrm{clip}(\\alpha, 0.01, 0.99)\\, x & x < 0
    \\end{cases}
    $$

    With the default initial values the positive slope is
    `1 + sigmoid(2) ~= 1.881` and the negative slope is `0.9`. The layer is
    element-wise and passes any incoming mask through unchanged.

    Args:
        alpha: float, the initial value of `alpha`, the slope for negative
            inputs. It is clipped to `[0.01, 0.99]` in the forward pass.
            Defaults to `0.9`.
        beta: float, the initial value of `beta`; positive inputs are scaled
            by `1 + sigmoid(beta)`. Defaults to `2.0`.
        **kwargs: base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: a tensor of any shape.
        mask: optional mask; it does not change the result and is passed
            on to the next layer.

    Returns:
        A tensor with the shape of `inputs`, in the layer's compute dtype.

    Example:

    ```python
    import numpy as np
    import keras_memattn

    layer = keras_memattn.layers.AReLU()
    y = layer(np.array([[-1.0, 0.0, 1.0]], "float32"))
    # y ~= [[-0.9, 0.0, 1.881]]
    ```

    References:
        - [Chen et al., 2020](https://arxiv.org/abs/2006.13858), "AReLU:
          Attention-based Rectified Linear Unit".

    Differences from other implementations: the weights are scalars named
    `alpha` and `beta`, as in the reference code; the clip of `alpha` is a
    forward-pass clip rather than a weight constraint, so the stored value
    may leave the range while the applied slope does not.
    """

    def __init__(self, alpha=0.9, beta=2.0, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.alpha_init = _validation.finite_float("alpha", alpha, owner)
        self.beta_init = _validation.finite_float("beta", beta, owner)
        self.supports_masking = True

    def build(self, input_shape):
        self.alpha = self.add_weight(
            shape=(),
            name="alpha",
            initializer=keras.initializers.Constant(self.alpha_init),
        )
        self.beta = self.add_weight(
            shape=(),
            name="beta",
            initializer=keras.initializers.Constant(self.beta_init),
        )

    def call(self, inputs, mask=None):
        del mask  # Element-wise: the mask passes through unchanged.
        inputs = ops.cast(inputs, self.compute_dtype)
        return arelu(inputs, self.alpha, self.beta)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"alpha": self.alpha_init, "beta": self.beta_init})
        return config

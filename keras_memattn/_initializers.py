"""Initializer helpers.

`fresh` makes fresh initializer instances for layers with several weights.
A Keras initializer object returns the same values every time it is called
with the same shape (an unseeded one draws its seed once, when it is made).
A layer that initializes several weights of one shape with the initializer
it was given would start them equal: the query, key and value blocks of a
fused projection, or the embedding tables of a memory network. Each such
weight gets its own copy, as `keras.layers.MultiHeadAttention` does for its
projections: an unseeded initializer then draws new values for each, while
a seeded one repeats its values, as Keras documents.

`in_float32` lets an initializer that has no half-precision kernel (Keras'
`Orthogonal`) initialize float16 and bfloat16 weights.
"""

import keras


def fresh(initializer):
    """A new instance of `initializer` with the same configuration.

    Callables that are not `keras.initializers.Initializer` instances (plain
    functions) are returned as they are.
    """
    if isinstance(initializer, keras.initializers.Initializer):
        return initializer.__class__.from_config(initializer.get_config())
    return initializer


def in_float32(initializer):
    """`initializer`, drawing float16 and bfloat16 weights in float32.

    Keras' `Orthogonal` initializer (the default recurrent initializer)
    takes a QR decomposition, which JAX and PyTorch do not implement in
    float16 or bfloat16 and TensorFlow not in bfloat16, so a recurrent
    layer with a `"float16"` or `"bfloat16"` dtype policy could not be
    built. The values are drawn in float32 and cast instead; other dtypes
    go to `initializer` unchanged.
    """
    initializer = keras.initializers.get(initializer)

    def initialize(shape, dtype=None):
        dtype = keras.backend.standardize_dtype(dtype or keras.config.floatx())
        if dtype in ("float16", "bfloat16"):
            values = initializer(shape, dtype="float32")
            return keras.ops.cast(values, dtype)
        return initializer(shape, dtype=dtype)

    return initialize

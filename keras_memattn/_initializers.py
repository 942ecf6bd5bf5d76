"""Fresh initializer instances for layers with several weights.

A Keras initializer object returns the same values every time it is called
with the same shape (an unseeded one draws its seed once, when it is made).
A layer that initializes several weights of one shape with the initializer
it was given would start them equal: the query, key and value blocks of a
fused projection, or the embedding tables of a memory network. Each such
weight gets its own copy, as `keras.layers.MultiHeadAttention` does for its
projections: an unseeded initializer then draws new values for each, while
a seeded one repeats its values, as Keras documents.
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

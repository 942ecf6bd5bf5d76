"""Pure functions on `keras.ops` used by the layers: no weights, any backend."""

from keras_memattn.ops.masking import large_negative as large_negative
from keras_memattn.ops.masking import masked_softmax as masked_softmax

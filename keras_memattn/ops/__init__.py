"""Pure functions on `keras.ops` used by the layers: no weights, any backend."""

from keras_memattn.ops import quantization as quantization
from keras_memattn.ops.addressing import circular_shift as circular_shift
from keras_memattn.ops.addressing import content_weights as content_weights
from keras_memattn.ops.addressing import interpolate as interpolate
from keras_memattn.ops.addressing import ntm_weights as ntm_weights
from keras_memattn.ops.addressing import sharpen as sharpen
from keras_memattn.ops.addressing import similarity as similarity
from keras_memattn.ops.masking import large_negative as large_negative
from keras_memattn.ops.masking import masked_softmax as masked_softmax
from keras_memattn.ops.quantization import (
    QuantizationConfig as QuantizationConfig,
)
from keras_memattn.ops.quantization import binary as binary
from keras_memattn.ops.quantization import fixed_point as fixed_point
from keras_memattn.ops.quantization import (
    hamming_similarity as hamming_similarity,
)

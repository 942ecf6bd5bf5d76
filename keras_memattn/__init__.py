"""Memory and attention layers for Keras 3.

One source runs on the TensorFlow, JAX and PyTorch backends: every layer is
written with `keras.ops` only.
"""

from keras_memattn import callbacks as callbacks
from keras_memattn import datasets as datasets
from keras_memattn import export as export
from keras_memattn import layers as layers
from keras_memattn import models as models
from keras_memattn import ops as ops
from keras_memattn.version import __version__ as __version__

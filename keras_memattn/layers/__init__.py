"""Public layers of keras_memattn.

Every class here is registered for Keras serialization under the package name
`keras_memattn`, so `.keras` files load without `custom_objects`.
"""

from keras_memattn.layers.arelu import AReLU as AReLU
from keras_memattn.layers.attention_gru import AttentionGRU as AttentionGRU
from keras_memattn.layers.attention_gru import (
    AttentionGRUCell as AttentionGRUCell,
)
from keras_memattn.layers.attention_pooling import (
    AttentionPooling as AttentionPooling,
)
from keras_memattn.layers.mann import MANNCell as MANNCell
from keras_memattn.layers.mann import MANNLayer as MANNLayer
from keras_memattn.layers.memory_network import MemoryNetwork as MemoryNetwork
from keras_memattn.layers.self_attention import (
    MultiHeadSelfAttention as MultiHeadSelfAttention,
)
from keras_memattn.layers.working_memory_lstm import (
    WorkingMemoryLSTM as WorkingMemoryLSTM,
)
from keras_memattn.layers.working_memory_lstm import (
    WorkingMemoryLSTMCell as WorkingMemoryLSTMCell,
)

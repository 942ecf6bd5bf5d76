"""Callbacks and plots: attention maps and memory addressing in TensorBoard.

matplotlib and TensorFlow are imported only when an image is drawn or
written, so importing this module costs nothing on any backend.
"""

from keras_memattn.callbacks.attention_logger import (
    AttentionLogger as AttentionLogger,
)
from keras_memattn.callbacks.attention_logger import (
    get_attention_scores as get_attention_scores,
)
from keras_memattn.callbacks.linear_start import LinearStart as LinearStart
from keras_memattn.callbacks.memory_logger import (
    MemoryAddressingLogger as MemoryAddressingLogger,
)
from keras_memattn.callbacks.memory_logger import (
    get_memory_addressing as get_memory_addressing,
)
from keras_memattn.callbacks.plotting import plot_attention as plot_attention

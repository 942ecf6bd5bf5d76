"""TF-Lite export with builtin ops only, verified in the LiteRT interpreter,
and the tokenizer of a text classifier for the app that runs it."""

from keras_memattn.export.tflite import QUANTIZE_MODES as QUANTIZE_MODES
from keras_memattn.export.tflite import TFLiteExportError as TFLiteExportError
from keras_memattn.export.tflite import TFLiteReport as TFLiteReport
from keras_memattn.export.tflite import check_builtin_ops as check_builtin_ops
from keras_memattn.export.tflite import list_ops as list_ops
from keras_memattn.export.tflite import to_tflite as to_tflite
from keras_memattn.export.tflite import verify_tflite as verify_tflite
from keras_memattn.export.tokenizer import save_tokenizer as save_tokenizer
from keras_memattn.export.tokenizer import tokenizer_config as tokenizer_config

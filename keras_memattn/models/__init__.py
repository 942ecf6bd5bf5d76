"""keras_memattn.models."""

from keras_memattn.models.distribution import data_parallel as data_parallel
from keras_memattn.models.evaluation import (
    classification_metrics as classification_metrics,
)
from keras_memattn.models.evaluation import summarize_folds as summarize_folds
from keras_memattn.models.naive_bayes import (
    NaiveBayesNgrams as NaiveBayesNgrams,
)
from keras_memattn.models.naive_bayes import add_naive_bayes as add_naive_bayes
from keras_memattn.models.sequence_tasks import (
    babi_memory_network as babi_memory_network,
)
from keras_memattn.models.sequence_tasks import copy_model as copy_model
from keras_memattn.models.text_classifier import ENCODERS as ENCODERS
from keras_memattn.models.text_classifier import HashedNgrams as HashedNgrams
from keras_memattn.models.text_classifier import (
    MaskedAveragePooling as MaskedAveragePooling,
)
from keras_memattn.models.text_classifier import (
    MaskedMaxPooling as MaskedMaxPooling,
)
from keras_memattn.models.text_classifier import (
    PositionEmbedding as PositionEmbedding,
)
from keras_memattn.models.text_classifier import (
    SubwordEmbedding as SubwordEmbedding,
)
from keras_memattn.models.text_classifier import TokenIds as TokenIds
from keras_memattn.models.text_classifier import (
    get_class_names as get_class_names,
)
from keras_memattn.models.text_classifier import (
    get_vectorizer as get_vectorizer,
)
from keras_memattn.models.text_classifier import (
    text_classifier as text_classifier,
)

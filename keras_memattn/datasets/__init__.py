"""Dataset loaders (real benchmark data) and generators (algorithmic tasks)."""

from keras_memattn.datasets._files import find_file as find_file
from keras_memattn.datasets.algorithmic import adding_problem as adding_problem
from keras_memattn.datasets.algorithmic import (
    associative_recall as associative_recall,
)
from keras_memattn.datasets.algorithmic import copy_task as copy_task
from keras_memattn.datasets.babi import load_babi as load_babi
from keras_memattn.datasets.babi import load_babi_joint as load_babi_joint
from keras_memattn.datasets.text import (
    cross_validation_splits as cross_validation_splits,
)
from keras_memattn.datasets.text import load_ag_news as load_ag_news
from keras_memattn.datasets.text import load_imdb as load_imdb
from keras_memattn.datasets.text import load_mr as load_mr
from keras_memattn.datasets.text import load_sst2 as load_sst2
from keras_memattn.datasets.text import load_subj as load_subj
from keras_memattn.datasets.text import (
    load_text_classification as load_text_classification,
)
from keras_memattn.datasets.text import load_trec as load_trec
from keras_memattn.datasets.vectorizer import TextVectorizer as TextVectorizer

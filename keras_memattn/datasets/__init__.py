"""Dataset loaders (real benchmark data) and generators (algorithmic tasks)."""

from keras_memattn.datasets._files import find_file as find_file

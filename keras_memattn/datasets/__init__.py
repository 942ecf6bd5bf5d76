"""keras_memattn.datasets."""

"""keras_memattn.callbacks."""

"""keras_memattn.ops."""

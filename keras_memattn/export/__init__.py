"""keras_memattn.export."""

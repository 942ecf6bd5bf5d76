"""keras_memattn.models."""

"""Public layers of keras_memattn.

Every class here is registered for Keras serialization under the package name
`keras_memattn`, so `.keras` files load without `custom_objects`.
"""

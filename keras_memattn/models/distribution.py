"""Data-parallel training through Keras' own distribution API."""

import keras


def data_parallel(devices=None):
    """A `keras.distribution.DataParallel` over the local devices (JAX).

    Each batch is split across the devices, every device holds a full copy
    of the weights, and gradients are averaged, so the model trains as on one
    device with the same global batch size. Create **and** train the model
    inside the returned distribution's `scope()` (or pass it to
    `keras.distribution.set_distribution` first).

    The same API scales beyond one machine: on several GPUs of one host,
    `keras.distribution.list_devices("gpu")` lists them; on several hosts,
    call `keras.distribution.initialize()` on every host first (it reads the
    coordinator address, number of processes and process id from its
    arguments or the environment), after which `list_devices()` returns the
    devices of all hosts and `DataParallel` shards each global batch across
    them. Larger models can switch to `keras.distribution.ModelParallel`
    with a `LayoutMap`; this package adds no distribution code of its own.

    Every batch, the last one of an epoch included, must split evenly over
    the devices: pick a batch size and a number of examples that are
    multiples of the device count (JAX raises an `IndivisibleError`
    otherwise).

    Args:
        devices: optional list of distinct device names (e.g.
            `["cpu:0", "cpu:1"]`). Defaults to every device of the default
            kind, `keras.distribution.list_devices()`.

    Returns:
        A `keras.distribution.DataParallel`.

    Raises:
        ValueError: when the Keras backend is not JAX (Keras' distribution
            API is implemented for JAX only), or for `devices` that is a
            string, empty or names a device twice.

    Example:

    ```python
    distribution = keras_memattn.models.data_parallel()
    with distribution.scope():
        model = keras_memattn.models.text_classifier(
            encoder="lstm", vocab_size=1000, num_classes=2
        )
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=64)
    ```
    """
    backend = keras.backend.backend()
    if backend != "jax":
        raise ValueError(
            "Data-parallel training uses `keras.distribution.DataParallel`, "
            "which Keras implements for the JAX backend only. Set "
            f"KERAS_BACKEND=jax. Received: backend={backend!r}"
        )
    if devices is None:
        devices = keras.distribution.list_devices()
    elif not isinstance(devices, str):
        # Once: a generator read twice would be empty the second time.
        devices = list(devices)
    if isinstance(devices, str) or not devices:
        # A lone string would become a mesh of its characters, and Keras
        # reads an empty list as "all devices".
        raise ValueError(
            "`devices` must be None or a non-empty list of device names, "
            f"e.g. ['cpu:0', 'cpu:1']. Received: devices={devices!r}"
        )
    keys = [_device_key(device) for device in devices]
    if len(set(keys)) != len(keys):
        # JAX fails later, when the first variable is created, with a bare
        # AssertionError.
        raise ValueError(
            "`devices` must not name a device twice. "
            f"Received: devices={devices!r}"
        )
    return keras.distribution.DataParallel(devices=devices)


def _device_key(device):
    """`(platform, id)` of a device or device name, as Keras resolves it
    (`"cpu"` is `"cpu:0"`); the name itself when it does not parse."""
    if hasattr(device, "platform") and hasattr(device, "id"):
        return (device.platform, device.id)
    name = str(device)
    kind, _, index = name.partition(":")
    try:
        return (kind, int(index or 0))
    except ValueError:
        return name

"""One reusable check for every public layer, on whichever backend is active.

`run_layer_test` follows the pattern of Keras' own (private) layer test and
adds what a user of this package relies on:

1. `get_config` -> `from_config`: the revived layer has the same config and,
   given the same weights, computes the same outputs (a config that drops or
   mangles an argument fails here); every constructor argument is in the
   config.
2. `keras.saving.serialize_keras_object` -> `deserialize_keras_object`.
3. Symbolic (`KerasTensor`) and eager calls: output shapes and dtypes, and
   `compute_output_shape` where the layer implements it.
4. Weight counts after build.
5. One `fit` step with `jit_compile="auto"`: finite loss, and every trainable
   weight changes (unless named in `static_weights`).
6. `mixed_float16` and `mixed_bfloat16`: float32 variables, outputs in the
   compute dtype, all finite.
7. Masking (when `supports_masking`): the mask reaches the layer through
   `keras.layers.Masking`, the output mask is what `expected_output_mask`
   says, and a fully padded row gives finite outputs.
8. `.keras` save -> `keras.models.load_model` (no `custom_objects`,
   `safe_mode=True`) -> identical outputs.

Inputs are numpy arrays (or a list of them, passed as the layer's first
argument). Array values in `call_kwargs` become extra model inputs.
"""

import inspect
import os
import tempfile

import keras
import numpy as np
from keras import ops
from keras import tree

FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


def run_layer_test(
    layer_cls,
    init_kwargs,
    input_data=None,
    input_shape=None,
    call_kwargs=None,
    expected_output_shape=None,
    expected_output_dtype=None,
    expected_num_trainable_weights=None,
    expected_num_non_trainable_weights=None,
    supports_masking=False,
    expected_output_mask="input",
    run_training_check=True,
    run_mixed_precision_check=True,
    run_saving_check=True,
    static_weights=(),
    seed=0,
):
    """Runs the shared layer checks; raises AssertionError on a failure.

    Args:
        layer_cls: the layer class.
        init_kwargs: constructor arguments.
        input_data: a numpy array or a list of arrays (first call argument).
        input_shape: used instead of `input_data`: a shape or a list of
            shapes (with batch size); standard-normal float32 data is drawn.
        call_kwargs: extra call arguments; numpy arrays among them become
            model inputs in the functional checks.
        expected_output_shape: shape (or structure of shapes, with batch).
        expected_output_dtype: dtype of every float output (default:
            float32).
        expected_num_trainable_weights: expected count after build.
        expected_num_non_trainable_weights: expected count after build.
        supports_masking: run the masking checks. The first input must be a
            float tensor `(batch, time, features)`.
        expected_output_mask: "input" (the output carries the time mask of
            the input) or None (the layer consumes the mask).
        run_training_check: run the `fit` step.
        run_mixed_precision_check: run the mixed precision passes.
        run_saving_check: run the `.keras` round trip.
        static_weights: names of trainable weights allowed not to change in
            one training step.
        seed: seed for the generated data.
    """
    call_kwargs = dict(call_kwargs or {})
    if input_data is None:
        if input_shape is None:
            raise ValueError("Pass `input_data` or `input_shape`.")
        rng = np.random.default_rng(seed)
        input_data = tree.map_shape_structure(
            lambda s: rng.standard_normal(s).astype("float32"), input_shape
        )
    expected_output_dtype = expected_output_dtype or "float32"

    _check_config_round_trip(layer_cls, init_kwargs, input_data, call_kwargs)
    _check_serialization(layer_cls, init_kwargs)
    layer = _check_shapes_and_dtypes(
        layer_cls,
        init_kwargs,
        input_data,
        call_kwargs,
        expected_output_shape,
        expected_output_dtype,
    )
    _check_distinct_initial_weights(layer)
    if expected_num_trainable_weights is not None:
        got = len(layer.trainable_weights)
        assert got == expected_num_trainable_weights, (
            f"{layer_cls.__name__}: expected {expected_num_trainable_weights} "
            f"trainable weights, found {got}: "
            f"{[w.path for w in layer.trainable_weights]}"
        )
    if expected_num_non_trainable_weights is not None:
        got = len(layer.non_trainable_weights)
        assert got == expected_num_non_trainable_weights, (
            f"{layer_cls.__name__}: expected "
            f"{expected_num_non_trainable_weights} non-trainable weights, "
            f"found {got}"
        )
    if run_training_check:
        _check_training(
            layer_cls, init_kwargs, input_data, call_kwargs, static_weights
        )
    if run_mixed_precision_check:
        for policy in ("mixed_float16", "mixed_bfloat16"):
            _check_mixed_precision(
                layer_cls, init_kwargs, input_data, call_kwargs, policy
            )
    if supports_masking:
        _check_masking(
            layer_cls,
            init_kwargs,
            input_data,
            call_kwargs,
            expected_output_mask,
        )
    if run_saving_check:
        _check_saving(layer_cls, init_kwargs, input_data, call_kwargs)
    return layer


# --------------------------------------------------------------------------
# Individual checks.


def _check_config_round_trip(layer_cls, init_kwargs, input_data, call_kwargs):
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    for key, value in init_kwargs.items():
        if key in ("name", "dtype"):
            continue
        assert key in config, (
            f"{layer_cls.__name__}.get_config() lacks the constructor "
            f"argument `{key}`. Config keys: {sorted(config)}"
        )
        # A string such as "glorot_uniform" comes back as a serialized
        # object; the outputs of the revived layer below check those.
        if _is_plain(value) and not isinstance(config[key], dict):
            assert _same_plain(config[key], value), (
                f"{layer_cls.__name__}.get_config()[{key!r}] is "
                f"{config[key]!r}, but the layer was built with {value!r}"
            )
    revived = layer_cls.from_config(config)
    assert revived.get_config() == config, (
        f"{layer_cls.__name__}: config changed in a from_config round trip:"
        f"\n{config}\n!=\n{revived.get_config()}"
    )
    out = _call(layer, input_data, call_kwargs)
    _call(revived, input_data, call_kwargs)
    weights = layer.get_weights()
    try:
        revived.set_weights(weights)
    except ValueError as e:
        raise AssertionError(
            f"{layer_cls.__name__}: the layer revived from its config has "
            f"different weights: {e}"
        ) from e
    out2 = _call(revived, input_data, call_kwargs)
    _assert_allclose(
        out,
        out2,
        atol=1e-6,
        msg=f"{layer_cls.__name__}: the layer revived from its config "
        "computes different outputs with the same weights",
    )


def _check_distinct_initial_weights(layer):
    """No two weights start with the same random values.

    A Keras initializer object returns the same values for the same shape
    on every call, and for a longer first axis the same leading rows (with
    `"uniform"` or `"random_normal"`, whose scale does not depend on the
    shape). So a layer that reuses one for several weights starts them, or
    their first rows, equal; constant initializers such as zeros are
    expected to.
    """
    values = [
        (w.path, keras.ops.convert_to_numpy(w.value)) for w in layer.weights
    ]
    for i, (path_i, a) in enumerate(values):
        if a.size < 2 or np.all(a == a.flat[0]):
            continue
        for path_j, b in values[:i]:
            if a.shape[1:] != b.shape[1:] or not a.ndim:
                continue
            rows = min(len(a), len(b))
            assert not np.array_equal(a[:rows], b[:rows]), (
                f"{type(layer).__name__}: weights {path_j} and {path_i} "
                f"start with identical values in their first {rows} rows "
                "(an initializer object reused for both?)"
            )


def _check_serialization(layer_cls, init_kwargs):
    layer = layer_cls(**init_kwargs)
    serialized = keras.saving.serialize_keras_object(layer)
    registered = keras.saving.get_registered_name(layer_cls)
    assert registered.startswith("keras_memattn>") or not (
        layer_cls.__module__.startswith("keras_memattn")
    ), (
        f"{layer_cls.__name__} is not registered under the keras_memattn "
        f"package (registered name: {registered})"
    )
    revived = keras.saving.deserialize_keras_object(serialized)
    assert type(revived) is layer_cls, type(revived)
    assert revived.get_config() == layer.get_config()


def _check_shapes_and_dtypes(
    layer_cls,
    init_kwargs,
    input_data,
    call_kwargs,
    expected_output_shape,
    expected_output_dtype,
):
    # Symbolic call.
    layer = layer_cls(**init_kwargs)
    symbolic_in = tree.map_structure(
        lambda x: keras.KerasTensor(x.shape, dtype=str(x.dtype)), input_data
    )
    symbolic_kwargs = {
        k: keras.KerasTensor(v.shape, dtype=str(v.dtype))
        if isinstance(v, np.ndarray)
        else v
        for k, v in call_kwargs.items()
    }
    symbolic_out = layer(symbolic_in, **symbolic_kwargs)
    if expected_output_shape is not None:
        _assert_shapes(
            symbolic_out, expected_output_shape, "symbolic call", layer_cls
        )
    _assert_float_dtypes(
        symbolic_out, expected_output_dtype, "symbolic call", layer_cls
    )

    # Eager call on a fresh layer.
    layer = layer_cls(**init_kwargs)
    eager_out = _call(layer, input_data, call_kwargs)
    if expected_output_shape is not None:
        _assert_shapes(
            eager_out, expected_output_shape, "eager call", layer_cls
        )
    _assert_float_dtypes(
        eager_out, expected_output_dtype, "eager call", layer_cls
    )
    _assert_finite(eager_out, f"{layer_cls.__name__} eager call")

    if not call_kwargs and _overrides(layer, "compute_output_shape"):
        in_shape = tree.map_structure(lambda x: tuple(x.shape), input_data)
        computed = layer.compute_output_shape(in_shape)
        _assert_shapes_equal(
            computed,
            tree.map_structure(lambda x: tuple(x.shape), eager_out),
            f"{layer_cls.__name__}.compute_output_shape",
        )
    return layer


def _check_training(
    layer_cls, init_kwargs, input_data, call_kwargs, static_weights
):
    keras.utils.set_random_seed(0)
    layer = layer_cls(**init_kwargs)
    model, feed = _functional_model(layer, input_data, call_kwargs)
    outputs = tree.flatten(model.outputs)
    targets = [np.zeros(o.shape[1:], "float32") for o in outputs]
    batch = len(tree.flatten(input_data)[0])
    targets = [np.broadcast_to(t, (batch, *t.shape)).copy() for t in targets]
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss=["mse"] * len(outputs) if len(outputs) > 1 else "mse",
        jit_compile="auto",
    )
    before = {w.path: ops.convert_to_numpy(w) for w in layer.trainable_weights}
    history = model.fit(
        feed,
        targets if len(targets) > 1 else targets[0],
        batch_size=batch,
        epochs=1,
        verbose=0,
    )
    loss = history.history["loss"][0]
    assert np.isfinite(loss), f"{layer_cls.__name__}: training loss {loss}"
    unchanged = []
    for w in layer.trainable_weights:
        if any(w.path.endswith(name) for name in static_weights):
            continue
        if np.array_equal(before[w.path], ops.convert_to_numpy(w)):
            unchanged.append(w.path)
    assert not unchanged, (
        f"{layer_cls.__name__}: one training step left these trainable "
        f"weights unchanged (no gradient reaches them): {unchanged}"
    )


def _check_mixed_precision(
    layer_cls, init_kwargs, input_data, call_kwargs, policy
):
    kwargs = dict(init_kwargs, dtype=policy)
    layer = layer_cls(**kwargs)
    out = _call(layer, input_data, call_kwargs)
    compute_dtype = keras.DTypePolicy(policy).compute_dtype
    _assert_float_dtypes(out, compute_dtype, policy, layer_cls)
    for w in layer.weights:
        if w.dtype in FLOAT_DTYPES:
            assert w.dtype == "float32", (
                f"{layer_cls.__name__} under {policy}: variable {w.path} "
                f"has dtype {w.dtype}, expected float32"
            )
    _assert_finite(out, f"{layer_cls.__name__} under {policy}")


_NOT_CALLED = object()


class _MaskProbe(keras.layers.Layer):
    """Records the Keras mask it receives (eager use only)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.received = _NOT_CALLED

    def call(self, inputs, mask=None):
        self.received = mask
        return inputs


def _check_masking(
    layer_cls, init_kwargs, input_data, call_kwargs, expected_output_mask
):
    leaves = tree.flatten(input_data)
    x = np.array(leaves[0], dtype="float32", copy=True)
    assert x.ndim == 3, "masking check needs a (batch, time, features) input"
    batch, steps = x.shape[:2]
    keep = np.ones((batch, steps), bool)
    keep[0, steps // 2 :] = False  # Right padding.
    if batch > 1:
        keep[1, :] = False  # A fully padded row.
    x[~keep] = 0.0
    masked_leaves = [x] + list(leaves[1:])
    data = tree.pack_sequence_as(input_data, masked_leaves)

    layer = layer_cls(**init_kwargs)
    masking = keras.layers.Masking(mask_value=0.0)
    tensors = tree.map_structure(ops.convert_to_tensor, data)
    first = masking(tensors[0] if isinstance(tensors, list) else tensors)
    if isinstance(tensors, list):
        tensors = [first] + tensors[1:]
    else:
        tensors = first
    kwargs = {
        k: ops.convert_to_tensor(v) if isinstance(v, np.ndarray) else v
        for k, v in call_kwargs.items()
    }
    out = layer(tensors, **kwargs)
    _assert_finite(
        out, f"{layer_cls.__name__} with masked input (one row fully padded)"
    )
    probe = _MaskProbe()
    probe(tree.flatten(out)[0])
    if expected_output_mask == "input":
        assert probe.received is not None, (
            f"{layer_cls.__name__} did not propagate the input mask"
        )
        np.testing.assert_array_equal(
            ops.convert_to_numpy(probe.received).astype(bool),
            keep,
            err_msg=f"{layer_cls.__name__}: wrong output mask",
        )
    elif expected_output_mask is None:
        assert probe.received is None, (
            f"{layer_cls.__name__} should consume the mask, but its output "
            "carries one"
        )
    if "mask" not in inspect.signature(layer.call).parameters:
        # The layer only passes the mask on; it cannot read it, so there is
        # nothing to leak through.
        return
    # The mask must matter: the unpadded and padded results for row 0 differ
    # unless the layer ignores the padded steps. Compare with a call where
    # the padded steps hold other values: the kept rows must not change.
    noisy = np.array(x, copy=True)
    noisy_keep = keep.copy()
    rng = np.random.default_rng(1)
    noisy[~noisy_keep] = rng.standard_normal(noisy[~noisy_keep].shape)
    mask_tensor = ops.convert_to_tensor(noisy_keep)
    first_noisy = ops.convert_to_tensor(noisy)
    inputs_noisy = (
        [first_noisy]
        + list(tree.map_structure(ops.convert_to_tensor, leaves))[1:]
        if isinstance(input_data, list)
        else first_noisy
    )
    inputs_clean = (
        [ops.convert_to_tensor(x)]
        + list(tree.map_structure(ops.convert_to_tensor, leaves))[1:]
        if isinstance(input_data, list)
        else ops.convert_to_tensor(x)
    )
    out_noisy = layer(
        inputs_noisy, mask=_mask_arg(inputs_noisy, mask_tensor), **kwargs
    )
    out_clean = layer(
        inputs_clean, mask=_mask_arg(inputs_clean, mask_tensor), **kwargs
    )
    first_noisy_out = ops.convert_to_numpy(tree.flatten(out_noisy)[0])
    first_clean_out = ops.convert_to_numpy(tree.flatten(out_clean)[0])
    if first_clean_out.ndim >= 2 and first_clean_out.shape[:2] == (
        batch,
        steps,
    ):
        # Sequence output: compare the kept steps only.
        np.testing.assert_allclose(
            first_noisy_out[keep],
            first_clean_out[keep],
            atol=1e-5,
            err_msg=f"{layer_cls.__name__}: values at padded steps leak into "
            "unpadded outputs",
        )
    else:
        np.testing.assert_allclose(
            first_noisy_out,
            first_clean_out,
            atol=1e-5,
            err_msg=f"{layer_cls.__name__}: values at padded steps change "
            "the output",
        )


def _mask_arg(inputs, mask):
    if isinstance(inputs, list):
        return [mask] + [None] * (len(inputs) - 1)
    return mask


def _check_saving(layer_cls, init_kwargs, input_data, call_kwargs):
    keras.utils.set_random_seed(0)
    layer = layer_cls(**init_kwargs)
    model, feed = _functional_model(layer, input_data, call_kwargs)
    expected = model.predict(feed, verbose=0)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        loaded = keras.models.load_model(path, safe_mode=True)
    reloaded = [sub for sub in loaded.layers if type(sub) is layer_cls]
    assert reloaded, f"{layer_cls.__name__} is missing from the loaded model"
    got = loaded.predict(feed, verbose=0)
    _assert_allclose(
        expected,
        got,
        atol=1e-6,
        msg=f"{layer_cls.__name__}: outputs differ after .keras save/load",
    )


# --------------------------------------------------------------------------
# Helpers.


def _call(layer, input_data, call_kwargs, training=None):
    data = tree.map_structure(ops.convert_to_tensor, input_data)
    kwargs = {
        k: ops.convert_to_tensor(v) if isinstance(v, np.ndarray) else v
        for k, v in call_kwargs.items()
    }
    if training is not None:
        kwargs["training"] = training
    return layer(data, **kwargs)


def _functional_model(layer, input_data, call_kwargs):
    def make_input(x):
        return keras.Input(shape=x.shape[1:], dtype=str(x.dtype))

    inputs = tree.map_structure(make_input, input_data)
    kw_inputs = {
        k: make_input(v)
        for k, v in call_kwargs.items()
        if isinstance(v, np.ndarray)
    }
    kwargs = {**call_kwargs, **kw_inputs}
    outputs = layer(inputs, **kwargs)
    flat_outputs = [
        o for o in tree.flatten(outputs) if str(o.dtype) in FLOAT_DTYPES
    ]
    model_inputs = tree.flatten(inputs) + list(kw_inputs.values())
    feed = tree.flatten(input_data) + [call_kwargs[k] for k in kw_inputs]
    if len(model_inputs) == 1:
        model_inputs, feed = model_inputs[0], feed[0]
    if len(flat_outputs) == 1:
        flat_outputs = flat_outputs[0]
    return keras.Model(model_inputs, flat_outputs), feed


def _overrides(layer, method):
    own = getattr(type(layer), method, None)
    return own is not None and own is not getattr(keras.layers.Layer, method)


def _is_plain(value):
    return isinstance(value, (int, float, str, bool, type(None))) or (
        isinstance(value, (list, tuple))
        and all(isinstance(v, (int, float, str, bool)) for v in value)
    )


def _same_plain(a, b):
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b)
    return a == b


def _shape_of(x):
    return tuple(x.shape)


def _assert_shapes(outputs, expected, where, layer_cls):
    got = tree.map_structure(_shape_of, outputs)
    _assert_shapes_equal(got, expected, f"{layer_cls.__name__} {where}")


def _assert_shapes_equal(got, expected, where):
    def norm(s):
        return tuple(s)

    flat_got = tree.flatten(tree.map_shape_structure(norm, got))
    flat_expected = tree.flatten(tree.map_shape_structure(norm, expected))
    assert flat_got == flat_expected, (
        f"{where}: output shape {got}, expected {expected}"
    )


def check_keras_argument_order(layer_cls, keras_cls, extra, renamed=None):
    """Asserts `layer_cls` takes `keras_cls`'s arguments first, in order.

    A positional call written for the Keras class then means the same for
    `layer_cls`. `extra` lists the arguments that follow Keras' own;
    `renamed` maps a Keras argument name to the layer's name for it.
    """

    def names(cls):
        params = inspect.signature(cls.__init__).parameters
        return [n for n in params if n not in ("self", "kwargs")]

    renamed = renamed or {}
    expected = [renamed.get(n, n) for n in names(keras_cls)] + list(extra)
    assert names(layer_cls) == expected, (names(layer_cls), expected)


def _assert_float_dtypes(outputs, dtype, where, layer_cls):
    for out in tree.flatten(outputs):
        got = keras.backend.standardize_dtype(out.dtype)
        if got in FLOAT_DTYPES:
            assert got == dtype, (
                f"{layer_cls.__name__} {where}: output dtype {got}, "
                f"expected {dtype}"
            )


def _assert_finite(outputs, where):
    for out in tree.flatten(outputs):
        arr = ops.convert_to_numpy(ops.cast(out, "float32"))
        assert np.all(np.isfinite(arr)), f"{where}: non-finite outputs"


def _assert_allclose(a, b, atol, msg):
    flat_a = [np.asarray(ops.convert_to_numpy(x)) for x in tree.flatten(a)]
    flat_b = [np.asarray(ops.convert_to_numpy(x)) for x in tree.flatten(b)]
    assert len(flat_a) == len(flat_b), msg
    for x, y in zip(flat_a, flat_b):
        np.testing.assert_allclose(
            x.astype("float64"), y.astype("float64"), atol=atol, err_msg=msg
        )

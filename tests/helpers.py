"""Helpers shared by the tests: run a metric eagerly, in compiled fit and evaluate."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time

import keras
import numpy as np
from keras import ops

from keras_extras._naming import split_bound

# Property tests draw batch sizes and class counts from these few values only:
# eager JAX compiles every op again for each new input shape (12 updates with new
# shapes took 11.8 s, the same shapes again 0.06 s), so a fixed set keeps the JAX
# suite fast while hypothesis still varies values, weights, batches and tasks.
BATCH_SIZES = (1, 6, 16)
CLASS_COUNTS = (2, 3, 5)

# Compiled training as users get it: XLA on JAX and TensorFlow; torch has no
# XLA path, and Keras' "auto" leaves torch eager as well.
JIT_COMPILE = keras.backend.backend() != "torch"


def to_numpy(value):
    if isinstance(value, dict):
        return {k: to_numpy(v) for k, v in value.items()}
    return np.asarray(ops.convert_to_numpy(value), dtype=np.float64)


def run_eager(metric, batches):
    """Update `metric` eagerly with each `(y_true, y_pred, sample_weight)` and
    return `result()`: for tests of what eager execution itself does."""
    metric.reset_state()
    for y_true, y_pred, weight in batches:
        metric.update_state(y_true, y_pred, sample_weight=weight)
    return to_numpy(metric.result())


# On JAX, one compiled update and one compiled result per metric config and state
# shapes, shared by every metric built from that config; the jitted functions are
# keyed further by input shapes and dtypes as usual.
_JAX_PROGRAMS: dict = {}


def run_metric(metric, batches):
    """`run_eager`'s result, through the path that is cheap on each backend.

    Eager on torch and TensorFlow. On JAX, `stateless_update_state` and
    `stateless_result` under `jax.jit`: eager JAX compiles every op again for each
    new input shape (AUROC over the 9 shapes of BATCH_SIZES x CLASS_COUNTS: 11.7 s
    eager, 2.5 s jitted). `test_eager_equals_compiled.py` checks every metric's
    eager JAX path against this one.
    """
    if keras.backend.backend() != "jax":
        return run_eager(metric, batches)
    import jax

    metric.reset_state()
    batches = list(batches)
    if batches and not metric.variables:
        # State sized from the first batch (num_classes not given): built eagerly.
        y_true, y_pred, weight = batches.pop(0)
        metric.update_state(y_true, y_pred, sample_weight=weight)
    key = (
        type(metric),
        json.dumps(metric.get_config(), sort_keys=True, default=repr),
        tuple((tuple(v.shape), str(v.dtype)) for v in metric.variables),
    )
    if key not in _JAX_PROGRAMS:
        _JAX_PROGRAMS[key] = (
            jax.jit(
                lambda state, y_true, y_pred, weight, m=metric: (
                    m.stateless_update_state(
                        state, y_true, y_pred, sample_weight=weight
                    )
                )
            ),
            jax.jit(metric.stateless_result),
        )
    update, result = _JAX_PROGRAMS[key]
    state = [v.value for v in metric.variables]
    for y_true, y_pred, weight in batches:
        state = update(state, y_true, y_pred, weight)
    for variable, value in zip(metric.variables, state, strict=True):
        variable.assign(value)
    return to_numpy(result(state))


@keras.saving.register_keras_serializable(package="keras_extras_tests")
class PassThrough(keras.layers.Layer):
    """Outputs its input; owns one weight so `fit` has something to train."""

    def build(self, input_shape):
        self.unused = self.add_weight(shape=(), initializer="zeros")

    def call(self, inputs):
        return inputs + 0.0 * self.unused


@keras.saving.register_keras_serializable(package="keras_extras_tests")
def zero_loss(y_true, y_pred):
    return ops.mean(y_pred) * 0.0


def pass_through_model(pred_shape, metrics, jit_compile=JIT_COMPILE):
    """A model whose predictions are its inputs, compiled with `metrics`.

    They go in `weighted_metrics`: Keras passes `sample_weight` to those only.
    """
    model = keras.Sequential([keras.Input(shape=pred_shape[1:]), PassThrough()])
    model.compile(
        optimizer="sgd",
        loss=zero_loss,
        weighted_metrics=metrics,
        jit_compile=jit_compile,
    )
    return model


def compile_function(fn):
    """`fn` compiled as training steps are: XLA on JAX and TensorFlow, eager torch."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.jit(fn)
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=True)
    return fn


def logs_from_fit_and_evaluate(make_metric, y_true, y_pred, sample_weight, batch_size):
    """The metric's logs after one `fit` epoch and after `evaluate`, same data.

    Both run over several batches, so both check accumulation across updates.
    """
    model = pass_through_model(y_pred.shape, [make_metric()])
    history = model.fit(
        y_pred,
        y_true,
        sample_weight=sample_weight,
        batch_size=batch_size,
        epochs=1,
        shuffle=False,
        verbose=0,
    )
    fit_logs = {k: v[-1] for k, v in history.history.items() if k != "loss"}
    eval_logs = model.evaluate(
        y_pred,
        y_true,
        sample_weight=sample_weight,
        batch_size=batch_size,
        verbose=0,
        return_dict=True,
    )
    eval_logs = {k: to_numpy(v) for k, v in eval_logs.items() if k != "loss"}
    return fit_logs, eval_logs


def compiled_metrics(model):
    """The metric objects a compiled model holds, flattened."""
    found = []
    for metric in model.metrics:
        found.extend(getattr(metric, "metrics", [metric]))
    return found


def assert_save_load(make_metric, y_true, y_pred, tmp_path):
    """A model compiled with the metric saves to `.keras` and reloads without
    `custom_objects`, with the same config and the same evaluation."""
    metric = make_metric()
    model = pass_through_model(y_pred.shape, [metric])
    before = model.evaluate(y_pred, y_true, verbose=0, return_dict=True)
    path = tmp_path / "model.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    after = reloaded.evaluate(y_pred, y_true, verbose=0, return_dict=True)
    assert set(after) == set(before)
    for key, value in before.items():
        np.testing.assert_allclose(to_numpy(after[key]), to_numpy(value), atol=1e-6)
    restored = [m for m in compiled_metrics(reloaded) if m.name == metric.name]
    assert len(restored) == 1
    assert type(restored[0]) is type(metric)
    assert restored[0].get_config() == metric.get_config()


def evaluate_compiled(make_metric, y_true, y_pred, weight=None, batch_size=4):
    """The metric's value from a compiled `evaluate` over several batches."""
    metric = make_metric()
    model = pass_through_model(y_pred.shape, [metric])
    logs = model.evaluate(
        y_pred,
        y_true,
        sample_weight=weight,
        batch_size=batch_size,
        verbose=0,
        return_dict=True,
    )
    return to_numpy(logs[metric.name])


def both_ways(make_metric, y_true, y_pred, weight=None):
    """Eager over two batches, and compiled `evaluate`: both results."""
    half = len(y_pred) // 2
    batches = [
        (y_true[:half], y_pred[:half], None if weight is None else weight[:half]),
        (y_true[half:], y_pred[half:], None if weight is None else weight[half:]),
    ]
    eager = run_eager(make_metric(), batches)
    return eager, evaluate_compiled(make_metric, y_true, y_pred, weight)


def assert_both(make_metric, y_true, y_pred, expected, weight=None, atol=1e-6):
    for got in both_ways(make_metric, y_true, y_pred, weight):
        np.testing.assert_allclose(got, expected, atol=atol)


def run_compiled(metric, batches):
    """`run_eager`'s result through `stateless_update_state` and
    `stateless_result` compiled as training steps are (`compile_function`)."""
    update = compile_function(
        lambda state, y_true, y_pred, weight: metric.stateless_update_state(
            state, y_true, y_pred, sample_weight=weight
        )
    )
    result = compile_function(metric.stateless_result)
    metric.reset_state()
    state = [v.value for v in metric.variables]
    for y_true, y_pred, weight in batches:
        state = update(state, y_true, y_pred, weight)
    return to_numpy(result(state))


def assert_same_results(got, expected, atol=1e-6):
    """`got` equals `expected` (results, or dicts of them) key by key. Interval
    bounds (`<key>_low`, `<key>_high` next to `<key>`) come from random draws that
    depend on how the data was split into batches: they need only bracket their
    value."""
    if not isinstance(expected, dict):
        got, expected = {"value": got}, {"value": expected}
    assert set(got) == set(expected), (sorted(got), sorted(expected))
    for key, value in expected.items():
        base, bound = split_bound(key)
        if bound is not None and base in expected:
            point = np.asarray(got[base])
            inside = got[key] <= point if bound == "_low" else got[key] >= point
            assert np.all(inside) and np.all(np.isfinite(got[key])), key
            continue
        np.testing.assert_allclose(got[key], value, atol=atol, err_msg=key)


@contextlib.contextmanager
def running_until_written(script, directory, written):
    """Run `python -c script directory` until `directory / written` exists
    (after a "ready" line), yield the process, and kill it on the way out."""
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(directory)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 120
        while not (directory / written).exists():
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.02)
        yield process
    finally:
        process.kill()
        process.wait()


def kill_at_a_random_moment(script, directory, written, rng):
    """`running_until_written`, then SIGKILL at a random moment of the next
    1.5 s (training that saves every epoch spends most of it saving)."""
    with running_until_written(script, directory, written):
        time.sleep(rng.uniform(0.0, 1.5))

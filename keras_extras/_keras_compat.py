"""Every Keras name outside its public API that keras-extras relies on.

Keras offers no public way to do these things, so the library reads and writes
private names here and nowhere else:

- `Metric._direction` ("up" or "down"): what Keras' `EarlyStopping` and
  `ModelCheckpoint` read in `mode="auto"` to tell whether a metric is maximised
  (`keras.src.callbacks.monitor_callback.MonitorCallback._set_monitor_op`).
- `Optimizer._learning_rate`: the learning rate as it was given (a float held in a
  variable, or a `LearningRateSchedule`). The public `optimizer.learning_rate`
  evaluates a schedule at the *next* step, which is not the rate the last step used.
- `CompileMetrics.result()`'s loop variable `mls` (a `MetricsList`, whose
  `output_name` names the model output): Keras prefixes a single metric's log
  key with it (`a_accuracy`) but flattens a dict result into the logs without
  it, so the dict metrics of two outputs would overwrite each other's keys.
- `keras.callbacks.EarlyStopping` internals that keras-extras' `EarlyStopping`
  builds on: `monitor_op` (None until Keras picks the direction at the first
  epoch end), `min_delta` (kept sign-flipped for "max"), and `best_weights` /
  `best_epoch` (what `restore_best_weights` restores).
- `Distribution._process_id`: this process's index in a multi-process Keras
  distribution (JAX); Keras makes `num_processes` public but not the index.
- `CompileMetrics._flat_metrics` / `_flat_weighted_metrics`: the compiled metrics
  of each model output with the output's name (`MetricsList.output_name`), which
  `model.metrics` flattens away; the log keys of a model with several outputs
  start with it.

- Keras' torch backend traces the metrics first with tensors on torch's "meta"
  device (`keras.src.backend.torch.core.compute_output_spec`), inside one
  `StatelessScope`; when a later metric fails there, it traces them all again on
  the CPU in the same scope, where the earlier metrics' state is still the meta
  tensors they wrote. Adding a CPU tensor to a meta vector fails. `is_placeholder`
  lets the accumulators skip writing state from a meta trace (its values are
  never read; only the shapes of the results are).

- `Trainer._initial_epoch`: the epoch `fit` starts from when a backup was
  restored (Keras' own `BackupAndRestore` sets it; `fit` reads it after
  `on_train_begin`).
- The `CallbackList` of a `fit`: a callback is not told the other callbacks of
  its run. `CallbackList.set_model` hands the model to each in turn, so one
  frame up from a callback's `set_model` that list is `self`, with its
  `callbacks` (History and the progress bar included).

- `Layer._flatten_layers`: every layer inside a model, nested models and
  layers that hold layers included (`model.layers` lists only the top ones);
  weight averaging finds the batch-norm layers to recompute with it.

`tests/test_keras_compat.py` checks each against the installed Keras; when Keras
changes them, these functions raise a `RuntimeError` that names the Keras version
instead of silently doing nothing.
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

import keras

from keras_extras._typing import Direction


def _changed(what: str) -> RuntimeError:
    return RuntimeError(
        f"keras-extras relies on Keras' private `{what}`, which Keras "
        f"{keras.__version__} no longer has: please report this to keras-extras."
    )


def set_metric_direction(metric: Any, direction: str) -> None:
    """Tell Keras' monitor callbacks whether `metric` is better "up" or "down"."""
    if direction not in ("up", "down"):
        raise ValueError(
            f"Invalid `direction`: expected 'up' or 'down'. Received: {direction!r}"
        )
    metric._direction = direction


def metric_direction(metric: Any) -> Direction | None:
    """The direction Keras' monitor callbacks read from `metric`, or None."""
    direction = getattr(metric, "_direction", None)
    return direction if direction in ("up", "down") else None


def learning_rate_setting(optimizer: Any) -> Any:
    """The optimizer's learning rate as given: a variable or a schedule."""
    try:
        return optimizer._learning_rate
    except AttributeError:
        raise _changed("Optimizer._learning_rate") from None


def compiled_output_name(metric: Any) -> str | None:
    """The model output whose compiled metrics hold `metric`, read while Keras'
    `CompileMetrics.result()` asks for its result; None when called otherwise
    (directly by a user) or for a single-output model.

    A few frames up, Keras' loop holds the `MetricsList` of the output being
    computed as `mls`; the metric must be in that list.
    """
    frame: FrameType | None = sys._getframe(1)
    for _ in range(4):
        frame = frame.f_back if frame is not None else None
        if frame is None:
            return None
        metrics_list = frame.f_locals.get("mls")
        if metrics_list is not None:
            held = getattr(metrics_list, "metrics", None) or ()
            if any(m is metric for m in held):
                return getattr(metrics_list, "output_name", None)
    return None


def compiled_metrics_by_output(model: Any) -> list[tuple[Any, str | None]]:
    """`(metric, output name)` for every metric `compile()` gave `model` (the
    output name is None in a single-output model), then `(metric, None)` for
    the model's other metrics (losses, metrics added by layers)."""
    found: list[tuple[Any, str | None]] = []
    for metric in getattr(model, "metrics", None) or []:
        if type(metric).__name__ != "CompileMetrics":
            found.append((metric, None))
            continue
        if not getattr(metric, "built", False):
            continue  # no metric lists before the first step
        try:
            lists = [*metric._flat_metrics, *metric._flat_weighted_metrics]
        except AttributeError:
            raise _changed("CompileMetrics._flat_metrics") from None
        for metrics_list in lists:
            for held in getattr(metrics_list, "metrics", None) or ():
                found.append((held, getattr(metrics_list, "output_name", None)))
    return found


def distribution_process(distribution: Any) -> tuple[int, int]:
    """`(index of this process, number of processes)` in a Keras distribution."""
    try:
        return int(distribution._process_id), int(distribution.num_processes)
    except AttributeError:
        raise _changed("Distribution._process_id") from None


def monitor_direction_settled(callback: Any) -> bool:
    """Whether Keras' monitor callback has picked its direction (`monitor_op`)."""
    try:
        return callback.monitor_op is not None
    except AttributeError:
        raise _changed("MonitorCallback.monitor_op") from None


def min_delta_as_given(callback: Any) -> float:
    """`min_delta` as the user gave it (Keras keeps it sign-flipped for "max")."""
    try:
        return float(abs(callback.min_delta))
    except AttributeError:
        raise _changed("EarlyStopping.min_delta") from None


def keep_best_weights(callback: Any, epoch: int) -> None:
    """When a guard stops training before Keras recorded any best weights, keep
    the current ones as the best, so `restore_best_weights` has some."""
    if not hasattr(callback, "best_weights"):
        raise _changed("EarlyStopping.best_weights")
    if callback.restore_best_weights and callback.best_weights is None:
        callback.best_weights = callback.model.get_weights()
        callback.best_epoch = epoch


def is_placeholder(value: Any) -> bool:
    """True for a tensor that holds no values: one of the "meta" tensors with
    which Keras' torch backend first traces the metrics (see the module
    docstring). State is not written from it."""
    return bool(getattr(value, "is_meta", False))


def set_initial_epoch(model: Any, epoch: int | None) -> None:
    """Make `fit` start from `epoch` (set during `on_train_begin`); None: from
    the `initial_epoch` it is given (what Keras' own never resets)."""
    if not hasattr(model, "_initial_epoch"):
        raise _changed("Trainer._initial_epoch")
    model._initial_epoch = epoch


def sibling_callbacks(callback: Any) -> list[Any]:
    """Every callback of the `fit` that is handing `callback` its model (itself
    included), read from Keras' `CallbackList` in the calling frames; `[]` when
    `set_model` was called by something else (a user, a test)."""
    frame: FrameType | None = sys._getframe(1)
    for _ in range(4):
        frame = frame.f_back if frame is not None else None
        if frame is None:
            return []
        owner = frame.f_locals.get("self")
        if isinstance(owner, keras.callbacks.CallbackList):
            held = getattr(owner, "callbacks", None)
            if held is None:
                raise _changed("CallbackList.callbacks")
            if any(c is callback for c in held):
                return list(held)
    return []


def all_layers(model: Any) -> list[Any]:
    """Every layer inside `model`, at any depth (not `model` itself)."""
    flatten = getattr(model, "_flatten_layers", None)
    if flatten is None:
        raise _changed("Layer._flatten_layers")
    return list(flatten(include_self=False, recursive=True))

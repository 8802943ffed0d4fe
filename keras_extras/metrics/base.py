"""Building blocks shared by every keras-extras metric.

- `register`: makes a class loadable from `.keras` files without `custom_objects`.
- `check_one_of`, `check_int`, `check_number`: argument validation with messages
  that name the argument and echo the value received.
- `safe_divide`: elementwise division with a chosen value where the denominator is 0.
- `ExtrasMetric`: a `keras.metrics.Metric` that knows its monitor direction.
- `PerSampleMean`: the weighted mean of a per-sample value, with exact state.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import keras
from keras import ops

from keras_extras.metrics.accumulators import CompensatedSum
from keras_extras.metrics.inputs import check_batch_sizes, sample_weights, static_shape

PACKAGE = "keras_extras"


def register(cls):
    """Register `cls` with Keras' serialization under the `keras_extras` package."""
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


def check_one_of(argument: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return `value` if it is one of `allowed`, else raise a `ValueError`."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(
            f"Invalid `{argument}`: expected one of {allowed}. "
            f"Received: {argument}={value!r}"
        )
    return value


def check_int(
    argument: str, value: Any, minimum: int = 1, allow_none: bool = False
) -> int | None:
    """Return `value` if it is an int >= `minimum` (or None when allowed)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"Invalid `{argument}`: expected an integer >= {minimum}. "
            f"Received: {argument}={value!r} of type {type(value).__name__}"
        )
    if value < minimum:
        raise ValueError(
            f"Invalid `{argument}`: expected an integer >= {minimum}. "
            f"Received: {argument}={value!r}"
        )
    return value


def check_number(
    argument: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Return `float(value)` if it is a real number within the given bounds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"Invalid `{argument}`: expected a number. "
            f"Received: {argument}={value!r} of type {type(value).__name__}"
        )
    value = float(value)
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high or value != value:
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive else ")"
        bounds = f"{left}{'-inf' if low is None else low}, "
        bounds += f"{'inf' if high is None else high}{right}"
        raise ValueError(
            f"Invalid `{argument}`: expected a number in {bounds}. "
            f"Received: {argument}={value!r}"
        )
    return value


def safe_divide(numerator, denominator, zero_division: float = 0.0):
    """`numerator / denominator`, with `zero_division` where the denominator is 0.

    `zero_division` is a Python number (an argument, never a tensor), so the common
    case 0 costs a single op: metric `result()` runs every training step.
    """
    quotient = ops.divide_no_nan(numerator, denominator)
    if zero_division == 0:
        return quotient
    return ops.where(ops.equal(denominator, 0), zero_division, quotient)


class ExtrasMetric(keras.metrics.Metric):
    """Base class of keras-extras metrics.

    Subclasses set the class attribute `direction` ("up" when higher is better,
    "down" otherwise), which Keras' `EarlyStopping` and `ModelCheckpoint` read in
    `mode="auto"`, and extend `get_config` with their constructor arguments.

    Args:
        name: metric name, used as the key in the training logs.
        dtype: dtype of `result()`. Defaults to Keras' float type.
    """

    direction = "up"

    def __init__(self, name: str | None = None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = self.direction


class PerSampleMean(ExtrasMetric):
    """Base class of metrics that are a weighted mean of a per-sample value.

    result = sum_i w_i v_i / sum_i w_i, with `v_i = self.per_sample(...)`.

    Subclasses implement `per_sample(y_true, y_pred)`, returning a float32 tensor of
    per-sample values whose shape is the sample shape (weights broadcast to it).
    Both sums are exact-compensated (`CompensatedSum`) and sum-decomposable.

    Args:
        name: metric name.
        dtype: dtype of `result()`.
    """

    def __init__(self, name: str | None = None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = CompensatedSum(self, "total")
        self.weight = CompensatedSum(self, "weight")

    def per_sample(self, y_true, y_pred):  # pragma: no cover - abstract
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.convert_to_tensor(y_true)
        y_pred = ops.convert_to_tensor(y_pred)
        check_batch_sizes(y_true, y_pred)
        values = self.per_sample(y_true, y_pred)
        weights = sample_weights(sample_weight, static_shape(values))
        weights = ops.multiply(weights, ops.ones_like(values))
        self.total.add(ops.sum(ops.multiply(weights, values)))
        self.weight.add(ops.sum(weights))

    def result(self):
        return ops.cast(
            safe_divide(self.total.value(), self.weight.value()), self.dtype
        )

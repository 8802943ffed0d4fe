"""Building blocks shared by every keras-extras metric.

- `register`: makes a class loadable from `.keras` files without `custom_objects`.
- `check_one_of`, `check_int`, `check_number`, `check_bool` (from
  `keras_extras.validation`): argument checks whose messages name the argument.
- `safe_divide`: elementwise division with a chosen value where the denominator is 0.
- `ExtrasMetric`: a `keras.metrics.Metric` that knows its monitor direction.
- `PerSampleMean`: the weighted mean of a per-sample value, with exact state.
"""

from __future__ import annotations

import keras
from keras import ops

from keras_extras.metrics.accumulators import CompensatedSum
from keras_extras.metrics.inputs import check_batch_sizes, sample_weights, static_shape
from keras_extras.validation import check_bool, check_int, check_number, check_one_of

__all__ = [
    "PACKAGE",
    "ExtrasMetric",
    "PerSampleMean",
    "check_bool",
    "check_int",
    "check_number",
    "check_one_of",
    "register",
    "safe_divide",
]

PACKAGE = "keras_extras"


def register(cls):
    """Register `cls` with Keras' serialization under the `keras_extras` package."""
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


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
    Samples whose value is NaN (a NaN prediction) are not counted.
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
        # A sample whose prediction holds NaN is not counted, as in every metric.
        counted = ops.logical_not(ops.isnan(values))
        weights = sample_weights(sample_weight, static_shape(values))
        weights = ops.where(counted, weights, 0.0)
        values = ops.where(counted, values, 0.0)
        self.total.add(ops.sum(ops.multiply(weights, values)))
        self.weight.add(ops.sum(weights))

    def result(self):
        return ops.cast(
            safe_divide(self.total.value(), self.weight.value()), self.dtype
        )

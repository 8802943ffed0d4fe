"""Building blocks shared by every keras-extras metric.

- `check_one_of`, `check_int`, `check_number`, `check_bool` (from
  `keras_extras._validation`): argument checks whose messages name the argument.
- `safe_divide`: elementwise division with a chosen value where the denominator is 0.
- `ExtrasMetric`: a `keras.metrics.Metric` that registers itself for `.keras` files,
  builds its config from `config_fields` and knows its monitor direction.
- `PerSampleMean`: the weighted mean of a per-sample value, with exact state.
- `ScoreRangeGuard`: the out-of-range score count of the probability metrics,
  which turns their result into NaN.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_extras._config import declared_config
from keras_extras._keras_compat import is_placeholder, set_metric_direction
from keras_extras._naming import LogKey, output_lead
from keras_extras._typing import Direction, Tensor
from keras_extras.metrics.accumulators import CompensatedSum, count_bound
from keras_extras.metrics.inputs import (
    broadcast_sample_weight,
    check_batch_sizes,
    static_shape,
)

__all__ = [
    "ExtrasMetric",
    "PerSampleMean",
    "ScoreRangeGuard",
    "safe_divide",
]


def safe_divide(
    numerator: Tensor, denominator: Tensor, zero_division: float = 0.0
) -> Any:
    """`numerator / denominator`, with `zero_division` where the denominator is 0.

    `zero_division` is a Python number (an argument, never a tensor). `result()`
    runs every training step, so this is three ops (compare, divide, select; the
    quotient of the zero denominators is computed and dropped), written with
    operators on tensors (see `accumulators.exact_add`).
    """
    if not ops.is_tensor(denominator):
        denominator = ops.convert_to_tensor(denominator, "float32")
    if not ops.is_tensor(numerator):
        numerator = ops.convert_to_tensor(numerator, denominator.dtype)
    return ops.where(denominator == 0, zero_division, numerator / denominator)


def library_count_bound(
    source: Any, weights: Tensor, sample_weight: Tensor | None
) -> float | None:
    """`count_bound(weights, sample_weight)` when `source`, the method that
    made `weights`, is keras-extras' own (its weights are 0 or 1 without
    `sample_weight`, so their sums are counts); None when a subclass outside
    the library overrides it (its weights may be any float)."""
    own = getattr(source, "__module__", "").split(".")[0] == "keras_extras"
    return count_bound(weights, sample_weight) if own else None


class ExtrasMetric(keras.metrics.Metric):
    """Base class of keras-extras metrics, and of yours.

    A subclass gets, with no code of its own:

    - **registration** for `.keras` files: each subclass is registered with
      `keras.saving` under the package named by its class attribute
      `registration_package` (by default the top-level module that defines it,
      e.g. `"keras_extras"` or `"my_project"`), so a saved model reloads without
      `custom_objects` once the module that defines the class is imported;
    - **`get_config`**: the config is Keras' (`name`, `dtype`) plus, for every
      name in the class attribute `config_fields` (collected over the class and
      its bases), the attribute of that name. Store each constructor argument
      under its own name and list it; `from_config(get_config())` then rebuilds
      the metric;
    - **default name**: the class attribute `default_name`, used when `name`
      is None (Keras derives one from the class name without it);
    - **monitor direction**: the class attribute `direction` ("up" when higher
      is better, "down" otherwise) is what Keras' `EarlyStopping` and
      `ModelCheckpoint` read in `mode="auto"`; without it they assume "down";
    - **log keys**: `log_keys()` says which keys the metric writes into the
      training logs and which way each is better (`keras_extras._naming`); a
      metric whose `result()` is a dict overrides `value_keys()`.

    Args:
        name: metric name, used as the key in the training logs.
        dtype: dtype of `result()`. Defaults to Keras' float type.

    Example:
        The share of scores at or above a threshold, with exact counts:

        >>> from keras_extras.authoring import CompensatedSum, check_number
        >>> class Coverage(ExtrasMetric):
        ...     config_fields = ("threshold",)
        ...     def __init__(self, threshold=0.5, name="coverage", dtype=None):
        ...         super().__init__(name=name, dtype=dtype)
        ...         self.threshold = check_number("threshold", threshold, 0.0, 1.0)
        ...         self.passed = CompensatedSum(self, "passed")
        ...         self.seen = CompensatedSum(self, "seen")
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         passed = ops.greater_equal(y_pred, self.threshold)
        ...         self.passed.add(ops.sum(ops.cast(passed, "float32")))
        ...         self.seen.add(ops.cast(ops.size(y_pred), "float32"))
        ...     def result(self):
        ...         return safe_divide(self.passed.value(), self.seen.value())
        >>> m = Coverage(threshold=0.8)
        >>> m.update_state(None, np.array([0.9, 0.5, 0.85, 0.1]))
        >>> float(m.result())
        0.5
        >>> Coverage.from_config(m.get_config()).threshold
        0.8
    """

    direction: Direction = "up"
    default_name = ""
    config_fields: tuple[str, ...] = ()
    registration_package: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        package = cls.registration_package or cls.__module__.split(".")[0]
        keras.saving.register_keras_serializable(package=package)(cls)

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name=name or self.default_name or None, dtype=dtype)
        set_metric_direction(self, self.declared_direction())

    def get_config(self) -> Any:
        return {**super().get_config(), **declared_config(self)}

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickling and deep copies keep the accumulated state: Keras' own
        # rebuilds the metric from its config alone, which would restart it.
        state = [ops.convert_to_numpy(variable.value) for variable in self.variables]
        return (_restored, (keras.saving.serialize_keras_object(self), state))

    def declared_direction(self) -> Direction:
        """Which way the metric is better: the class attribute `direction`."""
        return self.direction

    def value_keys(self) -> dict[str, LogKey]:
        """The keys of this metric's values before their lead (see `log_keys`):
        its name, with its direction."""
        return {self.name: LogKey(self.declared_direction(), self.name)}

    def key_lead(self, output_name: str | None) -> str:
        """What starts each key in a model output named `output_name` (None in a
        single-output model): the output's name and "_", as Keras does."""
        return output_lead(output_name)

    def replicate_layout(self) -> Any:
        """What each entry of this metric's replicated state means, comparable
        with `==` (`Bootstrap.intervals(view)` reads a state only through a view
        of the same layout): by default the class and its config."""
        config = {k: v for k, v in self.get_config().items() if k != "name"}
        return (type(self).__name__, repr(sorted(config.items())))

    def log_keys(self, output_name: str | None = None) -> dict[str, LogKey]:
        """The keys this metric writes into the training logs (without "val_")
        and, for each, which way it is better (`LogKey.direction`).

        Args:
            output_name: the model output the metric is compiled for, in a model
                with several outputs (its keys then start with it). Defaults to
                None.

        Example:
            >>> from keras_extras.metrics import F1Score
            >>> keys = F1Score(num_classes=3).log_keys(output_name="a")
            >>> list(keys), keys["a_f1_score"].direction
            (['a_f1_score'], 'up')
        """
        lead = self.key_lead(output_name)
        return {lead + key: info for key, info in self.value_keys().items()}


def _restored(config: dict[str, Any], state: list[Any]) -> ExtrasMetric:
    """The metric of `config` holding `state` (what `__reduce__` recorded)."""
    metric: ExtrasMetric = keras.saving.deserialize_keras_object(config)
    for variable, value in zip(metric.variables, state, strict=True):
        variable.assign(value)
    return metric


class PerSampleMean(ExtrasMetric):
    """Base class of metrics that are a weighted mean of a per-sample value.

    result = sum_i w_i v_i / sum_i w_i, with `v_i = self.per_sample(...)`.

    Subclasses implement `per_sample(y_true, y_pred)`, returning a float32 tensor of
    per-sample values whose shape is the sample shape (weights broadcast to it).
    `y_true` may be None for a metric of the predictions alone.
    Samples whose value is NaN (a NaN prediction) are not counted.
    Both sums are exact-compensated (`CompensatedSum`) and sum-decomposable.

    Args:
        name: metric name.
        dtype: dtype of `result()`.
    """

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = CompensatedSum(self, "total")
        self.weight = CompensatedSum(self, "weight")

    def per_sample(
        self, y_true: Tensor, y_pred: Tensor
    ) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def weighted_values(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> Any:
        """`(values, weights, out_of_range)`: the per-sample values and their
        weights (same shape; 0 where not counted) and how many scores were out of
        range (0 unless a subclass guards its score range). Without
        `sample_weight` these weights are 0 or 1, and `update_state` adds their
        sum as a count (`library_count_bound`); an override outside the
        library may give any weights."""
        y_pred = ops.convert_to_tensor(y_pred)
        if y_true is not None:  # metrics of the predictions alone accept None
            y_true = ops.convert_to_tensor(y_true)
            check_batch_sizes(y_true, y_pred)
        values, weights = self.counted(self.per_sample(y_true, y_pred), sample_weight)
        return values, weights, 0.0

    @staticmethod
    def counted(values: Tensor, sample_weight: Tensor | None) -> Any:
        """`(values, weights)`: the weights broadcast to the values, and both 0
        where a value is NaN (a sample whose prediction holds NaN is not
        counted, as in every metric)."""
        counted = ops.logical_not(ops.isnan(values))
        weights = broadcast_sample_weight(sample_weight, static_shape(values))
        weights = ops.where(counted, weights, 0.0)
        return ops.where(counted, values, 0.0), weights

    def update_state(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> None:
        values, weights, _ = self.weighted_values(y_true, y_pred, sample_weight)
        self.total.add(ops.sum(ops.multiply(weights, values)))
        bound = library_count_bound(self.weighted_values, weights, sample_weight)
        self.weight.add(ops.sum(weights), bound)

    def result(self) -> Any:
        return ops.cast(
            safe_divide(self.total.value(), self.weight.value()), self.dtype
        )

    # The replicated state `Bootstrap` keeps: `(replicates, 2)`, the weighted
    # total and the total weight of each replicate.

    def replicate_state_shape(self, replicates: int) -> tuple[int, ...]:
        return (replicates, 2)

    def replicate_increment(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor, replicate: Any
    ) -> Any:
        """This batch's `(replicates, 2)` increment, with `replicate(weights)`
        giving each sample's weight in each replicate, `(samples, replicates)`;
        and the out-of-range count."""
        values, weights, out_of_range = self.weighted_values(
            y_true, y_pred, sample_weight
        )
        rows = ops.shape(values)[0]
        values = ops.reshape(values, (rows, -1))
        weights = ops.reshape(weights, (rows, -1))
        per_sample = ops.stack(  # (samples, 2): weighted value, weight
            [ops.sum(weights * values, axis=1), ops.sum(weights, axis=1)], axis=1
        )
        replicated = replicate(ops.ones((rows,), "float32"))  # (samples, R)
        return ops.matmul(ops.transpose(replicated), per_sample), out_of_range

    def replicate_values(self, state: Tensor) -> dict[str, Any]:
        """The metric's value in each replicate of a `(replicates, 2)` state."""
        return {self.name: safe_divide(state[:, 0], state[:, 1])}


class ScoreRangeGuard:
    """How many samples had inputs a metric cannot read; any makes the result NaN.

    Probability metrics (ECE, Brier, AUROC, average precision) given logits or
    log-probabilities without `from_logits=True` cannot rank or bin them; a
    multiclass confusion metric given multi-hot label rows (a multilabel target:
    `task="multilabel"` was forgotten) would read them as their arg-max. A
    compiled step cannot raise, and a number computed from such inputs would
    look plausible, so the result is NaN until `reset_state()`: one rule on every
    backend, eager and compiled. The count is one summed scalar, so data-parallel
    replicas merge it.

    Args:
        metric: the metric that owns the state (adds one variable to it).
        name: the variable's name. Defaults to "out_of_range_scores".
    """

    def __init__(self, metric: Any, name: str = "out_of_range_scores") -> None:
        self.count = metric.add_variable(
            shape=(),
            initializer="zeros",
            dtype="float32",
            aggregation="sum",
            name=name,
        )

    def add(self, count: Tensor) -> None:
        if not is_placeholder(count):
            self.count.assign(self.count + count)

    def apply(self, value: Tensor) -> Any:
        """`value`, or NaN when any out-of-range score was seen."""
        return ops.where(self.count > 0, float("nan"), value)

    def apply_all(self, values: dict[str, Any]) -> dict[str, Any]:
        """`apply` to every value of a metric's result: one comparison and one
        select for all of them (NaN or 0, added to each value), not one each."""
        if len(values) == 1:
            return {key: self.apply(value) for key, value in values.items()}
        poison = ops.where(self.count > 0, float("nan"), 0.0)
        return {key: value + poison for key, value in values.items()}

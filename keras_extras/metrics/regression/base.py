"""What every regression metric shares: `num_outputs`, `multioutput`, and the
per-output log keys."""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_extras._naming import LogKey, class_labels
from keras_extras._typing import MultiOutput, Tensor
from keras_extras._validation import check_int, check_one_of
from keras_extras.metrics.base import ExtrasMetric, safe_divide

MULTIOUTPUT = ("raw_values", "uniform_average", "variance_weighted")


class RegressionMetric(ExtrasMetric):
    """Base of the regression metrics: one value per output, reduced by
    `multioutput` (scikit-learn's argument).

    Args:
        num_outputs: number of outputs, the last axis of `y_pred` (`(B,)` is one
            output). Defaults to 1.
        multioutput: "uniform_average" (the mean over outputs), "raw_values" (one
            value per output, logged as `<name>/0`, `<name>/1`, ...) or, where
            the metric has it, "variance_weighted" (weighted by each output's
            target variance). Defaults to "uniform_average".
        name: metric name.
        dtype: dtype of the result.
    """

    config_fields: tuple[str, ...] = ("num_outputs", "multioutput")
    multioutputs: tuple[str, ...] = ("raw_values", "uniform_average")

    def __init__(
        self,
        num_outputs: int = 1,
        multioutput: MultiOutput = "uniform_average",
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.num_outputs = check_int("num_outputs", num_outputs)
        self.multioutput = check_one_of("multioutput", multioutput, self.multioutputs)

    def reduce(self, values: Tensor, variances: Tensor | None = None) -> Any:
        """Per-output `values` reduced by `multioutput` (`variances`: the
        weights of "variance_weighted"; uniform when they are all 0)."""
        if self.multioutput == "raw_values":
            return ops.cast(values, self.dtype)
        if self.multioutput == "variance_weighted" and variances is not None:
            total = ops.sum(variances)
            weighted = safe_divide(ops.sum(values * variances), total)
            return ops.cast(
                ops.where(total > 0, weighted, ops.mean(values)), self.dtype
            )
        return ops.cast(ops.mean(values), self.dtype)

    def value_keys(self) -> dict[str, LogKey]:
        outputs: tuple[str, ...] = ()
        if self.multioutput == "raw_values":
            outputs = tuple(class_labels(None, self.num_outputs))
        info = LogKey(self.declared_direction(), self.name, classes=outputs)
        return {self.name: info}

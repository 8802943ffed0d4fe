"""Regression errors: weighted means of a per-value loss, and WMAPE."""

from __future__ import annotations

from typing import Any

from keras import ops, tree

from keras_extras._docstrings import document
from keras_extras._typing import MultiOutput, Tensor
from keras_extras._validation import check_number
from keras_extras.metrics.base import ScoreRangeGuard, safe_divide
from keras_extras.metrics.regression.base import SumsMetric

EPSILON = 1.17e-06
"""torchmetrics' floor on the denominators of SMAPE and WMAPE."""


class _PerValueMean(SumsMetric):
    """The weighted mean of `per_value(t, p)` per output; values outside the
    metric's domain (`invalid(t, p)`) make the result NaN until `reset_state()`."""

    direction = "down"
    sum_names = ("total", "weight")

    def __init__(
        self,
        num_outputs: int = 1,
        multioutput: MultiOutput = "uniform_average",
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(num_outputs, multioutput, name=name, dtype=dtype)
        self.guard = ScoreRangeGuard(self, "out_of_domain")

    def per_value(self, y_true: Tensor, y_pred: Tensor) -> Any:
        raise NotImplementedError  # pragma: no cover - abstract

    def invalid(self, y_true: Tensor, y_pred: Tensor) -> Any:
        return None

    def sums(self, y_true: Tensor, y_pred: Tensor, weights: Tensor) -> Any:
        invalid = self.invalid(y_true, y_pred)
        out_of_domain: Any = 0.0
        if invalid is not None:
            invalid = ops.logical_and(invalid, weights != 0)
            out_of_domain = ops.sum(ops.cast(invalid, "float32"))
            weights = ops.where(invalid, 0.0, weights)
        values = ops.where(weights != 0, self.per_value(y_true, y_pred), 0.0)
        return ops.stack([weights * values, weights]), out_of_domain

    def add_out_of_domain(self, count: Any) -> None:
        self.guard.add(count)

    def scores(self, totals: Tensor) -> Any:
        mean = safe_divide(totals[0], totals[1])
        return ops.where(totals[1] != 0, mean, float("nan"))

    def result(self) -> Any:
        return tree.map_structure(self.guard.apply, super().result())


class MeanPinballLoss(_PerValueMean):
    """The mean pinball (quantile) loss of a quantile regression, per output.

        loss = alpha max(t - p, 0) + (1 - alpha) max(p - t, 0)

    averaged with the sample weights. Matches
    `sklearn.metrics.mean_pinball_loss`. With `alpha=0.5` it is half the mean
    absolute error.

    Args:
        alpha: the quantile the predictions estimate, in [0, 1]. Defaults to 0.5.
    {args}
    Example:
        >>> import numpy as np
        >>> m = MeanPinballLoss(alpha=0.9)
        >>> m.update_state(np.array([1.0, 2.0, 3.0]), np.array([0.0, 2.0, 4.0]))
        >>> round(float(m.result()), 4)  # (0.9 * 1 + 0 + 0.1 * 1) / 3
        0.3333
    """

    default_name = "mean_pinball_loss"
    config_fields = ("alpha",)

    def __init__(
        self,
        alpha: float = 0.5,
        num_outputs: int = 1,
        multioutput: MultiOutput = "uniform_average",
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(num_outputs, multioutput, name=name, dtype=dtype)
        self.alpha = check_number("alpha", alpha, 0.0, 1.0)

    def per_value(self, y_true: Tensor, y_pred: Tensor) -> Any:
        error = y_true - y_pred
        return self.alpha * ops.relu(error) + (1.0 - self.alpha) * ops.relu(-error)


class TweedieDeviance(_PerValueMean):
    """The mean Tweedie deviance of a power `power`, per output: the loss of
    models of counts (Poisson, `power=1`), of positive skewed amounts (Gamma,
    `power=2`) and of the compound Poisson-Gamma in between.

        power 0: (t - p)**2
        power 1: 2 (t log(t / p) - t + p)
        power 2: 2 (log(p / t) + t / p - 1)
        other:   2 (max(t, 0)**(2 - d) / ((1 - d)(2 - d))
                    - t p**(1 - d) / (1 - d) + p**(2 - d) / (2 - d))

    Matches `sklearn.metrics.mean_tweedie_deviance`. Its domain: `power < 0`
    needs `p > 0`; `1 <= power < 2` needs `t >= 0, p > 0`; `power >= 2` needs
    `t > 0, p > 0`. A compiled step cannot raise, so a value outside the domain
    makes the result NaN until `reset_state()` (the library's rule for inputs a
    metric cannot read).

    Args:
        power: the Tweedie power `d`, <= 0 or >= 1. Defaults to 0 (squared
            error).
    {args}
    Example:
        >>> import numpy as np
        >>> m = TweedieDeviance(power=1)
        >>> m.update_state(np.array([2.0, 0.0, 1.0]), np.array([1.0, 1.0, 1.0]))
        >>> round(float(m.result()), 4)  # sklearn: mean_poisson_deviance
        0.9242
    """

    default_name = "tweedie_deviance"
    config_fields = ("power",)

    def __init__(
        self,
        power: float = 0.0,
        num_outputs: int = 1,
        multioutput: MultiOutput = "uniform_average",
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(num_outputs, multioutput, name=name, dtype=dtype)
        self.power = check_number("power", power)
        if 0 < self.power < 1:
            raise ValueError(
                "`power` must be <= 0 or >= 1 (no Tweedie distribution lies "
                f"between). Received: power={power!r}"
            )

    def invalid(self, y_true: Tensor, y_pred: Tensor) -> Any:
        power = self.power
        if power == 0:
            return None
        bad_pred = y_pred <= 0
        if power < 0:
            return bad_pred
        bad_true = y_true < 0 if power < 2 else y_true <= 0
        return ops.logical_or(bad_pred, bad_true)

    def per_value(self, y_true: Tensor, y_pred: Tensor) -> Any:
        power = self.power
        if power == 0:
            return ops.square(y_true - y_pred)
        # Values outside the domain are dropped: keep their logs finite.
        safe_pred = ops.where(y_pred > 0, y_pred, 1.0)
        if power == 1:
            positive = y_true > 0
            ratio = ops.where(positive, y_true / safe_pred, 1.0)
            return 2.0 * (
                ops.where(positive, y_true * ops.log(ratio), 0.0) - y_true + y_pred
            )
        safe_true = ops.where(y_true > 0, y_true, 1.0)
        if power == 2:
            return 2.0 * (ops.log(safe_pred / safe_true) + y_true / safe_pred - 1.0)
        first = ops.power(ops.relu(y_true), 2.0 - power) / ((1 - power) * (2 - power))
        return 2.0 * (
            first
            - y_true * ops.power(safe_pred, 1.0 - power) / (1 - power)
            + ops.power(safe_pred, 2.0 - power) / (2 - power)
        )


class SymmetricMeanAbsolutePercentageError(_PerValueMean):
    """Symmetric mean absolute percentage error (SMAPE), per output, as
    torchmetrics defines it (a share, in [0, 2], not a percentage):

        smape = mean of 2 |p - t| / max(|t| + |p|, 1.17e-6)

    weighted by the sample weights.

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = SymmetricMeanAbsolutePercentageError()
        >>> m.update_state(np.array([1.0, 10.0]), np.array([0.9, 15.0]))
        >>> round(float(m.result()), 4)  # (0.2 / 1.9 + 10 / 25) / 2
        0.2526
    """

    default_name = "smape"

    def per_value(self, y_true: Tensor, y_pred: Tensor) -> Any:
        scale = ops.maximum(ops.abs(y_true) + ops.abs(y_pred), EPSILON)
        return 2.0 * ops.abs(y_pred - y_true) / scale


class WeightedMeanAbsolutePercentageError(SumsMetric):
    """Weighted mean absolute percentage error (WMAPE), per output, as
    torchmetrics defines it: the absolute errors over the absolute targets,
    both summed over every sample seen.

        wmape = sum w |p - t| / max(sum w |t|, 1.17e-6)

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = WeightedMeanAbsolutePercentageError()
        >>> m.update_state(np.array([1.0, 10.0]), np.array([0.9, 15.0]))
        >>> round(float(m.result()), 4)  # 5.1 / 11
        0.4636
    """

    direction = "down"
    default_name = "wmape"
    sum_names = ("errors", "scale", "weight")

    def sums(self, y_true: Tensor, y_pred: Tensor, weights: Tensor) -> Any:
        errors = weights * ops.abs(y_pred - y_true)
        return ops.stack([errors, weights * ops.abs(y_true), weights]), 0.0

    def scores(self, totals: Tensor) -> Any:
        ratio = totals[0] / ops.maximum(totals[1], EPSILON)
        return ops.where(totals[2] > 0, ratio, float("nan"))


for _metric in (
    MeanPinballLoss,
    TweedieDeviance,
    SymmetricMeanAbsolutePercentageError,
    WeightedMeanAbsolutePercentageError,
):
    document(_metric, ("num_outputs", "multioutput", "name", "dtype"), "regression")

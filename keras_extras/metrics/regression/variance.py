"""The share of the targets' variance a model explains: R² and explained
variance, over every sample seen."""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_extras._docstrings import document
from keras_extras._typing import MultiOutput, Tensor
from keras_extras._validation import check_int
from keras_extras.metrics.accumulators import CompensatedSum
from keras_extras.metrics.base import safe_divide
from keras_extras.metrics.regression.base import MULTIOUTPUT, MomentMetric


def explained(residual: Tensor, total: Tensor) -> Any:
    """`1 - residual / total`, scikit-learn's `force_finite` rule where `total`
    is 0: 1 when `residual` is 0 too, else 0."""
    ratio = 1.0 - safe_divide(residual, total)
    return ops.where(total > 0, ratio, ops.where(residual > 0, 0.0, 1.0))


class _VarianceMetric(MomentMetric):
    # Variables: the target (0) and the residual t - p (1); pairs: tt, ee.
    direction = "up"
    multioutputs = MULTIOUTPUT
    pairs = ((0, 0), (1, 1))

    def moment_variables(self, y_true: Tensor, y_pred: Tensor) -> Any:
        return ops.stack([y_true, y_true - y_pred])


class R2Score(_VarianceMetric):
    """The coefficient of determination R² over every sample seen, per output.

        R² = 1 - sum w (t - p)**2 / sum w (t - mean t)**2

    Matches `sklearn.metrics.r2_score` (with `sample_weight` and
    `multioutput`); an output whose targets have no variance scores 1 when
    predicted exactly and 0 otherwise (scikit-learn's `force_finite`). With
    `num_regressors=k > 0`, the adjusted R² `1 - (1 - R²) (n - 1) / (n - k - 1)`
    with `n` the number of values counted (unweighted), per output; R² itself
    while `n - k - 1 <= 0` (as Keras and torchmetrics). The sums are exact
    (`ExactMoments`): targets far from 0 lose nothing to cancellation.

    Args:
        num_regressors: number of regressors `k` of the adjusted R². Defaults
            to 0 (plain R²).
    {args}
    Example:
        >>> import numpy as np
        >>> m = R2Score()
        >>> m.update_state(np.array([3.0, -0.5, 2.0, 7.0]),
        ...                np.array([2.5, 0.0, 2.0, 8.0]))
        >>> round(float(m.result()), 4)  # sklearn.metrics.r2_score
        0.9486
    """

    default_name = "r2_score"
    config_fields = ("num_regressors",)

    def __init__(
        self,
        num_outputs: int = 1,
        multioutput: MultiOutput = "uniform_average",
        num_regressors: int = 0,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(num_outputs, multioutput, name=name, dtype=dtype)
        self.num_regressors = check_int("num_regressors", num_regressors, 0)
        self.count = CompensatedSum(self, "count", (self.num_outputs,))

    def update_state(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> None:
        y_true, y_pred, weights = self.inputs(y_true, y_pred, sample_weight)
        self.moments.update(self.moment_variables(y_true, y_pred), weights)
        if self.num_regressors:
            self.count.add(ops.sum(ops.cast(weights > 0, "float32"), axis=0))

    def scores(self, words: Tensor) -> tuple[Any, Any]:
        total = self.moments.centred(words)[0]
        scores = explained(self.moments.raw(words)[1], total)
        if self.num_regressors:
            n = self.count.value()
            spare = n - self.num_regressors - 1.0
            adjusted = 1.0 - (1.0 - scores) * safe_divide(n - 1.0, spare)
            scores = ops.where(spare > 0, adjusted, scores)
        return scores, total

    def replicate_state_shape(self, replicates: int) -> tuple[int, ...]:
        if self.num_regressors:
            raise ValueError(
                "Bootstrap cannot replicate the adjusted R² (its sample count is not "
                "replicated); use num_regressors=0. Received: "
                f"num_regressors={self.num_regressors}"
            )
        return super().replicate_state_shape(replicates)


class ExplainedVariance(_VarianceMetric):
    """Explained variance over every sample seen, per output.

        EV = 1 - Var(t - p) / Var(t)

    with weighted variances. Unlike R², a constant offset of the predictions
    costs nothing. Matches `sklearn.metrics.explained_variance_score` (with
    `sample_weight`, `multioutput` and its `force_finite` rule). Exact state
    (`ExactMoments`).

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = ExplainedVariance()
        >>> m.update_state(np.array([3.0, -0.5, 2.0, 7.0]),
        ...                np.array([2.5, 0.0, 2.0, 8.0]))
        >>> round(float(m.result()), 4)  # sklearn's explained_variance_score
        0.9572
    """

    default_name = "explained_variance"

    def scores(self, words: Tensor) -> tuple[Any, Any]:
        total, residual = ops.unstack(self.moments.centred(words), num=2)
        return explained(residual, total), total


document(
    R2Score, ("num_outputs", "multioutput_weighted", "name", "dtype"), "regression"
)
document(
    ExplainedVariance,
    ("num_outputs", "multioutput_weighted", "name", "dtype"),
    "regression",
)

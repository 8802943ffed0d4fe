"""Curve metrics from streaming score histograms: the base class, AUROC and
average precision (the operating points live in `operating_points`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

import numpy as np
from keras import ops

from keras_extras._docstrings import CURVE_ARGS, document
from keras_extras._naming import LogKey, class_labels
from keras_extras._typing import CurveAverage, Task, Tensor
from keras_extras._validation import check_bool, check_int, check_one_of
from keras_extras.metrics.accumulators import CompensatedSum
from keras_extras.metrics.base import ExtrasMetric, ScoreRangeGuard
from keras_extras.metrics.inputs import TASKS, cast_to, probability_inputs
from keras_extras.metrics.ranking.estimators import (
    auroc_from_stats,
    average_curve_scores,
    average_precision_from_stats,
    threshold_rates,
)
from keras_extras.metrics.ranking.histograms import (
    GridBuckets,
    bucket_widths,
    score_histograms,
    threshold_grid,
)
from keras_extras.metrics.ranking.interpolation import bucket_table

RANKING_AVERAGES = ("macro", "weighted", "micro", None)


class CurveArguments(TypedDict, total=False):
    """The arguments of every curve metric (after their own, for the operating
    points)."""

    num_classes: int | None
    task: Task
    average: CurveAverage
    num_thresholds: int
    from_logits: bool
    name: str | None
    dtype: Any


class CurveMetric(ExtrasMetric):
    """Base class of the metrics read from score histograms over a threshold
    grid: the state, the averaging over classes, the exact curves at the
    grid's thresholds, and the replicate protocol for `Bootstrap`.

    A subclass sets `curve` (a function of the `(rows, K, T)` state, the bucket
    widths and `bucket_table()`, giving a score per class) and `state_rows` (4,
    or 5 when it reads the count of positive samples), or overrides
    `per_class(stats)`.
    """

    curve: Callable[..., Any] | None = None
    state_rows = 4
    config_fields: tuple[str, ...] = (
        "num_classes",
        "task",
        "average",
        "num_thresholds",
        "from_logits",
    )

    def __init__(
        self,
        num_classes: int | None = None,
        task: Task = "multiclass",
        average: CurveAverage = "macro",
        num_thresholds: int = 200,
        from_logits: bool = False,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.task = check_one_of("task", task, TASKS)
        if task == "binary":
            # As the confusion metrics: a binary problem has 2 classes.
            if num_classes not in (None, 1, 2):
                raise ValueError(
                    "Invalid `num_classes` for task='binary': expected None or 2. "
                    f"Received: num_classes={num_classes!r}"
                )
            num_classes = 2
        else:
            num_classes = check_int("num_classes", num_classes, minimum=2)
        self.num_classes = num_classes
        self.average = check_one_of("average", average, RANKING_AVERAGES)
        self.num_thresholds = check_int("num_thresholds", num_thresholds, minimum=4)
        self.grid = threshold_grid(self.num_thresholds)
        self.from_logits = check_bool("from_logits", from_logits)
        columns = 1 if task == "binary" else num_classes  # binary: one score
        # Constants of every step, made device tensors once: converting numpy
        # arrays in update_state/result would copy them to the device each step.
        self.grid_tensor = ops.convert_to_tensor(self.grid)
        self.buckets = GridBuckets(self.grid)
        self.widths = ops.convert_to_tensor(bucket_widths(self.grid))
        self.table = ops.convert_to_tensor(bucket_table())
        self.histograms = CompensatedSum(
            self, "histograms", (self.state_rows, columns, self.num_thresholds)
        )
        self.score_range = ScoreRangeGuard(self)

    def formatted_inputs(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor
    ) -> Any:
        return probability_inputs(
            y_true,
            y_pred,
            sample_weight,
            task=self.task,
            num_classes=self.num_classes,
            from_logits=self.from_logits,
            count_out_of_range=True,
        )

    def update_state(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> None:
        probs, targets, weights, out_of_range = self.formatted_inputs(
            y_true, y_pred, sample_weight
        )
        self.score_range.add(out_of_range)
        self.histograms.add(
            score_histograms(probs, targets, weights, self.buckets, self.state_rows)
        )

    def per_class(self, stats: Tensor) -> Any:
        """The score of each class (one row for binary or micro) from the state."""
        curve = type(self).curve
        assert curve is not None, "a curve metric defines `curve`"
        return curve(stats, self.widths, self.table)

    def pooled_stats(self, stats: Tensor | None = None) -> Any:
        """`stats` (the state by default), `(rows, ..., K, T)`, with the classes
        pooled for micro averaging."""
        if stats is None:
            stats = self.histograms.value()
        if self.average == "micro" and self.task != "binary":
            stats = ops.sum(stats, axis=-2, keepdims=True)
        return stats

    def averaged(self, scores: Tensor, stats: Tensor) -> Any:
        if self.task == "binary" or self.average == "micro":
            return scores[..., 0]
        return average_curve_scores(scores, stats[0], stats[1], self.average)

    # The replicated state `Bootstrap` keeps: `(replicates, rows, K, T)`.

    def replicate_state_shape(self, replicates: int) -> tuple[int, ...]:
        columns = int(self.histograms.shape[1])
        return (replicates, self.state_rows, columns, self.num_thresholds)

    def replicate_layout(self) -> Any:
        """The histogram rows and grid: any curve metric with the same ones (and
        inputs) reads them the same way."""
        shape = tuple(self.histograms.shape)
        return ("histograms", self.task, shape, self.from_logits)

    def replicate_increment(
        self,
        y_true: Tensor,
        y_pred: Tensor,
        sample_weight: Tensor | None,
        replicate: Callable[[Tensor], Tensor],
    ) -> tuple[Any, Any]:
        probs, targets, weights, out_of_range = self.formatted_inputs(
            y_true, y_pred, sample_weight
        )
        histograms = score_histograms(
            probs, targets, weights, self.buckets, self.state_rows, replicate
        )
        return histograms, out_of_range

    def replicate_values(self, state: Tensor) -> dict[str, Any]:
        stats = self.pooled_stats(ops.moveaxis(state, 0, 1))  # rows first
        return {self.name: self.averaged(self.per_class(stats), stats)}

    def value_keys(self) -> dict[str, LogKey]:
        per_class = self.average is None and self.task != "binary"
        classes = tuple(class_labels(None, self.num_classes)) if per_class else ()
        return {
            self.name: LogKey(self.declared_direction(), self.name, classes=classes)
        }

    def result(self) -> Any:
        stats = self.pooled_stats()
        value = self.averaged(self.per_class(stats), stats)
        return cast_to(self.score_range.apply(value), self.dtype)

    # ---------------------------------------------------------------- curves

    def thresholds(self) -> np.ndarray:
        """The threshold grid, ascending (float32)."""
        return self.grid.copy()

    def roc_curve(self) -> Any:
        """`(fpr, tpr, thresholds)` at every threshold of the grid, exact.

        A sample counts as positive at threshold `t` when its score is `>= t`, so
        the counts at the grid's thresholds are read from the state without any
        estimate. Shapes: `(T,)` for binary and micro, else `(classes, T)`;
        thresholds ascending, so the curve runs from (1, 1) to (0, 0).
        Host side: call it after training, not inside a compiled step.
        """
        fpr, tpr = threshold_rates(self.pooled_stats(), "fpr", "recall")
        return self._curve_arrays(fpr, tpr)

    def precision_recall_curve(self) -> Any:
        """`(precision, recall, thresholds)` at every threshold of the grid, exact.

        Precision is 0 where no sample scores at or above a threshold (Keras'
        rule). Shapes as `roc_curve`.
        """
        precision, recall = threshold_rates(self.pooled_stats(), "precision", "recall")
        return self._curve_arrays(precision, recall)

    def _curve_arrays(self, first: Any, second: Any) -> Any:
        first, second = ops.convert_to_numpy(first), ops.convert_to_numpy(second)
        if self.task == "binary" or self.average == "micro":
            first, second = first[0], second[0]
        return first, second, self.thresholds()


class AUROC(CurveMetric):
    """Area under the ROC curve, streaming, one-vs-rest for multiclass.

        AUROC = P(score of a positive > score of a negative)
              = sum_b P_b (N_below(b) + q_b N_b) / (P N)

    with `P_b`, `N_b` the positive and negative weight in bucket `b` of the
    threshold grid and `q_b` the share of a bucket's positive-negative pairs in
    which the positive scores higher: 1/2 for tied scores (as
    `sklearn.metrics.roc_auc_score`), and otherwise read from where in the bucket
    each class's weight lies on average (`bucket_table`). Keras' `AUC` covers binary
    and multilabel inputs; this one also takes sparse multiclass labels. Exact for
    scores on the grid. On continuous scores, the largest gap to scikit-learn we
    measured with the default 200 thresholds was 2.1e-3 at 50 samples, 2.3e-4 at
    1000, and up to 2.0e-2 when the probabilities crowd near 1 / classes
    (near-uniform softmax), where `num_thresholds=2000` brings it to 5.0e-3
    (`benchmarks/ranking_accuracy.py`; tables in docs/benchmarks.md).

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = AUROC(task="binary")
        >>> m.update_state(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.3, 0.8]))
        >>> float(m.result())
        0.75
    """

    curve = staticmethod(auroc_from_stats)
    default_name = "auroc"


class AveragePrecision(CurveMetric):
    """Average precision: the area under the precision-recall curve, as a step sum.

        AP = sum_j (R_j - R_{j+1}) P_j

    over the threshold grid (no interpolation, as
    `sklearn.metrics.average_precision_score`). Exact for scores on the grid.
    Between grid points, each bucket's positives are placed by the mean position of
    each class's weight in the bucket and by how many positives it holds
    (`average_precision_from_stats`). On continuous scores, the largest gap to
    scikit-learn we measured with the default 200 thresholds was 9.9e-3 at 50
    samples, 2.4e-3 at 1000, and up to 5.6e-2 when the probabilities crowd near
    1 / classes (near-uniform softmax), where `num_thresholds=2000` brings it to
    1.3e-2 (`benchmarks/ranking_accuracy.py`; tables in docs/benchmarks.md).

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = AveragePrecision(task="binary")
        >>> m.update_state(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.3, 0.8]))
        >>> round(float(m.result()), 4)
        0.8333
    """

    curve = staticmethod(average_precision_from_stats)
    state_rows = 5
    default_name = "average_precision"


for _cls in (AUROC, AveragePrecision):
    document(_cls, CURVE_ARGS, inputs="probabilities")

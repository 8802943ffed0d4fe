"""Calibration metrics: do predicted probabilities match observed frequencies?

State never grows with the data: `ExpectedCalibrationError` keeps three numbers per
bin (weight, confidence sum, accuracy sum), `BrierScore` two numbers in all.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from keras import ops

from keras_extras._typing import Tensor
from keras_extras._validation import check_bool, check_int, check_one_of
from keras_extras.metrics.accumulators import (
    CompensatedSum,
    weighted_bincount,
)
from keras_extras.metrics.base import (
    ExtrasMetric,
    PerSampleMean,
    ScoreRangeGuard,
    library_count_bound,
    safe_divide,
)
from keras_extras.metrics.inputs import class_ids, probability_inputs, static_shape
from keras_extras.metrics.inputs.labels import multi_hot_rows

NORMS = ("l1", "l2", "max")


TASKS = (None, "binary", "multiclass", "multilabel")


def infer_task(y_pred: Tensor) -> str:
    """ "binary" for scores `(batch, ...)` or `(batch, ..., 1)`, else "multiclass"."""
    shape = static_shape(y_pred)
    return "binary" if len(shape) < 2 or shape[-1] == 1 else "multiclass"


def _probabilities(
    y_true: Tensor,
    y_pred: Tensor,
    sample_weight: Tensor,
    from_logits: Any,
    task: str | None,
    num_classes: int | None = None,
) -> Any:
    """`probability_inputs` with soft targets as given (the task read from the
    shape of `y_pred` when None), and the count of unreadable samples: scores
    out of range, and (multiclass) label rows summing to more than 1, which are
    multi-hot targets of a multilabel task."""
    y_pred = ops.convert_to_tensor(y_pred)
    task = task or infer_task(y_pred)
    probs, targets, weights, unreadable = probability_inputs(
        y_true,
        y_pred,
        sample_weight,
        task=task,
        num_classes=num_classes,
        from_logits=from_logits,
        soft_targets=True,
        count_out_of_range=True,
    )
    true_shape = y_true.shape if hasattr(y_true, "shape") else np.shape(y_true)
    if task == "multiclass" and tuple(true_shape)[-1:] == tuple(y_pred.shape)[-1:]:
        # Label rows, not ids: multi-hot rows sum to more than 1.
        unreadable = unreadable + multi_hot_rows(targets)
    return probs, targets, weights, unreadable


def confidences_and_hits(probs: Tensor, targets: Tensor, task: str) -> Any:
    """Per-sample confidence and hit, `(N, K)`: binary (K = 1) and multilabel
    (K labels) read each score as its label's probability and the label as
    the hit (as torchmetrics' binary calibration error).

    Multiclass (K = 1): confidence is the top probability, hit the target's
    mass on its class (1 or 0 for a one-hot label; the soft label's share for
    mixup targets).
    """
    if task != "multiclass":
        return probs, targets
    top = ops.expand_dims(class_ids(probs), -1)
    confidence = ops.take_along_axis(probs, top, axis=-1)
    hit = ops.take_along_axis(targets, top, axis=-1)
    return confidence, hit


def calibration_error(
    weight: Tensor, confidence_sum: Tensor, hit_sum: Tensor, norm: Any
) -> Any:
    """ECE ("l1"), RMS calibration error ("l2") or maximum calibration error ("max")
    from per-bin weight, confidence sum and hit sum."""
    gap = ops.abs(hit_sum - confidence_sum)
    total = ops.sum(weight, axis=-1)  # the bins: the last axis
    if norm == "l1":
        return safe_divide(ops.sum(gap, axis=-1), total)
    bin_gap = safe_divide(gap, weight)
    if norm == "max":
        return ops.max(ops.where(ops.greater(weight, 0), bin_gap, 0.0), axis=-1)
    return ops.sqrt(safe_divide(ops.sum(weight * bin_gap * bin_gap, axis=-1), total))


class ExpectedCalibrationError(ExtrasMetric):
    """Expected calibration error over equal-width confidence bins.

    Each sample's confidence `c` (multiclass: the top-label probability; binary: the
    positive-class probability) falls in bin `b = min(floor(c * M), M - 1)` of
    `M = num_bins` bins over [0, 1]. With `acc_b` the (weighted) fraction of hits in
    bin b (multiclass: top label correct; binary: label is 1), `conf_b` its mean
    confidence and `w_b` its share of the total weight:

        "l1"  (ECE):  sum_b w_b |acc_b - conf_b|
        "l2"  (RMS):  sqrt(sum_b w_b (acc_b - conf_b)^2)
        "max" (MCE):  max over non-empty bins of |acc_b - conf_b|

    Multilabel (`task="multilabel"`): each label is a binary problem with its
    own bins, and the result is the mean of the labels' errors (macro).

    State is 3 * num_bins compensated sums (per label for multilabel), whatever
    the number of samples (unlike torchmetrics' `CalibrationError`, which keeps
    every prediction). Lower is better.

    Args:
        num_bins: number of equal-width bins, >= 1. Defaults to 15.
        norm: "l1", "l2" or "max". Defaults to "l1".
        from_logits: whether `y_pred` holds logits (softmax for multiclass, sigmoid
            for binary and multilabel). Defaults to False.
        task: "binary", "multiclass", "multilabel", or None to read binary or
            multiclass from the shape of `y_pred` (one score per sample is
            binary). Multi-hot labels (rows summing to more than 1) make a
            multiclass result NaN: pass task="multilabel" for them.
        num_classes: the number of labels, required for task="multilabel";
            for task="multiclass", checked against `y_pred`.
        name: metric name. Defaults to "expected_calibration_error".
        dtype: dtype of the result.

    Inputs:
        y_true: integer ids, or one-hot `(batch, ..., C)`; binary: 0/1 labels;
            multilabel: multi-hot `(batch, ..., C)` (soft labels in [0, 1] too).
        y_pred: probabilities `(batch, ..., C)`; binary: `(batch, ...)` or
            `(batch, ..., 1)`.
        sample_weight: optional, `(batch, ...)` or a prefix of it.

    Example:
        >>> import numpy as np
        >>> m = ExpectedCalibrationError(num_bins=2)
        >>> m.update_state(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]))
        >>> round(float(m.result()), 4)  # one bin: |0.5 - 0.85|
        0.35
        >>> m = ExpectedCalibrationError(num_bins=2, task="multilabel", num_classes=2)
        >>> m.update_state(np.array([[1, 0], [1, 1]]),
        ...                np.array([[0.9, 0.2], [0.7, 0.6]]))
        >>> round(float(m.result()), 4)  # label 0: |1 - 0.8|; label 1: (0.2 + 0.4) / 2
        0.25
    """

    direction = "down"
    default_name = "expected_calibration_error"
    config_fields = ("num_bins", "norm", "from_logits", "task", "num_classes")

    def __init__(
        self,
        num_bins: int = 15,
        norm: str = "l1",
        from_logits: bool = False,
        task: str | None = None,
        num_classes: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.num_bins = check_int("num_bins", num_bins, minimum=1)
        self.norm = check_one_of("norm", norm, NORMS)
        self.from_logits = check_bool("from_logits", from_logits)
        self.task = check_one_of("task", task, TASKS)
        self.num_classes = check_int(
            "num_classes", num_classes, minimum=2, allow_none=True
        )
        if task == "multilabel" and num_classes is None:
            raise ValueError(
                "task='multilabel' keeps bins per label: pass "
                "num_classes=<number of labels>. Received: num_classes=None"
            )
        if num_classes is not None and task not in ("multiclass", "multilabel"):
            raise ValueError(
                "`num_classes` applies to task='multiclass' (checked against "
                "y_pred) and task='multilabel'. Received: "
                f"num_classes={num_classes!r}, task={task!r}"
            )
        # Rows: weight, confidence sum and hit sum of each bin (of each label).
        self.bins = CompensatedSum(self, "bins", (3, *self.cells))
        self.score_range = ScoreRangeGuard(self)

    @property
    def labels(self) -> int | None:
        """The labels binned apart (multilabel), or None."""
        return self.num_classes if self.task == "multilabel" else None

    @property
    def cells(self) -> tuple[int, ...]:
        """The shape of one row of the state: `(num_bins,)`, or `(labels,
        num_bins)` for multilabel."""
        if self.labels is None:
            return (self.num_bins,)
        return (self.labels, self.num_bins)

    def _binned(
        self,
        y_true: Tensor,
        y_pred: Tensor,
        sample_weight: Tensor,
        replicate: Any = None,
    ) -> Any:
        """This batch's `(3, *cells)` bins, or `(R, 3, *cells)` with
        `replicate(weights)` giving each sample's weight in each of R
        replicates; and the unreadable-sample count."""
        y_pred = ops.convert_to_tensor(y_pred)
        task = self.task or infer_task(y_pred)
        probs, targets, weights, unreadable = _probabilities(
            y_true, y_pred, sample_weight, self.from_logits, task, self.num_classes
        )
        confidence, hit = confidences_and_hits(probs, targets, task)  # (N, K)
        size = self.num_bins
        bins = ops.cast(ops.floor(confidence * size), "int32")
        bins = ops.clip(bins, 0, size - 1)
        if self.labels is not None:
            bins = bins + ops.arange(self.labels, dtype="int32") * size
        cells = int(np.prod(self.cells))
        ids = ops.concatenate([bins, bins + cells, bins + 2 * cells], axis=-1)
        if replicate is None:
            weights = weights[:, None]
            ones = ops.ones_like(confidence)
        else:
            weights = replicate(weights)[:, None, :]  # (N, 1, R)
            replicates = weights.shape[-1]
            confidence, hit = confidence[..., None], hit[..., None]
            ones = ops.ones_like(confidence)
            offsets = ops.arange(replicates, dtype="int32") * (3 * cells)
            ids = ids[..., None] + offsets
        values = ops.concatenate(
            [weights * ones, weights * confidence, weights * hit], axis=1
        )
        if replicate is None:
            counts = weighted_bincount(
                ops.reshape(ids, (-1,)), ops.reshape(values, (-1,)), 3 * cells
            )
            return ops.reshape(counts, (3, *self.cells)), unreadable
        counts = weighted_bincount(
            ops.reshape(ids, (-1,)),
            ops.reshape(values, (-1,)),
            replicates * 3 * cells,
        )
        return ops.reshape(counts, (replicates, 3, *self.cells)), unreadable

    def update_state(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> None:
        counts, unreadable = self._binned(y_true, y_pred, sample_weight)
        self.score_range.add(unreadable)
        self.bins.add(counts)

    def _error(self, weight: Tensor, confidence: Tensor, hits: Tensor) -> Any:
        """The error of per-bin sums (bins on the last axis; the mean over the
        labels for multilabel)."""
        value = calibration_error(weight, confidence, hits, self.norm)
        return value if self.labels is None else ops.mean(value, axis=-1)

    # The replicated state `Bootstrap` keeps: `(replicates, 3, *cells)`.

    def replicate_state_shape(self, replicates: int) -> tuple[int, ...]:
        return (replicates, 3, *self.cells)

    def replicate_increment(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor, replicate: Any
    ) -> Any:
        return self._binned(y_true, y_pred, sample_weight, replicate)

    def replicate_values(self, state: Tensor) -> dict[str, Any]:
        weight, confidence, hits = ops.unstack(state, axis=1)
        return {self.name: self._error(weight, confidence, hits)}

    def result(self) -> Any:
        weight, confidence, hits = ops.unstack(self.bins.value())
        value = self._error(weight, confidence, hits)
        return ops.cast(self.score_range.apply(value), self.dtype)

    def reliability(self) -> dict[str, Any]:
        """The reliability diagram's data, per bin (host side, numpy):
        `edges` (num_bins + 1), `confidence` and `accuracy` (the weighted means
        in each bin; NaN where a bin is empty) and `weight` (its total weight).
        Multilabel: `confidence`, `accuracy` and `weight` are `(labels,
        num_bins)`, one row per label."""
        weight, confidence, hits = np.asarray(
            ops.convert_to_numpy(self.bins.value()), dtype=np.float64
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_confidence = np.where(weight != 0, confidence / weight, np.nan)
            accuracy = np.where(weight != 0, hits / weight, np.nan)
        return {
            "edges": np.linspace(0.0, 1.0, self.num_bins + 1),
            "confidence": mean_confidence,
            "accuracy": accuracy,
            "weight": weight,
        }


class BrierScore(PerSampleMean):
    """Brier score: mean squared distance between probabilities and outcomes.

        multiclass:  mean_i sum_k (p_ik - y_ik)^2       (y one-hot; in [0, 2])
        binary:      mean_i (p_i - y_i)^2               (in [0, 1])
        multilabel:  mean_i mean_l (p_il - y_il)^2      (each label binary)

    weighted by `sample_weight`. Binary matches `sklearn.metrics.brier_score_loss`,
    multilabel its mean over the labels. Lower is better.

    Args:
        from_logits: whether `y_pred` holds logits (softmax for multiclass,
            sigmoid for binary and multilabel). Defaults to False.
        task: "binary", "multiclass", "multilabel", or None to read binary or
            multiclass from the shape of `y_pred` (`(batch, ...)` or
            `(batch, ..., 1)` is binary, `(batch, ..., C)` multiclass).
            Multi-hot labels (rows summing to more than 1) make a multiclass
            result NaN: pass task="multilabel" for them.
        name: metric name. Defaults to "brier_score".
        dtype: dtype of the result.

    Inputs:
        y_true: integer ids or one-hot `(batch, ..., C)`; binary: 0/1 labels;
            multilabel: multi-hot `(batch, ..., C)`. Soft labels in [0, 1] too.
        y_pred: probabilities (or logits) as above.
        sample_weight: optional, `(batch, ...)` or a prefix of it.

    Example:
        >>> import numpy as np
        >>> m = BrierScore()
        >>> m.update_state(np.array([1, 0]), np.array([0.8, 0.4]))
        >>> round(float(m.result()), 4)  # (0.04 + 0.16) / 2
        0.1
        >>> m = BrierScore(task="multilabel")
        >>> m.update_state(np.array([[1, 0], [0, 0]]),
        ...                np.array([[0.8, 0.4], [0.2, 0.0]]))
        >>> round(float(m.result()), 4)  # ((0.04 + 0.16) / 2 + 0.04 / 2) / 2
        0.06
    """

    direction = "down"
    config_fields = ("from_logits", "task")

    default_name = "brier_score"

    def __init__(
        self,
        from_logits: bool = False,
        task: str | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.from_logits = check_bool("from_logits", from_logits)
        self.task = check_one_of("task", task, TASKS)
        self.score_range = ScoreRangeGuard(self)

    def weighted_values(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> Any:
        probs, targets, weights, unreadable = _probabilities(
            y_true, y_pred, sample_weight, self.from_logits, self.task
        )
        squared = ops.square(probs - targets)
        if self.task == "multilabel":
            return ops.mean(squared, axis=-1), weights, unreadable
        return ops.sum(squared, axis=-1), weights, unreadable

    def update_state(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> None:
        squared, weights, out_of_range = self.weighted_values(
            y_true, y_pred, sample_weight
        )
        self.score_range.add(out_of_range)
        self.total.add(ops.sum(weights * squared))
        self.weight.add(
            ops.sum(weights),
            library_count_bound(self.weighted_values, weights, sample_weight),
        )

    def result(self) -> Any:
        return ops.cast(self.score_range.apply(super().result()), self.dtype)

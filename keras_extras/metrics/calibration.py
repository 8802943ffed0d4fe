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
from keras_extras.metrics.accumulators import CompensatedSum, weighted_bincount
from keras_extras.metrics.base import (
    ExtrasMetric,
    PerSampleMean,
    ScoreRangeGuard,
    safe_divide,
)
from keras_extras.metrics.inputs import class_ids, probability_inputs, static_shape

NORMS = ("l1", "l2", "max")


def infer_task(y_pred: Tensor) -> str:
    """ "binary" for scores `(batch, ...)` or `(batch, ..., 1)`, else "multiclass"."""
    shape = static_shape(y_pred)
    return "binary" if len(shape) < 2 or shape[-1] == 1 else "multiclass"


def _probabilities(
    y_true: Tensor, y_pred: Tensor, sample_weight: Tensor, from_logits: Any
) -> Any:
    """`probability_inputs` with the task read from the shape of `y_pred`, soft
    targets as given, and the out-of-range count."""
    y_pred = ops.convert_to_tensor(y_pred)
    return probability_inputs(
        y_true,
        y_pred,
        sample_weight,
        task=infer_task(y_pred),
        from_logits=from_logits,
        soft_targets=True,
        count_out_of_range=True,
    )


def confidences_and_hits(probs: Tensor, targets: Tensor) -> Any:
    """Per-sample confidence and hit (binary: p and the label, as torchmetrics).

    Multiclass: confidence is the top probability, hit the target's mass on its
    class (1 or 0 for a one-hot label; the soft label's share for mixup targets).
    """
    if probs.shape[-1] == 1:
        return probs[:, 0], targets[:, 0]
    top = ops.expand_dims(class_ids(probs), -1)
    confidence = ops.take_along_axis(probs, top, axis=-1)[:, 0]
    hit = ops.take_along_axis(targets, top, axis=-1)[:, 0]
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

    State is 3 * num_bins compensated sums, whatever the number of samples (unlike
    torchmetrics' `CalibrationError`, which keeps every prediction). Lower is better.

    Args:
        num_bins: number of equal-width bins, >= 1. Defaults to 15.
        norm: "l1", "l2" or "max". Defaults to "l1".
        from_logits: whether `y_pred` holds logits (softmax for multiclass, sigmoid
            for binary). Defaults to False.
        name: metric name. Defaults to "expected_calibration_error".
        dtype: dtype of the result.

    Inputs:
        y_true: integer ids, or one-hot `(batch, ..., C)`; binary: 0/1 labels.
        y_pred: probabilities `(batch, ..., C)`; binary: `(batch, ...)` or
            `(batch, ..., 1)`.
        sample_weight: optional, `(batch, ...)` or a prefix of it.

    Example:
        >>> import numpy as np
        >>> m = ExpectedCalibrationError(num_bins=2)
        >>> m.update_state(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]))
        >>> round(float(m.result()), 4)  # one bin: |0.5 - 0.85|
        0.35
    """

    direction = "down"
    default_name = "expected_calibration_error"
    config_fields = ("num_bins", "norm", "from_logits")

    def __init__(
        self,
        num_bins: int = 15,
        norm: str = "l1",
        from_logits: bool = False,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.num_bins = check_int("num_bins", num_bins, minimum=1)
        self.norm = check_one_of("norm", norm, NORMS)
        self.from_logits = check_bool("from_logits", from_logits)
        # Rows: weight, confidence sum and hit sum of each bin.
        self.bins = CompensatedSum(self, "bins", (3, self.num_bins))
        self.score_range = ScoreRangeGuard(self)

    def _binned(
        self,
        y_true: Tensor,
        y_pred: Tensor,
        sample_weight: Tensor,
        replicate: Any = None,
    ) -> Any:
        """This batch's `(3, num_bins)` bins, or `(R, 3, num_bins)` with
        `replicate(weights)` giving each sample's weight in each of R replicates;
        and the out-of-range count."""
        probs, targets, weights, out_of_range = _probabilities(
            y_true, y_pred, sample_weight, self.from_logits
        )
        confidence, hit = confidences_and_hits(probs, targets)
        bins = ops.cast(ops.floor(confidence * self.num_bins), "int32")
        bins = ops.clip(bins, 0, self.num_bins - 1)
        size = self.num_bins
        ids = ops.concatenate([bins, bins + size, bins + 2 * size])
        if replicate is None:
            values = ops.concatenate([weights, weights * confidence, weights * hit])
            counts = weighted_bincount(ids, values, 3 * size)
            return ops.reshape(counts, (3, size)), out_of_range
        weights = replicate(weights)  # (samples, R)
        replicates = weights.shape[1]
        values = ops.concatenate(
            [weights, weights * confidence[:, None], weights * hit[:, None]]
        )
        offsets = ops.arange(replicates, dtype="int32") * (3 * size)
        ids = ops.reshape(ids[:, None] + offsets, (-1,))
        counts = weighted_bincount(
            ids, ops.reshape(values, (-1,)), replicates * 3 * size
        )
        return ops.reshape(counts, (replicates, 3, size)), out_of_range

    def update_state(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> None:
        counts, out_of_range = self._binned(y_true, y_pred, sample_weight)
        self.score_range.add(out_of_range)
        self.bins.add(counts)

    # The replicated state `Bootstrap` keeps: `(replicates, 3, num_bins)`.

    def replicate_state_shape(self, replicates: int) -> tuple[int, ...]:
        return (replicates, 3, self.num_bins)

    def replicate_increment(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor, replicate: Any
    ) -> Any:
        return self._binned(y_true, y_pred, sample_weight, replicate)

    def replicate_values(self, state: Tensor) -> dict[str, Any]:
        weight, confidence, hits = ops.unstack(state, axis=1)
        return {self.name: calibration_error(weight, confidence, hits, self.norm)}

    def result(self) -> Any:
        weight, confidence, hits = ops.unstack(self.bins.value())
        value = calibration_error(weight, confidence, hits, self.norm)
        return ops.cast(self.score_range.apply(value), self.dtype)

    def reliability(self) -> dict[str, Any]:
        """The reliability diagram's data, per bin (host side, numpy):
        `edges` (num_bins + 1), `confidence` and `accuracy` (the weighted means
        in each bin; NaN where a bin is empty) and `weight` (its total weight)."""
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

        multiclass:  mean_i sum_k (p_ik - y_ik)^2     (y one-hot; in [0, 2])
        binary:      mean_i (p_i - y_i)^2             (in [0, 1])

    weighted by `sample_weight`. Binary matches `sklearn.metrics.brier_score_loss`.
    Lower is better. The task follows the shape of `y_pred`: `(batch, ...)` or
    `(batch, ..., 1)` is binary, `(batch, ..., C)` multiclass.

    Args:
        from_logits: whether `y_pred` holds logits. Defaults to False.
        name: metric name. Defaults to "brier_score".
        dtype: dtype of the result.

    Inputs:
        y_true: integer ids or one-hot `(batch, ..., C)`; binary: 0/1 labels.
        y_pred: probabilities (or logits) as above.
        sample_weight: optional, `(batch, ...)` or a prefix of it.

    Example:
        >>> import numpy as np
        >>> m = BrierScore()
        >>> m.update_state(np.array([1, 0]), np.array([0.8, 0.4]))
        >>> round(float(m.result()), 4)  # (0.04 + 0.16) / 2
        0.1
    """

    direction = "down"
    config_fields = ("from_logits",)

    default_name = "brier_score"

    def __init__(
        self, from_logits: bool = False, name: str | None = None, dtype: Any = None
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.from_logits = check_bool("from_logits", from_logits)
        self.score_range = ScoreRangeGuard(self)

    def weighted_values(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> Any:
        probs, targets, weights, out_of_range = _probabilities(
            y_true, y_pred, sample_weight, self.from_logits
        )
        squared = ops.sum(ops.square(probs - targets), axis=-1)
        return squared, weights, out_of_range

    def update_state(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> None:
        squared, weights, out_of_range = self.weighted_values(
            y_true, y_pred, sample_weight
        )
        self.score_range.add(out_of_range)
        self.total.add(ops.sum(weights * squared))
        self.weight.add(ops.sum(weights))

    def result(self) -> Any:
        return ops.cast(self.score_range.apply(super().result()), self.dtype)

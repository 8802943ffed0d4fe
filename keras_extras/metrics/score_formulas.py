"""The formulas of the registry's scores that are not per-class ratios:
accuracy, balanced accuracy, MCC, Cohen's kappa, exact match, Hamming loss (and
the terms of F-beta). `scores.py` registers them."""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_extras._typing import Tensor
from keras_extras.metrics.base import safe_divide
from keras_extras.metrics.class_statistics import (
    EXACT_MATCH,
    HAMMING_LOSS,
    ROW_WEIGHT,
    STATISTICS,
    ClassStatistics,
)


def _pooled_binary(statistics: ClassStatistics) -> ClassStatistics:
    """Multilabel statistics pooled into one binary problem (negative, positive)."""
    sums = ops.sum(
        ops.stack([getattr(statistics, name) for name in STATISTICS]), axis=-1
    )  # (4, ...): leading axes are replicates
    tp, predicted, actual, total = (sums[index] for index in range(4))
    negatives = total - predicted - actual + tp
    rows = {
        "tp": ops.stack([negatives, tp], axis=-1),
        "predicted": ops.stack([total - predicted, predicted], axis=-1),
        "actual": ops.stack([total - actual, actual], axis=-1),
    }
    return ClassStatistics(rows, "binary")


def agreement_terms(statistics: ClassStatistics) -> Any:
    """What MCC and Cohen's kappa share, on proportions so float32 never
    overflows, and without subtracting two numbers near 1. Cached on `statistics`.

    Returns `(agreement, chance_disagreement, variance_true, variance_pred)`:

        agreement           = accuracy - sum_k p_k t_k = sum_k (tp_k tn_k - fp_k fn_k)
        chance_disagreement = 1 - sum_k p_k t_k         = sum_k p_k (1 - t_k)
        variance            = sum_k q_k (1 - q_k)

    with every count divided by the total. The right-hand forms equal the left
    ones; with them a perfect classifier's agreement is its variance, computed by
    the same ops, so its MCC and kappa are 1 (eagerly exactly, under XLA within
    5.4e-7; at p = t = (0.978, 0.022), `1 - sum_k p_k t_k` against
    `sum_k q_k (1 - q_k)` scored MCC 0.999998). A
    class holding all the weight has `1 - q` exactly 0 (XLA divides by
    multiplying with a reciprocal, and x * (1 / x) can miss 1). Multilabel pools
    the labels' 2x2 matrices first.
    """
    if "agreement" not in statistics.cache:
        pooled = statistics
        if statistics.task == "multilabel":
            pooled = _pooled_binary(statistics)
        total = ops.expand_dims(pooled.total, -1)
        counts = ops.stack([pooled.predicted, pooled.actual])  # (2, ..., C)
        marginals = safe_divide(counts, total)
        rest = ops.where(counts >= total, 0.0, 1.0 - marginals)
        q_pred, q_true = marginals[0], marginals[1]
        hit = safe_divide(pooled.tp, total)
        false_pos, false_neg = q_pred - hit, q_true - hit
        true_neg = rest[0] - false_neg
        agreement = ops.sum(hit * true_neg - false_pos * false_neg, axis=-1)
        chance_disagreement = ops.sum(q_pred * rest[1], axis=-1)
        variances = ops.sum(marginals * rest, axis=-1)
        statistics.cache["agreement"] = (
            agreement,
            chance_disagreement,
            variances[1],
            variances[0],
        )
    return statistics.cache["agreement"]


def accuracy_score(
    statistics: Tensor, zero_division: float = 0.0, options: Any = None
) -> Any:
    """Correct / total (multilabel: (tp + tn) / total over every label, which is
    also the accuracy of the pooled 2x2 matrix). Cached on `statistics`."""
    if "accuracy" not in statistics.cache:
        if statistics.task == "multilabel":
            correct = ops.subtract(
                ops.add(ops.multiply(statistics.tp, 2.0), statistics.total),
                ops.add(statistics.predicted, statistics.actual),
            )
            value = safe_divide(
                ops.sum(correct, axis=-1), ops.sum(statistics.total, axis=-1)
            )
        else:
            value = safe_divide(ops.sum(statistics.tp, axis=-1), statistics.total)
        statistics.cache["accuracy"] = value
    return statistics.cache["accuracy"]


def balanced_accuracy_score(
    statistics: Tensor, zero_division: Any, options: Any
) -> Any:
    """Mean recall over the classes present in `y_true` (scikit-learn's): those
    whose support is not 0 (negative weights can make it negative)."""
    actual = statistics.actual
    present = ops.cast(actual != 0, "float32")
    return safe_divide(
        ops.sum(safe_divide(statistics.tp, actual), axis=-1),
        ops.sum(present, axis=-1),
        zero_division,
    )


def mcc_score(statistics: Tensor, zero_division: Any, options: Any) -> Any:
    """Multiclass MCC (Gorodkin's R_K), 0 where undefined (scikit-learn's)."""
    agreement, _, variance_true, variance_pred = agreement_terms(statistics)
    # In [-1, 1]; rounding (XLA's reciprocal division) reached 1 + 2.4e-7.
    mcc = safe_divide(agreement, ops.sqrt(variance_true * variance_pred))
    return ops.clip(mcc, -1.0, 1.0)


def kappa_penalty(num_classes: int, weights: str) -> Any:
    """Disagreement weights |i - j| ("linear") or (i - j)^2 ("quadratic"), made
    on the device by three ops (no C x C constant copied from the host per step)."""
    index = ops.arange(num_classes, dtype="float32")
    distance = index[:, None] - index[None, :]
    return ops.abs(distance) if weights == "linear" else distance * distance


def kappa_score(statistics: Tensor, zero_division: Any, options: Any) -> Any:
    weights = options.get("kappa_weights")
    if weights is None:
        agreement, chance_disagreement, _, _ = agreement_terms(statistics)
        kappa = safe_divide(agreement, chance_disagreement, zero_division)
        return ops.minimum(kappa, 1.0)  # at most 1, as for MCC
    matrix = statistics.matrix
    penalty = kappa_penalty(matrix.shape[0], weights)
    observed = safe_divide(matrix, ops.sum(matrix))
    expected = ops.outer(ops.sum(observed, axis=1), ops.sum(observed, axis=0))
    disagreement = safe_divide(
        ops.sum(penalty * observed), ops.sum(penalty * expected), 1.0 - zero_division
    )
    return 1.0 - disagreement


def exact_match_score(statistics: Tensor, zero_division: Any, options: Any) -> Any:
    """The weighted share of rows whose labels are all predicted right
    (scikit-learn's `accuracy_score` on multilabel rows); NaN before any row
    is counted."""
    rows = statistics.row_sums
    return safe_divide(rows[EXACT_MATCH], rows[ROW_WEIGHT], float("nan"))


def hamming_loss_score(statistics: Tensor, zero_division: Any, options: Any) -> Any:
    """The weighted share of wrong labels (scikit-learn's `hamming_loss`), over
    the rows whose labels are all counted (as `HammingLoss`); NaN before any
    row is counted (0 would be a perfect score)."""
    rows = statistics.row_sums
    return safe_divide(rows[HAMMING_LOSS], rows[ROW_WEIGHT], float("nan"))


def fbeta_terms(options: Any) -> Any:
    beta2 = float(options.get("beta", 1.0)) ** 2
    # (1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp) = ... / (predicted + b^2 actual)
    return (1 + beta2, 0, 0, 0), (0, 1, beta2, 0)

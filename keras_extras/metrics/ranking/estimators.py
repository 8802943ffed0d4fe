"""The curve scores from the histogram state: AUROC, average precision, and the
rates at every grid threshold that the operating points read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from keras import ops

from keras_extras._typing import Tensor
from keras_extras.metrics.base import safe_divide
from keras_extras.metrics.ranking.interpolation import lookup_buckets


def _above(histogram: Tensor) -> Any:
    """Weight in the buckets above each bucket (ascending histograms)."""
    return ops.sum(histogram, axis=-1, keepdims=True) - ops.cumsum(histogram, axis=-1)


def auroc_from_stats(stats: Tensor, widths: Tensor, table: Tensor) -> Any:
    """AUROC per class from the `(4, K, T)` state.

    sum over buckets b of P_b (N_below_b + q_b N_b) / (P N): pairs in different
    buckets are ordered by bucket, pairs sharing one by `bucket_table()` `q`.
    """
    positive, negative = stats[0], stats[1]
    q = lookup_buckets(stats, widths, table)[..., 0]
    negative_below = ops.cumsum(negative, axis=-1) - negative
    pairs = ops.sum(positive * (negative_below + q * negative), axis=-1)
    return safe_divide(pairs, ops.sum(positive, axis=-1) * ops.sum(negative, axis=-1))


def average_precision_from_stats(stats: Tensor, widths: Tensor, table: Tensor) -> Any:
    """Average precision per class, sum_j (R_j - R_{j+1}) P_j (scikit-learn's),
    from the `(5, K, T)` state.

    Each bucket's positives contribute a blend of two estimates:

    - *tied*: all of the bucket's positives at their mean position, behind the
      share of its negatives that lies at or above it (`ahead`); exact for one
      positive sample, and scikit-learn's rule for tied scores;
    - *ramp*: the precision where half of the bucket's positives have been
      passed (the midpoint rule for the precision averaged over them), right in
      the limit of many samples.

    With `k` positive samples in the bucket (state row 5), the ramp gets the share
    `max(0, 1 - 2 / k)`, and none when the positives sit at the bucket's threshold
    (scores on the grid).
    """
    positive, negative = stats[0], stats[1]
    looked_up = lookup_buckets(stats, widths, table)
    ahead, passed = looked_up[..., 1], looked_up[..., 2]
    tp_before = _above(positive)
    fp_before = _above(negative)
    tied = safe_divide(
        positive * (tp_before + positive),
        tp_before + fp_before + positive + negative * ahead,
    )
    true_positives = tp_before + 0.5 * positive
    ramp = safe_divide(
        positive * true_positives, true_positives + fp_before + negative * passed
    )

    share = ops.clip(1.0 - safe_divide(2.0, stats[4]), 0.0, 1.0)
    spread = ops.greater(stats[2], 0.0)  # positives off the threshold
    share = ops.where(spread, share, 0.0)
    contributions = share * ramp + (1.0 - share) * tied
    return safe_divide(ops.sum(contributions, axis=-1), ops.sum(positive, axis=-1))


def threshold_counts(stats: Tensor) -> Any:
    """Per class and grid threshold `t` (samples scoring `>= t` predicted
    positive): `(tp, fp, positives, negatives)`."""
    positive, negative = stats[0], stats[1]
    # Summed from the top, so the counts above the last score are exactly 0
    # (a total minus a running sum leaves rounding there: precision 1 from 0/0).
    tp = ops.flip(ops.cumsum(ops.flip(positive, axis=-1), axis=-1), axis=-1)
    fp = ops.flip(ops.cumsum(ops.flip(negative, axis=-1), axis=-1), axis=-1)
    positives = ops.sum(positive, axis=-1, keepdims=True)
    negatives = ops.sum(negative, axis=-1, keepdims=True)
    return tp, fp, positives, negatives


# Rates at each threshold from `threshold_counts`; `result()` runs every step, so
# a metric computes only the ones it reads.
RATES: dict[str, Callable[..., Any]] = {
    "recall": lambda tp, fp, pos, neg: safe_divide(tp, pos),
    "fpr": lambda tp, fp, pos, neg: safe_divide(fp, neg),
    "precision": lambda tp, fp, pos, neg: safe_divide(tp, tp + fp),
    "specificity": lambda tp, fp, pos, neg: safe_divide(neg - fp, neg),
}


def threshold_rates(stats: Tensor, *names: Any) -> Any:
    """The named rates (`RATES`) at every grid threshold, per class."""
    counts = threshold_counts(stats)
    return [RATES[name](*counts) for name in names]


def average_curve_scores(
    scores: Tensor, positive: Tensor, negative: Tensor, average: Any
) -> Any:
    """Average per-class scores over classes where they are defined (both positive
    and negative weight present); "weighted" by positive weight (support)."""
    support = ops.sum(positive, axis=-1)
    defined = ops.logical_and(
        ops.greater(support, 0), ops.greater(ops.sum(negative, axis=-1), 0)
    )
    scores = ops.where(defined, scores, 0.0)
    if average is None:
        return scores
    weights = ops.cast(defined, "float32")
    if average == "weighted":
        weights = weights * support
    # Classes are the last axis (a leading axis holds bootstrap replicates).
    return safe_divide(ops.sum(scores * weights, axis=-1), ops.sum(weights, axis=-1))

"""Ranking metrics from streaming score histograms: AUROC and average precision.

Scores are bucketed on a fixed grid of `num_thresholds` thresholds (`threshold_grid`);
per class, the state holds, for each bucket, the weight of the positive and of the
negative samples, and their weighted sums of offsets from the bucket's threshold
(average precision also counts the positive samples): O(num_classes *
num_thresholds), whatever the number of samples.

Scores on the grid have offset 0, and then the results equal scikit-learn's exactly.
Between grid points, the order of a bucket's positives and negatives is unknown; the
mean offset of each tells where in the bucket they lie. `bucket_density` models each
class's weight in a bucket from that mean, and `bucket_table` tabulates, on the host
and once, what the curves need from a pair of models; `result()` looks them up, so
it costs a few ops on `(classes, thresholds)` tensors.

The grid is uniform over [0, 1] in steps of 0.01 (with the default 200 thresholds),
so decimal scores are on it, plus log-spaced points in the tails (0, 0.01) and
(0.99, 1): saturated softmax and sigmoid outputs pile up there, and a uniform grid
would tie them all.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from keras import ops

from keras_extras._typing import Tensor
from keras_extras._validation import check_bool, check_int, check_number, check_one_of
from keras_extras.metrics.accumulators import CompensatedSum, weighted_bincount
from keras_extras.metrics.base import (
    ExtrasMetric,
    ScoreRangeGuard,
    safe_divide,
)
from keras_extras.metrics.inputs import TASKS, cast_to, probability_inputs

RANKING_AVERAGES = ("macro", "weighted", "micro", None)
# Mean positions tabulated per bucket (0, 1/32, ..., 1), and the parts each bucket
# is split into when the tables are computed.
POSITIONS = 32
PARTS = 64


def threshold_grid(num_thresholds: int) -> np.ndarray:
    """Sorted float32 thresholds: 0, 1, a uniform part and log-spaced tails.

    About half the points are uniform (step `1 / (uniform - 1)`); the rest are split
    between `(0, step)` and `(1 - step, 1)`, log-spaced down to 1e-7 from 0 and to
    1e-5 from 1 (float32 cannot tell finer points apart just below 1).
    """
    uniform = num_thresholds // 2 + 1
    tails = num_thresholds - uniform
    step = 1.0 / (uniform - 1)
    low = np.logspace(-7, np.log10(step), tails // 2 + 2)[1:-1]  # empty if no tails
    high = 1.0 - np.logspace(-5, np.log10(step), tails - tails // 2 + 2)[1:-1]
    grid = np.concatenate(
        [np.linspace(0.0, 1.0, uniform), low, high[: tails - len(low)]]
    )
    grid = np.unique(grid.astype("float32"))
    if len(grid) != num_thresholds:  # float32 rounding merged two tail points
        raise ValueError(
            "Invalid `num_thresholds`: too fine for float32 scores. "
            f"Received: num_thresholds={num_thresholds}"
        )
    return grid


def score_histograms(
    probs: Tensor,
    targets: Tensor,
    weights: Tensor,
    grid: Tensor,
    rows: int = 4,
    replicate: Any = None,
) -> Any:
    """Per (class, bucket) statistics of a batch: a `(rows, K, T)` tensor.

    `grid` is the threshold grid as a float32 tensor. Rows: positive weight,
    negative weight, positive weight * offset, negative weight * offset (offset:
    score minus the bucket's threshold) and, with `rows=5`, the number of positive
    samples (with non-zero weight). With `replicate` (a function giving each
    sample's weight in each of R bootstrap replicates, `(samples, R)`), the result
    is `(R, rows, K, T)`, still from one scatter-add.
    """
    if replicate is not None:
        return _replicated_histograms(probs, targets, weights, grid, rows, replicate)
    num_columns, num_thresholds = probs.shape[-1], grid.shape[0]
    buckets, offsets = _buckets(probs, grid)
    columns = ops.tile(
        ops.arange(num_columns, dtype="int32") * num_thresholds,
        [ops.shape(probs)[0]],
    )
    ids = buckets + columns
    size = num_columns * num_thresholds
    positive = ops.reshape(targets * weights[:, None], (-1,))
    negative = ops.reshape((1.0 - targets) * weights[:, None], (-1,))
    values = [positive, negative, positive * offsets, negative * offsets]
    if rows == 5:
        counted = ops.cast(ops.greater(weights, 0.0), "float32")
        values.append(ops.reshape(targets * counted[:, None], (-1,)))
    counts = weighted_bincount(
        ops.concatenate([ids + row * size for row in range(rows)]),
        ops.concatenate(values),
        rows * size,
    )
    return ops.reshape(counts, (rows, num_columns, num_thresholds))


def _buckets(probs: Tensor, grid: Tensor) -> tuple[Tensor, Tensor]:
    """Each score's bucket on the grid (flat, int32) and its offset above the
    bucket's threshold."""
    flat = ops.reshape(probs, (-1,))
    buckets = ops.searchsorted(grid, flat, side="right")
    buckets = ops.clip(ops.cast(buckets, "int32") - 1, 0, grid.shape[0] - 1)
    return buckets, flat - ops.take(grid, buckets)


def _replicated_histograms(
    probs: Tensor,
    targets: Tensor,
    weights: Tensor,
    grid: Tensor,
    rows: Any,
    replicate: Any,
) -> Any:
    """`score_histograms` for R replicates at once: `(R, rows, K, T)`."""
    num_columns, num_thresholds = probs.shape[-1], grid.shape[0]
    buckets, offsets = _buckets(probs, grid)
    samples = ops.shape(probs)[0]
    size = num_columns * num_thresholds
    columns = ops.arange(num_columns, dtype="int32") * num_thresholds
    ids = ops.reshape(buckets, (samples, num_columns)) + columns  # (N, K)
    offsets = ops.reshape(offsets, (samples, 1, num_columns))
    weights = replicate(weights)  # (N, R)
    replicates = weights.shape[1]
    positive = targets[:, None, :] * weights[:, :, None]  # (N, R, K)
    negative = (1.0 - targets[:, None, :]) * weights[:, :, None]
    values = [positive, negative, positive * offsets, negative * offsets]
    if rows == 5:  # positive samples with weight in the replicate (a sample drawn
        # twice is one sample of weight 2 there: its copies tie)
        counted = ops.cast(ops.greater(weights, 0.0), "float32")
        values.append(targets[:, None, :] * counted[:, :, None])
    block = ops.arange(replicates, dtype="int32")[:, None] * (rows * size)
    row_ids = [ids[:, None, :] + block + row * size for row in range(rows)]
    counts = weighted_bincount(
        ops.reshape(ops.stack(row_ids), (-1,)),
        ops.reshape(ops.stack(values), (-1,)),
        replicates * rows * size,
    )
    return ops.reshape(counts, (replicates, rows, num_columns, num_thresholds))


def bucket_widths(grid: np.ndarray) -> np.ndarray:
    """Width of each bucket `[t_j, t_{j+1})`; the last one, `[1, 1]`, has width 0."""
    return np.append(np.diff(grid), 0.0).astype("float32")


def bucket_density(position: float, parts: int = PARTS) -> np.ndarray:
    """Share of a bucket's weight in each of its `parts` equal parts (host side).

    `position` is the weight's mean place in the bucket, in [0, 1]. The density is
    linear over the bucket when the mean is in the middle third, and a triangle
    against the near edge otherwise (the widest linear density with that mean).
    Position 0, where scores on the grid are, puts everything in the first part.
    """
    x = (np.arange(parts) + 0.5) / parts
    if position < 1 / 3:
        density = np.maximum(3 * position - x, 0.0)
    elif position > 2 / 3:
        density = np.maximum(x - (3 * position - 2), 0.0)
    else:
        density = 1 + 12 * (position - 0.5) * (x - 0.5)
    if density.sum() == 0:  # all of it within half a part of an edge
        density = np.eye(parts)[min(int(position * parts), parts - 1)]
    return density / density.sum()


@functools.cache
def bucket_table() -> np.ndarray:
    """What the curves need from a bucket, for each pair of mean positions.

    For positives at mean position `i / POSITIONS` and negatives at `j / POSITIONS`
    (each spread by `bucket_density`), row `i * (POSITIONS + 1) + j` holds:

    - `q`: the probability that a negative lies below a positive (ties count one
      half), which is how AUROC counts the bucket's positive-negative pairs;
    - `ahead`: the share of negatives at or above the positives' mean position;
    - `passed`: the share of negatives above the positives' median.

    At positions (0, 0), scores on the grid, these are 1/2, 1, and the tie rule.
    Built once per process, on the host.
    """
    densities = [bucket_density(i / POSITIONS) for i in range(POSITIONS + 1)]
    rows = []
    for i, positive in enumerate(densities):
        positives_at_or_above = np.cumsum(positive[::-1])[::-1]
        first = min(int(i / POSITIONS * PARTS), PARTS - 1)
        median = np.nonzero(positives_at_or_above >= 0.5)[0].max()
        for negative in densities:
            below = np.cumsum(negative) - negative
            above = np.cumsum(negative[::-1])[::-1] - negative
            q = np.sum(positive * (below + 0.5 * negative))
            ahead = negative[first:].sum()
            passed = above[median] + 0.5 * negative[median]
            rows.append([q, ahead, passed])
    return np.asarray(rows, dtype="float32")


def lookup_buckets(stats: Tensor, widths: Tensor, table: Tensor) -> Any:
    """`(K, T, 3)` rows of `table` (`bucket_table()` as a tensor) for each class
    and bucket: the mean positions of the positive and negative weight, from the
    state, rounded to `1 / POSITIONS`."""
    position = safe_divide(stats[2:4], stats[0:2] * widths)
    position = ops.where(position == position, position, 0.0)  # NaN state: no crash
    index = ops.cast(ops.round(ops.clip(position, 0.0, 1.0) * POSITIONS), "int32")
    index = index[0] * (POSITIONS + 1) + index[1]
    return ops.take(table, index, axis=0)


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


def _threshold_counts(stats: Tensor) -> Any:
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


# Rates at each threshold from `_threshold_counts`; `result()` runs every step, so
# a metric computes only the ones it reads.
_RATES = {
    "recall": lambda tp, fp, pos, neg: safe_divide(tp, pos),
    "fpr": lambda tp, fp, pos, neg: safe_divide(fp, neg),
    "precision": lambda tp, fp, pos, neg: safe_divide(tp, tp + fp),
    "specificity": lambda tp, fp, pos, neg: safe_divide(neg - fp, neg),
}


def _threshold_rates(stats: Tensor, *names: Any) -> Any:
    """The named rates (`_RATES`) at every grid threshold, per class."""
    counts = _threshold_counts(stats)
    return [_RATES[name](*counts) for name in names]


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


class _CurveMetric(ExtrasMetric):
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
        task: str = "multiclass",
        average: str | None = "macro",
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
        self.widths = ops.convert_to_tensor(bucket_widths(self.grid))
        self.table = ops.convert_to_tensor(bucket_table())
        self.histograms = CompensatedSum(
            self, "histograms", (self.state_rows, columns, self.num_thresholds)
        )
        self.score_range = ScoreRangeGuard(self)

    def _inputs(self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor) -> Any:
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
        probs, targets, weights, out_of_range = self._inputs(
            y_true, y_pred, sample_weight
        )
        self.score_range.add(out_of_range)
        self.histograms.add(
            score_histograms(probs, targets, weights, self.grid_tensor, self.state_rows)
        )

    def per_class(self, stats: Tensor) -> Any:
        """The score of each class (one row for binary or micro) from the state."""
        curve = type(self).curve
        assert curve is not None, "a curve metric defines `curve`"
        return curve(stats, self.widths, self.table)

    def _pooled_stats(self, stats: Tensor | None = None) -> Any:
        """`stats` (the state by default), `(rows, ..., K, T)`, with the classes
        pooled for micro averaging."""
        if stats is None:
            stats = self.histograms.value()
        if self.average == "micro" and self.task != "binary":
            stats = ops.sum(stats, axis=-2, keepdims=True)
        return stats

    def _average(self, scores: Tensor, stats: Tensor) -> Any:
        if self.task == "binary" or self.average == "micro":
            return scores[..., 0]
        return average_curve_scores(scores, stats[0], stats[1], self.average)

    # The replicated state `Bootstrap` keeps: `(replicates, rows, K, T)`.

    def replicate_state_shape(self, replicates: int) -> tuple[int, ...]:
        columns = int(self.histograms.shape[1])
        return (replicates, self.state_rows, columns, self.num_thresholds)

    def replicate_increment(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor, replicate: Any
    ) -> Any:
        probs, targets, weights, out_of_range = self._inputs(
            y_true, y_pred, sample_weight
        )
        histograms = score_histograms(
            probs, targets, weights, self.grid_tensor, self.state_rows, replicate
        )
        return histograms, out_of_range

    def replicate_values(self, state: Tensor) -> Any:
        stats = self._pooled_stats(ops.moveaxis(state, 0, 1))  # rows first
        return self._average(self.per_class(stats), stats)

    def result(self) -> Any:
        stats = self._pooled_stats()
        value = self._average(self.per_class(stats), stats)
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
        fpr, tpr = _threshold_rates(self._pooled_stats(), "fpr", "recall")
        return self._curve_arrays(fpr, tpr)

    def precision_recall_curve(self) -> Any:
        """`(precision, recall, thresholds)` at every threshold of the grid, exact.

        Precision is 0 where no sample scores at or above a threshold (Keras'
        rule). Shapes as `roc_curve`.
        """
        precision, recall = _threshold_rates(
            self._pooled_stats(), "precision", "recall"
        )
        return self._curve_arrays(precision, recall)

    def _curve_arrays(self, first: Any, second: Any) -> Any:
        first, second = ops.convert_to_numpy(first), ops.convert_to_numpy(second)
        if self.task == "binary" or self.average == "micro":
            first, second = first[0], second[0]
        return first, second, self.thresholds()


_RANKING_ARGS = """
    Args:
        num_classes: number of classes (labels, for multilabel). Required for
            multiclass and multilabel; 2 (or omitted) for binary.
        task: "binary", "multiclass" (one-vs-rest) or "multilabel". Defaults to
            "multiclass".
        average: "macro" (mean over classes), "weighted" (by positive support),
            "micro" (pool every class's scores into one curve) or None (one value
            per class). Classes without both positive and negative samples are left
            out of the averages (and give 0 with average=None). Defaults to "macro".
        num_thresholds: size of the threshold grid, >= 4 (see `threshold_grid`:
            uniform in steps of 0.01 for 200, plus log-spaced tails near 0 and 1).
            Defaults to 200.
        from_logits: whether `y_pred` holds logits (softmax for multiclass, sigmoid
            otherwise). Defaults to False.
        name: metric name.
        dtype: dtype of the result.

    Inputs:
        y_true: multiclass integer ids or one-hot `(batch, ..., C)`; binary 0/1
            labels; multilabel multi-hot `(batch, ..., C)`.
        y_pred: probabilities (or logits) `(batch, ..., C)`; binary `(batch, ...)`
            or `(batch, ..., 1)`.
        sample_weight: optional, `(batch, ...)` or a prefix of it.
"""


class AUROC(_CurveMetric):
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


class AveragePrecision(_CurveMetric):
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
    _cls.__doc__ = (_cls.__doc__ or "").replace("    {args}\n", _RANKING_ARGS)


class _OperatingPoint(_CurveMetric):
    """The best `value` rate over the thresholds where the `constraint` rate
    reaches `target` (Keras' `PrecisionAtRecall` family, per class)."""

    constraint = ""
    value = ""
    target_name = ""

    def __init__(
        self,
        target: float,
        num_classes: int | None = None,
        task: str = "multiclass",
        average: str | None = "macro",
        num_thresholds: int = 200,
        from_logits: bool = False,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        setattr(
            self,
            self.target_name,
            check_number(self.target_name, target, 0.0, 1.0),
        )
        super().__init__(
            num_classes=num_classes,
            task=task,
            average=average,
            num_thresholds=num_thresholds,
            from_logits=from_logits,
            name=name,
            dtype=dtype,
        )

    def per_class(self, stats: Tensor) -> Any:
        constraint, value = _threshold_rates(stats, self.constraint, self.value)
        allowed = constraint >= getattr(self, self.target_name)
        return ops.max(ops.where(allowed, value, 0.0), axis=-1)


_OPERATING_ARGS = """
    Args:
        {constraint}: the {constraint} to reach, in [0, 1].
        num_classes: number of classes (labels, for multilabel). Required for
            multiclass (one-vs-rest) and multilabel; 2 (or omitted) for binary.
        task: "binary", "multiclass" or "multilabel". Defaults to "multiclass".
        average: "macro", "weighted" (by positive support), "micro" (one curve
            over every class's scores) or None (one value per class). Classes
            without both positive and negative samples are left out of the
            averages. Defaults to "macro".
        num_thresholds: size of the threshold grid (see `threshold_grid`).
            Defaults to 200.
        from_logits: whether `y_pred` holds logits. Defaults to False.
        name: metric name.
        dtype: dtype of the result.
"""


class PrecisionAtRecall(_OperatingPoint):
    """The highest precision at a recall of at least `target`, per class.

        value_c = max over thresholds t with recall_c(t) >= target of precision_c(t)

    over the threshold grid (a sample scoring `>= t` is predicted positive), from
    the same per-class histograms as `AUROC`: exact at the grid's thresholds.
    Keras' `PrecisionAtRecall` is binary only; this one is also one-vs-rest
    multiclass with sparse labels, and multilabel.
    {args}
    Example:
        >>> import numpy as np
        >>> m = PrecisionAtRecall(recall=0.5, task="binary")
        >>> m.update_state(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.3, 0.8]))
        >>> float(m.result())  # threshold 0.8: recall 0.5, precision 1
        1.0
    """

    constraint, value, target_name = "recall", "precision", "recall"
    default_name = "precision_at_recall"
    config_fields = ("recall",)

    def __init__(
        self,
        recall: float,
        num_classes: int | None = None,
        task: str = "multiclass",
        average: str | None = "macro",
        num_thresholds: int = 200,
        from_logits: bool = False,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            recall,
            num_classes=num_classes,
            task=task,
            average=average,
            num_thresholds=num_thresholds,
            from_logits=from_logits,
            name=name,
            dtype=dtype,
        )


class RecallAtPrecision(_OperatingPoint):
    """The highest recall at a precision of at least `target`, per class.

        value_c = max over thresholds t with precision_c(t) >= target of recall_c(t)

    As `PrecisionAtRecall`, with the roles swapped (Keras' `RecallAtPrecision`,
    beyond binary).
    {args}
    Example:
        >>> import numpy as np
        >>> m = RecallAtPrecision(precision=0.6, task="binary")
        >>> m.update_state(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.3, 0.8]))
        >>> float(m.result())  # threshold 0.3: precision 2/3, recall 1
        1.0
    """

    constraint, value, target_name = "precision", "recall", "precision"
    default_name = "recall_at_precision"
    config_fields = ("precision",)

    def __init__(
        self,
        precision: float,
        num_classes: int | None = None,
        task: str = "multiclass",
        average: str | None = "macro",
        num_thresholds: int = 200,
        from_logits: bool = False,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            precision,
            num_classes=num_classes,
            task=task,
            average=average,
            num_thresholds=num_thresholds,
            from_logits=from_logits,
            name=name,
            dtype=dtype,
        )


class SpecificityAtSensitivity(_OperatingPoint):
    """The highest specificity at a sensitivity (recall) of at least `target`.

        value_c = max over t with sensitivity_c(t) >= target of specificity_c(t)

    (Keras' `SpecificityAtSensitivity`, beyond binary.)
    {args}
    Example:
        >>> import numpy as np
        >>> m = SpecificityAtSensitivity(sensitivity=1.0, task="binary")
        >>> m.update_state(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.3, 0.8]))
        >>> float(m.result())  # threshold 0.3: both positives, one negative out
        0.5
    """

    constraint, value, target_name = "recall", "specificity", "sensitivity"
    default_name = "specificity_at_sensitivity"
    config_fields = ("sensitivity",)

    def __init__(
        self,
        sensitivity: float,
        num_classes: int | None = None,
        task: str = "multiclass",
        average: str | None = "macro",
        num_thresholds: int = 200,
        from_logits: bool = False,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            sensitivity,
            num_classes=num_classes,
            task=task,
            average=average,
            num_thresholds=num_thresholds,
            from_logits=from_logits,
            name=name,
            dtype=dtype,
        )


_operating: type[_OperatingPoint]
for _operating, _what in (
    (PrecisionAtRecall, "recall"),
    (RecallAtPrecision, "precision"),
    (SpecificityAtSensitivity, "sensitivity"),
):
    _operating.__doc__ = (_operating.__doc__ or "").replace(
        "    {args}\n", _OPERATING_ARGS.format(constraint=_what)
    )


class BestThreshold(_CurveMetric):
    """The best F-beta over the threshold grid, per class, and where it is.

        F_beta(t) = (1 + b^2) TP(t) / ((1 + b^2) TP(t) + b^2 FN(t) + FP(t))

    for each grid threshold `t` (a sample scoring `>= t` is predicted positive),
    from the per-class histograms: exact at the grid's thresholds. `result()` is a
    dict: `{name}` the best F-beta (averaged over classes as `average` says) and
    `{name}_threshold` the threshold that reaches it (binary and micro), or one
    `{name}_threshold/<class>` key per class: the decision thresholds to deploy,
    tracked during training. `best_thresholds()` returns them as an array.

    Args:
        beta: weight of recall, > 0. Defaults to 1 (F1).
        num_classes: number of classes (labels, for multilabel). Required for
            multiclass (one-vs-rest) and multilabel; 2 (or omitted) for binary.
        task: "binary", "multiclass" or "multilabel". Defaults to "multiclass".
        average: "macro", "weighted", "micro" or None, as in `AUROC`.
            Defaults to "macro".
        num_thresholds: size of the threshold grid. Defaults to 200.
        from_logits: whether `y_pred` holds logits (the thresholds then apply to
            the probabilities). Defaults to False.
        name: metric name (and key prefix). Defaults to "best_f1" for beta 1,
            else "best_fbeta".
        dtype: dtype of the result.

    Example:
        >>> import numpy as np
        >>> m = BestThreshold(task="binary")
        >>> m.update_state(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.3, 0.8]))
        >>> {k: round(float(v), 4) for k, v in m.result().items()}
        {'best_f1': 0.8, 'best_f1_threshold': 0.3}
    """

    default_name = "best_f1"  # "best_fbeta" when beta is not 1
    config_fields = ("beta",)

    def __init__(
        self,
        beta: float = 1.0,
        num_classes: int | None = None,
        task: str = "multiclass",
        average: str | None = "macro",
        num_thresholds: int = 200,
        from_logits: bool = False,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        self.beta = check_number("beta", beta, 0.0, None, low_inclusive=False)
        if self.beta != 1.0:
            self.default_name = "best_fbeta"
        super().__init__(
            num_classes=num_classes,
            task=task,
            average=average,
            num_thresholds=num_thresholds,
            from_logits=from_logits,
            name=name,
            dtype=dtype,
        )

    def _fbeta(self, stats: Tensor) -> Any:
        tp, fp, positives, _ = _threshold_counts(stats)
        b2 = self.beta**2
        return safe_divide((1 + b2) * tp, (1 + b2) * tp + b2 * (positives - tp) + fp)

    def per_class(self, stats: Tensor) -> Any:
        return ops.max(self._fbeta(stats), axis=-1)

    def _best_index(self, fbeta: Tensor) -> Any:
        # The highest threshold among equal bests (ties: the stricter decision).
        return self.num_thresholds - 1 - ops.argmax(ops.flip(fbeta, axis=-1), axis=-1)

    def result(self) -> Any:
        stats = self._pooled_stats()
        fbeta = self._fbeta(stats)  # once: the best value and where it is
        best = ops.max(fbeta, axis=-1)
        value = self.score_range.apply(self._average(best, stats))
        thresholds = ops.take(self.grid_tensor, self._best_index(fbeta))
        results = {self.name: cast_to(value, self.dtype)}
        key = f"{self.name}_threshold"
        if self.task == "binary" or self.average == "micro":
            results[key] = cast_to(thresholds[0], self.dtype)
        else:
            for index, threshold in enumerate(ops.unstack(thresholds)):
                results[f"{key}/{index}"] = cast_to(threshold, self.dtype)
        return results

    def best_thresholds(self) -> np.ndarray:
        """The best threshold of each class (one for binary and micro)."""
        fbeta = self._fbeta(self._pooled_stats())
        index = ops.convert_to_numpy(self._best_index(fbeta))
        return self.grid[index]

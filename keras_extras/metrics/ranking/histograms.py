"""Streaming score histograms over a threshold grid: the state of every curve metric.

Scores are bucketed on a fixed grid of `num_thresholds` thresholds (`threshold_grid`);
per class, the state holds, for each bucket, the weight of the positive and of the
negative samples, and their weighted sums of offsets from the bucket's threshold
(average precision also counts the positive samples): O(num_classes *
num_thresholds), whatever the number of samples.

The grid is uniform over [0, 1] in steps of 0.01 (with the default 200 thresholds),
so decimal scores are on it, plus log-spaced points in the tails (0, 0.01) and
(0.99, 1): saturated softmax and sigmoid outputs pile up there, and a uniform grid
would tie them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from keras import ops

from keras_extras._typing import Tensor
from keras_extras.metrics.accumulators import weighted_bincount


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
    replicate: Callable[[Tensor], Tensor] | None = None,
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
        return replicated_histograms(probs, targets, weights, grid, rows, replicate)
    num_columns, num_thresholds = probs.shape[-1], grid.shape[0]
    buckets, offsets = bucket_offsets(probs, grid)
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


def bucket_offsets(probs: Tensor, grid: Tensor) -> tuple[Tensor, Tensor]:
    """Each score's bucket on the grid (flat, int32) and its offset above the
    bucket's threshold."""
    flat = ops.reshape(probs, (-1,))
    buckets = ops.searchsorted(grid, flat, side="right")
    buckets = ops.clip(ops.cast(buckets, "int32") - 1, 0, grid.shape[0] - 1)
    return buckets, flat - ops.take(grid, buckets)


def replicated_histograms(
    probs: Tensor,
    targets: Tensor,
    weights: Tensor,
    grid: Tensor,
    rows: Any,
    replicate: Any,
) -> Any:
    """`score_histograms` for R replicates at once: `(R, rows, K, T)`."""
    num_columns, num_thresholds = probs.shape[-1], grid.shape[0]
    buckets, offsets = bucket_offsets(probs, grid)
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

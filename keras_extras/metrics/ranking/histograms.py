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
    buckets: GridBuckets,
    rows: int = 4,
    replicate: Callable[[Tensor], Tensor] | None = None,
) -> Any:
    """Per (class, bucket) statistics of a batch: a `(rows, K, T)` tensor.

    `buckets` places scores on the threshold grid (`GridBuckets`). Rows:
    positive weight, negative weight, positive weight * offset, negative
    weight * offset (offset: score minus the bucket's threshold) and, with
    `rows=5`, the number of positive samples (with non-zero weight). With
    `replicate` (a function giving each sample's weight in each of R
    bootstrap replicates, `(samples, R)`), the result is `(R, rows, K, T)`,
    from one scatter-add.
    """
    if replicate is not None:
        return replicated_histograms(probs, targets, weights, buckets, rows, replicate)
    num_columns, num_thresholds = probs.shape[-1], buckets.size
    bucket_ids, offsets = buckets(probs)
    columns = ops.tile(
        ops.arange(num_columns, dtype="int32") * num_thresholds,
        [ops.shape(probs)[0]],
    )
    ids = bucket_ids + columns
    size = num_columns * num_thresholds
    positive = ops.reshape(targets * weights[:, None], (-1,))
    negative = ops.reshape((1.0 - targets) * weights[:, None], (-1,))
    values = [positive, negative, positive * offsets, negative * offsets]
    if rows == 5:
        counted = ops.cast(ops.greater(weights, 0.0), "float32")
        values.append(ops.reshape(targets * counted[:, None], (-1,)))
    # One bincount per row over the same ids: a single one over the rows'
    # concatenated ids made XLA compute the buckets again for each row
    # (2.7 times slower on JAX, 1.2 on torch and TensorFlow: 100 classes,
    # batch 1024).
    counts = ops.stack([weighted_bincount(ids, value, size) for value in values])
    return ops.reshape(counts, (rows, num_columns, num_thresholds))


class GridBuckets:
    """Each score's bucket on a threshold grid, by arithmetic and a table
    lookup instead of a binary search.

    `ops.searchsorted` of a batch's scores was a third of an `AUROC` update
    at 100 classes and batch 1024 under `jax.jit`, and most of it under
    TensorFlow's XLA, which lowers it to a loop over every score
    (`benchmarks/ab.py` times the step against it). The grid is fine where
    scores crowd (log-spaced near 0 and 1), so `u = ln(s / (1 - s))` spreads
    it: on a uniform partition of `u` into cells narrower than 1/2.5 of the
    smallest gap between two grid points, a table gives the bucket of each
    cell's start, and one comparison with the next threshold finds the
    score's own. The cell index is biased down by more than four times its
    float32 error (from `u` and from the scaling), so it is never past the
    score's cell and at most one threshold lies between. 13 elementwise ops
    and one gather (the cell's bucket, its threshold and the next); exact:
    equal to `searchsorted(grid, s, "right") - 1` for every float32 score in
    [0, 1] (`tests/test_curves.py`: every threshold, its float32 neighbours,
    0, 1 and scores crowding 0 and 1).

    Args:
        grid: the sorted float32 thresholds (`threshold_grid`), 0 first, 1
            last.
    """

    def __init__(self, grid: np.ndarray) -> None:
        grid = np.asarray(grid, dtype="float32")
        self.size = len(grid)
        wide = grid.astype("float64")
        with np.errstate(divide="ignore"):  # -inf at 0, +inf at 1
            logits = np.log(wide) - np.log1p(-wide)
        inner = logits[1:-1]
        width = np.diff(inner).min() / 2.5 if len(inner) > 1 else 1.0
        low = (inner[0] if len(inner) else 0.0) - 2.0 * width
        high = (inner[-1] if len(inner) else 0.0) + 2.0 * width
        self.cells = int(np.ceil((high - low) / width)) + 1
        # Each cell's bucket: the last threshold at or below the cell's start.
        starts = low + np.arange(self.cells) * width
        table = np.searchsorted(logits, starts, side="right") - 1
        self.scale = 1.0 / width
        # The float32 error of the cell coordinate, in cells: u's (about
        # 1.2e-6) times the scale, and the rounding of values up to `cells`.
        error = 1.2e-6 * self.scale + 1.2e-7 * self.cells
        bias = 4.0 * error + 1e-3
        if bias >= 0.5:
            raise ValueError(
                "Invalid `num_thresholds`: too fine to bucket float32 scores. "
                f"Received: num_thresholds={self.size}"
            )
        self.shift = -low / width - bias
        # Per cell: the bucket of its start (exact in float32), that bucket's
        # threshold and the next one (+inf after the last, never passed). One
        # gather of rows: on torch each `ops.take` is some ten dispatches.
        thresholds = np.append(grid, np.inf).astype("float32")
        rows = np.stack([table, thresholds[table], thresholds[table + 1]], axis=-1)
        self.table = ops.convert_to_tensor(rows.astype("float32"))

    def __call__(self, probs: Tensor) -> tuple[Tensor, Tensor]:
        """Each score's bucket (flat, int32) and its offset above the bucket's
        threshold, for scores in [0, 1] (not NaN)."""
        flat = ops.reshape(probs, (-1,))
        # Operators, not keras.ops, where they apply: this runs every step.
        logit = ops.log(flat / (1.0 - flat))  # -inf at 0, +inf at 1
        cell = ops.clip(logit * self.scale + self.shift, 0.0, self.cells - 1.0)
        start, threshold, following = ops.unstack(
            ops.take(self.table, ops.cast(cell, "int32"), axis=0), axis=-1
        )
        passed = flat >= following
        buckets = ops.cast(start, "int32") + ops.cast(passed, "int32")
        return buckets, flat - ops.where(passed, following, threshold)


def replicated_histograms(
    probs: Tensor,
    targets: Tensor,
    weights: Tensor,
    buckets: GridBuckets,
    rows: Any,
    replicate: Any,
) -> Any:
    """`score_histograms` for R replicates at once: `(R, rows, K, T)`."""
    num_columns, num_thresholds = probs.shape[-1], buckets.size
    bucket_ids, offsets = buckets(probs)
    samples = ops.shape(probs)[0]
    size = num_columns * num_thresholds
    columns = ops.arange(num_columns, dtype="int32") * num_thresholds
    ids = ops.reshape(bucket_ids, (samples, num_columns)) + columns  # (N, K)
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

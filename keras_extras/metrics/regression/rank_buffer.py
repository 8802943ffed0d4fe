"""The first rows of a rank correlation: exact while they last, and the data
its grid is set from.

A `RankTable` with a grid set by data keeps its first `ROWS` rows (targets,
predictions, weights) as they are. Until they are all there, its correlations
are computed exactly from them (every pair compared: scipy's values); when the
buffer fills, the grid is set from its quantiles and the buffer and every
later row go into the table. So a small evaluation is exact, and the grid
comes from 256 values, not from one batch.

The buffer is not a sum: after a merge of processes
(`keras_extras.distributed.merge_state`), a process whose rows are still in its
buffer cannot be counted. A summed pair `[rows still buffered, processes that
saw a row]` tells: the merged result is NaN when a row is still buffered and
more than one process saw rows.
"""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_extras._keras_compat import is_placeholder
from keras_extras._typing import Tensor

ROWS = 256
"""Rows kept exactly before the grid is set."""


def _signs(v: Tensor) -> Any:
    """`(M, M, D)`: sign(v_i - v_j), by comparison (infinities compare)."""
    above = ops.cast(v[:, None] > v[None], "float32")
    below = ops.cast(v[:, None] < v[None], "float32")
    return above - below


def exact_correlations(values: Tensor, weights: Tensor) -> tuple[Any, Any]:
    """`(spearman, kendall)`, each `(D,)`, of rows `values` `(M, D, 2)` with
    weights `(M, D)` (weight 0: not counted): weighted mid-ranks and pairs
    weighing `w_i * w_j`, as `SpearmanCorrelation` and `KendallTau` define
    them; NaN with no pair of distinct values in a variable."""
    x, y = values[..., 0], values[..., 1]
    pair = weights[:, None] * weights[None]  # (M, M, D)
    sx, sy = _signs(x), _signs(y)
    untied_x = ops.sum(pair * ops.abs(sx), axis=(0, 1))
    untied_y = ops.sum(pair * ops.abs(sy), axis=(0, 1))
    has_pairs = ops.logical_and(untied_x > 0, untied_y > 0)
    tau = ops.sum(pair * sx * sy, axis=(0, 1)) / ops.sqrt(untied_x * untied_y)
    # Weighted mid-rank: the weight below, and half the weight tied (oneself
    # included); sign -1 means below.
    total = ops.sum(weights, axis=0)
    w = weights[None]
    rank_x = ops.sum(w * (ops.cast(sx > 0, "float32") + 0.5 * (1.0 - ops.abs(sx))), 1)
    rank_y = ops.sum(w * (ops.cast(sy > 0, "float32") + 0.5 * (1.0 - ops.abs(sy))), 1)
    scaled = ops.where(total > 0, total, 1.0)
    mean_x = ops.sum(weights * rank_x, axis=0) / scaled
    mean_y = ops.sum(weights * rank_y, axis=0) / scaled
    dx, dy = rank_x - mean_x, rank_y - mean_y
    covariance = ops.sum(weights * dx * dy, axis=0)
    rho = covariance / ops.sqrt(
        ops.sum(weights * dx * dx, axis=0) * ops.sum(weights * dy * dy, axis=0)
    )
    nan = float("nan")
    return ops.where(has_pairs, rho, nan), ops.where(has_pairs, tau, nan)


class RankBuffer:
    """The first `ROWS` rows of a `RankTable`, per output."""

    def __init__(self, metric: Any, outputs: int) -> None:
        self.rows = metric.add_variable(
            shape=(ROWS, outputs, 3), initializer="zeros", dtype="float32",
            aggregation="none", name="first_rows",
        )  # fmt: skip
        self.seen = metric.add_variable(
            shape=(), initializer="zeros", dtype="float32",
            aggregation="none", name="rows_seen",
        )  # fmt: skip
        # Summed over processes: [rows still buffered, processes with a row].
        self.merged = metric.add_variable(
            shape=(2,), initializer="zeros", dtype="float32",
            aggregation="sum", name="rows_buffered",
        )  # fmt: skip

    def take(self, values: Tensor, weights: Tensor) -> tuple[Any, Any, Any, Any]:
        """Keep the batch's rows (`values` `(N, D, 2)`, `weights` `(N, D)`)
        while the buffer fills. Returns `(values, weights)` to count in the
        table now (weight 0 for a row not to count: the batch's rows past the
        buffer, and the whole buffer when this batch fills it), the buffer,
        and whether this batch filled it."""
        count = ops.shape(values)[0]
        seen = self.seen.value
        index = seen + ops.cast(ops.arange(count), "float32")
        inside = index < ROWS
        rows = ops.concatenate([values, weights[..., None]], axis=-1)
        slot = ops.cast(ops.where(inside, index, float(ROWS)), "int32")
        written = ops.segment_sum(
            ops.where(inside[:, None, None], rows, 0.0), slot, num_segments=ROWS + 1
        )[:ROWS]
        buffer = self.rows.value + written  # each slot is written once
        now = seen + ops.cast(count, "float32")
        filled = ops.logical_and(seen < ROWS, now >= ROWS)
        table_values = ops.concatenate([values, buffer[..., :2]], axis=0)
        table_weights = ops.concatenate(
            [
                ops.where(inside[:, None], 0.0, weights),
                ops.where(filled, buffer[..., 2], 0.0),
            ],
            axis=0,
        )
        if not is_placeholder(values):
            self.rows.assign(buffer)
            self.seen.assign(now)
            self.merged.assign(
                ops.stack(
                    [ops.where(now < ROWS, now, 0.0), ops.where(now > 0, 1.0, 0.0)]
                )
            )
        return table_values, table_weights, buffer, filled

    def buffering(self) -> Any:
        """Whether the correlations come from the buffer: this process's rows
        are all in it, and no other process's state was merged in."""
        merged = self.merged.value
        return ops.logical_and(self.seen.value < ROWS, merged[1] <= 1)

    def lost(self) -> Any:
        """Whether a merged state holds rows that only a buffer holds."""
        merged = self.merged.value
        return ops.logical_and(merged[0] > 0, merged[1] > 1)

    def correlations(self) -> tuple[Any, Any]:
        """The exact `(spearman, kendall)` of the buffered rows."""
        rows = self.rows.value
        return exact_correlations(rows[..., :2], rows[..., 2])

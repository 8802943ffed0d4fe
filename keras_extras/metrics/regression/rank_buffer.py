"""The first rows of a rank correlation: exact while they last, and the data
its grid is set from.

A `RankTable` with a grid set by data keeps its first `ROWS` rows (targets,
predictions, weights) as they are. Until they are all there, its correlations
are computed exactly from them (every pair compared: scipy's values); when the
buffer fills, the grid is set from its quantiles and the buffer and every
later row go into the table. So a small evaluation is exact, and the grid
comes from 128 values, not from one batch.

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

ROWS = 128
"""Rows kept exactly before the grid is set (the exact values compare every
pair of them at each `result()`: the cost grows as its square)."""


def _signs(v: Tensor) -> Any:
    """`(M, M, D)`: sign(v_i - v_j), by comparison (infinities compare)."""
    above = ops.cast(v[:, None] > v[None], "float32")
    below = ops.cast(v[:, None] < v[None], "float32")
    return above - below


def _pairs(weights: Tensor) -> Any:
    """`(M, M, D)`: each pair's weight `w_i * w_j`."""
    return weights[:, None] * weights[None]


def exact_kendall(values: Tensor, weights: Tensor) -> Any:
    """`(D,)`: tau-b of rows `values` `(M, D, 2)` with weights `(M, D)`
    (weight 0: not counted), pairs weighing `w_i * w_j` (`KendallTau`); NaN
    with no pair of distinct values in a variable."""
    pair = _pairs(weights)
    sx, sy = _signs(values[..., 0]), _signs(values[..., 1])
    untied_x = ops.sum(pair * ops.abs(sx), axis=(0, 1))
    untied_y = ops.sum(pair * ops.abs(sy), axis=(0, 1))
    tau = ops.sum(pair * sx * sy, axis=(0, 1)) / ops.sqrt(untied_x * untied_y)
    has_pairs = ops.logical_and(untied_x > 0, untied_y > 0)
    return ops.where(has_pairs, tau, float("nan"))


def _midranks(v: Tensor, weights: Tensor) -> tuple[Any, Any]:
    """`(M, D)` weighted mid-ranks (the weight below, and half the weight
    tied, oneself included), and `(D,)` whether two values differ."""
    signs = _signs(v)
    below = ops.cast(signs > 0, "float32") + 0.5 * (1.0 - ops.abs(signs))
    ranks = ops.sum(weights[None] * below, axis=1)
    untied = ops.sum(_pairs(weights) * ops.abs(signs), axis=(0, 1)) > 0
    return ranks, untied


def exact_spearman(values: Tensor, weights: Tensor) -> Any:
    """`(D,)`: Pearson's correlation of the weighted mid-ranks of rows
    `values` `(M, D, 2)` with weights `(M, D)` (`SpearmanCorrelation`); NaN
    with no pair of distinct values in a variable."""
    rank_x, untied_x = _midranks(values[..., 0], weights)
    rank_y, untied_y = _midranks(values[..., 1], weights)
    total = ops.sum(weights, axis=0)
    scaled = ops.where(total > 0, total, 1.0)
    dx = rank_x - ops.sum(weights * rank_x, axis=0) / scaled
    dy = rank_y - ops.sum(weights * rank_y, axis=0) / scaled
    rho = ops.sum(weights * dx * dy, axis=0) / ops.sqrt(
        ops.sum(weights * dx * dx, axis=0) * ops.sum(weights * dy * dy, axis=0)
    )
    return ops.where(ops.logical_and(untied_x, untied_y), rho, float("nan"))


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

    def spearman(self) -> Any:
        """The exact Spearman's rho of the buffered rows, `(D,)`."""
        rows = self.rows.value
        return exact_spearman(rows[..., :2], rows[..., 2])

    def kendall(self) -> Any:
        """The exact Kendall's tau-b of the buffered rows, `(D,)`."""
        rows = self.rows.value
        return exact_kendall(rows[..., :2], rows[..., 2])

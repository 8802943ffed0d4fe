"""Where a value falls in a rank table: the grid of `rank_table.RankTable`.

The grid of one variable (the targets, or the predictions, of one output) is
`KNOTS + 1` increasing knots. A value's position in `[0, K]` (K bins) is

- between the first and last knot: `TAIL + (j + f) * (K - 2 TAIL) / KNOTS`,
  `j` the piece `[knot_j, knot_j+1]` that holds it and `f` its linear place in
  the piece: the inner bins follow the knots, so data shaped like the knots
  spread evenly over them (a piecewise-linear distribution function);
- below the first knot or above the last: `TAIL` (K / 8) bins on each side,
  spaced as `asinh(distance / h)` up to `2**13 h` from the end knot, `h` the
  mean piece width; values farther share the end bin.

By default the knots are the quantiles (0, 1/16, ..., 1, linear between
order statistics) of the first 128 rows after a reset (`rank_buffer`), so data
of any shape, scale and offset (centred, 1000 ± 1, house prices, log-normal
counts, integer ratings) spread over the bins. `value_range=(low, high)` fixes
them evenly over that range instead.

A grid set by data is each process's own (`aggregation="none"`), with a copy
summed over processes (`aggregation="sum"`): `agrees()` tells, after a merge,
whether the processes set the same grid.
"""

from __future__ import annotations

import math
from typing import Any

from keras import ops

from keras_extras._keras_compat import is_placeholder
from keras_extras._typing import Tensor
from keras_extras.metrics.base import safe_divide

KNOTS = 16
"""Pieces of the grid between its first and last knot."""

REACH = math.asinh(2.0**13)
"""The tails' span: `asinh(distance / h)` up to this, `2**13 h` from the end
knots."""


def tail_bins(bins: int) -> int:
    """Bins on each side beyond the end knots (K / 8)."""
    return max(bins // 8, 1)


def quantile_knots(values: Tensor, counted: Tensor) -> Any:
    """`(KNOTS + 1, D, 2)`: the quantiles 0, 1/KNOTS, ..., 1 of `values`
    `(N, D, 2)` where `counted` (linear between order statistics; the knots
    of a variable with no counted value are +inf)."""
    infinity = ops.full((1, *values.shape[1:]), float("inf"), dtype="float32")
    # A row of +inf after the values: the indices stay in range for an empty
    # batch.
    ordered = ops.sort(
        ops.concatenate([ops.where(counted, values, float("inf")), infinity], axis=0),
        axis=0,
    )
    last = ops.maximum(ops.sum(ops.cast(counted, "float32"), axis=0) - 1.0, 0.0)
    steps = ops.arange(KNOTS + 1, dtype="float32")[:, None, None] / KNOTS
    rank = steps * last[None]  # (KNOTS + 1, D, 2)
    low = ops.floor(rank)
    high = ops.minimum(low + 1.0, last[None])
    at_low = ops.take_along_axis(ordered, ops.cast(low, "int32"), axis=0)
    at_high = ops.take_along_axis(ordered, ops.cast(high, "int32"), axis=0)
    return at_low + (rank - low) * ops.where(high > low, at_high - at_low, 0.0)


def positions(values: Tensor, knots: Tensor, bins: int) -> Any:
    """Each value's position in `[0, bins]` (`(N, D, 2)`, finite) on the grid
    `knots` (`(KNOTS + 1, D, 2)`, or `(KNOTS + 1, 1, 1)` for a fixed grid)."""
    knots = ops.where(ops.isfinite(knots), knots, 0.0)  # a grid not set yet
    tail = float(tail_bins(bins))
    first, last = knots[0], knots[-1]
    h = (last - first) / KNOTS
    h = ops.where(h > 0, h, ops.abs(first))
    h = ops.where(h > 0, h, 1.0)
    # The piece: how many knots lie at or below the value, less one, kept to
    # the pieces there are; its low and high knots. A loop over the few knots
    # keeps every tensor the size of `values`.
    at_or_below = ops.zeros_like(values)
    for j in range(KNOTS + 1):
        at_or_below = at_or_below + ops.cast(knots[j] <= values, "float32")
    piece = ops.clip(at_or_below - 1.0, 0.0, KNOTS - 1.0)
    low, high = ops.zeros_like(values), ops.zeros_like(values)
    for j in range(KNOTS):
        here = piece == float(j)
        low = ops.where(here, knots[j], low)
        high = ops.where(here, knots[j + 1], high)
    inside = ops.clip(safe_divide(values - low, high - low), 0.0, 1.0)
    inner = tail + (piece + inside) * ((bins - 2.0 * tail) / KNOTS)
    lower = tail * (1.0 - ops.arcsinh((first - values) / h) / REACH)
    upper = bins - tail * (1.0 - ops.arcsinh((values - last) / h) / REACH)
    position = ops.where(values < first, lower, ops.where(values > last, upper, inner))
    position = ops.clip(position, 0.0, float(bins))
    return ops.where(ops.isnan(position), 0.0, position)


class RankGrid:
    """The knots of a `RankTable`'s grid: fixed (`value_range`) or set by the
    first batch that counts a value after a reset, per output and variable."""

    def __init__(
        self,
        metric: Any,
        outputs: int,
        value_range: tuple[float, float] | None = None,
    ) -> None:
        self.fixed = None
        if value_range is not None:
            low, high = value_range
            steps = [low + (high - low) * j / KNOTS for j in range(KNOTS + 1)]
            self.fixed = ops.reshape(
                ops.convert_to_tensor(steps, "float32"), (-1, 1, 1)
            )
            return
        # (D, variable, knots and a last entry 1 once set): this process's own
        # grid, and its sum over processes (the last entry counts them).
        self.own = metric.add_variable(
            shape=(outputs, 2, KNOTS + 2), initializer="zeros", dtype="float32",
            aggregation="none", name="grid",
        )  # fmt: skip
        self.votes = metric.add_variable(
            shape=(outputs, 2, KNOTS + 2), initializer="zeros", dtype="float32",
            aggregation="sum", name="grid_votes",
        )  # fmt: skip

    def update(self, values: Tensor, counted: Tensor, now: Any = True) -> Any:
        """The knots, `(KNOTS + 1, D, 2)` (or `(KNOTS + 1, 1, 1)`); where `now`
        (a boolean tensor), set from `values` `(N, D, 2)` for a variable whose
        grid is not set yet and that has a counted value."""
        if self.fixed is not None:
            return self.fixed
        own = self.own.value
        knots = ops.transpose(quantile_knots(values, counted), (1, 2, 0))
        new = ops.concatenate([knots, ops.ones_like(knots[..., :1])], axis=-1)
        setting = ops.logical_and(ops.any(counted, axis=0), own[..., -1] == 0)
        setting = ops.logical_and(setting, now)
        grid = ops.where(setting[..., None], new, own)
        if not is_placeholder(values):
            self.own.assign(grid)
            self.votes.assign(ops.where(setting[..., None], new, self.votes.value))
        return ops.transpose(grid[..., :-1], (2, 0, 1))

    def agrees(self) -> Any:
        """`(D,)`: False where the grids summed over the processes merged
        into this state are not `count` times this process's own (another
        process set another grid). A fixed grid, a state not merged, and a
        process that set no grid itself (when at most one other did) agree.
        Sums tell two processes' grids apart; among more, differences that
        cancel in every knot's sum go unseen: merge processes with a fixed
        grid (`value_range`)."""
        if self.fixed is not None:
            return True
        own, votes = self.own.value, self.votes.value
        expected = own[..., :-1] * votes[..., -1:]
        gap = ops.abs(votes[..., :-1] - expected)
        close = gap <= 1e-6 * ops.abs(expected)
        # A process that set no grid agrees only with at most one other.
        unset = ops.logical_and(own[..., -1:] == 0, votes[..., -1:] <= 1)
        return ops.all(ops.all(ops.logical_or(close, unset), axis=-1), axis=-1)

    def is_set(self) -> Any:
        """`(D,)`: whether both variables of each output have a grid."""
        if self.fixed is not None:
            return True
        return ops.all(self.own.value[..., -1] > 0, axis=-1)

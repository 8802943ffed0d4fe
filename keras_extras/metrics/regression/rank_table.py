"""A bounded, mergeable state for rank correlations: a joint table of bins.

Spearman's rho and Kendall's tau depend only on the order of the values. Their
exact streaming state would be every value seen (what torchmetrics keeps); here
each output keeps a fixed `K x K` table instead, whatever the number of samples.

**The grid** (`rank_grid`): each value's position in `[0, K]`, piecewise
linear between 17 knots (by default the quantiles of the first 128 rows, which
`rank_buffer` keeps, and from which the value is exact until they are all
there), so the data spread evenly over the bins whatever their shape, scale or
offset. A value's bin is `floor(position)`; its place within the bin,
`position - bin`, refines the ranks below.

**The state**, per output: the table of cells `(a, b)` (bin of the target,
bin of the prediction) with the weight, the weighted in-bin places of both
variables and their product (float32 sums, `(K, K, 4)`), and per bin of each
variable the weight, the weighted in-bin place and its square, and the sum of
squared weights (exact, `CompensatedSum`). Every part is a sum over samples, so
replicas and processes merge by addition when they share the grid. The grid
itself is each process's own (`aggregation="none"`), with a summed copy: after a
merge, a process whose grid differs from the others' makes the result NaN (set
`value_range` to share one grid).

**The ranks.** A bin whose values are all equal (in-bin places within 1e-3 of a
bin) holds a tie: its values share their mid-rank, as scipy's. Any other bin
holds distinct values; within it the rank of a value is interpolated from its
place, matched to the bin's mean and variance of places (the ranks of `n`
distinct values of weights `w_i` have variance
`(n**3 - sum w**3) / (12 n)`, `n = sum w`). Spearman's rho is Pearson's
correlation of these ranks (`spearman`), exact up to the interpolation.
Kendall's tau-b counts each pair of values in different bins of both variables
exactly (concordant or discordant) from cumulative sums of the table; a pair
within one bin of distinct values is estimated from the in-bin places, and a
pair within one cell from the correlation of the places there (`kendall`).
`benchmarks/rank_correlation.py` measures the accuracy.
"""

from __future__ import annotations

import math
from typing import Any

from keras import ops

from keras_extras._keras_compat import is_placeholder
from keras_extras._typing import Tensor
from keras_extras.metrics.accumulators import CompensatedSum
from keras_extras.metrics.base import safe_divide
from keras_extras.metrics.regression.rank_buffer import RankBuffer
from keras_extras.metrics.regression.rank_grid import RankGrid, positions, tail_bins

TIE = 1e-3
"""A bin whose weighted standard deviation of in-bin places is at most this (in
bins) holds one tied value."""


def _exclusive_cumsum(x: Tensor, axis: int) -> Any:
    """Sum of the entries before each along `axis`."""
    return ops.cumsum(x, axis=axis) - x


class RankTable:
    """The joint table of bins of one metric's targets and predictions, per
    output (see the module docstring), and the rank correlations read from it.

    Args:
        metric: the metric that owns the state.
        outputs: number of outputs `D`.
        bins: bins per variable `K`; the table holds `4 K**2` float32 sums per
            output.
        value_range: `(low, high)`, a fixed grid; None sets it from the first
            batch (`rank_grid`).
    """

    def __init__(
        self,
        metric: Any,
        outputs: int,
        bins: int,
        value_range: tuple[float, float] | None = None,
    ) -> None:
        self.outputs, self.bins = outputs, bins
        self.grid = RankGrid(metric, outputs, value_range)
        self.buffer = None if value_range is not None else RankBuffer(metric, outputs)
        self.cells = metric.add_variable(
            shape=(outputs, bins, bins, 4), initializer="zeros", dtype="float32",
            aggregation="sum", name="cells",
        )  # fmt: skip
        # (D, variable, bin, [weight, place, place**2, weight**2, weight**3]),
        # exact.
        self.margins = CompensatedSum(metric, "margins", (outputs, 2, bins, 5))

    def update(self, y_true: Tensor, y_pred: Tensor, weights: Tensor) -> None:
        """Count a batch: `(N, D)` each, as `regression_inputs` gives them."""
        values = ops.stack([y_true, y_pred], axis=-1)  # (N, D, 2)
        if self.buffer is None:
            knots = self.grid.fixed  # `value_range`
        else:
            values, weights, first, filled = self.buffer.take(values, weights)
            counted = (first[..., 2] > 0)[..., None]
            finite = ops.logical_and(ops.isfinite(first[..., :2]), counted)
            knots = self.grid.update(first[..., :2], finite, now=filled)
        k = self.bins
        position = positions(values, knots, k)
        bin_ = ops.minimum(ops.floor(position), k - 1.0)
        place = position - bin_
        ids = ops.cast(bin_, "int32")  # (N, D, 2)
        outputs = ops.arange(self.outputs, dtype="int32")[None, :]
        w = weights[..., None]
        cell = (outputs * k + ids[..., 0]) * k + ids[..., 1]
        terms = ops.stack(
            [weights, weights * place[..., 0], weights * place[..., 1],
             weights * place[..., 0] * place[..., 1]],
            axis=-1,
        )  # fmt: skip
        counted = ops.segment_sum(
            ops.reshape(terms, (-1, 4)),
            ops.reshape(cell, (-1,)),
            num_segments=self.outputs * k * k,
        )
        each = w * ops.ones_like(place)
        margin_terms = ops.stack(
            [each, each * place, each * place * place, each * each, each * each * each],
            axis=-1,
        )
        margin = (outputs[..., None] * 2 + ops.arange(2, dtype="int32")) * k + ids
        margins = ops.segment_sum(
            ops.reshape(margin_terms, (-1, 5)),
            ops.reshape(margin, (-1,)),
            num_segments=self.outputs * 2 * k,
        )
        self.margins.add(ops.reshape(margins, (self.outputs, 2, k, 5)))
        if not is_placeholder(counted):
            self.cells.assign(
                self.cells.value + ops.reshape(counted, (self.outputs, k, k, 4))
            )

    def _ranks(self) -> dict[str, Any]:
        """What both correlations read: per variable and bin the weight `n`,
        the sums of places and squared weights, the rank line `A + B * place`
        (ranks scaled to [0, 1] and centred on 0), which bins hold distinct
        values, and the total weight `W` `(D,)`."""
        margins = self.margins.value()
        n, places, squares, weights2, weights3 = ops.unstack(margins, num=5, axis=-1)
        total = ops.sum(n[:, 0], axis=-1)  # (D,)
        mean = safe_divide(places, n)
        deviation = ops.sqrt(ops.maximum(safe_divide(squares, n) - mean * mean, 0.0))
        distinct = ops.logical_and(deviation > TIE, n > 0)
        # Distinct values of weights w_i have mid-ranks of variance
        # (n**3 - sum w**3) / (12 n) (n**2 / 12 for many, 0 for one).
        spread = ops.sqrt(
            ops.maximum(1.0 - safe_divide(safe_divide(weights3, n), n * n), 0.0)
        )
        slope = ops.where(
            distinct, safe_divide(spread, math.sqrt(12.0) * deviation), 0.0
        )
        start = _exclusive_cumsum(n, axis=-1)
        scaled = ops.where(total > 0, total, 1.0)[:, None, None]
        line_a = (start + n * (0.5 - slope * mean)) / scaled - 0.5
        line_b = n * slope / scaled
        return {
            "n": n, "places": places, "squares": squares, "weights2": weights2,
            "a": line_a, "b": line_b, "slope": slope, "mean": mean,
            "deviation": deviation,
            "distinct": ops.cast(distinct, "float32"), "total": total,
        }  # fmt: skip

    def _valid(self, value: Tensor, ranks: dict[str, Any], exact: Any) -> Any:
        """The table's `value`, or the buffer's `exact` value while the rows
        are all there; NaN where an output counted nothing, where its targets
        or its predictions are all tied (one tie bin holds all their weight:
        told from the exact bin weights, not from a variance that rounding may
        leave above 0), where its grid is not set or the merged processes'
        grids differ, where a merged state holds rows only a buffer had, and
        where more than half of a variable's weight lies beyond one end of
        the grid (values sorted, or a first 128 rows unlike the rest: the tail
        bins cannot rank them)."""
        n, total = ranks["n"], ranks["total"]
        tied = ops.logical_and(n == total[:, None, None], ranks["distinct"] == 0)
        constant = ops.any(ops.any(tied, axis=-1), axis=-1)
        tail = tail_bins(self.bins)
        scaled = ops.where(total > 0, total, 1.0)[:, None]
        low = ops.sum(n[..., :tail], axis=-1) / scaled  # (D, 2)
        high = ops.sum(n[..., -tail:], axis=-1) / scaled
        beyond = ops.any(ops.maximum(low, high) > 0.5, axis=-1)
        keep = ops.logical_and(total > 0, ops.logical_not(constant))
        keep = ops.logical_and(keep, ops.logical_not(beyond))
        keep = ops.logical_and(keep, self.grid.agrees())
        keep = ops.logical_and(keep, self.grid.is_set())
        value = ops.where(keep, value, float("nan"))
        if self.buffer is None:
            return value
        value = ops.where(self.buffer.buffering(), exact, value)
        return ops.where(self.buffer.lost(), float("nan"), value)

    def _exact(self, kind: str) -> Any:
        """The buffer's exact "spearman" or "kendall" value, or None."""
        if self.buffer is None:
            return None
        return getattr(self.buffer, kind)()

    def spearman(self) -> Any:
        """Spearman's rho per output `(D,)`: Pearson's correlation of the
        (interpolated, mid-) ranks."""
        r = self._ranks()
        weight, sum_x, sum_y, sum_xy = ops.unstack(self.cells.value, num=4, axis=-1)
        ax, ay = r["a"][:, 0, :, None], r["a"][:, 1, None, :]
        bx, by = r["b"][:, 0, :, None], r["b"][:, 1, None, :]
        products = ops.sum(
            (weight * ay + sum_y * by) * ax + (sum_x * ay + sum_xy * by) * bx,
            axis=(1, 2),
        )
        n, a, b = r["n"], r["a"], r["b"]
        sums = ops.sum(n * a + r["places"] * b, axis=-1)  # (D, 2)
        squares = ops.sum(
            n * a * a + 2.0 * a * b * r["places"] + b * b * r["squares"], axis=-1
        )
        total = r["total"]
        scaled = ops.where(total > 0, total, 1.0)
        covariance = products - sums[:, 0] * sums[:, 1] / scaled
        variances = squares - sums * sums / scaled[:, None]
        rho = covariance / ops.sqrt(variances[:, 0] * variances[:, 1])
        return self._valid(rho, r, self._exact("spearman"))

    @staticmethod
    def _within_cells(
        r: dict[str, Any], weight: Tensor, sum_x: Tensor, sum_y: Tensor, sum_xy: Tensor
    ) -> Any:
        """`(D, K, K)`: the concordant less discordant pairs within each cell
        whose two bins hold distinct values, estimated from the correlation of
        the in-bin places there (`r`, over the bins' standard deviations of
        places) as for a normal copula: `2 / pi * asin(r)` of the cell's pairs
        (all concordant when the values rise together, as `y = x`)."""
        mean_x, mean_y = safe_divide(sum_x, weight), safe_divide(sum_y, weight)
        covariance = safe_divide(sum_xy, weight) - mean_x * mean_y
        spread = r["deviation"][:, 0, :, None] * r["deviation"][:, 1, None, :]
        both = r["distinct"][:, 0, :, None] * r["distinct"][:, 1, None, :]
        correlation = ops.clip(safe_divide(covariance, spread), -1.0, 1.0)
        # The cell's pairs, (N**2 - sum w**2) / 2, with sum w**2 taken as N
        # times the mean weight of its target bin (exact for equal weights).
        mean_weight = safe_divide(r["weights2"][:, 0], r["n"][:, 0])[:, :, None]
        pairs = (weight * weight - weight * mean_weight) / 2.0
        return both * pairs * (2.0 / math.pi) * ops.arcsin(correlation)

    def kendall(self) -> Any:
        """Kendall's tau-b per output `(D,)`."""
        r = self._ranks()
        weight, sum_x, sum_y, sum_xy = ops.unstack(self.cells.value, num=4, axis=-1)
        # Pairs in one bin of distinct values of one variable, in different
        # bins of the other: concordant or not by their in-bin places, whose
        # expected sign is twice the difference of their interpolated in-bin
        # ranks (`in_x`, `in_y`: the sums of those ranks over a cell).
        slope, mean, distinct = r["slope"], r["mean"], r["distinct"]
        in_x = weight * (0.5 - slope[:, 0, :, None] * mean[:, 0, :, None])
        in_x = in_x + slope[:, 0, :, None] * sum_x
        in_y = weight * (0.5 - slope[:, 1, None, :] * mean[:, 1, None, :])
        in_y = in_y + slope[:, 1, None, :] * sum_y
        # Two cumulative sums (each over stacked tables: XLA's CPU cumsum is
        # slow) give every sum over earlier or later bins used below.
        down = ops.cumsum(ops.stack([weight, in_y]), axis=2)  # over a (axis 1)
        later = down[0, :, -1:, :] - down[0]  # weight in bins a' > a
        across = ops.cumsum(ops.stack([later, weight, in_x]), axis=3)  # over b
        below = across[0] - later  # sum of `later` over b' < b
        above = across[0, :, :, -1:] - across[0]  # ... over b' > b
        # Pairs in different bins of both variables, each once (a' > a).
        score = ops.sum(weight * (above - below), axis=(1, 2))
        same_a = (across[1] - weight) * in_x - weight * (across[2] - in_x)
        same_b = (down[0] - weight) * in_y - weight * (down[1] - in_y)
        score = score + 2.0 * ops.sum(
            distinct[:, 0, :, None] * same_a + distinct[:, 1, None, :] * same_b,
            axis=(1, 2),
        )
        score = score + ops.sum(
            self._within_cells(r, weight, sum_x, sum_y, sum_xy), (1, 2)
        )
        total = r["total"]
        squared = ops.sum(r["weights2"][:, 0], axis=-1)
        pairs = (total * total - squared) / 2.0
        tied = ops.sum(
            (1.0 - r["distinct"]) * (r["n"] * r["n"] - r["weights2"]) / 2.0, axis=-1
        )  # (D, 2)
        tau = score / ops.sqrt((pairs - tied[:, 0]) * (pairs - tied[:, 1]))
        return self._valid(tau, r, self._exact("kendall"))

"""Rank correlations over every sample seen, in bounded memory: Spearman's rho
and Kendall's tau-b (the state: `rank_table.RankTable`)."""

from __future__ import annotations

import math
from typing import Any

from keras_extras._docstrings import document
from keras_extras._typing import MultiOutput, Tensor
from keras_extras._validation import check_int, check_number
from keras_extras.metrics.regression.base import RegressionMetric
from keras_extras.metrics.regression.rank_table import RankTable


def _checked_range(value_range: Any) -> tuple[float, float] | None:
    """`(low, high)` as floats, finite with low < high, or None."""
    if value_range is None:
        return None
    if not isinstance(value_range, (list, tuple)) or len(value_range) != 2:
        raise TypeError(
            "Invalid `value_range`: expected (low, high) or None. Received: "
            f"value_range={value_range!r}"
        )
    low = check_number("value_range[0]", value_range[0])
    high = check_number("value_range[1]", value_range[1])
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(
            "Invalid `value_range`: expected finite numbers with low < high. "
            f"Received: value_range={value_range!r}"
        )
    return (low, high)


class _RankMetric(RegressionMetric):
    direction = "up"
    config_fields = ("num_bins", "value_range")

    def __init__(
        self,
        num_bins: int = 256,
        value_range: tuple[float, float] | None = None,
        num_outputs: int = 1,
        multioutput: MultiOutput = "uniform_average",
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(num_outputs, multioutput, name=name, dtype=dtype)
        self.num_bins = check_int("num_bins", num_bins, minimum=8)
        if self.num_bins > 4096:
            raise ValueError(
                "Invalid `num_bins`: expected an integer in [8, 4096] (the table "
                "holds 4 * num_bins**2 numbers per output). Received: "
                f"num_bins={num_bins!r}"
            )
        self.value_range = _checked_range(value_range)
        self.table = RankTable(self, self.num_outputs, self.num_bins, self.value_range)

    def update_state(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> None:
        self.table.update(*self.inputs(y_true, y_pred, sample_weight))

    def result(self) -> Any:
        return self.keyed_result(self.values())

    def values(self) -> Any:
        raise NotImplementedError  # pragma: no cover - abstract


class SpearmanCorrelation(_RankMetric):
    """Spearman's rank correlation between predictions and targets over every
    sample seen, per output, in memory that does not grow with the data.

        rho = Pearson's correlation of rank(t) and rank(p)

    with mid-ranks for ties (as `scipy.stats.spearmanr`) and, with
    `sample_weight`, weighted ranks (a sample of weight 2 counts as two tied
    samples) and the weighted Pearson formula. The ranks come from a
    `num_bins x num_bins` table of the targets' and predictions' bins, refined
    within each bin (`rank_table`): ties are exact, distinct values within a bin
    are interpolated. The accuracy against scipy (`benchmarks/rank_correlation.py`)
    is within 1e-3 with 256 bins on continuous and tied data at any scale and
    offset of the values; it does not fall with the sample size.

    The first 128 rows after a reset are kept: until they are all there the
    value is exact (every pair compared), then the bins follow their quantiles
    (`rank_buffer`, `rank_grid`), so they should resemble the data (shuffled
    rows do); values beyond their range fall in tail bins spaced
    logarithmically, and when more than half of a variable's weight lies
    beyond one end (data sorted by it) the result is NaN. Memory:
    `4 * num_bins**2 + 384` float32 numbers per output (1 MiB for 256). NaN
    also before any value is counted, when the targets or the predictions of
    an output are all equal (as scipy), and after a merge of processes whose
    grids differ or whose rows are still all buffered.

    Args:
        num_bins: bins per variable, in [8, 4096]. Defaults to 256.
        value_range: `(low, high)`: bins evenly over this range (and tails
            beyond) instead of the first rows' quantiles. Processes whose
            states are merged (`keras_extras.distributed.merge_state`) need the
            same grid: set it. Defaults to None.
    {args}
    Example:
        >>> import numpy as np
        >>> m = SpearmanCorrelation()
        >>> m.update_state(np.array([1.0, 2, 3, 4]), np.array([1.0, 3, 2, 4]))
        >>> round(float(m.result()), 4)
        0.8
    """

    default_name = "spearman_correlation"

    def values(self) -> Any:
        return self.table.spearman()


class KendallTau(_RankMetric):
    """Kendall's tau-b between predictions and targets over every sample seen,
    per output, in memory that does not grow with the data.

        tau_b = (C - D) / sqrt((P - T_t) (P - T_p))

    with `C` and `D` the concordant and discordant pairs, `P` all pairs and
    `T_t`, `T_p` the pairs tied in the targets, in the predictions (as
    `scipy.stats.kendalltau`). With `sample_weight`, a pair of samples counts
    `w_i * w_j` (a sample of weight 2 counts as two tied samples). Pairs in
    different bins of both variables are counted exactly from a
    `num_bins x num_bins` table; pairs within one bin of distinct values are
    estimated from the values' places in the bin (`rank_table`). The accuracy
    against scipy (`benchmarks/rank_correlation.py`) is within 1e-3 with 256
    bins on continuous and tied data; it does not fall with the sample size.

    Grid, memory and NaN rules: as `SpearmanCorrelation`.

    Args:
        num_bins: bins per variable, in [8, 4096]. Defaults to 256.
        value_range: `(low, high)`: a fixed grid (see `SpearmanCorrelation`).
            Defaults to None.
    {args}
    Example:
        >>> import numpy as np
        >>> m = KendallTau()
        >>> m.update_state(np.array([1.0, 2, 3, 4]), np.array([1.0, 3, 2, 4]))
        >>> round(float(m.result()), 4)
        0.6667
    """

    default_name = "kendall_tau"

    def values(self) -> Any:
        return self.table.kendall()


for _metric in (SpearmanCorrelation, KendallTau):
    document(_metric, ("num_outputs", "multioutput", "name", "dtype"), "regression")

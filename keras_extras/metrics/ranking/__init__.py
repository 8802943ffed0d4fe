"""Ranking metrics from streaming score histograms: AUROC, average precision,
operating points, and the curves themselves.

- `histograms`: the threshold grid and one batch's per-class bucket statistics;
- `interpolation`: where in a bucket its samples lie (a host-side model,
  tabulated once);
- `estimators`: AUROC, average precision and the rates at each threshold, from
  the state;
- `curves`: `CurveMetric` (state, averaging, exact curves, `Bootstrap`
  protocol), `AUROC`, `AveragePrecision`;
- `operating_points`: `PrecisionAtRecall`, `RecallAtPrecision`,
  `SpecificityAtSensitivity`, `BestThreshold`.
"""

from keras_extras.metrics.ranking.curves import (
    AUROC,
    RANKING_AVERAGES,
    AveragePrecision,
    CurveMetric,
)
from keras_extras.metrics.ranking.estimators import (
    auroc_from_stats,
    average_curve_scores,
    average_precision_from_stats,
)
from keras_extras.metrics.ranking.histograms import (
    bucket_widths,
    score_histograms,
    threshold_grid,
)
from keras_extras.metrics.ranking.interpolation import bucket_density, bucket_table
from keras_extras.metrics.ranking.operating_points import (
    BestThreshold,
    OperatingPoint,
    PrecisionAtRecall,
    RecallAtPrecision,
    SpecificityAtSensitivity,
)

__all__ = [
    "AUROC",
    "RANKING_AVERAGES",
    "AveragePrecision",
    "BestThreshold",
    "CurveMetric",
    "OperatingPoint",
    "PrecisionAtRecall",
    "RecallAtPrecision",
    "SpecificityAtSensitivity",
    "auroc_from_stats",
    "average_curve_scores",
    "average_precision_from_stats",
    "bucket_density",
    "bucket_table",
    "bucket_widths",
    "score_histograms",
    "threshold_grid",
]

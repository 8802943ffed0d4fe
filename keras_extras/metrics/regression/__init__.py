"""Regression metrics: correlation, explained variance and errors over every
sample seen, with exact state that replicas merge by addition.

- `wide`: exact sums over the float32 range (`WideSum`);
- `moments`: the regression input rule and `ExactMoments`;
- `correlation`: `PearsonCorrelation`, `ConcordanceCorrelation`;
- `variance`: `R2Score`, `ExplainedVariance`;
- `rank_table`, `rank`: `SpearmanCorrelation`, `KendallTau` in bounded memory;
- `errors`: per-value means (`MeanPinballLoss`, `TweedieDeviance`,
  `SymmetricMeanAbsolutePercentageError`) and `WeightedMeanAbsolutePercentageError`.
"""

from keras_extras.metrics.regression.correlation import (
    ConcordanceCorrelation,
    PearsonCorrelation,
)
from keras_extras.metrics.regression.errors import (
    MeanPinballLoss,
    SymmetricMeanAbsolutePercentageError,
    TweedieDeviance,
    WeightedMeanAbsolutePercentageError,
)
from keras_extras.metrics.regression.rank import KendallTau, SpearmanCorrelation
from keras_extras.metrics.regression.variance import ExplainedVariance, R2Score

__all__ = [
    "ConcordanceCorrelation",
    "ExplainedVariance",
    "KendallTau",
    "MeanPinballLoss",
    "PearsonCorrelation",
    "R2Score",
    "SpearmanCorrelation",
    "SymmetricMeanAbsolutePercentageError",
    "TweedieDeviance",
    "WeightedMeanAbsolutePercentageError",
]

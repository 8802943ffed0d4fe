"""Scores computed within each row and averaged over rows (with the sample
weights): multilabel set scores, scikit-learn's label-ranking scores, and
ranking scores of retrieval and recommendation.

- `inputs`: the row input rule (`row_inputs`) and `RowMean`, the base;
- `multilabel`: `ExactMatch`, `HammingLoss`;
- `label_ranking`: `LabelRankingAveragePrecision`, `CoverageError`,
  `LabelRankingLoss`;
- `retrieval`: `NDCG`, `MeanReciprocalRank`.

Each keeps two exact sums (`PerSampleMean`): replicas merge by addition, and
`Bootstrap` gives their intervals.
"""

from keras_extras.metrics.rows.label_ranking import (
    CoverageError,
    LabelRankingAveragePrecision,
    LabelRankingLoss,
)
from keras_extras.metrics.rows.multilabel import ExactMatch, HammingLoss
from keras_extras.metrics.rows.retrieval import NDCG, MeanReciprocalRank

__all__ = [
    "NDCG",
    "CoverageError",
    "ExactMatch",
    "HammingLoss",
    "LabelRankingAveragePrecision",
    "LabelRankingLoss",
    "MeanReciprocalRank",
]

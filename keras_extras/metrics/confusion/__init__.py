"""Metrics derived from one confusion state: precision, recall, F-beta,
specificity, Jaccard, balanced accuracy, MCC, Cohen's kappa, the confusion matrix.

The scores are defined once, in the registry of `keras_extras.metrics.scores`, as
formulas over per-class statistics (`tp`, `predicted`, `actual`, `total`). A metric
here keeps the smallest exact state its scores need, in a `CompensatedSum` (exact
to 2**40 samples, and after a merge of replicas), updated by one scatter-add per step:

- binary and multiclass: the per-class rows its scores read, `(k, C)` with
  k <= 3 (precision keeps `tp` and `predicted`; F1 and MCC also `actual`);
- the `(C, C)` matrix only for `ConfusionMatrix` and weighted `CohenKappa`;
- multilabel: one 2x2 matrix per label, `(C, 2, 2)`.

Conventions (scikit-learn's): rows of the confusion matrix are true classes, columns
predicted classes; a ratio whose denominator is 0 takes the value `zero_division`;
"macro" averages over all `num_classes` classes (scikit-learn with
`labels=range(num_classes)`); "weighted" weighs each class by its support (true
count). Samples whose label lies outside `[0, num_classes)` (binary and multilabel:
outside {0, 1}), equals `ignore_class`, or whose scores contain NaN are not counted:
a compiled step cannot raise on values.

- `counting`: one batch's counts, in one scatter-add;
- `state`: `ConfusionStateMetric`, the state, its checks and its replicate
  protocol for `Bootstrap`;
- `single`: `ScoreMetric` and the metrics of one score;
- `matrix`: `ConfusionMatrix`;
- `collection`: `ClassificationMetrics`, several scores from one state.
"""

from keras_extras.metrics.confusion.collection import ClassificationMetrics
from keras_extras.metrics.confusion.counting import (
    NORMALIZATIONS,
    class_statistics,
    confusion_counts,
    normalize_matrix,
)
from keras_extras.metrics.confusion.matrix import ConfusionMatrix
from keras_extras.metrics.confusion.single import (
    BalancedAccuracy,
    CohenKappa,
    DiceScore,
    F1Score,
    FBetaScore,
    JaccardIndex,
    MatthewsCorrelation,
    Precision,
    Recall,
    ScoreMetric,
    Specificity,
)
from keras_extras.metrics.confusion.state import ConfusionStateMetric

__all__ = [
    "NORMALIZATIONS",
    "BalancedAccuracy",
    "ClassificationMetrics",
    "CohenKappa",
    "ConfusionMatrix",
    "ConfusionStateMetric",
    "DiceScore",
    "F1Score",
    "FBetaScore",
    "JaccardIndex",
    "MatthewsCorrelation",
    "Precision",
    "Recall",
    "ScoreMetric",
    "Specificity",
    "class_statistics",
    "confusion_counts",
    "normalize_matrix",
]

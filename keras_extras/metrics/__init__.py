"""Backend-agnostic Keras 3 metrics with exact, sum-decomposable state."""

from keras_extras.metrics.confusion import (
    BalancedAccuracy,
    ClassificationMetrics,
    CohenKappa,
    ConfusionMatrix,
    F1Score,
    FBetaScore,
    MatthewsCorrelation,
    Precision,
    Recall,
    Specificity,
)
from keras_extras.metrics.distribution import PredictiveEntropy, UniformKLDivergence

__all__ = [
    "BalancedAccuracy",
    "ClassificationMetrics",
    "CohenKappa",
    "ConfusionMatrix",
    "F1Score",
    "FBetaScore",
    "MatthewsCorrelation",
    "PredictiveEntropy",
    "Precision",
    "Recall",
    "Specificity",
    "UniformKLDivergence",
]

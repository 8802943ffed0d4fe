"""Backend-agnostic Keras 3 metrics with exact, sum-decomposable state."""

from keras_extras.metrics.bootstrap import Bootstrap
from keras_extras.metrics.calibration import BrierScore, ExpectedCalibrationError
from keras_extras.metrics.confusion import (
    BalancedAccuracy,
    ClassificationMetrics,
    CohenKappa,
    ConfusionMatrix,
    DiceScore,
    F1Score,
    FBetaScore,
    JaccardIndex,
    MatthewsCorrelation,
    Precision,
    Recall,
    Specificity,
)
from keras_extras.metrics.distribution import PredictiveEntropy, UniformKLDivergence
from keras_extras.metrics.ranking import (
    AUROC,
    AveragePrecision,
    BestThreshold,
    PrecisionAtRecall,
    RecallAtPrecision,
    SpecificityAtSensitivity,
)
from keras_extras.metrics.regression import (
    ConcordanceCorrelation,
    ExplainedVariance,
    MeanPinballLoss,
    PearsonCorrelation,
    R2Score,
    SymmetricMeanAbsolutePercentageError,
    TweedieDeviance,
    WeightedMeanAbsolutePercentageError,
)

__all__ = [
    "AUROC",
    "AveragePrecision",
    "BestThreshold",
    "Bootstrap",
    "PrecisionAtRecall",
    "RecallAtPrecision",
    "SpecificityAtSensitivity",
    "BrierScore",
    "ExpectedCalibrationError",
    "BalancedAccuracy",
    "ClassificationMetrics",
    "CohenKappa",
    "ConfusionMatrix",
    "F1Score",
    "FBetaScore",
    "DiceScore",
    "JaccardIndex",
    "MatthewsCorrelation",
    "PredictiveEntropy",
    "Precision",
    "Recall",
    "Specificity",
    "UniformKLDivergence",
    "ConcordanceCorrelation",
    "ExplainedVariance",
    "MeanPinballLoss",
    "PearsonCorrelation",
    "R2Score",
    "SymmetricMeanAbsolutePercentageError",
    "TweedieDeviance",
    "WeightedMeanAbsolutePercentageError",
]

"""The metric suite that the data-parallel, merge, mixed-precision and NaN tests
run: every keras-extras metric, on one small multiclass data set."""

import numpy as np

import keras_extras.metrics as kem

SCORES = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "specificity",
    "balanced_accuracy",
    "mcc",
    "kappa",
)


def all_metrics():
    return [
        kem.ClassificationMetrics(num_classes=3, metrics=SCORES),
        kem.ConfusionMatrix(num_classes=3),
        kem.Precision(num_classes=3, average="weighted"),
        kem.Recall(num_classes=3, average="micro"),
        kem.F1Score(num_classes=3),
        kem.FBetaScore(num_classes=3, beta=2.0),
        kem.Specificity(num_classes=3),
        kem.BalancedAccuracy(num_classes=3),
        kem.MatthewsCorrelation(num_classes=3),
        kem.CohenKappa(num_classes=3, weights="quadratic"),
        kem.ExpectedCalibrationError(num_bins=5),
        kem.BrierScore(),
        kem.AUROC(num_classes=3, num_thresholds=11),
        kem.AveragePrecision(num_classes=3, num_thresholds=11),
        kem.UniformKLDivergence(),
        kem.PredictiveEntropy(),
    ]


def data():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 64).astype("int32")
    probs = rng.dirichlet(np.ones(3), 64)
    probs = (np.round(probs * 10) / 10 + 1e-3).astype("float32")
    probs /= probs.sum(-1, keepdims=True)
    weights = rng.uniform(0.5, 2.0, 64).astype("float32")
    return labels, probs, weights

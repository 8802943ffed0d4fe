"""Every public metric and callback of keras-extras, configured, with the bad
arguments each must refuse: the registry the contract tests run over
(`test_contract.py`), and the metric suite of the NaN, empty-batch, merge,
mixed-precision and multi-process tests (`metric_suite.all_metrics`).

A public class missing here fails `test_every_public_class_is_registered`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

import keras_extras.callbacks as kec
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
CLASSES = ["setosa", "versicolor", "virginica"]


@dataclasses.dataclass(frozen=True)
class Entry:
    """One configured public object.

    Attributes:
        make: builds it (a metric for 3-class probabilities `(B, 3)` and sparse
            labels, or a callback).
        bad: `(make_bad, match)` pairs: each must raise ValueError or TypeError
            whose message matches `match` (the argument and what was received).
        binned: its value moves by a whole sample's weight when a score crosses
            a bin or threshold edge (16-bit scores may).
        random: it draws random numbers (its interval bounds depend on the batch
            split and the backend's generator; its point values do not).
        representative: one of the metrics that, together, take every kind of
            state and input path; the heavy compiled runs (data-parallel,
            multi-process, mixed precision) use these only, the NaN,
            empty-batch and merge tests every metric.
        inputs: "classification" (sparse labels and 3-class probabilities: the
            suite's data), "regression" (targets and predictions `(B, 3)`:
            `metric_suite.regression_data`; `tests/test_regression.py` runs
            these through the reference, merge, NaN and compiled checks) or
            "rows" (multi-hot rows and scores `(B, 3)`:
            `metric_suite.rows_data`; `tests/test_rows.py`).
    """

    make: Callable[[], Any]
    bad: tuple[tuple[Callable[[], Any], str], ...] = ()
    binned: bool = False
    random: bool = False
    representative: bool = True
    inputs: str = "classification"


def _validation(rows: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(rows, 4)).astype("float32"), rng.integers(0, 3, rows)


METRICS: dict[str, Entry] = {
    "classification": Entry(
        lambda: kem.ClassificationMetrics(num_classes=3, metrics=SCORES),
        bad=(
            (lambda: kem.ClassificationMetrics(num_classes=3, metrics=["f2"]), "'f2'"),
            (lambda: kem.ClassificationMetrics(3, metrics="f1"), "metrics='f1'"),
            (
                lambda: kem.ClassificationMetrics(
                    num_classes=3, task="multilabel", metrics=["kappa"]
                ),
                "'kappa'",
            ),
            (lambda: kem.ClassificationMetrics(3, prefix=1), "prefix=1"),
            (lambda: kem.ClassificationMetrics(3, class_names=["a"]), "class_names"),
        ),
    ),
    "confusion_matrix": Entry(
        lambda: kem.ConfusionMatrix(num_classes=3),
        bad=((lambda: kem.ConfusionMatrix(3, normalize="rows"), "normalize='rows'"),),
    ),
    "precision": Entry(
        lambda: kem.Precision(num_classes=3, average="weighted"),
        bad=(
            (lambda: kem.Precision(3, average="macroo"), "average='macroo'"),
            (lambda: kem.Precision(3, task="multi"), "task='multi'"),
            (lambda: kem.Precision(num_classes=1), "num_classes=1"),
            (lambda: kem.Precision(num_classes=3.0), "num_classes=3.0"),
            (lambda: kem.Precision(task="binary", num_classes=3), "num_classes=3"),
            (lambda: kem.Precision(task="binary", average="micro"), "average='micro'"),
            (lambda: kem.Precision(3, average="binary"), "average='binary'"),
            (lambda: kem.Precision(3, threshold=1.5), "threshold=1.5"),
            (lambda: kem.Precision(3, zero_division=2), "zero_division=2"),
            (lambda: kem.Precision(3, top_k=0), "top_k=0"),
            (lambda: kem.Precision(task="binary", top_k=2), "top_k=2"),
        ),
    ),
    "recall": Entry(lambda: kem.Recall(num_classes=3, average="micro")),
    "f1": Entry(lambda: kem.F1Score(num_classes=3)),
    "fbeta": Entry(
        lambda: kem.FBetaScore(num_classes=3, beta=2.0),
        bad=((lambda: kem.FBetaScore(num_classes=3, beta=0), "beta=0"),),
    ),
    "specificity": Entry(lambda: kem.Specificity(num_classes=3)),
    "jaccard": Entry(
        representative=False, make=lambda: kem.JaccardIndex(num_classes=3)
    ),
    "dice": Entry(
        representative=False, make=lambda: kem.DiceScore(num_classes=3, average="micro")
    ),
    "balanced_accuracy": Entry(
        lambda: kem.BalancedAccuracy(num_classes=3),
        bad=((lambda: kem.BalancedAccuracy(3, average="micro"), "average='micro'"),),
    ),
    "mcc": Entry(lambda: kem.MatthewsCorrelation(num_classes=3)),
    "kappa": Entry(
        lambda: kem.CohenKappa(num_classes=3, weights="quadratic"),
        bad=(
            (lambda: kem.CohenKappa(num_classes=3, weights="cubic"), "weights='cubic'"),
            (lambda: kem.CohenKappa(3, task="multilabel"), "task='multilabel'"),
        ),
    ),
    "ece": Entry(
        lambda: kem.ExpectedCalibrationError(num_bins=5),
        bad=(
            (lambda: kem.ExpectedCalibrationError(num_bins=0), "num_bins=0"),
            (lambda: kem.ExpectedCalibrationError(norm="l3"), "norm='l3'"),
        ),
        binned=True,
    ),
    "brier": Entry(
        lambda: kem.BrierScore(),
        bad=(
            (lambda: kem.BrierScore(from_logits=1), "from_logits=1"),
            (lambda: kem.BrierScore(task="multi"), "task='multi'"),
        ),
    ),
    "multilabel_samples": Entry(
        lambda: kem.ClassificationMetrics(
            3,
            metrics=("f1", "exact_match", "hamming_loss"),
            task="multilabel",
            average="samples",
            threshold=[0.4, 0.5, 0.6],
        ),
        bad=(
            (
                lambda: kem.ClassificationMetrics(3, average="samples"),
                "average='samples'",
            ),
            (
                lambda: kem.F1Score(3, task="multilabel", threshold=[0.5, 1.5]),
                r"threshold\[1\]=1.5",
            ),
        ),
        inputs="rows",
    ),
    "brier_multilabel": Entry(lambda: kem.BrierScore(task="multilabel"), inputs="rows"),
    "ece_multilabel": Entry(
        lambda: kem.ExpectedCalibrationError(
            num_bins=5, task="multilabel", num_classes=3
        ),
        bad=(
            (
                lambda: kem.ExpectedCalibrationError(task="multilabel"),
                "num_classes=None",
            ),
            (
                lambda: kem.ExpectedCalibrationError(task="multilabel", num_classes=1),
                "num_classes=1",
            ),
        ),
        binned=True,
        inputs="rows",
    ),
    "auroc": Entry(
        lambda: kem.AUROC(num_classes=3, num_thresholds=11),
        bad=(
            (lambda: kem.AUROC(3, average="samples"), "average='samples'"),
            (lambda: kem.AUROC(num_classes=None), "num_classes=None"),
            (lambda: kem.AUROC(3, num_thresholds=1), "num_thresholds=1"),
        ),
        binned=True,
    ),
    "average_precision": Entry(
        lambda: kem.AveragePrecision(num_classes=3, num_thresholds=11),
        bad=((lambda: kem.AveragePrecision(task="ranking"), "task='ranking'"),),
        binned=True,
    ),
    "precision_at_recall": Entry(
        representative=False,
        make=lambda: kem.PrecisionAtRecall(0.5, num_classes=3, num_thresholds=11),
        bad=((lambda: kem.PrecisionAtRecall(1.5, num_classes=3), "recall=1.5"),),
        binned=True,
    ),
    "recall_at_precision": Entry(
        representative=False,
        make=lambda: kem.RecallAtPrecision(0.5, num_classes=3, num_thresholds=11),
        bad=((lambda: kem.RecallAtPrecision(-1, num_classes=3), "precision=-1"),),
        binned=True,
    ),
    "specificity_at_sensitivity": Entry(
        representative=False,
        make=lambda: kem.SpecificityAtSensitivity(
            0.5, num_classes=3, num_thresholds=11
        ),
        bad=(
            (
                lambda: kem.SpecificityAtSensitivity("high", num_classes=3),
                "sensitivity='high'",
            ),
        ),
        binned=True,
    ),
    "best_threshold": Entry(
        representative=False,
        make=lambda: kem.BestThreshold(num_classes=3, num_thresholds=11),
        bad=((lambda: kem.BestThreshold(beta=0, num_classes=3), "beta=0"),),
        binned=True,
    ),
    "uniform_kl": Entry(
        lambda: kem.UniformKLDivergence(),
        bad=((lambda: kem.UniformKLDivergence(from_logits="yes"), "from_logits"),),
    ),
    "entropy": Entry(
        lambda: kem.PredictiveEntropy(),
        bad=((lambda: kem.PredictiveEntropy(normalize=1), "normalize=1"),),
    ),
    "bootstrap": Entry(
        representative=False,
        make=lambda: kem.Bootstrap(
            kem.F1Score(num_classes=3), num_replicates=8, seed=1
        ),
        bad=(
            (lambda: kem.Bootstrap(kem.ConfusionMatrix(num_classes=3)), "metric"),
            (lambda: kem.Bootstrap(kem.F1Score()), "num_classes=None"),
            (lambda: kem.Bootstrap("f1"), "metric"),
            (lambda: kem.Bootstrap(kem.F1Score(3), confidence=1.0), "confidence"),
            (lambda: kem.Bootstrap(kem.F1Score(3), num_replicates=1), "num_replicates"),
        ),
        random=True,
    ),
    "pearson": Entry(
        lambda: kem.PearsonCorrelation(num_outputs=3, multioutput="raw_values"),
        bad=(
            (lambda: kem.PearsonCorrelation(num_outputs=0), "num_outputs=0"),
            (lambda: kem.PearsonCorrelation(multioutput="mean"), "multioutput='mean'"),
        ),
        inputs="regression",
    ),
    "concordance": Entry(
        lambda: kem.ConcordanceCorrelation(num_outputs=3),
        bad=((lambda: kem.ConcordanceCorrelation(num_outputs=1.5), "num_outputs"),),
        inputs="regression",
    ),
    "spearman": Entry(
        lambda: kem.SpearmanCorrelation(num_outputs=3, multioutput="raw_values"),
        bad=(
            (lambda: kem.SpearmanCorrelation(num_bins=4), "num_bins=4"),
            (lambda: kem.SpearmanCorrelation(value_range=(1.0, 0.0)), r"\(1.0, 0.0\)"),
        ),
        inputs="regression",
    ),
    "kendall": Entry(
        lambda: kem.KendallTau(num_bins=64, num_outputs=3),
        bad=(
            (lambda: kem.KendallTau(num_bins=5000), "num_bins=5000"),
            (lambda: kem.KendallTau(value_range=3), "value_range=3"),
        ),
        inputs="regression",
    ),
    "r2": Entry(
        lambda: kem.R2Score(3, "variance_weighted", num_regressors=2),
        bad=((lambda: kem.R2Score(num_regressors=-1), "num_regressors=-1"),),
        inputs="regression",
    ),
    "explained_variance": Entry(
        lambda: kem.ExplainedVariance(num_outputs=3, multioutput="raw_values"),
        bad=((lambda: kem.ExplainedVariance(multioutput=None), "multioutput=None"),),
        inputs="regression",
    ),
    "pinball": Entry(
        lambda: kem.MeanPinballLoss(alpha=0.9, num_outputs=3),
        bad=((lambda: kem.MeanPinballLoss(alpha=1.5), "alpha=1.5"),),
        inputs="regression",
    ),
    "tweedie": Entry(
        lambda: kem.TweedieDeviance(power=0.0, num_outputs=3),
        bad=((lambda: kem.TweedieDeviance(power=0.5), "power=0.5"),),
        inputs="regression",
    ),
    "smape": Entry(
        lambda: kem.SymmetricMeanAbsolutePercentageError(num_outputs=3),
        bad=((lambda: kem.SymmetricMeanAbsolutePercentageError(0), "num_outputs=0"),),
        inputs="regression",
    ),
    "wmape": Entry(
        lambda: kem.WeightedMeanAbsolutePercentageError(num_outputs=3),
        bad=((lambda: kem.WeightedMeanAbsolutePercentageError(-2), "num_outputs=-2"),),
        inputs="regression",
    ),
    "exact_match": Entry(
        lambda: kem.ExactMatch(num_classes=3, threshold=0.4),
        bad=((lambda: kem.ExactMatch(num_classes=0), "num_classes=0"),),
        inputs="rows",
    ),
    "hamming_loss": Entry(
        lambda: kem.HammingLoss(num_classes=3, from_logits=False),
        bad=((lambda: kem.HammingLoss(from_logits="no"), "from_logits='no'"),),
        inputs="rows",
    ),
    "lrap": Entry(
        lambda: kem.LabelRankingAveragePrecision(num_classes=3),
        bad=((lambda: kem.LabelRankingAveragePrecision(-1), "num_classes=-1"),),
        inputs="rows",
    ),
    "coverage_error": Entry(
        lambda: kem.CoverageError(),
        bad=((lambda: kem.CoverageError(num_classes=2.5), "num_classes=2.5"),),
        inputs="rows",
    ),
    "ranking_loss": Entry(
        lambda: kem.LabelRankingLoss(num_classes=3),
        bad=((lambda: kem.LabelRankingLoss("3"), "num_classes='3'"),),
        inputs="rows",
    ),
    "ndcg": Entry(
        lambda: kem.NDCG(k=2, num_classes=3),
        bad=((lambda: kem.NDCG(k=-1), "k=-1"),),
        inputs="rows",
    ),
    "mrr": Entry(
        lambda: kem.MeanReciprocalRank(num_classes=3),
        bad=((lambda: kem.MeanReciprocalRank(num_classes=0), "num_classes=0"),),
        inputs="rows",
    ),
}

CALLBACKS: dict[str, Entry] = {
    "best_checkpoints": Entry(
        lambda: kec.BestCheckpoints("ckpt", monitor="val_f1", mode="max", save_top_k=4),
        bad=(
            (lambda: kec.BestCheckpoints("d", save_top_k=0), "save_top_k=0"),
            (lambda: kec.BestCheckpoints("d", mode="up"), "mode='up'"),
            (lambda: kec.BestCheckpoints("d", filename="x.h5"), "filename='x.h5'"),
        ),
    ),
    "backup_and_restore": Entry(
        lambda: kec.BackupAndRestore("backup", delete_checkpoint=False, save_freq=5),
        bad=(
            (lambda: kec.BackupAndRestore(None), "backup_dir=None"),
            (lambda: kec.BackupAndRestore("d", delete_checkpoint="no"), "'no'"),
        ),
    ),
    "early_stopping": Entry(
        lambda: kec.EarlyStopping(
            monitor="val_f1", patience=3, divergence_threshold=0.1
        ),
        bad=((lambda: kec.EarlyStopping(mode="up"), "mode='up'"),),
    ),
    "learning_rate_monitor": Entry(
        lambda: kec.LearningRateMonitor(log_every="batch"),
        bad=((lambda: kec.LearningRateMonitor(log_every="step"), "log_every='step'"),),
    ),
    "time_limit": Entry(
        lambda: kec.TimeLimit(12.5), bad=((lambda: kec.TimeLimit(0), "seconds=0"),)
    ),
    "throughput": Entry(
        lambda: kec.ThroughputMonitor(batch_size=8, skip_steps=1),
        bad=((lambda: kec.ThroughputMonitor(batch_size=0), "batch_size=0"),),
    ),
    "lr_finder": Entry(
        lambda: kec.LRFinder(min_lr=1e-5, max_lr=0.5, num_steps=30),
        bad=(
            (lambda: kec.LRFinder(min_lr=1.0, max_lr=0.1), "min_lr=1.0"),
            (lambda: kec.LRFinder(num_steps=1), "num_steps=1"),
        ),
    ),
    "report": Entry(
        lambda: kec.ClassificationReport(
            _validation(), class_names=CLASSES, every_n_epochs=2
        ),
        bad=(
            (lambda: kec.ClassificationReport(np.zeros(5)), "validation_data"),
            (
                lambda: kec.ClassificationReport(_validation(), num_replicates=1),
                "num_replicates",
            ),
            (
                lambda: kec.ClassificationReport(_validation(), confidence=1.0),
                "confidence",
            ),
        ),
    ),
    "report_intervals": Entry(
        lambda: kec.ClassificationReport(
            _validation(), num_replicates=20, confidence=0.9, seed=1
        )
    ),
    "swa": Entry(
        lambda: kec.StochasticWeightAveraging(
            start_epoch=2, validate_average=True, batch_size=16
        ),
        bad=(
            (lambda: kec.StochasticWeightAveraging(start_epoch=-1), "start_epoch=-1"),
            (lambda: kec.StochasticWeightAveraging(batch_norm_data=3), "int"),
            (lambda: kec.StochasticWeightAveraging(validate_average=1), "=1"),
        ),
    ),
    "plot_history": Entry(lambda: kec.PlotHistory("history.png", every_n_epochs=5)),
    "confusion_matrix_plot": Entry(
        lambda: kec.ConfusionMatrixPlot(_validation(), "cm.png", normalize="pred"),
        bad=(
            (
                lambda: kec.ConfusionMatrixPlot(_validation(), "x.png", normalize="x"),
                "normalize='x'",
            ),
        ),
    ),
    "curve_plot": Entry(
        lambda: kec.CurvePlot(
            _validation(), "curves.png", num_classes=3, class_names=CLASSES
        )
    ),
    "reliability_diagram": Entry(
        lambda: kec.ReliabilityDiagram(_validation(), "reliability.png", num_bins=10)
    ),
}

# Configurations beyond the registry's one per class whose configs must round
# trip too (every argument away from its default).
CONFIG_VARIANTS = [
    lambda: kem.ClassificationMetrics(
        num_classes=3,
        metrics=["f1", "mcc"],
        prefix="val_",
        average=None,
        kappa_weights="linear",
        class_names=CLASSES,
    ),
    lambda: kem.Precision(
        num_classes=3,
        task="multilabel",
        threshold=0.3,
        from_logits=True,
        ignore_class=-1,
        zero_division=1.0,
        average=None,
    ),
    lambda: kem.BalancedAccuracy(task="binary"),
    lambda: kem.ConfusionMatrix(num_classes=4, normalize="all", top_k=2),
    lambda: kem.PredictiveEntropy(normalize=True, from_logits=True),
    lambda: kem.RecallAtPrecision(0.5, num_classes=3, average=None),
    lambda: kem.BestThreshold(beta=0.5, task="binary", from_logits=True),
    lambda: kem.Bootstrap(kem.AUROC(task="binary"), 20, confidence=0.9, seed=5),
]

# Configurations whose log keys are not one per metric: per class, led by a
# prefix, or known only once the first batch has given the number of classes.
KEY_VARIANTS = [
    lambda: kem.ClassificationMetrics(
        num_classes=3, metrics=["f1", "mcc"], average=None, class_names=CLASSES
    ),
    lambda: kem.ClassificationMetrics(metrics=["precision"], average=None, prefix="p_"),
    lambda: kem.ClassificationMetrics(num_classes=3, prefix=""),
    lambda: kem.F1Score(num_classes=3, average=None),
    lambda: kem.AUROC(num_classes=3, average=None, num_thresholds=11),
    lambda: kem.BestThreshold(num_classes=3, average=None, num_thresholds=11),
    lambda: kem.Bootstrap(kem.F1Score(num_classes=3, average=None), 8, seed=0),
    lambda: kem.Bootstrap(
        kem.ClassificationMetrics(num_classes=3, average=None, prefix="b_"), 8, seed=0
    ),
]

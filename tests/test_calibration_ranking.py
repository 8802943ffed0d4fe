"""Calibration (ECE, Brier) and ranking (AUROC, AP) metrics against numpy written
from the definitions and scikit-learn, on every backend, eagerly and in compiled
fit/evaluate, with sample weights and several batches."""

import keras
import numpy as np
import pytest
from helpers import (
    BATCH_SIZES,
    CLASS_COUNTS,
    assert_save_load,
    evaluate_compiled,
    logs_from_fit_and_evaluate,
    run_eager,
    run_metric,
)
from hypothesis import given
from hypothesis import strategies as st
from sklearn import metrics as skm

from keras_extras.metrics import (
    AUROC,
    AveragePrecision,
    BrierScore,
    ExpectedCalibrationError,
)

# ---------------------------------------------------------------- references


def reference_calibration(confidence, hit, weights, num_bins, norm):
    """Calibration error from the definition, bins [i/M, (i+1)/M), 1.0 in the last."""
    confidence = confidence.astype(np.float32)
    bins = np.clip(np.floor(confidence * np.float32(num_bins)), 0, num_bins - 1)
    bins = bins.astype(int)
    weight = np.bincount(bins, weights, num_bins)
    conf = np.bincount(bins, weights * confidence, num_bins)
    acc = np.bincount(bins, weights * hit, num_bins)
    nonempty = weight > 0
    gap = np.abs(acc[nonempty] / weight[nonempty] - conf[nonempty] / weight[nonempty])
    share = weight[nonempty] / weight.sum()
    if norm == "l1":
        return float((share * gap).sum())
    if norm == "l2":
        return float(np.sqrt((share * gap**2).sum()))
    return float(gap.max())


def confidence_and_hit(labels, probs):
    if probs.ndim == 1:
        return probs, labels.astype(np.float64)
    return probs.max(-1), (probs.argmax(-1) == labels).astype(np.float64)


@st.composite
def probability_batches(draw, binary=None):
    """Batches of probabilities (multiclass or binary) with labels and weights."""
    binary = draw(st.booleans()) if binary is None else binary
    num_classes = 2 if binary else draw(st.sampled_from(CLASS_COUNTS))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    sizes = draw(st.lists(st.sampled_from(BATCH_SIZES), min_size=1, max_size=3))
    weighted = draw(st.booleans())
    on_grid = draw(st.booleans())
    batches = []
    for size in sizes:
        if binary:
            probs = rng.random(size)
        else:
            probs = rng.dirichlet(np.ones(num_classes) * 0.5, size)
        if on_grid:
            probs = np.round(probs * 10) / 10
        labels = rng.integers(0, num_classes, size)
        weight = rng.uniform(0.1, 3.0, size) if weighted else np.ones(size)
        batches.append(
            (
                labels,
                probs.astype("float32"),
                weight.astype("float32") if weighted else None,
                weight,
            )
        )
    return num_classes, binary, batches


def _pooled(batches):
    labels = np.concatenate([b[0] for b in batches])
    probs = np.concatenate([b[1] for b in batches]).astype(np.float64)
    weights = np.concatenate([b[3] for b in batches])
    return labels, probs, weights


# ---------------------------------------------------------------- calibration


@pytest.mark.parametrize("norm", ["l1", "l2", "max"])
@given(data=probability_batches())
def test_calibration_error_matches_definition(norm, data):
    _, _, batches = data
    metric = ExpectedCalibrationError(num_bins=7, norm=norm)
    got = run_metric(metric, [b[:3] for b in batches])
    labels, probs, weights = _pooled(batches)
    confidence, hit = confidence_and_hit(
        labels, np.concatenate([b[1] for b in batches])
    )
    expected = reference_calibration(confidence, hit, weights, 7, norm)
    np.testing.assert_allclose(got, expected, atol=1e-6)


@given(data=probability_batches())
def test_brier_score_matches_reference(data):
    num_classes, binary, batches = data
    got = run_eager(BrierScore(), [b[:3] for b in batches])
    labels, probs, weights = _pooled(batches)
    if binary:
        expected = skm.brier_score_loss(labels, probs, sample_weight=weights)
    else:
        squared = ((probs - np.eye(num_classes)[labels]) ** 2).sum(-1)
        expected = (squared * weights).sum() / weights.sum()
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_brier_accepts_one_hot_labels_and_logits():
    logits = np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]], "float32")
    one_hot = np.eye(3, dtype="float32")[[0, 2]]
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    expected = ((probs - one_hot) ** 2).sum(-1).mean()
    got = run_metric(BrierScore(from_logits=True), [(one_hot, logits, None)])
    np.testing.assert_allclose(got, expected, atol=1e-6)


def multilabel_batches(seed=0, labels=4):
    """Multi-hot rows (some empty, some full) and sigmoid scores, weights, in
    batches of 32 and a last one of 16."""
    rng = np.random.default_rng(seed)
    truth = (rng.random((80, labels)) < 0.4).astype("float32")
    truth[:3], truth[3:5] = 0.0, 1.0
    scores = np.clip(truth * 0.3 + rng.random((80, labels)) * 0.7, 0, 1)
    scores = scores.astype("float32")
    weights = rng.uniform(0.1, 2.0, 80).astype("float32")
    parts = [
        (truth[i : i + 32], scores[i : i + 32], weights[i : i + 32])
        for i in range(0, 80, 32)
    ]
    return truth, scores, weights, parts


@pytest.mark.parametrize("norm", ["l1", "l2", "max"])
def test_multilabel_calibration_is_the_mean_over_labels(norm):
    """ECE per label (each its own bins), Brier per label (scikit-learn's
    `brier_score_loss`), averaged over the labels; several batches, weights,
    and compiled `evaluate`."""
    truth, scores, weights, parts = multilabel_batches(seed=1)
    labels = truth.shape[1]

    def ece():
        return ExpectedCalibrationError(
            num_bins=6, norm=norm, task="multilabel", num_classes=labels
        )

    want = np.mean(
        [
            reference_calibration(scores[:, k], truth[:, k], weights, 6, norm)
            for k in range(labels)
        ]
    )
    np.testing.assert_allclose(run_metric(ece(), parts), want, atol=1e-6)
    np.testing.assert_allclose(
        evaluate_compiled(ece, truth, scores, weights, batch_size=32), want, atol=1e-6
    )
    brier = np.mean(
        [
            skm.brier_score_loss(truth[:, k], scores[:, k], sample_weight=weights)
            for k in range(labels)
        ]
    )

    def make_brier():
        return BrierScore(task="multilabel")

    np.testing.assert_allclose(run_metric(make_brier(), parts), brier, atol=1e-6)
    np.testing.assert_allclose(
        evaluate_compiled(make_brier, truth, scores, weights, batch_size=32),
        brier,
        atol=1e-6,
    )


def test_multi_hot_labels_make_a_multiclass_calibration_metric_nan():
    """Multi-hot rows given without task="multilabel" would be read as a soft
    multiclass target (and rows without a label dropped): the result is NaN,
    eagerly and compiled, until `reset_state()`."""
    truth, scores, _, _ = multilabel_batches(seed=2, labels=3)
    for make in (
        BrierScore,
        lambda: ExpectedCalibrationError(num_bins=5),
    ):
        metric = make()
        assert np.isnan(run_metric(metric, [(truth, scores, None)]))
        assert np.isnan(evaluate_compiled(make, truth, scores, batch_size=16))
        one_hot = np.eye(3, dtype="float32")[scores.argmax(-1)]
        mixup = 0.7 * one_hot + 0.3 * one_hot[::-1]  # soft rows summing to 1
        assert np.isfinite(run_metric(make(), [(mixup, scores, None)]))


# ---------------------------------------------------------------- ranking


def _sklearn_curve(kind, labels, probs, weights, binary, num_classes, average):
    score = skm.roc_auc_score if kind == "auroc" else skm.average_precision_score
    if binary:
        return score(labels, probs, sample_weight=weights)
    indicator = np.eye(num_classes)[labels]
    if average == "micro":
        return score(
            indicator.ravel(),
            probs.ravel(),
            sample_weight=np.repeat(weights, num_classes),
        )
    present = [k for k in range(num_classes) if 0 < indicator[:, k].sum() < len(labels)]
    per_class = np.array(
        [score(indicator[:, k], probs[:, k], sample_weight=weights) for k in present]
    )
    if average == "macro":
        return per_class.mean()
    support = np.array([(indicator[:, k] * weights).sum() for k in present])
    return (per_class * support).sum() / support.sum()


def _curve_metric(kind, binary, num_classes, average, num_thresholds):
    cls = AUROC if kind == "auroc" else AveragePrecision
    if binary:
        return cls(task="binary", num_thresholds=num_thresholds)
    return cls(num_classes=num_classes, average=average, num_thresholds=num_thresholds)


def _defined(labels, binary, num_classes):
    classes = [1] if binary else range(num_classes)
    return any(0 < (labels == k).sum() < len(labels) for k in classes)


@pytest.mark.parametrize("kind", ["auroc", "ap"])
@pytest.mark.parametrize("average", ["macro", "weighted", "micro"])
@given(data=probability_batches())
def test_ranking_exact_on_grid(kind, average, data):
    """Scores on a grid of tenths, a subset of the default 201-point grid."""
    num_classes, binary, batches = data
    batches = [(b[0], np.round(b[1] * 10) / 10, b[2], b[3]) for b in batches]
    batches = [(b[0], b[1].astype("float32"), b[2], b[3]) for b in batches]
    labels, probs, weights = _pooled(batches)
    metric = _curve_metric(kind, binary, num_classes, average, 201)
    got = run_metric(metric, [b[:3] for b in batches])
    if not _defined(labels, binary, num_classes):
        assert np.isfinite(got)
        return
    expected = _sklearn_curve(
        kind, labels, probs, weights, binary, num_classes, average
    )
    np.testing.assert_allclose(got, expected, atol=1e-6)


@pytest.mark.parametrize("kind", ["auroc", "ap"])
@given(seed=st.integers(0, 2**31 - 1), num_classes=st.sampled_from(CLASS_COUNTS))
def test_ranking_close_on_continuous_scores(kind, seed, num_classes):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, 400)
    logits = rng.normal(size=(400, num_classes)) + 1.5 * np.eye(num_classes)[labels]
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    weights = rng.uniform(0.2, 2.0, 400)
    metric = _curve_metric(kind, False, num_classes, "macro", 200)
    got = run_metric(
        metric, [(labels, probs.astype("float32"), weights.astype("float32"))]
    )
    expected = _sklearn_curve(kind, labels, probs, weights, False, num_classes, "macro")
    # The requirement: within 5e-3 of scikit-learn on continuous scores (worst
    # measured over 530 problems: 1.3e-3 AUROC, 4.8e-3 AP; benchmarks/).
    assert abs(got - expected) < 5e-3


def test_multilabel_and_per_class_auroc():
    rng = np.random.default_rng(9)
    y_true = rng.integers(0, 2, (60, 3))
    scores = np.round(rng.random((60, 3)) * 20) / 20
    got = run_metric(
        AUROC(num_classes=3, task="multilabel", average=None),
        [(y_true, scores.astype("float32"), None)],
    )
    expected = skm.roc_auc_score(y_true, scores, average=None)
    np.testing.assert_allclose(got, expected, atol=1e-6)


# ---------------------------------------------------------------- state, compiled


@pytest.mark.parametrize(
    "make",
    [
        lambda: ExpectedCalibrationError(),
        lambda: BrierScore(),
        lambda: AUROC(num_classes=3),
        lambda: AveragePrecision(num_classes=3),
    ],
)
def test_state_size_does_not_grow_with_samples(make):
    metric = make()
    sizes = [tuple(v.shape) for v in metric.variables]
    rng = np.random.default_rng(0)
    for batch in (4, 400, 4000):
        probs = rng.dirichlet(np.ones(3), batch).astype("float32")
        metric.update_state(rng.integers(0, 3, batch), probs)
        assert [tuple(v.shape) for v in metric.variables] == sizes
    assert all(v.aggregation == "sum" for v in metric.variables)


METRICS = {
    "expected_calibration_error": lambda: ExpectedCalibrationError(num_bins=5),
    "brier_score": lambda: BrierScore(),
    "auroc": lambda: AUROC(num_classes=3, num_thresholds=11),
    "average_precision": lambda: AveragePrecision(num_classes=3, num_thresholds=11),
}


@pytest.mark.parametrize("name", sorted(METRICS))
def test_model_fit_and_evaluate(name):
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 3, 48)
    probs = (np.round(rng.dirichlet(np.ones(3), 48) * 10) / 10).astype("float32")
    weight = rng.uniform(0.5, 2.0, 48).astype("float32")
    fit_logs, eval_logs = logs_from_fit_and_evaluate(
        METRICS[name], labels.astype("int32"), probs, weight, batch_size=16
    )
    expected = run_eager(METRICS[name](), [(labels, probs, weight)])
    np.testing.assert_allclose(fit_logs[name], expected, atol=1e-6)
    np.testing.assert_allclose(eval_logs[name], expected, atol=1e-6)


@pytest.mark.parametrize("name", sorted(METRICS))
def test_get_config_and_save_load(name, tmp_path):
    metric = METRICS[name]()
    restored = keras.metrics.deserialize(keras.metrics.serialize(metric))
    assert type(restored) is type(metric)
    assert restored.get_config() == metric.get_config()
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(3), 20).astype("float32")
    assert_save_load(METRICS[name], rng.integers(0, 3, 20), probs, tmp_path)


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match=r"y_pred.shape=\(4, 2\)"):
        AUROC(num_classes=3).update_state(np.zeros(4), np.zeros((4, 2), "float32"))
    with pytest.raises(ValueError, match=r"y_true.shape=\(5,\)"):
        BrierScore().update_state(np.zeros(5), np.zeros((4, 3), "float32"))

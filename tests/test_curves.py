"""Curves and operating points from the ranking state (ROC and PR curves,
precision at recall, recall at precision, specificity at sensitivity, the best
F-beta threshold) against numpy written from the definitions and Keras' own
binary metrics, eagerly and in compiled evaluate, with weights, on the backend
under test."""

import keras
import numpy as np
import pytest
from helpers import (
    assert_both,
    assert_save_load,
    compile_function,
    run_eager,
    run_metric,
)
from keras import ops

import keras_extras.metrics as kem
from keras_extras.metrics.ranking import threshold_grid
from keras_extras.metrics.ranking.histograms import GridBuckets

GRID = threshold_grid(200)


def rates(labels01, scores, weights):
    """Per grid threshold t (positive when score >= t): tp, fp and the totals."""
    predicted = scores[None, :] >= GRID[:, None]
    tp = (predicted * (labels01 * weights)).sum(1)
    fp = (predicted * ((1 - labels01) * weights)).sum(1)
    positives, negatives = (labels01 * weights).sum(), ((1 - labels01) * weights).sum()
    recall = tp / positives
    precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=tp + fp > 0)
    return {
        "recall": recall,
        "precision": precision,
        "fpr": fp / negatives,
        "specificity": (negatives - fp) / negatives,
        "tp": tp,
        "fp": fp,
        "positives": positives,
    }


def one_vs_rest(labels, probs, weights):
    return [
        rates((labels == k).astype(np.float64), probs[:, k], weights)
        for k in range(probs.shape[1])
    ]


def problem(seed=0, samples=40, classes=3):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, samples)
    logits = rng.normal(size=(samples, classes)) + 1.5 * np.eye(classes)[labels]
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    weights = rng.uniform(0.5, 2.0, samples)
    return labels, probs.astype("float32"), weights.astype("float32")


def test_roc_and_pr_curves_are_exact_at_the_grid():
    labels, probs, weights = problem()
    metric = kem.AUROC(num_classes=3)
    run_metric(
        metric,
        [
            (labels[:20], probs[:20], weights[:20]),
            (labels[20:], probs[20:], weights[20:]),
        ],
    )
    fpr, tpr, thresholds = metric.roc_curve()
    precision, recall, _ = metric.precision_recall_curve()
    np.testing.assert_array_equal(thresholds, GRID)
    expected = one_vs_rest(labels, probs, weights.astype(np.float64))
    for k, reference in enumerate(expected):
        np.testing.assert_allclose(tpr[k], reference["recall"], atol=1e-6)
        np.testing.assert_allclose(fpr[k], reference["fpr"], atol=1e-6)
        np.testing.assert_allclose(precision[k], reference["precision"], atol=1e-6)
        np.testing.assert_allclose(recall[k], reference["recall"], atol=1e-6)
    binary = kem.AveragePrecision(task="binary")
    scores = probs[:, 1]
    run_metric(binary, [((labels == 1).astype("int32"), scores, None)])
    fpr, tpr, _ = binary.roc_curve()
    reference = rates((labels == 1).astype(np.float64), scores, np.ones(len(labels)))
    np.testing.assert_allclose(tpr, reference["recall"], atol=1e-6)
    np.testing.assert_allclose(fpr, reference["fpr"], atol=1e-6)


OPERATING = [
    (kem.PrecisionAtRecall, "recall", 0.6, "recall", "precision"),
    (kem.RecallAtPrecision, "precision", 0.7, "precision", "recall"),
    (kem.SpecificityAtSensitivity, "sensitivity", 0.8, "recall", "specificity"),
]


@pytest.mark.parametrize("cls,arg,target,constraint,value", OPERATING)
@pytest.mark.parametrize("average", ["macro", "weighted", None])
def test_operating_points_match_the_definition(
    cls, arg, target, constraint, value, average
):
    labels, probs, weights = problem(seed=1)
    per_class = np.array(
        [
            np.max(np.where(r[constraint] >= target, r[value], 0.0))
            for r in one_vs_rest(labels, probs, weights.astype(np.float64))
        ]
    )
    support = np.bincount(labels, weights, 3)
    if average == "macro":
        expected = per_class.mean()
    elif average == "weighted":
        expected = (per_class * support).sum() / support.sum()
    else:
        expected = per_class
    make = lambda: cls(**{arg: target}, num_classes=3, average=average)  # noqa: E731
    assert_both(make, labels, probs, expected, weight=weights, atol=1e-6)


@pytest.mark.parametrize("cls,arg,target,constraint,value", OPERATING)
def test_binary_operating_points_equal_keras(cls, arg, target, constraint, value):
    """Scores on tenths from 0.1 to 0.9: every cut between two scores is a
    threshold of both grids (Keras' grid runs from 0 to 1 and counts a score as
    positive when it is above, so it has no cut below a score of 0 or above 1),
    so Keras' binary metric and ours see the same operating points."""
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 2, 60)
    scores = np.clip(np.round(rng.random(60) * 10) / 10, 0.1, 0.9).astype("float32")
    peer = getattr(keras.metrics, cls.__name__)(target)
    peer.update_state(labels, scores)
    got = run_eager(cls(**{arg: target}, task="binary"), [(labels, scores, None)])
    np.testing.assert_allclose(
        got, keras.ops.convert_to_numpy(peer.result()), atol=1e-6
    )


def test_best_threshold_finds_the_best_f_beta():
    labels, probs, weights = problem(seed=3)
    w = weights.astype(np.float64)
    for beta in (1.0, 2.0):
        metric = kem.BestThreshold(beta=beta, num_classes=3, average=None)
        got = run_eager(metric, [(labels, probs, weights)])
        name = metric.name
        assert name == ("best_f1" if beta == 1.0 else "best_fbeta")
        thresholds = metric.best_thresholds()
        for k, r in enumerate(one_vs_rest(labels, probs, w)):
            fn = r["positives"] - r["tp"]
            b2 = beta**2
            fbeta = (1 + b2) * r["tp"] / ((1 + b2) * r["tp"] + b2 * fn + r["fp"])
            best = np.flatnonzero(np.isclose(fbeta, fbeta.max(), atol=1e-7)).max()
            np.testing.assert_allclose(got[name][k], fbeta.max(), atol=1e-6)
            assert thresholds[k] == GRID[best]
            np.testing.assert_allclose(got[f"{name}_threshold/{k}"], GRID[best])


def test_best_threshold_binary_keys_and_monitor_direction():
    labels = np.array([0, 0, 1, 1])
    scores = np.array([0.1, 0.4, 0.3, 0.8], "float32")
    got = run_metric(kem.BestThreshold(task="binary"), [(labels, scores, None)])
    assert set(got) == {"best_f1", "best_f1_threshold"}
    np.testing.assert_allclose(got["best_f1_threshold"], 0.3, atol=1e-7)


@pytest.mark.parametrize(
    "make",
    [
        lambda: kem.PrecisionAtRecall(recall=0.5, num_classes=3),
        lambda: kem.RecallAtPrecision(precision=0.5, num_classes=3, average=None),
        lambda: kem.SpecificityAtSensitivity(sensitivity=0.5, num_classes=3),
        lambda: kem.BestThreshold(beta=0.5, num_classes=3),
    ],
    ids=["precision_at_recall", "recall_at_precision", "specificity", "best"],
)
def test_config_round_trip_and_save_load(make, tmp_path):
    metric = make()
    clone = type(metric).from_config(metric.get_config())
    assert clone.get_config() == metric.get_config()
    labels, probs, _ = problem(seed=4)
    assert_save_load(make, labels, probs, tmp_path)


def test_multilabel_operating_points_per_label():
    rng = np.random.default_rng(6)
    labels = rng.integers(0, 2, (50, 3))
    scores = np.clip(labels * 0.3 + rng.random((50, 3)) * 0.7, 0, 1).astype("float32")
    per_label = np.array(
        [
            np.max(np.where(r["recall"] >= 0.7, r["precision"], 0.0))
            for r in (
                rates(labels[:, k].astype(np.float64), scores[:, k], np.ones(50))
                for k in range(3)
            )
        ]
    )

    def make():
        return kem.PrecisionAtRecall(
            recall=0.7, num_classes=3, task="multilabel", average=None
        )

    assert_both(make, labels, scores, per_label, atol=1e-6)


def _hard_scores(grid, rng):
    """Every threshold and its float32 neighbours, 0 and 1, uniform scores and
    scores log-uniform towards 0 and towards 1, as float32."""
    grid = grid.astype("float32")
    up = np.nextafter(grid, np.float32(2.0))
    down = np.nextafter(grid, np.float32(-1.0))
    near = [
        10.0 ** -rng.uniform(0.0, 9.0, 4000),
        1.0 - 10.0 ** -rng.uniform(0, 9, 4000),
    ]
    scores = np.concatenate(
        [grid, up, down, [0.0, 1.0], rng.uniform(0.0, 1.0, 8000), *near]
    ).astype("float32")
    return scores[(scores >= 0.0) & (scores <= 1.0)]


@pytest.mark.parametrize("num_thresholds", [4, 5, 10, 200, 1000, 2000])
def test_grid_buckets_equal_a_binary_search(num_thresholds):
    """The arithmetic bucketing gives what `searchsorted` gives for every kind
    of float32 score, compiled as in training: a wrong bucket would move a
    score across a threshold."""
    grid = threshold_grid(num_thresholds)
    scores = _hard_scores(grid, np.random.default_rng(num_thresholds))
    buckets = GridBuckets(grid)
    found, offsets = compile_function(buckets)(scores)
    expected = np.searchsorted(grid, scores, side="right") - 1
    np.testing.assert_array_equal(ops.convert_to_numpy(found), expected)
    # Exact, but XLA flushes a subnormal score (above 0 by 1e-45) to 0.
    np.testing.assert_allclose(
        ops.convert_to_numpy(offsets), scores - grid[expected], rtol=0, atol=1e-37
    )

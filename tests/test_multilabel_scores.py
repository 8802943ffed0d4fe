"""Multilabel scores of the confusion family against scikit-learn: sample
averages (`average="samples"`), exact match and Hamming loss in
`ClassificationMetrics`, and one threshold per label; several batches, weights,
rows with no label and with every label, eager (jitted on JAX) and in compiled
`evaluate`."""

import numpy as np
import pytest
from helpers import pass_through_model, run_metric, to_numpy
from sklearn import metrics as skm

import keras_extras.metrics as kem

LABELS, ROWS, BATCH = 5, 80, 32  # batches of 32, 32 and 16
THRESHOLDS = [0.3, 0.5, 0.7, 0.2, 0.9]


def data(seed=0):
    """Multi-hot rows (3 empty, 2 full), scores (3 rows decided all 0),
    weights."""
    rng = np.random.default_rng(seed)
    truth = (rng.random((ROWS, LABELS)) < 0.35).astype("float32")
    truth[:3], truth[3:5] = 0.0, 1.0
    scores = rng.random((ROWS, LABELS)).astype("float32")
    scores[:2] = 0.1  # a row with no label and no decision: zero_division
    scores[5] = 0.1  # a labelled row with no decision
    weights = rng.uniform(0.1, 2.0, ROWS).astype("float32")
    return truth, scores, weights


def batches(truth, scores, weights):
    return [
        (truth[i : i + BATCH], scores[i : i + BATCH], weights[i : i + BATCH])
        for i in range(0, ROWS, BATCH)
    ]


SAMPLE_SCORES = {
    # class, scikit-learn's function, extra arguments of both
    "precision": (kem.Precision, skm.precision_score, {}),
    "recall": (kem.Recall, skm.recall_score, {}),
    "f1": (kem.F1Score, skm.f1_score, {}),
    "fbeta": (kem.FBetaScore, skm.fbeta_score, {"beta": 2.0}),
    "jaccard": (kem.JaccardIndex, skm.jaccard_score, {}),
}


def sklearn_scores(truth, decided, weights):
    """scikit-learn's "samples" F1, exact match, Hamming loss and MCC (not
    averaged: the labels' pooled 2x2 matrix, as for any average)."""
    return {
        "f1": skm.f1_score(
            truth, decided, average="samples", sample_weight=weights, zero_division=0
        ),
        "exact_match": skm.accuracy_score(truth, decided, sample_weight=weights),
        "hamming_loss": skm.hamming_loss(truth, decided, sample_weight=weights),
        "mcc": skm.matthews_corrcoef(
            truth.ravel(), decided.ravel(), sample_weight=np.repeat(weights, LABELS)
        ),
    }


def evaluate_logs(make_metric, truth, scores, weights):
    """Every key of a metric's result after a compiled `evaluate` in batches."""
    model = pass_through_model(scores.shape, [make_metric()])
    return model.evaluate(
        scores,
        truth,
        sample_weight=weights,
        batch_size=BATCH,
        verbose=0,
        return_dict=True,
    )


@pytest.mark.parametrize("zero_division", [0.0, 1.0])
@pytest.mark.parametrize("name", sorted(SAMPLE_SCORES))
def test_sample_averages_match_sklearn(name, zero_division):
    cls, reference, extra = SAMPLE_SCORES[name]
    truth, scores, weights = data(seed=1)
    want = reference(
        truth,
        scores >= 0.5,
        average="samples",
        sample_weight=weights,
        zero_division=zero_division,
        **extra,
    )

    def make():
        return cls(
            LABELS,
            task="multilabel",
            average="samples",
            zero_division=zero_division,
            **extra,
        )

    metric = make()
    np.testing.assert_allclose(
        run_metric(metric, batches(truth, scores, weights)), want, atol=1e-6
    )
    logs = evaluate_logs(make, truth, scores, weights)
    np.testing.assert_allclose(logs[metric.name], want, atol=1e-6)


def test_exact_match_hamming_loss_and_sample_averages_share_one_state():
    truth, scores, weights = data(seed=2)
    decided = scores >= np.array(THRESHOLDS)

    def make():
        return kem.ClassificationMetrics(
            LABELS,
            metrics=("f1", "exact_match", "hamming_loss", "mcc"),
            task="multilabel",
            average="samples",
            threshold=THRESHOLDS,
        )

    want = sklearn_scores(truth, decided, weights)
    metric = make()
    got = run_metric(metric, batches(truth, scores, weights))
    logs = evaluate_logs(make, truth, scores, weights)
    for key, value in want.items():
        np.testing.assert_allclose(got[key], value, atol=1e-6, err_msg=key)
        np.testing.assert_allclose(logs[key], value, atol=1e-6, err_msg=key)
    keys = metric.log_keys()
    assert keys["hamming_loss"].direction == "down"
    assert keys["exact_match"].direction == "up"


def test_a_row_with_a_nan_score_is_left_out_as_the_row_metrics_leave_it():
    """The row scores skip a row with a NaN score (as `ExactMatch` and
    `HammingLoss` do); the per-label counts skip that label alone."""
    truth, scores, weights = data(seed=3)
    with_nan = scores.copy()
    with_nan[7, 2] = np.nan
    metric = kem.ClassificationMetrics(
        LABELS,
        metrics=("precision", "exact_match", "hamming_loss"),
        task="multilabel",
        average="samples",
    )
    got = run_metric(metric, [(truth, with_nan, weights)])
    keep = np.arange(ROWS) != 7
    decided = scores[keep] >= 0.5
    want = {
        "precision": skm.precision_score(
            truth[keep], decided, average="samples", sample_weight=weights[keep]
        ),
        "exact_match": skm.accuracy_score(
            truth[keep], decided, sample_weight=weights[keep]
        ),
        "hamming_loss": skm.hamming_loss(
            truth[keep], decided, sample_weight=weights[keep]
        ),
    }
    for key, value in want.items():
        np.testing.assert_allclose(got[key], value, atol=1e-6, err_msg=key)
    for alone, key in ((kem.ExactMatch(LABELS), "exact_match"),
                       (kem.HammingLoss(LABELS), "hamming_loss")):  # fmt: skip
        same = run_metric(alone, [(truth, with_nan, weights)])
        np.testing.assert_allclose(same, got[key], atol=1e-6, err_msg=key)


def test_zero_weights_and_an_empty_batch_change_no_sample_average():
    truth, scores, weights = data(seed=5)
    weights[10:20] = 0.0
    parts = batches(truth, scores, weights)
    parts.insert(1, (truth[:0], scores[:0], weights[:0]))
    metric = kem.F1Score(LABELS, task="multilabel", average="samples")
    want = skm.f1_score(truth, scores >= 0.5, average="samples", sample_weight=weights)
    np.testing.assert_allclose(run_metric(metric, parts), want, atol=1e-6)


def test_per_label_thresholds_in_every_multilabel_score():
    truth, scores, weights = data(seed=4)
    decided = scores >= np.array(THRESHOLDS)
    f1 = kem.F1Score(LABELS, task="multilabel", average="macro", threshold=THRESHOLDS)
    np.testing.assert_allclose(
        run_metric(f1, batches(truth, scores, weights)),
        skm.f1_score(truth, decided, average="macro", sample_weight=weights),
        atol=1e-6,
    )
    for metric, reference in (
        (kem.ExactMatch(LABELS, threshold=THRESHOLDS), skm.accuracy_score),
        (kem.HammingLoss(LABELS, threshold=THRESHOLDS), skm.hamming_loss),
    ):
        got = run_metric(metric, batches(truth, scores, weights))
        want = reference(truth, decided, sample_weight=weights)
        np.testing.assert_allclose(got, want, atol=1e-6)
        restored = type(metric).from_config(metric.get_config())
        assert restored.threshold == THRESHOLDS
    assert type(f1).from_config(f1.get_config()).get_config() == f1.get_config()
    for scalar in (np.float32(0.25), np.float64(0.25), np.array(0.25)):
        metric = kem.F1Score(LABELS, task="multilabel", threshold=scalar)
        assert metric.get_config()["threshold"] == 0.25


def test_bad_averages_and_thresholds_are_refused_naming_them():
    with pytest.raises(ValueError, match="average='samples', task='multiclass'"):
        kem.F1Score(3, average="samples")
    with pytest.raises(ValueError, match=r"num_classes=3\). Received: threshold"):
        kem.F1Score(3, task="multilabel", threshold=[0.5, 0.5])
    with pytest.raises(TypeError, match=r"threshold=\[0.5, 0.5\]"):
        kem.F1Score(task="binary", threshold=[0.5, 0.5])
    with pytest.raises(ValueError, match=r"threshold\[1\]=2.0"):
        kem.HammingLoss(threshold=[0.5, 2.0])
    with pytest.raises(ValueError, match=r"y_pred.shape=\(2, 5\)"):
        kem.ExactMatch(threshold=[0.5, 0.5]).update_state(
            np.zeros((2, 5)), np.zeros((2, 5))
        )
    with pytest.raises(ValueError, match=r"has 5 labels.*\(2 numbers\)"):
        metric = kem.F1Score(task="multilabel", threshold=[0.5, 0.5])
        metric.update_state(np.zeros((2, 5)), np.zeros((2, 5), "float32"))
    with pytest.raises(ValueError, match="'exact_match' is not defined"):
        kem.ClassificationMetrics(3, metrics=("exact_match",))


def test_an_empty_state_is_not_a_perfect_score():
    """Before any row: the ratios score `zero_division` (as every average
    does), exact match and Hamming loss NaN (a Hamming loss of 0 would be
    perfect), as `ExactMatch` and `HammingLoss`."""
    metric = kem.ClassificationMetrics(
        LABELS,
        metrics=("f1", "exact_match", "hamming_loss"),
        task="multilabel",
        average="samples",
    )
    values = {k: float(to_numpy(v)) for k, v in metric.result().items()}
    assert values["f1"] == 0.0
    assert np.isnan(values["exact_match"]) and np.isnan(values["hamming_loss"])
    for alone in (kem.ExactMatch(LABELS), kem.HammingLoss(LABELS)):
        assert np.isnan(to_numpy(alone.result()))


def test_bootstrap_intervals_of_the_multilabel_state():
    """`Bootstrap` of a multilabel `ClassificationMetrics`: each point value is
    scikit-learn's, inside its interval; compiled `evaluate` gives the same
    points and bracketing bounds."""
    truth, scores, weights = data(seed=6)
    decided = scores >= 0.5

    def make():
        return kem.Bootstrap(
            kem.ClassificationMetrics(
                LABELS,
                metrics=("f1", "exact_match", "hamming_loss", "mcc"),
                task="multilabel",
                average="samples",
            ),
            num_replicates=60,
            seed=1,
        )

    want = sklearn_scores(truth, decided, weights)
    for got in (
        run_metric(make(), batches(truth, scores, weights)),
        evaluate_logs(make, truth, scores, weights),
    ):
        for key, value in want.items():
            np.testing.assert_allclose(got[key], value, atol=1e-6, err_msg=key)
            assert got[f"{key}_low"] <= got[key] <= got[f"{key}_high"], key
            assert got[f"{key}_low"] < got[f"{key}_high"], key

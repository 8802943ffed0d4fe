"""Streaming bootstrap intervals (keras_extras.metrics.Bootstrap): the point
estimate is the wrapped metric's (scikit-learn's), the replicates draw fresh
Poisson weights every step, eagerly and in compiled evaluate, and the interval
covers the population value about as often as it says."""

import keras
import numpy as np
import pytest
from helpers import (
    assert_save_load,
    compiled_metrics,
    pass_through_model,
    run_metric,
    to_numpy,
)
from sklearn import metrics as skm

import keras_extras.callbacks as kec
import keras_extras.metrics as kem


def problem(samples=120, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, samples)
    noisy = np.where(rng.random(samples) < 0.7, labels, rng.integers(0, 3, samples))
    scores = (np.eye(3)[noisy] + rng.random((samples, 3)) * 0.4).astype("float32")
    weight = rng.uniform(0.5, 2.0, samples).astype("float32")
    return labels, scores, weight


def test_point_estimate_and_interval_eager_and_compiled():
    labels, scores, weight = problem()
    expected = skm.f1_score(
        labels, scores.argmax(-1), average="macro", sample_weight=weight
    )
    make = lambda: kem.Bootstrap(kem.F1Score(num_classes=3), seed=3)  # noqa: E731
    eager = run_metric(
        make(),
        [
            (labels[:60], scores[:60], weight[:60]),
            (labels[60:], scores[60:], weight[60:]),
        ],
    )
    model = pass_through_model(scores.shape, [make()])
    compiled = model.evaluate(
        scores, labels, sample_weight=weight, batch_size=16, verbose=0, return_dict=True
    )
    for got in (eager, compiled):
        point = float(got["f1_score"])
        low, high = float(got["f1_score_low"]), float(got["f1_score_high"])
        assert point == pytest.approx(expected, abs=1e-6)
        assert 0.0 < low < point < high < 1.0
        assert high - low < 0.35


def test_classification_metrics_get_an_interval_per_score():
    labels, scores, _ = problem(seed=1)
    inner = kem.ClassificationMetrics(num_classes=3, metrics=["accuracy", "mcc"])
    got = run_metric(kem.Bootstrap(inner, seed=0), [(labels, scores, None)])
    assert set(got) == {
        "accuracy",
        "accuracy_low",
        "accuracy_high",
        "mcc",
        "mcc_low",
        "mcc_high",
    }
    predicted = scores.argmax(-1)
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(labels, predicted))
    assert got["mcc"] == pytest.approx(
        skm.matthews_corrcoef(labels, predicted), abs=1e-6
    )
    assert got["mcc_low"] < got["mcc"] < got["mcc_high"]


def test_average_none_gives_an_interval_per_class():
    labels, scores, weight = problem(samples=200, seed=6)
    batches = [
        (labels[:100], scores[:100], weight[:100]),
        (labels[100:], scores[100:], weight[100:]),
    ]
    per_class = kem.Bootstrap(
        kem.F1Score(num_classes=3, average=None), num_replicates=40, seed=7
    )
    got = run_metric(per_class, batches)
    assert set(got) == {
        f"f1_score/{k}{end}" for k in range(3) for end in ("", "_low", "_high")
    }
    expected = skm.f1_score(
        labels, scores.argmax(-1), average=None, sample_weight=weight
    )
    for k in range(3):
        key = f"f1_score/{k}"
        assert float(got[key]) == pytest.approx(expected[k], abs=1e-6)
        assert float(got[f"{key}_low"]) < float(got[key]) < float(got[f"{key}_high"])
    # Each bound is numpy's percentile of that class's replicates, and with the
    # same seed (the same draws) the classes' replicates average to the macro
    # replicates, which test_each_replicate... and the coverage test check.
    state = per_class.replicates.value()
    values = to_numpy(per_class.metric.replicate_values(state)["f1_score"])  # (41, 3)
    low, high = np.quantile(values[1:], [0.025, 0.975], axis=0)
    for k in range(3):
        assert float(got[f"f1_score/{k}_low"]) == pytest.approx(low[k], abs=1e-6)
        assert float(got[f"f1_score/{k}_high"]) == pytest.approx(high[k], abs=1e-6)
    macro = kem.Bootstrap(kem.F1Score(num_classes=3), num_replicates=40, seed=7)
    run_metric(macro, batches)
    macro_values = macro.metric.replicate_values(macro.replicates.value())
    np.testing.assert_allclose(
        values.mean(-1), to_numpy(macro_values["f1_score"]), atol=1e-6
    )


def test_curve_metrics_per_class_equal_scikit_learn_per_class():
    labels, scores, weight = problem(samples=150, seed=9)
    probs = np.round(scores / scores.sum(-1, keepdims=True) * 10) / 10  # on the grid
    metric = kem.Bootstrap(
        kem.AUROC(num_classes=3, average=None), num_replicates=30, seed=2
    )
    got = run_metric(metric, [(labels, probs.astype("float32"), weight)])
    expected = skm.roc_auc_score(
        np.eye(3)[labels], probs, average=None, sample_weight=weight
    )
    assert len(got) == 9
    for k in range(3):
        assert float(got[f"auroc/{k}"]) == pytest.approx(expected[k], abs=1e-6)
        low, high = float(got[f"auroc/{k}_low"]), float(got[f"auroc/{k}_high"])
        assert low < expected[k] < high


def test_per_class_intervals_in_fit_with_class_names_and_csv(tmp_path):
    labels, scores, weight = problem(seed=8)
    inner = kem.ClassificationMetrics(
        num_classes=3, metrics=("f1", "mcc"), average=None, class_names=["a", "b", "c"]
    )
    model = pass_through_model(
        scores.shape, [kem.Bootstrap(inner, num_replicates=20, seed=1)]
    )
    path = tmp_path / "log.csv"
    history = model.fit(
        scores,
        labels,
        sample_weight=weight,
        batch_size=32,
        epochs=2,
        verbose=0,
        callbacks=[
            keras.callbacks.CSVLogger(str(path)),
            kec.PlotHistory(tmp_path / "history.png"),
        ],
    )
    assert (tmp_path / "history.png").stat().st_size > 0
    keys = {f"f1/{c}{end}" for c in "abc" for end in ("", "_low", "_high")}
    keys |= {"mcc", "mcc_low", "mcc_high"}
    assert keys <= set(history.history)
    assert keys <= set(path.read_text().splitlines()[0].split(","))
    expected = skm.f1_score(
        labels, scores.argmax(-1), average=None, sample_weight=weight
    )
    for k, c in enumerate("abc"):
        assert history.history[f"f1/{c}"][-1] == pytest.approx(expected[k], abs=1e-6)
        assert history.history[f"f1/{c}_low"][-1] <= history.history[f"f1/{c}"][-1]


def test_replicates_draw_new_weights_every_step_also_compiled():
    """Two identical batches: the point-estimate slice doubles, the replicate
    slices do not (the generator's state advances inside the compiled step)."""
    labels, scores, _ = problem(samples=32, seed=2)
    model = pass_through_model(
        scores.shape,
        [kem.Bootstrap(kem.Recall(num_classes=3), num_replicates=8, seed=1)],
    )

    def state(x, y):
        model.evaluate(x, y, batch_size=32, verbose=0)
        metric = next(
            m for m in compiled_metrics(model) if isinstance(m, kem.Bootstrap)
        )
        return keras.ops.convert_to_numpy(metric.replicates.value())

    once = state(scores, labels)
    twice = state(np.concatenate([scores, scores]), np.concatenate([labels, labels]))
    np.testing.assert_allclose(twice[0], 2 * once[0], atol=1e-4)
    assert not np.allclose(twice[1:], 2 * once[1:])
    # evaluate() resets the metric, and with it the seed: the first batch's
    # replicates repeat exactly.
    np.testing.assert_allclose(state(scores, labels), once, atol=1e-6)


def test_intervals_narrow_with_more_data():
    widths = []
    for samples in (100, 3000):
        labels, scores, _ = problem(samples=samples, seed=4)
        got = run_metric(
            kem.Bootstrap(kem.F1Score(num_classes=3), seed=0), [(labels, scores, None)]
        )
        widths.append(got["f1_score_high"] - got["f1_score_low"])
    assert widths[1] < widths[0] / 3  # about 1 / sqrt(30)


def test_coverage_of_the_nominal_95_percent_interval():
    """A known population (its macro F1 from the expected confusion matrix), 60
    samples of 300: the interval covers the population value about 95 % of the
    time (the benchmark runs 1000 samples; here a loose, deterministic check)."""
    prior = np.array([0.5, 0.3, 0.2])
    confusion = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]])
    joint = prior[:, None] * confusion
    tp, predicted, actual = np.diag(joint), joint.sum(0), joint.sum(1)
    population = np.mean(2 * tp / (predicted + actual))
    rng = np.random.default_rng(0)
    covered = 0
    # One metric, reset per trial: its random state runs on, so each trial draws
    # new weights (and on JAX, one compiled program serves all 60 trials).
    metric = kem.Bootstrap(kem.F1Score(num_classes=3), num_replicates=200, seed=0)
    for _ in range(60):
        labels = rng.choice(3, 300, p=prior)
        predicted_ids = np.array([rng.choice(3, p=confusion[k]) for k in labels])
        got = run_metric(metric, [(labels, predicted_ids, None)])
        covered += got["f1_score_low"] <= population <= got["f1_score_high"]
    assert 0.85 <= covered / 60 <= 1.0


def test_config_round_trip_and_save_load(tmp_path):
    def make():
        return kem.Bootstrap(
            kem.Precision(num_classes=3, average="weighted"),
            num_replicates=20,
            confidence=0.9,
            seed=5,
        )

    metric = make()
    clone = kem.Bootstrap.from_config(metric.get_config())
    assert clone.get_config() == metric.get_config()
    labels, scores, _ = problem(seed=5)
    assert_save_load(make, labels, scores, tmp_path)


WEIGHTED_SUM_METRICS = {
    "auroc": lambda: kem.AUROC(num_classes=3, num_thresholds=21),
    "auroc_micro": lambda: kem.AUROC(num_classes=3, average="micro"),
    "auroc_binary": lambda: kem.AUROC(task="binary", from_logits=True),
    "ap_weighted": lambda: kem.AveragePrecision(num_classes=3, average="weighted"),
    "precision_at_recall": lambda: kem.PrecisionAtRecall(0.6, num_classes=3),
    "auroc_per_class": lambda: kem.AUROC(num_classes=3, average=None),
    "ap_per_label": lambda: kem.AveragePrecision(
        num_classes=3, task="multilabel", average=None
    ),
    "best_f1": lambda: kem.BestThreshold(num_classes=3),
    "f1_samples_multilabel": lambda: kem.F1Score(
        3, task="multilabel", average="samples", threshold=[0.3, 0.4, 0.5]
    ),
    "jaccard_macro_multilabel": lambda: kem.JaccardIndex(3, task="multilabel"),
    "ece_multilabel": lambda: kem.ExpectedCalibrationError(
        num_bins=5, task="multilabel", num_classes=3
    ),
    "brier_multilabel": lambda: kem.BrierScore(task="multilabel"),
    "ece": lambda: kem.ExpectedCalibrationError(num_bins=5),
    "mce": lambda: kem.ExpectedCalibrationError(num_bins=5, norm="max"),
    "brier": lambda: kem.BrierScore(),
    "entropy": lambda: kem.PredictiveEntropy(),
    "uniform_kl": lambda: kem.UniformKLDivergence(),
}


def _inputs(name, labels, scores):
    if name == "auroc_binary":  # logits of "class 1"
        return (labels == 1).astype("int32"), scores[:, 1] - scores[:, 0]
    if name == "ap_per_label" or name.endswith("multilabel"):  # label sets
        present = np.eye(3)[labels] + (np.arange(len(labels)) % 4 == 0)[:, None]
        return np.minimum(present, 1).astype("int32"), np.clip(scores / 1.4, 0, 1)
    return labels, scores / scores.sum(-1, keepdims=True)


@pytest.mark.parametrize("name", sorted(WEIGHTED_SUM_METRICS))
def test_each_replicate_is_the_metric_under_its_weights(name):
    """The protocol Bootstrap relies on, checked against the metric itself: with
    known replicate weights P, replicate r of the state is exactly the metric
    given sample weights w * P[:, r] (one update for all replicates)."""
    labels, scores, weight = problem(samples=48, seed=4)
    y_true, y_pred = _inputs(name, labels, scores)
    rng = np.random.default_rng(5)
    poisson = rng.poisson(1.0, (48, 6)).astype("float32")
    poisson[:, 0] = 1.0
    metric = WEIGHTED_SUM_METRICS[name]()
    increment, out_of_range = metric.replicate_increment(
        y_true,
        y_pred,
        weight,
        lambda w: keras.ops.convert_to_tensor(poisson) * keras.ops.expand_dims(w, -1),
    )
    assert tuple(increment.shape) == metric.replicate_state_shape(6)
    assert float(keras.ops.convert_to_numpy(out_of_range)) == 0.0
    values = metric.replicate_values(increment)
    assert set(values) == {metric.name}
    got = np.asarray(keras.ops.convert_to_numpy(values[metric.name]))
    for r in range(6):
        alone = WEIGHTED_SUM_METRICS[name]()
        alone.update_state(y_true, y_pred, sample_weight=weight * poisson[:, r])
        expected = alone.result()
        expected = expected[alone.name] if isinstance(expected, dict) else expected
        np.testing.assert_allclose(
            got[r], keras.ops.convert_to_numpy(expected), atol=2e-6, err_msg=str(r)
        )


@pytest.mark.parametrize("name", ["auroc", "ece", "brier"])
def test_weighted_sum_metrics_in_compiled_evaluate(name):
    labels, scores, weight = problem(seed=6)
    y_true, y_pred = _inputs(name, labels, scores)
    make = lambda: kem.Bootstrap(WEIGHTED_SUM_METRICS[name](), 40, seed=2)  # noqa: E731
    model = pass_through_model(y_pred.shape, [make()])
    got = model.evaluate(
        y_pred, y_true, sample_weight=weight, batch_size=16, verbose=0, return_dict=True
    )
    alone = WEIGHTED_SUM_METRICS[name]()
    alone.update_state(y_true, y_pred, sample_weight=weight)
    key = alone.name
    point = float(got[key])
    assert point == pytest.approx(float(alone.result()), abs=1e-6)
    assert float(got[f"{key}_low"]) < point < float(got[f"{key}_high"])


def test_out_of_range_scores_make_the_whole_interval_nan():
    labels, scores, _ = problem(samples=16)
    metric = kem.Bootstrap(kem.BrierScore(), 10, seed=0)
    metric.update_state(labels, scores * 3.0)  # not probabilities, no from_logits
    assert all(np.isnan(float(v)) for v in metric.result().values())


def test_a_view_must_read_the_replicates_as_they_were_laid_out():
    """Precision keeps (tp, predicted) and recall (tp, actual): the same shape,
    another meaning. A view of another layout is refused, never read."""
    labels, scores, _ = problem(seed=3)
    interval = kem.Bootstrap(kem.Precision(num_classes=3), num_replicates=8, seed=0)
    interval.update_state(labels, scores)
    with pytest.raises(ValueError, match="view"):
        interval.intervals(kem.Recall(num_classes=3))
    with pytest.raises(ValueError, match="view"):
        interval.intervals(kem.Precision(num_classes=3, threshold=0.3))
    same = interval.intervals(kem.Precision(num_classes=3, average="micro"))
    expected = skm.precision_score(labels, scores.argmax(-1), average="micro")
    assert float(same["precision"][0]) == pytest.approx(expected, abs=1e-6)

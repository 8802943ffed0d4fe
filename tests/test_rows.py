"""Scores within rows (multilabel set scores, label ranking, NDCG, MRR) against
scikit-learn or numpy from the definition: weights, rows with no label and with
every label, tied scores, several batches with a short last one; eager,
compiled and in `evaluate`; the input rules."""

import keras
import numpy as np
import pytest
from helpers import evaluate_compiled, run_compiled, run_eager, to_numpy
from metric_suite import all_metrics, rows_data
from sklearn import metrics as skm

import keras_extras.metrics as kem

ROWS, LABELS, BATCH = 90, 6, 32  # batches of 32, 32 and 26


def multilabel_data(seed=0):
    """Multi-hot rows (some empty, some full), scores rounded to 0.1 so that
    many tie, weights."""
    rng = np.random.default_rng(seed)
    labels = (rng.random((ROWS, LABELS)) < 0.4).astype("float32")
    labels[:5] = 0.0
    labels[5:9] = 1.0
    scores = np.clip(labels * 0.3 + rng.random((ROWS, LABELS)) * 0.7, 0, 1)
    scores = np.round(scores, 1).astype("float32")
    weights = rng.uniform(0.2, 2.0, ROWS).astype("float32")
    return labels, scores, weights


def graded_data(seed=0):
    rng = np.random.default_rng(seed)
    relevance = rng.integers(0, 4, (ROWS, LABELS)).astype("float32")
    relevance[:3] = 0.0  # rows without any gain
    scores = np.round(relevance + rng.normal(size=(ROWS, LABELS)), 0)
    weights = rng.uniform(0.2, 2.0, ROWS).astype("float32")
    return relevance, scores.astype("float32"), weights


def reciprocal_rank(relevance, scores, weights):
    values = []
    for row, score in zip(relevance > 0, scores, strict=True):
        if not row.any():
            values.append(0.0)
            continue
        best = score[row].max()
        values.append(1.0 / (1 + np.sum(score > best)))
    return np.average(values, weights=weights)


# name: (make, reference(y_true, y_score, weights), data)
CASES = {
    "exact_match": (
        lambda: kem.ExactMatch(LABELS, threshold=0.5),
        lambda t, s, w: skm.accuracy_score(t, s >= 0.5, sample_weight=w),
        multilabel_data,
    ),
    "hamming_loss": (
        lambda: kem.HammingLoss(LABELS, threshold=0.5),
        lambda t, s, w: skm.hamming_loss(t, s >= 0.5, sample_weight=w),
        multilabel_data,
    ),
    "lrap": (
        lambda: kem.LabelRankingAveragePrecision(LABELS),
        lambda t, s, w: skm.label_ranking_average_precision_score(
            t, s, sample_weight=w
        ),
        multilabel_data,
    ),
    "coverage_error": (
        lambda: kem.CoverageError(LABELS),
        lambda t, s, w: skm.coverage_error(t, s, sample_weight=w),
        multilabel_data,
    ),
    "ranking_loss": (
        lambda: kem.LabelRankingLoss(LABELS),
        lambda t, s, w: skm.label_ranking_loss(t, s, sample_weight=w),
        multilabel_data,
    ),
    "ndcg": (
        lambda: kem.NDCG(),
        lambda t, s, w: skm.ndcg_score(t, s, sample_weight=w),
        graded_data,
    ),
    "ndcg_at_3": (
        lambda: kem.NDCG(k=3),
        lambda t, s, w: skm.ndcg_score(t, s, k=3, sample_weight=w),
        graded_data,
    ),
    "mrr": (lambda: kem.MeanReciprocalRank(), reciprocal_rank, graded_data),
}


def batches(t, s, w):
    return [
        (t[i : i + BATCH], s[i : i + BATCH], w[i : i + BATCH])
        for i in range(0, ROWS, BATCH)
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_the_reference_eagerly_and_in_compiled_evaluate(name):
    make, reference, data = CASES[name]
    t, s, w = data()
    want = reference(t.astype(float), s.astype(float), w.astype(float))
    np.testing.assert_allclose(run_eager(make(), batches(t, s, w)), want, atol=1e-6)
    got = evaluate_compiled(make, t, s, w, batch_size=BATCH)
    np.testing.assert_allclose(got, want, atol=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_unweighted_and_a_row_with_nan_is_not_counted(name):
    make, reference, data = CASES[name]
    t, s, _ = data(seed=1)
    s_nan = s.copy()
    s_nan[10, 2] = np.nan
    keep = np.arange(ROWS) != 10
    metric = make()
    metric.update_state(t, s_nan)
    want = reference(t[keep], s[keep], np.ones(ROWS - 1))
    np.testing.assert_allclose(to_numpy(metric.result()), want, atol=1e-6)


def test_from_logits_decides_on_the_sigmoid():
    t, s, w = multilabel_data(seed=2)
    logits = np.log(np.clip(s, 1e-3, 1 - 1e-3) / (1 - np.clip(s, 1e-3, 1 - 1e-3)))
    metric = kem.HammingLoss(LABELS, threshold=0.3, from_logits=True)
    metric.update_state(t, logits.astype("float32"), sample_weight=w)
    want = skm.hamming_loss(t, np.clip(s, 1e-3, 1 - 1e-3) >= 0.3, sample_weight=w)
    np.testing.assert_allclose(to_numpy(metric.result()), want, atol=1e-6)


def test_bootstrap_of_a_row_score():
    t, s, w = multilabel_data(seed=3)
    boot = kem.Bootstrap(kem.LabelRankingLoss(LABELS), num_replicates=30, seed=0)
    got = run_eager(boot, batches(t, s, w))
    want = skm.label_ranking_loss(t, s, sample_weight=w)
    np.testing.assert_allclose(got["label_ranking_loss"], want, atol=1e-6)
    assert got["label_ranking_loss_low"] < want < got["label_ranking_loss_high"]


def test_bad_inputs_are_refused_naming_them():
    with pytest.raises(ValueError, match=r"y_pred.shape=\(4, 5\)"):
        kem.ExactMatch(num_classes=6).update_state(np.zeros((4, 5)), np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"y_true.shape=\(4,\)"):
        kem.NDCG().update_state(np.zeros(4), np.zeros((4, 5)))
    with pytest.raises(TypeError, match="y_true"):
        kem.HammingLoss().update_state(np.array([["a", "b"]]), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="k=0"):
        kem.NDCG(k=0)
    with pytest.raises(ValueError, match="threshold=2"):
        kem.ExactMatch(threshold=2)


@pytest.mark.parametrize("metric", all_metrics(inputs="rows"), ids=lambda m: m.name)
def test_every_registered_row_score_empty_batch_merge_and_compiled(metric):
    """An empty batch changes nothing; two replicas' summed state is the whole;
    compiled equals eager."""
    t, s, w = rows_data()
    parts = [(t[:40], s[:40], w[:40]), (t[40:], s[40:], w[40:])]
    eager = values(run_eager(metric, parts))
    metric.update_state(t[:0], s[:0], sample_weight=w[:0])
    np.testing.assert_allclose(values(metric.result()), eager, atol=1e-7)
    first, second = (type(metric).from_config(metric.get_config()) for _ in "ab")
    run_eager(first, parts[:1])
    run_eager(second, parts[1:])
    for a, b in zip(first.variables, second.variables, strict=True):
        a.assign(a + b)
    np.testing.assert_allclose(values(first.result()), eager, atol=1e-7)
    np.testing.assert_allclose(values(run_compiled(metric, parts)), eager, atol=1e-6)


def values(result):
    """A result as an array (a dict's values in key order)."""
    result = to_numpy(result)
    if isinstance(result, dict):
        return np.array([result[key] for key in sorted(result)])
    return np.asarray(result)


def test_negative_gains_make_ndcg_nan_until_reset():
    relevance, scores, _ = graded_data(seed=4)
    metric = kem.NDCG()
    metric.update_state(relevance, scores)
    assert np.isfinite(to_numpy(metric.result()))
    bad = relevance.copy()
    bad[0, 0] = -1.0
    metric.update_state(bad, scores)
    assert np.isnan(to_numpy(metric.result()))
    metric.reset_state()
    metric.update_state(relevance, scores)
    assert np.isfinite(to_numpy(metric.result()))


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="only TensorFlow traces rows of unknown width",
)
def test_row_scores_trace_rows_of_unknown_width():
    """In a graph whose rows have no static width, every row score but NDCG
    (whose discount table needs it: a ValueError saying so) gives its eager
    value."""
    import tensorflow as tf

    t, s, w = multilabel_data(seed=5)
    spec = [tf.TensorSpec((None, None), "float32")] * 2
    for make in (
        kem.ExactMatch,
        kem.HammingLoss,
        kem.LabelRankingAveragePrecision,
        kem.CoverageError,
        kem.LabelRankingLoss,
        kem.MeanReciprocalRank,
    ):
        metric = make()
        traced = tf.function(metric.update_state, input_signature=spec)
        traced(tf.constant(t), tf.constant(s))
        eager = make()
        eager.update_state(t, s)
        np.testing.assert_allclose(
            to_numpy(metric.result()), to_numpy(eager.result()), atol=1e-6
        )
    with pytest.raises(ValueError, match="number of items per row statically"):
        tf.function(
            kem.NDCG().update_state, input_signature=spec
        ).get_concrete_function()

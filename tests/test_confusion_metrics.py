"""Confusion-matrix metrics against scikit-learn, on every backend, eagerly and in
compiled fit/evaluate: generated inputs, sample weights, several batches."""

import warnings

import keras
import numpy as np
import pytest
from helpers import (
    BATCH_SIZES,
    CLASS_COUNTS,
    assert_save_load,
    logs_from_fit_and_evaluate,
    pass_through_model,
    run_eager,
    run_metric,
    to_numpy,
)
from hypothesis import given
from hypothesis import strategies as st
from sklearn import metrics as skm

from keras_extras.metrics import (
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
from keras_extras.metrics.scores import SCORES

ATOL = 1e-6
ALL_SCORES = tuple(SCORES)  # the built-in scores (tests may register more)


def scores_of(task):
    """The built-in scores defined for `task`."""
    return [name for name in ALL_SCORES if task in SCORES[name].tasks]


# ---------------------------------------------------------------- generated data


@st.composite
def classification_case(draw, tasks=("binary", "multiclass", "multilabel")):
    """Batches of labels and predictions in every accepted format, with edge cases:
    absent classes, single-class batches, all-right and all-wrong batches."""
    task = draw(st.sampled_from(tasks))
    num_classes = 2 if task == "binary" else draw(st.sampled_from(CLASS_COUNTS))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    sizes = draw(st.lists(st.sampled_from(BATCH_SIZES), min_size=1, max_size=3))
    weighted = draw(st.booleans())
    ignore = draw(st.sampled_from([None, None, 0, -1])) if task != "binary" else None
    pred_format = draw(st.sampled_from(["scores", "ids"]))
    true_format = draw(st.sampled_from(["sparse", "column", "one_hot"]))
    from_logits = draw(st.booleans())
    batches = []
    for size in sizes:
        mode = draw(st.sampled_from(["random", "right", "wrong", "one_class"]))
        shape = (size, num_classes) if task == "multilabel" else (size,)
        high = 2 if task != "multiclass" else num_classes
        labels = rng.integers(0, high, shape)
        if mode == "one_class":
            labels = np.full(shape, rng.integers(0, high))
        if mode == "right":
            decisions = labels
        elif mode == "wrong":
            decisions = (labels + 1) % high
        else:
            decisions = rng.integers(0, high, shape)
        if ignore == -1 and task == "multiclass":
            labels = np.where(rng.random(shape) < 0.2, -1, labels)
        batches.append(
            _encode(
                task,
                num_classes,
                labels,
                decisions,
                rng,
                pred_format,
                true_format,
                from_logits,
                weighted,
            )
        )
    return {
        "task": task,
        "num_classes": num_classes,
        "ignore_class": ignore,
        "from_logits": from_logits and pred_format == "scores",
        "batches": batches,
    }


def _encode(
    task,
    num_classes,
    labels,
    decisions,
    rng,
    pred_format,
    true_format,
    from_logits,
    weighted,
):
    size = labels.shape[0]
    weight = rng.uniform(0.1, 3.0, size).astype("float32") if weighted else None
    if task == "multiclass":
        if pred_format == "scores":
            scores = rng.uniform(0.0, 0.9, (size, num_classes)).astype("float32")
            scores[np.arange(size), decisions] = 1.0
            y_pred = np.log(scores) if from_logits else scores
        else:
            y_pred = decisions.astype("int32")
        if true_format == "one_hot":
            y_true = np.zeros((size, num_classes), "float32")
            rows = labels >= 0
            y_true[np.arange(size)[rows], labels[rows]] = 1.0
        elif true_format == "column":
            y_true = labels.reshape(size, 1).astype("int32")
        else:
            y_true = labels.astype("int32")
        return y_true, y_pred, weight, labels, decisions
    # binary / multilabel: probabilities (or logits) on the right side of 0.5
    if pred_format == "scores":
        probs = np.where(
            decisions == 1,
            rng.uniform(0.5, 1.0, labels.shape),
            rng.uniform(0.0, 0.49, labels.shape),
        ).astype("float32")
        probs = np.clip(probs, 1e-4, 1 - 1e-4)
        y_pred = np.log(probs / (1 - probs)) if from_logits else probs
        y_pred = y_pred.astype("float32")
    else:
        y_pred = decisions.astype("int32")
    y_true = labels.astype("int32")
    if task == "binary" and true_format == "column":
        y_true = y_true.reshape(size, 1)
        y_pred = y_pred.reshape(size, 1)
    return y_true, y_pred, weight, labels, decisions


def _pooled(case):
    """All batches concatenated: labels, decisions and weights as sklearn wants."""
    labels = np.concatenate([b[3] for b in case["batches"]])
    decisions = np.concatenate([b[4] for b in case["batches"]])
    weights = np.concatenate(
        [
            b[2] if b[2] is not None else np.ones(len(b[3]), "float32")
            for b in case["batches"]
        ]
    ).astype(np.float64)
    if case["task"] == "multiclass" and case["ignore_class"] is not None:
        keep = labels != case["ignore_class"]
        labels, decisions, weights = labels[keep], decisions[keep], weights[keep]
    # Multilabel ignore_class masks entries, not samples: `reference` does that.
    return labels, decisions, weights


def _batches(case):
    return [(b[0], b[1], b[2]) for b in case["batches"]]


def _kwargs(case):
    return {
        "num_classes": case["num_classes"],
        "task": case["task"],
        "ignore_class": case["ignore_class"],
        "from_logits": case["from_logits"],
    }


# ---------------------------------------------------------------- references


def _ratio_average(num, den, support, average, zero_division):
    if average == "micro":
        return num.sum() / den.sum() if den.sum() > 0 else zero_division
    per_class = np.where(den > 0, num / np.where(den > 0, den, 1), zero_division)
    if average is None:
        return per_class
    if average == "binary":
        return per_class[1]
    if average == "macro":
        return per_class.mean()
    total = support.sum()
    if total == 0:  # scikit-learn's rule, kept for specificity
        return zero_division if den.sum() == 0 else 0.0
    return (per_class * support).sum() / total


def _two_by_two(labels, decisions, weights):
    """sklearn's binary confusion matrix, or zeros when every weight is 0."""
    if not weights.any():
        return np.zeros((2, 2))
    return skm.confusion_matrix(labels, decisions, labels=[0, 1], sample_weight=weights)


def reference(
    case, name, average="macro", zero_division=0.0, beta=1.0, kappa_weights=None
):
    """scikit-learn's value (or numpy from the definition where sklearn has none)."""
    task, num_classes = case["task"], case["num_classes"]
    labels, decisions, weights = _pooled(case)
    if task == "multilabel":
        entry_weights = np.broadcast_to(weights[:, None], labels.shape).copy()
        if case["ignore_class"] is not None:
            entry_weights[labels == case["ignore_class"]] = 0.0
        mcm = np.stack(
            [
                _two_by_two(labels[:, k], decisions[:, k], entry_weights[:, k])
                for k in range(num_classes)
            ]
        )
        if name == "confusion":
            return mcm
        tn, fp, fn, tp = mcm[:, 0, 0], mcm[:, 0, 1], mcm[:, 1, 0], mcm[:, 1, 1]
        if name == "mcc":
            return skm.matthews_corrcoef(
                labels.ravel(), decisions.ravel(), sample_weight=entry_weights.ravel()
            )
        if name == "accuracy":
            return (tp + tn).sum() / mcm.sum()
        if name in ("hamming_loss", "exact_match"):
            # Over the rows whose every label is counted (as HammingLoss and
            # ExactMatch): NaN without any.
            rows = (entry_weights != 0).all(1)
            if not rows.any():
                return np.nan
            wrong = (labels != decisions)[rows]
            value = wrong.mean(1) if name == "hamming_loss" else ~wrong.any(1)
            return np.average(value, weights=weights[rows])
    else:
        class_labels = list(range(num_classes))
        if name == "confusion":
            return skm.confusion_matrix(
                labels, decisions, labels=class_labels, sample_weight=weights
            )
        if name == "accuracy":
            return skm.accuracy_score(labels, decisions, sample_weight=weights)
        if name == "balanced_accuracy":
            return skm.balanced_accuracy_score(labels, decisions, sample_weight=weights)
        if name == "mcc":
            return skm.matthews_corrcoef(labels, decisions, sample_weight=weights)
        if name == "kappa":
            value = skm.cohen_kappa_score(
                labels,
                decisions,
                labels=class_labels,
                weights=kappa_weights,
                sample_weight=weights,
                replace_undefined_by=zero_division,
            )
            return value
        mcm = skm.multilabel_confusion_matrix(
            labels, decisions, labels=class_labels, sample_weight=weights
        )
        tn, fp, fn, tp = mcm[:, 0, 0], mcm[:, 0, 1], mcm[:, 1, 0], mcm[:, 1, 1]
    average = "binary" if task == "binary" else average
    if name == "specificity":
        return _ratio_average(tn, tn + fp, tp + fn, average, zero_division)
    sk_average = average
    if task == "multilabel":
        y_true, y_pred, sk_weights = labels, decisions, None
        sk_true = np.where(entry_weights > 0, labels, 0)
        # sklearn takes per-sample weights only: with per-entry masks (ignore_class)
        # fall back to the counts sklearn itself produced above.
        if case["ignore_class"] is None:
            y_true, y_pred, sk_weights = sk_true, decisions, weights
        else:
            beta2 = 1.0 if name in ("f1", "dice") else beta**2
            num = {"precision": tp, "recall": tp, "jaccard": tp}.get(
                name, (1 + beta2) * tp
            )
            den = {"precision": tp + fp, "recall": tp + fn, "jaccard": tp + fp + fn}
            den = den.get(name, (1 + beta2) * tp + beta2 * fn + fp)
            return _ratio_average(num, den, tp + fn, average, zero_division)
    else:
        y_true, y_pred, sk_weights = labels, decisions, weights
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "jaccard":
            return skm.jaccard_score(
                y_true,
                y_pred,
                labels=None if task == "multilabel" else list(range(num_classes)),
                pos_label=1,
                average=sk_average,
                sample_weight=sk_weights,
                zero_division=zero_division,
            )
        precision, recall, fbeta, _ = skm.precision_recall_fscore_support(
            y_true,
            y_pred,
            beta=1.0 if name in ("f1", "dice") else beta,
            labels=None if task == "multilabel" else list(range(num_classes)),
            pos_label=1,
            average=sk_average,
            sample_weight=sk_weights,
            zero_division=zero_division,
        )
    return {"precision": precision, "recall": recall}.get(name, fbeta)


def _has_samples(case):
    labels, _, weights = _pooled(case)
    if case["task"] == "multilabel" and case["ignore_class"] is not None:
        counted = labels != case["ignore_class"]  # ignore_class masks entries
        return bool((weights[:, None] * counted).sum() > 0)
    return len(labels) > 0 and weights.sum() > 0


# ---------------------------------------------------------------- eager, generated


@pytest.mark.parametrize("average", ["micro", "macro", "weighted", None])
@given(case=classification_case())
def test_classification_metrics_match_sklearn(case, average):
    scores = scores_of(case["task"])
    zero_division = 1.0 if average == "weighted" else 0.0
    if case["task"] == "binary":
        average = "binary"
    metric = ClassificationMetrics(
        metrics=scores,
        average=average,
        beta=0.5,
        zero_division=zero_division,
        **_kwargs(case),
    )
    got = run_eager(metric, _batches(case))
    if not _has_samples(case):
        assert all(np.all(np.isfinite(v)) for v in got.values())
        return
    for name in scores:
        expected = reference(case, name, average, zero_division, beta=0.5)
        if np.ndim(expected):  # average=None: one scalar key per class
            value = [got[f"{name}/{i}"] for i in range(len(expected))]
        else:
            value = got[name]
        np.testing.assert_allclose(value, expected, atol=ATOL, err_msg=name)


@pytest.mark.parametrize("normalize", [None, "true", "pred", "all"])
@given(case=classification_case())
def test_confusion_matrix_matches_sklearn(case, normalize):
    metric = ConfusionMatrix(normalize=normalize, **_kwargs(case))
    got = run_eager(metric, _batches(case))
    if not _has_samples(case):
        assert not got.any()
        return
    expected = reference(case, "confusion").astype(np.float64)
    if normalize is not None:
        axis = {"true": -1, "pred": -2, "all": (-2, -1)}[normalize]
        total = expected.sum(axis=axis, keepdims=True)
        expected = np.where(total > 0, expected / np.where(total > 0, total, 1), 0)
    np.testing.assert_allclose(got, expected, atol=ATOL)


SINGLE_METRICS = [
    (Precision, "precision", {}),
    (Recall, "recall", {}),
    (F1Score, "f1", {}),
    (DiceScore, "dice", {}),
    (JaccardIndex, "jaccard", {}),
    (FBetaScore, "fbeta", {"beta": 2.0}),
    (Specificity, "specificity", {}),
    (BalancedAccuracy, "balanced_accuracy", {}),
    (MatthewsCorrelation, "mcc", {}),
    (CohenKappa, "kappa", {"weights": "quadratic"}),
]


@pytest.mark.parametrize("cls,name,extra", SINGLE_METRICS)
@given(case=classification_case(tasks=("binary", "multiclass")))
def test_single_metrics_match_sklearn(cls, name, extra, case):
    metric = cls(**extra, **_kwargs(case))
    got = run_eager(metric, _batches(case))
    if not _has_samples(case):
        assert np.isfinite(got)
        return
    expected = reference(
        case, name, beta=extra.get("beta", 1.0), kappa_weights=extra.get("weights")
    )
    np.testing.assert_allclose(got, expected, atol=ATOL)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_kappa_weights_match_sklearn(weights):
    rng = np.random.default_rng(11)
    y_true, y_pred = rng.integers(0, 4, 80), rng.integers(0, 4, 80)
    metric = CohenKappa(num_classes=4, weights=weights)
    got = run_metric(
        metric, [(y_true[:50], y_pred[:50], None), (y_true[50:], y_pred[50:], None)]
    )
    expected = skm.cohen_kappa_score(y_true, y_pred, weights=weights)
    np.testing.assert_allclose(got, expected, atol=ATOL)


@pytest.mark.parametrize("num_classes", [2, 3])
def test_mcc_and_kappa_keep_their_precision_when_one_class_dominates(num_classes):
    """A perfect classifier scores 1 within 1e-6 (it scored MCC 0.999998 at 98:2,
    eager and compiled, when the agreement was `accuracy - sum_k p_k t_k`); others
    match scikit-learn to the float32 precision docs/metrics.md states."""
    rng = np.random.default_rng(num_classes)
    labels = np.where(rng.random(600) < 0.02, rng.integers(1, num_classes, 600), 0)
    labels[:2] = 1
    weights = rng.uniform(0.1, 2.2, 600).astype("float32")
    perfect = np.eye(num_classes, dtype="float32")[labels]
    noisy = labels.copy()
    noisy[rng.random(600) < 0.01] = 1
    for make, score in (
        (MatthewsCorrelation, skm.matthews_corrcoef),
        (CohenKappa, skm.cohen_kappa_score),
    ):
        for y_pred in (perfect, np.eye(num_classes, dtype="float32")[noisy]):
            expected = score(labels, y_pred.argmax(-1), sample_weight=weights)
            got = run_metric(make(num_classes=num_classes), [(labels, y_pred, weights)])
            np.testing.assert_allclose(got, expected, atol=3e-6, err_msg=make.__name__)
    for make in (MatthewsCorrelation, CohenKappa):
        got = run_metric(make(num_classes=num_classes), [(labels, perfect, weights)])
        assert 1.0 - 1e-6 <= got <= 1.0, make.__name__  # XLA: within 5.4e-7


# ---------------------------------------------------------------- semantics


def test_labels_out_of_range_are_not_counted():
    metric = ConfusionMatrix(num_classes=3)
    y_true = np.array([0, 1, 5, -2, 2])
    y_pred = np.array([0, 1, 1, 0, 7])
    got = run_eager(metric, [(y_true, y_pred, None)])
    np.testing.assert_array_equal(got, np.diag([1.0, 1.0, 0.0]))


def test_one_hot_rows_of_zeros_and_nan_scores_are_not_counted():
    y_true = np.array([[1, 0], [0, 0], [0, 1]], "float32")
    y_pred = np.array([[0.9, 0.1], [0.2, 0.8], [np.nan, 0.5]], "float32")
    got = run_eager(ConfusionMatrix(num_classes=2), [(y_true, y_pred, None)])
    np.testing.assert_array_equal(got, [[1.0, 0.0], [0.0, 0.0]])


def test_per_token_labels_are_flattened():
    rng = np.random.default_rng(2)
    y_true = rng.integers(0, 3, (4, 6))
    scores = rng.random((4, 6, 3)).astype("float32")
    weight = np.array([1.0, 2.0, 0.0, 0.5], "float32")
    got = run_metric(F1Score(num_classes=3), [(y_true, scores, weight)])
    expected = skm.f1_score(
        y_true.ravel(),
        scores.argmax(-1).ravel(),
        average="macro",
        sample_weight=np.repeat(weight, 6),
        labels=[0, 1, 2],
    )
    np.testing.assert_allclose(got, expected, atol=ATOL)


def test_num_classes_read_from_predictions():
    metric = Recall()
    got = run_eager(metric, [(np.array([0, 1, 2]), np.eye(3, dtype="float32"), None)])
    assert metric.num_classes == 3
    assert got == pytest.approx(1.0)


@pytest.mark.parametrize(
    "make,expected",
    [
        # the C x C matrix: rows true, columns predicted
        (
            lambda: ConfusionMatrix(num_classes=2),
            [[2.0**40 + 3, 0.0], [2.0**38 + 3, 3.0]],
        ),
        # the per-class state of Recall: rows tp and actual
        (
            lambda: Recall(num_classes=2),
            [[2.0**40 + 3, 3.0], [2.0**40 + 3, 2.0**38 + 6]],
        ),
    ],
    ids=["matrix", "per_class"],
)
def test_counts_exact_beyond_float32(make, expected):
    """2**40 samples (as weights), then single ones: every one is counted."""
    metric = make()
    metric.update_state(
        np.array([0, 1]),
        np.array([0, 0]),
        sample_weight=np.array([2.0**40, 2.0**38], "float32"),
    )
    for _ in range(3):
        metric.update_state(np.array([0, 1, 1]), np.array([0, 1, 0]))
    np.testing.assert_array_equal(metric.counts.numpy().reshape(2, 2), expected)
    assert np.float32(2.0**40) + np.float32(3.0) == np.float32(2.0**40)


def test_state_is_sum_decomposable():
    """Counts of two halves add up to the counts of the whole: replicas merge."""
    rng = np.random.default_rng(5)
    y_true, y_pred = rng.integers(0, 3, 40), rng.random((40, 3)).astype("float32")
    whole, first, second = (ClassificationMetrics(num_classes=3) for _ in range(3))
    whole.update_state(y_true, y_pred)
    first.update_state(y_true[:17], y_pred[:17])
    second.update_state(y_true[17:], y_pred[17:])
    assert all(v.aggregation == "sum" for v in whole.variables)
    merged = ClassificationMetrics(num_classes=3)
    for target, a, b in zip(
        merged.variables, first.variables, second.variables, strict=True
    ):
        target.assign(a + b)
    for key, value in to_numpy(whole.result()).items():
        np.testing.assert_allclose(to_numpy(merged.result())[key], value, atol=ATOL)


# ---------------------------------------------------------------- compiled


def _fixed_case(task, true_format="sparse", seed=0, size=45):
    rng = np.random.default_rng(seed)
    num_classes = 2 if task == "binary" else 4
    shape = (size, num_classes) if task == "multilabel" else (size,)
    high = 4 if task == "multiclass" else 2
    labels = rng.integers(0, high, shape)
    decisions = np.where(rng.random(shape) < 0.6, labels, rng.integers(0, high, shape))
    batch = _encode(
        task, num_classes, labels, decisions, rng, "scores", true_format, False, True
    )
    return {
        "task": task,
        "num_classes": num_classes,
        "ignore_class": None,
        "from_logits": False,
        "batches": [batch],
    }


@pytest.mark.parametrize(
    "task,true_format",
    [
        ("multiclass", "sparse"),
        ("multiclass", "one_hot"),
        ("binary", "column"),
        ("multilabel", "sparse"),
    ],
)
def test_classification_metrics_in_fit_and_evaluate(task, true_format):
    case = _fixed_case(task, true_format)
    y_true, y_pred, weight = _batches(case)[0]
    scores = scores_of(task)
    fit_logs, eval_logs = logs_from_fit_and_evaluate(
        lambda: ClassificationMetrics(metrics=scores, beta=2.0, **_kwargs(case)),
        y_true,
        y_pred,
        weight,
        batch_size=16,
    )
    for name in scores:
        expected = reference(case, name, "macro", beta=2.0)
        np.testing.assert_allclose(fit_logs[name], expected, atol=ATOL, err_msg=name)
        np.testing.assert_allclose(eval_logs[name], expected, atol=ATOL, err_msg=name)


def _all_single_metrics(task="multiclass", num_classes=4):
    return [
        cls(num_classes=num_classes, task=task, **extra)
        for cls, _, extra in SINGLE_METRICS
    ] + [ConfusionMatrix(num_classes=num_classes, task=task, normalize="true")]


def test_single_metrics_in_compiled_evaluate():
    """Every single-score class in one compiled model, several batches."""
    case = _fixed_case("multiclass", seed=3, size=70)
    y_true, y_pred, weight = _batches(case)[0]
    model = pass_through_model(y_pred.shape, _all_single_metrics())
    logs = model.evaluate(
        y_pred, y_true, sample_weight=weight, batch_size=16, verbose=0, return_dict=True
    )
    for cls, name, extra in SINGLE_METRICS:
        metric_name = cls(num_classes=4, **extra).name
        expected = reference(
            case, name, beta=extra.get("beta", 1.0), kappa_weights=extra.get("weights")
        )
        np.testing.assert_allclose(
            to_numpy(logs[metric_name]), expected, atol=ATOL, err_msg=metric_name
        )


def test_out_of_range_labels_inside_compiled_evaluate():
    y_true = np.array([0, 1, 9, 2, -3, 1], "int32")
    y_pred = np.eye(3, dtype="float32")[[0, 1, 1, 2, 0, 0]]
    model = pass_through_model(y_pred.shape, [ConfusionMatrix(num_classes=3)])
    logs = model.evaluate(y_pred, y_true, batch_size=4, verbose=0, return_dict=True)
    np.testing.assert_array_equal(
        to_numpy(logs["confusion_matrix"]), [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    )


# ---------------------------------------------------------------- config, saving


def test_models_save_and_load_without_custom_objects(tmp_path):
    case = _fixed_case("multiclass", seed=4, size=30)
    y_true, y_pred, _ = _batches(case)[0]
    for index, make in enumerate(
        [lambda: ClassificationMetrics(num_classes=4, metrics=scores_of("multiclass"))]
        + [lambda m=m: m for m in _all_single_metrics()]
    ):
        directory = tmp_path / str(index)
        directory.mkdir()
        assert_save_load(make, y_true, y_pred, directory)


def test_monitor_direction_for_keras_callbacks():
    model = pass_through_model((None, 3), [F1Score(num_classes=3, name="f1")])
    model.evaluate(np.eye(3, dtype="float32"), np.arange(3), verbose=0)
    for callback in (
        keras.callbacks.EarlyStopping(monitor="val_f1", mode="auto"),
        keras.callbacks.ModelCheckpoint("unused.keras", monitor="val_f1"),
    ):
        callback.set_model(model)
        callback._set_monitor_op()
        assert callback.monitor_op is keras.ops.greater


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs,y_true,y_pred,match",
    [
        (
            {"num_classes": 3},
            np.zeros(4),
            np.zeros((4, 5), "float32"),
            r"y_pred.shape=\(4, 5\)",
        ),
        (
            {"num_classes": 3},
            np.zeros((4, 2)),
            np.zeros((4, 3), "float32"),
            r"y_true.shape=\(4, 2\)",
        ),
        (
            {"num_classes": 3},
            np.zeros(5),
            np.zeros((4, 3), "float32"),
            r"y_true.shape=\(5,\)",
        ),
        (
            {"task": "binary"},
            np.zeros(4),
            np.zeros((4, 2), "float32"),
            r"y_pred.shape=\(4, 2\)",
        ),
        (
            {"num_classes": 3, "task": "multilabel"},
            np.zeros((4, 3)),
            np.zeros((4, 2), "float32"),
            r"y_pred.shape=\(4, 2\)",
        ),
        ({}, np.zeros(4), np.zeros(4, "int32"), r"num_classes"),
    ],
)
def test_shapes_that_cannot_match_raise(kwargs, y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        Precision(**kwargs).update_state(y_true, y_pred)

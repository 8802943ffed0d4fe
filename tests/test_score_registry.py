"""The score registry and the per-class state: one definition per score, the
smallest state each metric needs, large class counts, authors' own scores."""

import re

import keras
import numpy as np
import pytest
from helpers import compile_function, run_metric, to_numpy
from registry import SCORES as SCORES8
from sklearn import metrics as skm

import keras_extras.metrics as kem
from keras_extras import authoring
from keras_extras.metrics import scores
from keras_extras.metrics.accumulators import WORDS


def _state_numbers(metric):
    """The numbers of the confusion state, without the one scalar guard of
    multiclass metrics (how many multi-hot label rows were seen)."""
    guard = getattr(metric, "label_guard", None)
    counted = [v for v in metric.variables if guard is None or v is not guard.count]
    assert len(counted) == len(metric.variables) - (guard is not None)
    if guard is not None:
        assert tuple(guard.count.shape) == ()
    return sum(int(np.prod(v.shape)) for v in counted)


@pytest.mark.parametrize(
    "make,layout,numbers",
    [
        (lambda: kem.Precision(num_classes=7), ("tp", "predicted"), WORDS * 2 * 7),
        (lambda: kem.Recall(num_classes=7), ("tp", "actual"), WORDS * 2 * 7),
        (
            lambda: kem.Precision(num_classes=7, average="weighted"),
            ("tp", "predicted", "actual"),
            WORDS * 3 * 7,
        ),
        (
            lambda: kem.F1Score(num_classes=7),
            ("tp", "predicted", "actual"),
            WORDS * 3 * 7,
        ),
        (lambda: kem.BalancedAccuracy(num_classes=7), ("tp", "actual"), WORDS * 2 * 7),
        (
            lambda: kem.MatthewsCorrelation(num_classes=7),
            scores.CLASS_ROWS,
            WORDS * 3 * 7,
        ),
        (lambda: kem.CohenKappa(num_classes=7), scores.CLASS_ROWS, WORDS * 3 * 7),
        (
            lambda: kem.CohenKappa(num_classes=7, weights="linear"),
            "matrix",
            WORDS * 7 * 7,
        ),
        (lambda: kem.ConfusionMatrix(num_classes=7), "matrix", WORDS * 7 * 7),
        (
            lambda: kem.ClassificationMetrics(num_classes=7, metrics=SCORES8),
            scores.CLASS_ROWS,
            WORDS * 3 * 7,
        ),
        (
            lambda: kem.ClassificationMetrics(
                num_classes=7, metrics=("f1", "kappa"), kappa_weights="quadratic"
            ),
            "matrix",
            WORDS * 7 * 7,
        ),
        (
            lambda: kem.F1Score(num_classes=7, task="multilabel"),
            "matrix",
            WORDS * 4 * 7,
        ),
    ],
)
def test_each_metric_keeps_the_smallest_state_its_scores_need(make, layout, numbers):
    metric = make()
    assert metric.layout == layout
    assert _state_numbers(metric) == numbers


def test_scores_come_from_the_registry():
    assert set(scores.SCORES) >= set(SCORES8) | {"fbeta", "jaccard"}
    for cls in (kem.BalancedAccuracy, kem.CohenKappa):
        task_error = re.escape(f"expected one of {scores.SCORES[cls.score].tasks}")
        with pytest.raises(ValueError, match=task_error):
            cls(num_classes=3, task="multilabel")
    with pytest.raises(ValueError, match="'jaccard'.*unknown: 'f2'"):
        kem.ClassificationMetrics(num_classes=3, metrics=["f1", "f2"])
    with pytest.raises(ValueError, match="Unknown score 'iou'"):
        scores.get_score("iou")
    with pytest.raises(ValueError, match="already registered"):
        scores.register_score(scores.SCORES["f1"])


def test_per_class_state_has_no_confusion_matrix():
    metric = kem.F1Score(num_classes=3)
    with pytest.raises(ValueError, match="use keras_extras.metrics.ConfusionMatrix"):
        metric.confusion_matrix()


def test_fifty_thousand_classes_compiled():
    """A token-vocabulary-sized label space: O(C) state, sklearn's values, through
    the compiled stateless update."""
    num_classes, rng = 50_000, np.random.default_rng(3)
    y_true = rng.integers(0, num_classes, 512).astype("int32")
    y_pred = np.where(
        rng.random(512) < 0.5, y_true, rng.integers(0, num_classes, 512)
    ).astype("int32")
    weight = rng.uniform(0.5, 2.0, 512).astype("float32")
    metric = kem.ClassificationMetrics(
        num_classes=num_classes, metrics=("precision", "recall", "f1", "mcc")
    )
    assert _state_numbers(metric) == WORDS * 3 * num_classes

    def step(variables, y_true, y_pred, weight):
        return metric.stateless_update_state(variables, y_true, y_pred, weight)

    values = [v.value for v in metric.variables]
    variables = compile_function(step)(values, y_true, y_pred, weight)
    for variable, value in zip(metric.variables, variables, strict=True):
        variable.assign(value)
    got = to_numpy(metric.result())
    labels = list(range(num_classes))
    for name, fn in (
        ("precision", skm.precision_score),
        ("recall", skm.recall_score),
        ("f1", skm.f1_score),
    ):
        expected = fn(
            y_true,
            y_pred,
            labels=labels,
            average="macro",
            sample_weight=weight,
            zero_division=0,
        )
        np.testing.assert_allclose(got[name], expected, atol=1e-6, err_msg=name)
    expected = skm.matthews_corrcoef(y_true, y_pred, sample_weight=weight)
    np.testing.assert_allclose(got["mcc"], expected, atol=1e-6)


# An author's score: negative predictive value, tn / (tn + fn), in one entry.
NPV = authoring.Score(
    "npv_test",
    "tn / (tn + fn)",
    terms=lambda options: ((1, -1, -1, 1), (0, -1, 0, 1)),
)


class NegativePredictiveValue(authoring.ScoreMetric):
    """Negative predictive value (a test metric): TN / (TN + FN)."""

    score = "npv_test"
    default_name = "npv"
    registration_package = "keras_extras_tests"


@pytest.fixture
def npv_registered():
    authoring.register_score(NPV)
    yield
    del scores.SCORES["npv_test"]


def _npv_reference(y_true, y_pred, num_classes):
    values = []
    for c in range(num_classes):
        tn = np.sum((y_true != c) & (y_pred != c))
        fn = np.sum((y_true == c) & (y_pred != c))
        values.append(tn / (tn + fn) if tn + fn else 0.0)
    return np.mean(values)


def test_an_authors_score_is_one_registry_entry(npv_registered):
    rng = np.random.default_rng(7)
    y_true, y_pred = rng.integers(0, 4, 90), rng.integers(0, 4, 90)
    metric = NegativePredictiveValue(num_classes=4)
    assert metric.layout == ("tp", "predicted", "actual")
    got = run_metric(
        metric, [(y_true[:40], y_pred[:40], None), (y_true[40:], y_pred[40:], None)]
    )
    np.testing.assert_allclose(got, _npv_reference(y_true, y_pred, 4), atol=1e-6)
    both = kem.ClassificationMetrics(num_classes=4, metrics=("npv_test", "f1"))
    got = run_metric(both, [(y_true, y_pred, None)])
    np.testing.assert_allclose(got["npv_test"], _npv_reference(y_true, y_pred, 4))
    clone = NegativePredictiveValue.from_config(metric.get_config())
    assert clone.get_config() == metric.get_config()


def test_monitor_direction_of_each_score_comes_from_the_registry():
    """A lower-is-better score inside ClassificationMetrics: `mode="auto"` of the
    library's monitor callbacks minimises its key and maximises the others."""
    from keras_extras.callbacks._monitor import resolve_mode

    authoring.register_score(
        authoring.Score(
            "fdr_test",
            "fp / (tp + fp)",
            terms=lambda options: ((-1, 1, 0, 0), (0, 1, 0, 0)),
            direction="down",
        )
    )
    try:
        metric = kem.ClassificationMetrics(
            num_classes=3, metrics=("fdr_test", "f1"), prefix="m_"
        )
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)])
        model.compile(optimizer="sgd", loss="mse", metrics=[metric])
        model.evaluate(np.eye(3, dtype="float32"), np.eye(3), verbose=0)
        assert resolve_mode(model, "val_m_fdr_test", "auto") == "min"
        assert resolve_mode(model, "val_m_f1", "auto") == "max"
    finally:
        del scores.SCORES["fdr_test"]


def test_models_saved_with_the_matrix_state_of_0_1_load(tmp_path):
    """keras-extras 0.1 kept a (C*C,) "confusion" state in every confusion metric;
    Keras does not store metric variables in `.keras` files, so such models load
    and evaluate with the per-class state."""
    path = (
        __import__("pathlib").Path(__file__).parent
        / "data"
        / "model_with_0_1_confusion_state.keras"
    )
    model = keras.saving.load_model(path)
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    predicted = np.asarray(model.predict(x, verbose=0)).argmax(-1)
    expected = skm.f1_score(y, predicted, labels=[0, 1, 2], average="macro")
    np.testing.assert_allclose(to_numpy(logs["f1_score"]), expected, atol=1e-6)
    metric = next(m for m in model.metrics[1].metrics if m.name == "f1_score")
    assert metric.layout == ("tp", "predicted", "actual")

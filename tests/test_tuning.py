"""KerasTuner objectives carry each metric's direction (keras_extras.tuning)."""

import sys
import types

import keras
import pytest

import keras_extras
from keras_extras.metrics import (
    BrierScore,
    ClassificationMetrics,
    ExpectedCalibrationError,
    F1Score,
    MatthewsCorrelation,
)
from keras_extras.tuning import log_key_and_direction, objective


@pytest.mark.parametrize(
    "metric,score,expected",
    [
        (F1Score(num_classes=3), None, ("val_f1_score", "max")),
        (MatthewsCorrelation(num_classes=3), None, ("val_matthews_correlation", "max")),
        (ExpectedCalibrationError(), None, ("val_expected_calibration_error", "min")),
        (BrierScore(name="brier"), None, ("val_brier", "min")),
        (ClassificationMetrics(num_classes=3, metrics=["f1"]), None, ("val_f1", "max")),
        (
            ClassificationMetrics(num_classes=3, metrics=["f1", "mcc"], prefix="cls_"),
            "mcc",
            ("val_cls_mcc", "max"),
        ),
        (keras.metrics.AUC(name="auc"), None, ("val_auc", "max")),
    ],
)
def test_keys_and_directions(metric, score, expected):
    assert log_key_and_direction(metric, score) == expected


def test_bad_score_arguments_are_refused():
    both = ClassificationMetrics(num_classes=3, metrics=["f1", "mcc"])
    with pytest.raises(ValueError, match="score=None"):
        log_key_and_direction(both)
    with pytest.raises(ValueError, match="score='mcc'"):
        log_key_and_direction(F1Score(num_classes=3), "mcc")
    # A single score's metric answers to its score's name too.
    assert log_key_and_direction(F1Score(num_classes=3), "f1")[0] == "val_f1_score"


def test_objective_builds_a_keras_tuner_objective(monkeypatch):
    made = []

    class Objective:
        def __init__(self, name, direction):
            made.append((name, direction))

    monkeypatch.setitem(
        sys.modules, "keras_tuner", types.SimpleNamespace(Objective=Objective)
    )
    result = keras_extras.tuning.objective(F1Score(num_classes=3))
    assert isinstance(result, Objective)
    assert made == [("val_f1_score", "max")]


def test_objective_without_keras_tuner_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "keras_tuner", None)  # import fails
    with pytest.raises(ImportError, match="pip install keras-tuner.*'val_f1_score'"):
        objective(F1Score(num_classes=3))

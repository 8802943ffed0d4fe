"""One naming authority: the keys in the logs, their directions, and who reads
them (monitor callbacks in mode="auto", tuning), on the cases that went wrong."""

import keras
import numpy as np
import pytest
from helpers import pass_through_model
from metric_suite import data

import keras_extras.callbacks as kec
import keras_extras.metrics as kem
from keras_extras._naming import direction_of, split_bound
from keras_extras.tuning import log_key_and_direction


def _two_outputs(metrics):
    inputs = keras.Input((3,))
    model = keras.Model(
        inputs,
        {
            "cls": keras.layers.Dense(3, activation="softmax", name="cls")(inputs),
            "aux": keras.layers.Dense(3, activation="softmax", name="aux")(inputs),
        },
    )
    model.compile(
        optimizer="sgd",
        loss={"cls": "sparse_categorical_crossentropy", "aux": "mse"},
        metrics=metrics,
    )
    return model


def test_bootstrap_keys_and_directions_are_the_wrapped_metrics():
    interval = kem.Bootstrap(kem.BrierScore(), num_replicates=10, seed=0)
    assert log_key_and_direction(interval) == ("val_brier_score", "min")
    keys = interval.log_keys()
    assert list(keys) == ["brier_score", "brier_score_low", "brier_score_high"]
    assert {info.direction for info in keys.values()} == {"down"}
    per_class = kem.Bootstrap(kem.F1Score(num_classes=2, average=None), 10, seed=0)
    assert list(per_class.log_keys()) == [
        f"f1_score/{k}{end}" for k in range(2) for end in ("", "_low", "_high")
    ]


def test_best_checkpoints_in_auto_mode_minimises_a_bootstrapped_brier_score(tmp_path):
    labels, probs, weights = data()
    model = pass_through_model(
        probs.shape, [kem.Bootstrap(kem.BrierScore(), num_replicates=10, seed=0)]
    )
    keep = kec.BestCheckpoints(tmp_path, monitor="val_brier_score", save_top_k=1)
    stop = kec.EarlyStopping(monitor="val_brier_score_high", patience=5)
    model.fit(
        probs,
        labels,
        validation_data=(probs, labels),
        epochs=2,
        verbose=0,
        callbacks=[keep, stop],
    )
    assert keep._resolved_mode == "min"
    assert stop.mode == "min"
    assert direction_of(model, "val_brier_score_low") == "down"


def test_an_explicit_prefix_replaces_the_output_name():
    labels, probs, _ = data()
    model = _two_outputs(
        {
            "cls": [
                kem.ClassificationMetrics(num_classes=3, metrics=["f1"], prefix="cls_")
            ],
            "aux": [kem.ClassificationMetrics(num_classes=3, metrics=["f1"])],
        }
    )
    logs = model.evaluate(
        probs, {"cls": labels, "aux": np.eye(3)[labels]}, verbose=0, return_dict=True
    )
    assert "cls_f1" in logs and "aux_f1" in logs, sorted(logs)
    assert "cls_cls_f1" not in logs
    assert direction_of(model, "val_cls_f1") == "up"
    assert direction_of(model, "val_aux_f1") == "up"


def test_single_metrics_of_a_model_with_two_outputs_have_their_direction():
    model = _two_outputs(
        {"cls": [kem.F1Score(num_classes=3)], "aux": [kem.BrierScore()]}
    )
    labels, probs, _ = data()
    model.evaluate(
        probs, {"cls": labels, "aux": np.eye(3)[labels]}, verbose=0, return_dict=True
    )
    assert direction_of(model, "val_cls_f1_score") == "up"
    assert direction_of(model, "aux_brier_score") == "down"
    assert direction_of(model, "val_cls_loss") == "down"
    assert direction_of(model, "val_nothing") is None
    # A key no metric writes (a typo) is named as such, with the keys there are.
    stop = kec.EarlyStopping(monitor="val_nothing")
    stop.set_model(model)
    with pytest.raises(ValueError, match="writes 'val_nothing'.*cls_f1_score"):
        stop.on_epoch_end(0, {"val_nothing": 1.0})
    assert log_key_and_direction(kem.BrierScore(), output_name="aux") == (
        "val_aux_brier_score",
        "min",
    )


def test_a_key_without_a_direction_asks_for_the_mode():
    labels, probs, _ = data()
    model = pass_through_model(probs.shape, [kem.ConfusionMatrix(num_classes=3)])
    model.evaluate(probs, labels, verbose=0)
    stop = kec.EarlyStopping(monitor="val_confusion_matrix")
    stop.set_model(model)
    with pytest.raises(ValueError, match="mode='min' or mode='max'"):
        stop.on_epoch_end(0, {})


def test_the_report_logs_per_class_keys_in_the_one_format(tmp_path):
    labels, probs, _ = data()
    x = np.log(probs)
    report = kec.ClassificationReport(
        (x, labels), class_names=["a", "b", "c"], num_replicates=10, seed=0, verbose=0
    )
    model = keras.Sequential([keras.Input((3,)), keras.layers.Softmax()])
    model.compile(loss="sparse_categorical_crossentropy")
    history = model.fit(x, labels, epochs=1, verbose=0, callbacks=[report])
    logged = {key for key in history.history if key.startswith("val_")}
    assert "val_f1/a" in logged and "val_f1/a_low" in logged
    bounds = [key for key in logged if split_bound(key)[1] is not None]
    assert len(bounds) == 2 * 3 * 3  # low and high, 3 scores, 3 classes
    assert all(split_bound(key)[0] in logged for key in bounds)


def test_an_empty_prefix_keeps_the_output_name_as_0_1_did():
    labels, probs, _ = data()
    # What a model saved by keras-extras 0.1 holds: prefix "" (its default).
    saved = kem.ClassificationMetrics(num_classes=3, metrics=["f1"]).get_config()
    saved["prefix"] = ""
    metrics = {
        output: [kem.ClassificationMetrics.from_config(saved)]
        for output in ("cls", "aux")
    }
    model = _two_outputs(metrics)
    logs = model.evaluate(
        probs, {"cls": labels, "aux": np.eye(3)[labels]}, verbose=0, return_dict=True
    )
    assert {"cls_f1", "aux_f1"} <= set(logs) and "f1" not in logs


def test_report_class_names_are_strings_and_unique():
    labels, probs, _ = data()
    report = kec.ClassificationReport((probs, labels), class_names=[7, 8, 9])
    assert report.class_names == ["7", "8", "9"]
    with pytest.raises(ValueError, match="class_names"):
        kec.ClassificationReport((probs, labels), class_names=["a", "a", "b"])

"""The Keras private names keras-extras relies on (keras_extras/_keras_compat.py)
still do what the library needs. A failure here names the Keras version: update
the compat module, nothing else."""

import keras
import numpy as np
import pytest

from keras_extras import _keras_compat
from keras_extras.metrics import F1Score

VERSION = f"Keras {keras.__version__}"


def _model(metric):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)])
    model.compile(optimizer="sgd", loss="mse", metrics=[metric])
    model.evaluate(np.eye(3, dtype="float32"), np.eye(3), verbose=0)
    return model


@pytest.mark.parametrize("direction,expected", [("up", "max"), ("down", "min")])
def test_keras_monitor_callbacks_read_the_metric_direction(direction, expected):
    metric = F1Score(num_classes=3, name="score")
    _keras_compat.set_metric_direction(metric, direction)
    assert _keras_compat.metric_direction(metric) == direction
    model = _model(metric)
    for callback in (
        keras.callbacks.EarlyStopping(monitor="val_score", mode="auto"),
        keras.callbacks.ModelCheckpoint("unused.keras", monitor="val_score"),
    ):
        callback.set_model(model)
        callback._set_monitor_op()  # what Keras runs at the first epoch end
        better = callback.monitor_op(np.float32(1.0), np.float32(0.0))
        assert bool(better) == (expected == "max"), (
            f"{VERSION} no longer reads Metric._direction in mode='auto'"
        )


def test_optimizer_learning_rate_setting_is_the_given_rate_or_schedule():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 1, 0.5)
    setting = _keras_compat.learning_rate_setting(keras.optimizers.SGD(schedule))
    assert setting is schedule, f"{VERSION}: Optimizer._learning_rate changed"
    constant = _keras_compat.learning_rate_setting(keras.optimizers.SGD(0.25))
    assert float(keras.ops.convert_to_numpy(constant)) == pytest.approx(0.25)


def test_a_changed_keras_fails_loudly():
    class NoRate:
        pass

    with pytest.raises(RuntimeError, match=rf"Keras {keras.__version__}"):
        _keras_compat.learning_rate_setting(NoRate())
    with pytest.raises(ValueError, match="direction"):
        _keras_compat.set_metric_direction(F1Score(num_classes=3), "sideways")


def _evaluated_left_right(metrics, weighted_metrics=None, before=None):
    """A model with outputs "left" and "right", compiled with `metrics`, after
    one `evaluate` (`before(model)` runs between compile and evaluate)."""
    inputs = keras.Input((3,))
    outputs = {
        "left": keras.layers.Dense(3, name="left")(inputs),
        "right": keras.layers.Dense(3, name="right")(inputs),
    }
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer="sgd", loss="mse", metrics=metrics, weighted_metrics=weighted_metrics
    )
    if before is not None:
        before(model)
    x = np.eye(3, dtype="float32")
    model.evaluate(x, {"left": x, "right": x}, verbose=0)
    return model


def test_compiled_metrics_expose_the_output_name_of_each_metric():
    found = {}

    class Spy(keras.metrics.Mean):
        def update_state(self, y_true, y_pred, sample_weight=None):
            super().update_state(y_pred, sample_weight=sample_weight)

        def result(self):
            found[self.name] = _keras_compat.compiled_output_name(self)
            return super().result()

    _evaluated_left_right({"left": [Spy(name="l")], "right": [Spy(name="r")]})
    assert found == {"l": "left", "r": "right"}, (
        f"{VERSION}: CompileMetrics.result() no longer holds the output's "
        "MetricsList as `mls`"
    )
    assert _keras_compat.compiled_output_name(Spy()) is None  # called directly


def test_compiled_metrics_are_listed_with_their_output_names():
    left, right, both = (F1Score(num_classes=3, name=n) for n in ("l", "r", "w"))
    seen_before = []
    model = _evaluated_left_right(
        {"left": [left], "right": [right]},
        weighted_metrics={"left": [both]},
        before=lambda m: seen_before.extend(
            metric for metric, _ in _keras_compat.compiled_metrics_by_output(m)
        ),
    )
    assert not {left, right, both} & set(seen_before)  # no metric lists before a step
    found = {
        metric.name: output
        for metric, output in _keras_compat.compiled_metrics_by_output(model)
        if metric in (left, right, both)
    }
    assert found == {"l": "left", "r": "right", "w": "left"}, (
        f"{VERSION}: CompileMetrics._flat_metrics / _flat_weighted_metrics or "
        "MetricsList.output_name changed"
    )
    single = _model(F1Score(num_classes=3, name="score"))
    outputs_of = dict(
        (m.name, o) for m, o in _keras_compat.compiled_metrics_by_output(single)
    )
    assert outputs_of["score"] is None


@pytest.mark.skipif(
    keras.backend.backend() == "torch",
    reason="Keras' distribution API has no torch backend",
)
def test_a_keras_distribution_tells_its_process_index():
    devices = keras.distribution.list_devices()
    distribution = keras.distribution.DataParallel(devices=devices)
    assert _keras_compat.distribution_process(distribution) == (0, 1), (
        f"{VERSION}: Distribution._process_id or num_processes changed"
    )
    with pytest.raises(RuntimeError, match="Distribution._process_id"):
        _keras_compat.distribution_process(object())


def test_keras_early_stopping_internals_mean_what_early_stopping_needs():
    callback = keras.callbacks.EarlyStopping(
        monitor="loss", mode="max", min_delta=0.25, restore_best_weights=True
    )
    assert not _keras_compat.monitor_direction_settled(callback), (
        f"{VERSION}: EarlyStopping.monitor_op is set before the first epoch end"
    )
    model = _model(F1Score(num_classes=3, name="score"))
    callback.set_model(model)
    _keras_compat.keep_best_weights(callback, epoch=2)
    assert callback.best_epoch == 2
    kept = callback.best_weights
    assert [w.shape for w in kept] == [w.shape for w in model.get_weights()], (
        f"{VERSION}: EarlyStopping.best_weights changed"
    )
    callback._set_monitor_op()  # what Keras runs at the first epoch end
    assert _keras_compat.monitor_direction_settled(callback)
    for mode in ("min", "max"):  # Keras may keep min_delta sign-flipped
        other = keras.callbacks.EarlyStopping(monitor="loss", mode=mode, min_delta=0.25)
        other._set_monitor_op()
        assert _keras_compat.min_delta_as_given(other) == 0.25, VERSION
    with pytest.raises(RuntimeError, match="EarlyStopping.best_weights"):
        _keras_compat.keep_best_weights(object(), epoch=0)


def test_a_callback_finds_its_siblings_and_fit_starts_from_the_set_epoch():
    """`sibling_callbacks` reads the `CallbackList` of a `fit` (History
    included); `set_initial_epoch` during `on_train_begin` makes `fit` start
    there (what `BackupAndRestore` relies on)."""
    seen = {}

    class Probe(keras.callbacks.Callback):
        def set_model(self, model):
            super().set_model(model)
            seen["siblings"] = _keras_compat.sibling_callbacks(self)

        def on_train_begin(self, logs=None):
            _keras_compat.set_initial_epoch(self.model, 2)

        def on_epoch_begin(self, epoch, logs=None):
            seen.setdefault("epochs", []).append(epoch)

    probe, other = Probe(), keras.callbacks.TerminateOnNaN()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.eye(3), np.eye(3), epochs=4, verbose=0, callbacks=[probe, other])
    siblings = seen["siblings"]
    assert siblings[:2] == [probe, other], f"{VERSION}: CallbackList.callbacks"
    assert any(isinstance(c, keras.callbacks.History) for c in siblings), VERSION
    assert seen["epochs"] == [2, 3], f"{VERSION} no longer reads _initial_epoch"
    assert _keras_compat.sibling_callbacks(probe) == []  # not inside a fit


def test_every_layer_of_a_model_is_found_at_any_depth():
    inner = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(3), keras.layers.BatchNormalization()]
    )
    outer = keras.Sequential([keras.Input((3,)), inner, keras.layers.Dense(1)])
    kinds = [type(layer).__name__ for layer in _keras_compat.all_layers(outer)]
    assert kinds.count("BatchNormalization") == 1, f"{VERSION}: {kinds}"
    assert "Sequential" in kinds and kinds.count("Dense") == 2, f"{VERSION}: {kinds}"

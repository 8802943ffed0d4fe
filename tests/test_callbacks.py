"""Callbacks inside model.fit on the backend under test: behaviour, not just "runs"."""

import json
import subprocess
import sys
import textwrap
import time

import keras
import numpy as np
import pytest
from sklearn import metrics as skm

from keras_extras.callbacks import (
    BestCheckpoints,
    ClassificationReport,
    ConfusionMatrixPlot,
    EarlyStopping,
    LearningRateMonitor,
    LRFinder,
    PlotHistory,
    ThroughputMonitor,
    TimeLimit,
)
from keras_extras.metrics import ClassificationMetrics

CLASSES = ["setosa", "versicolor", "virginica"]


def data(samples=64, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, samples).astype("int32")
    x = (rng.normal(size=(samples, 4)) + np.eye(3, 4)[y] * 2).astype("float32")
    return x, y


def model(optimizer=None, metrics=("accuracy",), seed=0):
    keras.utils.set_random_seed(seed)
    net = keras.Sequential(
        [
            keras.Input(shape=(4,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    net.compile(
        optimizer=optimizer or keras.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=list(metrics),
    )
    return net


class Recorder(keras.callbacks.Callback):
    """Keeps every batch's and epoch's logs (after the callbacks before it)."""

    def __init__(self, sleep=0.0):
        super().__init__()
        self.sleep, self.batches, self.epochs = sleep, [], []

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(self.sleep)
        self.batches.append(dict(logs or {}))

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(dict(logs or {}))


# ---------------------------------------------------------------- learning rate


def test_learning_rate_monitor_logs_the_schedule_value():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 1, 0.5)
    x, y = data()
    recorder = Recorder()
    history = model(keras.optimizers.SGD(schedule)).fit(
        x,
        y,
        batch_size=16,
        epochs=2,
        verbose=0,
        callbacks=[LearningRateMonitor(log_every="batch"), recorder],
    )
    # Step k (0-based) used schedule(k); an epoch has 4 steps.
    np.testing.assert_allclose(
        history.history["learning_rate"], [0.1 * 0.5**3, 0.1 * 0.5**7], rtol=1e-6
    )
    np.testing.assert_allclose(
        [b["learning_rate"] for b in recorder.batches],
        [0.1 * 0.5**k for k in range(8)],
        rtol=1e-6,
    )


def test_learning_rate_monitor_with_constant_rate_and_csv(tmp_path):
    x, y = data()
    path = tmp_path / "log.csv"
    model(keras.optimizers.Adam(0.003)).fit(
        x,
        y,
        epochs=2,
        verbose=0,
        callbacks=[LearningRateMonitor(), keras.callbacks.CSVLogger(str(path))],
    )
    lines = path.read_text().splitlines()
    assert "learning_rate" in lines[0].split(",")
    column = lines[0].split(",").index("learning_rate")
    assert float(lines[1].split(",")[column]) == pytest.approx(0.003)


# ---------------------------------------------------------------- time limit


class BatchClock(keras.callbacks.Callback):
    """Sleeps at each batch end, then notes the time (before TimeLimit checks)."""

    def __init__(self, sleep):
        super().__init__()
        self.sleep, self.times = sleep, []

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(self.sleep)
        self.times.append(time.monotonic())


def test_time_limit_stops_within_one_batch_and_keeps_validation():
    x, y = data(256)
    clock = BatchClock(sleep=0.05)
    limit = TimeLimit(seconds=1.5)
    history = model().fit(
        x,
        y,
        batch_size=4,
        epochs=3,
        validation_data=data(16, seed=1),
        verbose=0,
        callbacks=[clock, limit],
    )
    deadline = limit._start + 1.5
    assert limit.stopped_epoch == 0
    assert "time limit of 1.5 s" in limit.stop_reason
    # It stopped at the first batch end past the budget, not one batch later.
    assert clock.times[-1] >= deadline
    assert len(clock.times) == 1 or clock.times[-2] < deadline
    assert len(clock.times) < 64
    assert len(history.history["val_loss"]) == 1


# ---------------------------------------------------------------- checkpoints


def test_best_checkpoints_keeps_k_best_and_reloads(tmp_path):
    x, y = data(96)
    validation = data(32, seed=2)
    keep = BestCheckpoints(tmp_path, monitor="val_loss", save_top_k=2)
    history = model().fit(
        x, y, epochs=6, validation_data=validation, verbose=0, callbacks=[keep]
    )
    files = sorted(p.name for p in tmp_path.glob("epoch*.keras"))
    assert len(files) == 2
    assert (tmp_path / "last.keras").exists()
    manifest = json.loads((tmp_path / "checkpoints.json").read_text())
    losses = history.history["val_loss"]
    best_two = sorted(losses)[:2]
    assert [c["score"] for c in manifest["checkpoints"]] == pytest.approx(best_two)
    assert manifest["best_model_path"] == keep.best_model_path
    reloaded = keras.saving.load_model(keep.best_model_path)
    score = reloaded.evaluate(*validation, verbose=0, return_dict=True)["loss"]
    assert score == pytest.approx(best_two[0], abs=1e-5)
    assert not list(tmp_path.glob(".tmp-*"))


def test_best_checkpoints_direction_from_classification_metrics(tmp_path):
    x, y = data()
    net = model(metrics=[ClassificationMetrics(num_classes=3, metrics=["f1"])])
    keep = BestCheckpoints(tmp_path, monitor="val_f1", save_top_k=1, save_last=False)
    history = net.fit(
        x, y, epochs=3, validation_data=data(32, seed=3), verbose=0, callbacks=[keep]
    )
    assert keep.checkpoints[0]["score"] == pytest.approx(max(history.history["val_f1"]))


KILL_SCRIPT = textwrap.dedent(
    """
    import sys, numpy as np, keras
    from keras_extras.callbacks import BestCheckpoints
    net = keras.Sequential([keras.Input(shape=(256,)),
                            keras.layers.Dense(512), keras.layers.Dense(3)])
    net.compile(optimizer="adam", loss="mse")
    x = np.random.rand(64, 256).astype("float32")
    y = np.random.rand(64, 3).astype("float32")
    keep = BestCheckpoints(sys.argv[1], monitor="loss", save_top_k=2)
    print("ready", flush=True)
    net.fit(x, y, epochs=10000, verbose=0, callbacks=[keep])
    """
)


def kill_during_saves(tmp_path, attempts, seed=0):
    """Start training that saves every epoch, SIGKILL it at a random moment (most
    of its time is spent saving), then load every file the manifest lists."""
    rng = np.random.default_rng(seed)
    for attempt in range(attempts):
        directory = tmp_path / str(attempt)
        process = subprocess.Popen(
            [sys.executable, "-c", KILL_SCRIPT, str(directory)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 120
        while not (directory / "checkpoints.json").exists():
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 1.5))
        process.kill()
        process.wait()
        manifest = json.loads((directory / "checkpoints.json").read_text())
        assert manifest["checkpoints"]
        for checkpoint in manifest["checkpoints"]:
            keras.saving.load_model(checkpoint["path"])
        keras.saving.load_model(manifest["last_model_path"])


def test_checkpoints_survive_sigkill_mid_save(tmp_path):
    kill_during_saves(tmp_path, attempts=2)


@pytest.mark.slow
def test_checkpoints_survive_many_sigkills(tmp_path):
    kill_during_saves(tmp_path, attempts=25, seed=1)


# ---------------------------------------------------------------- early stopping


@pytest.mark.parametrize(
    "kwargs,reason",
    [
        ({"monitor": "loss", "stopping_threshold": 100.0}, "stopping_threshold"),
        ({"monitor": "loss", "divergence_threshold": -1.0}, "divergence"),
        ({"monitor": "loss", "patience": 0, "min_delta": 100.0}, "patience"),
    ],
)
def test_early_stopping_guards(kwargs, reason):
    x, y = data()
    stopper = EarlyStopping(**kwargs)
    history = model().fit(x, y, epochs=5, verbose=0, callbacks=[stopper])
    assert stopper.stop_reason == reason
    assert len(history.history["loss"]) == (2 if reason == "patience" else 1)


def test_early_stopping_guards_wait_for_start_from_epoch():
    x, y = data()
    stopper = EarlyStopping(
        monitor="loss", stopping_threshold=100.0, patience=10, start_from_epoch=2
    )
    history = model().fit(x, y, epochs=5, verbose=0, callbacks=[stopper])
    assert stopper.stop_reason == "stopping_threshold"
    assert len(history.history["loss"]) == 3  # epochs 0 and 1 are not watched


def nan_loss(y_true, y_pred):
    return keras.ops.log(-keras.ops.mean(y_pred))  # log of a negative number


def test_early_stopping_on_non_finite_loss():
    x, y = data()
    net = model()
    net.compile(optimizer="sgd", loss=nan_loss)
    stopper = EarlyStopping(monitor="loss")
    history = net.fit(x, y, epochs=5, verbose=0, callbacks=[stopper])
    assert stopper.stop_reason == "not_finite"
    assert len(history.history["loss"]) == 1


def test_early_stopping_direction_for_classification_metrics():
    x, y = data()
    net = model(metrics=[ClassificationMetrics(num_classes=3, metrics=["f1"])])
    stopper = EarlyStopping(monitor="val_f1", stopping_threshold=-1.0)
    net.fit(
        x, y, epochs=3, validation_data=data(16, seed=4), verbose=0, callbacks=[stopper]
    )
    assert stopper.mode == "max"
    assert stopper.stop_reason == "stopping_threshold"


# ---------------------------------------------------------------- reports, plots


def test_classification_report_matches_sklearn(tmp_path):
    x, y = data(96)
    validation = data(40, seed=5)
    path = tmp_path / "report.json"
    callback = ClassificationReport(
        validation, class_names=CLASSES, path=path, verbose=0
    )
    net = model()
    history = net.fit(x, y, epochs=2, verbose=0, callbacks=[callback])
    saved = json.loads(path.read_text())
    assert [entry["epoch"] for entry in saved] == [1, 2]
    predicted = net.predict(validation[0], verbose=0).argmax(-1)
    expected = skm.precision_recall_fscore_support(
        validation[1], predicted, labels=[0, 1, 2], zero_division=0
    )
    for i, name in enumerate(CLASSES):
        assert history.history[f"val_f1_{name}"][-1] == pytest.approx(
            expected[2][i], abs=1e-6
        )
        assert saved[-1]["precision"][i] == pytest.approx(expected[0][i], abs=1e-6)
    macro = skm.f1_score(validation[1], predicted, average="macro", zero_division=0)
    assert saved[-1]["macro"]["f1"] == pytest.approx(macro, abs=1e-6)


def test_plot_history_has_one_panel_per_quantity(tmp_path):
    import matplotlib.image

    x, y = data()
    path = tmp_path / "history.png"
    plot = PlotHistory(path, every_n_epochs=1)
    model().fit(
        x,
        y,
        epochs=2,
        validation_data=data(16, seed=6),
        verbose=0,
        callbacks=[LearningRateMonitor(), plot],
    )
    assert plot.panels == ["accuracy", "loss", "learning_rate"]
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 100 and image.shape[1] > 300


def test_confusion_matrix_plot(tmp_path):
    import matplotlib.image

    x, y = data()
    path = tmp_path / "cm.png"
    plot = ConfusionMatrixPlot(data(30, seed=7), path, class_names=CLASSES)
    model().fit(x, y, epochs=1, verbose=0, callbacks=[plot])
    assert matplotlib.image.imread(path).size > 0
    sums = plot.matrix.sum(axis=1)
    np.testing.assert_allclose(sums[sums > 0], 1.0, atol=1e-6)


def test_plots_without_matplotlib_name_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"keras-extras\[plot\]"):
        PlotHistory(tmp_path / "x.png")


# ---------------------------------------------------------------- LR finder, speed


def test_lr_finder_sweeps_and_restores_exactly(tmp_path):
    x, y = data(256)
    net = model(keras.optimizers.Adam(0.001))
    net.fit(x, y, epochs=1, verbose=0)  # optimizer state worth restoring
    weights = [np.array(w) for w in net.get_weights()]
    state = [np.array(keras.ops.convert_to_numpy(v)) for v in net.optimizer.variables]
    finder = LRFinder(min_lr=1e-4, max_lr=1.0, num_steps=20, divergence_factor=None)
    net.fit(x, y, batch_size=16, epochs=5, verbose=0, callbacks=[finder])
    assert len(finder.history["lr"]) == 20
    np.testing.assert_allclose(finder.history["lr"][-1], 1.0, rtol=1e-6)
    assert 1e-4 <= finder.suggestion <= 1.0
    for before, after in zip(weights, net.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
    for before, variable in zip(state, net.optimizer.variables, strict=True):
        np.testing.assert_array_equal(before, keras.ops.convert_to_numpy(variable))
    assert finder.plot(tmp_path / "lr.png").stat().st_size > 0


def test_throughput_monitor_logs_rates():
    x, y = data(128)
    history = model().fit(
        x,
        y,
        batch_size=16,
        epochs=2,
        verbose=0,
        callbacks=[ThroughputMonitor(batch_size=16)],
    )
    for ms, rate in zip(
        history.history["ms_per_step"],
        history.history["samples_per_second"],
        strict=True,
    ):
        assert ms > 0
        assert rate == pytest.approx(16 * 1000 / ms, rel=1e-6)


# ---------------------------------------------------------------- config, arguments


@pytest.mark.parametrize(
    "callback",
    [
        LearningRateMonitor(log_every="batch"),
        TimeLimit(12.5),
        BestCheckpoints("ckpt", monitor="val_f1", mode="max", save_top_k=4),
        EarlyStopping(monitor="val_f1", patience=3, divergence_threshold=0.1),
        ClassificationReport(data(8), class_names=CLASSES, every_n_epochs=2),
        PlotHistory("history.png", every_n_epochs=5),
        ConfusionMatrixPlot(data(8), "cm.png", normalize="pred"),
        LRFinder(min_lr=1e-5, max_lr=0.5, num_steps=30),
        ThroughputMonitor(batch_size=8, skip_steps=1),
    ],
    ids=lambda c: type(c).__name__,
)
def test_get_config_round_trip(callback):
    clone = type(callback).from_config(callback.get_config())
    assert type(clone) is type(callback)
    assert repr(clone.get_config()) == repr(callback.get_config())


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: LearningRateMonitor(log_every="step"), "log_every='step'"),
        (lambda: TimeLimit(0), "seconds=0"),
        (lambda: BestCheckpoints("d", save_top_k=0), "save_top_k=0"),
        (lambda: BestCheckpoints("d", mode="up"), "mode='up'"),
        (lambda: BestCheckpoints("d", filename="x.h5"), "filename='x.h5'"),
        (lambda: EarlyStopping(mode="up"), "mode='up'"),
        (lambda: ClassificationReport(np.zeros(5)), "validation_data"),
        (lambda: LRFinder(min_lr=1.0, max_lr=0.1), "min_lr=1.0"),
        (lambda: LRFinder(num_steps=1), "num_steps=1"),
        (lambda: ThroughputMonitor(batch_size=0), "batch_size=0"),
        (
            lambda: ConfusionMatrixPlot(data(4), "x.png", normalize="rows"),
            "normalize='rows'",
        ),
    ],
)
def test_bad_arguments_raise(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()

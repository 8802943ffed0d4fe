"""Callbacks inside model.fit on the backend under test: behaviour, not just "runs"."""

import importlib.util
import json
import sys
import textwrap
import time
from pathlib import Path

import keras
import numpy as np
import pytest
from helpers import kill_at_a_random_moment, running_until_written
from sklearn import metrics as skm

from keras_extras.callbacks import (
    BestCheckpoints,
    ClassificationReport,
    ConfusionMatrixPlot,
    CurvePlot,
    EarlyStopping,
    LearningRateMonitor,
    LRFinder,
    PlotHistory,
    ReliabilityDiagram,
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

    def __init__(self):
        super().__init__()
        self.batches, self.epochs = [], []

    def on_train_batch_end(self, batch, logs=None):
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


class ScriptedLoss(keras.callbacks.Callback):
    """Overwrites `loss` with a plateau so that ReduceLROnPlateau acts on cue."""

    def on_epoch_end(self, epoch, logs=None):
        logs["loss"] = 1.0


class RateSpy(keras.callbacks.Callback):
    """Reads the learning rate on the host before each step (the truth)."""

    def __init__(self):
        super().__init__()
        self.used = {}

    def on_train_batch_begin(self, batch, logs=None):
        self.used[self._epoch] = float(
            keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
        )

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch


@pytest.mark.parametrize("log_every", ["epoch", "batch"])
def test_learning_rate_monitor_logs_the_rate_used_wherever_it_sits(log_every):
    x, y = data()
    spy = RateSpy()
    plateau = keras.callbacks.ReduceLROnPlateau("loss", factor=0.5, patience=0)
    halve_on_epoch_2 = keras.callbacks.LearningRateScheduler(
        lambda epoch, rate: rate / 2 if epoch == 2 else rate
    )
    history = model(keras.optimizers.SGD(0.1)).fit(
        x,
        y,
        epochs=4,
        verbose=0,
        callbacks=[
            halve_on_epoch_2,
            ScriptedLoss(),
            plateau,
            LearningRateMonitor(log_every),
            spy,
        ],
    )
    used = [spy.used[epoch] for epoch in range(4)]
    # The plateau halves the rate at each epoch end from the second on (the
    # first sets its reference); the scheduler halves it once more at the start
    # of epoch 3 (0-based 2).
    np.testing.assert_allclose(used, [0.1, 0.1, 0.025, 0.0125], rtol=1e-6)
    np.testing.assert_allclose(history.history["learning_rate"], used, rtol=1e-6)


# ---------------------------------------------------------------- time limit


class Ticker(keras.callbacks.Callback):
    """A clock that moves by `step` seconds before every training step but the
    first, driven from the training thread (a batch-begin hook, placed before
    the callback that reads it): the time is a function of the step count alone,
    however loaded the machine is."""

    def __init__(self, step=1 / 16):
        super().__init__()
        self.step, self.now, self.starts = step, 0.0, []

    def read(self):
        return self.now

    def on_train_batch_begin(self, batch, logs=None):
        if self.starts:
            self.now += self.step
        self.starts.append(self.now)


def test_time_limit_stops_within_one_batch_and_keeps_validation():
    x, y = data(256)
    ticker = Ticker()
    limit = TimeLimit(seconds=1.5)
    limit.clock = ticker.read
    history = model().fit(
        x,
        y,
        batch_size=4,
        epochs=3,
        validation_data=data(16, seed=1),
        verbose=0,
        callbacks=[ticker, limit],
    )
    assert limit.start_time == 0.0
    assert limit.stopped_epoch == 0
    assert "time limit of 1.5 s" in limit.stop_reason
    # Step 24 starts at 24 / 16 = 1.5 s: the check before it stops training
    # after that one step, so steps 0 to 24 run, and validation still runs.
    assert len(ticker.starts) == 25
    assert len(history.history["val_loss"]) == 1


def test_time_limit_keeps_async_dispatch_stops_on_time_and_never_crashes():
    # TimeLimit must not force synchronous batch ends (a host sync per step) ...
    assert TimeLimit.on_train_batch_end is keras.callbacks.Callback.on_train_batch_end
    # ... and, with batch ends dispatched asynchronously, stop at the documented
    # point without breaking the loop (JAX once failed about one fit in three
    # with "Array has been deleted" when the flag was set from the dispatch
    # thread, and ran every remaining step of the epoch).
    x, y = data(512)
    validation = data(64, seed=1)
    for seed in range(4):
        ticker = Ticker()
        limit = TimeLimit(seconds=0.25)
        limit.clock = ticker.read
        metrics = ["accuracy", ClassificationMetrics(num_classes=3, metrics=["f1"])]
        history = model(metrics=metrics, seed=seed).fit(
            x,
            y,
            batch_size=4,
            epochs=3,
            validation_data=validation,
            verbose=0,
            callbacks=[ticker, limit],
        )
        assert limit.stopped_epoch == 0
        assert len(ticker.starts) == 5  # steps 0-3, and step 4, which starts at 0.25
        assert len(history.history["val_f1"]) == 1


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
        kill_at_a_random_moment(KILL_SCRIPT, directory, "checkpoints.json", rng)
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


class Scripted(keras.callbacks.Callback):
    """Logs `score` from a list at each epoch end and notes the weights it ranks."""

    def __init__(self, scores):
        super().__init__()
        self.scores, self.weights = list(scores), []

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = self.scores[epoch]
        self.weights.append(self.model.get_weights())


def fit_scripted(directory, scores, seed=0, **kwargs):
    x, y = data(16)
    scripted = Scripted(scores)
    keep = BestCheckpoints(directory, monitor="score", mode="max", **kwargs)
    model(seed=seed).fit(
        x, y, epochs=len(scores), verbose=0, callbacks=[scripted, keep]
    )
    return scripted, keep


def assert_manifest_matches(directory, scripted_runs, expected_scores):
    """The manifest lists exactly the ranked files on disk, best first, and each
    file holds the weights of the epoch (of the run) whose score it lists."""
    manifest = json.loads((directory / "checkpoints.json").read_text())
    listed = manifest["checkpoints"]
    assert [c["score"] for c in listed] == expected_scores
    assert manifest["best_model_path"] == listed[0]["path"]
    on_disk = {p.name for p in directory.glob("*.keras")} - {"last.keras"}
    assert on_disk == {Path(c["path"]).name for c in listed}
    for checkpoint in listed:
        run = next(r for r in scripted_runs if checkpoint["score"] in r.scores)
        expected = run.weights[run.scores.index(checkpoint["score"])]
        saved = keras.saving.load_model(checkpoint["path"]).get_weights()
        for a, b in zip(saved, expected, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "filename,scores",
    [
        ("best.keras", [0.5, 0.9, 0.7, 0.95]),  # a fixed name
        ("m-{monitor_value:.1f}.keras", [0.91, 0.94, 0.5, 0.93]),  # rounds alike
    ],
)
def test_best_checkpoints_never_overwrite_on_name_collision(tmp_path, filename, scores):
    scripted, keep = fit_scripted(tmp_path, scores, save_top_k=2, filename=filename)
    best_two = sorted(scores, reverse=True)[:2]
    assert_manifest_matches(tmp_path, [scripted], best_two)
    assert keep.best_model_path == keep.checkpoints[0]["path"]


def test_best_checkpoints_resume_keeps_top_k_across_runs(tmp_path):
    first, _ = fit_scripted(tmp_path, [0.9, 0.5, 0.3], save_top_k=3)
    second, keep = fit_scripted(tmp_path, [0.6, 0.4, 0.1], seed=1, save_top_k=3)
    assert_manifest_matches(tmp_path, [first, second], [0.9, 0.6, 0.5])
    assert keep.checkpoints[0]["epoch"] == 1  # the first run's epoch 1
    # A checkpoint deleted by hand leaves the manifest; a lower k trims the rest.
    Path(keep.checkpoints[0]["path"]).unlink()
    third, _ = fit_scripted(tmp_path, [0.2], seed=2, save_top_k=1)
    assert_manifest_matches(tmp_path, [first, second, third], [0.6])


def test_best_checkpoints_refuses_another_monitor_on_resume(tmp_path):
    fit_scripted(tmp_path, [0.5])
    x, y = data(16)
    with pytest.raises(ValueError, match="ranked by 'score'.*monitor='loss'"):
        model().fit(x, y, verbose=0, callbacks=[BestCheckpoints(tmp_path, "loss")])
    assert not (tmp_path / ".lock").exists()  # released on the way out


def test_best_checkpoints_leaves_a_live_run_alone(tmp_path):
    with running_until_written(KILL_SCRIPT, tmp_path, "checkpoints.json") as process:
        x, y = data(16)
        intruder = BestCheckpoints(tmp_path, monitor="loss")
        with pytest.raises(RuntimeError, match=f"live run \\(process {process.pid}"):
            model().fit(x, y, epochs=2, verbose=0, callbacks=[intruder])
        time.sleep(0.5)
        assert process.poll() is None  # the first run goes on saving
    # Once that run is dead, its lock and half-written files are taken over.
    (tmp_path / f".tmp-{process.pid}-epoch001-0.5000.keras").write_text("half")
    keep = BestCheckpoints(tmp_path, monitor="loss", save_top_k=1)
    model().fit(x, y, epochs=1, verbose=0, callbacks=[keep])
    assert not list(tmp_path.glob(".tmp-*"))
    assert not (tmp_path / ".lock").exists()


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
        assert history.history[f"val_f1/{name}"][-1] == pytest.approx(
            expected[2][i], abs=1e-6
        )
        assert saved[-1]["precision"][i] == pytest.approx(expected[0][i], abs=1e-6)
    macro = skm.f1_score(validation[1], predicted, average="macro", zero_division=0)
    assert saved[-1]["macro"]["f1"] == pytest.approx(macro, abs=1e-6)


def test_classification_report_intervals_are_bootstrap_percentiles(tmp_path, capsys):
    from keras_extras.metrics import Bootstrap

    x, y = data(96)
    validation = data(60, seed=7)
    path = tmp_path / "report.json"
    callback = ClassificationReport(
        validation,
        class_names=CLASSES,
        path=path,
        num_replicates=50,
        seed=3,
        verbose=1,
    )
    net = model()
    history = net.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    assert "] " in capsys.readouterr().out  # "value [low, high]" cells
    saved = json.loads(path.read_text())[-1]
    predictions = net.predict(validation[0], verbose=0)
    expected = skm.precision_recall_fscore_support(
        validation[1], predictions.argmax(-1), labels=[0, 1, 2], zero_division=0
    )
    same_draws = Bootstrap(
        ClassificationMetrics(
            num_classes=3,
            metrics=["precision", "recall", "f1"],
            average=None,
            class_names=CLASSES,
        ),
        num_replicates=50,
        seed=3,
    )
    same_draws.update_state(validation[1], predictions)
    direct = {k: float(v) for k, v in same_draws.result().items()}
    for row, score in enumerate(["precision", "recall", "f1"]):
        for i, name in enumerate(CLASSES):
            value = history.history[f"val_{score}/{name}"][-1]
            low = history.history[f"val_{score}/{name}_low"][-1]
            high = history.history[f"val_{score}/{name}_high"][-1]
            assert value == pytest.approx(expected[row][i], abs=1e-6)
            assert low <= value <= high
            assert low == pytest.approx(direct[f"{score}/{name}_low"], abs=1e-6)
            assert high == pytest.approx(direct[f"{score}/{name}_high"], abs=1e-6)
            assert saved[f"{score}_low"][i] == pytest.approx(low, abs=1e-6)
    macro = saved["macro"]
    assert macro["f1_low"] <= macro["f1"] <= macro["f1_high"]


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


def test_plot_history_draws_bootstrap_intervals_as_bands(tmp_path):
    from keras_extras.metrics import Bootstrap, F1Score

    x, y = data(96)
    plot = PlotHistory(tmp_path / "history.png")
    interval = Bootstrap(F1Score(num_classes=3, name="f1"), num_replicates=20, seed=0)
    model(metrics=[interval]).fit(
        x, y, epochs=2, validation_data=data(48, seed=6), verbose=0, callbacks=[plot]
    )
    assert "f1" in plot.panels and "f1_low" not in plot.panels
    for key in ("f1_low", "f1_high", "val_f1_low", "val_f1_high"):
        assert key in plot.history
    assert all(
        low <= value <= high
        for low, value, high in zip(
            plot.history["val_f1_low"],
            plot.history["val_f1"],
            plot.history["val_f1_high"],
            strict=True,
        )
    )


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


@pytest.mark.parametrize(
    "content,problem",
    [
        (b'{"monitor": "val_loss", "checkpoints": [{"ep', "not UTF-8 JSON"),
        (b"\xff\xfe not text", "not UTF-8 JSON"),
        (b'{"monitor": "val_loss", "checkpoints": {}}', "does not list"),
        (b"[1, 2]", "does not list"),
    ],
    ids=["truncated", "not_utf8", "not_a_list", "not_a_manifest"],
)
def test_a_corrupt_manifest_gets_a_clear_error_and_no_file_is_touched(
    tmp_path, content, problem
):
    x, y = data(32)
    kept = tmp_path / "epoch001-0.5000.keras"
    kept.write_bytes(b"a checkpoint")
    (tmp_path / "checkpoints.json").write_bytes(content)
    keep = BestCheckpoints(tmp_path, monitor="val_loss", save_top_k=1)
    with pytest.raises(ValueError, match=f"checkpoints.json.*{problem}.*aside"):
        model().fit(
            x, y, epochs=1, validation_data=data(8), verbose=0, callbacks=[keep]
        )
    assert kept.read_bytes() == b"a checkpoint"
    assert not (tmp_path / ".lock").exists()  # the directory is free again
    # Moved aside, as the message says: the next run ranks anew beside the file.
    (tmp_path / "checkpoints.json").rename(tmp_path / "old.json")
    model().fit(x, y, epochs=1, validation_data=data(8), verbose=0, callbacks=[keep])
    assert kept.read_bytes() == b"a checkpoint"
    assert len(keep.checkpoints) == 1


# ---------------------------------------------------------------- two outputs


def test_two_outputs_with_classification_metrics_keep_both_sets_of_keys(tmp_path):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(64, 4)).astype("float32")
    labels_a = rng.integers(0, 3, 64)
    labels_b = rng.integers(0, 3, 64)
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(4,))
    outputs = {
        "a": keras.layers.Dense(3, activation="softmax", name="a")(inputs),
        "b": keras.layers.Dense(3, activation="softmax", name="b")(inputs),
    }
    net = keras.Model(inputs, outputs)
    net.compile(
        optimizer="sgd",
        loss="sparse_categorical_crossentropy",
        metrics={
            "a": [ClassificationMetrics(num_classes=3, metrics=["f1", "mcc"])],
            "b": [ClassificationMetrics(num_classes=3, metrics=["f1"]), "accuracy"],
        },
    )
    keep = BestCheckpoints(tmp_path, monitor="val_a_f1", save_top_k=1)
    targets = {"a": labels_a, "b": labels_b}
    history = net.fit(
        x,
        targets,
        epochs=2,
        validation_data=(x, targets),
        verbose=0,
        callbacks=[keep],
    )
    for key in ("a_f1", "a_mcc", "b_f1", "b_accuracy", "val_a_f1", "val_b_f1"):
        assert key in history.history, sorted(history.history)
    assert "f1" not in history.history
    assert keep._resolved_mode == "max"
    logs = net.evaluate(x, targets, verbose=0, return_dict=True)
    predicted = net.predict(x, verbose=0)
    for output, labels in targets.items():
        expected = skm.f1_score(
            labels, predicted[output].argmax(-1), average="macro", labels=[0, 1, 2]
        )
        assert logs[f"{output}_f1"] == pytest.approx(expected, abs=1e-5)


def test_per_class_scores_are_scalar_log_keys_for_csv_and_tensorboard(tmp_path):
    x, y = data(96)
    validation = data(48, seed=4)
    per_class = ClassificationMetrics(
        num_classes=3, metrics=["f1", "mcc"], average=None, class_names=CLASSES
    )
    net = model(metrics=[per_class])
    callbacks = [keras.callbacks.CSVLogger(str(tmp_path / "log.csv"))]
    if importlib.util.find_spec("tensorboard"):  # its writer needs TensorBoard
        callbacks.append(keras.callbacks.TensorBoard(str(tmp_path / "tb")))
    net.fit(x, y, epochs=2, validation_data=validation, verbose=0, callbacks=callbacks)
    header, *rows = (tmp_path / "log.csv").read_text().splitlines()
    columns = header.split(",")
    for name in CLASSES:
        assert f"f1/{name}" in columns and f"val_f1/{name}" in columns
    assert "mcc" in columns  # scalar scores keep their plain key
    last = dict(zip(columns, rows[-1].split(","), strict=True))
    predicted = net.predict(validation[0], verbose=0).argmax(-1)
    expected = skm.f1_score(validation[1], predicted, average=None, labels=[0, 1, 2])
    got = [float(last[f"val_f1/{name}"]) for name in CLASSES]
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_class_names_are_checked():
    with pytest.raises(ValueError, match="class_names"):
        ClassificationMetrics(num_classes=3, class_names=["a", "b"])
    with pytest.raises(ValueError, match="class_names"):
        ClassificationMetrics(num_classes=2, class_names=["a", "a"])
    metric = ClassificationMetrics(num_classes=3, class_names=CLASSES, average=None)
    clone = ClassificationMetrics.from_config(metric.get_config())
    assert clone.class_names == CLASSES


def test_curve_plot_and_reliability_diagram_draw_what_the_metrics_hold(tmp_path):
    from keras_extras.metrics import AUROC

    x, y = data(96)
    validation = data(64, seed=5)
    curves = CurvePlot(
        validation, tmp_path / "curves.png", 3, CLASSES, every_n_epochs=1
    )
    reliability = ReliabilityDiagram(validation, tmp_path / "rel.png", num_bins=5)
    net = model()
    net.fit(x, y, epochs=2, verbose=0, callbacks=[curves, reliability])
    assert (tmp_path / "curves.png").stat().st_size > 0
    assert (tmp_path / "rel.png").stat().st_size > 0
    probs = net.predict(validation[0], verbose=0)
    metric = AUROC(num_classes=3, average=None)
    metric.update_state(validation[1], probs)
    fpr, tpr, _ = metric.roc_curve()
    np.testing.assert_allclose(curves.curves["fpr"], fpr, atol=1e-6)
    np.testing.assert_allclose(curves.curves["tpr"], tpr, atol=1e-6)
    # The reliability bins from the definition: top-label confidence, hit rate.
    confidence = probs.max(-1)
    hit = (probs.argmax(-1) == validation[1]).astype(float)
    bins = np.minimum((confidence * 5).astype(int), 4)
    for b in range(5):
        inside = bins == b
        assert reliability.bins["weight"][b] == pytest.approx(inside.sum())
        if inside.any():
            assert reliability.bins["accuracy"][b] == pytest.approx(hit[inside].mean())
            assert reliability.bins["confidence"][b] == pytest.approx(
                confidence[inside].mean(), abs=1e-6
            )


def test_liveness_check_never_signals_on_windows(monkeypatch):
    from keras_extras.callbacks import _files

    def refuse(*args):
        raise AssertionError("os.kill would send Ctrl-C on Windows")

    monkeypatch.setattr(_files.os, "name", "nt")
    monkeypatch.setattr(_files.os, "kill", refuse)
    assert _files.process_alive(12345) is True

"""`BackupAndRestore`: a run interrupted at an epoch boundary and started again
with fresh objects is the run it would have been (stopped epoch, learning rate,
weights, History), where Keras' own callback loses the callbacks' state."""

import json
import textwrap

import keras
import numpy as np
import pytest
from helpers import kill_at_a_random_moment

import keras_extras.callbacks as kec
from keras_extras.callbacks import backup as backup_module

EPOCHS = 40


class Interrupt(keras.callbacks.Callback):
    """Raises at the beginning of epoch `at` (a preempted machine)."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            raise KeyboardInterrupt(f"interrupted at epoch {epoch}")


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x @ rng.normal(size=(4, 1)) + 0.8 * rng.normal(size=(64, 1))).astype("float32")
    return x, y


def callbacks(backup_dir, keras_backup=False):
    """Keras' EarlyStopping (best weights kept) and ReduceLROnPlateau, and
    keras-extras' EarlyStopping on another key, after the backup."""
    backup = (
        keras.callbacks.BackupAndRestore(str(backup_dir))
        if keras_backup
        else kec.BackupAndRestore(backup_dir)
    )
    return [
        backup,
        keras.callbacks.ReduceLROnPlateau("loss", factor=0.5, patience=1),
        keras.callbacks.EarlyStopping(
            "loss", patience=4, min_delta=1e-3, restore_best_weights=True
        ),
        kec.EarlyStopping("mae", patience=6, min_delta=1e-3),
    ]


def train(backup_dir, interrupt_at=None, keras_backup=False):
    """A fresh model (same initial weights) and fresh callbacks: the History,
    the final weights and learning rate; or None when interrupted."""
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.2), loss="mse", metrics=["mae"])
    extra = [] if interrupt_at is None else [Interrupt(interrupt_at)]
    x, y = data()
    try:
        history = model.fit(
            x,
            y,
            epochs=EPOCHS,
            batch_size=16,
            shuffle=False,
            verbose=0,
            callbacks=callbacks(backup_dir, keras_backup) + extra,
        )
    except KeyboardInterrupt:
        return None
    learning_rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    return history, model.get_weights(), learning_rate


def waiting_epoch(history):
    """The first epoch after one without improvement: Keras' EarlyStopping
    and ReduceLROnPlateau are waiting there."""
    losses = history.history["loss"]
    for epoch in range(1, len(losses) - 1):
        if losses[epoch] > min(losses[:epoch]) - 1e-3:
            return epoch + 1
    raise AssertionError(f"the loss never stalls: {losses}")


def test_an_interrupted_run_resumes_to_the_same_run(tmp_path):
    straight, weights, learning_rate = train(tmp_path / "straight")
    stopped = len(straight.epoch)
    assert stopped < EPOCHS  # early stopping ended it
    assert learning_rate < 0.2  # the plateau reduced the rate
    at = waiting_epoch(straight)
    assert at < stopped
    assert train(tmp_path / "resumed", interrupt_at=at) is None
    saved = json.loads((tmp_path / "resumed" / backup_module.STATE_FILE).read_text())
    assert saved["epoch"] == at
    resumed, resumed_weights, resumed_rate = train(tmp_path / "resumed")
    assert resumed.epoch == straight.epoch  # every epoch, the first ones too
    assert resumed_rate == learning_rate
    for key, values in straight.history.items():
        np.testing.assert_allclose(resumed.history[key], values, rtol=1e-6, err_msg=key)
    for got, want in zip(resumed_weights, weights, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert not (tmp_path / "resumed").exists()  # deleted at the end


def test_keras_backup_and_restore_gives_another_run(tmp_path):
    """The failure this callback exists for: with Keras' own, the resumed
    run differs (its callbacks start over)."""
    straight, _, learning_rate = train(tmp_path / "straight", keras_backup=True)
    at = waiting_epoch(straight)
    assert train(tmp_path / "resumed", interrupt_at=at, keras_backup=True) is None
    resumed, _, resumed_rate = train(tmp_path / "resumed", keras_backup=True)
    same = resumed.epoch == straight.epoch[at:] and resumed_rate == learning_rate
    assert not same


def test_a_backup_of_other_callbacks_is_refused(tmp_path):
    assert train(tmp_path, interrupt_at=3) is None
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = data()
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau.*this run has \[.*\]"):
        model.fit(
            x,
            y,
            epochs=2,
            verbose=0,
            callbacks=[kec.BackupAndRestore(tmp_path), kec.EarlyStopping("loss")],
        )


def test_callbacks_of_one_class_are_told_apart(tmp_path):
    """Two early stoppers swapped between runs (or Keras' replaced by
    keras-extras'): refused, not given each other's state."""
    x, y = data()

    def fit(stoppers, interrupt_at=None):
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
        extra = [] if interrupt_at is None else [Interrupt(interrupt_at)]
        model.fit(
            x, y, epochs=6, verbose=0,
            callbacks=[kec.BackupAndRestore(tmp_path), *stoppers, *extra],
        )  # fmt: skip

    with pytest.raises(KeyboardInterrupt):
        fit([kec.EarlyStopping("loss"), kec.EarlyStopping("mae", mode="max")], 1)
    with pytest.raises(ValueError, match=r"monitor='mae', mode='max'.*this run"):
        fit([kec.EarlyStopping("mae", mode="max"), kec.EarlyStopping("loss")])
    with pytest.raises(ValueError, match=r"keras_extras.*this run has .*keras\.src"):
        fit(
            [
                keras.callbacks.EarlyStopping("loss"),
                kec.EarlyStopping("mae", mode="max"),
            ]
        )


def test_a_state_that_json_cannot_hold_is_refused_before_any_file(tmp_path):
    class ByEpoch(keras.callbacks.Callback):
        def get_state(self):
            return {"by_epoch": {0: 1.0}}

        def set_state(self, state):
            pass

    x, y = data()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match=r"ByEpoch.get_state\(\)\['by_epoch'\].*key 0"):
        model.fit(
            x, y, epochs=2, verbose=0,
            callbacks=[kec.BackupAndRestore(tmp_path), ByEpoch()],
        )  # fmt: skip
    assert not list(tmp_path.glob("backup-*"))


def test_a_failed_save_leaves_the_previous_backup(tmp_path, monkeypatch):
    """A save that dies after writing the weights (as a kill would) leaves
    the previous backup whole: the run resumes from it."""
    assert train(tmp_path, interrupt_at=3) is None
    before = json.loads((tmp_path / backup_module.STATE_FILE).read_text())

    def dies(path, arrays):
        raise KeyboardInterrupt("killed while saving")

    monkeypatch.setattr(backup_module, "_save_npz", dies)
    assert train(tmp_path, interrupt_at=6) is None
    after = json.loads((tmp_path / backup_module.STATE_FILE).read_text())
    assert after == before
    assert (tmp_path / before["weights"]).exists()
    assert (tmp_path / before["arrays"]).exists()
    monkeypatch.undo()
    resumed, weights, rate = train(tmp_path)
    straight, straight_weights, straight_rate = train(tmp_path / "straight")
    assert resumed.epoch == straight.epoch and rate == straight_rate
    for key, values in straight.history.items():
        np.testing.assert_allclose(resumed.history[key], values, rtol=1e-6)
    for got, want in zip(weights, straight_weights, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_config_and_bad_arguments():
    callback = kec.BackupAndRestore("somewhere", delete_checkpoint=False)
    assert kec.BackupAndRestore.from_config(callback.get_config()).get_config() == {
        "backup_dir": "somewhere",
        "delete_checkpoint": False,
        "save_freq": "epoch",
    }
    with pytest.raises(ValueError, match="save_freq=0"):
        kec.BackupAndRestore("somewhere", save_freq=0)
    with pytest.raises(TypeError, match="save_freq='batch'"):
        kec.BackupAndRestore("somewhere", save_freq="batch")
    with pytest.raises(ValueError, match="backup_dir=''"):
        kec.BackupAndRestore("")
    with pytest.raises(TypeError, match="delete_checkpoint=1"):
        kec.BackupAndRestore("somewhere", delete_checkpoint=1)


def test_it_must_come_first_and_a_later_fit_starts_where_it_asks(tmp_path):
    x, y = data()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    late = [kec.EarlyStopping("loss"), kec.BackupAndRestore(tmp_path)]
    with pytest.raises(ValueError, match=r"must come first.*'EarlyStopping', "):
        model.fit(x, y, epochs=1, verbose=0, callbacks=late)
    assert train(tmp_path / "run", interrupt_at=3) is None
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.2), loss="mse", metrics=["mae"])
    resumed = model.fit(
        x, y, epochs=5, verbose=0, callbacks=callbacks(tmp_path / "run")
    )
    assert resumed.epoch == [0, 1, 2, 3, 4]  # History of the whole run
    again = model.fit(x, y, epochs=2, verbose=0)  # not from epoch 3 again
    assert again.epoch == [0, 1]


def test_a_finished_run_kept_with_delete_checkpoint_false_ends_as_it_did(tmp_path):
    """The backup kept is the one taken when the last epoch began: the program
    started again trains that epoch again and ends as the run did."""

    def run():
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.2), loss="mse")
        x, y = data()
        backup = kec.BackupAndRestore(tmp_path, delete_checkpoint=False)
        stop = keras.callbacks.EarlyStopping("loss", patience=2, min_delta=1e-2)
        history = model.fit(
            x, y, epochs=EPOCHS, batch_size=16, shuffle=False, verbose=0,
            callbacks=[backup, stop],
        )  # fmt: skip
        return history, model.get_weights()

    first, weights = run()
    assert len(first.epoch) < EPOCHS and (tmp_path / backup_module.STATE_FILE).exists()
    again, again_weights = run()
    assert again.epoch == first.epoch
    np.testing.assert_allclose(again.history["loss"], first.history["loss"], rtol=1e-6)
    for got, want in zip(again_weights, weights, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


KILL_SCRIPT = textwrap.dedent(
    """
    import sys, numpy as np, keras
    from keras_extras.callbacks import BackupAndRestore
    net = keras.Sequential([keras.Input(shape=(256,)),
                            keras.layers.Dense(512), keras.layers.Dense(3)])
    net.compile(optimizer="adam", loss="mse")
    x = np.random.rand(64, 256).astype("float32")
    y = np.random.rand(64, 3).astype("float32")
    stop = keras.callbacks.EarlyStopping("loss", patience=10**6,
                                         restore_best_weights=True)
    print("ready", flush=True)
    net.fit(x, y, epochs=10000, verbose=0,
            callbacks=[BackupAndRestore(sys.argv[1]), stop])
    """
)


def test_a_sigkill_during_saves_leaves_a_backup_that_resumes(tmp_path):
    """Training that backs up every epoch (most of its time spent saving
    weights and best weights) is killed at a random moment, twice: the backup
    named in backup.json is whole, and a run resumes from it."""
    rng = np.random.default_rng(0)
    for attempt in range(2):
        directory = tmp_path / str(attempt)
        kill_at_a_random_moment(KILL_SCRIPT, directory, backup_module.STATE_FILE, rng)
        saved = json.loads((directory / backup_module.STATE_FILE).read_text())
        net = keras.Sequential(
            [keras.Input(shape=(256,)), keras.layers.Dense(512), keras.layers.Dense(3)]
        )
        net.compile(optimizer="adam", loss="mse")
        stop = keras.callbacks.EarlyStopping(
            "loss", patience=10**6, restore_best_weights=True
        )
        x = rng.random((8, 256)).astype("float32")
        y = rng.random((8, 3)).astype("float32")
        history = net.fit(
            x, y, epochs=saved["epoch"] + 1, verbose=0,
            callbacks=[kec.BackupAndRestore(directory), stop],
        )  # fmt: skip
        assert history.epoch[-1] == saved["epoch"]
        assert len(stop.best_weights) == len(net.get_weights())


class FakeTime(keras.callbacks.Callback):
    """A clock that moves one second per training step, from `start` (a new
    process's clock reads something else than the old one's)."""

    def __init__(self, start):
        super().__init__()
        self.now = float(start)

    def __call__(self):
        return self.now

    def on_train_batch_end(self, batch, logs=None):
        self.now += 1.0


def test_time_limit_plot_history_and_a_bootstrap_metric_resume(tmp_path):
    """A resumed run has what was left of its time budget (not all of it
    again), its plot shows every epoch, and a Bootstrap metric's draws are the
    straight run's (its generator starts again at each epoch's reset)."""
    import keras_extras.metrics as kem

    x, y = data()  # 4 steps of 16 per epoch: the budget of 10 s ends in epoch 2

    def run(directory, start, interrupt_at=None):
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        metric = kem.Bootstrap(kem.R2Score(), num_replicates=20, seed=4)
        model.compile(optimizer="sgd", loss="mse", metrics=[metric])
        clock = FakeTime(start)
        limit = kec.TimeLimit(10.0)
        limit.clock = clock
        plot = kec.PlotHistory(directory / "history.png")
        extra = [] if interrupt_at is None else [Interrupt(interrupt_at)]
        try:
            history = model.fit(
                x, y, epochs=10, batch_size=16, shuffle=False, verbose=0,
                callbacks=[kec.BackupAndRestore(directory / "backup"), clock,
                           limit, plot, *extra],
            )  # fmt: skip
        except KeyboardInterrupt:
            return None
        return history, limit, plot

    straight, limit, plot = run(tmp_path / "straight", start=0)
    assert limit.stopped_epoch == 2 and straight.epoch == [0, 1, 2]
    assert run(tmp_path / "resumed", start=0, interrupt_at=2) is None
    resumed, resumed_limit, resumed_plot = run(tmp_path / "resumed", start=500)
    assert resumed.epoch == straight.epoch
    assert resumed_limit.stopped_epoch == 2
    assert resumed_limit.stop_reason == limit.stop_reason
    assert resumed_plot.epochs == plot.epochs == [1, 2, 3]
    assert resumed_plot.history == plot.history
    for key, values in straight.history.items():  # the intervals included
        np.testing.assert_allclose(resumed.history[key], values, rtol=1e-5, err_msg=key)


class InterruptInEpoch(keras.callbacks.Callback):
    """Raises before batch `batch` of epoch `epoch` (a kill mid-epoch)."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.at, self.batch, self.epoch = epoch, batch, None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if self.epoch == self.at and batch == self.batch:
            raise KeyboardInterrupt(f"interrupted in epoch {self.epoch}")


@pytest.mark.parametrize("batch", [3, 2])
def test_a_run_interrupted_mid_epoch_resumes_from_the_batch_backed_up(tmp_path, batch):
    """Backups every 3 batches of 4: interrupted before batch 3 of epoch 2
    (a backup after batch 3 exists) or before batch 2 (the last backup is the
    epoch's start), the resumed run ends as the straight one, the interrupted
    epoch's training metrics included."""
    x, y = data()

    def run(directory, interrupt=None):
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        model.compile(
            optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
            loss="mse",
            metrics=["mae"],
        )
        extra = [] if interrupt is None else [InterruptInEpoch(*interrupt)]
        try:
            history = model.fit(
                x, y, epochs=5, batch_size=16, shuffle=False, verbose=0,
                callbacks=[kec.BackupAndRestore(directory, save_freq=3),
                           keras.callbacks.ReduceLROnPlateau("loss", patience=1),
                           *extra],
            )  # fmt: skip
        except KeyboardInterrupt:
            return None
        return history, model.get_weights()

    straight, weights = run(tmp_path / "straight")
    assert run(tmp_path / "resumed", interrupt=(2, batch)) is None
    saved = json.loads((tmp_path / "resumed" / backup_module.STATE_FILE).read_text())
    assert (saved["epoch"], saved["step"]) == ((2, 3) if batch == 3 else (2, 0))
    resumed, resumed_weights = run(tmp_path / "resumed")
    assert resumed.epoch == straight.epoch
    for key, values in straight.history.items():
        np.testing.assert_allclose(resumed.history[key], values, rtol=1e-5, err_msg=key)
    for got, want in zip(resumed_weights, weights, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_the_resumed_run_keeps_the_same_checkpoints(tmp_path):
    """BestCheckpoints (its top k read back from its manifest) keeps the same
    epochs with the same scores in the resumed run as in the straight one."""
    x, y = data()

    def run(directory, interrupt_at=None):
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.2), loss="mse")
        keep = kec.BestCheckpoints(
            directory / "checkpoints", monitor="loss", save_top_k=2, save_last=False
        )
        stop = keras.callbacks.EarlyStopping("loss", patience=2, min_delta=1e-2)
        extra = [] if interrupt_at is None else [Interrupt(interrupt_at)]
        try:
            model.fit(
                x, y, epochs=EPOCHS, batch_size=16, shuffle=False, verbose=0,
                callbacks=[kec.BackupAndRestore(directory / "backup"), keep,
                           stop, *extra],
            )  # fmt: skip
        except KeyboardInterrupt:
            return None
        return [(c["epoch"], c["score"]) for c in keep.checkpoints]

    straight = run(tmp_path / "straight")
    assert run(tmp_path / "resumed", interrupt_at=4) is None
    resumed = run(tmp_path / "resumed")
    assert [epoch for epoch, _ in resumed] == [epoch for epoch, _ in straight]
    np.testing.assert_allclose(
        [score for _, score in resumed], [score for _, score in straight], rtol=1e-6
    )

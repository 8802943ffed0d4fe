"""Back up a run at every epoch and resume it as the run it would have been:
weights, optimizer, epoch, and the state of the other callbacks."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_extras._keras_compat import set_initial_epoch, sibling_callbacks
from keras_extras._validation import check_bool, check_int
from keras_extras.callbacks._files import atomic_write
from keras_extras.callbacks.base import ConfigMixin
from keras_extras.distributed import process_count

STATE_FILE = "backup.json"
FORMAT = 1

# The state of Keras' own stateful callbacks: public attributes, read and
# written as they are. A callback of this library or a user's declares its own
# with `get_state()` / `set_state(state)` (see `BackupAndRestore`).
KERAS_STATE_FIELDS: tuple[tuple[type, tuple[str, ...]], ...] = (
    (
        keras.callbacks.EarlyStopping,
        ("wait", "stopped_epoch", "best", "best_epoch", "best_weights"),
    ),
    (keras.callbacks.ReduceLROnPlateau, ("wait", "cooldown_counter", "best")),
    (keras.callbacks.History, ("history", "epoch")),
    (keras.callbacks.ModelCheckpoint, ("best",)),
)


def has_state(callback: Any) -> bool:
    """Whether `callback` has state to back up (the protocol, or a Keras
    callback whose state is known)."""
    if hasattr(callback, "get_state") and hasattr(callback, "set_state"):
        return True
    return any(isinstance(callback, kind) for kind, _ in KERAS_STATE_FIELDS)


def callback_state(callback: Any) -> dict[str, Any]:
    """`callback`'s state to back up (`has_state(callback)` is true)."""
    if hasattr(callback, "get_state") and hasattr(callback, "set_state"):
        state: dict[str, Any] = callback.get_state()
        return state
    for kind, fields in KERAS_STATE_FIELDS:
        if isinstance(callback, kind):
            return {field: getattr(callback, field, None) for field in fields}
    raise TypeError(f"{type(callback).__name__} keeps no state to back up")


def restore_callback_state(callback: Any, state: dict[str, Any]) -> None:
    """Give `callback` back the state `callback_state` read from it."""
    if hasattr(callback, "get_state") and hasattr(callback, "set_state"):
        callback.set_state(state)
        return
    for field, value in state.items():
        setattr(callback, field, value)


def signature(callback: Any) -> str:
    """What a backup records of a stateful callback, to match it on resume:
    its class (with its module) and, for a monitor callback, what it watches
    and which way (two callbacks of one class stay apart)."""
    kind = type(callback)
    name = f"{kind.__module__}.{kind.__qualname__}"
    if hasattr(callback, "monitor"):
        mode = getattr(callback, "requested_mode", getattr(callback, "mode", None))
        name += f"(monitor={callback.monitor!r}, mode={mode!r})"
    return name


def _encode(value: Any, arrays: dict[str, np.ndarray], where: str = "state") -> Any:
    """`value` as JSON, its arrays (and tensors) moved into `arrays`; a
    `TypeError` naming `where` for a dict key that is not a string (JSON
    would bring it back as one)."""
    if ops.is_tensor(value):
        value = ops.convert_to_numpy(value)
    if isinstance(value, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = value
        return {"__array__": key}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(
                    f"{where} must have string keys (it is saved as JSON). "
                    f"Received: key {key!r} of type {type(key).__name__}"
                )
        return {k: _encode(v, arrays, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v, arrays, where) for v in value]
    return value


def _decode(value: Any, arrays: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            return np.asarray(arrays[value["__array__"]])
        return {k: _decode(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    return value


class BackupAndRestore(ConfigMixin, keras.callbacks.Callback):
    """Back up the run at each epoch, and resume an interrupted run exactly.

    A drop-in for `keras.callbacks.BackupAndRestore` (its `backup_dir` and
    `delete_checkpoint`) that also backs up the state of the other callbacks
    of the run, so that a run interrupted (an exception, a preempted machine,
    a killed process) and started again with fresh objects stops at the same
    epoch, with the same learning rate and weights, and the same History:

    - Keras' `EarlyStopping` (wait, best value, best epoch and
      `restore_best_weights`' best weights), `ReduceLROnPlateau` (wait,
      cooldown, best value), `ModelCheckpoint` (best value) and `History`
      (every epoch's logs);
    - any callback that implements the protocol: `get_state()` returns a dict
      of JSON values (strings, numbers, None, lists, dicts with string keys;
      tuples come back as lists) and numpy arrays, and `set_state(state)`
      takes it back. keras-extras' `EarlyStopping` does.

    Keras' own callback restores weights, optimizer and epoch only: with it,
    `EarlyStopping` starts waiting again, and `ReduceLROnPlateau` forgets its
    plateau. The backup is taken when the next epoch begins, once every
    callback has recorded the epoch that ended (including learning rate
    changes); each backup is complete or absent: its weights and state files
    are written under new names, then one small file naming them is replaced
    atomically, so a kill during a save leaves the previous backup usable. A
    backup made with another list of stateful callbacks (each known by its
    class and, for a monitor, its monitored key and mode) is refused with a
    `ValueError` naming both lists; one of another model fails to load its
    weights. It must come first in `callbacks` (a `ValueError` says so), and
    a run is the same run again when its batches come in the same order
    (`shuffle=False`, or a seeded dataset): the shuffling and dropout
    generators are not backed up. Single-process runs only.

    With `save_freq=N` it also backs up every N training batches, with the
    state of the compiled metrics, and a run resumed from such a backup goes
    on from the same batch: the epoch's batches before it run again (their
    results are thrown away, so the epoch's logs and weights are the
    straight run's) and the backed-up weights, optimizer and metrics are put
    back before the next one.

    Args:
        backup_dir: the folder of the backup (created; used by nothing else).
        delete_checkpoint: delete the backup when training ends (as Keras').
            With False, the backup taken when the last epoch began is kept:
            the program started again trains that epoch again and ends as
            the run did. Defaults to True.
        save_freq: "epoch", or a number of training batches between backups
            (within an epoch; every epoch also begins with one). Defaults to
            "epoch".

    Example:
        >>> import keras, numpy as np, tempfile
        >>> from keras_extras.callbacks import BackupAndRestore, EarlyStopping
        >>> x, y = np.ones((8, 2), "float32"), np.ones((8, 1), "float32")
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> backup = BackupAndRestore(tempfile.mkdtemp())
        >>> history = model.fit(x, y, epochs=2, verbose=0,
        ...                     callbacks=[backup, EarlyStopping("loss")])
        >>> len(history.history["loss"])
        2
    """

    config_fields = ("backup_dir", "delete_checkpoint", "save_freq")

    def __init__(
        self,
        backup_dir: str | os.PathLike[str],
        delete_checkpoint: bool = True,
        save_freq: int | str = "epoch",
    ) -> None:
        super().__init__()
        if not backup_dir or not isinstance(backup_dir, (str, os.PathLike)):
            raise ValueError(
                "Invalid `backup_dir`: expected a folder path. Received: "
                f"backup_dir={backup_dir!r}"
            )
        self.backup_dir = str(backup_dir)
        self.delete_checkpoint = check_bool("delete_checkpoint", delete_checkpoint)
        if save_freq != "epoch":
            save_freq = check_int("save_freq", save_freq)
        self.save_freq = save_freq
        self.siblings: list[Any] = []
        self.epoch = 0
        self.resume_step = 0  # the batch a resumed epoch goes on from
        self.resume_weights: Path | None = None
        self.resume_metrics: list[np.ndarray] | None = None
        self.pending: list[dict[str, Any]] | None = None
        self.first_epoch: int | None = None

    @property
    def folder(self) -> Path:
        return Path(self.backup_dir)

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        siblings = sibling_callbacks(self)
        if siblings and siblings[0] is not self:
            raise ValueError(
                "BackupAndRestore must come first in `callbacks`: it backs up "
                "the run before any other callback acts on the next epoch, and "
                "gives them their state back before they act on a resumed one. "
                f"Received: callbacks={[type(c).__name__ for c in siblings]}"
            )
        if siblings and process_count() > 1:
            raise ValueError(
                "BackupAndRestore backs up a single-process run; in a run of "
                f"{process_count()} processes use Keras' own. Received: "
                f"{process_count()} processes"
            )
        self.siblings = siblings[1:]

    def stateful(self) -> list[Any]:
        """Every other callback of the run that has state, in order."""
        return [callback for callback in self.siblings if has_state(callback)]

    # ------------------------------------------------------------ restore

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.first_epoch = None
        self.pending = None
        self.resume_step, self.resume_metrics = 0, None
        path = self.folder / STATE_FILE
        if not path.exists():
            return
        saved = json.loads(path.read_text())
        if saved.get("format") != FORMAT:
            raise ValueError(
                f"{path} is not a keras-extras backup of format {FORMAT}. "
                f"Received: format={saved.get('format')!r}"
            )
        names = [signature(c) for c in self.stateful()]
        if names != saved["callbacks"]:
            raise ValueError(
                f"The backup in {self.backup_dir} was made with the stateful "
                f"callbacks {saved['callbacks']}, and this run has {names}: pass "
                "the same callbacks, in the same order, or another `backup_dir`."
            )
        if not self.model.built:
            raise ValueError(
                "BackupAndRestore restores weights into a built model: build "
                "it (keras.Input, or call it on a batch) before `fit()`."
            )
        optimizer = self.model.optimizer
        if optimizer is not None and not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        self.model.load_weights(self.folder / saved["weights"])
        with np.load(self.folder / saved["arrays"]) as arrays:
            arrays = dict(arrays)
        self.pending = _decode(saved["states"], arrays)
        self.resume_step = int(saved.get("step", 0))
        self.resume_weights = self.folder / saved["weights"]
        self.resume_metrics = _decode(saved.get("metrics"), arrays)
        set_initial_epoch(self.model, int(saved["epoch"]))

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch = epoch
        if self.first_epoch is None:
            # Every callback has run `on_train_begin` (which resets most of
            # them): give them their state back now. `fit` has read the epoch
            # to start from: a later `fit` of this model starts where it asks.
            self.first_epoch = epoch
            if self.pending is not None:
                set_initial_epoch(self.model, None)
            if self.pending is not None:
                for callback, state in zip(self.stateful(), self.pending, strict=True):
                    restore_callback_state(callback, state)
                self.pending = None
            return
        self.save(epoch)

    def on_train_batch_begin(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        if self.resume_step and batch == self.resume_step:
            # The resumed epoch's earlier batches ran again from the backed-up
            # weights: put back what the run held after them.
            self.model.load_weights(self.resume_weights)
            for variable, value in zip(
                _metric_variables(self.model), self.resume_metrics or [], strict=True
            ):
                variable.assign(value)
            self.resume_step, self.resume_metrics = 0, None

    def on_train_batch_end(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        if self.save_freq == "epoch" or self.resume_step:
            return
        done = batch + 1
        if done % int(self.save_freq) or done == self.params.get("steps"):
            return  # the epoch's last batch: the next epoch's backup follows
        self.save(self.epoch, step=done)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.resume_step:
            raise RuntimeError(
                f"The backup in {self.backup_dir} was taken after batch "
                f"{self.resume_step} of epoch {epoch + 1}, but this epoch ended "
                "before it: resume with the same data and batch size."
            )

    # ------------------------------------------------------------ back up

    def save(self, epoch: int, step: int = 0) -> None:
        """Back up the run as it stands before `epoch` (weights, optimizer,
        the other callbacks' state), or after `step` batches of it (with the
        compiled metrics' state), then drop the previous backup."""
        self.folder.mkdir(parents=True, exist_ok=True)
        stateful = self.stateful()
        arrays: dict[str, np.ndarray] = {}
        states = [
            _encode(callback_state(c), arrays, f"{type(c).__name__}.get_state()")
            for c in stateful
        ]
        metrics = None
        if step:
            values = [
                ops.convert_to_numpy(v.value) for v in _metric_variables(self.model)
            ]
            metrics = _encode(values, arrays)
        weights = f"backup-{epoch}-{step}.weights.h5"
        saved_arrays = f"backup-{epoch}-{step}.npz"
        record = json.dumps(
            {
                "format": FORMAT,
                "epoch": epoch,
                "step": step,
                "weights": weights,
                "arrays": saved_arrays,
                "callbacks": [signature(c) for c in stateful],
                "states": states,
                "metrics": metrics,
            }
        )  # before any file is written: a state JSON cannot hold fails here
        atomic_write(
            self.folder / weights,
            lambda path: self.model.save_weights(path, overwrite=True),
        )
        atomic_write(
            self.folder / saved_arrays,
            lambda path: _save_npz(path, arrays),
        )
        atomic_write(
            self.folder / STATE_FILE, lambda path: Path(path).write_text(record)
        )
        for old in self.folder.glob("backup-*"):
            if old.name not in (weights, saved_arrays):
                old.unlink(missing_ok=True)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        # With delete_checkpoint=False the last backup stays: the one taken
        # when the last epoch began. Started again, the run trains that epoch
        # again and ends as it did (a backup after the end would have to
        # stand for the stop itself, and for what other callbacks do then).
        if not self.delete_checkpoint:
            return
        (self.folder / STATE_FILE).unlink(missing_ok=True)
        for old in self.folder.glob("backup-*"):
            old.unlink(missing_ok=True)
        if self.folder.exists() and not any(self.folder.iterdir()):
            self.folder.rmdir()


def _metric_variables(model: Any) -> list[Any]:
    """The state of the model's compiled metrics and loss trackers."""
    return [variable for metric in model.metrics for variable in metric.variables]


def _save_npz(path: Any, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)  # type: ignore[arg-type]

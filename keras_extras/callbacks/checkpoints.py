"""Keep the k best checkpoints, each written atomically, with a manifest."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import keras

from keras_extras.callbacks._monitor import (
    MODES,
    as_float,
    is_better,
    is_finite,
    resolve_mode,
)
from keras_extras.callbacks.base import ConfigMixin
from keras_extras.validation import check_bool, check_int, check_one_of

MANIFEST = "checkpoints.json"
_TEMPORARY_PREFIX = ".tmp-"


def atomic_write(path: Path, write) -> None:
    """Call `write(temporary_path)`, flush it to disk, then rename it to `path`.

    The temporary file lives in the same directory (a rename across file systems
    is not atomic) and ends like `path` (Keras checks `.keras`, `.weights.h5`). A
    crash at any point leaves either the old `path` or the new one, never a
    truncated file.
    """
    path = Path(path)
    temporary = path.with_name(f"{_TEMPORARY_PREFIX}{os.getpid()}-{path.name}")
    try:
        write(temporary)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _write_text(text: str):
    def write(temporary: Path) -> None:
        temporary.write_text(text)

    return write


@keras.saving.register_keras_serializable(package="keras_extras")
class BestCheckpoints(ConfigMixin, keras.callbacks.Callback):
    """Keep the `save_top_k` best checkpoints by a monitored value, written atomically.

    At each epoch end, if the monitored value ranks among the `save_top_k` best seen,
    the model is saved to `directory / filename` (formatted with `epoch`, 1-based,
    and `monitor_value`); files that drop out of the top k are deleted. Every file is
    written to a temporary file in the same directory, flushed, then renamed, so a
    crash mid-save never leaves a truncated checkpoint (Keras writes `.keras` files
    in place). `checkpoints.json` lists the kept files (epoch, score, path), best
    first; it is itself replaced atomically, and only after the files it lists are
    complete. With `save_last=True`, `last.keras` always holds the latest epoch.

    Args:
        directory: where checkpoints go (created if needed).
        monitor: log key to rank by. Defaults to "val_loss".
        mode: "min", "max" or "auto" (from the metric's direction; losses are
            minimised). Defaults to "auto".
        save_top_k: how many best files to keep, >= 1. Defaults to 3.
        save_last: also keep `last.keras` (or `last.weights.h5`). Defaults to True.
        filename: format string for file names. Defaults to
            "epoch{epoch:03d}-{monitor_value:.4f}.keras".
        save_weights_only: save weights only (the filename must then end with
            ".weights.h5"). Defaults to False.

    Attributes:
        best_model_path: path of the best file so far (None before the first save).
        checkpoints: list of `{"epoch", "score", "path"}`, best first.

    Example:
        >>> keep = BestCheckpoints("runs/checkpoints", monitor="val_loss", save_top_k=2)
        >>> keep.best_model_path is None
        True
    """

    def __init__(
        self,
        directory,
        monitor: str = "val_loss",
        mode: str = "auto",
        save_top_k: int = 3,
        save_last: bool = True,
        filename: str = "epoch{epoch:03d}-{monitor_value:.4f}.keras",
        save_weights_only: bool = False,
    ):
        super().__init__()
        self.directory = Path(directory)
        self.monitor = monitor
        self.mode = check_one_of("mode", mode, MODES)
        self.save_top_k = check_int("save_top_k", save_top_k, minimum=1)
        self.save_last = check_bool("save_last", save_last)
        self.save_weights_only = check_bool("save_weights_only", save_weights_only)
        suffix = ".weights.h5" if self.save_weights_only else ".keras"
        if not filename.endswith(suffix):
            raise ValueError(
                f"Invalid `filename`: with save_weights_only={self.save_weights_only}"
                f" it must end with {suffix!r}. Received: filename={filename!r}"
            )
        try:
            filename.format(epoch=1, monitor_value=0.5)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                "Invalid `filename`: it may use the fields {epoch} and "
                f"{{monitor_value}} only. Received: filename={filename!r}"
            ) from error
        self.filename = filename
        self.checkpoints: list[dict] = []
        self._resolved_mode = None

    @property
    def best_model_path(self) -> str | None:
        return self.checkpoints[0]["path"] if self.checkpoints else None

    @property
    def last_model_path(self) -> Path:
        suffix = ".weights.h5" if self.save_weights_only else ".keras"
        return self.directory / f"last{suffix}"

    def on_train_begin(self, logs=None):
        self.directory.mkdir(parents=True, exist_ok=True)
        for stale in self.directory.glob(f"{_TEMPORARY_PREFIX}*"):
            stale.unlink()  # left by a run that was killed mid-save
        self._resolved_mode = None

    def _save(self, path: Path) -> None:
        if self.save_weights_only:
            atomic_write(path, self.model.save_weights)
        else:
            atomic_write(path, self.model.save)

    def _write_manifest(self) -> None:
        manifest = {
            "monitor": self.monitor,
            "mode": self._resolved_mode,
            "best_model_path": self.best_model_path,
            "last_model_path": str(self.last_model_path) if self.save_last else None,
            "checkpoints": self.checkpoints,
        }
        atomic_write(
            self.directory / MANIFEST, _write_text(json.dumps(manifest, indent=2))
        )

    def on_epoch_end(self, epoch, logs=None):
        if self._resolved_mode is None:
            self._resolved_mode = resolve_mode(self.model, self.monitor, self.mode)
        if self.save_last:
            self._save(self.last_model_path)
        value = as_float((logs or {}).get(self.monitor))
        if value is None or not is_finite(value):
            warnings.warn(
                f"BestCheckpoints: `{self.monitor}` is missing or not a finite "
                f"scalar at epoch {epoch + 1} (logs: {sorted(logs or {})}); "
                "nothing ranked.",
                stacklevel=2,
            )
            if self.save_last:
                self._write_manifest()
            return
        worst = self.checkpoints[-1]["score"] if self.checkpoints else None
        full = len(self.checkpoints) >= self.save_top_k
        if full and not is_better(value, worst, self._resolved_mode):
            if self.save_last:
                self._write_manifest()
            return
        path = self.directory / self.filename.format(
            epoch=epoch + 1, monitor_value=value
        )
        self._save(path)
        entry = {"epoch": epoch + 1, "score": value, "path": str(path)}
        kept = [c for c in self.checkpoints if c["path"] != str(path)] + [entry]
        kept.sort(key=lambda c: c["score"], reverse=self._resolved_mode == "max")
        dropped, self.checkpoints = kept[self.save_top_k :], kept[: self.save_top_k]
        self._write_manifest()  # only now may the dropped files go
        for checkpoint in dropped:
            Path(checkpoint["path"]).unlink(missing_ok=True)

    def get_config(self):
        return {
            "directory": str(self.directory),
            "monitor": self.monitor,
            "mode": self.mode,
            "save_top_k": self.save_top_k,
            "save_last": self.save_last,
            "filename": self.filename,
            "save_weights_only": self.save_weights_only,
        }

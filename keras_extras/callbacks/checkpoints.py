"""Keep the k best checkpoints, each written atomically, with a manifest."""

from __future__ import annotations

import json
import os
import socket
import warnings
from pathlib import Path
from typing import Any

import keras

from keras_extras._validation import check_bool, check_int, check_one_of
from keras_extras.callbacks._files import (
    TEMPORARY_PREFIX,
    atomic_write,
    outside_distribution,
    process_alive,
    temporary_owner,
    write_text,
)
from keras_extras.callbacks._monitor import (
    MODES,
    as_float,
    is_better,
    is_finite,
    resolve_mode,
)
from keras_extras.callbacks.base import ConfigMixin
from keras_extras.distributed import is_main_process

MANIFEST = "checkpoints.json"
LOCK = ".lock"


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

    No existing file is ever overwritten by a ranked checkpoint: when the
    formatted name is taken (a fixed `filename`, two scores that round to the
    same text, a file of an earlier run, `last.keras`), a version suffix is added
    (`best-v1.keras`, `best-v2.keras`, ...).

    A run owns its directory: `on_train_begin` takes a lock file (`.lock`, holding
    the process id and host) and a second live run on the same directory gets a
    `RuntimeError` instead of touching the first run's files; the lock of a run
    that died is taken over. Training again into a directory that holds a
    manifest resumes it: its checkpoints still present on disk keep their rank
    (files deleted by hand are dropped), so the top k spans all runs. The
    manifest is checked against the disk at every write.

    In a multi-process run only the main process
    (`keras_extras.distributed.is_main_process`) takes the lock and keeps
    checkpoints; on the others the callback does nothing.

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

    config_fields = (
        "directory",
        "monitor",
        "mode",
        "save_top_k",
        "save_last",
        "filename",
        "save_weights_only",
    )

    def __init__(
        self,
        directory: Any,
        monitor: str = "val_loss",
        mode: str = "auto",
        save_top_k: int = 3,
        save_last: bool = True,
        filename: str = "epoch{epoch:03d}-{monitor_value:.4f}.keras",
        save_weights_only: bool = False,
    ) -> None:
        super().__init__()
        self.directory = Path(directory)
        self.monitor = monitor
        self.mode = check_one_of("mode", mode, MODES)
        self.save_top_k = check_int("save_top_k", save_top_k, minimum=1)
        self.save_last = check_bool("save_last", save_last)
        self.save_weights_only = check_bool("save_weights_only", save_weights_only)
        suffix = self._suffix
        if not isinstance(filename, str) or not filename.endswith(suffix):
            raise ValueError(
                f"Invalid `filename`: with save_weights_only={self.save_weights_only}"
                f" it must end with {suffix!r}. Received: filename={filename!r}"
            )
        try:
            formatted = filename.format(epoch=1, monitor_value=0.5)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                "Invalid `filename`: it may use the fields {epoch} and "
                f"{{monitor_value}} only. Received: filename={filename!r}"
            ) from error
        if Path(formatted).name != formatted or formatted.startswith("."):
            raise ValueError(
                "Invalid `filename`: it must name a file inside `directory`, "
                f"without a path or a leading dot. Received: filename={filename!r}"
            )
        self.filename = filename
        self.checkpoints: list[dict[str, Any]] = []
        self._resolved_mode: str | None = None
        self._locked = False
        self._active = True  # False on the other processes of a multi-process run

    @property
    def _suffix(self) -> str:
        return ".weights.h5" if self.save_weights_only else ".keras"

    @property
    def best_model_path(self) -> str | None:
        return self.checkpoints[0]["path"] if self.checkpoints else None

    @property
    def last_model_path(self) -> Path:
        return self.directory / f"last{self._suffix}"

    # ------------------------------------------------------------ run ownership

    def _lock(self) -> None:
        lock = self.directory / LOCK
        owner = f"{os.getpid()} {socket.gethostname()}"
        for _ in range(2):
            try:
                descriptor = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                pid, _, host = lock.read_text().partition(" ")
                mine = pid == str(os.getpid()) and host == socket.gethostname()
                dead = (
                    host == socket.gethostname()
                    and pid.isdigit()
                    and not process_alive(int(pid))
                )
                if not (mine or dead):
                    raise RuntimeError(
                        f"BestCheckpoints: `directory` {str(self.directory)!r} "
                        f"belongs to a live run (process {pid} on {host!r}, see "
                        f"{str(lock)!r}). Give each run its own directory; delete "
                        "the lock file only if that run has ended."
                    ) from None
                lock.unlink(missing_ok=True)  # a dead run's, or this process's
                continue
            with os.fdopen(descriptor, "w") as handle:
                handle.write(owner)
            self._locked = True
            return

    def _unlock(self) -> None:
        if self._locked:
            (self.directory / LOCK).unlink(missing_ok=True)
            self._locked = False

    def _remove_stale_temporaries(self) -> None:
        """Delete temporary files left by dead runs (a run killed mid-save)."""
        for stale in self.directory.glob(f"{TEMPORARY_PREFIX}*"):
            pid = temporary_owner(stale)
            if pid is None or pid == os.getpid() or not process_alive(pid):
                stale.unlink(missing_ok=True)

    # ------------------------------------------------------------ manifest

    def _on_disk(self, checkpoints: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The entries whose files still exist, with paths under `directory`."""
        kept = []
        for checkpoint in checkpoints:
            path = self.directory / Path(checkpoint["path"]).name
            if path.exists():
                kept.append({**checkpoint, "path": str(path)})
        return kept

    def _resume(self) -> None:
        """Rank this run's epochs together with the checkpoints already there."""
        self.checkpoints = []
        manifest_path = self.directory / MANIFEST
        if not manifest_path.exists():
            return
        manifest = self._read_manifest(manifest_path)
        if manifest.get("monitor") != self.monitor:
            raise ValueError(
                f"BestCheckpoints: `directory` {str(self.directory)!r} holds "
                f"checkpoints ranked by {manifest.get('monitor')!r}; they cannot be "
                f"ranked with monitor={self.monitor!r}. Use another directory, or "
                "the same monitor to resume."
            )
        if self.mode != "auto" and manifest.get("mode") not in (None, self.mode):
            raise ValueError(
                f"BestCheckpoints: `directory` {str(self.directory)!r} holds "
                f"checkpoints ranked with mode={manifest.get('mode')!r}. "
                f"Received: mode={self.mode!r}"
            )
        self._resolved_mode = manifest.get("mode") or self._resolved_mode
        found = self._on_disk(manifest.get("checkpoints", []))
        self.checkpoints = found[: self.save_top_k]
        self._write_manifest()  # without the files gone by hand, then trim to k
        for checkpoint in found[self.save_top_k :]:
            Path(checkpoint["path"]).unlink(missing_ok=True)

    def _read_manifest(self, path: Path) -> dict[str, Any]:
        """The manifest at `path`; a `ValueError` that names it and says how to
        recover when it is not one this callback wrote (it is replaced
        atomically, so only another program or a damaged disk leaves it so)."""
        problem = None
        try:
            manifest = json.loads(path.read_bytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            problem = f"it is not UTF-8 JSON ({error})"
        else:
            entries = (
                manifest.get("checkpoints") if isinstance(manifest, dict) else None
            )
            if not isinstance(entries, list) or not all(
                isinstance(entry, dict) and {"epoch", "score", "path"} <= set(entry)
                for entry in entries
            ):
                problem = "it does not list checkpoints as {epoch, score, path}"
        if problem is not None:
            raise ValueError(
                f"BestCheckpoints: cannot resume from {str(path)!r}: {problem}. "
                "The checkpoint files in the directory are untouched. Move "
                f"{MANIFEST!r} aside (the next run then starts a new ranking and "
                "never overwrites those files), or give another `directory`."
            )
        checked: dict[str, Any] = manifest
        return checked

    def _write_manifest(self) -> None:
        self.checkpoints = self._on_disk(self.checkpoints)
        manifest = {
            "monitor": self.monitor,
            "mode": self._resolved_mode,
            "best_model_path": self.best_model_path,
            "last_model_path": str(self.last_model_path) if self.save_last else None,
            "checkpoints": self.checkpoints,
        }
        atomic_write(
            self.directory / MANIFEST, write_text(json.dumps(manifest, indent=2))
        )

    def _free_path(self, name: str) -> Path:
        """`directory / name`, or a versioned name when that file exists."""
        stem, suffix = name[: -len(self._suffix)], self._suffix
        taken = {Path(c["path"]).name for c in self.checkpoints}
        taken.add(self.last_model_path.name)
        candidate, version = name, 0
        while candidate in taken or (self.directory / candidate).exists():
            version += 1
            candidate = f"{stem}-v{version}{suffix}"
        return self.directory / candidate

    # ------------------------------------------------------------ Keras hooks

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        # In a multi-process run only the main process keeps checkpoints (the
        # others would collide with its lock); the others do nothing.
        self._active = is_main_process()
        if not self._active:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        self._resolved_mode = None
        self._lock()
        try:
            self._remove_stale_temporaries()
            self._resume()
        except BaseException:
            self._unlock()
            raise

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._active:
            self._unlock()

    def _save(self, path: Path) -> None:
        write = self.model.save_weights if self.save_weights_only else self.model.save
        with outside_distribution():
            atomic_write(path, write)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if not self._active:
            return
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
        self.checkpoints = self._on_disk(self.checkpoints)
        worst = self.checkpoints[-1]["score"] if self.checkpoints else None
        full = len(self.checkpoints) >= self.save_top_k
        if full and not is_better(value, worst, self._resolved_mode):
            if self.save_last:
                self._write_manifest()
            return
        path = self._free_path(
            self.filename.format(epoch=epoch + 1, monitor_value=value)
        )
        self._save(path)
        entry = {"epoch": epoch + 1, "score": value, "path": str(path)}
        kept = [*self.checkpoints, entry]
        kept.sort(key=lambda c: c["score"], reverse=self._resolved_mode == "max")
        dropped, self.checkpoints = kept[self.save_top_k :], kept[: self.save_top_k]
        self._write_manifest()  # only now may the dropped files go
        for checkpoint in dropped:
            Path(checkpoint["path"]).unlink(missing_ok=True)

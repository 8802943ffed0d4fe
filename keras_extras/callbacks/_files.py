"""Files the callbacks write: atomically, and owned by a process."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras

from keras_extras.distributed import is_main_process, process_count

TEMPORARY_PREFIX = ".tmp-"


def atomic_write(path: Path, write: Any) -> None:
    """Call `write(temporary_path)`, flush it to disk, then rename it to `path`.

    The temporary file lives in the same directory (a rename across file systems
    is not atomic) and ends like `path` (Keras checks `.keras`, `.weights.h5`). A
    crash at any point leaves either the old `path` or the new one, never a
    truncated file.

    Only the main process writes (`keras_extras.distributed.is_main_process`): in
    a multi-process run every other process returns without writing, so each
    file is written once.
    """
    if not is_main_process():
        return
    path = Path(path)
    temporary = path.with_name(f"{TEMPORARY_PREFIX}{os.getpid()}-{path.name}")
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


@contextlib.contextmanager
def outside_distribution() -> Iterator[None]:
    """Let one process of a multi-process run use the model by itself.

    Saving: Keras' saving builds a throwaway optimizer, and under a
    multi-process distribution creating its variable is a collective that the
    other processes (which do not save) never join. Predicting: the outputs
    would be spread over every process's devices. With the distribution unset,
    each process works alone; the weights of `DataParallel` are replicated, so
    it holds all of them.
    """
    distribution = keras.distribution.distribution()
    if distribution is None or process_count() == 1:
        yield
        return
    keras.distribution.set_distribution(None)
    try:
        yield
    finally:
        keras.distribution.set_distribution(distribution)


def process_alive(pid: int) -> bool:
    """Whether process `pid` runs on this host. On Windows `os.kill(pid, 0)` would
    send it Ctrl-C, so there every other process counts as alive (a stale lock is
    then removed by hand, as the error message says)."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def temporary_owner(path: Path) -> int | None:
    """The process id in a temporary file's name (`.tmp-<pid>-<name>`)."""
    pid = path.name[len(TEMPORARY_PREFIX) :].split("-", 1)[0]
    return int(pid) if pid.isdigit() else None


def write_text(text: str) -> Any:
    def write(temporary: Path) -> None:
        temporary.write_text(text)

    return write

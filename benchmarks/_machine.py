"""A description of the machine a benchmark ran on, recorded next to its numbers."""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path


def describe() -> dict:
    import keras

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    backend = keras.backend.backend()
    versions = {"keras": keras.__version__}
    module = {"jax": "jax", "torch": "torch", "tensorflow": "tensorflow"}[backend]
    versions[module] = __import__(module).__version__
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
        "backend": backend,
        "cpu": cpu,
        "cores": os.cpu_count(),
        "device": str(keras.ops.convert_to_tensor(0.0).device)
        if hasattr(keras.ops.convert_to_tensor(0.0), "device")
        else "cpu",
        "python": platform.python_version(),
        "versions": versions,
    }


def run_under_backend(backend: str, module: str) -> None:
    """Start `python -m module` again with the same arguments under
    `KERAS_BACKEND=backend`, unless this process already runs it (Keras reads
    the variable once, at import)."""
    import sys

    if os.environ.get("KERAS_BACKEND") != backend:
        os.environ["KERAS_BACKEND"] = backend
        os.execv(sys.executable, [sys.executable, "-m", module, *sys.argv[1:]])


RESULTS = Path(__file__).parent / "results"
"""Where the benchmarks write their results."""


def machine_cell(machine: dict) -> str:
    """A result's machine as a table cell: processor, cores, date."""
    return f"{machine['cpu']}, {machine['cores']} cores, {machine['date'][:10]}"


def save_result(name: str, **parts: object) -> int:
    """Write `{"machine": describe(), **parts}` to results/<name>-<backend>.json
    and print it."""
    import json

    import keras

    result = {"machine": describe(), **parts}
    text = json.dumps(result, indent=2)
    (RESULTS / f"{name}-{keras.backend.backend()}.json").write_text(text + "\n")
    print(text)
    return 0


def write_report(name: str, text: str) -> int:
    """Write a report's tables to results/<name>.md and print them."""
    (RESULTS / f"{name}.md").write_text(text)
    print(text)
    return 0

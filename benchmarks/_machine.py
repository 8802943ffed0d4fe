"""A description of the machine a benchmark ran on, recorded next to its numbers."""

from __future__ import annotations

import datetime
import os
import platform


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

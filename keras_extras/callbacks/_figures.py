"""Figures the callbacks draw: matplotlib on the file-only Agg backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from keras_extras.callbacks._files import atomic_write


def pyplot() -> Any:
    """matplotlib's pyplot on the file-only Agg backend, or a clear ImportError."""
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError(
            'Plotting callbacks need matplotlib: pip install "keras-extras[plot]"'
        ) from error
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda temporary: figure.savefig(temporary, format="png"))

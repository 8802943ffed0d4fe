"""Which way is better for a monitored log key: shared by the monitor callbacks."""

from __future__ import annotations

import math
from typing import Any

from keras_extras._naming import find_key, model_log_keys
from keras_extras._typing import Tensor

MODES = ("auto", "min", "max")


def resolve_mode(model: Any, monitor: str, mode: str) -> str:
    """ "min" or "max" for `monitor`; "auto" reads it from the model's metrics.

    Losses are minimised; any other key goes the way the metric that writes it
    declares (`log_keys()`, see `keras_extras._naming`): keys of dict-valued
    metrics such as `ClassificationMetrics` and `Bootstrap` included, and keys of
    a model with several outputs.
    """
    if mode != "auto":
        return mode
    keys = model_log_keys(model)
    found = find_key(keys, monitor)
    if found is None:
        raise ValueError(
            f"Invalid `monitor`: no metric of the model writes {monitor!r} (with "
            f"or without 'val_'). Its metrics write: {sorted(keys)}. Received: "
            f"monitor={monitor!r}"
        )
    if found.direction is None:
        raise ValueError(
            f"Cannot tell whether `{monitor}` should be minimised or maximised: no "
            "metric of the model declares a direction for it. Pass mode='min' or "
            "mode='max'."
        )
    return "max" if found.direction == "up" else "min"


def is_better(value: float, reference: float | None, mode: str) -> bool:
    if reference is None:
        return True
    return value < reference if mode == "min" else value > reference


def as_float(value: Tensor) -> float | None:
    """A scalar log value as a Python float (None when it is not a scalar)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def is_finite(value: float) -> bool:
    return math.isfinite(value)

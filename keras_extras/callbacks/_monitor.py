"""Which way is better for a monitored log key: shared by the monitor callbacks."""

from __future__ import annotations

import math
from typing import Any

from keras_extras._keras_compat import metric_direction
from keras_extras._typing import Tensor
from keras_extras.metrics.scores import SCORES

MODES = ("auto", "min", "max")


def _model_metrics(model: Any) -> Any:
    found: list[Any] = []
    for metric in getattr(model, "metrics", []):
        found.extend(getattr(metric, "metrics", None) or [metric])
    return found


def resolve_mode(model: Any, monitor: str, mode: str) -> str:
    """ "min" or "max" for `monitor`; "auto" reads it from the model's metrics.

    Besides what Keras does (losses are minimised; a metric whose `name` matches
    carries a direction, see `keras_extras._keras_compat`), a key produced by a
    dict-valued metric such as `ClassificationMetrics` (its `log_key(score)`)
    takes that score's direction from the score registry.
    """
    if mode != "auto":
        return mode
    name = monitor.removeprefix("val_")
    if name == "loss" or name.endswith("_loss"):
        return "min"
    for metric in _model_metrics(model):
        directions = {metric.name: metric_direction(metric)}
        for score in getattr(metric, "score_names", ()):
            directions[metric.log_key(score)] = SCORES[score].direction
        if directions.get(name) is not None:
            return "max" if directions[name] == "up" else "min"
    raise ValueError(
        f"Cannot tell whether `{monitor}` should be minimised or maximised: no "
        "metric of the model declares a direction for it. Pass mode='min' or "
        "mode='max'."
    )


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

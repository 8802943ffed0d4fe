"""Hyperparameter search objectives from keras-extras metrics (KerasTuner).

KerasTuner infers an objective's direction from its name and gets ours wrong:
`val_f1_score` is minimised, and `val_f1` or `val_mcc` (keys of
`ClassificationMetrics`) fail with "Could not infer optimization direction". The
metrics know their direction; `objective` hands it over. `keras_tuner` is
imported only when `objective` is called, so it stays an optional dependency.
"""

from __future__ import annotations

from typing import Any

from keras_extras._keras_compat import metric_direction
from keras_extras.metrics.scores import SCORES

__all__ = ["log_key_and_direction", "objective"]


def log_key_and_direction(
    metric: Any, score: str | None = None, validation: bool = True
) -> Any:
    """The log key of `metric` (or of one of its scores) and "max" or "min".

    Args:
        metric: a metric as passed to `compile()`: a keras-extras metric, or any
            Keras metric that declares a direction.
        score: for a dict-valued metric (`ClassificationMetrics`), which of its
            scores; may be omitted when it has one. Not used otherwise.
        validation: the key of the validation value (`val_...`), which is what
            a search should rank. Defaults to True.

    Returns:
        `(key, direction)`, e.g. `("val_f1", "max")`.

    Example:
        >>> from keras_extras.metrics import ClassificationMetrics, F1Score
        >>> log_key_and_direction(F1Score(num_classes=3))
        ('val_f1_score', 'max')
        >>> both = ClassificationMetrics(num_classes=3, metrics=("f1", "mcc"))
        >>> log_key_and_direction(both, "mcc", validation=False)
        ('mcc', 'max')
    """
    names = getattr(metric, "score_names", None)
    direction: str | None
    if names:
        if score is None and len(names) == 1:
            score = names[0]
        if score is None or score not in names:
            raise ValueError(
                f"Invalid `score` for {metric.name!r}: expected one of "
                f"{tuple(names)}. Received: score={score!r}"
            )
        key, direction = metric.log_key(score), SCORES[score].direction
    else:
        if score is not None:
            raise ValueError(
                f"`score` applies to dict-valued metrics only; {metric.name!r} has "
                f"one value. Received: score={score!r}"
            )
        key, direction = metric.name, metric_direction(metric)
        if direction is None:
            raise ValueError(
                f"The metric {metric.name!r} declares no direction: build "
                "`keras_tuner.Objective(name, direction)` yourself."
            )
    prefix = "val_" if validation else ""
    return prefix + key, "max" if direction == "up" else "min"


def objective(metric: Any, score: str | None = None, validation: bool = True) -> Any:
    """A `keras_tuner.Objective` for `metric`, with the metric's direction.

    Args: as `log_key_and_direction`.

    Returns:
        `keras_tuner.Objective(key, direction)`.

    Raises:
        ImportError: when keras-tuner is not installed.

    Example:
        ```python
        f1 = keras_extras.metrics.F1Score(num_classes=10)
        tuner = keras_tuner.RandomSearch(
            build_model, objective=keras_extras.tuning.objective(f1), max_trials=20
        )  # ranks trials by val_f1_score, higher is better
        ```
    """
    key, direction = log_key_and_direction(metric, score, validation)
    try:
        import keras_tuner
    except ImportError as error:
        raise ImportError(
            "keras_extras.tuning.objective needs keras-tuner "
            "(pip install keras-tuner). Without it, log_key_and_direction gives "
            f"the key and direction: {key!r}, {direction!r}."
        ) from error
    return keras_tuner.Objective(key, direction=direction)

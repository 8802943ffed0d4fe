"""Hyperparameter search objectives from keras-extras metrics (KerasTuner).

KerasTuner infers an objective's direction from its name and gets ours wrong:
`val_f1_score` is minimised, and `val_f1` or `val_mcc` (keys of
`ClassificationMetrics`) fail with "Could not infer optimization direction". The
metrics know their direction; `objective` hands it over. `keras_tuner` is
imported only when `objective` is called, so it stays an optional dependency.
"""

from __future__ import annotations

from typing import Any

from keras_extras._naming import metric_log_keys

__all__ = ["log_key_and_direction", "objective"]


def log_key_and_direction(
    metric: Any,
    score: str | None = None,
    validation: bool = True,
    output_name: str | None = None,
) -> Any:
    """The log key of `metric` (or of one of its scores) and "max" or "min".

    Args:
        metric: a metric as passed to `compile()`: a keras-extras metric (its
            `log_keys()` say the keys and directions), or any Keras metric that
            declares a direction.
        score: for a metric with several scored keys (`ClassificationMetrics`,
            `Bootstrap` of one), which of its scores; may be omitted when it
            has one.
        validation: the key of the validation value (`val_...`), which is what
            a search should rank. Defaults to True.
        output_name: the model output the metric is compiled for, in a model
            with several outputs (its keys start with it). Defaults to None.

    Returns:
        `(key, direction)`, e.g. `("val_f1", "max")`.

    Example:
        >>> from keras_extras.metrics import ClassificationMetrics, F1Score
        >>> log_key_and_direction(F1Score(num_classes=3))
        ('val_f1_score', 'max')
        >>> both = ClassificationMetrics(num_classes=3, metrics=("f1", "mcc"))
        >>> log_key_and_direction(both, "mcc", validation=False)
        ('mcc', 'max')
        >>> from keras_extras.metrics import Bootstrap, BrierScore
        >>> log_key_and_direction(Bootstrap(BrierScore()))
        ('val_brier_score', 'min')
    """
    keys = metric_log_keys(metric, output_name)
    scored = {
        key: info
        for key, info in keys.items()
        if info.direction is not None and info.bound is None and info.class_name is None
    }
    if not scored:
        raise ValueError(
            f"The metric {metric.name!r} declares no direction for a key of its "
            f"own (its keys: {sorted(keys)}): build "
            "`keras_tuner.Objective(name, direction)` yourself, with one of them."
        )
    chosen = [
        (key, info)
        for key, info in scored.items()
        if score is None or score in (key, info.score)
    ]
    if len(chosen) != 1:
        choices = tuple(info.score for info in scored.values())
        raise ValueError(
            f"Invalid `score` for {metric.name!r}: expected one of {choices}. "
            f"Received: score={score!r}"
        )
    key, info = chosen[0]
    prefix = "val_" if validation else ""
    return prefix + key, "max" if info.direction == "up" else "min"


def objective(
    metric: Any,
    score: str | None = None,
    validation: bool = True,
    output_name: str | None = None,
) -> Any:
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
    key, direction = log_key_and_direction(metric, score, validation, output_name)
    try:
        import keras_tuner
    except ImportError as error:
        raise ImportError(
            "keras_extras.tuning.objective needs keras-tuner "
            "(pip install keras-tuner). Without it, log_key_and_direction gives "
            f"the key and direction: {key!r}, {direction!r}."
        ) from error
    return keras_tuner.Objective(key, direction=direction)

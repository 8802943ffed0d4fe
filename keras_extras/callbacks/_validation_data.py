"""Validation data given to a callback, and the confusion counts on it."""

from __future__ import annotations

from typing import Any

from keras_extras.callbacks._files import outside_distribution
from keras_extras.metrics.confusion import ConfusionMatrix


def unpack_validation_data(validation_data: Any) -> Any:
    """`(x, y, sample_weight)` from a tuple of 2 or 3 arrays."""
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (
        2,
        3,
    ):
        raise ValueError(
            "Invalid `validation_data`: expected a tuple (x, y) or "
            f"(x, y, sample_weight). Received: {type(validation_data).__name__}"
        )
    x, y, *rest = validation_data
    return x, y, (rest[0] if rest else None)


def predictions_on(model: Any, validation_data: Any, batch_size: int = 256) -> Any:
    """`(y, predictions, sample_weight)`: what a metric takes, on validation data.

    Every process predicts the whole validation set by itself, with the
    distribution unset: under a multi-process JAX `DataParallel`, `predict` would
    return an array spread over every process's devices, which no process can
    read (`RuntimeError: Fetching value for jax.Array that spans non-addressable
    devices`); the weights are replicated, so each process holds all of them.
    """
    x, y, weight = unpack_validation_data(validation_data)
    with outside_distribution():
        return y, model.predict(x, batch_size=batch_size, verbose=0), weight


def confusion_of(
    model: Any, validation_data: Any, num_classes: Any = None, batch_size: int = 256
) -> Any:
    """Confusion counts of `model` on validation data, with keras-extras' metric."""
    y, predictions, weight = predictions_on(model, validation_data, batch_size)
    metric = ConfusionMatrix(num_classes=num_classes)
    metric.update_state(y, predictions, sample_weight=weight)
    return metric

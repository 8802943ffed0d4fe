"""keras-extras: metrics and callbacks for Keras 3, identical on JAX, PyTorch and
TensorFlow.

`keras_extras.metrics`, `keras_extras.callbacks`, `keras_extras.authoring` (the
building blocks for writing your own metric), `keras_extras.tuning` (KerasTuner
objectives with the right direction) and `keras_extras.distributed` (metric state
summed across processes) are imported on first use
(`import keras_extras.metrics`, or `keras_extras.metrics.F1Score`), not by
`import keras_extras` itself: Keras fixes its backend when it is first imported, and
programs such as `python -m keras_extras.examples.iris --backend jax` must choose it
first. Import (or touch) `keras_extras.metrics` before `keras.saving.load_model` so
that its classes are registered.
"""

import importlib
from typing import Any

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "authoring",
    "callbacks",
    "distributed",
    "metrics",
    "tuning",
]


def __getattr__(name: Any) -> Any:
    if name in ("authoring", "callbacks", "distributed", "metrics", "tuning"):
        return importlib.import_module(f"keras_extras.{name}")
    raise AttributeError(f"module 'keras_extras' has no attribute {name!r}")

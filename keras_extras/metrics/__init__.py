"""Backend-agnostic Keras 3 metrics with exact, sum-decomposable state."""

from keras_extras.metrics.distribution import PredictiveEntropy, UniformKLDivergence

__all__ = [
    "PredictiveEntropy",
    "UniformKLDivergence",
]

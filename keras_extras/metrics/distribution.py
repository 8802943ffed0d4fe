"""Metrics of the predicted class distribution itself (labels are not used)."""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_extras._docstrings import document
from keras_extras._typing import Tensor
from keras_extras._validation import check_bool
from keras_extras.metrics.base import (
    PerSampleMean,
)
from keras_extras.metrics.inputs import class_probabilities


def entropy(probs: Tensor, log_probs: Any) -> Any:
    """Shannon entropy `-sum_k p_k log p_k` over the last axis (0 log 0 = 0)."""
    return ops.negative(ops.sum(ops.multiply(probs, log_probs), axis=-1))


def _num_classes(probs: Tensor) -> Any:
    return ops.cast(ops.shape(probs)[-1], "float32")


class _DistributionMetric(PerSampleMean):
    config_fields = ("from_logits",)

    def __init__(
        self, from_logits: bool = False, name: Any = None, dtype: Any = None
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.from_logits = check_bool("from_logits", from_logits)


class UniformKLDivergence(_DistributionMetric):
    """Mean Kullback-Leibler divergence from the uniform distribution.

    For each sample with predicted class probabilities `p` over `K` classes:

        KL(p || u) = sum_k p_k log(K p_k) = log K - H(p),

    where `H(p) = -sum_k p_k log p_k` (with `0 log 0 = 0`). The metric is the
    `sample_weight`-weighted mean over all samples seen. It is 0 for a uniform
    prediction and `log K` for a one-hot (fully confident) prediction: a measure of
    how far from "no idea" the model's predictions are. `y_true` is not used.

    This is the tutorial's "KL divergence to the uniform distribution" metric done
    with `keras.ops` only, so it runs inside compiled training on every backend.

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = UniformKLDivergence()
        >>> m.update_state(np.zeros(2), np.array([[0.5, 0.5], [1.0, 0.0]]))
        >>> round(float(m.result()), 4)  # (0 + log 2) / 2
        0.3466
    """

    direction = "up"

    default_name = "uniform_kl_divergence"

    def per_sample(self, y_true: Tensor, y_pred: Tensor) -> Any:
        probs, log_probs = class_probabilities(y_pred, self.from_logits)
        return ops.subtract(ops.log(_num_classes(probs)), entropy(probs, log_probs))


class PredictiveEntropy(_DistributionMetric):
    """Mean Shannon entropy of the predicted class distribution.

        H(p) = -sum_k p_k log p_k        (natural log, 0 log 0 = 0)

    averaged over samples (weighted by `sample_weight`). With `normalize=True` each
    entropy is divided by `log K`, so the metric lies in [0, 1]: 0 for confident
    one-hot predictions, 1 for uniform ones. `y_true` is not used. Lower means more
    confident, so `EarlyStopping(mode="auto")` minimises it.

    Args:
        normalize: divide by `log K`. Defaults to `False`.
    {args}
    Example:
        >>> import numpy as np
        >>> m = PredictiveEntropy(normalize=True)
        >>> m.update_state(np.zeros(2), np.array([[0.5, 0.5], [1.0, 0.0]]))
        >>> round(float(m.result()), 4)
        0.5
    """

    direction = "down"
    default_name = "predictive_entropy"
    config_fields = ("normalize",)

    def __init__(
        self,
        normalize: bool = False,
        from_logits: bool = False,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(from_logits=from_logits, name=name, dtype=dtype)
        self.normalize = check_bool("normalize", normalize)

    def per_sample(self, y_true: Tensor, y_pred: Tensor) -> Any:
        probs, log_probs = class_probabilities(y_pred, self.from_logits)
        values = entropy(probs, log_probs)
        if self.normalize:
            values = ops.divide(values, ops.log(_num_classes(probs)))
        return values


for _metric in (UniformKLDivergence, PredictiveEntropy):
    document(
        _metric, ("distribution_from_logits", "name", "dtype"), inputs="distribution"
    )

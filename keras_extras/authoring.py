"""The building blocks keras-extras metrics are made of, for writing your own.

Everything here is traceable (pure `keras.ops`, static shapes, no host sync), so a
metric built from it runs inside compiled training on JAX, PyTorch and TensorFlow.
These are the very objects the library's own metrics use; this module only gives
them a stable home. Names listed in `__all__` follow semantic versioning: they do
not change incompatibly within a major version.

Base classes
    `ExtrasMetric`: registration for `.keras` files, `get_config` from
    `config_fields`, the monitor `direction`.
    `PerSampleMean`: the weighted mean of a per-sample value; implement
    `per_sample(y_true, y_pred)` and you are done.

Confusion-derived scores
    `ScoreMetric`: a metric reporting one score of the registry; a subclass
    names its `score` and `default_name`, and gets the tasks, averaging, state
    and direction from the registry entry.
    `ConfusionStateMetric`: the base of every confusion metric (the smallest
    exact state its scores need; `statistics()` gives `ClassStatistics`).
    `Score`, `register_score`: the registry of score definitions (formulas
    over per-class `tp`, `predicted`, `actual`, `total`), in
    `keras_extras.metrics.scores.SCORES`.
    `ClassStatistics`: those per-class statistics, as the scores read them.
    `compute_scores`: scores by name from `ClassStatistics`.

Exact state
    `CompensatedSum`: a running total in four float32 words (exact integer
    counts up to 2**40, exact when data-parallel replicas' states are summed).
    `weighted_bincount`: weights summed into a fixed number of bins (histograms,
    confusion counts) with a static output shape.

Input formatting
    `classification_inputs`: labels and predictions to flat class ids and
    weights (sparse or one-hot labels; scores, probabilities, logits or ids;
    binary, multiclass or multilabel; `ignore_class`).
    `probability_inputs`: labels and scores to flat probabilities, 0/1 targets
    and weights.
    `class_probabilities`: class probabilities and finite log-probabilities.
    `class_ids`: arg-max ids, the fast way on every backend.
    `broadcast_sample_weight`: `sample_weight` (or ones) broadcast to the sample shape.

Arithmetic and checks
    `safe_divide`: division with a chosen value where the denominator is 0.
    `check_one_of`, `check_int`, `check_number`, `check_bool`: constructor
    argument checks whose errors name the argument and what was received.

The guide "Write your own metric" (docs/authoring.md) builds a metric from these,
step by step, and tests it against a reference on every backend.

Example:
    >>> from keras_extras.authoring import PerSampleMean, class_probabilities
    >>> class MaxProbability(PerSampleMean):
    ...     # Mean confidence: the largest predicted probability per sample.
    ...     def __init__(self, name="max_probability", dtype=None):
    ...         super().__init__(name=name, dtype=dtype)
    ...     def per_sample(self, y_true, y_pred):
    ...         probs, _ = class_probabilities(y_pred, from_logits=False)
    ...         return keras.ops.max(probs, axis=-1)
    >>> m = MaxProbability()
    >>> m.update_state(None, np.array([[0.9, 0.1], [0.6, 0.4]]))
    >>> round(float(m.result()), 4)
    0.75
"""

from keras_extras._validation import check_bool, check_int, check_number, check_one_of
from keras_extras.metrics.accumulators import CompensatedSum, weighted_bincount
from keras_extras.metrics.base import ExtrasMetric, PerSampleMean, safe_divide
from keras_extras.metrics.confusion import ConfusionStateMetric, ScoreMetric
from keras_extras.metrics.inputs import (
    broadcast_sample_weight,
    class_ids,
    class_probabilities,
    classification_inputs,
    probability_inputs,
)
from keras_extras.metrics.scores import (
    ClassStatistics,
    Score,
    compute_scores,
    register_score,
)

__all__ = [
    "ClassStatistics",
    "CompensatedSum",
    "ConfusionStateMetric",
    "ExtrasMetric",
    "PerSampleMean",
    "Score",
    "ScoreMetric",
    "check_bool",
    "check_int",
    "check_number",
    "check_one_of",
    "class_ids",
    "class_probabilities",
    "classification_inputs",
    "compute_scores",
    "probability_inputs",
    "register_score",
    "safe_divide",
    "broadcast_sample_weight",
    "weighted_bincount",
]

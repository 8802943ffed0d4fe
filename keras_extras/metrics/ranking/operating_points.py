"""Operating points per class from the curve state: the best rate at a target
rate (Keras' `PrecisionAtRecall` family, beyond binary) and the F-beta-best
threshold."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from keras import ops

from keras_extras._config import spelled_out
from keras_extras._docstrings import CURVE_ARGS, document
from keras_extras._keras_compat import compiled_output_name
from keras_extras._naming import LogKey, class_labels, expand_classes, expand_values
from keras_extras._typing import Tensor
from keras_extras._validation import check_number
from keras_extras.metrics.base import safe_divide
from keras_extras.metrics.inputs import cast_to
from keras_extras.metrics.ranking.curves import CurveArguments, CurveMetric
from keras_extras.metrics.ranking.estimators import threshold_counts, threshold_rates

if TYPE_CHECKING:
    from typing_extensions import Unpack


@spelled_out(CurveArguments)
class OperatingPoint(CurveMetric):
    """Base class: the best `value` rate over the thresholds where the
    `constraint` rate reaches the target, per class.

    A subclass names the two rates (keys of `estimators.RATES`) and the
    argument that holds the target (`target_name`, also its config field).
    """

    constraint = ""
    value = ""
    target_name = ""

    def __init__(self, target: float, **kwargs: Unpack[CurveArguments]) -> None:
        super().__init__(**kwargs)
        self.target = check_number(self.target_name, target, 0.0, 1.0)
        setattr(self, self.target_name, self.target)  # its config field

    def per_class(self, stats: Tensor) -> Any:
        constraint, value = threshold_rates(stats, self.constraint, self.value)
        allowed = constraint >= self.target
        return ops.max(ops.where(allowed, value, 0.0), axis=-1)


@spelled_out(CurveArguments)
class PrecisionAtRecall(OperatingPoint):
    """The highest precision at a recall of at least `target`, per class.

        value_c = max over thresholds t with recall_c(t) >= target of precision_c(t)

    over the threshold grid (a sample scoring `>= t` is predicted positive), from
    the same per-class histograms as `AUROC`: exact at the grid's thresholds.
    Keras' `PrecisionAtRecall` is binary only; this one is also one-vs-rest
    multiclass with sparse labels, and multilabel.
    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = PrecisionAtRecall(recall=0.5, task="binary")
        >>> m.update_state(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.3, 0.8]))
        >>> float(m.result())  # threshold 0.8: recall 0.5, precision 1
        1.0
    """

    constraint, value, target_name = "recall", "precision", "recall"
    default_name = "precision_at_recall"
    config_fields = ("recall",)

    def __init__(self, recall: float, **kwargs: Unpack[CurveArguments]) -> None:
        super().__init__(recall, **kwargs)


@spelled_out(CurveArguments)
class RecallAtPrecision(OperatingPoint):
    """The highest recall at a precision of at least `target`, per class.

        value_c = max over thresholds t with precision_c(t) >= target of recall_c(t)

    As `PrecisionAtRecall`, with the roles swapped (Keras' `RecallAtPrecision`,
    beyond binary).
    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = RecallAtPrecision(precision=0.6, task="binary")
        >>> m.update_state(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.3, 0.8]))
        >>> float(m.result())  # threshold 0.3: precision 2/3, recall 1
        1.0
    """

    constraint, value, target_name = "precision", "recall", "precision"
    default_name = "recall_at_precision"
    config_fields = ("precision",)

    def __init__(self, precision: float, **kwargs: Unpack[CurveArguments]) -> None:
        super().__init__(precision, **kwargs)


@spelled_out(CurveArguments)
class SpecificityAtSensitivity(OperatingPoint):
    """The highest specificity at a sensitivity (recall) of at least `target`.

        value_c = max over t with sensitivity_c(t) >= target of specificity_c(t)

    (Keras' `SpecificityAtSensitivity`, beyond binary.)
    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = SpecificityAtSensitivity(sensitivity=1.0, task="binary")
        >>> m.update_state(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.3, 0.8]))
        >>> float(m.result())  # threshold 0.3: both positives, one negative out
        0.5
    """

    constraint, value, target_name = "recall", "specificity", "sensitivity"
    default_name = "specificity_at_sensitivity"
    config_fields = ("sensitivity",)

    def __init__(self, sensitivity: float, **kwargs: Unpack[CurveArguments]) -> None:
        super().__init__(sensitivity, **kwargs)


for _operating in (PrecisionAtRecall, RecallAtPrecision, SpecificityAtSensitivity):
    document(_operating, (_operating.target_name, *CURVE_ARGS), inputs="probabilities")


@spelled_out(CurveArguments)
class BestThreshold(CurveMetric):
    """The best F-beta over the threshold grid, per class, and where it is.

        F_beta(t) = (1 + b^2) TP(t) / ((1 + b^2) TP(t) + b^2 FN(t) + FP(t))

    for each grid threshold `t` (a sample scoring `>= t` is predicted positive),
    from the per-class histograms: exact at the grid's thresholds. `result()` is a
    dict: `{name}` the best F-beta (averaged over classes as `average` says) and
    `{name}_threshold` the threshold that reaches it (binary and micro), or one
    `{name}_threshold/<class>` key per class: the decision thresholds to deploy,
    tracked during training. `best_thresholds()` returns them as an array.

    Args:
        beta: weight of recall, > 0. Defaults to 1 (F1).
        num_classes: number of classes (labels, for multilabel). Required for
            multiclass (one-vs-rest) and multilabel; 2 (or omitted) for binary.
        task: "binary", "multiclass" or "multilabel". Defaults to "multiclass".
        average: "macro", "weighted", "micro" or None, as in `AUROC`.
            Defaults to "macro".
        num_thresholds: size of the threshold grid. Defaults to 200.
        from_logits: whether `y_pred` holds logits (the thresholds then apply to
            the probabilities). Defaults to False.
        name: metric name (and key prefix). Defaults to "best_f1" for beta 1,
            else "best_fbeta".
        dtype: dtype of the result.

    Example:
        >>> import numpy as np
        >>> m = BestThreshold(task="binary")
        >>> m.update_state(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.3, 0.8]))
        >>> {k: round(float(v), 4) for k, v in m.result().items()}
        {'best_f1': 0.8, 'best_f1_threshold': 0.3}
    """

    default_name = "best_f1"  # "best_fbeta" when beta is not 1
    config_fields = ("beta",)

    def __init__(
        self,
        beta: float = 1.0,
        **kwargs: Unpack[CurveArguments],
    ) -> None:
        beta = check_number("beta", beta, 0.0, None, low_inclusive=False)
        default = "best_f1" if beta == 1.0 else "best_fbeta"
        kwargs["name"] = kwargs.get("name") or default
        super().__init__(**kwargs)
        self.beta = beta

    def _fbeta(self, stats: Tensor) -> Any:
        tp, fp, positives, _ = threshold_counts(stats)
        b2 = self.beta**2
        return safe_divide((1 + b2) * tp, (1 + b2) * tp + b2 * (positives - tp) + fp)

    def per_class(self, stats: Tensor) -> Any:
        return ops.max(self._fbeta(stats), axis=-1)

    def _best_index(self, fbeta: Tensor) -> Any:
        # The highest threshold among equal bests (ties: the stricter decision).
        return self.num_thresholds - 1 - ops.argmax(ops.flip(fbeta, axis=-1), axis=-1)

    @property
    def threshold_key(self) -> str:
        return f"{self.name}_threshold"

    def value_keys(self) -> dict[str, LogKey]:
        keys = super().value_keys()
        one = self.task == "binary" or self.average == "micro"
        classes = () if one else tuple(class_labels(None, self.num_classes))
        keys[self.threshold_key] = LogKey(None, self.threshold_key, classes=classes)
        return keys

    def log_keys(self, output_name: str | None = None) -> dict[str, LogKey]:
        """As `ExtrasMetric.log_keys`, with one threshold key per class
        (`best_f1_threshold/0`) unless binary or micro."""
        keys = super().log_keys(output_name)
        threshold = self.key_lead(output_name) + self.threshold_key
        thresholds = expand_classes({threshold: keys.pop(threshold)})
        return {**keys, **thresholds}

    def result(self) -> Any:
        stats = self.pooled_stats()
        fbeta = self._fbeta(stats)  # once: the best value and where it is
        best = ops.max(fbeta, axis=-1)
        value = self.score_range.apply(self.averaged(best, stats))
        thresholds = ops.take(self.grid_tensor, self._best_index(fbeta))
        if self.task == "binary" or self.average == "micro":
            thresholds = thresholds[0]
        keys = self.value_keys()
        values = {self.name: value}
        values.update(expand_values({self.threshold_key: thresholds}, keys))
        lead = self.key_lead(compiled_output_name(self))
        return {lead + key: cast_to(v, self.dtype) for key, v in values.items()}

    def best_thresholds(self) -> np.ndarray:
        """The best threshold of each class (one for binary and micro)."""
        fbeta = self._fbeta(self.pooled_stats())
        index = ops.convert_to_numpy(self._best_index(fbeta))
        found: np.ndarray = self.grid[index]
        return found

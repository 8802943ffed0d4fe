"""Several classification scores from one confusion state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from keras_extras._config import spelled_out
from keras_extras._docstrings import document
from keras_extras._keras_compat import compiled_output_name
from keras_extras._naming import (
    LogKey,
    class_labels,
    expand_classes,
    expand_values,
    output_lead,
)
from keras_extras._typing import Average, KappaWeights, Task
from keras_extras._validation import check_number, check_one_of
from keras_extras.metrics.confusion.single import CONFUSION_ARGS
from keras_extras.metrics.confusion.state import (
    ConfusionArguments,
    ConfusionStateMetric,
    check_average,
    check_class_names,
)
from keras_extras.metrics.inputs import TASKS, cast_to
from keras_extras.metrics.scores import KAPPA_WEIGHTS, SCORES, check_scores

if TYPE_CHECKING:
    from typing_extensions import Unpack


@spelled_out(ConfusionArguments)
class ClassificationMetrics(ConfusionStateMetric):
    """Several classification scores from one confusion state, updated once a step.

    `result()` returns a dict `{score: value}`, which Keras flattens into the
    training logs (`f1`, `val_f1`, ...). In a model with several outputs, each key
    starts with the output's name, as Keras names single metrics there
    (`a_f1`, `val_a_f1`): Keras flattens dict results without that prefix, and
    two outputs' keys would overwrite each other. An explicit `prefix` replaces
    the output's name (`prefix="cls_"`: `cls_f1`, in any model). Each score is
    computed from the same counts exactly as its single-metric class does
    (`Precision`, `Recall`, `F1Score`, `FBetaScore`, `Specificity`,
    `BalancedAccuracy`, `MatthewsCorrelation`, `CohenKappa`), plus "accuracy"
    (trace / total; multilabel: 1 - Hamming loss) and, for multilabel,
    "exact_match" (subset accuracy, `ExactMatch`) and "hamming_loss"
    (`HammingLoss`). All but "hamming_loss" are higher-is-better: each key
    declares its direction (`log_keys()`), which
    `keras_extras.callbacks.EarlyStopping` and `BestCheckpoints` read in
    `mode="auto"`; Keras' own `EarlyStopping` and `ModelCheckpoint` look at
    metric names only, so give them `mode="max"` (`mode="min"` for
    "hamming_loss").

    Args:
        metrics: names from "accuracy", "precision", "recall", "f1", "fbeta",
            "specificity", "jaccard", "dice", "balanced_accuracy", "mcc",
            "kappa", and (multilabel) "exact_match", "hamming_loss". Defaults
            to ("precision", "recall", "f1").
        beta: beta of "fbeta". Defaults to 1.0.
        kappa_weights: weights of "kappa": None, "linear" or "quadratic".
        prefix: what each key starts with, instead of the output's name in a
            model with several outputs. Defaults to None (the output's name and
            "_" there, nothing otherwise; "" means the same).
        class_names: with `average=None`, the names in the per-class keys
            (`f1/setosa`); one unique string per class. Defaults to the class
            indices (`f1/0`).
    {args}
    With `average=None`, each per-class score is its own scalar key,
    `<score>/<class name>`, so `CSVLogger` writes one column per class and
    `TensorBoard` draws one curve per class (both refuse vector values, which
    single metrics such as `F1Score(average=None)` return). Every key is read
    on the host at each step's log: for thousands of classes, report per-class
    scores at epoch ends with `keras_extras.callbacks.ClassificationReport`.

    Example:
        >>> import numpy as np
        >>> m = ClassificationMetrics(num_classes=3, metrics=("precision", "mcc"))
        >>> m.update_state(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 2]))
        >>> {k: round(float(v), 4) for k, v in m.result().items()}
        {'precision': 0.5556, 'mcc': 0.6455}
        >>> names = ["a", "b", "c"]
        >>> m = ClassificationMetrics(
        ...     num_classes=3, metrics=("f1",), average=None, class_names=names
        ... )
        >>> m.update_state(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 2]))
        >>> {k: round(float(v), 4) for k, v in m.result().items()}
        {'f1/a': 1.0, 'f1/b': 0.0, 'f1/c': 0.8}
    """

    default_name = "classification_metrics"
    config_fields = (
        "average",
        "beta",
        "kappa_weights",
        "prefix",
        "zero_division",
        "class_names",
    )

    def __init__(
        self,
        num_classes: int | None = None,
        metrics: Sequence[str] = ("precision", "recall", "f1"),
        task: Task = "multiclass",
        average: Average = "macro",
        beta: float = 1.0,
        kappa_weights: KappaWeights = None,
        prefix: str | None = None,
        zero_division: float = 0.0,
        class_names: Sequence[str] | None = None,
        **kwargs: Unpack[ConfusionArguments],
    ) -> None:
        check_one_of("task", task, TASKS)
        if isinstance(metrics, str) or not metrics:
            raise ValueError(
                "Invalid `metrics`: expected a non-empty list of names from "
                f"{tuple(SCORES)}. Received: metrics={metrics!r}"
            )
        if prefix is not None and not isinstance(prefix, str):
            raise TypeError(
                f"Invalid `prefix`: expected a str or None. Received: prefix={prefix!r}"
            )
        options = {
            "beta": check_number("beta", beta, 0.0, None, low_inclusive=False),
            "kappa_weights": check_one_of(
                "kappa_weights", kappa_weights, KAPPA_WEIGHTS
            ),
        }
        super().__init__(
            num_classes,
            task,
            scores=check_scores(metrics, task),
            average=check_average(average, task),
            zero_division=zero_division,
            options=options,
            **kwargs,
        )
        # "" was 0.1's default ("no prefix"): it keeps the output's name, or the
        # keys of two outputs would overwrite each other.
        self.prefix = prefix or None
        if class_names is not None and self.average is not None:
            raise ValueError(
                "`class_names` name the per-class keys of average=None; with "
                f"average={self.average!r} there are none. Received: "
                f"class_names={class_names!r}, average={self.average!r}"
            )
        self.class_names = check_class_names(class_names, num_classes)
        # The output this metric is compiled for, once Keras asks for a result.
        self.output_name: str | None = None

    @property
    def score_names(self) -> tuple[str, ...]:
        """The scores, in the order of `metrics`."""
        return self.scores

    @property
    def beta(self) -> float:
        return float(self.options["beta"])

    @property
    def kappa_weights(self) -> KappaWeights:
        weights: KappaWeights = self.options["kappa_weights"]
        return weights

    def _build_state(self, num_classes: int) -> None:
        check_class_names(getattr(self, "class_names", None), num_classes)
        super()._build_state(num_classes)

    def class_names_of(self) -> list[str]:
        return class_labels(self.class_names, self.num_classes or 0)

    def key_lead(self, output_name: str | None) -> str:
        return output_lead(output_name, self.prefix)

    def log_keys(self, output_name: str | None = None) -> dict[str, LogKey]:
        """As `ExtrasMetric.log_keys`; with `average=None`, one scalar key per
        class (`f1/setosa`), which needs `num_classes` (given, or read from the
        first batch)."""
        if self.average is None and self.num_classes is None:
            raise ValueError(
                f"{self.name}: the per-class keys of average=None are not known "
                "before `num_classes` is: pass num_classes=, or ask after the "
                "first batch."
            )
        return expand_classes(super().log_keys(output_name))

    def result(self) -> Any:
        self.output_name = compiled_output_name(self) or self.output_name
        lead = self.key_lead(self.output_name)
        values = self.score_values(self.statistics())
        if self.label_guard is not None:
            values = self.label_guard.apply_all(values)
        values = expand_values(values, self.value_keys())
        return {lead + key: cast_to(value, self.dtype) for key, value in values.items()}

    def get_config(self) -> Any:
        # The `metrics` argument is kept, validated, as the tuple `scores`.
        return {**super().get_config(), "metrics": list(self.scores)}


document(
    ClassificationMetrics,
    [*CONFUSION_ARGS[:2], "average", *CONFUSION_ARGS[2:], "zero_division"],
    inputs="classification",
)

"""The metrics that report one score of the registry: precision, recall,
specificity, F-beta, F1, Jaccard, Dice, balanced accuracy, MCC, Cohen's kappa."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from keras_extras._config import spelled_out
from keras_extras._docstrings import document
from keras_extras._typing import Average, Direction, KappaWeights, Task
from keras_extras._validation import check_number, check_one_of
from keras_extras.metrics.confusion.state import (
    ConfusionStateMetric,
    ScoreArguments,
    check_average,
)
from keras_extras.metrics.inputs import cast_to
from keras_extras.metrics.scores import KAPPA_WEIGHTS, SCORES, get_score

if TYPE_CHECKING:
    from typing_extensions import Unpack

# The docstring entries of the arguments every confusion metric takes.
CONFUSION_ARGS = (*ConfusionStateMetric.config_fields, "name", "dtype")


def document_score_metric(cls: type[ScoreMetric]) -> type[ScoreMetric]:
    """Fill the `{args}` line of a score metric's docstring: the shared
    arguments, with `average` where the score is averaged."""
    names = [*CONFUSION_ARGS, "zero_division"]
    if cls.score not in SCORES or SCORES[cls.score].averaged:
        names.insert(2, "average")
    return document(cls, names, inputs="classification")


class ScoreMetric(ConfusionStateMetric):
    """Base class of the metrics that report one score of the registry.

    A subclass names its score (`score`, a key of
    `keras_extras.metrics.scores.SCORES`) and its `default_name`; the tasks it
    accepts, whether `average` applies, the state it keeps and its monitor
    direction all come from the registry entry. A score with options (`beta`,
    `kappa_weights`) passes them to `super().__init__(..., options={...})`.

    Args:
    {args}
    Example:
        >>> class Jaccard(ScoreMetric):  # the registry already has "jaccard"
        ...     score = "jaccard"
        ...     default_name = "jaccard"
        >>> m = Jaccard(num_classes=3, average="micro")
        >>> m.update_state(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 2]))
        >>> round(float(m.result()), 4)  # 3 / (3 + 1 + 1)
        0.6
    """

    score = ""
    config_fields: tuple[str, ...] = ("average", "zero_division")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        document_score_metric(cls)
        if "__init__" not in vars(cls):
            # `options` is how a subclass with options (FBetaScore) passes them
            # on; a score without any shows no such argument.
            signature = inspect.signature(cls.__mro__[1])
            kept = [p for p in signature.parameters.values() if p.name != "options"]
            cls.__signature__ = signature.replace(parameters=kept)

    def declared_direction(self) -> Direction:
        return get_score(self.score).direction

    def __init__(
        self,
        num_classes: int | None = None,
        task: Task = "multiclass",
        average: Average = "macro",
        threshold: float | list[float] = 0.5,
        from_logits: bool = False,
        ignore_class: int | None = None,
        top_k: int = 1,
        zero_division: float = 0.0,
        name: str | None = None,
        dtype: Any = None,
        *,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        definition = get_score(self.score)
        if task not in definition.tasks:
            raise ValueError(
                f"Invalid `task` for {type(self).__name__}: expected one of "
                f"{definition.tasks}. Received: task={task!r}"
            )
        if definition.averaged:
            average = check_average(average, task)
        elif average not in ("macro", None):
            raise ValueError(
                f"`average` does not apply to {type(self).__name__}. "
                f"Received: average={average!r}"
            )
        else:
            average = None
        super().__init__(
            num_classes,
            task,
            threshold,
            from_logits,
            ignore_class,
            top_k,
            name,
            dtype,
            scores=(self.score,),
            average=average,
            zero_division=zero_division,
            options=options,
        )

    def score_key(self, score: str) -> str:
        return str(self.name)

    def result(self) -> Any:
        value = self.score_values(self.statistics())[self.score_key(self.score)]
        return cast_to(self.guarded(value), self.dtype)


document_score_metric(ScoreMetric)


class Precision(ScoreMetric):
    """Precision, per class and averaged: TP / (TP + FP).

    Micro averaging pools TP and FP over classes; macro is the unweighted mean of the
    per-class values; weighted weighs them by support. Matches
    `sklearn.metrics.precision_score(..., labels=range(num_classes))`.

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = Precision(num_classes=3)
        >>> m.update_state(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 2]))
        >>> round(float(m.result()), 4)  # (1 + 0 + 2/3) / 3
        0.5556
    """

    score = "precision"
    default_name = "precision"


class Recall(ScoreMetric):
    """Recall (sensitivity, true positive rate): TP / (TP + FN).

    Averaging as in `Precision`. Matches `sklearn.metrics.recall_score`.

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = Recall(num_classes=3)
        >>> m.update_state(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 2]))
        >>> round(float(m.result()), 4)  # (1 + 0 + 1) / 3
        0.6667
    """

    score = "recall"
    default_name = "recall"


class Specificity(ScoreMetric):
    """Specificity (true negative rate): TN / (TN + FP), one-vs-rest per class.

    Averaging as in `Precision` (weighted: by support, the count of true samples).

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = Specificity(task="binary")
        >>> m.update_state(np.array([0, 0, 1, 1]), np.array([0.1, 0.7, 0.8, 0.9]))
        >>> float(m.result())  # TN = 1, FP = 1
        0.5
    """

    score = "specificity"
    default_name = "specificity"


@spelled_out(ScoreArguments)
class FBetaScore(ScoreMetric):
    """F-beta score: (1 + b^2) TP / ((1 + b^2) TP + b^2 FN + FP).

    The weighted harmonic mean of precision and recall, recall counting `beta` times
    as much. Matches `sklearn.metrics.fbeta_score` (0/0 gives `zero_division`).

    Args:
        beta: weight of recall, > 0. Defaults to 1.0.
    {args}
    Example:
        >>> import numpy as np
        >>> m = FBetaScore(num_classes=3, beta=2.0, average="micro")
        >>> m.update_state(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 2]))
        >>> float(m.result())
        0.75
    """

    score = "fbeta"
    default_name = "fbeta_score"
    config_fields = ("beta",)

    def __init__(
        self,
        num_classes: int | None = None,
        task: Task = "multiclass",
        average: Average = "macro",
        beta: float = 1.0,
        **kwargs: Unpack[ScoreArguments],
    ) -> None:
        beta = check_number("beta", beta, 0.0, None, low_inclusive=False)
        super().__init__(num_classes, task, average, options={"beta": beta}, **kwargs)

    @property
    def beta(self) -> float:
        return float(self.options["beta"])


class F1Score(ScoreMetric):
    """F1 score: 2 TP / (2 TP + FN + FP), the harmonic mean of precision and recall.

    Unlike Keras' `F1Score`, it accepts sparse labels and integer predictions, and
    keeps exact counts. Matches `sklearn.metrics.f1_score`.

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = F1Score(num_classes=3)
        >>> m.update_state(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 2]))
        >>> round(float(m.result()), 4)  # (1 + 0 + 0.8) / 3
        0.6
    """

    score = "f1"
    default_name = "f1_score"


class JaccardIndex(ScoreMetric):
    """Jaccard index (intersection over union): TP / (TP + FP + FN).

    Per class, then averaged as in `Precision`; the segmentation IoU of a class is
    its per-class value. Matches `sklearn.metrics.jaccard_score`.

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = JaccardIndex(num_classes=3)
        >>> m.update_state(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 2]))
        >>> round(float(m.result()), 4)  # (1 + 0 + 2/3) / 3
        0.5556
    """

    score = "jaccard"
    default_name = "jaccard_index"


class DiceScore(ScoreMetric):
    """Dice coefficient (Sørensen-Dice): 2 TP / (2 TP + FP + FN).

    Per class, then averaged as in `Precision`: the segmentation name of F1, equal
    to `sklearn.metrics.f1_score` on the flattened pixels. For segmentation, pass
    labels `(batch, height, width)` (or one-hot `(..., C)`) and scores
    `(batch, height, width, C)`; `ignore_class` drops pixels such as VOC's 255
    border, and `JaccardIndex` gives the IoU from the same kind of state.

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = DiceScore(num_classes=3)
        >>> labels = np.array([[[0, 1], [2, 2]]])  # one 2 x 2 image
        >>> scores = np.eye(3)[np.array([[[0, 2], [2, 2]]])]
        >>> m.update_state(labels, scores)
        >>> round(float(m.result()), 4)  # (1 + 0 + 4/5) / 3
        0.6
    """

    score = "dice"
    default_name = "dice_score"


class BalancedAccuracy(ScoreMetric):
    """Balanced accuracy: the mean recall over classes present in `y_true`.

        balanced_accuracy = (1 / |P|) sum_{c in P} TP_c / (TP_c + FN_c),
        P = {c : TP_c + FN_c > 0}

    Matches `sklearn.metrics.balanced_accuracy_score` (`adjusted=False`). Tasks
    "binary" and "multiclass"; `average` does not apply.

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = BalancedAccuracy(num_classes=3)
        >>> m.update_state(np.array([0, 0, 0, 1]), np.array([0, 0, 1, 1]))
        >>> round(float(m.result()), 4)  # (2/3 + 1) / 2
        0.8333
    """

    score = "balanced_accuracy"
    default_name = "balanced_accuracy"


class MatthewsCorrelation(ScoreMetric):
    """Matthews correlation coefficient (multiclass: Gorodkin's R_K).

        MCC = (c s - sum_k p_k t_k) / sqrt((s^2 - sum_k p_k^2)(s^2 - sum_k t_k^2))

    with `c` the correct count, `s` the total, `t_k` / `p_k` the true / predicted
    counts of class k; 0 when a factor of the denominator is 0. Ranges over
    [-1, 1]. Matches `sklearn.metrics.matthews_corrcoef`. Multilabel: the labels'
    2x2 matrices are pooled into one (as torchmetrics does). `average` does not
    apply.

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = MatthewsCorrelation(task="binary")
        >>> m.update_state(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]))
        >>> round(float(m.result()), 4)
        0.5774
    """

    score = "mcc"
    default_name = "matthews_correlation"


@spelled_out(ScoreArguments)
class CohenKappa(ScoreMetric):
    """Cohen's kappa: agreement between labels and predictions beyond chance.

        kappa = 1 - sum_ij W_ij O_ij / sum_ij W_ij E_ij

    with `O` the confusion proportions, `E` the outer product of their marginals, and
    `W` = 1 - I (`weights=None`), |i - j| ("linear") or (i - j)^2 ("quadratic").
    Matches `sklearn.metrics.cohen_kappa_score`. Tasks "binary" and "multiclass";
    `average` does not apply.

    Args:
        weights: None, "linear" or "quadratic". Defaults to None.
    {args}
    Example:
        >>> import numpy as np
        >>> m = CohenKappa(num_classes=3)
        >>> m.update_state(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 2]))
        >>> round(float(m.result()), 4)
        0.5556
    """

    score = "kappa"
    default_name = "cohen_kappa"
    config_fields = ("weights",)

    def __init__(
        self,
        num_classes: int | None = None,
        task: Task = "multiclass",
        average: Average = "macro",
        weights: KappaWeights = None,
        **kwargs: Unpack[ScoreArguments],
    ) -> None:
        options = {"kappa_weights": check_one_of("weights", weights, KAPPA_WEIGHTS)}
        super().__init__(num_classes, task, average, options=options, **kwargs)

    @property
    def weights(self) -> KappaWeights:
        kappa_weights: KappaWeights = self.options["kappa_weights"]
        return kappa_weights

"""Metrics derived from one confusion-count state: precision, recall, F-beta,
specificity, balanced accuracy, MCC, Cohen's kappa and the confusion matrix.

The math lives in small stateless functions: `confusion_counts` turns a batch into
counts, `class_stats` turns counts into per-class TP/FP/FN/TN, and `score` reduces
those to a number. The metric classes are thin shells that keep the counts in a
`CompensatedSum` (exact to 2**48 samples) and call `score` in `result()`.

Conventions (scikit-learn's): rows of the confusion matrix are true classes, columns
predicted classes; a ratio whose denominator is 0 takes the value `zero_division`;
"macro" averages over all `num_classes` classes (scikit-learn with
`labels=range(num_classes)`); "weighted" weighs each class by its support (true
count). Samples whose label lies outside `[0, num_classes)` (binary and multilabel:
outside {0, 1}), equals `ignore_class`, or whose scores contain NaN are not counted:
a compiled step cannot raise on values.
"""

from __future__ import annotations

from keras import ops

from keras_extras.metrics.accumulators import CompensatedSum, weighted_bincount
from keras_extras.metrics.base import (
    ExtrasMetric,
    check_int,
    check_number,
    check_one_of,
    register,
    safe_divide,
)
from keras_extras.metrics.inputs import (
    TASKS,
    classification_inputs,
    infer_num_classes,
)

AVERAGES = ("binary", "micro", "macro", "weighted", None)
KAPPA_WEIGHTS = (None, "linear", "quadratic")
NORMALIZATIONS = (None, "true", "pred", "all")
SCORES = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "fbeta",
    "specificity",
    "balanced_accuracy",
    "mcc",
    "kappa",
)


def state_size(task: str, num_classes: int) -> int:
    """Number of confusion counts kept for a task."""
    return 4 * num_classes if task == "multilabel" else num_classes * num_classes


def confusion_counts(true_ids, pred_ids, weights, task: str, num_classes: int):
    """Weighted confusion counts of one batch, flat: `(C*C,)` or `(4*C,)`.

    Multiclass and binary: bin `true * C + pred`. Multilabel: label `l` with truth
    `t` and decision `p` goes to bin `4 * l + 2 * t + p`.
    """
    if task == "multilabel":
        labels = ops.arange(num_classes, dtype="int32")
        ids = 4 * labels + 2 * true_ids + pred_ids
        ids, weights = ops.reshape(ids, (-1,)), ops.reshape(weights, (-1,))
    else:
        ids = true_ids * num_classes + pred_ids
    return weighted_bincount(ids, weights, state_size(task, num_classes))


def confusion_matrix(flat_counts, task: str, num_classes: int):
    """Reshape flat counts to `(C, C)`, or `(C, 2, 2)` for multilabel."""
    if task == "multilabel":
        return ops.reshape(flat_counts, (num_classes, 2, 2))
    return ops.reshape(flat_counts, (num_classes, num_classes))


def class_stats(matrix, task: str):
    """Per-class `(tp, fp, fn, tn)`, each of shape `(C,)`."""
    if task == "multilabel":
        return matrix[:, 1, 1], matrix[:, 0, 1], matrix[:, 1, 0], matrix[:, 0, 0]
    tp = ops.diagonal(matrix)
    fp = ops.sum(matrix, axis=0) - tp
    fn = ops.sum(matrix, axis=1) - tp
    tn = ops.sum(matrix) - tp - fp - fn
    return tp, fp, fn, tn


def average_ratio(numerator, denominator, support, average, zero_division):
    """Reduce per-class ratios `numerator / denominator` as scikit-learn does."""
    if average == "micro":
        return safe_divide(ops.sum(numerator), ops.sum(denominator), zero_division)
    per_class = safe_divide(numerator, denominator, zero_division)
    if average is None:
        return per_class
    if average == "binary":
        return per_class[1]
    if average == "macro":
        return ops.mean(per_class)
    return safe_divide(ops.sum(per_class * support), ops.sum(support), zero_division)


def _two_by_two(matrix, task):
    """The matrix MCC works on: multilabel labels are pooled into one 2x2."""
    return ops.sum(matrix, axis=0) if task == "multilabel" else matrix


def matthews_corrcoef(matrix, zero_division=0.0):
    """Multiclass MCC (Gorodkin's R_K), scikit-learn's formula, on a `(C, C)` matrix.

    Computed on proportions (counts / total) so float32 never overflows, with each
    variance written as `sum_k q_k (1 - q_k)` (equal to `1 - sum_k q_k^2` since the
    `q_k` sum to 1), which cannot cancel to a negative number.
    """
    total = ops.sum(matrix)
    true_counts = ops.sum(matrix, axis=1)
    pred_counts = ops.sum(matrix, axis=0)
    t = safe_divide(true_counts, total)
    p = safe_divide(pred_counts, total)
    covariance = safe_divide(ops.trace(matrix), total) - ops.sum(t * p)
    variance_true = ops.sum(t * safe_divide(total - true_counts, total))
    variance_pred = ops.sum(p * safe_divide(total - pred_counts, total))
    denominator = ops.sqrt(variance_pred * variance_true)
    return safe_divide(covariance, denominator, zero_division)


def cohen_kappa(matrix, weights=None, zero_division=0.0):
    """Cohen's kappa of a `(C, C)` matrix, scikit-learn's definition.

    kappa = 1 - sum(W * O) / sum(W * E), with O the observed proportions, E the
    outer product of the marginals, W 1 - I (unweighted), |i - j| or (i - j)^2.
    """
    num_classes = matrix.shape[0]
    observed = safe_divide(matrix, ops.sum(matrix))
    expected = ops.outer(ops.sum(observed, axis=1), ops.sum(observed, axis=0))
    index = ops.arange(num_classes, dtype="float32")
    distance = ops.abs(index[:, None] - index[None, :])
    if weights is None:
        penalty = ops.cast(ops.greater(distance, 0), "float32")
    elif weights == "linear":
        penalty = distance
    else:
        penalty = distance * distance
    disagreement = safe_divide(
        ops.sum(penalty * observed), ops.sum(penalty * expected), 1.0 - zero_division
    )
    return 1.0 - disagreement


def balanced_accuracy(matrix, zero_division=0.0):
    """Mean recall over the classes present in `y_true` (scikit-learn's)."""
    tp, _, fn, _ = class_stats(matrix, "multiclass")
    support = tp + fn
    present = ops.cast(ops.greater(support, 0), "float32")
    recall = safe_divide(tp, support)
    return safe_divide(ops.sum(recall * present), ops.sum(present), zero_division)


def score(
    name: str,
    matrix,
    task: str,
    average="macro",
    zero_division: float = 0.0,
    beta: float = 1.0,
    kappa_weights=None,
):
    """One score from a confusion matrix (`name` is one of `SCORES`)."""
    if name == "mcc":
        # scikit-learn's convention: an undefined MCC is 0 (no correlation).
        return matthews_corrcoef(_two_by_two(matrix, task))
    if name == "kappa":
        return cohen_kappa(matrix, kappa_weights, zero_division)
    if name == "balanced_accuracy":
        return balanced_accuracy(matrix, zero_division)
    tp, fp, fn, tn = class_stats(matrix, task)
    if name == "accuracy":
        if task == "multilabel":
            return safe_divide(ops.sum(tp + tn), ops.sum(tp + tn + fp + fn))
        return safe_divide(ops.trace(matrix), ops.sum(matrix), zero_division)
    average = "binary" if task == "binary" else average
    support = tp + fn
    if name == "precision":
        return average_ratio(tp, tp + fp, support, average, zero_division)
    if name == "recall":
        return average_ratio(tp, tp + fn, support, average, zero_division)
    if name == "specificity":
        return average_ratio(tn, tn + fp, support, average, zero_division)
    beta2 = 1.0 if name == "f1" else beta * beta
    numerator = (1.0 + beta2) * tp
    return average_ratio(
        numerator, numerator + beta2 * fn + fp, support, average, zero_division
    )


def normalize_matrix(matrix, normalize, task):
    """Divide counts by row ("true"), column ("pred") or grand ("all") totals."""
    if normalize is None:
        return matrix
    axis = {"true": -1, "pred": -2, "all": (-2, -1)}[normalize]
    return safe_divide(matrix, ops.sum(matrix, axis=axis, keepdims=True))


class ConfusionStateMetric(ExtrasMetric):
    """Base class: keeps exact confusion counts; subclasses define `result()`.

    Args:
        num_classes: number of classes (labels, for multilabel). Required unless it
            can be read from the static last dimension of `y_pred` at the first
            update. Binary: 2 (may be omitted).
        task: "binary", "multiclass" or "multilabel". Defaults to "multiclass".
        threshold: decision threshold on probabilities for binary and multilabel
            scores. Defaults to 0.5.
        from_logits: whether binary/multilabel scores are logits (a sigmoid is
            applied before thresholding). Defaults to `False`.
        ignore_class: label whose samples are not counted. Defaults to `None`.
        name: metric name.
        dtype: dtype of the result.
    """

    def __init__(
        self,
        num_classes: int | None = None,
        task: str = "multiclass",
        threshold: float = 0.5,
        from_logits: bool = False,
        ignore_class: int | None = None,
        name: str | None = None,
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        self.task = check_one_of("task", task, TASKS)
        num_classes = check_int(
            "num_classes",
            num_classes,
            minimum=1 if task == "multilabel" else 2,
            allow_none=True,
        )
        if task == "binary":
            if num_classes not in (None, 2):
                raise ValueError(
                    "Invalid `num_classes` for task='binary': expected 2 or None. "
                    f"Received: num_classes={num_classes!r}"
                )
            num_classes = 2
        self.num_classes = num_classes
        self.threshold = check_number(
            "threshold", threshold, 0.0, 1.0, low_inclusive=False
        )
        if not isinstance(from_logits, bool):
            raise TypeError(
                f"Invalid `from_logits`: expected a bool. Received: {from_logits!r}"
            )
        self.from_logits = from_logits
        self.ignore_class = check_int(
            "ignore_class", ignore_class, minimum=-(2**31), allow_none=True
        )
        self.counts = None
        if num_classes is not None:
            self._build_state(num_classes)

    def _build_state(self, num_classes: int) -> None:
        self.num_classes = num_classes
        self.counts = CompensatedSum(
            self, "confusion", (state_size(self.task, num_classes),)
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.convert_to_tensor(y_pred)
        if self.counts is None:
            inferred = infer_num_classes(y_pred, self.task)
            if inferred is None:
                raise ValueError(
                    f"`num_classes` was not given and cannot be read from "
                    f"y_pred.shape={tuple(y_pred.shape)}: pass num_classes="
                )
            self._build_state(inferred)
        true_ids, pred_ids, weights = classification_inputs(
            y_true,
            y_pred,
            sample_weight,
            task=self.task,
            num_classes=self.num_classes,
            threshold=self.threshold,
            from_logits=self.from_logits,
            ignore_class=self.ignore_class,
        )
        self.counts.add(
            confusion_counts(true_ids, pred_ids, weights, self.task, self.num_classes)
        )

    def confusion_matrix(self):
        """The accumulated counts as `(C, C)` (multilabel: `(C, 2, 2)`), float32."""
        if self.counts is None:
            raise ValueError(
                f"{self.name}: no data seen yet and `num_classes` is unknown."
            )
        return confusion_matrix(self.counts.value(), self.task, self.num_classes)

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "task": self.task,
            "threshold": self.threshold,
            "from_logits": self.from_logits,
            "ignore_class": self.ignore_class,
        }


def _check_zero_division(value) -> float:
    return check_number("zero_division", value, 0.0, 1.0)


class _ScoreMetric(ConfusionStateMetric):
    """A confusion-state metric reporting one score from `SCORES`."""

    score_name = ""
    uses_average = True
    tasks = TASKS

    def __init__(
        self,
        num_classes=None,
        task="multiclass",
        average="macro",
        threshold=0.5,
        from_logits=False,
        ignore_class=None,
        zero_division=0.0,
        name=None,
        dtype=None,
    ):
        super().__init__(
            num_classes=num_classes,
            task=task,
            threshold=threshold,
            from_logits=from_logits,
            ignore_class=ignore_class,
            name=name,
            dtype=dtype,
        )
        if task not in self.tasks:
            raise ValueError(
                f"Invalid `task` for {type(self).__name__}: expected one of "
                f"{self.tasks}. Received: task={task!r}"
            )
        if self.uses_average:
            self.average = _check_average(average, task)
        elif average != "macro":
            raise ValueError(
                f"`average` does not apply to {type(self).__name__}. "
                f"Received: average={average!r}"
            )
        else:
            self.average = None
        self.zero_division = _check_zero_division(zero_division)

    def _score_kwargs(self):
        return {}

    def result(self):
        value = score(
            self.score_name,
            self.confusion_matrix(),
            self.task,
            average=self.average,
            zero_division=self.zero_division,
            **self._score_kwargs(),
        )
        return ops.cast(value, self.dtype)

    def get_config(self):
        config = {**super().get_config(), "zero_division": self.zero_division}
        if self.uses_average:
            config["average"] = self.average
        return config


def _check_average(average, task):
    check_one_of("average", average, AVERAGES)
    if average == "binary" and task != "binary":
        raise ValueError(
            "Invalid `average`: 'binary' needs task='binary'. "
            f"Received: average='binary', task={task!r}"
        )
    if task == "binary" and average not in ("binary", "macro"):
        raise ValueError(
            "Invalid `average` for task='binary': binary scores describe the "
            "positive class (scikit-learn's average='binary'); for averages over "
            "both classes use task='multiclass', num_classes=2. "
            f"Received: average={average!r}"
        )
    return "binary" if task == "binary" else average


_ARGS = {
    "num_classes": """num_classes: number of classes (labels, for multilabel). Required
            unless it can be read from the static last dimension of `y_pred` at the
            first update; 2 (or omitted) for binary.""",
    "task": """task: "binary", "multiclass" or "multilabel". Defaults to
            "multiclass".""",
    "average": """average: "micro", "macro", "weighted", or None for one value per
            class. Defaults to "macro" (all `num_classes` classes weigh the same).
            Binary scores always describe the positive class (average "binary").""",
    "threshold": """threshold: decision threshold on probabilities for binary and
            multilabel scores. Defaults to 0.5.""",
    "from_logits": """from_logits: whether binary/multilabel scores are logits.
            Defaults to False.""",
    "ignore_class": """ignore_class: label whose samples are not counted. Defaults
            to None.""",
    "zero_division": """zero_division: value of a ratio whose denominator is 0, in
            [0, 1]. Defaults to 0.0.""",
    "name": "name: metric name (the key in the training logs).",
    "dtype": "dtype: dtype of the result. Defaults to Keras' float type.",
}

_INPUTS = """
    Inputs:
        y_true: integer ids `(batch, ...)` or `(batch, ..., 1)`, or one-hot /
            multi-hot `(batch, ..., C)`.
        y_pred: scores, probabilities or logits `(batch, ..., C)` (arg-max for
            multiclass, `>= threshold` for binary/multilabel), or integer ids.
            Binary scores may be `(batch, ...)` or `(batch, ..., 1)`.
        sample_weight: optional, `(batch, ...)` or a prefix of it.

    Labels outside `[0, num_classes)`, equal to `ignore_class`, all-zero one-hot
    rows and NaN scores are not counted (a compiled step cannot raise on values).
"""


def _document(cls):
    """Fill the `{args}` line of a docstring with the shared argument entries."""
    names = [name for name in _ARGS if name not in ("average", "zero_division")]
    if issubclass(cls, _ScoreMetric):
        names.append("zero_division")
        if cls.uses_average:
            names.insert(2, "average")
    entries = "".join(f"        {_ARGS[name]}\n" for name in names)
    cls.__doc__ = cls.__doc__.replace("    {args}\n", entries + _INPUTS)
    return cls


@register
@_document
class Precision(_ScoreMetric):
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

    score_name = "precision"

    def __init__(self, num_classes=None, name="precision", **kwargs):
        super().__init__(num_classes=num_classes, name=name, **kwargs)


@register
@_document
class Recall(_ScoreMetric):
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

    score_name = "recall"

    def __init__(self, num_classes=None, name="recall", **kwargs):
        super().__init__(num_classes=num_classes, name=name, **kwargs)


@register
@_document
class Specificity(_ScoreMetric):
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

    score_name = "specificity"

    def __init__(self, num_classes=None, name="specificity", **kwargs):
        super().__init__(num_classes=num_classes, name=name, **kwargs)


@register
@_document
class FBetaScore(_ScoreMetric):
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

    score_name = "fbeta"

    def __init__(self, num_classes=None, beta=1.0, name="fbeta_score", **kwargs):
        super().__init__(num_classes=num_classes, name=name, **kwargs)
        self.beta = check_number("beta", beta, 0.0, None, low_inclusive=False)

    def _score_kwargs(self):
        return {"beta": self.beta}

    def get_config(self):
        return {**super().get_config(), "beta": self.beta}


@register
@_document
class F1Score(_ScoreMetric):
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

    score_name = "f1"

    def __init__(self, num_classes=None, name="f1_score", **kwargs):
        super().__init__(num_classes=num_classes, name=name, **kwargs)


@register
@_document
class BalancedAccuracy(_ScoreMetric):
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

    score_name = "balanced_accuracy"
    uses_average = False
    tasks = ("binary", "multiclass")

    def __init__(self, num_classes=None, name="balanced_accuracy", **kwargs):
        super().__init__(num_classes=num_classes, name=name, **kwargs)


@register
@_document
class MatthewsCorrelation(_ScoreMetric):
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

    score_name = "mcc"
    uses_average = False

    def __init__(self, num_classes=None, name="matthews_correlation", **kwargs):
        super().__init__(num_classes=num_classes, name=name, **kwargs)


@register
@_document
class CohenKappa(_ScoreMetric):
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

    score_name = "kappa"
    uses_average = False
    tasks = ("binary", "multiclass")

    def __init__(self, num_classes=None, weights=None, name="cohen_kappa", **kwargs):
        super().__init__(num_classes=num_classes, name=name, **kwargs)
        self.weights = check_one_of("weights", weights, KAPPA_WEIGHTS)

    def _score_kwargs(self):
        return {"kappa_weights": self.weights}

    def get_config(self):
        return {**super().get_config(), "weights": self.weights}


@register
@_document
class ConfusionMatrix(ConfusionStateMetric):
    """The confusion matrix: `M[i, j]` = (weighted) count of true `i` predicted `j`.

    Multilabel: one 2x2 matrix per label, `(C, 2, 2)`, as
    `sklearn.metrics.multilabel_confusion_matrix`. `normalize` divides by the true
    (row) totals, the predicted (column) totals or the grand total, with 0 where a
    total is 0, as `sklearn.metrics.confusion_matrix`. Counts are exact up to 2**48
    in state; `result()` rounds them to float32 (exact up to 2**24 per cell);
    `metric.counts.numpy()` gives the exact float64 counts on the host.

    Args:
        normalize: None, "true", "pred" or "all". Defaults to None.
    {args}
    Example:
        >>> import numpy as np
        >>> m = ConfusionMatrix(num_classes=2)
        >>> m.update_state(np.array([0, 1, 1]), np.array([0, 0, 1]))
        >>> keras.ops.convert_to_numpy(m.result()).tolist()
        [[1.0, 0.0], [1.0, 1.0]]
    """

    def __init__(
        self, num_classes=None, normalize=None, name="confusion_matrix", **kwargs
    ):
        super().__init__(num_classes=num_classes, name=name, **kwargs)
        self.normalize = check_one_of("normalize", normalize, NORMALIZATIONS)

    def result(self):
        matrix = normalize_matrix(self.confusion_matrix(), self.normalize, self.task)
        return ops.cast(matrix, self.dtype)

    def get_config(self):
        return {**super().get_config(), "normalize": self.normalize}


@register
@_document
class ClassificationMetrics(ConfusionStateMetric):
    """Several classification scores from one confusion state, updated once a step.

    `result()` returns a dict `{prefix + score: value}`, which Keras flattens into the
    training logs (`f1`, `val_f1`, ...). Each score is computed from the same counts
    exactly as its single-metric class does (`Precision`, `Recall`, `F1Score`,
    `FBetaScore`, `Specificity`, `BalancedAccuracy`, `MatthewsCorrelation`,
    `CohenKappa`), plus "accuracy" (trace / total; multilabel: 1 - Hamming loss).
    All of them are higher-is-better. Keras' `EarlyStopping` and `ModelCheckpoint`
    infer the direction from a metric's own name only, so monitor a score of this
    metric with `mode="max"` (single-score classes work with `mode="auto"`).

    Args:
        metrics: names from "accuracy", "precision", "recall", "f1", "fbeta",
            "specificity", "balanced_accuracy", "mcc", "kappa". Defaults to
            ("precision", "recall", "f1").
        beta: beta of "fbeta". Defaults to 1.0.
        kappa_weights: weights of "kappa": None, "linear" or "quadratic".
        prefix: prepended to each key of the result. Defaults to "".
    {args}
    Example:
        >>> import numpy as np
        >>> m = ClassificationMetrics(num_classes=3, metrics=("precision", "mcc"))
        >>> m.update_state(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 2]))
        >>> {k: round(float(v), 4) for k, v in m.result().items()}
        {'precision': 0.5556, 'mcc': 0.6455}
    """

    def __init__(
        self,
        num_classes=None,
        metrics=("precision", "recall", "f1"),
        task="multiclass",
        average="macro",
        beta=1.0,
        kappa_weights=None,
        prefix="",
        zero_division=0.0,
        name="classification_metrics",
        **kwargs,
    ):
        super().__init__(num_classes=num_classes, task=task, name=name, **kwargs)
        if isinstance(metrics, str) or not metrics:
            raise ValueError(
                "Invalid `metrics`: expected a non-empty list of names from "
                f"{SCORES}. Received: metrics={metrics!r}"
            )
        self.score_names = tuple(check_one_of("metrics", m, SCORES) for m in metrics)
        if len(set(self.score_names)) != len(self.score_names):
            raise ValueError(f"Invalid `metrics`: duplicates in {metrics!r}")
        if task == "multilabel":
            for unsupported in ("balanced_accuracy", "kappa"):
                if unsupported in self.score_names:
                    raise ValueError(
                        f"Invalid `metrics`: {unsupported!r} is not defined for "
                        "task='multilabel'."
                    )
        self.average = _check_average(average, task)
        self.beta = check_number("beta", beta, 0.0, None, low_inclusive=False)
        self.kappa_weights = check_one_of("kappa_weights", kappa_weights, KAPPA_WEIGHTS)
        if not isinstance(prefix, str):
            raise TypeError(f"Invalid `prefix`: expected a str. Received: {prefix!r}")
        self.prefix = prefix
        self.zero_division = _check_zero_division(zero_division)

    def result(self):
        matrix = self.confusion_matrix()
        return {
            f"{self.prefix}{name}": ops.cast(
                score(
                    name,
                    matrix,
                    self.task,
                    average=self.average,
                    zero_division=self.zero_division,
                    beta=self.beta,
                    kappa_weights=self.kappa_weights,
                ),
                self.dtype,
            )
            for name in self.score_names
        }

    def get_config(self):
        return {
            **super().get_config(),
            "metrics": list(self.score_names),
            "average": self.average,
            "beta": self.beta,
            "kappa_weights": self.kappa_weights,
            "prefix": self.prefix,
            "zero_division": self.zero_division,
        }

"""Metrics derived from one confusion-count state: precision, recall, F-beta,
specificity, balanced accuracy, MCC, Cohen's kappa and the confusion matrix.

The math lives in small stateless functions: `confusion_counts` turns a batch into
counts, `class_counts` turns counts into per-class TP / predicted / actual / total,
and `scores` reduces those to numbers. The metric classes are thin shells that keep
the counts in a `CompensatedSum` (exact to 2**48 samples) and call `scores` in
`result()`.

Conventions (scikit-learn's): rows of the confusion matrix are true classes, columns
predicted classes; a ratio whose denominator is 0 takes the value `zero_division`;
"macro" averages over all `num_classes` classes (scikit-learn with
`labels=range(num_classes)`); "weighted" weighs each class by its support (true
count). Samples whose label lies outside `[0, num_classes)` (binary and multilabel:
outside {0, 1}), equals `ignore_class`, or whose scores contain NaN are not counted:
a compiled step cannot raise on values.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from keras_extras.metrics.accumulators import CompensatedSum, weighted_bincount
from keras_extras.metrics.base import (
    ExtrasMetric,
    check_bool,
    check_int,
    check_number,
    check_one_of,
    safe_divide,
)
from keras_extras.metrics.inputs import (
    TASKS,
    cast_to,
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


def class_counts(matrix, task: str):
    """Per-class `(tp, predicted, actual, total)` stacked into one `(4, C)` tensor.

    `predicted = tp + fp`, `actual = tp + fn` (the support) and `total` is the
    number of samples (multilabel: of that label), repeated per class. Every
    per-class statistic is a linear combination of these rows (`RATIO_TERMS`).
    """
    if task == "multilabel":
        tp = matrix[:, 1, 1]
        predicted = ops.sum(matrix[:, :, 1], axis=1)
        actual = ops.sum(matrix[:, 1, :], axis=1)
        total = ops.sum(matrix, axis=(1, 2))
    else:
        tp = ops.diagonal(matrix)
        predicted = ops.sum(matrix, axis=0)
        actual = ops.sum(matrix, axis=1)
        total = ops.broadcast_to(ops.sum(actual), ops.shape(actual))
    return ops.stack([tp, predicted, actual, total])


RATIO_SCORES = ("precision", "recall", "f1", "fbeta", "specificity")


def ratio_terms(name: str, beta: float = 1.0):
    """Coefficients of a ratio score's numerator and denominator over the rows
    `(tp, predicted, actual, total)` of `class_counts`."""
    if name == "precision":
        return (1, 0, 0, 0), (0, 1, 0, 0)
    if name == "recall":
        return (1, 0, 0, 0), (0, 0, 1, 0)
    if name == "specificity":  # tn / (tn + fp)
        return (1, -1, -1, 1), (0, 0, -1, 1)
    beta2 = 1.0 if name == "f1" else beta * beta
    # (1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp) = ... / (predicted + b^2 actual)
    return (1 + beta2, 0, 0, 0), (0, 1, beta2, 0)


def _combine(coefficients, counts):
    """Rows `coefficients @ counts`, written out term by term: zero and unit
    coefficients cost no op, and float32 stays exact (a GPU matrix product may
    round its inputs to TF32)."""
    rows = []
    for row in coefficients:
        combined = None
        for index, coefficient in enumerate(row):
            if coefficient == 0:
                continue
            term = counts[index]
            if coefficient == -1:
                combined = ops.negative(term) if combined is None else combined - term
                continue
            term = term if coefficient == 1 else term * float(coefficient)
            combined = term if combined is None else combined + term
        rows.append(combined)
    return ops.stack(rows)


def average_ratio(numerator, denominator, support, average, zero_division):
    """Reduce per-class ratios `numerator / denominator` (last axis) as
    scikit-learn does."""
    if average == "micro":
        return safe_divide(
            ops.sum(numerator, axis=-1), ops.sum(denominator, axis=-1), zero_division
        )
    per_class = safe_divide(numerator, denominator, zero_division)
    if average is None:
        return per_class
    if average == "binary":
        return per_class[..., 1]
    if average == "macro":
        return ops.mean(per_class, axis=-1)
    return safe_divide(
        ops.sum(per_class * support, axis=-1), ops.sum(support), zero_division
    )


def agreement_terms(counts):
    """What MCC and Cohen's kappa share, from `class_counts` of a square matrix:
    observed agreement, chance agreement and the marginal variances, on proportions
    so float32 never overflows.

    Returns `(accuracy, chance, variance_true, variance_pred)` with
    `chance = sum_k t_k p_k` and `variance = sum_k q_k (1 - q_k)` (equal to
    `1 - sum_k q_k^2` since the `q_k` sum to 1, but it cannot cancel below 0).
    """
    total = counts[3, 0]
    marginals = safe_divide(counts[1:3], total)  # predicted, actual proportions
    accuracy = safe_divide(ops.sum(counts[0]), total)
    chance = ops.sum(marginals[0] * marginals[1])
    variances = ops.sum(marginals * (1.0 - marginals), axis=-1)
    return accuracy, chance, variances[1], variances[0]


def _mcc(terms):
    """Multiclass MCC (Gorodkin's R_K), scikit-learn's formula, from
    `agreement_terms`; 0 where undefined (scikit-learn's convention).

        MCC = (acc - sum_k t_k p_k) / sqrt(sum_k t_k (1 - t_k) * sum_k p_k (1 - p_k))
    """
    accuracy, chance, variance_true, variance_pred = terms
    return safe_divide(accuracy - chance, ops.sqrt(variance_true * variance_pred))


def kappa_penalty(num_classes: int, weights: str):
    """Disagreement weights |i - j| ("linear") or (i - j)^2 ("quadratic")."""
    index = np.arange(num_classes, dtype="float32")
    distance = np.abs(index[:, None] - index[None, :])
    return distance if weights == "linear" else distance * distance


def weighted_cohen_kappa(matrix, weights, zero_division=0.0):
    """Linearly or quadratically weighted Cohen's kappa of a `(C, C)` matrix, as
    scikit-learn defines it (the unweighted kappa comes from `agreement_terms`).

    kappa = 1 - sum(W * O) / sum(W * E), with O the observed proportions, E the
    outer product of the marginals, W = |i - j| or (i - j)^2.
    """
    penalty = kappa_penalty(matrix.shape[0], weights)
    observed = safe_divide(matrix, ops.sum(matrix))
    expected = ops.outer(ops.sum(observed, axis=1), ops.sum(observed, axis=0))
    disagreement = safe_divide(
        ops.sum(ops.multiply(penalty, observed)),
        ops.sum(ops.multiply(penalty, expected)),
        1.0 - zero_division,
    )
    return 1.0 - disagreement


def balanced_accuracy(tp, actual, zero_division=0.0):
    """Mean recall over the classes present in `y_true` (scikit-learn's)."""
    present = ops.cast(ops.greater(actual, 0), "float32")
    return safe_divide(
        ops.sum(safe_divide(tp, actual)), ops.sum(present), zero_division
    )


def scores(
    names,
    matrix,
    task: str,
    average="macro",
    zero_division: float = 0.0,
    beta: float = 1.0,
    kappa_weights=None,
) -> dict:
    """Scores named in `names` (from `SCORES`) from one confusion matrix.

    `result()` runs every training step, eagerly on torch, where each op costs
    microseconds: per-class counts are computed once, all ratio scores (precision,
    recall, F-beta, specificity) come from one stacked division, and accuracy, MCC
    and unweighted kappa from the same agreement terms.
    """
    counts = class_counts(matrix, task)
    average = "binary" if task == "binary" else average
    results = {}
    ratios = [name for name in names if name in RATIO_SCORES]
    if ratios:
        terms = [ratio_terms(name, beta) for name in ratios]
        values = average_ratio(
            _combine([numerator for numerator, _ in terms], counts),
            _combine([denominator for _, denominator in terms], counts),
            counts[2],
            average,
            zero_division,
        )
        results.update({name: values[i] for i, name in enumerate(ratios)})
    if "balanced_accuracy" in names:
        results["balanced_accuracy"] = balanced_accuracy(
            counts[0], counts[2], zero_division
        )
    if "accuracy" in names and task == "multilabel":
        correct = _combine([(2, -1, -1, 1)], counts)  # tp + tn
        results["accuracy"] = safe_divide(ops.sum(correct), ops.sum(counts[3]))
    if {"accuracy", "mcc", "kappa"} & set(names).difference(results):
        # Multilabel MCC pools the labels' 2x2 matrices into one (as torchmetrics);
        # kappa is not defined for multilabel (rejected at construction).
        if task == "multilabel":
            counts = class_counts(ops.sum(matrix, axis=0), "binary")
        terms = agreement_terms(counts)
        accuracy, chance = terms[0], terms[1]
        results.setdefault("accuracy", accuracy)
        results["mcc"] = _mcc(terms)
        if kappa_weights is None:
            results["kappa"] = safe_divide(
                accuracy - chance, 1.0 - chance, zero_division
            )
        elif "kappa" in names:
            results["kappa"] = weighted_cohen_kappa(
                matrix, kappa_weights, zero_division
            )
    return {name: results[name] for name in names}


def score(name: str, matrix, task: str, **kwargs):
    """One score from a confusion matrix (`name` is one of `SCORES`)."""
    return scores((name,), matrix, task, **kwargs)[name]


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

    config_fields = ("num_classes", "task", "threshold", "from_logits", "ignore_class")

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
        self.from_logits = check_bool("from_logits", from_logits)
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


def _check_zero_division(value) -> float:
    return check_number("zero_division", value, 0.0, 1.0)


class _ScoreMetric(ConfusionStateMetric):
    """A confusion-state metric reporting one score from `SCORES`."""

    score_name = ""
    uses_average = True
    tasks = TASKS
    config_fields = ("average", "zero_division")

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
        elif average not in ("macro", None):
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
        return cast_to(value, self.dtype)


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

    config_fields = ("beta",)

    def _score_kwargs(self):
        return {"beta": self.beta}


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

    config_fields = ("weights",)

    def _score_kwargs(self):
        return {"kappa_weights": self.weights}


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

    config_fields = ("normalize",)

    def __init__(
        self, num_classes=None, normalize=None, name="confusion_matrix", **kwargs
    ):
        super().__init__(num_classes=num_classes, name=name, **kwargs)
        self.normalize = check_one_of("normalize", normalize, NORMALIZATIONS)

    def result(self):
        matrix = normalize_matrix(self.confusion_matrix(), self.normalize, self.task)
        return cast_to(matrix, self.dtype)


@_document
class ClassificationMetrics(ConfusionStateMetric):
    """Several classification scores from one confusion state, updated once a step.

    `result()` returns a dict `{prefix + score: value}`, which Keras flattens into the
    training logs (`f1`, `val_f1`, ...). Each score is computed from the same counts
    exactly as its single-metric class does (`Precision`, `Recall`, `F1Score`,
    `FBetaScore`, `Specificity`, `BalancedAccuracy`, `MatthewsCorrelation`,
    `CohenKappa`), plus "accuracy" (trace / total; multilabel: 1 - Hamming loss).
    All of them are higher-is-better. `keras_extras.callbacks.EarlyStopping` and
    `BestCheckpoints` find that in `mode="auto"`; Keras' own `EarlyStopping` and
    `ModelCheckpoint` look at metric names only, so give them `mode="max"`.

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
        values = scores(
            self.score_names,
            self.confusion_matrix(),
            self.task,
            average=self.average,
            zero_division=self.zero_division,
            beta=self.beta,
            kappa_weights=self.kappa_weights,
        )
        return {
            f"{self.prefix}{name}": cast_to(value, self.dtype)
            for name, value in values.items()
        }

    config_fields = ("average", "beta", "kappa_weights", "prefix", "zero_division")

    def get_config(self):
        # The `metrics` argument is kept, validated, as the tuple `score_names`.
        return {**super().get_config(), "metrics": list(self.score_names)}

"""Metrics derived from one confusion state: precision, recall, F-beta,
specificity, Jaccard, balanced accuracy, MCC, Cohen's kappa, the confusion matrix.

The scores are defined once, in the registry of `keras_extras.metrics.scores`, as
formulas over per-class statistics (`tp`, `predicted`, `actual`, `total`). A metric
here keeps the smallest exact state its scores need, in a `CompensatedSum` (exact
to 2**40 samples, and after a merge of replicas), updated by one scatter-add per step:

- binary and multiclass: the per-class rows its scores read, `(k, C)` with
  k <= 3 (precision keeps `tp` and `predicted`; F1 and MCC also `actual`);
- the `(C, C)` matrix only for `ConfusionMatrix` and weighted `CohenKappa`;
- multilabel: one 2x2 matrix per label, `(C, 2, 2)`.

Conventions (scikit-learn's): rows of the confusion matrix are true classes, columns
predicted classes; a ratio whose denominator is 0 takes the value `zero_division`;
"macro" averages over all `num_classes` classes (scikit-learn with
`labels=range(num_classes)`); "weighted" weighs each class by its support (true
count). Samples whose label lies outside `[0, num_classes)` (binary and multilabel:
outside {0, 1}), equals `ignore_class`, or whose scores contain NaN are not counted:
a compiled step cannot raise on values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keras import ops

from keras_extras._keras_compat import compiled_output_name
from keras_extras._typing import Tensor
from keras_extras._validation import check_bool, check_int, check_number, check_one_of
from keras_extras.metrics.accumulators import CompensatedSum, weighted_bincount
from keras_extras.metrics.base import (
    ExtrasMetric,
    safe_divide,
)
from keras_extras.metrics.inputs import (
    TASKS,
    cast_to,
    classification_inputs,
    infer_num_classes,
)
from keras_extras.metrics.scores import (
    AVERAGES,
    KAPPA_WEIGHTS,
    SCORES,
    ClassStatistics,
    check_scores,
    compute_scores,
    get_score,
    state_rows,
)

NORMALIZATIONS = (None, "true", "pred", "all")


def _confusion_counts(
    true_ids: Tensor, pred_ids: Tensor, weights: Tensor, task: str, num_classes: int
) -> Any:
    """Weighted confusion counts of one batch, flat: `(C*C,)` or `(4*C,)`.

    Multiclass and binary: bin `true * C + pred`. Multilabel: label `l` with truth
    `t` and decision `p` goes to bin `4 * l + 2 * t + p`.
    """
    if task == "multilabel":
        labels = ops.arange(num_classes, dtype="int32")
        ids = 4 * labels + 2 * true_ids + pred_ids
        ids, weights = ops.reshape(ids, (-1,)), ops.reshape(weights, (-1,))
        return weighted_bincount(ids, weights, 4 * num_classes)
    ids = true_ids * num_classes + pred_ids
    return weighted_bincount(ids, weights, num_classes * num_classes)


def _class_statistics(
    true_ids: Tensor, pred_ids: Tensor, weights: Tensor, rows: Any, num_classes: int
) -> Any:
    """Per-class statistics of one batch, `(len(rows), C)`, in one scatter-add.

    Row "tp" sums the weights of correct samples by class, "predicted" all weights
    by predicted class, "actual" by true class: the ids of row `r` are offset by
    `r * C` and every row goes through a single weighted bincount. With weights
    `(N, R)` (bootstrap replicates), replicate `k` is offset by `k * rows * C`
    and the result is `(R, len(rows), C)`, still from one scatter-add.
    """
    replicates = weights.shape[1] if len(weights.shape) == 2 else None
    agree = true_ids == pred_ids
    if replicates:
        agree = agree[:, None]
    ids, row_weights = [], []
    for index, row in enumerate(rows):
        row_ids = pred_ids if row == "predicted" else true_ids
        if row == "tp":
            row_weights.append(ops.where(agree, weights, 0.0))
        else:
            row_weights.append(weights)
        # Operators, not keras.ops: this runs every step (see exact_add).
        ids.append(row_ids + index * num_classes if index else row_ids)
    if len(rows) > 1:
        ids, row_weights = ops.concatenate(ids), ops.concatenate(row_weights)
    else:
        ids, row_weights = ids[0], row_weights[0]
    size = len(rows) * num_classes
    if replicates:
        offsets = ops.arange(replicates, dtype="int32") * size
        ids = ops.reshape(ids[:, None] + offsets, (-1,))
        counts = weighted_bincount(
            ids, ops.reshape(row_weights, (-1,)), replicates * size
        )
        return ops.reshape(counts, (replicates, len(rows), num_classes))
    counts = weighted_bincount(ids, row_weights, size)
    return ops.reshape(counts, (len(rows), num_classes))


def _matrix_from_counts(flat_counts: Any, task: str, num_classes: int) -> Any:
    """Reshape flat counts to `(C, C)`, or `(C, 2, 2)` for multilabel."""
    if task == "multilabel":
        return ops.reshape(flat_counts, (num_classes, 2, 2))
    return ops.reshape(flat_counts, (num_classes, num_classes))


def normalize_matrix(matrix: Tensor, normalize: Any) -> Any:
    """Divide counts by row ("true"), column ("pred") or grand ("all") totals."""
    if normalize is None:
        return matrix
    axis = {"true": -1, "pred": -2, "all": (-2, -1)}[normalize]
    return safe_divide(matrix, ops.sum(matrix, axis=axis, keepdims=True))


class ConfusionStateMetric(ExtrasMetric):
    """Base class: keeps exact confusion state; subclasses define `result()`.

    The state is what `state_layout()` asks for: "matrix" (the `(C, C)` counts;
    multilabel always keeps one 2x2 matrix per label) or a tuple of per-class rows
    from ("tp", "predicted", "actual"). Subclasses that override `state_layout`
    set the attributes it reads before calling `super().__init__`, which builds
    the state when `num_classes` is known. `statistics()` returns the per-class
    `ClassStatistics` that the score registry reads.

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

    config_fields: tuple[str, ...] = (
        "num_classes",
        "task",
        "threshold",
        "from_logits",
        "ignore_class",
        "top_k",
    )

    def __init__(
        self,
        num_classes: int | None = None,
        task: str = "multiclass",
        threshold: float = 0.5,
        from_logits: bool = False,
        ignore_class: int | None = None,
        top_k: int = 1,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
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
        self.top_k = check_int("top_k", top_k, minimum=1)
        if top_k > 1 and task != "multiclass":
            raise ValueError(
                "`top_k` applies to task='multiclass' only. "
                f"Received: top_k={top_k!r}, task={task!r}"
            )
        self.counts: CompensatedSum | None = None
        self.layout = self.state_layout()
        if num_classes is not None:
            self._build_state(num_classes)

    def state_layout(self) -> Any:
        """ "matrix", or the per-class rows the state keeps (binary, multiclass)."""
        return "matrix"

    def _build_state(self, num_classes: int) -> None:
        if self.top_k > num_classes:
            raise ValueError(
                f"Invalid `top_k`: at most num_classes={num_classes}. "
                f"Received: top_k={self.top_k}"
            )
        self.num_classes = num_classes
        if self.layout == "matrix":
            size = 4 * num_classes if self.task == "multilabel" else num_classes**2
            self.counts = CompensatedSum(self, "confusion", (size,))
        else:
            self.counts = CompensatedSum(
                self, "statistics", (len(self.layout), num_classes)
            )

    def update_state(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> None:
        y_pred = ops.convert_to_tensor(y_pred)
        if self.counts is None:
            inferred = infer_num_classes(y_pred, self.task)
            if inferred is None:
                raise ValueError(
                    f"`num_classes` was not given and cannot be read from "
                    f"y_pred.shape={tuple(y_pred.shape)}: pass num_classes="
                )
            self._build_state(inferred)
        state, num_classes = self._built()
        true_ids, pred_ids, weights = self.formatted_inputs(
            y_true, y_pred, sample_weight
        )
        if self.layout == "matrix":
            counts = _confusion_counts(
                true_ids, pred_ids, weights, self.task, num_classes
            )
        else:
            counts = _class_statistics(
                true_ids, pred_ids, weights, self.layout, num_classes
            )
        state.add(counts)

    def formatted_inputs(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> Any:
        """`classification_inputs` with this metric's settings: flat true ids,
        predicted ids and weights (what `update_state` counts)."""
        _, num_classes = self._built()
        return classification_inputs(
            y_true,
            y_pred,
            sample_weight,
            task=self.task,
            num_classes=num_classes,
            threshold=self.threshold,
            from_logits=self.from_logits,
            ignore_class=self.ignore_class,
            top_k=self.top_k,
        )

    def _built(self) -> tuple[CompensatedSum, int]:
        """The state and the class count, once known."""
        if self.counts is None or self.num_classes is None:
            raise ValueError(
                f"{self.name}: no data seen yet and `num_classes` is unknown."
            )
        return self.counts, self.num_classes

    def statistics(self) -> ClassStatistics:
        """The accumulated per-class statistics (float32 tensors)."""
        state, _ = self._built()
        if self.layout == "matrix":
            return ClassStatistics.from_matrix(self.confusion_matrix(), self.task)
        rows = ops.unstack(state.value(), axis=0)
        return ClassStatistics(dict(zip(self.layout, rows, strict=True)), self.task)

    def confusion_matrix(self) -> Any:
        """The accumulated counts as `(C, C)` (multilabel: `(C, 2, 2)`), float32.

        Only a state that keeps the matrix has it (`ConfusionMatrix`, weighted
        `CohenKappa`, multilabel); the per-class scores keep O(C) statistics.
        """
        state, num_classes = self._built()
        if self.layout != "matrix":
            raise ValueError(
                f"{self.name} keeps per-class statistics {self.layout}, not the "
                "confusion matrix: use keras_extras.metrics.ConfusionMatrix."
            )
        return _matrix_from_counts(state.value(), self.task, num_classes)


def _check_zero_division(value: Tensor) -> float:
    return check_number("zero_division", value, 0.0, 1.0)


def _check_average(average: Any, task: Any) -> Any:
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


class ScoreMetric(ConfusionStateMetric):
    """Base class of the metrics that report one score of the registry.

    A subclass names its score (`score`, a key of
    `keras_extras.metrics.scores.SCORES`) and its `default_name`; the tasks it
    accepts, whether `average` applies, the state it keeps and its monitor
    direction all come from the registry entry. A score with options (`beta`,
    `kappa_weights`) sets them as attributes before `super().__init__` and
    returns them from `score_options()`.

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

    def __init__(
        self,
        num_classes: int | None = None,
        task: str = "multiclass",
        average: str | None = "macro",
        threshold: float = 0.5,
        from_logits: bool = False,
        ignore_class: int | None = None,
        top_k: int = 1,
        zero_division: float = 0.0,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        definition = get_score(self.score)
        if task not in definition.tasks:
            raise ValueError(
                f"Invalid `task` for {type(self).__name__}: expected one of "
                f"{definition.tasks}. Received: task={task!r}"
            )
        if definition.averaged:
            self.average = _check_average(average, task)
        elif average not in ("macro", None):
            raise ValueError(
                f"`average` does not apply to {type(self).__name__}. "
                f"Received: average={average!r}"
            )
        else:
            self.average = None
        self.zero_division = _check_zero_division(zero_division)
        self.direction = definition.direction  # read by ExtrasMetric.__init__
        super().__init__(
            num_classes=num_classes,
            task=task,
            threshold=threshold,
            from_logits=from_logits,
            ignore_class=ignore_class,
            top_k=top_k,
            name=name,
            dtype=dtype,
        )

    def score_options(self) -> dict[str, Any]:
        """The options of the score (`beta`, `kappa_weights`); none by default."""
        return {}

    def state_layout(self) -> Any:
        return state_rows((self.score,), self.task, self.average, self.score_options())

    def result(self) -> Any:
        value = compute_scores(
            (self.score,),
            self.statistics(),
            average=self.average,
            zero_division=self.zero_division,
            options=self.score_options(),
        )[self.score]
        return cast_to(value, self.dtype)


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
    "top_k": """top_k: multiclass with class scores: a sample counts as predicting
            its label when the label is among its `top_k` highest scores, and as
            its arg-max otherwise (torchmetrics' definition; a score tied with the
            k-th counts as among them). Defaults to 1.""",
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


def _check_class_names(class_names: Any, num_classes: Any) -> Any:
    """A list of unique strings, one per class, or None."""
    if class_names is None:
        return None
    names = list(class_names) if not isinstance(class_names, str) else None
    if (
        names is None
        or not all(isinstance(n, str) for n in names)
        or len(set(names)) != len(names)
        or (num_classes is not None and len(names) != num_classes)
    ):
        raise ValueError(
            "Invalid `class_names`: expected one unique string per class "
            f"(num_classes={num_classes}). Received: class_names={class_names!r}"
        )
    return names


def _document(cls: type) -> type:
    """Fill the `{args}` line of a docstring with the shared argument entries."""
    names = [name for name in _ARGS if name not in ("average", "zero_division")]
    if issubclass(cls, ScoreMetric):
        names.append("zero_division")
        if not cls.score or get_score(cls.score).averaged:
            names.insert(2, "average")
    entries = "".join(f"        {_ARGS[name]}\n" for name in names)
    cls.__doc__ = (cls.__doc__ or "").replace("    {args}\n", entries + _INPUTS)
    return cls


_document(ScoreMetric)


@_document
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


@_document
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


@_document
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


@_document
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
        task: str = "multiclass",
        average: str | None = "macro",
        beta: float = 1.0,
        threshold: float = 0.5,
        from_logits: bool = False,
        ignore_class: int | None = None,
        top_k: int = 1,
        zero_division: float = 0.0,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        self.beta = check_number("beta", beta, 0.0, None, low_inclusive=False)
        super().__init__(
            num_classes=num_classes,
            task=task,
            average=average,
            threshold=threshold,
            from_logits=from_logits,
            ignore_class=ignore_class,
            top_k=top_k,
            zero_division=zero_division,
            name=name,
            dtype=dtype,
        )

    def score_options(self) -> Any:
        return {"beta": self.beta}


@_document
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


@_document
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


@_document
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


@_document
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


@_document
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


@_document
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
        task: str = "multiclass",
        average: str | None = "macro",
        weights: str | None = None,
        threshold: float = 0.5,
        from_logits: bool = False,
        ignore_class: int | None = None,
        top_k: int = 1,
        zero_division: float = 0.0,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        self.weights = check_one_of("weights", weights, KAPPA_WEIGHTS)
        super().__init__(
            num_classes=num_classes,
            task=task,
            average=average,
            threshold=threshold,
            from_logits=from_logits,
            ignore_class=ignore_class,
            top_k=top_k,
            zero_division=zero_division,
            name=name,
            dtype=dtype,
        )

    def score_options(self) -> Any:
        return {"kappa_weights": self.weights}


@_document
class ConfusionMatrix(ConfusionStateMetric):
    """The confusion matrix: `M[i, j]` = (weighted) count of true `i` predicted `j`.

    Multilabel: one 2x2 matrix per label, `(C, 2, 2)`, as
    `sklearn.metrics.multilabel_confusion_matrix`. `normalize` divides by the true
    (row) totals, the predicted (column) totals or the grand total, with 0 where a
    total is 0, as `sklearn.metrics.confusion_matrix`. Counts are exact up to 2**40
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

    default_name = "confusion_matrix"

    def __init__(
        self,
        num_classes: int | None = None,
        normalize: str | None = None,
        task: str = "multiclass",
        threshold: float = 0.5,
        from_logits: bool = False,
        ignore_class: int | None = None,
        top_k: int = 1,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        self.normalize = check_one_of("normalize", normalize, NORMALIZATIONS)
        super().__init__(
            num_classes=num_classes,
            task=task,
            threshold=threshold,
            from_logits=from_logits,
            ignore_class=ignore_class,
            top_k=top_k,
            name=name,
            dtype=dtype,
        )

    def result(self) -> Any:
        matrix = normalize_matrix(self.confusion_matrix(), self.normalize)
        return cast_to(matrix, self.dtype)


@_document
class ClassificationMetrics(ConfusionStateMetric):
    """Several classification scores from one confusion state, updated once a step.

    `result()` returns a dict `{prefix + score: value}`, which Keras flattens into the
    training logs (`f1`, `val_f1`, ...). In a model with several outputs, each key
    also starts with the output's name, as Keras names single metrics there
    (`a_f1`, `val_a_f1`): Keras flattens dict results without that prefix, and
    two outputs' keys would overwrite each other. Each score is computed from the
    same counts exactly as its single-metric class does (`Precision`, `Recall`,
    `F1Score`, `FBetaScore`, `Specificity`, `BalancedAccuracy`, `MatthewsCorrelation`,
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

    def __init__(
        self,
        num_classes: int | None = None,
        metrics: Sequence[str] = ("precision", "recall", "f1"),
        task: str = "multiclass",
        average: str | None = "macro",
        beta: float = 1.0,
        kappa_weights: str | None = None,
        prefix: str = "",
        zero_division: float = 0.0,
        class_names: Sequence[str] | None = None,
        threshold: float = 0.5,
        from_logits: bool = False,
        ignore_class: int | None = None,
        top_k: int = 1,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        check_one_of("task", task, TASKS)
        if isinstance(metrics, str) or not metrics:
            raise ValueError(
                "Invalid `metrics`: expected a non-empty list of names from "
                f"{tuple(SCORES)}. Received: metrics={metrics!r}"
            )
        self.score_names = check_scores(metrics, task)
        self.average = _check_average(average, task)
        self.beta = check_number("beta", beta, 0.0, None, low_inclusive=False)
        self.kappa_weights = check_one_of("kappa_weights", kappa_weights, KAPPA_WEIGHTS)
        if not isinstance(prefix, str):
            raise TypeError(f"Invalid `prefix`: expected a str. Received: {prefix!r}")
        self.prefix = prefix
        self.zero_division = _check_zero_division(zero_division)
        self.class_names = _check_class_names(class_names, num_classes)
        self.output_name: str | None = (
            None  # set when Keras computes it for one of several
        )
        super().__init__(
            num_classes=num_classes,
            task=task,
            threshold=threshold,
            from_logits=from_logits,
            ignore_class=ignore_class,
            top_k=top_k,
            name=name,
            dtype=dtype,
        )

    def log_key(self, score: str) -> str:
        """The key of `score` in the training logs (without "val_")."""
        lead = f"{self.output_name}_" if self.output_name else ""
        return f"{lead}{self.prefix}{score}"

    def score_options(self) -> dict[str, Any]:
        return {"beta": self.beta, "kappa_weights": self.kappa_weights}

    def state_layout(self) -> Any:
        return state_rows(
            self.score_names, self.task, self.average, self.score_options()
        )

    def result(self) -> Any:
        values = compute_scores(
            self.score_names,
            self.statistics(),
            average=self.average,
            zero_division=self.zero_division,
            options=self.score_options(),
        )
        self.output_name = compiled_output_name(self) or self.output_name
        results = {}
        for name, value in values.items():
            value = cast_to(value, self.dtype)
            if len(value.shape) == 0:
                results[self.log_key(name)] = value
                continue
            names = self.class_names or [str(i) for i in range(value.shape[0])]
            for class_name, per_class in zip(names, ops.unstack(value), strict=True):
                results[f"{self.log_key(name)}/{class_name}"] = per_class
        return results

    config_fields = (
        "average",
        "beta",
        "kappa_weights",
        "prefix",
        "zero_division",
        "class_names",
    )

    def _build_state(self, num_classes: int) -> None:
        _check_class_names(self.class_names, num_classes)
        super()._build_state(num_classes)

    def get_config(self) -> Any:
        # The `metrics` argument is kept, validated, as the tuple `score_names`.
        return {**super().get_config(), "metrics": list(self.score_names)}

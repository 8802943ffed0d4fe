"""The exact confusion state every confusion-family metric keeps, its argument
checks, and its replicate protocol for `Bootstrap`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypedDict

from keras import ops

from keras_extras._naming import LogKey, class_labels
from keras_extras._typing import Average, Task, Tensor
from keras_extras._validation import (
    check_bool,
    check_int,
    check_number,
    check_one_of,
    check_threshold,
)
from keras_extras.metrics.accumulators import CompensatedSum
from keras_extras.metrics.base import (
    ExtrasMetric,
    ScoreRangeGuard,
    library_count_bound,
)
from keras_extras.metrics.confusion.counting import (
    class_statistics,
    confusion_counts,
    matrix_from_counts,
    row_quantities,
    row_values,
)
from keras_extras.metrics.inputs import (
    TASKS,
    classification_inputs,
    infer_num_classes,
)
from keras_extras.metrics.scores import (
    AVERAGES,
    ClassStatistics,
    compute_scores,
    get_score,
    state_rows,
)


class ConfusionArguments(TypedDict, total=False):
    """The arguments every confusion-family metric takes after its own."""

    threshold: float | list[float]
    from_logits: bool
    ignore_class: int | None
    top_k: int
    name: str | None
    dtype: Any


class ScoreArguments(ConfusionArguments, total=False):
    """The arguments every one-score metric takes after its own."""

    zero_division: float


def check_zero_division(value: Any) -> float:
    """`zero_division` as a float in [0, 1]."""
    return check_number("zero_division", value, 0.0, 1.0)


def check_average(average: Any, task: str) -> Average:
    """`average` checked against `task`; "binary" for binary scores."""
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
    if average == "samples" and task != "multilabel":
        raise ValueError(
            "Invalid `average`: 'samples' averages the scores of multilabel rows "
            f"and needs task='multilabel'. Received: average='samples', task={task!r}"
        )
    checked: Average = "binary" if task == "binary" else average
    return checked


def check_class_names(class_names: Any, num_classes: int | None) -> list[str] | None:
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


class ConfusionStateMetric(ExtrasMetric):
    """Base class: keeps exact confusion state; subclasses define `result()`.

    The state is the smallest one the scores named in `scores` need (their
    registry entries say which): per-class rows from ("tp", "predicted",
    "actual"), or the `(C, C)` matrix (no scores: `ConfusionMatrix`; weighted
    kappa; multilabel always keeps one 2x2 matrix per label). Everything it
    depends on is an argument, so a subclass may set its own attributes in any
    order. `statistics()` returns the per-class `ClassStatistics` that the score
    registry reads.

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
        top_k: multiclass: a sample counts as predicting its label when the
            label is among its `top_k` highest scores. Defaults to 1.
        name: metric name.
        dtype: dtype of the result.
        scores: the registry scores the state serves (none: the matrix).
        average: how those scores are averaged (checked by the subclass).
        zero_division: the value of a ratio whose denominator is 0.
        options: the scores' options (`beta`, `kappa_weights`).
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
        task: Task = "multiclass",
        threshold: float | list[float] = 0.5,
        from_logits: bool = False,
        ignore_class: int | None = None,
        top_k: int = 1,
        name: str | None = None,
        dtype: Any = None,
        *,
        scores: Sequence[str] = (),
        average: Average = "macro",
        zero_division: float = 0.0,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.task: Task = check_one_of("task", task, TASKS)
        known = check_int(
            "num_classes",
            num_classes,
            minimum=1 if task == "multilabel" else 2,
            allow_none=True,
        )
        if task == "binary":
            if known not in (None, 2):
                raise ValueError(
                    "Invalid `num_classes` for task='binary': expected 2 or None. "
                    f"Received: num_classes={num_classes!r}"
                )
            known = 2
        self.num_classes = known
        self.threshold = check_threshold(
            threshold, known, per_label=task == "multilabel"
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
        self.scores = tuple(scores)
        self.average = average
        self.zero_division = check_zero_division(zero_division)
        self.options = dict(options or {})
        self.layout: Any = (
            state_rows(self.scores, task, average, self.options)
            if self.scores
            else "matrix"
        )
        self.row_layout = row_quantities(self.scores, task, average)
        self.row_sums: CompensatedSum | None = None
        # Multi-hot label rows given to a multiclass metric make it NaN.
        self.label_guard = (
            ScoreRangeGuard(self, "multi_hot_labels") if task == "multiclass" else None
        )
        self.counts: CompensatedSum | None = None
        if known is not None:
            self._build_state(known)

    def _build_state(self, num_classes: int) -> None:
        if self.top_k > num_classes:
            raise ValueError(
                f"Invalid `top_k`: at most num_classes={num_classes}. "
                f"Received: top_k={self.top_k}"
            )
        if isinstance(self.threshold, list) and len(self.threshold) != num_classes:
            raise ValueError(
                "Invalid `threshold`: expected one number per label, and y_pred "
                f"has {num_classes} labels on its last axis. Received: "
                f"threshold={self.threshold!r} ({len(self.threshold)} numbers)"
            )
        self.num_classes = num_classes
        if self.row_layout:
            self.row_sums = CompensatedSum(self, "row_sums", (len(self.row_layout),))
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
                hint = "pass num_classes="
                if len(y_pred.shape) < 2 or y_pred.shape[-1] == 1:
                    hint = 'one score per sample is a binary head: pass task="binary"'
                raise ValueError(
                    f"`num_classes` was not given and cannot be read from "
                    f"y_pred.shape={tuple(y_pred.shape)}: {hint}"
                )
            self._build_state(inferred)
        state, num_classes = self.built_state()
        true_ids, pred_ids, weights, multi_hot = self.formatted_inputs(
            y_true, y_pred, sample_weight
        )
        if self.label_guard is not None and ops.is_tensor(multi_hot):
            self.label_guard.add(multi_hot)
        if self.layout == "matrix":
            counts = confusion_counts(
                true_ids, pred_ids, weights, self.task, num_classes
            )
        else:
            counts = class_statistics(
                true_ids, pred_ids, weights, self.layout, num_classes
            )
        state.add(
            counts, library_count_bound(self.formatted_inputs, weights, sample_weight)
        )
        if self.row_sums is not None:
            self.row_sums.add(ops.sum(self.row_terms(true_ids, pred_ids, weights), 0))

    def row_terms(self, true_ids: Tensor, pred_ids: Tensor, weights: Tensor) -> Any:
        """Each row's terms of the multilabel sums over rows, `(N, K)`."""
        return row_values(
            true_ids,
            pred_ids,
            weights,
            self.row_layout,
            self.zero_division,
            self.options,
        )

    def formatted_inputs(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> Any:
        """`classification_inputs` with this metric's settings: flat true ids,
        predicted ids and weights (what `update_state` counts), and the count
        of multi-hot label rows (what makes a multiclass result NaN)."""
        _, num_classes = self.built_state()
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
            count_multi_hot=True,
        )

    def guarded(self, value: Tensor) -> Any:
        """`value`, or NaN once multi-hot labels were seen (multiclass)."""
        return value if self.label_guard is None else self.label_guard.apply(value)

    def built_state(self) -> tuple[CompensatedSum, int]:
        """The state and the class count, once known."""
        if self.counts is None or self.num_classes is None:
            raise ValueError(
                f"{self.name}: no data seen yet and `num_classes` is unknown."
            )
        return self.counts, self.num_classes

    def statistics(self) -> ClassStatistics:
        """The accumulated per-class statistics (float32 tensors)."""
        state, _ = self.built_state()
        if self.layout == "matrix":
            if self.task == "multilabel":
                rows = None if self.row_sums is None else self.row_sums.value()
                return self.multilabel_statistics(state.value(), rows)
            return ClassStatistics.from_matrix(self.confusion_matrix(), self.task)
        return self.statistics_of(state.value())

    def multilabel_statistics(
        self, counts: Tensor, row_sums: Tensor | None = None
    ) -> ClassStatistics:
        """`ClassStatistics` of flat multilabel counts `(..., 4 C)` and of the
        sums over rows `(..., K)`."""
        _, num_classes = self.built_state()
        shape = (*tuple(counts.shape[:-1]), num_classes, 2, 2)
        sums = {}
        if row_sums is not None:
            values = ops.unstack(row_sums, num=len(self.row_layout), axis=-1)
            sums = dict(zip(self.row_layout, values, strict=True))
        return ClassStatistics.from_matrix(
            ops.reshape(counts, shape), "multilabel", sums
        )

    def statistics_of(self, rows: Tensor) -> ClassStatistics:
        """`ClassStatistics` of per-class rows `(..., len(layout), C)`."""
        unstacked = ops.unstack(rows, axis=-2)
        return ClassStatistics(
            dict(zip(self.layout, unstacked, strict=True)), self.task
        )

    def confusion_matrix(self) -> Any:
        """The accumulated counts as `(C, C)` (multilabel: `(C, 2, 2)`), float32.

        Only a state that keeps the matrix has it (`ConfusionMatrix`, weighted
        `CohenKappa`, multilabel); the per-class scores keep O(C) statistics.
        """
        state, num_classes = self.built_state()
        if self.layout == "matrix":
            return matrix_from_counts(state.value(), self.task, num_classes)
        raise ValueError(
            f"{self.name} keeps per-class statistics {self.layout}, not the "
            "confusion matrix: use keras_extras.metrics.ConfusionMatrix."
        )

    # ------------------------------------------------------------ scores and keys

    def score_key(self, score: str) -> str:
        """The key of `score`'s value, before its lead and class."""
        return score

    def class_names_of(self) -> list[str]:
        """The names in this metric's per-class keys."""
        return class_labels(None, self.num_classes or 0)

    def score_values(self, statistics: ClassStatistics) -> dict[str, Any]:
        """`{key: value}` of every score from `statistics`: a value per class
        (last axis) with `average=None`, else one."""
        values = compute_scores(
            self.scores,
            statistics,
            average=self.average,
            zero_division=self.zero_division,
            options=self.options,
        )
        return {self.score_key(score): values[score] for score in self.scores}

    def value_keys(self) -> dict[str, LogKey]:
        names = tuple(self.class_names_of()) if self.average is None else ()
        keys = {}
        for score in self.scores:
            definition = get_score(score)
            classes = names if definition.averaged else ()
            key = self.score_key(score)
            keys[key] = LogKey(definition.direction, score, classes=classes)
        return keys

    # ------------------------------------------------------------ Bootstrap
    # The replicated state: `(replicates, len(layout), C)` per-class rows.

    def replicate_state_shape(self, replicates: int) -> tuple[int, ...]:
        if self.num_classes is None:
            raise ValueError(
                f"Invalid `metric` for Bootstrap: {type(self).__name__} with "
                "num_classes=None: its state is sized at the first batch, and "
                "Bootstrap's must be sized now. Pass num_classes=."
            )
        if self.task == "multilabel":  # flat 2x2 counts, then the row sums
            return (replicates, 4 * self.num_classes + len(self.row_layout))
        if self.layout == "matrix":
            raise ValueError(
                f"Invalid `metric` for Bootstrap: {type(self).__name__} keeps a "
                "confusion matrix (as ConfusionMatrix and weighted CohenKappa "
                "do), which Bootstrap does not replicate: use a per-class score."
            )
        return (replicates, len(self.layout), self.num_classes)

    def replicate_layout(self) -> Any:
        """The rows, classes and input settings of the state: any score metric
        with the same ones reads it the same way."""
        threshold = self.threshold
        if isinstance(threshold, list):
            threshold = tuple(threshold)
        settings = (threshold, self.from_logits, self.ignore_class, self.top_k)
        layout = (self.layout, self.row_layout)
        return ("confusion", self.task, layout, self.num_classes, settings)

    def replicate_increment(
        self,
        y_true: Tensor,
        y_pred: Tensor,
        sample_weight: Tensor | None,
        replicate: Callable[[Tensor], Tensor],
    ) -> tuple[Any, Any]:
        """This batch's `(replicates, rows, C)` statistics, with
        `replicate(weights)` each sample's weight in each replicate, and the
        count of multi-hot label rows (NaN for every replicate)."""
        true_ids, pred_ids, weights, multi_hot = self.formatted_inputs(
            y_true, y_pred, sample_weight
        )
        _, num_classes = self.built_state()
        if self.task == "multilabel":
            # Each row's factor in each replicate (a Poisson draw; 1 in column 0).
            factors = replicate(ops.ones_like(weights[:, 0]))  # (N, R)
            counts = confusion_counts(
                true_ids, pred_ids, weights, self.task, num_classes, factors
            )
            if not self.row_layout:
                return counts, multi_hot
            terms = self.row_terms(true_ids, pred_ids, weights)  # (N, K)
            rows = ops.sum(terms[:, None, :] * factors[:, :, None], axis=0)
            return ops.concatenate([counts, rows], axis=-1), multi_hot
        increment = class_statistics(
            true_ids, pred_ids, replicate(weights), self.layout, num_classes
        )
        return increment, multi_hot

    def replicate_values(self, state: Tensor) -> dict[str, Any]:
        """Each score's value in each replicate of a `(replicates, rows, C)`
        state (multilabel: `(replicates, 4 C + K)`): `(replicates,)`, or
        `(replicates, C)` per class."""
        if self.task == "multilabel":
            _, num_classes = self.built_state()
            counts, rows = state[:, : 4 * num_classes], state[:, 4 * num_classes :]
            return self.score_values(
                self.multilabel_statistics(counts, rows if self.row_layout else None)
            )
        return self.score_values(self.statistics_of(state))

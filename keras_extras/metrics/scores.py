"""The score registry: every confusion-derived score, defined once.

A score is a formula over the per-class statistics of a confusion state
(`class_statistics.ClassStatistics`: tp, predicted, actual, total; the formulas
that are not ratios live in `score_formulas.py`).

Precision, recall, F-beta, specificity, Jaccard, accuracy, balanced accuracy,
multiclass MCC (Gorodkin's formula) and unweighted Cohen's kappa need nothing else,
so a metric keeps O(C) numbers; only `ConfusionMatrix` and linearly or
quadratically weighted kappa need the C x C matrix.

Each `Score` in `SCORES` says which tasks it supports, which statistics it reads
(derived from its formula), whether `average` applies, and its monitor direction.
The metric classes in `confusion.py`, `ClassificationMetrics` and the
`ClassificationReport` callback all read their scores from here, so adding a score
is one `register_score(Score(...))` and one thin `ScoreMetric` subclass.

Conventions (scikit-learn's): a ratio whose denominator is 0 takes the value
`zero_division`; "macro" averages over all classes; "weighted" weighs each class by
its support; multilabel MCC pools the labels' 2x2 matrices into one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from keras import ops

from keras_extras._typing import Direction, Tensor
from keras_extras.metrics.base import safe_divide
from keras_extras.metrics.class_statistics import (
    CLASS_ROWS,
    EXACT_MATCH,
    HAMMING_LOSS,
    ROW_WEIGHT,
    STATISTICS,
    ClassStatistics,
)
from keras_extras.metrics.inputs import TASKS
from keras_extras.metrics.score_formulas import (
    accuracy_score,
    balanced_accuracy_score,
    exact_match_score,
    fbeta_terms,
    hamming_loss_score,
    kappa_score,
    mcc_score,
)

__all__ = [
    "AVERAGES",
    "CLASS_ROWS",
    "EXACT_MATCH",
    "HAMMING_LOSS",
    "KAPPA_WEIGHTS",
    "ROW_WEIGHT",
    "SCORES",
    "STATISTICS",
    "ClassStatistics",
    "Score",
    "average_ratio",
    "check_scores",
    "combine",
    "compute_scores",
    "get_score",
    "register_score",
    "state_rows",
]

AVERAGES = ("binary", "micro", "macro", "weighted", "samples", None)
KAPPA_WEIGHTS = (None, "linear", "quadratic")

# Coefficients over (tp, predicted, actual, total): a row of a ratio's terms.
Terms = tuple[float, float, float, float]


@dataclasses.dataclass(frozen=True)
class Score:
    """The definition of one confusion-derived score.

    Args:
        name: the key in `SCORES` and in `ClassificationMetrics(metrics=...)`.
        formula: the definition, for documentation.
        tasks: the tasks it is defined for.
        terms: for a per-class ratio, a function of the options returning the
            coefficients of its numerator and its denominator over
            `(tp, predicted, actual, total)`; ratios are averaged with `average`,
            and all of a metric's ratios share one division.
        compute: for any other score, `compute(statistics, zero_division,
            options)` returning a scalar tensor from `ClassStatistics`.
        statistics: the per-class rows `compute` reads (binary and multiclass).
        needs_matrix: a function of the options, true when the score needs the
            full confusion matrix (weighted kappa).
        direction: "up" when higher is better.
    """

    name: str
    formula: str
    tasks: tuple[str, ...] = TASKS
    terms: Callable[[Mapping[str, Any]], tuple[Terms, Terms]] | None = None
    compute: Callable[..., Any] | None = None
    statistics: tuple[str, ...] = ()
    needs_matrix: Callable[[Mapping[str, Any]], bool] = lambda options: False
    direction: Direction = "up"

    @property
    def averaged(self) -> bool:
        """Whether the score is per class and takes `average`."""
        return self.terms is not None

    def rows(self, average: Any, options: Mapping[str, Any]) -> set[str]:
        """The statistics a binary or multiclass state must keep for it."""
        if self.terms is None:
            rows = set(self.statistics)
        else:
            numerator, denominator = self.terms(options)
            rows = {
                STATISTICS[index]
                for index in range(4)
                if numerator[index] or denominator[index]
            }
        if self.averaged and average == "weighted":
            rows.add("actual")
        if "total" in rows:
            rows.discard("total")
            if not rows & {"predicted", "actual"}:
                rows.add("actual")
        return rows


SCORES: dict[str, Score] = {}


def register_score(score: Score) -> Score:
    """Add `score` to `SCORES` (its name must be new); returns it."""
    if not isinstance(score, Score):
        raise TypeError(f"Expected a Score. Received: {score!r}")
    if score.name in SCORES:
        raise ValueError(f"A score named {score.name!r} is already registered.")
    if (score.terms is None) == (score.compute is None):
        raise ValueError(
            f"Score {score.name!r} needs exactly one of `terms` (a per-class "
            "ratio) and `compute`."
        )
    SCORES[score.name] = score
    return score


def get_score(name: str) -> Score:
    """The registered `Score` named `name`; a `ValueError` lists the others."""
    if name not in SCORES:
        raise ValueError(
            f"Unknown score {name!r}: expected one of {tuple(SCORES)}. "
            f"Received: {name!r}"
        )
    return SCORES[name]


def check_scores(names: Iterable[str], task: str, argument: str = "metrics") -> Any:
    """Validate score names for a task; return them as a tuple."""
    names = tuple(names)
    for name in names:
        if name not in SCORES:
            raise ValueError(
                f"Invalid `{argument}`: expected names from {tuple(SCORES)}. "
                f"Received: {argument}={list(names)!r} (unknown: {name!r})"
            )
        if task not in SCORES[name].tasks:
            raise ValueError(
                f"Invalid `{argument}`: {name!r} is not defined for task={task!r} "
                f"(its tasks: {SCORES[name].tasks})."
            )
    if len(set(names)) != len(names):
        raise ValueError(f"Invalid `{argument}`: duplicates in {list(names)!r}")
    return names


def state_rows(names: Any, task: str, average: Any, options: Mapping[str, Any]) -> Any:
    """What a state must keep for `names`: "matrix", or per-class rows in order.

    Multilabel keeps one 2x2 matrix per label (O(C), and its per-label totals).
    """
    if task == "multilabel" or any(
        SCORES[name].needs_matrix(options) for name in names
    ):
        return "matrix"
    rows: set[str] = set()
    for name in names:
        rows |= SCORES[name].rows(average, options)
    return tuple(row for row in CLASS_ROWS if row in rows)


# ---------------------------------------------------------------- arithmetic


def combine(coefficients: Any, statistics: ClassStatistics) -> Any:
    """Each row of `coefficients` dotted with the statistics, term by term: zero
    and unit coefficients cost no op, and float32 stays exact (a GPU matrix product
    may round its inputs to TF32)."""
    rows = []
    for row in coefficients:
        combined = None
        for index, coefficient in enumerate(row):
            if coefficient == 0:
                continue
            term = statistics.row(index)
            # Operators, not keras.ops: result() runs every step (see exact_add).
            if coefficient == -1:
                combined = -term if combined is None else combined - term
                continue
            if coefficient != 1:
                term = term * float(coefficient)
            combined = term if combined is None else combined + term
        rows.append(combined)
    return rows[0] if len(rows) == 1 else ops.stack(rows)


def average_ratio(
    numerator: Tensor,
    denominator: Tensor,
    support: Tensor,
    average: Any,
    zero_division: Any,
) -> Any:
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
    # "weighted" without any support: scikit-learn gives zero_division only when
    # the score's denominator is 0 in every class (e.g. no positive prediction
    # for precision), and 0 otherwise.
    empty = ops.where(ops.sum(denominator, axis=-1) == 0, zero_division, 0.0)
    total = ops.sum(support, axis=-1)
    weighted = ops.sum(per_class * support, axis=-1) / ops.where(total == 0, 1.0, total)
    return ops.where(total == 0, empty, weighted)


for _score in (
    Score("accuracy", "sum_c tp_c / total (multilabel: (tp + tn) / total)",
          compute=accuracy_score, statistics=("tp", "total")),
    Score("precision", "tp / (tp + fp)",
          terms=lambda options: ((1, 0, 0, 0), (0, 1, 0, 0))),
    Score("recall", "tp / (tp + fn)",
          terms=lambda options: ((1, 0, 0, 0), (0, 0, 1, 0))),
    Score("f1", "2 tp / (2 tp + fp + fn)",
          terms=lambda options: ((2, 0, 0, 0), (0, 1, 1, 0))),
    Score("fbeta", "(1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp)",
          terms=fbeta_terms),
    Score("specificity", "tn / (tn + fp)",
          terms=lambda options: ((1, -1, -1, 1), (0, 0, -1, 1))),
    Score("jaccard", "tp / (tp + fp + fn)",
          terms=lambda options: ((1, 0, 0, 0), (-1, 1, 1, 0))),
    Score("dice", "2 tp / (2 tp + fp + fn) (the segmentation name of F1)",
          terms=lambda options: ((2, 0, 0, 0), (0, 1, 1, 0))),
    Score("balanced_accuracy", "mean recall over the classes present",
          tasks=("binary", "multiclass"), compute=balanced_accuracy_score,
          statistics=("tp", "actual")),
    Score("mcc", "(acc - sum_k t_k p_k) / sqrt(var_t var_p), on proportions",
          compute=mcc_score, statistics=CLASS_ROWS),
    Score("kappa", "1 - sum W O / sum W E",
          tasks=("binary", "multiclass"), compute=kappa_score, statistics=CLASS_ROWS,
          needs_matrix=lambda options: options.get("kappa_weights") is not None),
    Score("exact_match", "rows whose every label is right / rows (subset accuracy)",
          tasks=("multilabel",), compute=exact_match_score),
    Score("hamming_loss", "wrong labels / labels (1 - multilabel accuracy)",
          tasks=("multilabel",), compute=hamming_loss_score, direction="down"),
):  # fmt: skip
    register_score(_score)


def compute_scores(
    names: Any,
    statistics: ClassStatistics,
    average: str | None = "macro",
    zero_division: float = 0.0,
    options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Scores named in `names` (keys of `SCORES`) from one set of statistics;
    `average` is "binary" for binary statistics (the positive class).

    `result()` runs every training step, eagerly on torch, where each op costs
    microseconds: all ratio scores share one stacked division, and accuracy, MCC
    and unweighted kappa share their agreement terms.
    """
    options = options or {}
    results = {}
    ratio_terms: dict[str, Callable[[Mapping[str, Any]], tuple[Terms, Terms]]] = {}
    for name in names:
        make_terms = SCORES[name].terms
        if make_terms is not None:
            ratio_terms[name] = make_terms
    ratios = list(ratio_terms)
    if ratios and average == "samples":
        rows = statistics.row_sums
        for name in ratios:
            results[name] = safe_divide(rows[name], rows[ROW_WEIGHT], zero_division)
    elif ratios:
        terms = [ratio_terms[name](options) for name in ratios]
        values = average_ratio(
            combine([numerator for numerator, _ in terms], statistics),
            combine([denominator for _, denominator in terms], statistics),
            statistics.actual if average == "weighted" else None,
            average,
            zero_division,
        )
        if len(ratios) == 1:
            results[ratios[0]] = values
        else:
            results.update({name: values[i] for i, name in enumerate(ratios)})
    for name in names:
        compute = SCORES[name].compute
        if name not in results and compute is not None:
            results[name] = compute(statistics, zero_division, options)
    return {name: results[name] for name in names}

"""The score registry: every confusion-derived score, defined once.

A score is a formula over per-class statistics of a confusion state:

    tp         weighted count of samples of class c predicted as c
    predicted  weighted count of samples predicted as c    (tp + fp)
    actual     weighted count of samples of class c        (tp + fn, the support)
    total      weighted count of all samples (multilabel: of that label)

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
from keras_extras.metrics.inputs import TASKS

STATISTICS = ("tp", "predicted", "actual", "total")
# The rows a binary or multiclass state may keep (its total is their sum).
CLASS_ROWS = ("tp", "predicted", "actual")
AVERAGES = ("binary", "micro", "macro", "weighted", None)
KAPPA_WEIGHTS = (None, "linear", "quadratic")

# Coefficients over (tp, predicted, actual, total): a row of a ratio's terms.
Terms = tuple[float, float, float, float]


class ClassStatistics:
    """Per-class `tp`, `predicted`, `actual` and `total` of a confusion state.

    Rows are `(..., C)` tensors; `total` is a scalar for binary and multiclass (the
    sum of either marginal) and a per-label row for multilabel. Values that scores
    share (the agreement terms of MCC and kappa) are computed once and cached.

    Args:
        rows: mapping from statistic name to its per-class tensor; binary and
            multiclass need "tp" and "predicted" or "actual", multilabel all four.
        task: "binary", "multiclass" or "multilabel".
        matrix: the `(C, C)` confusion matrix, when the state keeps it.
    """

    def __init__(
        self, rows: Mapping[str, Any], task: str, matrix: Tensor | None = None
    ) -> None:
        self.rows = dict(rows)
        self.task = task
        self.matrix = matrix
        self.cache: dict[str, Any] = {}

    @classmethod
    def from_matrix(cls, matrix: Tensor, task: str = "multiclass") -> ClassStatistics:
        """Statistics of a `(C, C)` matrix (rows true, columns predicted), or of
        multilabel `(C, 2, 2)` matrices `[[tn, fp], [fn, tp]]`."""
        if task == "multilabel":
            rows = {
                "tp": matrix[:, 1, 1],
                "predicted": ops.sum(matrix[:, :, 1], axis=1),
                "actual": ops.sum(matrix[:, 1, :], axis=1),
                "total": ops.sum(matrix, axis=(1, 2)),
            }
        else:
            rows = {
                "tp": ops.diagonal(matrix),
                "predicted": ops.sum(matrix, axis=0),
                "actual": ops.sum(matrix, axis=1),
            }
        return cls(rows, task, matrix=matrix)

    def __getattr__(self, name: str) -> Any:
        if name not in STATISTICS:
            raise AttributeError(name)
        if name not in self.rows:
            if name != "total":
                raise ValueError(
                    f"This confusion state does not keep {name!r} (it keeps "
                    f"{tuple(self.rows)})."
                )
            marginal = self.rows.get("actual", self.rows.get("predicted"))
            self.rows["total"] = ops.sum(marginal, axis=-1)
        return self.rows[name]

    def row(self, index: int) -> Any:
        """Statistic number `index` of `STATISTICS`."""
        return getattr(self, STATISTICS[index])


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


def _combine(coefficients: Any, statistics: ClassStatistics) -> Any:
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


def _pooled_binary(statistics: ClassStatistics) -> ClassStatistics:
    """Multilabel statistics pooled into one binary problem (negative, positive)."""
    sums = ops.sum(
        ops.stack([getattr(statistics, name) for name in STATISTICS]), axis=-1
    )
    tp, predicted, actual, total = (sums[index] for index in range(4))
    negatives = total - predicted - actual + tp
    rows = {
        "tp": ops.stack([negatives, tp]),
        "predicted": ops.stack([total - predicted, predicted]),
        "actual": ops.stack([total - actual, actual]),
    }
    return ClassStatistics(rows, "binary")


def agreement_terms(statistics: ClassStatistics) -> Any:
    """What MCC and Cohen's kappa share, on proportions so float32 never
    overflows, and without subtracting two numbers near 1. Cached on `statistics`.

    Returns `(agreement, chance_disagreement, variance_true, variance_pred)`:

        agreement           = accuracy - sum_k p_k t_k = sum_k (tp_k tn_k - fp_k fn_k)
        chance_disagreement = 1 - sum_k p_k t_k         = sum_k p_k (1 - t_k)
        variance            = sum_k q_k (1 - q_k)

    with every count divided by the total. The right-hand forms equal the left
    ones; with them a perfect classifier's agreement is its variance, computed by
    the same ops, so its MCC and kappa are 1 (eagerly exactly, under XLA within
    5.4e-7; at p = t = (0.978, 0.022), `1 - sum_k p_k t_k` against
    `sum_k q_k (1 - q_k)` scored MCC 0.999998). A
    class holding all the weight has `1 - q` exactly 0 (XLA divides by
    multiplying with a reciprocal, and x * (1 / x) can miss 1). Multilabel pools
    the labels' 2x2 matrices first.
    """
    if "agreement" not in statistics.cache:
        pooled = statistics
        if statistics.task == "multilabel":
            pooled = _pooled_binary(statistics)
        total = ops.expand_dims(pooled.total, -1)
        counts = ops.stack([pooled.predicted, pooled.actual])  # (2, ..., C)
        marginals = safe_divide(counts, total)
        rest = ops.where(counts >= total, 0.0, 1.0 - marginals)
        q_pred, q_true = marginals[0], marginals[1]
        hit = safe_divide(pooled.tp, total)
        false_pos, false_neg = q_pred - hit, q_true - hit
        true_neg = rest[0] - false_neg
        agreement = ops.sum(hit * true_neg - false_pos * false_neg, axis=-1)
        chance_disagreement = ops.sum(q_pred * rest[1], axis=-1)
        variances = ops.sum(marginals * rest, axis=-1)
        statistics.cache["agreement"] = (
            agreement,
            chance_disagreement,
            variances[1],
            variances[0],
        )
    return statistics.cache["agreement"]


def _accuracy(
    statistics: Tensor, zero_division: float = 0.0, options: Any = None
) -> Any:
    """Correct / total (multilabel: (tp + tn) / total over every label, which is
    also the accuracy of the pooled 2x2 matrix). Cached on `statistics`."""
    if "accuracy" not in statistics.cache:
        if statistics.task == "multilabel":
            correct = ops.subtract(
                ops.add(ops.multiply(statistics.tp, 2.0), statistics.total),
                ops.add(statistics.predicted, statistics.actual),
            )
            value = safe_divide(ops.sum(correct), ops.sum(statistics.total))
        else:
            value = safe_divide(ops.sum(statistics.tp, axis=-1), statistics.total)
        statistics.cache["accuracy"] = value
    return statistics.cache["accuracy"]


def _balanced_accuracy(statistics: Tensor, zero_division: Any, options: Any) -> Any:
    """Mean recall over the classes present in `y_true` (scikit-learn's): those
    whose support is not 0 (negative weights can make it negative)."""
    actual = statistics.actual
    present = ops.cast(actual != 0, "float32")
    return safe_divide(
        ops.sum(safe_divide(statistics.tp, actual), axis=-1),
        ops.sum(present, axis=-1),
        zero_division,
    )


def _mcc(statistics: Tensor, zero_division: Any, options: Any) -> Any:
    """Multiclass MCC (Gorodkin's R_K), 0 where undefined (scikit-learn's)."""
    agreement, _, variance_true, variance_pred = agreement_terms(statistics)
    # In [-1, 1]; rounding (XLA's reciprocal division) reached 1 + 2.4e-7.
    mcc = safe_divide(agreement, ops.sqrt(variance_true * variance_pred))
    return ops.clip(mcc, -1.0, 1.0)


def kappa_penalty(num_classes: int, weights: str) -> Any:
    """Disagreement weights |i - j| ("linear") or (i - j)^2 ("quadratic"), made
    on the device by three ops (no C x C constant copied from the host per step)."""
    index = ops.arange(num_classes, dtype="float32")
    distance = index[:, None] - index[None, :]
    return ops.abs(distance) if weights == "linear" else distance * distance


def _kappa(statistics: Tensor, zero_division: Any, options: Any) -> Any:
    weights = options.get("kappa_weights")
    if weights is None:
        agreement, chance_disagreement, _, _ = agreement_terms(statistics)
        kappa = safe_divide(agreement, chance_disagreement, zero_division)
        return ops.minimum(kappa, 1.0)  # at most 1, as for MCC
    matrix = statistics.matrix
    penalty = kappa_penalty(matrix.shape[0], weights)
    observed = safe_divide(matrix, ops.sum(matrix))
    expected = ops.outer(ops.sum(observed, axis=1), ops.sum(observed, axis=0))
    disagreement = safe_divide(
        ops.sum(penalty * observed), ops.sum(penalty * expected), 1.0 - zero_division
    )
    return 1.0 - disagreement


def _fbeta_terms(options: Any) -> Any:
    beta2 = float(options.get("beta", 1.0)) ** 2
    # (1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp) = ... / (predicted + b^2 actual)
    return (1 + beta2, 0, 0, 0), (0, 1, beta2, 0)


for _score in (
    Score("accuracy", "sum_c tp_c / total (multilabel: (tp + tn) / total)",
          compute=_accuracy, statistics=("tp", "total")),
    Score("precision", "tp / (tp + fp)",
          terms=lambda options: ((1, 0, 0, 0), (0, 1, 0, 0))),
    Score("recall", "tp / (tp + fn)",
          terms=lambda options: ((1, 0, 0, 0), (0, 0, 1, 0))),
    Score("f1", "2 tp / (2 tp + fp + fn)",
          terms=lambda options: ((2, 0, 0, 0), (0, 1, 1, 0))),
    Score("fbeta", "(1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp)",
          terms=_fbeta_terms),
    Score("specificity", "tn / (tn + fp)",
          terms=lambda options: ((1, -1, -1, 1), (0, 0, -1, 1))),
    Score("jaccard", "tp / (tp + fp + fn)",
          terms=lambda options: ((1, 0, 0, 0), (-1, 1, 1, 0))),
    Score("dice", "2 tp / (2 tp + fp + fn) (the segmentation name of F1)",
          terms=lambda options: ((2, 0, 0, 0), (0, 1, 1, 0))),
    Score("balanced_accuracy", "mean recall over the classes present",
          tasks=("binary", "multiclass"), compute=_balanced_accuracy,
          statistics=("tp", "actual")),
    Score("mcc", "(acc - sum_k t_k p_k) / sqrt(var_t var_p), on proportions",
          compute=_mcc, statistics=CLASS_ROWS),
    Score("kappa", "1 - sum W O / sum W E",
          tasks=("binary", "multiclass"), compute=_kappa, statistics=CLASS_ROWS,
          needs_matrix=lambda options: options.get("kappa_weights") is not None),
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
    if ratios:
        terms = [ratio_terms[name](options) for name in ratios]
        values = average_ratio(
            _combine([numerator for numerator, _ in terms], statistics),
            _combine([denominator for _, denominator in terms], statistics),
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

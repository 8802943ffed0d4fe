"""Confusion counts of one batch, in one scatter-add: the per-class statistics
the scores read, or the full matrix; and the multilabel sums over rows
(exact match, sample averages)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from keras import ops

from keras_extras._typing import Normalization, Tensor
from keras_extras.metrics.accumulators import weighted_bincount
from keras_extras.metrics.base import safe_divide
from keras_extras.metrics.scores import (
    EXACT_MATCH,
    HAMMING_LOSS,
    ROW_WEIGHT,
    SCORES,
    ClassStatistics,
    combine,
)

NORMALIZATIONS = (None, "true", "pred", "all")


def confusion_counts(
    true_ids: Tensor,
    pred_ids: Tensor,
    weights: Tensor,
    task: str,
    num_classes: int,
    factors: Tensor | None = None,
) -> Any:
    """Weighted confusion counts of one batch, flat: `(C*C,)` or `(4*C,)`.

    Multiclass and binary: bin `true * C + pred`. Multilabel: label `l` with truth
    `t` and decision `p` goes to bin `4 * l + 2 * t + p`; with `factors` `(N, R)`
    (each sample's weight factor in each of R `Bootstrap` replicates),
    replicate `r` is offset by `r * 4 * C` and the counts are `(R, 4 * C)`,
    still from one scatter-add.
    """
    if task == "multilabel":
        labels = ops.arange(num_classes, dtype="int32")
        ids = 4 * labels + 2 * true_ids + pred_ids
        size = 4 * num_classes
        if factors is None:
            ids, weights = ops.reshape(ids, (-1,)), ops.reshape(weights, (-1,))
            return weighted_bincount(ids, weights, size)
        replicates = factors.shape[-1]
        offsets = ops.arange(replicates, dtype="int32") * size
        ids = ops.reshape(ids[..., None] + offsets, (-1,))
        weights = ops.reshape(weights[..., None] * factors[:, None, :], (-1,))
        counts = weighted_bincount(ids, weights, replicates * size)
        return ops.reshape(counts, (replicates, size))
    ids = true_ids * num_classes + pred_ids
    return weighted_bincount(ids, weights, num_classes * num_classes)


def class_statistics(
    true_ids: Tensor,
    pred_ids: Tensor,
    weights: Tensor,
    rows: Sequence[str],
    num_classes: int,
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
        all_ids, all_weights = ops.concatenate(ids), ops.concatenate(row_weights)
    else:
        all_ids, all_weights = ids[0], row_weights[0]
    size = len(rows) * num_classes
    if replicates:
        offsets = ops.arange(replicates, dtype="int32") * size
        all_ids = ops.reshape(all_ids[:, None] + offsets, (-1,))
        counts = weighted_bincount(
            all_ids, ops.reshape(all_weights, (-1,)), replicates * size
        )
        return ops.reshape(counts, (replicates, len(rows), num_classes))
    counts = weighted_bincount(all_ids, all_weights, size)
    return ops.reshape(counts, (len(rows), num_classes))


def matrix_from_counts(flat_counts: Tensor, task: str, num_classes: int) -> Any:
    """Reshape flat counts to `(C, C)`, or `(C, 2, 2)` for multilabel."""
    if task == "multilabel":
        return ops.reshape(flat_counts, (num_classes, 2, 2))
    return ops.reshape(flat_counts, (num_classes, num_classes))


def normalize_matrix(matrix: Tensor, normalize: Normalization) -> Any:
    """Divide counts by row ("true"), column ("pred") or grand ("all") totals."""
    if normalize is None:
        return matrix
    axis = {"true": -1, "pred": -2, "all": (-2, -1)}[normalize]
    return safe_divide(matrix, ops.sum(matrix, axis=axis, keepdims=True))


def row_quantities(names: Any, task: str, average: Any) -> tuple[str, ...]:
    """The sums over rows a multilabel state keeps besides its per-label
    matrices: none, or the rows' weight, then the weight of exact matches and
    the weighted share of wrong labels (when "exact_match" and "hamming_loss"
    are asked for) and each ratio score's sum of row values (with
    average="samples")."""
    if task != "multilabel":
        return ()
    quantities = [name for name in (EXACT_MATCH, HAMMING_LOSS) if name in names]
    if average == "samples":
        quantities += [name for name in names if SCORES[name].averaged]
    return (ROW_WEIGHT, *quantities) if quantities else ()


def row_values(
    true_ids: Tensor,
    pred_ids: Tensor,
    weights: Tensor,
    quantities: Sequence[str],
    zero_division: float,
    options: Mapping[str, Any],
) -> Any:
    """Each row's terms of the sums over rows, `(N, len(quantities))`, each
    its sample weight times a value, from multilabel ids and weights `(N, C)`.

    A row counts with its sample weight when every one of its labels is
    counted: a NaN score or label, or a label equal to `ignore_class`, leaves
    the whole row out (as `ExactMatch` and `HammingLoss` leave it out), while
    the per-label counts leave out that label alone. The row's `tp`,
    `predicted`, `actual` and `total` are its labels' counts; each ratio score
    takes its value from them (`zero_division` where the denominator is 0).
    """
    whole = ops.all(weights != 0, axis=-1)
    weight = ops.where(whole, weights[:, 0], 0.0)  # one sample weight per row
    truth = ops.cast(true_ids, "float32")
    decided = ops.cast(pred_ids, "float32")
    tp = ops.sum(truth * decided, axis=-1)
    predicted, actual = ops.sum(decided, axis=-1), ops.sum(truth, axis=-1)
    labels = float(weights.shape[-1])
    wrong = predicted + actual - 2.0 * tp
    statistics = ClassStatistics(
        {
            "tp": tp,
            "predicted": predicted,
            "actual": actual,
            "total": ops.full_like(tp, labels),
        },
        "multilabel",
    )
    values = []
    for name in quantities:
        if name == ROW_WEIGHT:
            values.append(weight)
        elif name == EXACT_MATCH:
            values.append(ops.where(wrong == 0, weight, 0.0))
        elif name == HAMMING_LOSS:
            values.append(weight * wrong / labels)
        else:
            terms = SCORES[name].terms
            assert terms is not None  # row_quantities keeps ratio scores only
            numerator, denominator = terms(options)
            value = safe_divide(
                combine([numerator], statistics),
                combine([denominator], statistics),
                zero_division,
            )
            values.append(weight * value)
    return ops.stack(values, axis=-1)

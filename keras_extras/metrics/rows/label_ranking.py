"""scikit-learn's label-ranking scores of each row: label ranking average
precision, coverage error, ranking loss. Each ranks a row's labels by score
with their tie groups (`ordering.tie_groups`, O(L log L) per row): ties count
as scikit-learn counts them."""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_extras._docstrings import document
from keras_extras._typing import Tensor
from keras_extras.metrics.base import safe_divide
from keras_extras.metrics.inputs.labels import row_maximum
from keras_extras.metrics.rows.inputs import RowMean
from keras_extras.metrics.rows.ordering import counts_through, tie_groups


def _ranked(labels: Tensor, scores: Tensor) -> Any:
    """`(true, end)`, `(B, L)` each in descending order of score: 1 for a
    true label, and how many labels score at least as high as it (the end of
    its tie group)."""
    relevant = ops.cast(labels >= 0.5, "float32")
    _, end, true = tie_groups(scores, relevant)
    return true, end


class LabelRankingAveragePrecision(RowMean):
    """Label ranking average precision (LRAP): for each true label of a row,
    the share of the labels scored at least as high that are true; averaged
    over the row's true labels, then over rows (weighted).

        lrap_i = mean_{j true} |{k true: s_k >= s_j}| / |{k: s_k >= s_j}|

    Rows with no true label or with every label true score 1. Matches
    `sklearn.metrics.label_ranking_average_precision_score`.

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = LabelRankingAveragePrecision()
        >>> m.update_state(np.array([[1, 0, 0], [0, 0, 1]]),
        ...                np.array([[0.75, 0.5, 1.0], [1.0, 0.2, 0.1]]))
        >>> round(float(m.result()), 4)  # (1/2 + 1/3) / 2
        0.4167
    """

    direction = "up"
    default_name = "label_ranking_average_precision"

    def row_values(self, labels: Tensor, scores: Tensor) -> Any:
        true, end = _ranked(labels, scores)
        ranked_true = counts_through(true, end)
        count = ops.sum(true, axis=-1)
        precision = ops.sum(true * ranked_true / ops.cast(end, "float32"), axis=-1)
        width = ops.cast(ops.shape(labels)[-1], "float32")  # may be unknown
        full = ops.logical_or(count == 0, count == width)
        return ops.where(full, 1.0, safe_divide(precision, count))


class CoverageError(RowMean):
    """Coverage error: how far down a row's ranking one must go to cover every
    true label, averaged over rows (weighted). Best is the number of true
    labels.

        coverage_i = |{k: s_k >= min_{j true} s_j}|   (0 with no true label)

    Matches `sklearn.metrics.coverage_error`.

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = CoverageError()
        >>> m.update_state(np.array([[1, 0, 0], [0, 0, 1]]),
        ...                np.array([[0.75, 0.5, 1.0], [1.0, 0.2, 0.1]]))
        >>> float(m.result())  # (2 + 3) / 2
        2.5
    """

    direction = "down"
    default_name = "coverage_error"

    def row_values(self, labels: Tensor, scores: Tensor) -> Any:
        true, end = _ranked(labels, scores)
        # The labels scored at least as high as the lowest true label.
        return ops.maximum(row_maximum(true * ops.cast(end, "float32")), 0.0)


class LabelRankingLoss(RowMean):
    """Ranking loss: the share of (true, false) label pairs of a row that are
    ordered wrong (the false label scored at least as high), averaged over rows
    (weighted). Rows with no true or no false label score 0.

        loss_i = |{(j true, k false): s_k >= s_j}| / (|true| |false|)

    Matches `sklearn.metrics.label_ranking_loss`.

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = LabelRankingLoss()
        >>> m.update_state(np.array([[1, 0, 0], [0, 0, 1]]),
        ...                np.array([[0.75, 0.5, 1.0], [1.0, 0.2, 0.1]]))
        >>> round(float(m.result()), 4)  # (1/2 + 2/2) / 2
        0.75
    """

    direction = "down"
    default_name = "label_ranking_loss"

    def row_values(self, labels: Tensor, scores: Tensor) -> Any:
        true, end = _ranked(labels, scores)
        # For each true label, the false ones scored at least as high.
        wrong = ops.sum(true * counts_through(1.0 - true, end), axis=-1)
        count = ops.sum(true, axis=-1)
        pairs = count * (ops.cast(ops.shape(labels)[-1], "float32") - count)
        return safe_divide(wrong, pairs)


for _metric in (LabelRankingAveragePrecision, CoverageError, LabelRankingLoss):
    document(_metric, ("row_num_classes", "name", "dtype"), inputs="rows")

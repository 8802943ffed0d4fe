"""scikit-learn's label-ranking scores of each row: label ranking average
precision, coverage error, ranking loss. Each compares every pair of a row's
scores (`(B, L, L)` per batch): ties count as scikit-learn counts them."""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_extras._docstrings import document
from keras_extras._typing import Tensor
from keras_extras.metrics.base import safe_divide
from keras_extras.metrics.rows.inputs import RowMean, at_least


def _relevant(labels: Tensor) -> Any:
    return ops.cast(labels >= 0.5, "float32")


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
        relevant = _relevant(labels)
        ahead = at_least(scores)  # [b, j, k]: s_k >= s_j
        ranked_all = ops.sum(ahead, axis=-1)
        ranked_true = ops.sum(ahead * relevant[:, None, :], axis=-1)
        count = ops.sum(relevant, axis=-1)
        precision = ops.sum(relevant * ranked_true / ranked_all, axis=-1)
        full = ops.logical_or(count == 0, count == ops.shape(labels)[-1])
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
        relevant = _relevant(labels)
        # Label k is covered when it scores at least as high as some true
        # label (pairwise: no reduction over an empty batch).
        above_true = ops.sum(relevant[:, :, None] * at_least(scores), axis=1)
        covered = ops.cast(above_true > 0, "float32")
        return ops.sum(covered, axis=-1)


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
        relevant = _relevant(labels)
        ahead = at_least(scores)  # [b, j, k]: s_k >= s_j
        wrong = ops.sum(
            relevant[:, :, None] * (1.0 - relevant[:, None, :]) * ahead, (1, 2)
        )
        count = ops.sum(relevant, axis=-1)
        pairs = count * (ops.cast(ops.shape(labels)[-1], "float32") - count)
        return safe_divide(wrong, pairs)


for _metric in (LabelRankingAveragePrecision, CoverageError, LabelRankingLoss):
    document(_metric, ("row_num_classes", "name", "dtype"), inputs="rows")

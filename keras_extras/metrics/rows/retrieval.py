"""Ranking scores of retrieval and recommendation rows: NDCG and mean
reciprocal rank."""

from __future__ import annotations

from typing import Any

import numpy as np
from keras import ops

from keras_extras._docstrings import document
from keras_extras._typing import Tensor
from keras_extras._validation import check_int
from keras_extras.metrics.base import safe_divide
from keras_extras.metrics.inputs.labels import row_maximum
from keras_extras.metrics.rows.inputs import RowMean
from keras_extras.metrics.rows.ordering import tie_groups


def cumulative_discounts(items: int, k: int | None) -> np.ndarray:
    """`D[m] = sum_{r=1..m} 1 / log2(r + 1)` for `m = 0..items`, with the
    discounts past rank `k` zero (host side: the width is static)."""
    ranks = np.arange(1, items + 1, dtype=np.float64)
    discounts = 1.0 / np.log2(ranks + 1.0)
    if k is not None:
        discounts[k:] = 0.0
    return np.concatenate([[0.0], np.cumsum(discounts)]).astype("float32")


class NDCG(RowMean):
    """Normalized discounted cumulative gain of each row, averaged over rows
    (weighted): graded relevance `y_true` (gains, >= 0) and scores `y_pred`
    over the same items.

        DCG_i = sum_r gain(item at rank r) / log2(r + 1),  r = 1 .. k
        NDCG_i = DCG_i / (the DCG of the ideal order)

    Items with tied scores share the discounts of the ranks they span (the
    mean gain of the tie at each), as `sklearn.metrics.ndcg_score` computes it
    (`ignore_ties=False`); a row without any gain scores 0. A negative gain
    (scikit-learn refuses it) makes the result NaN until `reset_state()`: a
    compiled step cannot raise. Matches
    `ndcg_score(y_true, y_score, k=k, sample_weight=w)`. Each batch sorts
    each row's scores (O(N log N) per row).

    Args:
        k: only the top `k` ranks count; None for all. Defaults to None.
    {args}
    Example:
        >>> import numpy as np
        >>> m = NDCG()
        >>> m.update_state(np.array([[10, 0, 0, 1, 5]]),
        ...                np.array([[0.1, 0.2, 0.3, 4, 70]]))
        >>> round(float(m.result()), 4)  # sklearn.metrics.ndcg_score
        0.6957
    """

    direction = "up"
    default_name = "ndcg"
    config_fields = ("k",)

    def __init__(
        self,
        k: int | None = None,
        num_classes: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(num_classes, name=name, dtype=dtype)
        self.k = check_int("k", k, allow_none=True)

    def invalid_rows(self, labels: Tensor) -> Any:
        return ops.any(labels < 0, axis=-1)

    def row_values(self, labels: Tensor, scores: Tensor) -> Any:
        items = labels.shape[-1]
        if items is None:
            raise ValueError(
                "NDCG needs the number of items per row statically (its discount "
                f"table). Received: y_pred.shape={tuple(labels.shape)}"
            )
        table = ops.convert_to_tensor(cumulative_discounts(items, self.k))
        first, end, gains = tie_groups(scores, labels)
        spanned = ops.take(table, end) - ops.take(table, first)
        gain = ops.sum(gains * spanned / ops.cast(end - first, "float32"), axis=-1)
        ideal_order = ops.flip(ops.sort(labels, axis=-1), axis=-1)
        ideal = ops.sum(ideal_order * (table[1:] - table[:-1]), axis=-1)
        return safe_divide(gain, ideal)


class MeanReciprocalRank(RowMean):
    """Mean reciprocal rank: `1 / rank` of the first relevant item of each row
    (relevance `y_true > 0`), 0 for a row with none (torchmetrics' default),
    averaged over rows (weighted).

        rank_i = 1 + |{items scored higher than the best-scored relevant item}|

    An irrelevant item tied with the best relevant one does not push it down
    (ties are read in the relevant item's favour; torchmetrics orders ties as
    its sort leaves them). Each batch costs O(N) per row.

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = MeanReciprocalRank()
        >>> relevance = np.array([[0, 1, 0], [0, 0, 0], [1, 0, 1]])
        >>> scores = np.array([[0.9, 0.5, 0.1], [0.3, 0.2, 0.1], [0.2, 0.9, 0.8]])
        >>> m.update_state(relevance, scores)
        >>> round(float(m.result()), 4)  # (1/2 + 0 + 1/2) / 3
        0.3333
    """

    direction = "up"
    default_name = "mean_reciprocal_rank"

    def row_values(self, labels: Tensor, scores: Tensor) -> Any:
        relevant = labels > 0
        # The best relevant score of each row (-inf for none), then the items
        # strictly above it: O(N).
        best = row_maximum(ops.where(relevant, scores, -np.inf))
        higher = ops.sum(ops.cast(scores > best[:, None], "float32"), axis=-1)
        found = ops.any(relevant, axis=-1)
        return ops.where(found, 1.0 / (1.0 + higher), 0.0)


document(NDCG, ("row_num_classes", "name", "dtype"), inputs="rows")
document(MeanReciprocalRank, ("row_num_classes", "name", "dtype"), inputs="rows")

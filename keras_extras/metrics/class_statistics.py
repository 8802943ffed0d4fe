"""Per-class statistics of a confusion state: what every score formula reads.

    tp         weighted count of samples of class c predicted as c
    predicted  weighted count of samples predicted as c    (tp + fp)
    actual     weighted count of samples of class c        (tp + fn, the support)
    total      weighted count of all samples (multilabel: of that label)

and, for multilabel states that keep them, sums over rows (`ROW_WEIGHT`,
`EXACT_MATCH`, and one per sample-averaged score).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keras import ops

from keras_extras._typing import Tensor

STATISTICS = ("tp", "predicted", "actual", "total")
# The rows a binary or multiclass state may keep (its total is their sum).
CLASS_ROWS = ("tp", "predicted", "actual")
# Multilabel row sums (`counting.row_quantities`): the counted rows' weight, the
# weight of rows predicted exactly, the weighted share of wrong labels, then one
# sum of row scores per sample-averaged score.
ROW_WEIGHT, EXACT_MATCH, HAMMING_LOSS = "row_weight", "exact_match", "hamming_loss"


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
        self,
        rows: Mapping[str, Any],
        task: str,
        matrix: Tensor | None = None,
        row_sums: Mapping[str, Any] | None = None,
    ) -> None:
        self.rows = dict(rows)
        self.task = task
        self.matrix = matrix
        # Multilabel sums over rows (`row_quantities`), when the state keeps them.
        self.row_sums = dict(row_sums or {})
        self.cache: dict[str, Any] = {}

    @classmethod
    def from_matrix(
        cls,
        matrix: Tensor,
        task: str = "multiclass",
        row_sums: Mapping[str, Any] | None = None,
    ) -> ClassStatistics:
        """Statistics of a `(C, C)` matrix (rows true, columns predicted), or of
        multilabel `(..., C, 2, 2)` matrices `[[tn, fp], [fn, tp]]` (and their
        row sums; leading axes: `Bootstrap`'s replicates)."""
        if task == "multilabel":
            rows = {
                "tp": matrix[..., 1, 1],
                "predicted": ops.sum(matrix[..., 1], axis=-1),
                "actual": ops.sum(matrix[..., 1, :], axis=-1),
                "total": ops.sum(matrix, axis=(-2, -1)),
            }
            return cls(rows, task, matrix=matrix, row_sums=row_sums)
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

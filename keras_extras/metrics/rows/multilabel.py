"""Multilabel set scores of each row: exact match and Hamming loss."""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_extras._docstrings import document
from keras_extras._typing import Tensor
from keras_extras._validation import check_bool, check_threshold
from keras_extras.metrics.inputs.labels import decided
from keras_extras.metrics.rows.inputs import RowMean


class _DecidedRows(RowMean):
    """Rows of 0/1 labels (`>= 0.5` is a label) and scores decided at
    `threshold` (on probabilities; with `from_logits`, on the sigmoid; one
    threshold, or a list of one per label)."""

    config_fields = ("threshold", "from_logits")

    def __init__(
        self,
        num_classes: int | None = None,
        threshold: float | list[float] = 0.5,
        from_logits: bool = False,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(num_classes, name=name, dtype=dtype)
        self.threshold = check_threshold(
            threshold, num_classes, per_label=True, low_inclusive=True
        )
        self.from_logits = check_bool("from_logits", from_logits)

    def wrong(self, labels: Tensor, scores: Tensor) -> Any:
        """`(B, L)`: 1 where the decision differs from the label."""
        if self.from_logits:
            scores = ops.sigmoid(scores)
        decisions = decided(scores, self.threshold)
        return ops.cast(ops.not_equal(decisions, labels >= 0.5), "float32")


class ExactMatch(_DecidedRows):
    """Exact match (subset accuracy): the weighted share of rows whose every
    label is predicted right.

        exact_match = sum_i w_i [decision_i == labels_i, every label] / sum_i w_i

    Matches `sklearn.metrics.accuracy_score` on multilabel indicator rows.

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = ExactMatch(num_classes=3)
        >>> m.update_state(np.array([[1, 0, 1], [0, 1, 0]]),
        ...                np.array([[0.9, 0.2, 0.6], [0.8, 0.7, 0.1]]))
        >>> float(m.result())
        0.5
    """

    direction = "up"
    default_name = "exact_match"

    def row_values(self, labels: Tensor, scores: Tensor) -> Any:
        wrong = ops.sum(self.wrong(labels, scores), axis=-1)
        return ops.cast(wrong == 0, "float32")


class HammingLoss(_DecidedRows):
    """Hamming loss: the weighted share of labels predicted wrong.

        hamming_loss = sum_i w_i mean_l [decision_il != label_il] / sum_i w_i

    Matches `sklearn.metrics.hamming_loss`.

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = HammingLoss(num_classes=3)
        >>> m.update_state(np.array([[1, 0, 1], [0, 1, 0]]),
        ...                np.array([[0.9, 0.2, 0.6], [0.8, 0.7, 0.1]]))
        >>> round(float(m.result()), 4)  # 1 wrong label of 6
        0.1667
    """

    direction = "down"
    default_name = "hamming_loss"

    def row_values(self, labels: Tensor, scores: Tensor) -> Any:
        return ops.mean(self.wrong(labels, scores), axis=-1)


for _metric in (ExactMatch, HammingLoss):
    document(
        _metric,
        ("row_num_classes", "threshold", "from_logits", "name", "dtype"),
        inputs="rows",
    )

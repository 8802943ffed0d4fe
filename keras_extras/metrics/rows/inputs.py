"""The row input rule and the base of the per-row scores."""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_extras._typing import Tensor
from keras_extras._validation import check_int
from keras_extras.metrics.base import (
    PerSampleMean,
    ScoreRangeGuard,
    library_count_bound,
)
from keras_extras.metrics.inputs import static_shape
from keras_extras.metrics.inputs.labels import check_label_dtype
from keras_extras.metrics.inputs.shapes import dims_match


def row_inputs(y_true: Tensor, y_pred: Tensor, width: int | None) -> Any:
    """`(labels, scores)`, both float32 `(B, L)`, with NaN where a row cannot be
    scored (a NaN label or score: the row is not counted).

    Raises at trace time unless both are `(B, L)` with the same `L` (and `L ==
    width` when given).
    """
    check_label_dtype(y_true)
    labels = ops.cast(ops.convert_to_tensor(y_true), "float32")
    scores = ops.cast(ops.convert_to_tensor(y_pred), "float32")
    true_shape, pred_shape = static_shape(labels), static_shape(scores)
    if (
        len(pred_shape) != 2
        or len(true_shape) != 2
        or not dims_match(true_shape, pred_shape)
        or (width is not None and pred_shape[1] not in (width, None))
    ):
        expected = f"(batch, {width})" if width is not None else "(batch, L)"
        raise ValueError(
            f"`y_true` and `y_pred` must both be {expected}: one row of labels "
            f"and one of scores per sample. Received: y_true.shape={true_shape}, "
            f"y_pred.shape={pred_shape}"
        )
    return labels, scores


def unreadable_rows(labels: Tensor, scores: Tensor) -> Any:
    """`(B,)` True where a label or a score of the row is NaN."""
    bad = ops.logical_or(ops.isnan(labels), ops.isnan(scores))
    return ops.any(bad, axis=-1)


class RowMean(PerSampleMean):
    """A weighted mean over rows of `row_values(labels, scores)` (`(B,)`); a
    row with a NaN label or score is not counted, and the result is NaN until
    a row is.

    Args:
        num_classes: labels (items) per row, or None to take any `L`.
        name: metric name.
        dtype: dtype of the result.
    """

    config_fields: tuple[str, ...] = ("num_classes",)

    def __init__(
        self, num_classes: int | None = None, name: Any = None, dtype: Any = None
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.num_classes = check_int("num_classes", num_classes, allow_none=True)
        self.guard = ScoreRangeGuard(self, "rows_out_of_domain")

    def row_values(self, labels: Tensor, scores: Tensor) -> Any:
        raise NotImplementedError  # pragma: no cover - abstract

    def invalid_rows(self, labels: Tensor) -> Any:
        """`(B,)` True for rows outside the metric's domain (none by default):
        they make the result NaN until `reset_state()`."""
        return None

    def weighted_values(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> Any:
        labels, scores = row_inputs(y_true, y_pred, self.num_classes)
        values, weights = self.counted(self.scored(labels, scores), sample_weight)
        invalid = self.invalid_rows(labels)
        if invalid is None:
            return values, weights, 0.0
        invalid = ops.logical_and(invalid, weights != 0)
        return values, weights, ops.sum(ops.cast(invalid, "float32"))

    def update_state(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> None:
        values, weights, out_of_range = self.weighted_values(
            y_true, y_pred, sample_weight
        )
        self.guard.add(out_of_range)
        self.total.add(ops.sum(ops.multiply(weights, values)))
        self.weight.add(
            ops.sum(weights),
            library_count_bound(self.weighted_values, weights, sample_weight),
        )

    def result(self) -> Any:
        # No row counted: NaN (0 would be a perfect loss or coverage).
        value = ops.where(self.weight.value() == 0, float("nan"), super().result())
        return self.guard.apply(value)

    def per_sample(self, y_true: Tensor, y_pred: Tensor) -> Any:
        return self.scored(*row_inputs(y_true, y_pred, self.num_classes))

    def scored(self, labels: Tensor, scores: Tensor) -> Any:
        """`row_values`, NaN for a row with a NaN label or score."""
        unreadable = unreadable_rows(labels, scores)
        labels = ops.where(ops.isnan(labels), 0.0, labels)
        scores = ops.where(ops.isnan(scores), 0.0, scores)
        values = self.row_values(labels, scores)
        return ops.where(unreadable, float("nan"), values)

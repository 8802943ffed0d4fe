"""The label rules, written once: how ids, one-hot rows and binary labels are read.

Samples that cannot be counted inside a compiled step (a label outside
`[0, num_classes)`, an all-zero one-hot row, a NaN) come back with a false
"countable" mask instead of raising; callers give them weight 0.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_extras._typing import Tensor
from keras_extras.metrics.inputs.shapes import (
    Shape,
    cast_to,
    dims_match,
    is_floating,
    shape_error,
    static_shape,
)

TASKS = ("binary", "multiclass", "multilabel")
# A label row summing above 1 + this is multi-hot (float32 rounding of mixup and
# label-smoothed rows stays far below it).
MULTI_HOT_TOLERANCE = 1e-3


def class_ids(scores: Tensor) -> Any:
    """Index of the largest score along the last axis (the first, on ties), int32.

    A NaN row gives some id in range (the last class on XLA); callers mask NaN
    rows.
    """
    return ids_and_max(scores)[0]


def row_maximum(x: Tensor) -> Any:
    """The maximum over the last axis of a float `x`, for a batch of any size,
    0 rows included: `top_k` passes an empty batch on every backend, where
    `keras.ops.max` refuses it on torch and in eager TensorFlow even along a
    non-empty axis (no backend branch; 0.1 ms for 32 rows of 1000 on JAX's
    CPU)."""
    return ops.top_k(x, 1)[0][..., 0]


def ids_and_max(scores: Tensor) -> Any:
    """`(class_ids(scores), row maximum)`; the maximum is NaN for a NaN row.

    The one backend branch of input formatting, measured by benchmarks/argmax.py:
    XLA on CPU lowers `argmax` to a slow two-operand reduction, and a max, a
    compare and a min over the class indices run 1.2 to 1.7 times faster under
    JAX and TensorFlow, while on eager torch `argmax` is one kernel and those
    three ops cost 2 to 3 times more. The row maximum serves both paths: the
    NaN check of the caller reads it.

    An empty batch (0 rows) must pass: `keras.ops.max` refuses empty tensors on
    torch and in eager TensorFlow even along a non-empty axis, so torch takes
    `amax`, and the others pass `initial` (which skips that check).
    """
    if keras.backend.backend() == "torch":
        ids = cast_to(ops.argmax(scores, axis=-1), "int32")
        return ids, ops.amax(scores, axis=-1)
    num_classes = scores.shape[-1]
    floating = is_floating(scores)
    lowest = float("-inf") if floating else -(2**31)
    row_max = ops.max(scores, axis=-1, keepdims=True, initial=lowest)
    if floating:
        # TensorFlow's XLA takes the maximum past NaN (its fast min/max: a row
        # [nan, 1] gives 1, all NaN gives -inf), so NaN rows would be counted.
        has_nan = ops.any(ops.isnan(scores), axis=-1, keepdims=True)
        row_max = ops.where(has_nan, float("nan"), row_max)
    index = ops.arange(num_classes, dtype="int32")
    candidates = ops.where(scores == row_max, index, num_classes - 1)
    ids = ops.min(candidates, axis=-1, initial=num_classes - 1)
    return ids, row_max[..., 0]


# Label dtypes in which `num_classes - 1` may not be exact, and the dtype each
# is widened to (exactly) before its range is checked.
NARROW_LABEL_DTYPES = {
    "float16": "float32",
    "bfloat16": "float32",
    "int8": "int32",
    "int16": "int32",
    "uint8": "int32",
    "uint16": "int32",
    "uint32": "int32",  # above 2**31 wraps negative: out of range, as it is
}


def ids_in_range(x: Tensor, num_classes: int) -> Any:
    """Integer ids from labels (`x` rounded when floating) and whether each is in
    `[0, num_classes)` (None for booleans: always in range).

    The range is checked on the values as given, before any cast: an int64
    `2**32 + 1` or a float `1e10` is out of range (a cast to int32 would wrap it
    onto a class), and NaN is out of range (NaN compares false). The ids are
    always in range, whatever the labels (out-of-range ones come back clipped,
    NaN as 0), so callers only weight the uncountable ones 0: a clip and a
    compare, two ops per step where two compares, an `and` and a `where` were.
    """
    dtype = str(ops.dtype(x))
    if dtype == "bool":
        return cast_to(x, "int32"), None
    if dtype in NARROW_LABEL_DTYPES:
        # The clip's bound takes the labels' dtype, where `num_classes - 1`
        # may round up to `num_classes` (float16 at 2052 classes) or wrap
        # (int8 past 127): widen first, exactly.
        dtype = NARROW_LABEL_DTYPES[dtype]
        x = ops.cast(x, dtype)
    if "float" in dtype:
        x = ops.round(x)
    ids = ops.clip(x, 0, num_classes - 1)
    ok = ids == x
    if "float" in dtype:
        # A cast of NaN to an integer is undefined (often out of range).
        ids = ops.where(ok, ids, 0)
    return cast_to(ids, "int32"), ok


def infer_num_classes(y_pred: Tensor, task: str) -> int | None:
    """The number of classes read from the static last dimension of `y_pred`."""
    if task == "binary":
        return 2
    shape = static_shape(y_pred)
    if len(shape) >= 2 and shape[-1] is not None and shape[-1] >= 2:
        return int(shape[-1])
    return None


def multiclass_labels(
    y_true: Tensor, y_pred: Tensor, sample_shape: Shape, num_classes: int
) -> Any:
    """Multiclass labels as class ids: the one rule of every multiclass metric.

    `y_true` is integer ids `S` or `S + (1,)` (`S` the sample shape), or one-hot /
    soft rows `S + (C,)` (mixup, label smoothing), read as their arg-max class
    and counted when the row's largest entry is positive (not NaN, not all 0).

    Returns:
        `(ids, countable, rows)`: int32 ids `S`, the countable mask (None when
        every id is in range: booleans), and the rows as given (None for ids;
        booleans as int32).
    """
    true_shape = static_shape(y_true)
    rank = len(sample_shape)
    rows = None
    if len(true_shape) == rank + 1 and true_shape[-1] == num_classes:
        # Boolean one-hot rows as 0/1 (TensorFlow has no maximum of booleans).
        rows = cast_to(y_true, "int32") if str(ops.dtype(y_true)) == "bool" else y_true
        ids, row_max = ids_and_max(rows)
        countable = row_max > 0
    else:
        if len(true_shape) == rank + 1 and true_shape[-1] == 1:
            y_true = ops.squeeze(y_true, -1)
        elif len(true_shape) != rank:
            raise shape_error(
                y_true,
                y_pred,
                f"multiclass with num_classes={num_classes}: y_true must be integer "
                f"ids {sample_shape} or one-hot {sample_shape + (num_classes,)}",
            )
        ids, countable = ids_in_range(y_true, num_classes)
    if not dims_match(static_shape(ids), sample_shape):
        raise shape_error(y_true, y_pred, "the sample shapes differ")
    return ids, countable, rows


def multi_hot_rows(rows: Tensor | None) -> Any:
    """How many label rows sum to more than 1: multi-hot targets (a multilabel
    task) given to a multiclass metric, which would read them as their arg-max.
    One-hot, mixup and label-smoothed rows sum to 1. A float32 scalar."""
    if rows is None:
        return 0.0
    total = ops.sum(ops.cast(rows, "float32"), axis=-1)
    return ops.sum(ops.cast(total > 1.0 + MULTI_HOT_TOLERANCE, "float32"))


def refuse_non_numbers(
    value: Any, argument: str, must_hold: str, allow_bool: bool = True
) -> None:
    """Raise a `TypeError` naming `argument` when `value` holds strings (or
    booleans unless `allow_bool`): their dtype is known before any tensor is
    made, and each backend fails differently converting them."""
    dtype = str(getattr(value, "dtype", ""))
    sample = value
    while isinstance(sample, (list, tuple)) and sample:
        sample = sample[0]
    refused: tuple[str, ...] = ("<U", "<S", "|S", "str", "string", "object")
    if not allow_bool:
        refused += ("bool",)
    if (
        isinstance(sample, (str, bytes))
        or (isinstance(sample, bool) and not allow_bool)
        or any(kind in dtype for kind in refused)
    ):
        raise TypeError(
            f"`{argument}` must hold {must_hold}. Received: {argument} of dtype "
            f"{dtype or type(sample).__name__}"
        )


def check_label_dtype(y_true: Any) -> None:
    """Raise a `TypeError` naming `y_true` for string labels."""
    refuse_non_numbers(
        y_true,
        "y_true",
        "class ids, one-hot rows or 0/1 labels (numbers or booleans); map string "
        "labels to ids first (for example with `keras.layers.StringLookup`)",
    )


def binary_inputs(y_true: Tensor, y_pred: Tensor) -> Any:
    """Binary labels and scores as `(batch, ...)` each (a trailing 1 is dropped)."""
    pred_shape, true_shape = static_shape(y_pred), static_shape(y_true)
    if len(pred_shape) >= 2 and pred_shape[-1] == 1:
        y_pred = ops.squeeze(y_pred, -1)
        pred_shape = pred_shape[:-1]
    if len(true_shape) == len(pred_shape) + 1 and true_shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
        true_shape = true_shape[:-1]
    if len(pred_shape) == 0 or not dims_match(true_shape, pred_shape):
        raise shape_error(
            y_true,
            y_pred,
            "binary: both must be (batch, ...) or (batch, ..., 1); for two-column "
            "scores use task='multiclass'",
        )
    return y_true, y_pred


def decided(scores: Tensor, threshold: Any) -> Any:
    """`scores >= threshold` (booleans): one threshold, or a list of one per
    label (the last axis; its length checked against the static shape)."""
    if not isinstance(threshold, (list, tuple)):
        return ops.greater_equal(scores, threshold)
    labels = static_shape(scores)[-1] if static_shape(scores) else None
    if labels is not None and labels != len(threshold):
        raise ValueError(
            f"`threshold` holds {len(threshold)} numbers, one per label, but "
            f"y_pred has {labels} labels. Received: y_pred.shape="
            f"{static_shape(scores)}"
        )
    return ops.greater_equal(scores, ops.convert_to_tensor(threshold, "float32"))


def binary_decisions(y_pred: Tensor, threshold: Any, from_logits: bool) -> Any:
    """Predicted 0/1 labels and a mask of countable (non-NaN) entries."""
    if not is_floating(y_pred):
        return ids_in_range(y_pred, 2)
    scores = ops.cast(y_pred, "float32")
    if from_logits:
        scores = ops.sigmoid(scores)
    decisions = ops.cast(decided(scores, threshold), "int32")
    return decisions, ops.logical_not(ops.isnan(scores))

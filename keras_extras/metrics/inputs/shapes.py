"""Static shapes, batch sizes and sample weights: what every metric's inputs share.

Every function here reads static shapes only (raising `ValueError` at trace time
when they cannot match) and never branches on tensor values.
"""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_extras._typing import Tensor

Shape = tuple[int | None, ...]


def static_shape(x: Tensor) -> Shape:
    """The static shape of `x` as a tuple (unknown dimensions are None)."""
    return tuple(x.shape)


def is_floating(x: Tensor) -> bool:
    """Whether `x` has a floating dtype."""
    return "float" in str(ops.dtype(x))


def dims_match(a: Shape, b: Shape) -> bool:
    """Whether two static shapes can be equal (None matches anything)."""
    if len(a) != len(b):
        return False
    return all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))


def check_batch_sizes(y_true: Tensor, y_pred: Tensor) -> None:
    """Raise a `ValueError` when the static batch sizes of the inputs differ."""
    true_shape, pred_shape = static_shape(y_true), static_shape(y_pred)
    if true_shape and pred_shape and not dims_match(true_shape[:1], pred_shape[:1]):
        raise ValueError(
            "`y_true` and `y_pred` must have the same batch size. "
            f"Received: y_true.shape={true_shape}, y_pred.shape={pred_shape}"
        )


def shape_error(y_true: Tensor, y_pred: Tensor, expected: str) -> ValueError:
    """The `ValueError` of inputs whose static shapes cannot match."""
    return ValueError(
        f"Cannot match `y_true` and `y_pred` ({expected}). Received: "
        f"y_true.shape={static_shape(y_true)}, y_pred.shape={static_shape(y_pred)}"
    )


def ones_of(sample_shape: Shape) -> Any:
    """Float32 ones of `sample_shape` (an unknown dimension counts as 1)."""
    return ops.ones([d if d is not None else 1 for d in sample_shape], "float32")


def broadcast_sample_weight(
    sample_weight: Tensor, sample_shape: Shape, dtype: str = "float32"
) -> Any:
    """Broadcast `sample_weight` to `sample_shape`; ones when it is None.

    Accepted shapes: `sample_shape`, `sample_shape + (1,)`, or any prefix of
    `sample_shape` (e.g. a per-sequence weight `(B,)` for per-token labels `(B, T)`).
    A NaN weight becomes 0: that sample is not counted, by every metric.
    """
    if sample_weight is None:
        return ops.ones([d if d is not None else 1 for d in sample_shape], dtype)
    weight = ops.cast(ops.convert_to_tensor(sample_weight), dtype)
    shape = static_shape(weight)
    if len(shape) == len(sample_shape) + 1 and shape[-1] == 1:
        weight = ops.squeeze(weight, -1)
        shape = shape[:-1]
    if len(shape) > len(sample_shape) or not dims_match(
        shape, sample_shape[: len(shape)]
    ):
        raise ValueError(
            "`sample_weight` must have the shape of the samples, or a prefix of it. "
            f"Received: sample_weight.shape={static_shape(sample_weight)} for "
            f"samples of shape {sample_shape}"
        )
    for _ in range(len(sample_shape) - len(shape)):
        weight = ops.expand_dims(weight, -1)
    return ops.where(weight == weight, weight, 0.0)  # NaN != NaN


def countable_weights(mask: Tensor, sample_weight: Tensor, sample_shape: Shape) -> Any:
    """Float32 weights: `sample_weight` (or 1) where `mask`, else 0; a None mask
    counts every sample."""
    if sample_weight is None:
        return ones_of(sample_shape) if mask is None else ops.cast(mask, "float32")
    weights = broadcast_sample_weight(sample_weight, sample_shape)
    return weights if mask is None else ops.where(mask, weights, 0.0)


def cast_to(x: Tensor, dtype: str) -> Any:
    """`ops.cast`, skipped when `x` already has `dtype` (one op less per step)."""
    return x if str(ops.dtype(x)) == dtype else ops.cast(x, dtype)


def flat(x: Tensor) -> Any:
    """`x` as one axis (no op when it already is)."""
    return x if len(static_shape(x)) == 1 else ops.reshape(x, (-1,))


def both(mask: Tensor, other: Any) -> Any:
    """`mask & other`, where None stands for "all true"."""
    if mask is None or other is None:
        return other if mask is None else mask
    return mask & other

"""Labels and predictions to flat class ids and weights: what confusion counts read."""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_extras._typing import Tensor
from keras_extras.metrics.inputs.labels import (
    binary_decisions,
    binary_inputs,
    check_label_dtype,
    ids_and_max,
    ids_in_range,
    multi_hot_rows,
    multiclass_labels,
)
from keras_extras.metrics.inputs.shapes import (
    both,
    broadcast_sample_weight,
    check_batch_sizes,
    countable_weights,
    dims_match,
    flat,
    is_floating,
    shape_error,
    static_shape,
)


def classification_inputs(
    y_true: Tensor,
    y_pred: Tensor,
    sample_weight: Tensor | None = None,
    *,
    task: str,
    num_classes: int,
    threshold: float = 0.5,
    from_logits: bool = False,
    ignore_class: int | None = None,
    top_k: int = 1,
    count_multi_hot: bool = False,
) -> Any:
    """Turn labels and predictions into flat integer ids and weights.

    Args:
        y_true: integer ids `S` or `S + (1,)`, or one-hot / multi-hot `S + (C,)`.
        y_pred: scores, probabilities or logits `S + (C,)` (multiclass: arg-max;
            binary and multilabel: `score >= threshold`), or integer ids `S`.
            Binary scores may be `S` or `S + (1,)`.
        sample_weight: `None`, or weights of shape `S` or a prefix of it.
        task: "binary", "multiclass" or "multilabel".
        num_classes: number of classes (2 for binary; labels for multilabel).
        threshold: decision threshold on probabilities (binary, multilabel).
        from_logits: whether binary/multilabel scores are logits.
        ignore_class: label value whose samples are not counted.
        top_k: multiclass scores only: a sample whose label is among its `top_k`
            highest scores is predicted as its label, others as their arg-max
            (torchmetrics' definition; a score tied with the k-th counts as in).
        count_multi_hot: also return how many label rows were multi-hot (sum
            above 1: a multilabel target given to task="multiclass"; always 0
            for other tasks and for ids).

    Returns:
        `(true_ids, pred_ids, weights)`: int32, int32 and float32 tensors of shape
        `(N,)` for binary/multiclass, `(N, C)` for multilabel, where `N` is the
        number of samples in `S`. Uncountable samples have weight 0; every id
        is in `[0, num_classes)` (out-of-range labels are clipped, NaN is 0).
        With `count_multi_hot=True`, the multi-hot count follows (a float32
        scalar).

    Raises:
        TypeError: string labels (`y_true`), whatever the backend.
    """
    check_label_dtype(y_true)
    y_true = ops.convert_to_tensor(y_true)
    y_pred = ops.convert_to_tensor(y_pred)
    check_batch_sizes(y_true, y_pred)
    if task == "multiclass":
        *formatted, multi_hot = _multiclass(
            y_true, y_pred, sample_weight, num_classes, ignore_class, top_k
        )
        return (*formatted, multi_hot) if count_multi_hot else tuple(formatted)
    formatted = _thresholded(
        y_true,
        y_pred,
        sample_weight,
        task,
        num_classes,
        threshold,
        from_logits,
        ignore_class,
    )
    return (*formatted, 0.0) if count_multi_hot else formatted


def _multiclass(
    y_true: Tensor,
    y_pred: Tensor,
    sample_weight: Tensor,
    num_classes: int,
    ignore_class: int | None,
    top_k: int = 1,
) -> Any:
    # Every op here runs once per training step (eagerly on torch): keep them few.
    pred_shape = static_shape(y_pred)
    has_scores = (
        is_floating(y_pred) and len(pred_shape) >= 2 and pred_shape[-1] == num_classes
    )
    if has_scores:
        sample_shape = pred_shape[:-1]
        # arg-max ids are always in range; a NaN score makes the row maximum NaN.
        pred_ids, row_max = ids_and_max(y_pred)
        countable = row_max == row_max
    elif len(pred_shape) >= 1 and (
        not is_floating(y_pred) or len(pred_shape) == 1 or pred_shape[-1] == 1
    ):
        if len(pred_shape) >= 2 and pred_shape[-1] == 1:
            y_pred = ops.squeeze(y_pred, -1)
            pred_shape = pred_shape[:-1]
        sample_shape = pred_shape
        pred_ids, countable = ids_in_range(y_pred, num_classes)
    else:
        raise shape_error(
            y_true,
            y_pred,
            f"multiclass with num_classes={num_classes}: y_pred must be scores "
            f"(batch, ..., {num_classes}) or integer ids (batch, ...)",
        )
    true_ids, labelled, rows = multiclass_labels(
        y_true, y_pred, sample_shape, num_classes
    )
    multi_hot = multi_hot_rows(rows)
    countable = both(countable, labelled)
    if ignore_class is not None:
        countable = both(countable, ops.not_equal(true_ids, ignore_class))
    if top_k > 1:
        if not has_scores:
            raise ValueError(
                f"`top_k={top_k}` needs class scores (batch, ..., {num_classes}). "
                f"Received: y_pred.shape={pred_shape}"
            )
        pred_ids = _top_k_refined(y_pred, true_ids, pred_ids, top_k)

    # Uncountable samples get weight 0; every id is in range already (arg-max
    # ids are, and `ids_in_range` clips).
    weights = countable_weights(countable, sample_weight, sample_shape)
    return flat(true_ids), flat(pred_ids), flat(weights), multi_hot


def _top_k_refined(
    scores: Tensor, true_ids: Tensor, pred_ids: Tensor, top_k: int
) -> Any:
    """The label where it is among the `top_k` highest scores, else the arg-max
    (`true_ids` are in range, uncountable ones too)."""
    label_score = ops.take_along_axis(scores, true_ids[..., None], axis=-1)[..., 0]
    kth_score = ops.top_k(scores, top_k, sorted=True)[0][..., -1]
    return ops.where(label_score >= kth_score, true_ids, pred_ids)


def _thresholded(
    y_true: Tensor,
    y_pred: Tensor,
    sample_weight: Tensor,
    task: str,
    num_classes: int,
    threshold: float,
    from_logits: bool,
    ignore_class: int | None,
) -> Any:
    pred_shape = static_shape(y_pred)
    true_shape = static_shape(y_true)
    if task == "binary":
        y_true, y_pred = binary_inputs(y_true, y_pred)
        sample_shape = static_shape(y_pred)
    else:
        if (
            len(pred_shape) < 2
            or pred_shape[-1] != num_classes
            or not dims_match(true_shape, pred_shape)
        ):
            raise shape_error(
                y_true,
                y_pred,
                f"multilabel with num_classes={num_classes}: both must be "
                f"(batch, ..., {num_classes})",
            )
        sample_shape = pred_shape[:-1]

    # Soft binary labels (label smoothing) round: a label counts as 1 above 0.5.
    pred_ids, countable = binary_decisions(y_pred, threshold, from_logits)
    true_ids, true_ok = ids_in_range(y_true, 2)
    countable = both(countable, true_ok)
    if ignore_class is not None:
        countable = both(countable, ops.not_equal(true_ids, ignore_class))
    # Uncountable entries get weight 0; ids and decisions are 0/1 already.
    if sample_weight is None:
        if countable is None:  # boolean labels and decisions: all countable
            weights = ops.ones_like(true_ids, "float32")
        else:
            weights = ops.cast(countable, "float32")
    else:
        weights = broadcast_sample_weight(sample_weight, sample_shape)
        if task == "multilabel":
            weights = ops.expand_dims(weights, -1)
        if countable is None:
            weights = weights * ops.ones_like(true_ids, "float32")
        else:
            weights = ops.where(countable, weights, 0.0)
    shape = (-1,) if task == "binary" else (-1, num_classes)
    return (
        ops.reshape(true_ids, shape),
        ops.reshape(pred_ids, shape),
        ops.reshape(weights, shape),
    )

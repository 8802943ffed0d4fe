"""Labels and scores to flat probabilities, targets and weights: what histograms,
calibration bins and per-sample means read."""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_extras._typing import Tensor
from keras_extras.metrics.inputs.labels import (
    binary_inputs,
    check_label_dtype,
    ids_in_range,
    multiclass_labels,
)
from keras_extras.metrics.inputs.shapes import (
    both,
    broadcast_sample_weight,
    check_batch_sizes,
    dims_match,
    shape_error,
    static_shape,
)

SCORE_TOLERANCE = 1e-2


def class_probabilities(y_pred: Tensor, from_logits: bool) -> Any:
    """Return `(probs, log_probs)` of class scores `(..., K)`, float32.

    `log_probs` is finite where a probability is 0 (clipped at the smallest normal
    float32), so `p * log p` is 0 there rather than NaN.
    """
    shape = static_shape(y_pred)
    if len(shape) < 2:
        raise ValueError(
            "`y_pred` must hold class probabilities of shape (batch, ..., "
            f"num_classes). Received: y_pred.shape={shape}"
        )
    if shape[-1] is not None and shape[-1] < 2:
        raise ValueError(
            "`y_pred` must have at least 2 classes in its last dimension. "
            f"Received: y_pred.shape={shape}"
        )
    y_pred = ops.cast(y_pred, "float32")
    if from_logits:
        log_probs = ops.log_softmax(y_pred, axis=-1)
        return ops.exp(log_probs), log_probs
    tiny = 1.1754944e-38
    return y_pred, ops.log(ops.maximum(y_pred, tiny))


def probability_inputs(
    y_true: Tensor,
    y_pred: Tensor,
    sample_weight: Tensor | None = None,
    *,
    task: str,
    num_classes: int | None = None,
    from_logits: bool = False,
    soft_targets: bool = False,
    count_out_of_range: bool = False,
) -> Any:
    """Turn labels and scores into flat probabilities, targets and weights.

    Args:
        y_true: binary labels `S` or `S + (1,)`; multiclass integer ids `S`,
            `S + (1,)` or one-hot / soft rows `S + (C,)`; multilabel multi-hot
            `S + (C,)`. Soft labels (mixup, label smoothing) are accepted.
        y_pred: probabilities or logits: binary `S` or `S + (1,)`, otherwise
            `S + (C,)`. Logits get a sigmoid (binary, multilabel) or a softmax.
        sample_weight: `None`, or weights of shape `S` or a prefix of it.
        task: "binary", "multiclass" or "multilabel".
        num_classes: expected `C` (checked against `y_pred` when given).
        from_logits: whether `y_pred` holds logits.
        soft_targets: return float targets as given (in [0, 1]; a multiclass row
            counted when its largest entry is positive) instead of hard 0/1
            targets: the arg-max class of a multiclass row, a binary or
            multilabel label rounded (1 above 0.5).
        count_out_of_range: also return the number of samples whose scores lie
            outside [0, 1] (beyond `SCORE_TOLERANCE`; always 0 with
            `from_logits=True`).

    Returns:
        `(probs, targets, weights)`, plus the out-of-range count (a float32
        scalar) with `count_out_of_range=True`: float32 `(N, K)`, `(N, K)` and
        `(N,)`, with `K = 1` for binary and `K = C` otherwise. Samples whose
        label is out of range (not 0/1, not in `[0, C)`, NaN, an all-zero row),
        whose scores contain NaN, or (without `from_logits`) whose scores lie
        outside [0, 1] get weight 0 (and targets and probabilities 0). Scores
        within `SCORE_TOLERANCE` of [0, 1] (float rounding, 16-bit outputs) are
        clipped into it.
    """
    check_label_dtype(y_true)
    y_true = ops.convert_to_tensor(y_true)
    y_pred = ops.convert_to_tensor(y_pred)
    check_batch_sizes(y_true, y_pred)
    pred_shape = static_shape(y_pred)
    if task == "binary":
        y_true, y_pred = binary_inputs(y_true, y_pred)
        sample_shape = pred_shape = static_shape(y_pred)
        y_pred = ops.expand_dims(y_pred, -1)
        y_true = ops.expand_dims(y_true, -1)
    else:
        expected = num_classes if num_classes is not None else pred_shape[-1:]
        if (
            len(pred_shape) < 2
            or pred_shape[-1] is None
            or pred_shape[-1] < 2
            or (num_classes is not None and pred_shape[-1] != num_classes)
        ):
            raise shape_error(
                y_true, y_pred, f"{task}: y_pred must be (batch, ..., {expected})"
            )
        sample_shape = pred_shape[:-1]
    num_columns = 1 if task == "binary" else int(pred_shape[-1] or 1)

    probs = ops.cast(y_pred, "float32")
    out_of_range = None
    if from_logits:
        probs = ops.softmax(probs, -1) if task == "multiclass" else ops.sigmoid(probs)
        valid = ops.logical_not(ops.any(ops.isnan(probs), axis=-1))
    else:
        # Comparisons with NaN are false: NaN rows are neither inside nor out.
        inside = (probs >= -SCORE_TOLERANCE) & (probs <= 1.0 + SCORE_TOLERANCE)
        valid = ops.all(inside, axis=-1)
        out_of_range = ops.any(~inside & (probs == probs), axis=-1)
        probs = ops.clip(probs, 0.0, 1.0)

    if task == "multiclass":
        ids, labelled, rows = multiclass_labels(
            y_true, y_pred, sample_shape, num_columns
        )
        valid = both(valid, labelled)
        if rows is not None and soft_targets:
            targets = ops.cast(rows, "float32")
        else:
            # A comparison, not `ops.one_hot`: torch's checks the ids' range on
            # the host, a device sync every step. Ids are in range already.
            classes = ops.arange(num_columns, dtype="int32")
            targets = ops.cast(ids[..., None] == classes, "float32")
    else:
        if not dims_match(static_shape(y_true), static_shape(probs)):
            raise shape_error(y_true, y_pred, f"{task}: shapes must match")
        if soft_targets:
            targets = ops.cast(y_true, "float32")
            valid = valid & ops.all((targets >= 0.0) & (targets <= 1.0), axis=-1)
        else:
            ids, in_range = ids_in_range(y_true, 2)
            if in_range is not None:
                valid = valid & ops.all(in_range, axis=-1)
            targets = ops.cast(ids, "float32")
    weights = ops.where(
        valid, broadcast_sample_weight(sample_weight, sample_shape), 0.0
    )
    targets = ops.where(valid[..., None], targets, 0.0)
    probs = ops.where(valid[..., None], probs, 0.0)
    flat = (
        ops.reshape(probs, (-1, num_columns)),
        ops.reshape(targets, (-1, num_columns)),
        ops.reshape(weights, (-1,)),
    )
    if not count_out_of_range:
        return flat
    if out_of_range is None:
        return (*flat, ops.zeros((), "float32"))
    return (*flat, ops.sum(ops.cast(out_of_range, "float32")))

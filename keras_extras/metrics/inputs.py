"""Input formatting shared by keras-extras metrics.

Every function here is traceable: it reads static shapes only (raising `ValueError`
at trace time when they cannot match), and never branches on tensor values. Samples
that cannot be counted inside a compiled step (a label outside `[0, num_classes)`,
a label equal to `ignore_class`, an all-zero one-hot row, a NaN score) get weight 0
instead of raising.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_extras._typing import Tensor

TASKS = ("binary", "multiclass", "multilabel")


def static_shape(x: Tensor) -> tuple:
    """The static shape of `x` as a tuple (unknown dimensions are None)."""
    return tuple(x.shape)


def _is_floating(x: Tensor) -> bool:
    return "float" in str(ops.dtype(x))


def _dims_match(a: tuple, b: tuple) -> bool:
    """Whether two static shapes can be equal (None matches anything)."""
    if len(a) != len(b):
        return False
    return all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))


def check_batch_sizes(y_true: Tensor, y_pred: Tensor) -> None:
    """Raise a `ValueError` when the static batch sizes of the inputs differ."""
    true_shape, pred_shape = static_shape(y_true), static_shape(y_pred)
    if true_shape and pred_shape and not _dims_match(true_shape[:1], pred_shape[:1]):
        raise ValueError(
            "`y_true` and `y_pred` must have the same batch size. "
            f"Received: y_true.shape={true_shape}, y_pred.shape={pred_shape}"
        )


def broadcast_sample_weight(
    sample_weight: Tensor, sample_shape: tuple, dtype: str = "float32"
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
    if len(shape) > len(sample_shape) or not _dims_match(
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


def class_ids(scores: Tensor) -> Any:
    """Index of the largest score along the last axis (the first, on ties), int32.

    A NaN row gives some id in range (the last class on XLA); callers mask NaN
    rows.
    """
    return _ids_and_max(scores)[0]


def _ids_and_max(scores: Tensor) -> Any:
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
    floating = _is_floating(scores)
    lowest = float("-inf") if floating else -(2**31)
    row_max = ops.max(scores, axis=-1, keepdims=True, initial=lowest)
    index = ops.arange(num_classes, dtype="int32")
    candidates = ops.where(scores == row_max, index, num_classes - 1)
    ids = ops.min(candidates, axis=-1, initial=num_classes - 1)
    return ids, row_max[..., 0]


def _ids_in_range(x: Tensor, num_classes: int) -> Any:
    """Integer ids from labels (`x` rounded when floating) and whether each is in
    `[0, num_classes)`.

    The range is checked on the values as given, before any cast: an int64
    `2**32 + 1` or a float `1e10` is out of range (a cast to int32 would wrap it
    onto a class), and NaN is out of range (NaN compares false). Out-of-range
    ids come back as 0, for the caller to weight 0.
    """
    dtype = str(ops.dtype(x))
    if dtype == "bool":
        return cast_to(x, "int32"), None
    if "float" in dtype:
        x = ops.round(x)
    ok = _in_range(x, num_classes)
    if dtype == "int32":
        return x, ok
    return cast_to(ops.where(ok, x, 0), "int32"), ok


def _in_range(ids: Tensor, num_classes: int) -> Any:
    # Operators, not keras.ops: this runs every step (see accumulators.exact_add).
    return (ids >= 0) & (ids < num_classes)


def infer_num_classes(y_pred: Tensor, task: str) -> int | None:
    """The number of classes read from the static last dimension of `y_pred`."""
    if task == "binary":
        return 2
    shape = static_shape(y_pred)
    if len(shape) >= 2 and shape[-1] is not None and shape[-1] >= 2:
        return int(shape[-1])
    return None


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

    Returns:
        `(true_ids, pred_ids, weights)`: int32, int32 and float32 tensors of shape
        `(N,)` for binary/multiclass, `(N, C)` for multilabel, where `N` is the
        number of samples in `S`. Uncountable samples have weight 0 and id 0.
    """
    y_true = ops.convert_to_tensor(y_true)
    y_pred = ops.convert_to_tensor(y_pred)
    check_batch_sizes(y_true, y_pred)
    if task == "multiclass":
        return _multiclass(
            y_true, y_pred, sample_weight, num_classes, ignore_class, top_k
        )
    return _thresholded(
        y_true,
        y_pred,
        sample_weight,
        task,
        num_classes,
        threshold,
        from_logits,
        ignore_class,
    )


def _shape_error(y_true: Tensor, y_pred: Tensor, expected: str) -> Any:
    return ValueError(
        f"Cannot match `y_true` and `y_pred` ({expected}). Received: "
        f"y_true.shape={static_shape(y_true)}, y_pred.shape={static_shape(y_pred)}"
    )


def cast_to(x: Tensor, dtype: str) -> Any:
    """`ops.cast`, skipped when `x` already has `dtype` (one op less per step)."""
    return x if str(ops.dtype(x)) == dtype else ops.cast(x, dtype)


def _flat(x: Tensor) -> Any:
    return x if len(static_shape(x)) == 1 else ops.reshape(x, (-1,))


def _and(mask: Tensor, other: Any) -> Any:
    """`mask & other`, where None stands for "all true"."""
    if mask is None or other is None:
        return other if mask is None else mask
    return mask & other


def _countable(mask: Tensor, sample_weight: Tensor, sample_shape: Any) -> Any:
    """Float32 weights: `sample_weight` (or 1) where `mask`, else 0."""
    if sample_weight is None:
        if mask is None:
            return ops.ones([d if d is not None else 1 for d in sample_shape])
        return ops.cast(mask, "float32")
    weights = broadcast_sample_weight(sample_weight, sample_shape)
    return weights if mask is None else ops.where(mask, weights, 0.0)


def _multiclass(
    y_true: Tensor,
    y_pred: Tensor,
    sample_weight: Tensor,
    num_classes: Any,
    ignore_class: Any,
    top_k: int = 1,
) -> Any:
    # Every op here runs once per training step (eagerly on torch): keep them few.
    pred_shape = static_shape(y_pred)
    true_shape = static_shape(y_true)
    countable = None
    has_scores = (
        _is_floating(y_pred) and len(pred_shape) >= 2 and pred_shape[-1] == num_classes
    )
    if has_scores:
        sample_shape = pred_shape[:-1]
        # arg-max ids are always in range; a NaN score makes the row maximum NaN.
        pred_ids, row_max = _ids_and_max(y_pred)
        countable = row_max == row_max
    elif len(pred_shape) >= 1 and (
        not _is_floating(y_pred) or len(pred_shape) == 1 or pred_shape[-1] == 1
    ):
        if len(pred_shape) >= 2 and pred_shape[-1] == 1:
            y_pred = ops.squeeze(y_pred, -1)
            pred_shape = pred_shape[:-1]
        sample_shape = pred_shape
        pred_ids, countable = _ids_in_range(y_pred, num_classes)
    else:
        raise _shape_error(
            y_true,
            y_pred,
            f"multiclass with num_classes={num_classes}: y_pred must be scores "
            f"(batch, ..., {num_classes}) or integer ids (batch, ...)",
        )

    rank = len(sample_shape)
    if len(true_shape) == rank + 1 and true_shape[-1] == num_classes:
        # One-hot or soft (mixup, label smoothing) rows: the arg-max class,
        # counted when the row's largest entry is positive (not NaN, not all 0).
        true_ids, true_max = _ids_and_max(y_true)
        countable = _and(countable, true_max > 0)
    else:
        if len(true_shape) == rank + 1 and true_shape[-1] == 1:
            y_true = ops.squeeze(y_true, -1)
        elif len(true_shape) != rank:
            raise _shape_error(
                y_true,
                y_pred,
                f"multiclass with num_classes={num_classes}: y_true must be integer "
                f"ids {sample_shape} or one-hot {sample_shape + (num_classes,)}",
            )
        true_ids, in_range = _ids_in_range(y_true, num_classes)
        countable = _and(countable, in_range)
    if not _dims_match(static_shape(true_ids), sample_shape):
        raise _shape_error(y_true, y_pred, "the sample shapes differ")
    if ignore_class is not None:
        countable = _and(countable, ops.not_equal(true_ids, ignore_class))
    if top_k > 1:
        if not has_scores:
            raise ValueError(
                f"`top_k={top_k}` needs class scores (batch, ..., {num_classes}). "
                f"Received: y_pred.shape={pred_shape}"
            )
        pred_ids = _top_k_refined(y_pred, true_ids, pred_ids, countable, top_k)

    weights = _countable(countable, sample_weight, sample_shape)
    if countable is None:  # boolean ids on both sides: all in range
        return _flat(true_ids), _flat(pred_ids), _flat(weights)
    # Uncountable samples keep weight 0; their ids only need to stay in range.
    true_ids = ops.where(countable, true_ids, 0)
    pred_ids = (
        ops.where(countable, pred_ids, 0) if not _is_floating(y_pred) else pred_ids
    )
    return _flat(true_ids), _flat(pred_ids), _flat(weights)


def _top_k_refined(
    scores: Tensor, true_ids: Tensor, pred_ids: Tensor, countable: Any, top_k: int
) -> Any:
    """The label where it is among the `top_k` highest scores, else the arg-max."""
    safe_ids = true_ids if countable is None else ops.where(countable, true_ids, 0)
    label_score = ops.take_along_axis(scores, safe_ids[..., None], axis=-1)[..., 0]
    kth_score = ops.top_k(scores, top_k, sorted=True)[0][..., -1]
    return ops.where(label_score >= kth_score, safe_ids, pred_ids)


def binary_inputs(y_true: Tensor, y_pred: Tensor) -> Any:
    """Binary labels and scores as `(batch, ...)` each (a trailing 1 is dropped)."""
    pred_shape, true_shape = static_shape(y_pred), static_shape(y_true)
    if len(pred_shape) >= 2 and pred_shape[-1] == 1:
        y_pred = ops.squeeze(y_pred, -1)
        pred_shape = pred_shape[:-1]
    if len(true_shape) == len(pred_shape) + 1 and true_shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
        true_shape = true_shape[:-1]
    if len(pred_shape) == 0 or not _dims_match(true_shape, pred_shape):
        raise _shape_error(
            y_true,
            y_pred,
            "binary: both must be (batch, ...) or (batch, ..., 1); for two-column "
            "scores use task='multiclass'",
        )
    return y_true, y_pred


def _binary_decisions(y_pred: Tensor, threshold: Any, from_logits: Any) -> Any:
    """Predicted 0/1 labels and a mask of countable (non-NaN) entries."""
    if not _is_floating(y_pred):
        return _ids_in_range(y_pred, 2)
    scores = ops.cast(y_pred, "float32")
    if from_logits:
        scores = ops.sigmoid(scores)
    decisions = ops.cast(ops.greater_equal(scores, threshold), "int32")
    return decisions, ops.logical_not(ops.isnan(scores))


def _thresholded(
    y_true: Tensor,
    y_pred: Tensor,
    sample_weight: Tensor,
    task: Any,
    num_classes: Any,
    threshold: Any,
    from_logits: Any,
    ignore_class: Any,
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
            or not _dims_match(true_shape, pred_shape)
        ):
            raise _shape_error(
                y_true,
                y_pred,
                f"multilabel with num_classes={num_classes}: both must be "
                f"(batch, ..., {num_classes})",
            )
        sample_shape = pred_shape[:-1]

    # Soft binary labels (label smoothing) round: a label counts as 1 above 0.5.
    pred_ids, countable = _binary_decisions(y_pred, threshold, from_logits)
    true_ids, true_ok = _ids_in_range(y_true, 2)
    countable = _and(countable, true_ok)
    if countable is None:  # boolean labels and predictions: all countable
        countable = ops.ones_like(true_ids) > 0
    if ignore_class is not None:
        countable = ops.logical_and(countable, ops.not_equal(true_ids, ignore_class))
    weights = broadcast_sample_weight(sample_weight, sample_shape)
    if task == "multilabel":
        weights = ops.expand_dims(weights, -1)
    weights = ops.where(countable, weights, 0.0)
    true_ids = ops.where(countable, true_ids, 0)
    pred_ids = ops.where(countable, pred_ids, 0)
    flat = (-1,) if task == "binary" else (-1, num_classes)
    return (
        ops.reshape(true_ids, flat),
        ops.reshape(pred_ids, flat),
        ops.reshape(weights, flat),
    )


SCORE_TOLERANCE = 1e-2


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
    y_true = ops.convert_to_tensor(y_true)
    y_pred = ops.convert_to_tensor(y_pred)
    check_batch_sizes(y_true, y_pred)
    pred_shape, true_shape = static_shape(y_pred), static_shape(y_true)
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
            raise _shape_error(
                y_true, y_pred, f"{task}: y_pred must be (batch, ..., {expected})"
            )
        sample_shape = pred_shape[:-1]
    num_columns = 1 if task == "binary" else pred_shape[-1]

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

    if task == "multiclass" and not (
        len(true_shape) == len(sample_shape) + 1 and true_shape[-1] == num_columns
    ):
        if len(true_shape) == len(sample_shape) + 1 and true_shape[-1] == 1:
            y_true = ops.squeeze(y_true, -1)
        elif len(true_shape) != len(sample_shape):
            raise _shape_error(
                y_true, y_pred, "multiclass: y_true must be integer ids or one-hot"
            )
        ids, in_range = _ids_in_range(y_true, num_columns)
        valid = _and(valid, in_range)
        targets = ops.one_hot(ops.where(valid, ids, 0), num_columns, dtype="float32")
    else:
        if not _dims_match(static_shape(y_true), static_shape(probs)):
            raise _shape_error(y_true, y_pred, f"{task}: shapes must match")
        if task == "multiclass":
            ids, row_max = _ids_and_max(y_true)
            valid = valid & (row_max > 0)
            targets = (
                ops.cast(y_true, "float32")
                if soft_targets
                else ops.one_hot(ids, num_columns, dtype="float32")
            )
        elif soft_targets:
            targets = ops.cast(y_true, "float32")
            valid = valid & ops.all((targets >= 0.0) & (targets <= 1.0), axis=-1)
        else:
            ids, in_range = _ids_in_range(y_true, 2)
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

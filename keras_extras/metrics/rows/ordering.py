"""Each row's items ranked by score, with their tie groups: what the
ranking scores of rows read, in two sorts per row (O(N log N)) instead of
comparing every pair of items (`(N, N)` per row: 85 times a training step at
N = 1000, `benchmarks/rows.py`)."""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_extras._typing import Tensor


def tie_groups(scores: Tensor, values: Tensor) -> Any:
    """Each row's items in descending order of score, with the ranks their tie
    group spans: `(first, end, values)`, `(B, N)` each, the group of item `j`
    (in that order) holding ranks `first[j] .. end[j] - 1` (0-based) and
    `values` reordered alike. Two sorts and a few gathers per row, O(N log N):
    no `(N, N)` comparison."""
    items = ops.shape(scores)[-1]  # a tensor where the width is unknown
    order = ops.argsort(-scores, axis=-1)
    ordered = ops.take_along_axis(scores, order, axis=-1)
    values = ops.take_along_axis(values, order, axis=-1)
    # A group starts where the score changes; its number is the count of
    # starts so far (1-based).
    starts = ops.concatenate(
        [ops.ones_like(ordered[:, :1], "bool"), ordered[:, 1:] != ordered[:, :-1]],
        axis=-1,
    )
    group = ops.cumsum(ops.cast(starts, "int32"), axis=-1)
    # The start positions in order (non-starts sort after them, as `items`),
    # then `items` once more: the end of the last group.
    position = ops.arange(items, dtype="int32")
    marked = ops.sort(ops.where(starts, position, items + position), axis=-1)
    bounds = ops.concatenate(
        [ops.minimum(marked, items), ops.full_like(marked[:, :1], items)], axis=-1
    )
    first = ops.take_along_axis(bounds, group - 1, axis=-1)
    end = ops.take_along_axis(bounds, group, axis=-1)
    return first, end, values


def counts_through(flags: Tensor, end: Tensor) -> Any:
    """How many of the first `end[j]` items (in ranked order) are flagged:
    `flags` `(B, N)` 0/1 in that order, `end` `(B, N)` in `0 .. N`."""
    running = ops.cumsum(flags, axis=-1)
    running = ops.concatenate([ops.zeros_like(running[:, :1]), running], axis=-1)
    return ops.take_along_axis(running, end, axis=-1)

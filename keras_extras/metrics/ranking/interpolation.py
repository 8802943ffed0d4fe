"""Where in a bucket the samples lie: a host-side model, tabulated once.

Scores on the grid have offset 0, and then the results equal scikit-learn's exactly.
Between grid points, the order of a bucket's positives and negatives is unknown; the
mean offset of each tells where in the bucket they lie. `bucket_density` models each
class's weight in a bucket from that mean, and `bucket_table` tabulates, on the host
and once, what the curves need from a pair of models; `result()` looks them up, so
it costs a few ops on `(classes, thresholds)` tensors.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from keras import ops

from keras_extras._typing import Tensor
from keras_extras.metrics.base import safe_divide

# Mean positions tabulated per bucket (0, 1/32, ..., 1), and the parts each bucket
# is split into when the tables are computed.
POSITIONS = 32
PARTS = 64


def bucket_density(position: float, parts: int = PARTS) -> np.ndarray:
    """Share of a bucket's weight in each of its `parts` equal parts (host side).

    `position` is the weight's mean place in the bucket, in [0, 1]. The density is
    linear over the bucket when the mean is in the middle third, and a triangle
    against the near edge otherwise (the widest linear density with that mean).
    Position 0, where scores on the grid are, puts everything in the first part.
    """
    x = (np.arange(parts) + 0.5) / parts
    if position < 1 / 3:
        density = np.maximum(3 * position - x, 0.0)
    elif position > 2 / 3:
        density = np.maximum(x - (3 * position - 2), 0.0)
    else:
        density = 1 + 12 * (position - 0.5) * (x - 0.5)
    if density.sum() == 0:  # all of it within half a part of an edge
        density = np.eye(parts)[min(int(position * parts), parts - 1)]
    shares: np.ndarray = density / density.sum()
    return shares


@functools.cache
def bucket_table() -> np.ndarray:
    """What the curves need from a bucket, for each pair of mean positions.

    For positives at mean position `i / POSITIONS` and negatives at `j / POSITIONS`
    (each spread by `bucket_density`), row `i * (POSITIONS + 1) + j` holds:

    - `q`: the probability that a negative lies below a positive (ties count one
      half), which is how AUROC counts the bucket's positive-negative pairs;
    - `ahead`: the share of negatives at or above the positives' mean position;
    - `passed`: the share of negatives above the positives' median.

    At positions (0, 0), scores on the grid, these are 1/2, 1, and the tie rule.
    Built once per process, on the host.
    """
    densities = [bucket_density(i / POSITIONS) for i in range(POSITIONS + 1)]
    rows = []
    for i, positive in enumerate(densities):
        positives_at_or_above = np.cumsum(positive[::-1])[::-1]
        first = min(int(i / POSITIONS * PARTS), PARTS - 1)
        median = np.nonzero(positives_at_or_above >= 0.5)[0].max()
        for negative in densities:
            below = np.cumsum(negative) - negative
            above = np.cumsum(negative[::-1])[::-1] - negative
            q = np.sum(positive * (below + 0.5 * negative))
            ahead = negative[first:].sum()
            passed = above[median] + 0.5 * negative[median]
            rows.append([q, ahead, passed])
    return np.asarray(rows, dtype="float32")


def lookup_buckets(stats: Tensor, widths: Tensor, table: Tensor) -> Any:
    """`(K, T, 3)` rows of `table` (`bucket_table()` as a tensor) for each class
    and bucket: the mean positions of the positive and negative weight, from the
    state, rounded to `1 / POSITIONS`."""
    position = safe_divide(stats[2:4], stats[0:2] * widths)
    position = ops.where(position == position, position, 0.0)  # NaN state: no crash
    index = ops.cast(ops.round(ops.clip(position, 0.0, 1.0) * POSITIONS), "int32")
    index = index[0] * (POSITIONS + 1) + index[1]
    return ops.take(table, index, axis=0)

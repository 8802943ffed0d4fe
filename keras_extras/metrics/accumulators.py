"""Exact, sum-decomposable accumulation for metric state.

Keras' own metrics accumulate in float32: once a running count passes 2**24, adding
one more sample changes nothing, and long runs drift (after 1.64e8 samples
`SparseCategoricalAccuracy` reported an error rate of 2.5e-5 where the truth was
2.44e-4). JAX disables 64-bit types by default, so neither float64 nor int64 state
is an option on every backend.

`CompensatedSum` keeps each total as four float32 **words in fixed, disjoint
binades**, finest first. Words 1 to 3 hold integer multiples of their quanta
(`QUANTUM_EXPONENTS`: 2**-20, 2**-2, 2**16); word 0 holds what lies below
2**-20 as a plain float32. After every update each word but the top one is at most
half the next word's quantum (`|w_i| <= 2**17 q_i`). So:

- within one process, integer counts are exact up to 2**40 per total (word 0 stays
  0), and a weighted sum loses at most 2**-44 (absolute) per update;
- **merging is exact for counts**: data-parallel replicas merge by an element-wise
  float32 sum of each word (what `aggregation="sum"` and an all-reduce do). Words
  1 and 2 of up to 128 replicas sum to at most 2**24 of their quanta, which float32
  holds exactly, and the top word (multiples of 2**16) is exact up to 2**40 in
  total; word 0 (below 2**-21 each) adds at most 2**-39 of rounding to a weighted
  sum merged from 64 replicas. The double-word (`hi + lo`, TwoSum) state of
  keras-extras 0.1 was exact in one process but not after a merge: its `hi`
  words round when added (`benchmarks/merge_exactness.py`: 582 of 1024 cells off
  by up to 128 for two replicas at 2**30 samples each, 1021 off by up to 23168
  for 64 replicas).

Beyond 2**40 the top word keeps float32's relative precision (2**-24); a batch's
own float32 counts are exact below 2**24 per cell. The update adds, subtracts and
rounds to a quantum (`round(v * 2**-e) * 2**e`, exact for powers of two). It does
not use the shorter `fl(v + C) - C` rounding: XLA folds `(v + C) - C` to `v`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_extras._keras_compat import is_placeholder
from keras_extras._typing import Tensor

QUANTUM_EXPONENTS = (-20, -2, 16)
"""The quanta `2**e` of words 1 to 3, 18 binades apart (word 0 is a plain float)."""

WORDS = len(QUANTUM_EXPONENTS) + 1
"""Float32 numbers per total: the state of a `CompensatedSum` of `shape` has
`WORDS * prod(shape)` of them."""


def _round_to(value: Tensor, exponent: int) -> Any:
    """`value` rounded to the nearest multiple of `2**exponent` (exact)."""
    return ops.round(value * 2.0**-exponent) * 2.0**exponent


COUNT_BOUND = 2**21
"""The largest integer `|x|` the short count update adds to word 2 directly:
word 2 (multiples of 2**-2, at most 2**15) plus such an `x` stays below 2**22,
which float32 holds exactly in quarters."""


def exact_add(words: Tensor, x: Tensor, bound: float | None = None) -> Any:
    """Add `x` to the fixed-binade total `words` (finest first); return new words.

    `x` is split into one part per word (each a multiple of its quantum, the
    last remainder below 2**-21 added to word 0 as a float), the parts are added,
    and each word carries its excess to the next: every step but the float
    addition into word 0 is exact.

    Counts take a shorter road: when the caller knows `x` holds integers (a
    batch's counts, unweighted) it passes `bound`, a static bound on `|x|`
    (`math.inf` when it is not known at trace time). Integers have no part
    below word 2's quantum, so words 0 and 1 are left as they are; with
    `bound <= COUNT_BOUND` (the batch's sample count, when the shape is static)
    `x` goes into word 2 whole and only word 2 carries: 6 operations instead
    of 31. Every road gives the same exact total, so eager and compiled
    updates agree whichever each took.

    Written with operators: on tensors of one dtype they dispatch straight to the
    framework, while each `keras.ops` call first converts and checks its arguments
    (about 3 us per call on eager torch, which runs this every step). Traced
    programs are the same either way.
    """
    e1, e2, e3 = QUANTUM_EXPONENTS
    w0, w1, w2, w3 = words
    if bound is not None:
        if bound > COUNT_BOUND:
            # Split off the multiples of word 3's quantum: what is left is an
            # integer of at most 2**15, and word 2 plus it stays below 2**16.
            t3 = _round_to(x, e3)
            w3 = w3 + t3
            x = x - t3
        a2 = w2 + x
        c2 = _round_to(a2, e3)
        return w0, w1, a2 - c2, w3 + c2
    # Split x, coarsest part first: each residual is exact.
    t3 = _round_to(x, e3)
    r = x - t3
    t2 = _round_to(r, e2)
    r = r - t2
    t1 = _round_to(r, e1)
    r = r - t1
    # Add and carry, finest word first.
    a0 = w0 + r
    c0 = _round_to(a0, e1)
    a1 = (w1 + t1) + c0
    c1 = _round_to(a1, e2)
    a2 = (w2 + t2) + c1
    c2 = _round_to(a2, e3)
    return a0 - c0, a1 - c1, a2 - c2, (w3 + t3) + c2


def count_bound(weights: Tensor, sample_weight: Tensor | None) -> float | None:
    """The `bound` to pass `CompensatedSum.add` with sums of `weights`: without
    `sample_weight`, `weights` holds 0 or 1 per entry and any sum of them is an
    integer no larger than their number (`math.inf` when the static shape does
    not give it); with it, None (any float)."""
    if sample_weight is not None:
        return None
    size = 1
    for dim in weights.shape:
        if dim is None:
            return math.inf
        size *= int(dim)
    return size


def weighted_bincount(ids: Tensor, weights: Tensor, length: int) -> Any:
    """Sum `weights` into `length` bins by `ids` (all ids in `[0, length)`).

    `ops.segment_sum` with a static `num_segments` compiles under XLA (JAX cannot
    trace `ops.bincount`, whose output length depends on the values). On torch,
    `ops.segment_sum` goes through `scatter_reduce` with extra copies and
    `ops.bincount` is 3 to 5 times faster (benchmarks/confusion_counts.py), and
    `ops.scatter` loops in Python per index: the one backend branch of the state.
    """
    if keras.backend.backend() == "torch":
        return ops.bincount(ids, weights=weights, minlength=length)
    return ops.segment_sum(weights, ids, num_segments=length)


class CompensatedSum:
    """A running total held exactly in one float32 metric variable of four words.

    The variable has shape `(4, *shape)`, one word per row, finest first (see
    the module docstring). The total is the sum of
    the words; an element-wise sum of several replicas' variables is the exact
    total of everything they saw, so the state merges across data-parallel
    replicas (`aggregation="sum"`) with no rounding.

    Create it in a metric's `__init__` (or lazy build); it registers its variable
    with the metric, so `reset_state`, saving and stateless (compiled) updates see
    it like any other metric variable.

    Args:
        metric: the `keras.metrics.Metric` that owns the state.
        name: the variable's name.
        shape: shape of the total, `()` for a scalar. Defaults to `()`.

    Example:
        >>> total = CompensatedSum(metric, "count", shape=(3,))  # doctest: +SKIP
        >>> total.add(ops.ones((3,)))  # doctest: +SKIP
        >>> total.value()  # float32 tensor  # doctest: +SKIP
    """

    def __init__(self, metric: Any, name: str, shape: Sequence[int] = ()) -> None:
        self.shape = tuple(shape)
        self.words = metric.add_variable(
            shape=(WORDS, *self.shape),
            initializer="zeros",
            dtype="float32",
            aggregation="sum",
            name=name,
        )

    def add(self, x: Tensor, bound: float | None = None) -> None:
        """Add `x` (broadcastable to `shape`) to the total.

        `bound`: None for any float `x`; for counts (integers), a static bound
        on `|x|`, `math.inf` when unknown: see `exact_add`.
        """
        if not ops.is_tensor(x):
            x = ops.convert_to_tensor(x, "float32")
        if str(ops.dtype(x)) != "float32":
            x = ops.cast(x, "float32")
        words = exact_add(ops.unstack(self.words.value, axis=0), x, bound)
        if not is_placeholder(x):
            self.words.assign(ops.stack(words))

    def value(self) -> Any:
        """The total as a float32 tensor (the words added finest first)."""
        w0, w1, w2, w3 = ops.unstack(self.words.value, axis=0)
        return ((w0 + w1) + w2) + w3

    def readout(self) -> Any:
        """What a replicated state is read from (`Bootstrap`): the total."""
        return self.value()

    def numpy(self) -> np.ndarray:
        """The total in float64 on the host: exact for integer counts up to 2**40."""
        words = np.asarray(ops.convert_to_numpy(self.words.value), dtype=np.float64)
        total: np.ndarray = words[3] + words[2] + words[1] + words[0]
        return total

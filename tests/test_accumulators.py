"""CompensatedSum: exact integer counts past float32's 2**24, accurate weighted
sums, and exact merges of replicas' states, on every backend and inside compiled
loops."""

import math

import keras
import numpy as np
import pytest
from helpers import compile_function
from keras import ops

from keras_extras.metrics.accumulators import (
    QUANTUM_EXPONENTS,
    CompensatedSum,
    exact_add,
)


class _Counter(keras.metrics.Metric):
    def __init__(self, shape=(2,)):
        super().__init__(name="counter")
        self.count = CompensatedSum(self, "count", shape=shape)

    def update_state(self, values):
        self.count.add(values)

    def result(self):
        return self.count.value()


def test_counts_stay_exact_up_to_2_to_the_40():
    counter = _Counter()
    start = [2.0**40 - 2.0**20, 2.0**39 + 2.0**16]
    counter.update_state(np.array(start, "float32"))
    for _ in range(7):
        counter.update_state(np.array([1.0, 3.0], "float32"))
    counter.update_state(np.array([2.0**24 - 1, 2.0**23 + 1], "float32"))
    expected = [start[0] + 7 + 2**24 - 1, start[1] + 21 + 2**23 + 1]
    np.testing.assert_array_equal(counter.count.numpy(), expected)
    # A plain float32 total would have lost every one of the small additions.
    assert np.float32(2.0**39) + np.float32(1.0) == np.float32(2.0**39)


def test_beyond_2_to_the_40_a_total_keeps_float32_relative_precision():
    counter = _Counter()
    for value in (2.0**44, 3.0e12, 1.0e20):
        counter.update_state(np.full(2, value, "float32"))
        counter.update_state(np.full(2, 5.0, "float32"))
    total = (2.0**44 + 3.0e12 + 1.0e20) + 15.0
    np.testing.assert_allclose(counter.count.numpy(), total, rtol=2**-23)


def test_reset_and_variables():
    counter = _Counter()
    counter.update_state(np.ones(2, "float32"))
    assert [tuple(v.shape) for v in counter.variables] == [(4, 2)]
    assert counter.variables[0].aggregation == "sum"
    counter.reset_state()
    np.testing.assert_array_equal(counter.count.numpy(), [0.0, 0.0])


def _sum_in_loop(values, steps):
    """The words and a naive float32 total after `steps` additions of
    `values[i % n]`."""
    values = ops.convert_to_tensor(values)
    count = int(values.shape[0])

    def body(i, state):
        *words, naive = state
        x = ops.take(values, i % count)
        return (*exact_add(words, x), naive + x)

    zero = ops.zeros((), "float32")
    return ops.fori_loop(0, steps, body, (zero,) * 5)


def test_weighted_sums_keep_relative_accuracy_in_compiled_loop():
    rng = np.random.default_rng(0)
    values = rng.uniform(0.0, 1.0, 97).astype("float32")
    # torch runs the loop eagerly in Python: fewer steps keep it to seconds.
    steps = 20_000 if keras.backend.backend() == "torch" else 200_000
    *words, naive = compile_function(lambda v: _sum_in_loop(v, steps))(values)
    exact = math.fsum(float(values[i % 97]) for i in range(steps))
    total = math.fsum(float(ops.convert_to_numpy(w)) for w in words)
    assert abs(total - exact) / exact < 1e-9
    # The same loop in plain float32 drifts by orders of magnitude more.
    assert abs(float(ops.convert_to_numpy(naive)) - exact) / exact > 1e-6


@compile_function
def _replica_words(increments):
    """Compiled: each replica's words (axis 1) after adding each of its rows of
    `increments` (replicas, updates, cells), all replicas in one loop."""

    def body(i, words):
        return exact_add(words, ops.take(increments, i, axis=1))

    zero = ops.zeros((increments.shape[0], increments.shape[2]), "float32")
    words = ops.fori_loop(0, int(increments.shape[1]), body, (zero,) * 4)
    return ops.stack(words, axis=1)


def _replica_states(increments):
    words = np.asarray(ops.convert_to_numpy(_replica_words(increments)))
    return list(words)


def _merge(states):
    """Element-wise float32 sums, pairwise as an all-reduce tree adds."""
    states = [s.astype("float32") for s in states]
    while len(states) > 1:
        states = [
            states[i] + states[i + 1] if i + 1 < len(states) else states[i]
            for i in range(0, len(states), 2)
        ]
    return states[0]


def test_merged_replicas_are_exact_at_2_to_the_30_per_replica():
    """What a sum-aggregated variable or an all-reduce does to the state of 2 and
    of 64 replicas that each counted about 2**30 samples per cell: the merged
    total is exact (the double-word state of 0.1 was off by up to 23168)."""
    rng = np.random.default_rng(0)
    updates, cells = 128, 64
    increments = rng.integers(0, 2**24, (64, updates, cells)).astype("float32")
    states = _replica_states(increments)
    bound = [2.0 ** (e + 17) for e in QUANTUM_EXPONENTS]  # |w_i| <= q_{i+1} / 2
    for words in states:
        assert np.all(np.abs(words[0]) <= 2.0**-21)
        for word, limit in zip(words[1:3], bound, strict=False):
            assert np.all(np.abs(word) <= limit)
    for replicas in (2, 64):
        merged = _merge(states[:replicas]).astype("float64")
        exact = increments[:replicas].astype("int64").sum(axis=(0, 1))
        assert exact.min() > replicas * 2**29
        np.testing.assert_array_equal(merged.sum(axis=0), exact)


def test_merged_weighted_sums_stay_within_2_to_the_minus_39():
    rng = np.random.default_rng(1)
    increments = rng.uniform(0.0, 1.0, (64, 64, 32)).astype("float32")
    increments *= rng.uniform(0.0, 1.0, (64, 64, 32)).astype("float32") ** 8
    merged = _merge(_replica_states(increments))
    total = merged.astype("float64").sum(axis=0)
    exact = [math.fsum(increments[:, :, c].ravel().tolist()) for c in range(32)]
    np.testing.assert_allclose(total, exact, rtol=0, atol=2.0**-36)


def _mixed_words(counts, weights, bound):
    """Compiled: words after alternating a row of `weights` (any floats, the
    full update) with a row of integer `counts` (the count update `bound`)."""

    def body(i, words):
        words = exact_add(words, ops.take(weights, i, axis=1))
        return exact_add(words, ops.take(counts, i, axis=1), bound)

    zero = ops.zeros((counts.shape[0], counts.shape[2]), "float32")
    words = ops.fori_loop(0, int(counts.shape[1]), body, (zero,) * 4)
    return ops.stack(words, axis=1)


@pytest.mark.parametrize("bound", [2**21, math.inf])
def test_count_updates_keep_the_invariants_and_merge_exactly(bound):
    """The short roads for integer counts (`bound`: batch sizes up to 2**21, or
    unknown) mixed with weighted updates: each word stays in its binade, the
    total equals the full update's, and 64 replicas merge exactly."""
    rng = np.random.default_rng(2)
    high = 2**21 if bound == 2**21 else 2**24
    counts = rng.integers(0, high, (64, 64, 16)).astype("float32")
    weights = rng.uniform(0.0, 1.0, (64, 64, 16)).astype("float32")
    weights[:, ::2] = 0.0  # whole-count totals in half the steps: exact
    words = np.asarray(
        ops.convert_to_numpy(
            compile_function(lambda c, w: _mixed_words(c, w, bound))(counts, weights)
        )
    )
    full = np.asarray(
        ops.convert_to_numpy(
            compile_function(lambda c, w: _mixed_words(c, w, None))(counts, weights)
        )
    )
    limits = [2.0 ** (e + 17) for e in QUANTUM_EXPONENTS]
    assert np.all(np.abs(words[:, 0]) <= 2.0**-21)
    for word, limit in zip(np.moveaxis(words, 1, 0)[1:3], limits, strict=False):
        assert np.all(np.abs(word) <= limit)
    np.testing.assert_array_equal(
        words.astype("float64").sum(axis=1), full.astype("float64").sum(axis=1)
    )
    merged = _merge(list(words)).astype("float64").sum(axis=0)
    exact_counts = counts.astype("int64").sum(axis=(0, 1))
    exact = [
        math.fsum([float(exact_counts[c]), *weights[:, :, c].ravel().tolist()])
        for c in range(16)
    ]
    assert exact_counts.min() > 2**30
    np.testing.assert_allclose(merged, exact, rtol=0, atol=2.0**-36)
    only_counts = compile_function(lambda c, w: _mixed_words(c, w * 0.0, bound))
    merged = _merge(
        list(np.asarray(ops.convert_to_numpy(only_counts(counts, weights))))
    )
    np.testing.assert_array_equal(merged.astype("float64").sum(axis=0), exact_counts)


def test_only_the_librarys_own_weights_are_taken_for_counts():
    """Sums of a library metric's weights take the count road without sample
    weights; a subclass outside the library that makes its own weights, and
    any weighted batch, take the full one."""
    import keras_extras.metrics as kem
    from keras_extras.metrics.base import library_count_bound

    class Fractional(kem.UniformKLDivergence):
        def weighted_values(self, y_true, y_pred, sample_weight=None):
            values, weights, out = super().weighted_values(y_true, y_pred)
            return values, weights * 0.5, out

    weights = ops.ones((8,))
    own = kem.UniformKLDivergence().weighted_values
    assert library_count_bound(own, weights, None) == 8
    assert library_count_bound(own, weights, weights) is None
    confusion = kem.F1Score(num_classes=3).formatted_inputs
    assert library_count_bound(confusion, ops.ones((8, 3)), None) == 24
    assert library_count_bound(Fractional().weighted_values, weights, None) is None
    metric = Fractional()
    metric.update_state(None, np.full((8, 3), 1 / 3, "float32"))
    np.testing.assert_array_equal(metric.weight.numpy(), 4.0)

"""CompensatedSum: exact integer counts past float32's 2**24, and compensated
weighted sums, on every backend and inside compiled loops."""

import math

import keras
import numpy as np
from helpers import compile_function
from keras import ops

from keras_extras.metrics.accumulators import CompensatedSum, compensated_add


class _Counter(keras.metrics.Metric):
    def __init__(self):
        super().__init__(name="counter")
        self.count = CompensatedSum(self, "count", shape=(2,))

    def update_state(self, values):
        self.count.add(values)

    def result(self):
        return self.count.value()


def test_counts_stay_exact_beyond_2_to_the_40():
    counter = _Counter()
    counter.update_state(np.array([2.0**40, 2.0**41], "float32"))
    for _ in range(7):
        counter.update_state(np.array([1.0, 3.0], "float32"))
    np.testing.assert_array_equal(counter.count.numpy(), [2.0**40 + 7, 2.0**41 + 21])
    # A plain float32 total would have lost every one of those additions.
    assert np.float32(2.0**40) + np.float32(1.0) == np.float32(2.0**40)


def test_reset_and_variables():
    counter = _Counter()
    counter.update_state(np.ones(2, "float32"))
    assert len(counter.variables) == 2
    counter.reset_state()
    np.testing.assert_array_equal(counter.count.numpy(), [0.0, 0.0])


def _sum_in_loop(values, steps):
    """hi/lo and naive float32 totals after `steps` additions of `values[i % n]`."""
    values = ops.convert_to_tensor(values)
    count = int(values.shape[0])

    def body(i, state):
        hi, lo, naive = state
        x = ops.take(values, i % count)
        hi, lo = compensated_add(hi, lo, x)
        return hi, lo, naive + x

    zero = ops.zeros((), "float32")
    return ops.fori_loop(0, steps, body, (zero, zero, zero))


def test_weighted_sums_keep_relative_accuracy_in_compiled_loop():
    rng = np.random.default_rng(0)
    values = rng.uniform(0.0, 1.0, 97).astype("float32")
    # torch runs the loop eagerly in Python: fewer steps keep it to seconds.
    steps = 20_000 if keras.backend.backend() == "torch" else 200_000
    hi, lo, naive = compile_function(lambda v: _sum_in_loop(v, steps))(values)
    exact = math.fsum(float(values[i % 97]) for i in range(steps))
    compensated = float(ops.convert_to_numpy(hi)) + float(ops.convert_to_numpy(lo))
    assert abs(compensated - exact) / exact < 1e-9
    # The same loop in plain float32 drifts by orders of magnitude more.
    assert abs(float(ops.convert_to_numpy(naive)) - exact) / exact > 1e-6

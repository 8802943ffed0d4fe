"""How exact is metric state after a data-parallel merge?

A replica's state is merged with the others' by an element-wise float32 sum of each
state variable: what `aggregation="sum"` does under TensorFlow's strategies, and what
an all-reduce (sum) does in a PyTorch DDP loop (`keras_extras.distributed`). This
simulates that merge: `replicas` accumulators (`CompensatedSum`, 1024 cells) each
take `updates` eager additions, their variables are summed in float32, and the
merged total is compared with the exact total of everything they were given.

- counts: integer increments drawn in [0, 2**24) (the most one batch can add to a
  cell exactly), about 2**30 per replica and cell after 128 updates;
- weighted: float32 increments drawn in [0, 1) (fractions down to 2**-48),
  compared with `math.fsum`.

Run:  KERAS_BACKEND=torch python -m benchmarks.merge_exactness [--replicas 2 64]
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np

CELLS = 1024


def make_accumulator():
    import keras

    from keras_extras.metrics.accumulators import CompensatedSum

    class Accumulator(keras.metrics.Metric):
        def __init__(self):
            super().__init__(name="accumulator")
            self.total = CompensatedSum(self, "total", shape=(CELLS,))

        def update_state(self, values):
            self.total.add(values)

        def result(self):
            return self.total.value()

    return Accumulator()


def merged_error(replicas: int, updates: int, kind: str, seed: int = 0) -> dict:
    """Merge `replicas` accumulators by summing their variables in float32."""
    import keras
    from keras import ops

    rng = np.random.default_rng(seed)
    exact = [[] for _ in range(CELLS)]
    states = []
    for _ in range(replicas):
        accumulator = make_accumulator()
        for _ in range(updates):
            if kind == "counts":
                increment = rng.integers(0, 2**24, CELLS).astype("float32")
            else:
                increment = rng.uniform(0.0, 1.0, CELLS).astype("float32")
            accumulator.update_state(ops.convert_to_tensor(increment))
            for cell in range(CELLS):
                exact[cell].append(float(increment[cell]))
        states.append(
            [np.asarray(ops.convert_to_numpy(v)) for v in accumulator.variables]
        )
    merged = make_accumulator()
    for index, variable in enumerate(merged.variables):
        total = states[0][index].astype("float32")
        for state in states[1:]:
            total = total + state[index].astype("float32")  # float32, as a merge
        variable.assign(total)
    got = merged.total.numpy()
    want = np.array([math.fsum(values) for values in exact])
    error = np.abs(got - want)
    return {
        "backend": keras.backend.backend(),
        "kind": kind,
        "replicas": replicas,
        "updates_per_replica": updates,
        "mean_per_replica_and_cell": float(want.mean() / replicas),
        "cells_off": int((error > 0).sum()),
        "max_abs_error": float(error.max()),
        "max_rel_error": float((error / want).max()),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, nargs="+", default=[2, 64])
    parser.add_argument("--updates", type=int, default=128)
    args = parser.parse_args(argv)
    for replicas in args.replicas:
        for kind in ("counts", "weighted"):
            print(json.dumps(merged_error(replicas, args.updates, kind)))


if __name__ == "__main__":
    main()

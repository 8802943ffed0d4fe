"""Why `keras_extras.metrics.inputs.class_ids` branches on the backend.

Times `ops.argmax` against max / compare / min over the class indices (same result,
first index on ties), compiled as a training step is (XLA on JAX and TensorFlow,
eager on torch).

Run: KERAS_BACKEND=jax python -m benchmarks.argmax
Result on a 2-core x86-64 CPU (mean of 300 calls, microseconds):

    backend     (B, C)       argmax   max_eq_min
    jax         (32, 3)       12.6      9.4
    jax         (1024, 100)  296.1    171.3
    tensorflow  (32, 3)      254.0    170.2
    tensorflow  (1024, 100)  482.1    390.1
    torch       (32, 3)       11.9     39.5
    torch       (1024, 100)   63.5    148.2
"""

from __future__ import annotations

import time

import keras
import numpy as np
from keras import ops

from benchmarks.confusion_counts import compile_step


def max_eq_min(x):
    classes = x.shape[-1]
    is_max = ops.equal(x, ops.max(x, axis=-1, keepdims=True))
    return ops.min(ops.where(is_max, ops.arange(classes, dtype="int32"), classes), -1)


def argmax(x):
    return ops.cast(ops.argmax(x, -1), "int32")


def main() -> None:
    backend = keras.backend.backend()
    rng = np.random.default_rng(0)
    for size, classes in [(32, 3), (1024, 100)]:
        x = ops.convert_to_tensor(rng.random((size, classes)).astype("float32"))
        row = [f"{backend:<11} ({size}, {classes})"]
        for fn in (argmax, max_eq_min):
            step = compile_step(lambda x, fn=fn: fn(x))
            expected = ops.convert_to_numpy(argmax(x))
            assert (ops.convert_to_numpy(step(x)) == expected).all()
            start = time.perf_counter()
            for _ in range(300):
                result = step(x)
            ops.convert_to_numpy(result)
            row.append(
                f"{fn.__name__}={(time.perf_counter() - start) / 300 * 1e6:.1f} us"
            )
        print("  ".join(row))


if __name__ == "__main__":
    main()

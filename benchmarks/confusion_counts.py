"""Why `keras_extras.metrics.confusion.weighted_bincount` branches on the backend.

Times three formulations of one batch's weighted confusion counts, each compiled as
a training step is (XLA on JAX and TensorFlow, eager on torch):

    segment_sum    ops.segment_sum(weights, true * C + pred, num_segments=C * C)
    bincount       ops.bincount(true * C + pred, weights, minlength=C * C)
    one_hot_matmul one_hot(true)^T @ (one_hot(pred) * weights)

Run: KERAS_BACKEND=torch python -m benchmarks.confusion_counts
Result on a 2-core x86-64 CPU (median of 200 calls, ms):

    backend     (B, C)       segment_sum  bincount  one_hot_matmul
    jax         (32, 3)      0.006        fails*    0.011
    jax         (1024, 100)  0.021        fails*    0.299
    tensorflow  (32, 3)      0.283        0.239     0.244
    tensorflow  (1024, 100)  0.242        0.254     0.719
    torch       (32, 3)      0.079        0.027     0.162
    torch       (1024, 100)  0.119        0.025     0.781

    * jnp.bincount needs a concrete length: not traceable under jit.

So: segment_sum on JAX and TensorFlow, bincount on torch (3 to 5 times faster).
"""

from __future__ import annotations

import statistics
import time

import keras
import numpy as np
from keras import ops


def segment_sum(t, p, w, c):
    return ops.segment_sum(w, t * c + p, num_segments=c * c)


def bincount(t, p, w, c):
    return ops.bincount(t * c + p, weights=w, minlength=c * c)


def one_hot_matmul(t, p, w, c):
    return ops.matmul(ops.transpose(ops.one_hot(t, c)), ops.one_hot(p, c) * w[:, None])


def compile_step(fn, static_argnums=()):
    """`fn` compiled as a training step is: XLA on JAX and TensorFlow, eager torch."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.jit(fn, static_argnums=static_argnums)
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=True)
    return fn


def main() -> None:
    backend = keras.backend.backend()
    for size, classes in [(32, 3), (1024, 100), (4096, 10)]:
        rng = np.random.default_rng(0)
        t = ops.convert_to_tensor(rng.integers(0, classes, size).astype("int32"))
        p = ops.convert_to_tensor(rng.integers(0, classes, size).astype("int32"))
        w = ops.convert_to_tensor(rng.uniform(0, 1, size).astype("float32"))
        row = [f"{backend:<11} ({size}, {classes})"]
        for fn in (segment_sum, bincount, one_hot_matmul):
            step = compile_step(fn, static_argnums=(3,))
            try:
                ops.convert_to_numpy(step(t, p, w, classes))
            except Exception as error:  # noqa: BLE001 - report and go on
                row.append(f"{fn.__name__}=fails ({type(error).__name__})")
                continue
            times = []
            for _ in range(200):
                start = time.perf_counter()
                ops.convert_to_numpy(step(t, p, w, classes))
                times.append(time.perf_counter() - start)
            row.append(f"{fn.__name__}={statistics.median(times) * 1e3:.3f} ms")
        print("  ".join(row))


if __name__ == "__main__":
    main()

"""Run every keras-extras metric and callback under data parallelism; print JSON.

Run by tests/test_distributed.py in a fresh interpreter, since device layout must
be fixed before the framework starts:

    python tests/distributed_check.py jax OUT_DIR         # DataParallel, 4 CPUs
    python tests/distributed_check.py tensorflow OUT_DIR  # MirroredStrategy, 2 CPUs

It prints `{"reference": {...}, "evaluate": {...}, "fit": {...}, "callbacks": {...}}`:
single-device eager results, then the same metrics in distributed `evaluate` and
`fit` on the same predictions (a pass-through model), then what the callbacks wrote.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path


def main(mode: str, out: Path) -> None:
    import keras
    import numpy as np
    from helpers import pass_through_model, to_numpy
    from metric_suite import data, representative_metrics

    import keras_extras.callbacks as kec

    def flatten(logs):
        return {k: np.asarray(to_numpy(v)).tolist() for k, v in logs.items()}

    labels, probs, weights = data()
    reference = {}
    for metric in representative_metrics():
        metric.update_state(labels, probs, sample_weight=weights)
        result = metric.result()
        reference.update(
            flatten(result if isinstance(result, dict) else {metric.name: result})
        )

    if mode == "jax":
        devices = keras.distribution.list_devices("cpu")
        assert len(devices) == 4, devices
        keras.distribution.set_distribution(
            keras.distribution.DataParallel(devices=devices)
        )
        scope = contextlib.nullcontext()
    else:
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        assert strategy.num_replicas_in_sync == 2
        scope = strategy.scope()

    with scope:
        model = pass_through_model(
            probs.shape, representative_metrics(), jit_compile="auto"
        )
    evaluate = model.evaluate(
        probs, labels, sample_weight=weights, batch_size=16, verbose=0, return_dict=True
    )
    callbacks = [
        kec.LearningRateMonitor(),
        kec.ThroughputMonitor(batch_size=16, skip_steps=1),
        kec.TimeLimit(seconds=600),
        kec.ClassificationReport((probs, labels), verbose=0),
        kec.EarlyStopping(monitor="val_f1", patience=5),
        kec.BestCheckpoints(out / "checkpoints", monitor="val_f1", save_top_k=1),
        kec.PlotHistory(out / "history.png"),
        kec.ConfusionMatrixPlot((probs, labels), out / "cm.png"),
    ]
    history = model.fit(
        probs,
        labels,
        sample_weight=weights,
        batch_size=16,
        epochs=2,
        shuffle=False,
        verbose=0,
        validation_data=(probs, labels, weights),
        callbacks=callbacks,
    )
    fit = {k: v[-1] for k, v in history.history.items()}
    keras.saving.load_model(callbacks[5].best_model_path)
    merge_error = large_count_merge_error(strategy) if mode == "tensorflow" else None
    print(
        json.dumps(
            {
                "reference": reference,
                "evaluate": flatten(evaluate),
                "fit": flatten(fit),
                "callbacks": {
                    "history_keys": sorted(history.history),
                    "pictures": [p.name for p in out.glob("*.png")],
                },
                "large_count_merge_error": merge_error,
            }
        )
    )


def large_count_merge_error(strategy) -> float:
    """Each of the 2 replicas counts about 2**30 per cell (128 batches of up to
    2**24) in its own copy of the
    state (sum-on-read variables); the strategy's read sums the copies. Returns
    the largest error of the merged total against the exact count."""
    import keras
    import numpy as np
    import tensorflow as tf

    from keras_extras.metrics.accumulators import CompensatedSum

    class Counter(keras.metrics.Metric):
        def __init__(self):
            super().__init__(name="counter")
            self.count = CompensatedSum(self, "count", shape=(64,))

        def update_state(self, values):
            self.count.add(values)

        def result(self):
            return self.count.value()

    rng = np.random.default_rng(0)
    increments = rng.integers(0, 2**24, (2, 128, 64)).astype("float32")
    with strategy.scope():
        counter = Counter()
    table = tf.constant(increments)

    @tf.function
    def step(i):
        def update():
            replica = tf.distribute.get_replica_context().replica_id_in_sync_group
            counter.update_state(table[replica, i])

        strategy.run(update)

    for i in range(128):
        step(tf.constant(i))
    merged = counter.count.numpy()  # read across replicas: the strategy sums
    exact = increments.astype("int64").sum(axis=(0, 1))
    assert exact.min() > 2**30
    return float(np.abs(merged - exact).max())


def configure(mode: str) -> None:
    """Device layout, fixed before the framework starts."""
    os.environ["KERAS_BACKEND"] = mode
    if mode == "jax":
        flags = os.environ.get("XLA_FLAGS", "")  # keep the test session's flags
        os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count=4"
    else:
        import tensorflow as tf

        tf.config.set_logical_device_configuration(
            tf.config.list_physical_devices("CPU")[0],
            [tf.config.LogicalDeviceConfiguration()] * 2,
        )


if __name__ == "__main__":
    configure(sys.argv[1])
    main(sys.argv[1], Path(sys.argv[2]))

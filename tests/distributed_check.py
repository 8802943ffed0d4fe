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

MODE, OUT = sys.argv[1], Path(sys.argv[2])
if MODE == "jax":
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
os.environ["KERAS_BACKEND"] = MODE
if MODE == "tensorflow":
    import tensorflow as tf

    # Two logical CPUs, before anything initialises TensorFlow's devices.
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0],
        [tf.config.LogicalDeviceConfiguration()] * 2,
    )

import keras  # noqa: E402
import numpy as np  # noqa: E402
from helpers import PassThrough, to_numpy, zero_loss  # noqa: E402

import keras_extras.callbacks as kec  # noqa: E402
import keras_extras.metrics as kem  # noqa: E402

SCORES = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "specificity",
    "balanced_accuracy",
    "mcc",
    "kappa",
)


def all_metrics():
    return [
        kem.ClassificationMetrics(num_classes=3, metrics=SCORES),
        kem.ConfusionMatrix(num_classes=3),
        kem.Precision(num_classes=3, average="weighted"),
        kem.Recall(num_classes=3, average="micro"),
        kem.F1Score(num_classes=3),
        kem.FBetaScore(num_classes=3, beta=2.0),
        kem.Specificity(num_classes=3),
        kem.BalancedAccuracy(num_classes=3),
        kem.MatthewsCorrelation(num_classes=3),
        kem.CohenKappa(num_classes=3, weights="quadratic"),
        kem.ExpectedCalibrationError(num_bins=5),
        kem.BrierScore(),
        kem.AUROC(num_classes=3, num_thresholds=11),
        kem.AveragePrecision(num_classes=3, num_thresholds=11),
        kem.UniformKLDivergence(),
        kem.PredictiveEntropy(),
    ]


def data():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 64).astype("int32")
    probs = rng.dirichlet(np.ones(3), 64)
    probs = (np.round(probs * 10) / 10 + 1e-3).astype("float32")
    probs /= probs.sum(-1, keepdims=True)
    weights = rng.uniform(0.5, 2.0, 64).astype("float32")
    return labels, probs, weights


def flatten(logs):
    out = {}
    for key, value in logs.items():
        out[key] = np.asarray(to_numpy(value)).tolist()
    return out


def main():
    labels, probs, weights = data()
    reference = {}
    for metric in all_metrics():
        metric.update_state(labels, probs, sample_weight=weights)
        result = metric.result()
        reference.update(
            flatten(result if isinstance(result, dict) else {metric.name: result})
        )

    if MODE == "jax":
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
        model = keras.Sequential([keras.Input(shape=(3,)), PassThrough()])
        model.compile(
            optimizer=keras.optimizers.SGD(0.01),
            loss=zero_loss,
            weighted_metrics=all_metrics(),
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
        kec.BestCheckpoints(OUT / "checkpoints", monitor="val_f1", save_top_k=1),
        kec.PlotHistory(OUT / "history.png"),
        kec.ConfusionMatrixPlot((probs, labels), OUT / "cm.png"),
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
    print(
        json.dumps(
            {
                "reference": reference,
                "evaluate": flatten(evaluate),
                "fit": flatten(fit),
                "callbacks": {
                    "history_keys": sorted(history.history),
                    "pictures": [p.name for p in OUT.glob("*.png")],
                },
            }
        )
    )


if __name__ == "__main__":
    main()

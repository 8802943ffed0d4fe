"""Metric overhead per training step, against no metrics and Keras' built-ins.

Each configuration compiles the same small MLP with different metrics and trains it
with `fit`; epochs are timed interleaved (A B C A B C ...) after a warm-up epoch that
absorbs compilation, and the median step time is compared with the no-metric run
of the same process.

Run: python -m benchmarks.overhead --backend jax [--quick] [--workload tiny|wide]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

WORKLOADS = {
    # name: (features, classes, batch size, steps per epoch)
    "tiny": (4, 3, 32, 40),
    "wide": (256, 100, 1024, 10),
}


def make_configs(num_classes):
    import keras

    import keras_extras.metrics as kem

    scores8 = (
        "accuracy",
        "precision",
        "recall",
        "f1",
        "specificity",
        "balanced_accuracy",
        "mcc",
        "kappa",
    )
    return {
        "none": lambda: [],
        "keras_categorical_accuracy": lambda: ["categorical_accuracy"],
        "keras_f1_macro": lambda: [keras.metrics.F1Score(average="macro")],
        "keras_precision_recall": lambda: [
            keras.metrics.Precision(),
            keras.metrics.Recall(),
        ],
        "extras_f1_macro": lambda: [kem.F1Score(num_classes=num_classes)],
        "extras_classification_8": lambda: [
            kem.ClassificationMetrics(num_classes=num_classes, metrics=scores8)
        ],
        "extras_distribution": lambda: [
            kem.UniformKLDivergence(),
            kem.PredictiveEntropy(),
        ],
    }


def build(features, classes, metrics):
    import keras

    model = keras.Sequential(
        [
            keras.Input(shape=(features,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(classes, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=metrics)
    return model


def run(workload: str, repeats: int) -> dict:
    import numpy as np

    features, classes, batch, steps = WORKLOADS[workload]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch * steps, features)).astype("float32")
    y = np.eye(classes, dtype="float32")[rng.integers(0, classes, batch * steps)]
    models = {}
    for name, make in make_configs(classes).items():
        model = build(features, classes, make())
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)  # compile + warm up
        models[name] = model
    times = {name: [] for name in models}
    for _ in range(repeats):
        for name, model in models.items():
            start = time.perf_counter()
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
            times[name].append((time.perf_counter() - start) / steps * 1e3)
    base = statistics.median(times["none"])
    results = {}
    for name, samples in times.items():
        median = statistics.median(samples)
        results[name] = {
            "ms_per_step": round(median, 4),
            "spread_ms": [round(min(samples), 4), round(max(samples), 4)],
            "ratio_to_none": round(median / base, 3),
        }
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("jax", "torch", "tensorflow"))
    parser.add_argument("--workload", choices=tuple(WORKLOADS), default="tiny")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 repeats")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.backend and os.environ.get("KERAS_BACKEND") != args.backend:
        os.environ["KERAS_BACKEND"] = args.backend
        os.execv(
            sys.executable, [sys.executable, "-m", "benchmarks.overhead", *sys.argv[1:]]
        )
    from benchmarks._machine import describe

    repeats = 3 if args.quick else args.repeats
    report = {
        "machine": describe(),
        "workload": args.workload,
        "repeats": repeats,
        "results": run(args.workload, repeats),
    }
    for name, row in report["results"].items():
        print(
            f"{report['machine']['backend']:<11} {args.workload:<5} {name:<28} "
            f"{row['ms_per_step']:8.3f} ms/step  x{row['ratio_to_none']:.2f}"
        )
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Regression metrics: overhead per training step against Keras' `R2Score` and
`MeanSquaredError` (the rank correlations' too: `SpearmanCorrelation` and
`KendallTau` with 256 bins), and accuracy against scipy / scikit-learn on targets far
from 0.

Overhead: the same regressor (16 features, a hidden layer of 64, one output,
batch 64, 50 steps per epoch) is compiled with each metric configuration; after a
warm-up epoch, epochs are timed interleaved and each median step time is divided
by the no-metric median of the same process (as `benchmarks/overhead.py`).

Accuracy: 1,000 samples of targets `offset + N(0, 1)` and predictions correlated
with them, in batches of 32, at offsets 0 to 1e6 (|mean| / std), for Keras'
and keras-extras' R² and Pearson against scikit-learn / scipy in float64 (Keras'
`PearsonCorrelation` with `axis=0`, its only setting that correlates over samples).

Run:  KERAS_BACKEND=jax python -m benchmarks.regression [--repeats 7]
      python -m benchmarks.regression --report
Results go to benchmarks/results/regression-<backend>.json; `--report` writes
the tables of every JSON there to results/regression.md (docs/benchmarks.md
includes it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from benchmarks._machine import RESULTS, machine_cell, save_result, write_report

FEATURES, BATCH, STEPS = 16, 64, 50
OFFSETS = (0.0, 1e3, 1e4, 1e5, 1e6)


def configs():
    import keras

    import keras_extras.metrics as kem

    return {
        "none": lambda: [],
        "keras_mse": lambda: [keras.metrics.MeanSquaredError()],
        "keras_r2": lambda: [keras.metrics.R2Score()],
        "extras_r2": lambda: [kem.R2Score()],
        "extras_pearson": lambda: [kem.PearsonCorrelation()],
        "extras_pinball": lambda: [kem.MeanPinballLoss(0.9)],
        "extras_spearman": lambda: [kem.SpearmanCorrelation()],
        "extras_kendall": lambda: [kem.KendallTau()],
        "extras_all_8": lambda: [
            kem.R2Score(),
            kem.ExplainedVariance(),
            kem.PearsonCorrelation(),
            kem.ConcordanceCorrelation(),
            kem.MeanPinballLoss(0.9),
            kem.TweedieDeviance(0.0),
            kem.SymmetricMeanAbsolutePercentageError(),
            kem.WeightedMeanAbsolutePercentageError(),
        ],
    }


def build(metrics):
    import keras

    model = keras.Sequential(
        [
            keras.Input(shape=(FEATURES,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse", metrics=metrics)
    return model


def overhead(repeats: int) -> dict:
    import numpy as np

    from benchmarks.overhead import synchronize

    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH * STEPS, FEATURES)).astype("float32")
    y = (x @ rng.normal(size=(FEATURES, 1)) + 100.0).astype("float32")
    models = {name: build(make()) for name, make in configs().items()}
    for model in models.values():
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    times: dict = {name: [] for name in models}
    for _ in range(repeats):
        for name, model in models.items():
            synchronize()
            start = time.perf_counter()
            model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
            synchronize()
            times[name].append((time.perf_counter() - start) / STEPS * 1e3)
    base = statistics.median(times["none"])
    return {
        name: {
            "ms_per_step": round(statistics.median(samples), 4),
            "ratio_to_none": round(statistics.median(samples) / base, 3),
        }
        for name, samples in times.items()
    }


def accuracy() -> dict:
    import keras
    import numpy as np
    import scipy.stats
    from sklearn.metrics import r2_score

    import keras_extras.metrics as kem

    rng = np.random.default_rng(1)
    found = {}
    for offset in OFFSETS:
        t = offset + rng.normal(size=(1000, 1))
        p = t + 0.5 * rng.normal(size=(1000, 1))
        t, p = t.astype("float32"), p.astype("float32")
        truth = {
            "r2": r2_score(t.astype(float), p.astype(float)),
            "pearson": scipy.stats.pearsonr(t[:, 0].astype(float), p[:, 0])[0],
        }
        metrics = {
            "keras_r2": (keras.metrics.R2Score(), "r2"),
            "extras_r2": (kem.R2Score(), "r2"),
            "keras_pearson_axis0": (
                keras.metrics.PearsonCorrelation(axis=0),
                "pearson",
            ),
            "extras_pearson": (kem.PearsonCorrelation(), "pearson"),
        }
        row = {}
        for name, (metric, score) in metrics.items():
            for start in range(0, 1000, 32):
                metric.update_state(t[start : start + 32], p[start : start + 32])
            value = float(keras.ops.convert_to_numpy(metric.result()))
            row[name] = abs(value - truth[score])
        found[str(offset)] = row
    return found


def report(directory: Path = RESULTS) -> str:
    lines = [
        "Overhead per training step (milliseconds, and the ratio to the step "
        f"without metrics; batch {BATCH}, one output):",
        "",
        "| backend | machine | none | Keras `MeanSquaredError` | Keras `R2Score` "
        "| `R2Score` | `PearsonCorrelation` | `MeanPinballLoss` | "
        "`SpearmanCorrelation` | `KendallTau` | all 8 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    results = [
        json.loads(p.read_text()) for p in sorted(directory.glob("regression-*.json"))
    ]
    order = ("none", "keras_mse", "keras_r2", "extras_r2", "extras_pearson")
    order += ("extras_pinball", "extras_spearman", "extras_kendall", "extras_all_8")
    for result in results:
        machine = result["machine"]
        cells = [
            f"{result['overhead'][k]['ms_per_step']:.2f} "
            f"({result['overhead'][k]['ratio_to_none']:.2f})"
            for k in order
        ]
        lines.append(
            f"| {machine['backend']} | {machine_cell(machine)} | "
            + " | ".join(cells)
            + " |"
        )
    lines += [
        "",
        "Gap to scikit-learn / scipy (float64), one data set of 1,000 samples in "
        "batches of 32, targets `offset + N(0, 1)`:",
        "",
        "| backend | offset | Keras `R2Score` | `R2Score` | Keras `PearsonCorrelation"
        "(axis=0)` | `PearsonCorrelation` |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        for offset, row in result["accuracy"].items():
            lines.append(
                f"| {result['machine']['backend']} | {float(offset):g} | "
                + " | ".join(
                    f"{row[k]:.1e}"
                    for k in (
                        "keras_r2",
                        "extras_r2",
                        "keras_pearson_axis0",
                        "extras_pearson",
                    )
                )
                + " |"
            )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args(argv)
    if args.report:
        return write_report("regression", report())
    return save_result(
        "regression",
        overhead=overhead(args.repeats),
        accuracy=accuracy(),
    )


if __name__ == "__main__":
    raise SystemExit(main())

"""Coverage and cost of `Bootstrap` intervals, by simulation.

A known population: 3 classes with prior (0.5, 0.3, 0.2) and a known confusion
matrix of the classifier, so its macro and per-class F1 and accuracy are computed
exactly from the expected counts. Each trial draws `samples` labelled predictions,
streams them through `Bootstrap(F1Score)`, `Bootstrap(F1Score(average=None))` and
`Bootstrap(ClassificationMetrics(accuracy))` in batches of 64 (200 replicates,
nominal 95 %), and checks whether each interval
holds the population value. Coverage is the share of trials that it does (its own
standard error: sqrt(p (1 - p) / trials)). Cost: the median eager time of one
update + result of `Bootstrap(F1Score)` against `F1Score` alone, batch 64.

The same coverage check for `Bootstrap(AUROC)` on a binormal population
(`auroc_coverage`).

Run:  KERAS_BACKEND=torch python -m benchmarks.bootstrap_coverage [--trials 1000]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

PRIOR = np.array([0.5, 0.3, 0.2])
CONFUSION = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]])


def population() -> dict:
    joint = PRIOR[:, None] * CONFUSION
    tp, predicted, actual = np.diag(joint), joint.sum(0), joint.sum(1)
    per_class = 2 * tp / (predicted + actual)
    values = {"f1": float(np.mean(per_class)), "accuracy": float(tp.sum())}
    values.update({f"f1/{k}": float(v) for k, v in enumerate(per_class)})
    return values


def draw(rng, samples):
    labels = rng.choice(3, samples, p=PRIOR)
    cumulative = CONFUSION.cumsum(1)[labels]
    predicted = (rng.random(samples)[:, None] > cumulative).sum(1)
    return labels, predicted


def coverage(trials: int, samples: int, replicates: int) -> dict:
    import keras_extras.metrics as kem

    truth = population()
    rng = np.random.default_rng(0)
    keys = ("f1", "accuracy", "f1/0", "f1/1", "f1/2")
    hits = dict.fromkeys(keys, 0)
    widths: dict = {key: [] for key in keys}
    for trial in range(trials):
        labels, predicted = draw(rng, samples)
        f1 = kem.Bootstrap(kem.F1Score(num_classes=3), replicates, seed=trial)
        accuracy = kem.Bootstrap(
            kem.ClassificationMetrics(num_classes=3, metrics=["accuracy"]),
            replicates,
            seed=trial + 10**6,
        )
        per_class = kem.Bootstrap(
            kem.F1Score(num_classes=3, average=None), replicates, seed=trial + 2 * 10**6
        )
        for start in range(0, samples, 64):
            batch = slice(start, start + 64)
            for metric in (f1, accuracy, per_class):
                metric.update_state(labels[batch], predicted[batch])
        for key, metric, name in (
            ("f1", f1, "f1_score"),
            ("accuracy", accuracy, "accuracy"),
            *((f"f1/{k}", per_class, f"f1_score/{k}") for k in range(3)),
        ):
            result = {k: float(v) for k, v in metric.result().items()}
            low, high = result[f"{name}_low"], result[f"{name}_high"]
            hits[key] += low <= truth[key] <= high
            widths[key].append(high - low)
    return {
        key: {
            "coverage": hits[key] / trials,
            "standard_error": (hits[key] / trials * (1 - hits[key] / trials) / trials)
            ** 0.5,
            "median_width": statistics.median(widths[key]),
        }
        for key in hits
    }


AUROC_PREVALENCE, AUROC_SHIFT = 0.4, 1.0


def auroc_coverage(trials: int, samples: int, replicates: int) -> dict:
    """The same for `Bootstrap(AUROC)` on a binormal population: negatives score
    sigmoid(z), positives sigmoid(z + 1), z ~ N(0, 1), 40 % positives; the
    population AUROC is Phi(1 / sqrt(2)) = 0.7602 (a monotone map keeps it)."""
    import keras_extras.metrics as kem

    truth = 0.5 * (1.0 + math.erf(AUROC_SHIFT / 2.0))  # Phi(shift / sqrt(2))
    rng = np.random.default_rng(1)
    hits, widths = 0, []
    for trial in range(trials):
        labels = (rng.random(samples) < AUROC_PREVALENCE).astype("int32")
        scores = 1.0 / (
            1.0 + np.exp(-(rng.normal(size=samples) + AUROC_SHIFT * labels))
        )
        metric = kem.Bootstrap(kem.AUROC(task="binary"), replicates, seed=trial)
        for start in range(0, samples, 64):
            batch = slice(start, start + 64)
            metric.update_state(labels[batch], scores[batch].astype("float32"))
        result = {k: float(v) for k, v in metric.result().items()}
        hits += result["auroc_low"] <= truth <= result["auroc_high"]
        widths.append(result["auroc_high"] - result["auroc_low"])
    rate = hits / trials
    return {
        "population_auroc": truth,
        "coverage": rate,
        "standard_error": (rate * (1 - rate) / trials) ** 0.5,
        "median_width": statistics.median(widths),
    }


def cost(replicates: int, repeats: int = 50) -> dict:
    import keras

    import keras_extras.metrics as kem

    rng = np.random.default_rng(1)
    labels, predicted = draw(rng, 64)
    scores = np.eye(3, dtype="float32")[predicted]
    metrics = {
        "f1": kem.F1Score(num_classes=3),
        "bootstrap_f1": kem.Bootstrap(kem.F1Score(num_classes=3), replicates, seed=0),
    }
    times = {name: [] for name in metrics}
    for _ in range(repeats):
        for name, metric in metrics.items():
            start = time.perf_counter()
            metric.update_state(labels, scores)
            keras.tree.map_structure(keras.ops.convert_to_numpy, metric.result())
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) * 1e3 for name, values in times.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--samples", type=int, nargs="+", default=(300, 1000))
    parser.add_argument("--replicates", type=int, default=200)
    args = parser.parse_args(argv)
    import keras

    print(f"backend {keras.backend.backend()}, population {population()}")
    for samples in args.samples:
        print(samples, coverage(args.trials, samples, args.replicates))
        print(samples, "auroc", auroc_coverage(args.trials, samples, args.replicates))
    print("ms per update + result, batch 64:", cost(args.replicates))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

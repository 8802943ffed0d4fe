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
      [--write] [--cost]

`--write` puts the tables `docs/metrics.md` includes, with the machine, in
`benchmarks/results/bootstrap_coverage.md`; `--cost` times the cost table again
alone (timings need an idle machine; the coverage is seeded and does not move).
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path

import numpy as np

RESULT = Path(__file__).parent / "results" / "bootstrap_coverage.md"
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
    positive = (labels == 0).astype("int32")
    binary = rng.random(64).astype("float32")
    metrics = {  # name: (metric, y_true, y_pred)
        "F1Score": (kem.F1Score(num_classes=3), labels, scores),
        "Bootstrap(F1Score)": (
            kem.Bootstrap(kem.F1Score(num_classes=3), replicates, seed=0),
            labels,
            scores,
        ),
        'AUROC(task="binary")': (kem.AUROC(task="binary"), positive, binary),
        'Bootstrap(AUROC(task="binary"))': (
            kem.Bootstrap(kem.AUROC(task="binary"), replicates, seed=0),
            positive,
            binary,
        ),
    }
    times: dict = {name: [] for name in metrics}
    for _ in range(repeats):
        for name, (metric, y_true, y_pred) in metrics.items():
            start = time.perf_counter()
            metric.update_state(y_true, y_pred)
            keras.tree.map_structure(keras.ops.convert_to_numpy, metric.result())
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) * 1e3 for name, values in times.items()}


def _percent(found: dict) -> str:
    return f"{100 * found['coverage']:.1f} % (± {100 * found['standard_error']:.1f})"


def markdown(trials: int, samples: tuple[int, ...], replicates: int) -> str:
    """The coverage tables and the cost, as `docs/metrics.md` includes them."""
    from benchmarks._machine import describe

    machine = describe()
    truth = population()
    per_class = " / ".join(f"{truth[f'f1/{k}']:.3f}" for k in range(3))
    lines = [
        f"Measured {machine['date'][:10]}: {machine['backend']} backend, "
        f"{machine['cpu']}, {machine['cores']} cores; {trials} independent samples "
        f"per row, {replicates} replicates, streamed in batches of 64. The 3-class "
        f"population has macro F1 {truth['f1']:.3f} (per class {per_class}) and "
        f"accuracy {truth['accuracy']:.3f}.",
        "",
        "| samples | score | coverage (± standard error) | median interval width |",
        "| --- | --- | --- | --- |",
    ]
    aurocs = []
    for size in samples:
        found = coverage(trials, size, replicates)
        for key, label in (("f1", "macro F1"), ("accuracy", "accuracy")):
            lines.append(
                f"| {size} | {label} | {_percent(found[key])} "
                f"| {found[key]['median_width']:.3f} |"
            )
        classes = [found[f"f1/{k}"] for k in range(3)]
        lines.append(
            f"| {size} | F1 of class 0 / 1 / 2 (`average=None`) | "
            + " / ".join(f"{100 * c['coverage']:.1f}" for c in classes)
            + f" % (± {100 * max(c['standard_error'] for c in classes):.1f}) | "
            + " / ".join(f"{c['median_width']:.3f}" for c in classes)
            + " |"
        )
        aurocs.append((size, auroc_coverage(trials, size, replicates)))
        print("\n".join(lines[-3:]), flush=True)
    lines += [
        "",
        f'`Bootstrap(AUROC(task="binary"))` on the binormal population (population '
        f"AUROC {aurocs[0][1]['population_auroc']:.4f}):",
        "",
        "| samples | score | coverage (± standard error) | median interval width |",
        "| --- | --- | --- | --- |",
    ]
    for size, found in aurocs:
        lines.append(
            f"| {size} | AUROC | {_percent(found)} | {found['median_width']:.3f} |"
        )
    return "\n".join(lines) + "\n" + cost_table(replicates)


COST_HEADING = "One eager update + result on a batch of 64"


def cost_table(replicates: int) -> str:
    """The cost table (timed alone: run it on an idle machine)."""
    times = cost(replicates)
    lines = [
        "",
        f"{COST_HEADING}, {replicates} replicates (median of 50):",
        "",
        "| metric | ms |",
        "| --- | --- |",
        *(f"| `{name}` | {ms:.2f} |" for name, ms in times.items()),
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--samples", type=int, nargs="+", default=(300, 1000))
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--write", action="store_true", help=f"write {RESULT.name}")
    parser.add_argument(
        "--cost",
        action="store_true",
        help=f"time again the cost table of {RESULT.name}",
    )
    args = parser.parse_args(argv)
    import keras

    if args.cost:
        kept = RESULT.read_text().split("\n" + COST_HEADING)[0].rstrip("\n")
        RESULT.write_text(kept + "\n" + cost_table(args.replicates))
        print(RESULT.read_text())
        return 0
    if args.write:
        text = markdown(args.trials, tuple(args.samples), args.replicates)
        RESULT.write_text(text)
        print(text)
        return 0
    print(f"backend {keras.backend.backend()}, population {population()}")
    for samples in args.samples:
        print(samples, coverage(args.trials, samples, args.replicates))
        print(samples, "auroc", auroc_coverage(args.trials, samples, args.replicates))
    print("ms per update + result, batch 64:", cost(args.replicates))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

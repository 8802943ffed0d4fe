"""Multilabel and ranking scores at realistic widths: cost per training step
against Keras' `AUC(multi_label=True)`.

Two workloads, each a linear head on 64 features, batch 32, 20 steps per epoch,
compiled as `fit` compiles by default:

- tagging: L = 200 sigmoid labels (about 5 % positive). Keras'
  `AUC(multi_label=True, num_labels=200)` against keras-extras'
  `LabelRankingAveragePrecision`, `CoverageError`, `LabelRankingLoss` (each
  sorts a row's labels), `ExactMatch`, `HammingLoss`, and one
  `ClassificationMetrics(task="multilabel", average="samples")` with F1, exact
  match and Hamming loss.
- retrieval: N = 1000 items per row with graded relevance (0 to 3, about 2 %
  relevant). Keras' `AUC(multi_label=True, num_labels=1000)` against `NDCG`,
  `NDCG(k=10)` (each sorts a row's items) and `MeanReciprocalRank` (O(N)).

After a warm-up epoch, epochs are timed interleaved; each median step time is
divided by the no-metric median of the same process (as `overhead.py`).

Run:  KERAS_BACKEND=jax python -m benchmarks.rows [--repeats 5]
      python -m benchmarks.rows --report
Results go to benchmarks/results/rows-<backend>.json; `--report` writes the
tables of every JSON there to results/rows.md (docs/benchmarks.md includes it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
FEATURES, BATCH, STEPS = 64, 32, 20
LABELS, ITEMS = 200, 1000


def workloads():
    """`{workload: (width, activation, {config: make_metrics})}`."""
    import keras

    import keras_extras.metrics as kem

    def keras_auc(width):
        return lambda: [keras.metrics.AUC(multi_label=True, num_labels=width)]

    return {
        "tagging": (
            LABELS,
            "sigmoid",
            {
                "none": lambda: [],
                "keras_auc": keras_auc(LABELS),
                "lrap": lambda: [kem.LabelRankingAveragePrecision(LABELS)],
                "coverage_error": lambda: [kem.CoverageError(LABELS)],
                "label_ranking_loss": lambda: [kem.LabelRankingLoss(LABELS)],
                "exact_match": lambda: [kem.ExactMatch(LABELS)],
                "hamming_loss": lambda: [kem.HammingLoss(LABELS)],
                "samples_3_scores": lambda: [
                    kem.ClassificationMetrics(
                        LABELS,
                        metrics=("f1", "exact_match", "hamming_loss"),
                        task="multilabel",
                        average="samples",
                    )
                ],
            },
        ),
        "retrieval": (
            ITEMS,
            None,
            {
                "none": lambda: [],
                "keras_auc": keras_auc(ITEMS),
                "ndcg": lambda: [kem.NDCG()],
                "ndcg_at_10": lambda: [kem.NDCG(k=10, name="ndcg_at_10")],
                "mrr": lambda: [kem.MeanReciprocalRank()],
            },
        ),
    }


def data(width: int, graded: bool):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH * STEPS, FEATURES)).astype("float32")
    if graded:
        relevant = rng.random((BATCH * STEPS, width)) < 0.02
        y = relevant * rng.integers(1, 4, (BATCH * STEPS, width))
    else:
        y = rng.random((BATCH * STEPS, width)) < 0.05
    return x, y.astype("float32")


def build(width: int, activation, metrics):
    import keras

    model = keras.Sequential(
        [keras.Input(shape=(FEATURES,)), keras.layers.Dense(width, activation)]
    )
    loss = "binary_crossentropy" if activation == "sigmoid" else "mse"
    model.compile(optimizer="adam", loss=loss, metrics=metrics)
    return model


def overhead(repeats: int) -> dict:
    from benchmarks.overhead import synchronize

    found = {}
    for workload, (width, activation, configs) in workloads().items():
        x, y = data(width, graded=activation is None)
        models = {
            name: build(width, activation, make()) for name, make in configs.items()
        }
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
        found[workload] = {
            name: {
                "ms_per_step": round(statistics.median(samples), 4),
                "ratio_to_none": round(statistics.median(samples) / base, 3),
            }
            for name, samples in times.items()
        }
    return found


COLUMNS = {
    "tagging": (
        f"tagging, L = {LABELS}",
        ("keras_auc", "lrap", "coverage_error", "label_ranking_loss"),
        ("exact_match", "hamming_loss", "samples_3_scores"),
    ),
    "retrieval": (
        f"retrieval, N = {ITEMS}",
        ("keras_auc", "ndcg", "ndcg_at_10", "mrr"),
        (),
    ),
}
TITLES = {
    "keras_auc": "Keras `AUC(multi_label=True)`",
    "lrap": "`LabelRankingAveragePrecision`",
    "coverage_error": "`CoverageError`",
    "label_ranking_loss": "`LabelRankingLoss`",
    "exact_match": "`ExactMatch`",
    "hamming_loss": "`HammingLoss`",
    "samples_3_scores": '`ClassificationMetrics` (F1 "samples", exact match, '
    "Hamming loss)",
    "ndcg": "`NDCG`",
    "ndcg_at_10": "`NDCG(k=10)`",
    "mrr": "`MeanReciprocalRank`",
}


def report(directory: Path = RESULTS) -> str:
    results = [json.loads(p.read_text()) for p in sorted(directory.glob("rows-*.json"))]
    lines = [
        "Milliseconds per training step, and the ratio to the step without "
        f"metrics (batch {BATCH}, a linear head on {FEATURES} features):",
        "",
    ]
    for workload, (title, *groups) in COLUMNS.items():
        for names in groups:
            if not names:
                continue
            lines += [
                f"| backend | machine | {title}: none | "
                + " | ".join(TITLES[name] for name in names)
                + " |",
                "| --- | --- | --- | " + " | ".join("---" for _ in names) + " |",
            ]
            for result in results:
                machine = result["machine"]
                row = result["overhead"][workload]
                cells = [
                    f"{row[name]['ms_per_step']:.2f} ({row[name]['ratio_to_none']:.2f})"
                    for name in ("none", *names)
                ]
                lines.append(
                    f"| {machine['backend']} | {machine['cpu']}, "
                    f"{machine['cores']} cores, {machine['date'][:10]} | "
                    + " | ".join(cells)
                    + " |"
                )
            lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args(argv)
    if args.report:
        text = report()
        (RESULTS / "rows.md").write_text(text)
        print(text)
        return 0
    import keras

    from benchmarks._machine import describe

    result = {"machine": describe(), "overhead": overhead(args.repeats)}
    path = RESULTS / f"rows-{keras.backend.backend()}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

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

Accuracy: the largest gap of each score to scikit-learn (or numpy from the
definition) over 20 generated data sets with ties, in compiled `evaluate`.

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

from benchmarks._machine import RESULTS, machine_cell, save_result, write_report

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


SEEDS, ROWS, WIDTH = 20, 300, 12


def gap_cases():
    """`{score: (make, reference(t, s, w), graded)}`: every multilabel and row
    score against scikit-learn (or numpy from the definition)."""
    import numpy as np
    from sklearn import metrics as skm

    import keras_extras.metrics as kem

    def samples(cls, reference, **extra):
        return (
            lambda: cls(WIDTH, task="multilabel", average="samples", **extra),
            lambda t, s, w: reference(
                t, s >= 0.5, average="samples", sample_weight=w, **extra
            ),
            False,
        )

    def reciprocal_rank(t, s, w):
        values = [
            1.0 / (1 + np.sum(row_s > row_s[row_t > 0].max())) if row_t.any() else 0.0
            for row_t, row_s in zip(t, s, strict=True)
        ]
        return np.average(values, weights=w)

    def ece(t, s, w, bins=10):
        found = []
        for k in range(t.shape[1]):
            # Bins from float32 products, as the metric's (scores on edges).
            scaled = s[:, k].astype("float32") * np.float32(bins)
            cell = np.minimum(np.floor(scaled).astype(int), bins - 1)
            gap = 0.0
            for b in range(bins):
                inside = cell == b
                gap += abs(np.sum(w[inside] * (t[inside, k] - s[inside, k])))
            found.append(gap / w.sum())
        return np.mean(found)

    return {
        "exact_match": (
            lambda: kem.ExactMatch(WIDTH),
            lambda t, s, w: skm.accuracy_score(t, s >= 0.5, sample_weight=w),
            False,
        ),
        "hamming_loss": (
            lambda: kem.HammingLoss(WIDTH),
            lambda t, s, w: skm.hamming_loss(t, s >= 0.5, sample_weight=w),
            False,
        ),
        "precision_samples": samples(kem.Precision, skm.precision_score),
        "recall_samples": samples(kem.Recall, skm.recall_score),
        "f1_samples": samples(kem.F1Score, skm.f1_score),
        "fbeta_samples": samples(kem.FBetaScore, skm.fbeta_score, beta=2.0),
        "jaccard_samples": samples(kem.JaccardIndex, skm.jaccard_score),
        "lrap": (
            lambda: kem.LabelRankingAveragePrecision(WIDTH),
            lambda t, s, w: skm.label_ranking_average_precision_score(
                t, s, sample_weight=w
            ),
            False,
        ),
        "coverage_error": (
            lambda: kem.CoverageError(WIDTH),
            lambda t, s, w: skm.coverage_error(t, s, sample_weight=w),
            False,
        ),
        "label_ranking_loss": (
            lambda: kem.LabelRankingLoss(WIDTH),
            lambda t, s, w: skm.label_ranking_loss(t, s, sample_weight=w),
            False,
        ),
        "ndcg": (
            lambda: kem.NDCG(),
            lambda t, s, w: skm.ndcg_score(t, s, sample_weight=w),
            True,
        ),
        "ndcg_at_5": (
            lambda: kem.NDCG(k=5),
            lambda t, s, w: skm.ndcg_score(t, s, k=5, sample_weight=w),
            True,
        ),
        "mrr": (lambda: kem.MeanReciprocalRank(), reciprocal_rank, True),
        "brier_multilabel": (
            lambda: kem.BrierScore(task="multilabel"),
            lambda t, s, w: np.mean(
                [
                    skm.brier_score_loss(t[:, k], s[:, k], sample_weight=w)
                    for k in range(t.shape[1])
                ]
            ),
            False,
        ),
        "ece_multilabel": (
            lambda: kem.ExpectedCalibrationError(
                num_bins=10, task="multilabel", num_classes=WIDTH
            ),
            ece,
            False,
        ),
    }


def accuracy() -> dict:
    """The largest gap to the reference per score over `SEEDS` data sets of
    `ROWS` rows of `WIDTH` labels (batches of 64 and a short last one;
    weights; rows with no label and with every label; scores rounded to 0.05,
    so many tie), in the backend's compiled `evaluate`."""
    import keras
    import numpy as np

    found: dict = {}
    for name, (make, reference, graded) in gap_cases().items():
        worst = 0.0
        for seed in range(SEEDS):
            rng = np.random.default_rng(seed)
            if graded:
                truth = rng.integers(0, 4, (ROWS, WIDTH)) * (
                    rng.random((ROWS, WIDTH)) < 0.4
                )
            else:
                truth = rng.random((ROWS, WIDTH)) < rng.uniform(0.1, 0.6)
                truth[:3], truth[3:6] = False, True
            truth = truth.astype("float32")
            noise = rng.random((ROWS, WIDTH))
            scores = np.round((0.4 * (truth > 0) + 0.6 * noise) / 0.05) * 0.05
            scores = np.clip(scores, 0.0, 1.0).astype("float32")
            weights = rng.uniform(0.1, 2.0, ROWS).astype("float32")
            model = keras.Sequential([keras.Input((WIDTH,)), keras.layers.Identity()])
            model.compile(loss="mse", weighted_metrics=[make()], jit_compile=True)
            logs = model.evaluate(
                scores, truth, sample_weight=weights, batch_size=64, verbose=0,
                return_dict=True,
            )  # fmt: skip
            got = [v for k, v in logs.items() if k != "loss"][0]
            want = reference(
                truth.astype(float), scores.astype(float), weights.astype(float)
            )
            worst = max(worst, abs(float(got) - float(want)))
        found[name] = worst
    return found


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
                    f"| {machine['backend']} | {machine_cell(machine)} | "
                    + " | ".join(cells)
                    + " |"
                )
            lines.append("")
    lines += [
        f"Largest gap to scikit-learn (or numpy from the definition) over {SEEDS} "
        f"data sets of {ROWS} rows of {WIDTH} labels (weights, tied scores, rows "
        "with no label and with every label), in compiled `evaluate` in batches "
        "of 64:",
        "",
        "| backend | " + " | ".join(f"`{name}`" for name in GAP_ORDER) + " |",
        "| --- | " + " | ".join("---" for _ in GAP_ORDER) + " |",
    ]
    for result in results:
        gaps = result.get("accuracy", {})
        lines.append(
            f"| {result['machine']['backend']} | "
            + " | ".join(f"{gaps[name]:.1e}" for name in GAP_ORDER)
            + " |"
        )
    return "\n".join(lines) + "\n"


GAP_ORDER = (
    "exact_match",
    "hamming_loss",
    "precision_samples",
    "recall_samples",
    "f1_samples",
    "fbeta_samples",
    "jaccard_samples",
    "lrap",
    "coverage_error",
    "label_ranking_loss",
    "ndcg",
    "ndcg_at_5",
    "mrr",
    "brier_multilabel",
    "ece_multilabel",
)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--report", action="store_true")
    parser.add_argument(
        "--accuracy", action="store_true", help="the gap table alone, printed"
    )
    args = parser.parse_args(argv)
    if args.accuracy:
        print(json.dumps(accuracy(), indent=2))
        return 0
    if args.report:
        return write_report("rows", report())
    return save_result(
        "rows",
        overhead=overhead(args.repeats),
        accuracy=accuracy(),
    )


if __name__ == "__main__":
    raise SystemExit(main())

"""Rank correlations in bounded memory: accuracy of `SpearmanCorrelation` and
`KendallTau` against scipy, by sample size and `num_bins`, and their memory.

Data: seven kinds of (target, prediction) pairs, correlated 0.7 (normal
scores): centred, 1000 ± 0.3, house prices (2e5 ± 5e4), 1e-6 scale,
log-normal (exp(2 z), eight decades), Cauchy-tailed, and integer ratings
against predictions rounded to 0.1 (ties). The metric sees a first batch of 32 and
the rest in batches of up to 4,096 (its first 128 rows, exact, set its grid);
the table gives, per sample size and `num_bins`, the largest gap to scipy over the
kinds (three data sets each, unit weights). Weighted data are checked in
`tests/test_rank.py`.

Memory: the metric's state in bytes per output, against the 8 bytes per sample
that a metric keeping every target and prediction in float32 (torchmetrics'
`SpearmanCorrCoef`, `KendallRankCorrCoef`) holds.

Run:  KERAS_BACKEND=torch python -m benchmarks.rank_correlation
      python -m benchmarks.rank_correlation --report
Results go to benchmarks/results/rank_correlation-<backend>.json; `--report`
writes results/rank_correlation.md (docs/benchmarks.md includes it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks._machine import RESULTS, machine_cell, save_result, write_report

SIZES = (100, 1_000, 10_000, 100_000)
BINS = (64, 128, 256, 512)
KINDS = ("centred", "1000+-0.3", "houses", "tiny", "lognormal", "cauchy", "ratings")
FIRST, CHUNK, SETS = 32, 4096, 3


def pairs(kind: str, rows: int, rng):
    import numpy as np

    z = rng.multivariate_normal([0, 0], [[1, 0.7], [0.7, 1]], rows)
    x, y = z[:, 0], z[:, 1]
    made = {
        "centred": (x, y),
        "1000+-0.3": (1000 + 0.3 * x, 1000 + 0.3 * y),
        "houses": (2e5 + 5e4 * x, 2e5 + 5e4 * y),
        "tiny": (1e-6 * x, 1e-6 * y),
        "lognormal": (np.exp(2 * x), np.exp(2 * y)),
        "cauchy": (x / np.abs(rng.normal(size=rows)), y),
        "ratings": (np.clip(np.round(3 + x), 1, 5), np.round(3 + y, 1)),
    }[kind]
    return made[0].astype("float32"), made[1].astype("float32")


def measured(metric, t, p) -> float:
    import keras

    metric.reset_state()
    metric.update_state(t[:FIRST], p[:FIRST])
    for start in range(FIRST, len(t), CHUNK):
        metric.update_state(t[start : start + CHUNK], p[start : start + CHUNK])
    return float(keras.ops.convert_to_numpy(metric.result()))


def accuracy() -> dict:
    import numpy as np
    import scipy.stats

    import keras_extras.metrics as kem

    rng = np.random.default_rng(0)
    data = {
        (kind, rows): [pairs(kind, rows, rng) for _ in range(SETS)]
        for kind in KINDS
        for rows in SIZES
    }
    truth = {
        key: [
            (
                scipy.stats.spearmanr(t.astype(float), p.astype(float))[0],
                scipy.stats.kendalltau(t.astype(float), p.astype(float))[0],
            )
            for t, p in sets
        ]
        for key, sets in data.items()
    }
    found: dict = {}
    for bins in BINS:
        metrics = (kem.SpearmanCorrelation(bins), kem.KendallTau(bins))
        for rows in SIZES:
            worst = [0.0, 0.0]
            for kind in KINDS:
                for (t, p), want in zip(
                    data[kind, rows], truth[kind, rows], strict=True
                ):
                    for i, metric in enumerate(metrics):
                        worst[i] = max(worst[i], abs(measured(metric, t, p) - want[i]))
            found[f"{bins}/{rows}"] = {"spearman": worst[0], "kendall": worst[1]}
            print(bins, rows, found[f"{bins}/{rows}"], flush=True)
    return found


def memory() -> dict:
    import numpy as np

    import keras_extras.metrics as kem

    return {
        str(bins): sum(
            int(np.prod(v.shape)) * 4 for v in kem.KendallTau(bins).variables
        )
        for bins in BINS
    }


def report(directory: Path = RESULTS) -> str:
    results = [
        json.loads(p.read_text())
        for p in sorted(directory.glob("rank_correlation-*.json"))
    ]
    lines = [
        "Largest gap to scipy over seven kinds of data (centred, 1000 ± 0.3, "
        "house prices, 1e-6 scale, log-normal, Cauchy tails, tied ratings; "
        f"{SETS} data sets each), by sample size; a first batch of {FIRST}, "
        "then batches of 4,096 (the first 128 rows are exact and set the grid). "
        "Spearman / Kendall:",
        "",
        "| backend | machine | num_bins | state per output | "
        + " | ".join(f"n = {rows:,}" for rows in SIZES)
        + " |",
        "| --- | --- | --- | --- | " + " | ".join("---" for _ in SIZES) + " |",
    ]
    for result in results:
        machine = result["machine"]
        for bins in BINS:
            cells = [
                "{spearman:.0e} / {kendall:.0e}".format(
                    **result["accuracy"][f"{bins}/{rows}"]
                )
                for rows in SIZES
            ]
            size = result["memory"][str(bins)] / 2**20
            lines.append(
                f"| {machine['backend']} | {machine_cell(machine)} | {bins} | "
                f"{size:.2f} MiB | " + " | ".join(cells) + " |"
            )
    lines += [
        "",
        "A metric that keeps every target and prediction in float32 holds "
        + ", ".join(f"{rows * 8 / 2**20:.2f} MiB" for rows in SIZES)
        + " for these sample sizes, and grows with the data.",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args(argv)
    if args.report:
        return write_report("rank_correlation", report())
    return save_result("rank_correlation", accuracy=accuracy(), memory=memory())


if __name__ == "__main__":
    raise SystemExit(main())

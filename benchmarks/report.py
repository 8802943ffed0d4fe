"""Combine `benchmarks/results/*.json` into a markdown table and a PNG bar chart.

Run: python -m benchmarks.report   (nox -s bench runs it after the measurements)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
# The chart lives with the other documentation images (README and docs site show it).
CHART = Path(__file__).parent.parent / "docs" / "images" / "overhead.png"
BACKENDS = ("jax", "torch", "tensorflow")


def load(directory: Path) -> list[dict]:
    """The overhead reports (`<backend>-<workload>.json`) in `directory`; the
    other benchmarks' files there (classes, segmentation) are not read."""
    reports = []
    for path in sorted(directory.glob("*.json")):
        report = json.loads(path.read_text())
        if "workload" in report and not report.get("quick"):
            reports.append(report)
    return reports


def table(reports: list[dict]) -> str:
    """Markdown: one row per configuration, step time and ratio per backend."""
    lines = []
    for workload in ("tiny", "wide"):
        chosen = {
            r["machine"]["backend"]: r for r in reports if r["workload"] == workload
        }
        if not chosen:
            continue
        backends = [b for b in BACKENDS if b in chosen]
        names = list(next(iter(chosen.values()))["results"])
        for report in chosen.values():
            names += [n for n in report["results"] if n not in names]
        header = (
            "| configuration | "
            + " | ".join(f"{b} ms/step (× none)" for b in backends)
            + " | state bytes | eager update µs ("
            + backends[0]
            + ") |"
        )
        lines += [
            f"#### Workload `{workload}`",
            "",
            header,
            "|" + " --- |" * (len(backends) + 3),
        ]
        for name in names:
            cells = []
            for backend in backends:
                row = chosen[backend]["results"].get(name)
                cells.append(
                    f"{row['ms_per_step']:.3f} (×{row['ratio_to_none']:.2f})"
                    if row
                    else "—"
                )
            first = chosen[backends[0]]["results"].get(name) or {}
            state = first.get("state_bytes")
            eager = first.get("eager_update_us")
            lines.append(
                f"| {name} | "
                + " | ".join(cells)
                + f" | {state if state is not None else '—'}"
                + f" | {eager if eager is not None else '—'} |"
            )
        lines.append("")
        for backend in backends:
            for target in chosen[backend].get("targets", []):
                if "misses" in target:
                    lines.append(f"- {backend}, {workload}: {target}")
        lines.append("")
    machine = reports[0]["machine"] if reports else {}
    if machine:
        versions = ", ".join(
            f"{k} {v}" for r in reports for k, v in r["machine"]["versions"].items()
        )
        lines.append(
            f"Machine: {machine['cpu']}, {machine['cores']} cores, device "
            f"{machine['device']}; {machine['date']}; "
            f"{', '.join(sorted(set(versions.split(', '))))}."
        )
    return "\n".join(lines) + "\n"


def chart(reports: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    workloads = [
        w for w in ("tiny", "wide") if any(r["workload"] == w for r in reports)
    ]
    figure, axes = plt.subplots(
        len(workloads), 1, figsize=(12, 5 * len(workloads)), squeeze=False
    )
    for axis, workload in zip(axes[:, 0], workloads, strict=True):
        chosen = {
            r["machine"]["backend"]: r for r in reports if r["workload"] == workload
        }
        names = []
        for report in chosen.values():
            names += [n for n in report["results"] if n != "none" and n not in names]
        width = 0.8 / len(chosen)
        for i, (backend, report) in enumerate(sorted(chosen.items())):
            values = [
                report["results"].get(n, {}).get("ratio_to_none", 0) for n in names
            ]
            axis.bar(
                [j + i * width for j in range(len(names))], values, width, label=backend
            )
        axis.axhline(1.0, color="black", linewidth=0.8)
        axis.set_xticks([j + 0.4 - width / 2 for j in range(len(names))])
        axis.set_xticklabels(names, rotation=60, ha="right", fontsize=8)
        axis.set_ylabel("step time / no-metric step time")
        axis.set_title(f"Metric overhead per training step ({workload} workload)")
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main() -> int:
    reports = load(RESULTS)
    if not reports:
        print("no results in benchmarks/results: run python -m benchmarks.overhead")
        return 1
    text = table(reports)
    (RESULTS / "overhead.md").write_text(text)
    chart(reports, CHART)
    print(text)
    print(f"wrote {RESULTS / 'overhead.md'} and {CHART}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

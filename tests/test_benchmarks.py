"""The benchmark harness' bookkeeping (its timings live in benchmarks/, not here)."""

import json
import pathlib
import re

import keras
import numpy as np
import pytest

import keras_extras.metrics as kem
from benchmarks import classes, overhead, report


def _row(ratio):
    return {
        "ms_per_step": ratio,
        "min_ms": ratio,
        "max_ms": ratio,
        "ratio_to_none": ratio,
        "eager_update_us": 10.0,
        "state_bytes": 72,
    }


def test_targets_name_every_miss():
    results = {
        "none": _row(1.0),
        "keras_f1_macro": _row(1.2),
        "extras_f1": _row(1.1),
        "extras_classification_8": _row(1.5),
        "torchmetrics_collection": _row(2.0),
    }
    lines = overhead.check_targets(results, "torch")
    assert (
        "meets target: (a) no more than the nearest Keras built-in: "
        "extras_f1 x1.10 vs keras_f1_macro x1.20" in lines
    )
    assert any(line.startswith("misses target: (b)") for line in lines)
    assert any(line.startswith("meets target: (c)") for line in lines)


def test_report_table(tmp_path):
    machine = {
        "backend": "jax",
        "cpu": "test cpu",
        "cores": 2,
        "device": "cpu",
        "date": "2026-11-28",
        "versions": {"keras": "3", "jax": "0"},
    }
    results = {"none": _row(1.0), "extras_f1": _row(1.3), "keras_f1_macro": _row(1.2)}
    data = {
        "machine": machine,
        "workload": "tiny",
        "repeats": 5,
        "quick": False,
        "results": results,
        "targets": overhead.check_targets(results, "jax"),
    }
    (tmp_path / "jax-tiny.json").write_text(json.dumps(data))
    # Other benchmarks write next to it (nox -s bench): the report skips them.
    (tmp_path / "segmentation-jax.json").write_text(json.dumps({"machine": machine}))
    reports = report.load(tmp_path)
    text = report.table(reports)
    assert "| extras_f1 | 1.300 (×1.30) | 72 | 10.0 |" in text
    assert "misses target" in text
    assert "test cpu, 2 cores" in text


def test_classes_report_and_memory_guard(tmp_path):
    from benchmarks import classes

    machine = {
        "backend": "torch",
        "cpu": "test cpu",
        "cores": 2,
        "device": "cpu",
        "date": "2026-11-30",
        "versions": {"keras": "3", "torch": "2"},
    }
    row = {"ms": 0.5, "min_ms": 0.4, "state_bytes": 240, "ratio_to_keras_f1": 0.5}
    keras_row = {**row, "ms": 1.0, "state_bytes": 160, "ratio_to_keras_f1": 1.0}
    data = {
        "machine": machine,
        "batch": 256,
        "repeats": 5,
        "quick": False,
        "ops_before": {"f1": [26, 25], "classification_8": [26, 111]},
        "ops_after": {"f1": [31, 9], "classification_8": [31, 69]},
        "eager": {
            "10": {
                "keras_f1": keras_row,
                "extras_f1": row,
                "extras_confusion_matrix": {"skipped": "state 18.6 GiB > budget"},
            }
        },
        "fit": {},
    }
    (tmp_path / "classes-torch.json").write_text(json.dumps(data))
    text = classes.report(tmp_path)
    assert "| extras_f1 | ×0.50 |" in text
    assert "| extras_confusion_matrix | skipped (C×C memory) |" in text
    # keras-extras 0.1, the commit before the count update, then this run.
    assert "| f1 | (26, 25) | (53, 16) | (31, 9) |" in text
    # A C x C state at 50,000 classes needs 20 GB: more than the guard allows here.
    assert classes.expected_bytes(None, 50_000) == 2e10
    assert classes.expected_bytes(24, 50_000) == 1_200_000


def test_segmentation_report_gives_the_ratio(tmp_path):
    from benchmarks import segmentation

    rows = {
        "keras_mean_iou": {"eager": 10.0, "compiled": 2.0},
        "extras_jaccard_index": {"eager": 5.0, "compiled": None},
    }
    result = {"machine": {"backend": "torch"}, "repeats": 3, "ms_per_step": rows}
    (tmp_path / "segmentation-torch.json").write_text(json.dumps(result))
    table = segmentation.report(tmp_path)
    assert "| torch | eager | 10.00 | 5.00 | 0.50 |" in table
    assert "compiled" not in table  # a path one side lacks is left out


def _state_bytes(metric):
    return sum(
        int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in metric.variables
    )


def test_committed_state_bytes_are_the_codes():
    """State bytes are a property of the code: the committed benchmark results
    must say what it holds (refresh them with `python -m benchmarks.classes
    --backend <b> --refresh-state` after changing a state)."""
    factories = classes.metric_factories(keras.backend.backend())
    for path in sorted(classes.RESULTS.glob("classes-*.json")):
        data = json.loads(path.read_text())
        for size, rows in data["eager"].items():
            for name, row in rows.items():
                if not name.startswith("extras_") or "state_bytes" not in row:
                    continue
                metric = factories[name][0](int(size))
                assert row["state_bytes"] == _state_bytes(metric), (path.name, name)


QUOTED = re.compile(
    r"`F1Score` keeps ([\d.]+) MB\s+at 50,000\s+classes \(Keras' `F1Score` ([\d.]+) MB"
)


def test_state_figures_quoted_in_the_docs_are_the_codes():
    """Every page that quotes the state at 50,000 classes quotes it in one
    phrase, with the figures the code holds (MB = 10**6 bytes)."""
    extras = _state_bytes(kem.F1Score(num_classes=50_000)) / 1e6
    keras_f1 = keras.metrics.F1Score(average="macro")
    one = np.zeros((1, 50_000), "float32")
    keras_f1.update_state(one, one)  # Keras sizes its state at the first batch
    reference = _state_bytes(keras_f1) / 1e6
    root = pathlib.Path(__file__).parent.parent
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    quoted = 0
    for page in pages:
        text = page.read_text()
        found = QUOTED.findall(text)
        mentions = len(re.findall(r"MB[^.]*at 50,000|50,000 classes[^.]*MB", text))
        assert len(found) >= (mentions > 0), page.name
        for ours, theirs in found:
            assert float(ours) == pytest.approx(extras, abs=0.05), page.name
            assert float(theirs) == pytest.approx(reference, abs=0.05), page.name
            quoted += 1
    assert quoted >= 3  # README, docs/benchmarks.md, docs/metrics.md


def _benchmark_rows(text):
    """The rows of the tables in the "Benchmarks" sections of a page."""
    rows, inside = [], False
    for line in text.splitlines():
        if line.startswith("## "):
            inside = line.startswith("## Benchmarks")
        elif inside and line.startswith("| ") and not line.startswith("| ---"):
            rows.append(line)
    return rows


def test_benchmark_tables_in_the_readme_quote_committed_results():
    """Each number of the README's benchmark tables is in a committed result
    (`benchmarks/results/*.md`, written by the benchmarks), so a re-run that
    moves a figure leaves no old number behind unnoticed."""
    root = pathlib.Path(__file__).parent.parent
    results = "\n".join(
        path.read_text() for path in (root / "benchmarks" / "results").glob("*.md")
    )
    rows = _benchmark_rows((root / "README.md").read_text())
    assert rows, "the README has benchmark tables"
    missing = [
        number
        for row in rows
        for number in re.findall(r"(?<![\w.])\d+\.\d+(?![\w.])", row)
        if number not in results
    ]
    assert missing == []


NUMBER = re.compile(r"(?<![\w.])\d+\.\d+(?:e-?\d+)?(?![\w.])")
# Figures the pages state that are settings, not measurements.
SETTINGS = {"0.01", "0.3", "0.5", "0.1", "0.97"}


def _committed_numbers():
    """Every number in the committed results (markdown and JSON)."""
    folder = pathlib.Path(__file__).parent.parent / "benchmarks" / "results"
    numbers = set()
    for path in folder.iterdir():
        if path.suffix in (".md", ".json"):
            found = re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", path.read_text())
            numbers.update(float(n) for n in found)
    return numbers


def _quotes_a_result(figure, numbers):
    """`figure` is some committed number written to the figure's precision."""
    if "e" in figure:
        digits = len(figure.split("e")[0].split(".")[1])
        return any(float(f"{n:.{digits}e}") == float(figure) for n in numbers)
    digits = len(figure.split(".")[1])
    return any(f"{n:.{digits}f}" == figure for n in numbers)


def _quoted_figures(text):
    """The decimal figures of a page's prose and tables (code blocks skipped)."""
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    return [n for n in NUMBER.findall(prose) if n not in SETTINGS]


def _section(text, heading):
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end > 0 else None]


def test_every_measured_figure_in_the_docs_comes_from_a_committed_result():
    """The benchmarks page, the Bootstrap section of the metrics reference and the
    README's accuracy paragraph quote only committed results (or include them),
    so a re-run or a change of the code cannot leave an old figure behind."""
    root = pathlib.Path(__file__).parent.parent
    numbers = _committed_numbers()
    readme = (root / "README.md").read_text()
    pages = {
        "docs/benchmarks.md": (root / "docs" / "benchmarks.md").read_text(),
        "docs/metrics.md#intervals": _section(
            (root / "docs" / "metrics.md").read_text(), "## Confidence intervals"
        ),
        "README.md#ranking": readme[
            readme.index("AUROC and average precision are exact") :
        ].split("\n\n")[0],
    }
    for page, text in pages.items():
        figures = _quoted_figures(text)
        assert figures or "--8<--" in text, page
        stale = [n for n in figures if not _quotes_a_result(n, numbers)]
        assert stale == [], page


def test_the_figure_check_catches_a_stale_figure():
    numbers = {0.123456, 2.0e-3}
    assert _quotes_a_result("0.12", numbers)
    assert _quotes_a_result("2.0e-3", numbers)
    assert not _quotes_a_result("0.13", numbers)
    assert not _quotes_a_result("2.1e-3", numbers)
    assert _quoted_figures("a 0.5 and 1.25\n```\n3.5\n```") == ["1.25"]

"""The benchmark harness' bookkeeping (its timings live in benchmarks/, not here)."""

import json

from benchmarks import overhead, report


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
    reports = report.load(tmp_path)
    text = report.table(reports)
    assert "| extras_f1 | 1.300 (×1.30) | 72 | 10.0 |" in text
    assert "misses target" in text
    assert "test cpu, 2 cores" in text

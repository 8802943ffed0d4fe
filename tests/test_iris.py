"""The Iris job end to end, with few epochs, on the backend under test."""

import json
import subprocess
import sys


def test_iris_job_runs_and_reloads(tmp_path, backend):
    out = tmp_path / "run"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "keras_extras.examples.iris",
            "--backend",
            backend,
            "--epochs",
            "4",
            "--quiet",
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "same test metrics" in completed.stdout
    manifest = json.loads((out / "checkpoints" / "checkpoints.json").read_text())
    assert 1 <= len(manifest["checkpoints"]) <= 3
    for picture in (
        "history.png",
        "confusion_matrix.png",
        "curves.png",
        "reliability.png",
    ):
        assert (out / picture).stat().st_size > 0
    csv = (out / "history.csv").read_text().splitlines()
    assert len(csv) == 5
    assert {"learning_rate", "val_f1_setosa"} <= set(csv[0].split(","))
    report = json.loads((out / "classification_report.json").read_text())
    assert report[-1]["class_names"] == ["setosa", "versicolor", "virginica"]
    summary = json.loads((out / "metrics.json").read_text())
    assert summary["backend"] == backend
    assert summary["reload_matches"] is True
    assert summary["epochs_run"] == 4
    assert 0.0 <= summary["test"]["accuracy"] <= 1.0
    for name in (
        "precision",
        "recall",
        "f1",
        "mcc",
        "kappa",
        "expected_calibration_error",
        "brier_score",
        "auroc",
        "uniform_kl_divergence",
        "predictive_entropy",
        "f1_score_low",
        "f1_score_high",
    ):
        assert name in summary["test"]

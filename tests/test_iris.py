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
    assert (out / "best.keras").stat().st_size > 0
    assert (out / "history.csv").read_text().count("\n") == 5
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
    ):
        assert name in summary["test"]

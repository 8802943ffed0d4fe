"""The Iris job end to end, with few epochs, on the backend under test."""

import json
import os
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
    assert {"learning_rate", "val_f1/setosa"} <= set(csv[0].split(","))
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


def test_framework_start_up_noise_is_kept_out_and_errors_are_not(capfd):
    from keras_extras.examples.iris import framework_start_up_filtered

    noise = [
        "WARNING: All log messages before absl::InitializeLog() is called are "
        "written to STDERR",
        "I0000 00:00:1796037131.136398   28037 port.cc:153] oneDNN custom "
        "operations are on.",
        "E0000 00:00:1721 cuda_executor.cc:1015] failed call to cuInit: "
        "UNKNOWN ERROR (303)",
        "W0000 00:00:17 gpu_device.cc:2344] Cannot dlopen some GPU libraries. "
        "Skipping registering GPU devices... GPU will not be used.",
    ]
    kept = [
        "E0000 00:00:17 op_kernel.cc:1839] OP_REQUIRES failed: out of memory",
        "UserWarning: something the user must see",
    ]
    with framework_start_up_filtered():
        for line in noise + kept:
            os.write(2, (line + "\n").encode())
    err = capfd.readouterr().err
    assert err.splitlines() == kept

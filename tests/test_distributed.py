"""Data-parallel correctness: every metric and callback under JAX `DataParallel`
(4 CPU devices) and TensorFlow `MirroredStrategy` (2 logical CPUs) gives the
single-device results; on every backend, state merges by addition."""

import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest
from helpers import to_numpy
from metric_suite import all_metrics, data

HERE = pathlib.Path(__file__).parent
BACKEND = keras.backend.backend()


@pytest.mark.skipif(
    BACKEND == "torch",
    reason="Keras has no data-parallel distribution for torch; see the merge test",
)
def test_metrics_and_callbacks_under_data_parallel(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    completed = subprocess.run(
        [sys.executable, str(HERE / "distributed_check.py"), BACKEND, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    for name, expected in result["reference"].items():
        for logs in (result["evaluate"], result["fit"]):
            np.testing.assert_allclose(logs[name], expected, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(result["fit"][f"val_{name}"], expected, atol=1e-6)
    keys = result["callbacks"]["history_keys"]
    for key in ("learning_rate", "ms_per_step", "val_f1_0", "samples_per_second"):
        assert key in keys
    assert sorted(result["callbacks"]["pictures"]) == ["cm.png", "history.png"]


def test_state_merges_by_addition_for_every_metric():
    """What an all-reduce relies on: summing the variables of two metrics that saw
    two halves of the data gives the metric that saw all of it."""
    labels, probs, weights = data()
    for whole, first, second, merged in zip(
        all_metrics(), all_metrics(), all_metrics(), all_metrics(), strict=True
    ):
        whole.update_state(labels, probs, sample_weight=weights)
        first.update_state(labels[:23], probs[:23], sample_weight=weights[:23])
        second.update_state(labels[23:], probs[23:], sample_weight=weights[23:])
        assert all(v.aggregation == "sum" for v in whole.variables), whole.name
        for target, a, b in zip(
            merged.variables, first.variables, second.variables, strict=True
        ):
            target.assign(a + b)
        expected, got = to_numpy(whole.result()), to_numpy(merged.result())
        if not isinstance(expected, dict):
            expected, got = {whole.name: expected}, {whole.name: got}
        for key, value in expected.items():
            np.testing.assert_allclose(got[key], value, atol=1e-6, err_msg=key)

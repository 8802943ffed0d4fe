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
from helpers import PassThrough, assert_same_results, to_numpy, zero_loss
from metric_suite import all_metrics, data

import keras_extras.callbacks as kec
import keras_extras.metrics as kem
from keras_extras.distributed import (
    is_main_process,
    merge_state,
    process_count,
    process_index,
)

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
    for key in ("learning_rate", "ms_per_step", "val_f1/0", "samples_per_second"):
        assert key in keys
    assert sorted(result["callbacks"]["pictures"]) == ["cm.png", "history.png"]
    if BACKEND == "tensorflow":  # 2 replicas at 2**30 each, summed on read: exact
        assert result["large_count_merge_error"] == 0.0


def _merge_all(metrics):
    """Merge `metrics` (one per simulated process) with `merge_state`, each call of
    the all-reduce returning the sum of that call's tensor over the processes."""
    recorded = []
    for metric in metrics:
        calls = []
        merge_state(metric, lambda flat, calls=calls: calls.append(flat) or flat)
        recorded.append([np.asarray(keras.ops.convert_to_numpy(f)) for f in calls])
    sums = [sum(parts) for parts in zip(*recorded, strict=True)]
    for metric in metrics:
        replies = iter(sums)
        merge_state(
            metric,
            lambda flat, replies=replies: keras.ops.convert_to_tensor(next(replies)),
        )


def test_merge_state_gives_every_process_the_metric_of_all_the_data():
    """What an all-reduce relies on: summing the state of metrics that saw parts
    of the data gives, on every process, the metric that saw all of it."""
    labels, probs, weights = data()
    parts = (slice(0, 32), slice(32, 64))  # one batch shape: one eager compile (JAX)
    suites = [all_metrics(True) for _ in parts]
    for suite, rows in zip(suites, parts, strict=True):
        for metric in suite:
            metric.update_state(labels[rows], probs[rows], sample_weight=weights[rows])
    for whole, *processes in zip(all_metrics(True), *suites, strict=True):
        seed = getattr(whole, "rng_state", None)  # Bootstrap's generator: not summed
        summed = [v for v in whole.variables if v is not seed]
        assert all(v.aggregation == "sum" for v in summed), whole.name
        whole.update_state(labels, probs, sample_weight=weights)
        _merge_all(processes)
        expected = to_numpy(whole.result())
        for merged in processes:
            assert_same_results(to_numpy(merged.result()), expected)


def test_merge_state_takes_an_in_place_all_reduce_and_one_call_per_dtype():
    metric = kem.Bootstrap(kem.F1Score(num_classes=3), num_replicates=4, seed=1)
    metric.update_state([0, 1, 2, 2], [0, 1, 1, 2])
    seed_state = to_numpy(metric.rng_state.value)
    before = to_numpy(metric.result())
    calls = []

    def doubling_in_place(flat):  # as torch.distributed.all_reduce: returns None
        calls.append(tuple(flat.shape))
        if BACKEND == "torch":
            flat.mul_(2.0)
            return None
        return flat * 2.0  # jax and tf tensors are immutable

    merge_state(metric, doubling_in_place)
    assert len(calls) == 1  # the state (float32); the seed (aggregation "none") stays
    np.testing.assert_array_equal(to_numpy(metric.rng_state.value), seed_state)
    after = to_numpy(metric.result())  # twice every count: the same scores
    for key, value in before.items():
        np.testing.assert_allclose(after[key], value, atol=1e-6, err_msg=key)
    state = to_numpy(metric.replicates.value())
    assert state.sum() > 0


def test_merge_state_rejects_what_it_cannot_merge():
    with pytest.raises(TypeError, match="`metric` must be a keras.metrics.Metric"):
        merge_state("f1", lambda flat: flat)
    with pytest.raises(TypeError, match="`all_reduce_sum` must be callable"):
        merge_state(kem.F1Score(num_classes=3), "sum")

    class Averaged(keras.metrics.Metric):
        def __init__(self):
            super().__init__(name="averaged")
            self.value = self.add_variable((), "zeros", aggregation="mean", name="v")

        def update_state(self, x):
            pass

        def result(self):
            return self.value.value

    with pytest.raises(ValueError, match="aggregation is 'mean'"):
        merge_state(Averaged(), lambda flat: flat)


@pytest.mark.parametrize(
    "env,expected",
    [
        ({}, (0, 1)),
        ({"RANK": "3", "WORLD_SIZE": "4"}, (3, 4)),
        ({"RANK": "1"}, (0, 1)),  # no count: one process, which writes its files
        (
            {
                "KERAS_DISTRIBUTION_PROCESS_ID": "1",
                "KERAS_DISTRIBUTION_NUM_PROCESSES": "2",
            },
            (1, 2),
        ),
        (
            {
                "TF_CONFIG": json.dumps(
                    {
                        "cluster": {"worker": ["a:1", "b:1"]},
                        "task": {"type": "worker", "index": 1},
                    }
                )
            },
            (1, 2),
        ),
        (
            {
                "TF_CONFIG": json.dumps(
                    {
                        "cluster": {"chief": ["c:1"], "worker": ["a:1"]},
                        "task": {"type": "worker", "index": 0},
                    }
                )
            },
            (1, 2),
        ),
        (
            {
                "TF_CONFIG": json.dumps(
                    {
                        "cluster": {"chief": ["c:1"], "worker": ["a:1"]},
                        "task": {"type": "chief", "index": 0},
                    }
                )
            },
            (0, 2),
        ),
    ],
)
def test_process_index_reads_what_the_launcher_set(monkeypatch, env, expected):
    for name in (
        "RANK",
        "WORLD_SIZE",
        "TF_CONFIG",
        "KERAS_DISTRIBUTION_PROCESS_ID",
        "KERAS_DISTRIBUTION_NUM_PROCESSES",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert (process_index(), process_count()) == expected
    assert is_main_process() == (expected[0] == 0)


def test_a_bad_tf_config_is_named(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="Invalid TF_CONFIG"):
        process_index()


def test_other_processes_write_no_file_and_time_limit_refuses(tmp_path, monkeypatch):
    """Rank 1 of 2: callbacks compute but write nothing; TimeLimit will not start."""
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    labels, probs, _ = data()
    model = keras.Sequential([keras.Input(shape=(3,)), PassThrough()])
    model.compile(optimizer="sgd", loss=zero_loss, metrics=[kem.F1Score(num_classes=3)])
    callbacks = [
        kec.BestCheckpoints(tmp_path / "checkpoints", monitor="f1_score", mode="max"),
        kec.PlotHistory(tmp_path / "history.png"),
        kec.ConfusionMatrixPlot((probs, labels), tmp_path / "cm.png"),
        kec.ClassificationReport((probs, labels), path=tmp_path / "report.json"),
    ]
    history = model.fit(probs, labels, epochs=2, verbose=0, callbacks=callbacks)
    assert "val_f1/0" in history.history  # the report still logs, as on rank 0
    assert list(tmp_path.rglob("*")) == []
    assert callbacks[0].best_model_path is None
    with pytest.raises(RuntimeError, match="TimeLimit cannot stop 2 training"):
        model.fit(probs, labels, epochs=1, verbose=0, callbacks=[kec.TimeLimit(60)])

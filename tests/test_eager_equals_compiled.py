"""Every public metric gives the same result eagerly and compiled, on every backend.

Many value tests go through `helpers.run_metric`, which is compiled on JAX (eager
JAX compiles each op again for each new input shape). This file keeps each
metric's eager path tested there too, and `run_metric`'s compiled path tested
everywhere: two weighted batches of one fixed shape,
`update_state`/`result()` eagerly against `stateless_update_state`/`stateless_result`
under `compile_function` (XLA on JAX and TensorFlow; torch runs the stateless path
eagerly).
"""

import keras
import numpy as np
import pytest
from helpers import run_compiled, run_eager
from metric_suite import all_metrics, data
from registry import METRICS

import keras_extras.metrics as kem

BACKEND = keras.backend.backend()


def _extra_metrics():
    return [
        kem.F1Score(num_classes=3, average=None),
        kem.Recall(num_classes=3, top_k=2),
        kem.F1Score(task="binary"),
        kem.BestThreshold(task="binary", num_thresholds=11),
        kem.Bootstrap(kem.F1Score(num_classes=3), num_replicates=8, seed=1),
        kem.Bootstrap(kem.AUROC(task="binary", num_thresholds=11), 8, seed=2),
        kem.Bootstrap(kem.F1Score(num_classes=3, average=None), 8, seed=3),
        kem.Bootstrap(
            kem.AUROC(num_classes=3, average=None, num_thresholds=11), 8, seed=4
        ),
    ]


def _segmentation_metrics():
    return [kem.DiceScore(num_classes=3), kem.JaccardIndex(num_classes=3)]


def _batches(binary=False, segmentation=False):
    labels, probs, weights = data()
    if binary:
        labels, probs = (labels == 1).astype("int32"), probs[:, 1]
    if segmentation:  # 4 images of 4x4 pixels
        labels, probs = labels.reshape(4, 4, 4), probs.reshape(4, 4, 4, 3)
        weights = weights.reshape(4, 4, 4)
    half = len(labels) // 2
    return [
        (labels[:half], probs[:half], weights[:half]),
        (labels[half:], probs[half:], weights[half:]),
    ]


CASES = [(m, False) for m in all_metrics() + _extra_metrics()] + [
    (m, True) for m in _segmentation_metrics()
]


@pytest.mark.parametrize(
    "metric,segmentation",
    CASES,
    ids=[f"{i}-{case[0].name}" for i, case in enumerate(CASES)],
)
def test_eager_equals_compiled(metric, segmentation):
    scored = metric._scored if isinstance(metric, kem.Bootstrap) else metric
    binary = getattr(scored, "task", None) == "binary"
    batches = _batches(binary, segmentation)
    eager = run_eager(metric, batches)
    compiled = run_compiled(metric, batches)
    for key in eager if isinstance(eager, dict) else [None]:
        got = compiled if key is None else compiled[key]
        want = eager if key is None else eager[key]
        assert np.all(np.isfinite(want)), key
        if key and key.endswith(("_low", "_high")) and BACKEND == "tensorflow":
            # TensorFlow draws other random numbers under XLA than eagerly from
            # the same seed (tf.random.stateless_uniform, seed [1, 2]: 0.844...
            # eagerly and in tf.function, 0.257... with jit_compile=True), so the
            # replicates differ; each interval still brackets the point.
            point = compiled[key.rsplit("_", 1)[0]]
            assert (got <= point) if key.endswith("_low") else (got >= point)
            continue
        np.testing.assert_allclose(got, want, atol=1e-6, err_msg=str(key))


def test_every_public_metric_is_checked_here():
    """Here, or (metrics of other inputs than the suite's classification data)
    by `test_regression.py` and `test_rows.py`, which run every registered
    metric of their inputs eagerly and compiled."""
    checked = {type(metric).__name__ for metric, _ in CASES}
    checked |= {
        type(entry.make()).__name__
        for entry in METRICS.values()
        if entry.inputs != "classification"
    }
    public = {
        name
        for name in kem.__all__
        if isinstance(getattr(kem, name), type)
        and issubclass(getattr(kem, name), keras.metrics.Metric)
    }
    assert public <= checked, f"add to CASES: {sorted(public - checked)}"

"""The metric suite that the data-parallel, merge, mixed-precision, NaN and
empty-batch tests run: every keras-extras metric of the registry
(`registry.METRICS`), on one small multiclass data set."""

import numpy as np
from registry import METRICS


def all_metrics(include_random=False, inputs="classification"):
    """One of each registered metric that reads `inputs`; those that draw
    random numbers (`Bootstrap`) only with `include_random` (their interval
    bounds depend on how the data is split into batches)."""
    return [
        entry.make()
        for entry in METRICS.values()
        if (include_random or not entry.random) and entry.inputs == inputs
    ]


def representative_metrics():
    """The classification metrics that together take every kind of state and
    input path (one per family and state layout): what the heavy compiled runs
    use."""
    return [
        entry.make()
        for entry in METRICS.values()
        if entry.representative and entry.inputs == "classification"
    ]


def data():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 64).astype("int32")
    probs = rng.dirichlet(np.ones(3), 64)
    probs = (np.round(probs * 10) / 10 + 1e-3).astype("float32")
    probs /= probs.sum(-1, keepdims=True)
    weights = rng.uniform(0.5, 2.0, 64).astype("float32")
    return labels, probs, weights


def regression_data():
    """Targets far from 0 (1000 ± 1), predictions and weights, 3 outputs."""
    rng = np.random.default_rng(0)
    targets = (1000.0 + rng.normal(size=(64, 3))).astype("float32")
    predictions = (targets + 0.5 * rng.normal(size=(64, 3))).astype("float32")
    weights = rng.uniform(0.5, 2.0, 64).astype("float32")
    return targets, predictions, weights


def rows_data():
    """Multi-hot rows (one empty, one full), tied scores, weights: 3 labels."""
    labels, probs, weights = data()
    rows = (np.random.default_rng(1).random((64, 3)) < 0.5).astype("float32")
    rows[0], rows[1] = 0.0, 1.0
    return rows, probs, weights


def data_for(entry):
    """`(y_true, y_pred, sample_weight)` for a registry entry's inputs."""
    return {"regression": regression_data, "rows": rows_data}.get(entry.inputs, data)()

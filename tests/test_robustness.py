"""Mixed precision, interrupted-and-resumed training, and bad inputs."""

import keras
import numpy as np
import pytest
from helpers import (
    BATCH_SIZES,
    assert_same_results,
    compiled_metrics,
    pass_through_model,
    run_eager,
    run_metric,
    to_numpy,
)
from hypothesis import given
from hypothesis import strategies as st
from metric_suite import all_metrics, data, representative_metrics
from registry import METRICS

import keras_extras.metrics as kem


def flat_logs(logs):
    return {k: np.asarray(to_numpy(v)) for k, v in logs.items() if k != "loss"}


@pytest.fixture
def restore_policy():
    policy = keras.config.dtype_policy()
    yield
    keras.config.set_dtype_policy(policy)


# The log keys of the metrics whose value moves by a whole sample's weight when a
# score crosses a bin or threshold edge (ECE, the curve metrics).
BINNED = {
    key for entry in METRICS.values() if entry.binned for key in entry.make().log_keys()
}


def dyadic_data():
    """Probabilities exact in float16 and bfloat16, away from every bin edge."""
    labels, _, weights = data()
    rows = np.array(
        [
            [0.5, 0.25, 0.25],
            [0.75, 0.125, 0.125],
            [0.375, 0.375, 0.25],
            [0.125, 0.75, 0.125],
            [0.25, 0.125, 0.625],
        ],
        "float32",
    )
    return labels, rows[np.arange(len(labels)) % len(rows)], weights


def _evaluate(labels, probs, weights):
    model = pass_through_model(probs.shape, representative_metrics())
    logs = model.evaluate(
        probs, labels, sample_weight=weights, batch_size=16, verbose=0, return_dict=True
    )
    return model, flat_logs(logs)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("inputs", ["dyadic", "random"])
def test_mixed_precision_matches_float32(policy, inputs, restore_policy):
    """Low-precision predictions, full-precision state, float32 results within 1e-3.

    On random probabilities the binned metrics (ECE, AUROC, AP) are left out: a
    prediction rounded to 16 bits can cross a bin edge, which moves them by a
    whole sample's weight. On dyadic probabilities every metric is compared.
    """
    labels, probs, weights = dyadic_data() if inputs == "dyadic" else data()
    _, reference = _evaluate(labels, probs, weights)
    keras.config.set_dtype_policy(policy)
    model, low = _evaluate(labels, probs, weights)
    assert model.layers[-1].compute_dtype in ("float16", "bfloat16")
    for metric in compiled_metrics(model):
        assert all(v.dtype == "float32" for v in metric.variables), metric.name
    assert set(low) == set(reference)
    for name, value in reference.items():
        if inputs == "random" and name in BINNED:
            continue
        np.testing.assert_allclose(low[name], value, atol=1e-3, err_msg=name)


def _train(tmp_path, interrupt_at=None):
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 96).astype("int32")
    x = (rng.normal(size=(96, 4)) + np.eye(3, 4)[y]).astype("float32")
    model = keras.Sequential(
        [keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")]
    )
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=[
            kem.ClassificationMetrics(num_classes=3, metrics=("f1", "mcc")),
            kem.ExpectedCalibrationError(),
            kem.AUROC(num_classes=3),
        ],
    )

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == interrupt_at:
                raise KeyboardInterrupt

    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    callbacks = [backup, Interrupt()]
    try:
        history = model.fit(
            x, y, batch_size=16, epochs=4, shuffle=False, verbose=0, callbacks=callbacks
        )
    except KeyboardInterrupt:
        history = model.fit(
            x, y, batch_size=16, epochs=4, shuffle=False, verbose=0, callbacks=[backup]
        )
    return {k: v[-1] for k, v in history.history.items()}


def test_resume_with_backup_and_restore_gives_the_same_metrics(tmp_path):
    straight = _train(tmp_path / "a")
    resumed = _train(tmp_path / "b", interrupt_at=1)
    assert set(straight) == set(resumed)
    for name, value in straight.items():
        assert resumed[name] == pytest.approx(value, abs=1e-6), name


# ---------------------------------------------------------------- bad inputs

METRIC_FACTORIES = {
    "classification": lambda: kem.ClassificationMetrics(
        num_classes=3, metrics=("f1", "mcc")
    ),
    "confusion_matrix": lambda: kem.ConfusionMatrix(num_classes=3),
    "ece": lambda: kem.ExpectedCalibrationError(),
    "brier": lambda: kem.BrierScore(),
    "auroc": lambda: kem.AUROC(num_classes=3),
    "kl": lambda: kem.UniformKLDivergence(),
}


@st.composite
def bad_batches(draw):
    """Wrong ranks and class counts, mismatched batches, odd dtypes, empty
    batches, NaN/inf scores, zero and negative weights."""
    kind = draw(
        st.sampled_from(
            [
                "rank_1_pred",
                "rank_3_true",
                "wrong_classes",
                "batch_mismatch",
                "weight_mismatch",
                "empty",
                "nan_scores",
                "inf_scores",
                "bool_labels",
                "float_labels",
                "zero_weights",
                "negative_weights",
            ]
        )
    )
    rng = np.random.default_rng(draw(st.integers(0, 1000)))
    size = draw(st.sampled_from(BATCH_SIZES))
    y_true = rng.integers(0, 3, size).astype("int32")
    y_pred = rng.dirichlet(np.ones(3), size).astype("float32")
    weight = None
    if kind == "rank_1_pred":
        y_pred = y_pred[:, 0].copy()
    elif kind == "rank_3_true":
        y_true = y_true.reshape(size, 1, 1)
    elif kind == "wrong_classes":
        y_pred = rng.dirichlet(np.ones(5), size).astype("float32")
    elif kind == "batch_mismatch":
        y_true = np.concatenate([y_true, y_true])
    elif kind == "weight_mismatch":
        weight = np.ones(size + 2, "float32")
    elif kind == "empty":
        y_true, y_pred = y_true[:0], y_pred[:0]
    elif kind == "nan_scores":
        y_pred[0] = np.nan
    elif kind == "inf_scores":
        y_pred[0, 0] = np.inf
    elif kind == "bool_labels":
        y_true = y_true.astype(bool)
    elif kind == "float_labels":
        y_true = y_true.astype("float32")
    elif kind == "zero_weights":
        weight = np.zeros(size, "float32")
    elif kind == "negative_weights":
        weight = -np.ones(size, "float32")
    return kind, y_true, y_pred, weight


# Which metric raises on which bad input. A metric that does not use an input
# cannot object to it: the distribution metrics ignore y_true, and metrics without
# `num_classes` take the class count from y_pred.
ALL = set(METRIC_FACTORIES)
RAISES = {
    "rank_1_pred": {"auroc", "kl"},  # others: binary scores, or integer ids
    "rank_3_true": ALL - {"kl"},
    "wrong_classes": {"classification", "confusion_matrix", "auroc"},
    "batch_mismatch": ALL,
    "weight_mismatch": ALL,
}
# inf is not a probability: the probability metrics give NaN (scores outside
# [0, 1]), the distribution metrics propagate it.
NON_FINITE = {"inf_scores": {"ece", "brier", "auroc", "kl"}}


@pytest.mark.parametrize("name", sorted(METRIC_FACTORIES))
@given(case=bad_batches())
def test_bad_inputs_raise_clearly_or_give_documented_results(name, case):
    """Each bad input gets a ValueError/TypeError naming what was received, or a
    result that follows the documented rule; never a crash deep in a backend, and
    NaN scores are never counted."""
    kind, y_true, y_pred, weight = case
    metric = METRIC_FACTORIES[name]()
    if name in RAISES.get(kind, ()):
        with pytest.raises((ValueError, TypeError), match=r"Received|shape"):
            metric.update_state(y_true, y_pred, sample_weight=weight)
        return
    result = run_metric(metric, [(y_true, y_pred, weight)])
    values = np.concatenate(
        [
            np.ravel(v)
            for v in (result.values() if isinstance(result, dict) else [result])
        ]
    )
    if name in NON_FINITE.get(kind, ()):
        assert not np.isfinite(values).all()
    else:
        assert np.isfinite(values).all(), (kind, values)


def test_nan_rows_are_skipped_by_every_metric():
    labels, probs, weights = data()
    spoiled = probs.copy()
    spoiled[:5] = np.nan
    every = zip(all_metrics(True), all_metrics(True), strict=True)
    for clean, dirty in every:
        expected = run_eager(clean, [(labels[5:], probs[5:], weights[5:])])
        got = run_eager(dirty, [(labels, spoiled, weights)])
        assert_same_results(got, expected)

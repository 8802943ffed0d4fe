"""UniformKLDivergence and PredictiveEntropy against numpy written from the
definitions, on every backend, eagerly and inside compiled fit/evaluate."""

import numpy as np
import pytest
from helpers import (
    BATCH_SIZES,
    CLASS_COUNTS,
    assert_save_load,
    logs_from_fit_and_evaluate,
    run_eager,
)
from hypothesis import given
from hypothesis import strategies as st

from keras_extras.metrics import PredictiveEntropy, UniformKLDivergence


def softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def reference_entropy(probs):
    """H(p) = -sum p log p with 0 log 0 = 0, in float64."""
    probs = np.asarray(probs, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(probs > 0, probs * np.log(probs), 0.0)
    return -terms.sum(axis=-1)


def reference(name, y_pred, weights, from_logits, normalize=False):
    probs = softmax(np.asarray(y_pred, np.float64)) if from_logits else y_pred
    num_classes = probs.shape[-1]
    if name == "kl":
        values = np.log(num_classes) - reference_entropy(probs)
    else:
        values = reference_entropy(probs)
        if normalize:
            values = values / np.log(num_classes)
    weights = np.broadcast_to(
        weights.reshape(weights.shape + (1,) * (values.ndim - weights.ndim)),
        values.shape,
    )
    return float((values * weights).sum() / weights.sum())


def make(name, from_logits, normalize=False):
    if name == "kl":
        return UniformKLDivergence(from_logits=from_logits)
    return PredictiveEntropy(normalize=normalize, from_logits=from_logits)


@st.composite
def distribution_batches(draw):
    """Several batches of probabilities (with exact zeros and ones) or logits."""
    num_classes = draw(st.sampled_from(CLASS_COUNTS))
    from_logits = draw(st.booleans())
    seed = draw(st.integers(0, 2**31 - 1))
    sizes = draw(st.lists(st.sampled_from(BATCH_SIZES), min_size=1, max_size=4))
    weighted = draw(st.booleans())
    rng = np.random.default_rng(seed)
    batches = []
    for size in sizes:
        logits = rng.normal(scale=3.0, size=(size, num_classes)).astype("float32")
        if from_logits:
            y_pred = logits
        else:
            y_pred = softmax(logits).astype("float32")
            # Edge cases the tutorial's metric got wrong: p = 0 and p = 1.
            y_pred[rng.random(size) < 0.3] = np.eye(num_classes, dtype="float32")[0]
        weight = rng.uniform(0.1, 3.0, size).astype("float32") if weighted else None
        batches.append((np.zeros(size, "int32"), y_pred, weight))
    return from_logits, batches


@pytest.mark.parametrize(
    "name,normalize", [("kl", False), ("entropy", False), ("entropy", True)]
)
@given(data=distribution_batches())
def test_matches_reference_over_batches(name, normalize, data):
    from_logits, batches = data
    metric = make(name, from_logits, normalize)
    got = run_eager(metric, batches)
    y_pred = np.concatenate([b[1] for b in batches])
    weights = np.concatenate(
        [b[2] if b[2] is not None else np.ones(len(b[1]), "float32") for b in batches]
    )
    expected = reference(name, y_pred, weights, from_logits, normalize)
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)


def test_extremes_are_finite():
    uniform = np.full((2, 4), 0.25, "float32")
    one_hot = np.eye(4, dtype="float32")[:2]
    kl = UniformKLDivergence()
    assert run_eager(kl, [(np.zeros(2), uniform, None)]) == pytest.approx(0.0, abs=1e-6)
    assert run_eager(kl, [(np.zeros(2), one_hot, None)]) == pytest.approx(
        np.log(4), abs=1e-6
    )
    entropy = PredictiveEntropy(normalize=True)
    assert run_eager(entropy, [(np.zeros(2), uniform, None)]) == pytest.approx(
        1.0, abs=1e-6
    )
    assert run_eager(entropy, [(np.zeros(2), one_hot, None)]) == pytest.approx(
        0.0, abs=1e-6
    )


def test_per_token_predictions_with_per_sequence_weights():
    rng = np.random.default_rng(3)
    y_pred = softmax(rng.normal(size=(4, 5, 3))).astype("float32")
    weight = np.array([1.0, 0.0, 2.0, 0.5], "float32")
    got = run_eager(UniformKLDivergence(), [(np.zeros((4, 5)), y_pred, weight)])
    np.testing.assert_allclose(got, reference("kl", y_pred, weight, False), atol=1e-6)


def test_empty_state_gives_zero():
    assert float(UniformKLDivergence().result()) == 0.0


@pytest.mark.parametrize("name", ["kl", "entropy"])
def test_model_fit_and_evaluate(name):
    rng = np.random.default_rng(7)
    y_pred = rng.normal(size=(50, 3)).astype("float32")
    y_true = rng.integers(0, 3, 50).astype("int32")
    weight = rng.uniform(0.5, 2.0, 50).astype("float32")
    metric_name = make(name, True).name
    fit_logs, eval_logs = logs_from_fit_and_evaluate(
        lambda: make(name, True, normalize=True), y_true, y_pred, weight, batch_size=16
    )
    expected = reference(name, y_pred, weight, True, normalize=True)
    np.testing.assert_allclose(fit_logs[metric_name], expected, atol=1e-5)
    np.testing.assert_allclose(eval_logs[metric_name], expected, atol=1e-5)


@pytest.mark.parametrize("name", ["kl", "entropy"])
def test_save_and_load_without_custom_objects(name, tmp_path):
    rng = np.random.default_rng(1)
    y_pred = softmax(rng.normal(size=(20, 3))).astype("float32")
    y_true = rng.integers(0, 3, 20).astype("int32")
    assert_save_load(lambda: make(name, False), y_true, y_pred, tmp_path)


def test_monitor_direction():
    assert UniformKLDivergence()._direction == "up"
    assert PredictiveEntropy()._direction == "down"


@pytest.mark.parametrize("cls", [UniformKLDivergence, PredictiveEntropy])
def test_rank_1_predictions_raise(cls):
    with pytest.raises(ValueError, match=r"y_pred.shape=\(4,\)"):
        cls().update_state(np.zeros(4), np.full(4, 0.5, "float32"))


@pytest.mark.parametrize("cls", [UniformKLDivergence, PredictiveEntropy])
def test_mismatched_batch_sizes_raise(cls):
    with pytest.raises(ValueError, match=r"y_true.shape=\(3,\).*y_pred.shape=\(4, 2\)"):
        cls().update_state(np.zeros(3), np.full((4, 2), 0.5, "float32"))


def test_mismatched_sample_weight_raises():
    with pytest.raises(ValueError, match=r"sample_weight.shape=\(3,\)"):
        UniformKLDivergence().update_state(
            np.zeros(4), np.full((4, 2), 0.5, "float32"), sample_weight=np.ones(3)
        )

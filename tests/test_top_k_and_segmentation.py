"""Top-k scores (torchmetrics' definition) and segmentation scores (IoU, Dice on
pixels) against scikit-learn and numpy, eagerly and in compiled evaluate, with
weights and several batches, on the backend under test."""

import importlib.util

import keras
import numpy as np
import pytest
from helpers import assert_both, run_eager
from sklearn import metrics as skm

import keras_extras.metrics as kem


def refine_top_k(labels, scores, k):
    """torchmetrics' rule: the label where it is among the k highest scores, else
    the arg-max."""
    top = np.argsort(-scores, axis=-1, kind="stable")[..., :k]
    hit = (top == labels[..., None]).any(-1)
    return np.where(hit, labels, scores.argmax(-1))


def problem(samples=24, classes=5, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, samples)
    scores = rng.dirichlet(np.ones(classes), samples).astype("float32")
    weight = rng.uniform(0.5, 2.0, samples).astype("float32")
    return labels, scores, weight


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("average", ["micro", "macro", "weighted"])
def test_top_k_scores_match_the_definition(k, average):
    labels, scores, weight = problem(seed=k)
    refined = refine_top_k(labels, scores, k)
    assert (refined != scores.argmax(-1)).any()  # top-k changes something
    cases = [
        (kem.Precision, skm.precision_score),
        (kem.Recall, skm.recall_score),
        (kem.F1Score, skm.f1_score),
    ]
    for cls, reference in cases:
        expected = reference(
            labels,
            refined,
            average=average,
            labels=range(5),
            sample_weight=weight,
            zero_division=0,
        )
        make = lambda cls=cls: cls(num_classes=5, average=average, top_k=k)  # noqa: E731
        assert_both(make, labels, scores, expected, weight=weight, atol=1e-6)
    accuracy = skm.accuracy_score(labels, refined, sample_weight=weight)
    make = lambda: kem.ClassificationMetrics(  # noqa: E731
        num_classes=5, metrics=["accuracy"], top_k=k, name="top_k"
    )
    got = run_eager(make(), [(labels, scores, weight)])
    np.testing.assert_allclose(got["accuracy"], accuracy, atol=1e-6)


@pytest.mark.skipif(
    keras.backend.backend() != "torch" or not importlib.util.find_spec("torchmetrics"),
    reason="torchmetrics is the peer reference on torch, where it is installed",
)
def test_top_k_recall_equals_torchmetrics():
    import torch
    from torchmetrics.classification import MulticlassRecall

    labels, scores, _ = problem(seed=7)
    peer = MulticlassRecall(num_classes=5, top_k=2, average="macro")
    expected = float(peer(torch.tensor(scores), torch.tensor(labels)))
    got = run_eager(kem.Recall(num_classes=5, top_k=2), [(labels, scores, None)])
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_top_k_arguments_are_checked():
    with pytest.raises(ValueError, match="top_k=0"):
        kem.F1Score(num_classes=3, top_k=0)
    with pytest.raises(ValueError, match="top_k=2, task='binary'"):
        kem.F1Score(task="binary", top_k=2)
    with pytest.raises(ValueError, match="num_classes=3.*top_k=4"):
        kem.Recall(num_classes=3, top_k=4)
    with pytest.raises(ValueError, match="top_k=2.*class scores"):
        kem.Recall(num_classes=3, top_k=2).update_state([0, 1], [0, 2])
    config = kem.Recall(num_classes=3, top_k=2).get_config()
    assert kem.Recall.from_config(config).top_k == 2


# ---------------------------------------------------------------- segmentation


def segmentation(seed=0, classes=4, size=8):
    """Label maps `(B, H, W)` with a 255 border to ignore, and noisy score maps
    `(B, H, W, C)` in which every class appears."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, (6, size, size))
    labels[:, 0, :] = 255
    noisy = np.where(rng.random(labels.shape) < 0.7, labels % classes, 0)
    scores = np.eye(classes)[noisy] + rng.random(labels.shape + (classes,)) * 0.5
    scores = (scores / scores.sum(-1, keepdims=True)).astype("float32")
    weight = rng.uniform(0.5, 2.0, 6).astype("float32")  # one weight per image
    return labels, scores, weight


@pytest.mark.parametrize("average", ["micro", "macro", "weighted", None])
def test_iou_and_dice_on_pixels_match_sklearn(average):
    labels, scores, weight = segmentation()
    keep = labels != 255
    pixels_true = labels[keep]
    pixels_pred = scores.argmax(-1)[keep]
    pixel_weight = np.broadcast_to(weight[:, None, None], labels.shape)[keep]
    for cls, reference in [
        (kem.JaccardIndex, skm.jaccard_score),
        (kem.DiceScore, skm.f1_score),
    ]:
        expected = reference(
            pixels_true,
            pixels_pred,
            average=average,
            labels=range(4),
            sample_weight=pixel_weight,
        )
        make = lambda cls=cls: cls(  # noqa: E731
            num_classes=4, average=average, ignore_class=255
        )
        assert_both(make, labels, scores, expected, weight=weight, atol=1e-5)


def test_iou_equals_keras_mean_iou_where_they_overlap():
    """Keras' MeanIoU averages over the classes that occur; with every class
    present it is the macro IoU."""
    labels, scores, _ = segmentation(seed=3)
    labels = np.where(labels == 255, 0, labels)
    keras_iou = keras.metrics.MeanIoU(num_classes=4, sparse_y_pred=False)
    keras_iou.update_state(labels, scores)
    ours = kem.JaccardIndex(num_classes=4)
    ours.update_state(labels, scores)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ours.result()),
        keras.ops.convert_to_numpy(keras_iou.result()),
        atol=1e-6,
    )

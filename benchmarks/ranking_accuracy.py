"""Largest gap between keras-extras' streaming AUROC / average precision and
scikit-learn's exact values on continuous scores (default 200 thresholds).

Run: KERAS_BACKEND=torch python -m benchmarks.ranking_accuracy
Result (2026-11-28, 200 random problems: 2-7 classes, 50-2000 samples, softmax of
normal logits scaled 0.5-3 with the true class shifted by 0-3, half weighted):
    {'auroc': 0.0043, 'ap': 0.0227}
"""

import keras
import numpy as np
from sklearn import metrics as skm

import keras_extras.metrics as kem

worst = {"auroc": 0.0, "ap": 0.0}
for seed in range(200):
    rng = np.random.default_rng(seed)
    C = int(rng.integers(2, 8))
    n = int(rng.integers(50, 2000))
    labels = rng.integers(0, C, n)
    logits = (
        rng.normal(size=(n, C)) * rng.uniform(0.5, 3)
        + rng.uniform(0, 3) * np.eye(C)[labels]
    )
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    w = rng.uniform(0.1, 2, n) if seed % 2 else np.ones(n)
    ind = np.eye(C)[labels]
    for kind, cls, fn in (
        ("auroc", kem.AUROC, skm.roc_auc_score),
        ("ap", kem.AveragePrecision, skm.average_precision_score),
    ):
        m = cls(num_classes=C)
        m.update_state(
            labels, probs.astype("float32"), sample_weight=w.astype("float32")
        )
        got = float(keras.ops.convert_to_numpy(m.result()))
        present = [k for k in range(C) if 0 < ind[:, k].sum() < n]
        exp = np.mean([fn(ind[:, k], probs[:, k], sample_weight=w) for k in present])
        worst[kind] = max(worst[kind], abs(got - exp))
print(worst)

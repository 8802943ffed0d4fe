"""Framework ops per `update_state` and per `result()` of every metric the
overhead benchmark runs, next to Keras' nearest built-in and (torch)
torchmetrics' nearest metric.

Keras calls `result()` after every training step, so both counts are paid per
step. Counted in the framework's own program, on the inputs of
`benchmarks.overhead` (one-hot labels and softmax scores, 10 classes, batch
256): torch, the aten ops dispatched (each costs microseconds of Python and
dispatch eagerly, a kernel launch on a GPU); JAX, the equations of the traced
function (nested calls count one); TensorFlow, the operations of the traced
graph (constants, placeholders and identities left out). Counts are
deterministic: no timing, no machine dependence beyond the library versions.

Run:  python -m benchmarks.op_counts --backend torch   (one backend's JSON)
      python -m benchmarks.op_counts --report          (the table, every JSON)
"""

from __future__ import annotations

import argparse
import json
import os

from benchmarks._machine import RESULTS, describe, run_under_backend, write_report

CLASSES = 10
BATCH = 256
# torchmetrics' nearest metric to each keras-extras configuration (torch only).
TORCHMETRICS = {
    "extras_precision": ("MulticlassPrecision", {}),
    "extras_recall": ("MulticlassRecall", {}),
    "extras_f1": ("MulticlassF1Score", {}),
    "extras_fbeta": ("MulticlassFBetaScore", {"beta": 2.0}),
    "extras_specificity": ("MulticlassSpecificity", {}),
    "extras_mcc": ("MulticlassMatthewsCorrCoef", {}),
    "extras_kappa": ("MulticlassCohenKappa", {}),
    "extras_confusion_matrix": ("MulticlassConfusionMatrix", {}),
    "extras_ece": ("MulticlassCalibrationError", {}),
    "extras_auroc": ("MulticlassAUROC", {"thresholds": 200}),
    "extras_average_precision": ("MulticlassAveragePrecision", {"thresholds": 200}),
}


def inputs():
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    labels = rng.integers(0, CLASSES, BATCH)
    y = keras.ops.convert_to_tensor(np.eye(CLASSES, dtype="float32")[labels])
    p = keras.ops.convert_to_tensor(
        rng.dirichlet(np.ones(CLASSES), BATCH).astype("float32")
    )
    return y, p


def keras_metric_ops(metric, y, p) -> tuple[int, int]:
    """(ops per update, ops per result) of a Keras metric, built first."""
    from benchmarks.classes import _framework_ops

    metric.update_state(y, p)
    values = [v.value for v in metric.variables]

    def update(variables):
        return metric.stateless_update_state(variables, y, p)

    def result(variables):
        return metric.stateless_result(variables)

    backend = os.environ["KERAS_BACKEND"]
    return _framework_ops(backend, update, values), _framework_ops(
        backend, result, values
    )


def torchmetrics_ops(name: str, kwargs: dict, y, p) -> tuple[int, int] | None:
    """(dispatches per update, per compute) of a torchmetrics metric."""
    try:
        from torchmetrics import classification
    except ImportError:
        return None
    from benchmarks.classes import torch_dispatches

    metric = getattr(classification, name)(num_classes=CLASSES, **kwargs)
    target = y.argmax(-1)
    metric.update(p, target)
    metric.compute()
    update = torch_dispatches(metric.update, p, target)
    metric._computed = None  # compute() caches its value until the next update
    return update, torch_dispatches(metric.compute)


def measure(backend: str) -> dict:
    from benchmarks.overhead import NEAREST_KERAS, extras_configs, keras_configs

    y, p = inputs()
    configs = {**keras_configs(), **extras_configs()}
    counts = {}
    for name, make in configs.items():
        metrics = make(CLASSES)
        if len(metrics) != 1 or isinstance(metrics[0], str):
            continue  # no metric, a string metric, or the whole suite
        counts[name] = keras_metric_ops(metrics[0], y, p)
    peers = {}
    if backend == "torch":
        for name, (peer, kwargs) in TORCHMETRICS.items():
            found = torchmetrics_ops(peer, kwargs, y, p)
            if found is not None:
                peers[name] = {"metric": peer, "ops": found}
    return {
        "machine": describe(),
        "classes": CLASSES,
        "batch": BATCH,
        "counts": counts,
        "nearest_keras": NEAREST_KERAS,
        "torchmetrics": peers,
    }


def report() -> str:
    runs = {}
    for path in sorted(RESULTS.glob("op_counts-*.json")):
        data = json.loads(path.read_text())
        runs[data["machine"]["backend"]] = data
    backends = [b for b in ("jax", "torch", "tensorflow") if b in runs]
    if not backends:
        return "No op_counts-*.json results yet.\n"
    first = runs[backends[0]]
    versions = "; ".join(
        ", ".join(f"{k} {v}" for k, v in runs[b]["machine"]["versions"].items())
        for b in backends
    )
    lines = [
        "# Framework ops per step: update / result",
        "",
        f"{first['classes']} classes, batch {first['batch']}, one-hot labels and "
        f"softmax scores; {versions}. torch: aten ops dispatched; JAX: "
        "equations of the traced function; TensorFlow: graph operations. Keras "
        "runs both every training step. Lower is cheaper.",
        "",
        "| metric | "
        + " | ".join(f"{b}: ours" for b in backends)
        + " | nearest Keras | "
        + " | ".join(f"{b}: Keras" for b in backends)
        + (" | torchmetrics (torch) |" if "torch" in runs else " |"),
        "| --- |" + " --- |" * (2 * len(backends) + 1 + ("torch" in runs)),
    ]
    nearest = first["nearest_keras"]
    for name in first["counts"]:
        if not name.startswith("extras_"):
            continue
        ours = " | ".join(_pair(runs[b]["counts"].get(name)) for b in backends)
        peer = nearest.get(name)
        theirs = " | ".join(
            _pair(runs[b]["counts"].get(peer)) if peer else "—" for b in backends
        )
        row = f"| {name} | {ours} | {peer or '—'} | {theirs} |"
        if "torch" in runs:
            found = runs["torch"]["torchmetrics"].get(name)
            row += f" {found['metric']} {_pair(found['ops'])} |" if found else " — |"
        lines.append(row)
    lines.append("")
    return "\n".join(lines)


def _pair(counts) -> str:
    return "—" if counts is None else f"{counts[0]} / {counts[1]}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("jax", "torch", "tensorflow"))
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args(argv)
    if args.report:
        return write_report("op_counts", report())
    if args.backend is None:
        parser.error("--backend is required unless --report")
    run_under_backend(args.backend, "benchmarks.op_counts")
    data = measure(args.backend)
    path = RESULTS / f"op_counts-{args.backend}.json"
    path.write_text(json.dumps(data, indent=1) + "\n")
    print(json.dumps(data["counts"]))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

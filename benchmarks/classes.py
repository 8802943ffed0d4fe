"""Cost of the confusion metrics against the number of classes.

For C in {10, 100, 1000, 4000, 16000, 50000} and batch 256, on one backend:

- every confusion metric of keras-extras, Keras' `F1Score(average="macro")` and, on
  torch, torchmetrics' `MulticlassF1Score`: state bytes, and the median time of one
  eager `update_state` + `result()` (what Keras runs every step), all timed
  interleaved in one process (A B C ... A B C ...);
- ops per step of `F1Score` and `ClassificationMetrics` with 8 scores, counted in
  the framework's own program (torch: dispatched aten ops; JAX: equations of the
  traced update / result; TensorFlow: operations of the traced graph), next to
  the counts of keras-extras 0.1 (commit d6c272c, the C x C state);
- the step time of a compiled `fit` (JAX, TensorFlow) with a `Dense(C)` head at
  C = 1000 and 16000: no metric, Keras' `F1Score`, keras-extras' `F1Score` and
  `ClassificationMetrics` with 8 scores.

Metrics whose state would take more than a twelfth of the available memory are
not built (the C x C ones at large C), and are reported as skipped; so is
torchmetrics where its update would bincount C x C cells past that budget.

Keras' `F1Score` needs one-hot labels; keras-extras' metrics get sparse labels
(what they are used with), and `extras_f1_onehot` shows them with one-hot labels.

Run:  python -m benchmarks.classes --backend torch [--classes 10 1000] [--quick]
      python -m benchmarks.classes --report     (table and chart from every JSON)
      python -m benchmarks.classes --backend jax --refresh-state  (state bytes)
      nox -s bench                              (every backend, then the reports)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.overhead import SCORES8

RESULTS = Path(__file__).parent / "results"
CHART = Path(__file__).parent.parent / "docs" / "images" / "classes.png"
CLASSES = (10, 100, 1000, 4000, 16000, 50000)
BATCH = 256
# Ops per step of keras-extras 0.1 (commit d6c272c, C x C state), counted by
# `count_ops` below at C = 10 with that commit's package on the path.
OPS_BEFORE = {
    "jax": {"f1": (29, 28), "classification_8": (29, 122)},
    "torch": {"f1": (26, 25), "classification_8": (26, 111)},
    "tensorflow": {"f1": (30, 21), "classification_8": (30, 70)},
}


# The same counts at commit a84f466, before the count update and clipped labels
# of issue #27 (sparse labels, C = 10).
OPS_PREVIOUS = {
    "jax": {"f1": (70, 26), "classification_8": (70, 116)},
    "torch": {"f1": (53, 16), "classification_8": (53, 119)},
    "tensorflow": {"f1": (61, 16), "classification_8": (61, 109)},
}


def available_bytes() -> int:
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 4 * 2**30


def metric_factories(backend: str):
    import keras

    import keras_extras.metrics as kem

    factories = {
        "keras_f1": (lambda c: keras.metrics.F1Score(average="macro"), 16),
        "extras_f1": (lambda c: kem.F1Score(num_classes=c), 48),
        "extras_f1_onehot": (lambda c: kem.F1Score(num_classes=c), 48),
        "extras_precision": (lambda c: kem.Precision(num_classes=c), 32),
        "extras_recall": (lambda c: kem.Recall(num_classes=c), 32),
        "extras_fbeta": (lambda c: kem.FBetaScore(num_classes=c, beta=2.0), 48),
        "extras_specificity": (lambda c: kem.Specificity(num_classes=c), 48),
        "extras_jaccard": (lambda c: kem.JaccardIndex(num_classes=c), 48),
        "extras_balanced_accuracy": (
            lambda c: kem.BalancedAccuracy(num_classes=c),
            32,
        ),
        "extras_mcc": (lambda c: kem.MatthewsCorrelation(num_classes=c), 48),
        "extras_kappa": (lambda c: kem.CohenKappa(num_classes=c), 48),
        "extras_classification_8": (
            lambda c: kem.ClassificationMetrics(num_classes=c, metrics=SCORES8),
            48,
        ),
        "extras_kappa_quadratic": (
            lambda c: kem.CohenKappa(num_classes=c, weights="quadratic"),
            None,
        ),
        "extras_confusion_matrix": (lambda c: kem.ConfusionMatrix(num_classes=c), None),
        # None: the bytes grow with C x C (state, or transients of an update).
    }
    if backend == "torch":
        # Its state is 4 int64 per class, but each update bincounts C x C int64
        # cells: that transient is what the memory guard must see.
        factories["torchmetrics_f1"] = (_torchmetrics_f1, None)
    return factories


def _torchmetrics_f1(num_classes):
    from torchmetrics.classification import MulticlassF1Score

    return MulticlassF1Score(num_classes=num_classes, average="macro")


def state_bytes(metric) -> int:
    if hasattr(metric, "variables"):
        return sum(
            int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in metric.variables
        )
    return sum(int(t.numel() * t.element_size()) for t in metric.metric_state.values())


def expected_bytes(per_class, num_classes) -> int:
    return (
        8 * num_classes * num_classes if per_class is None else per_class * num_classes
    )


def _step(name, metric, inputs):
    """One update and result; returns a tensor to synchronise on."""
    import keras

    sparse, one_hot, scores, torch_inputs = inputs
    if name.startswith("torchmetrics"):
        metric.update(torch_inputs[1], torch_inputs[0])
        return metric.compute()
    labels = one_hot if name in ("keras_f1", "extras_f1_onehot") else sparse
    metric.update_state(labels, scores)
    return keras.tree.flatten(metric.result())[0]


def time_metrics(backend, num_classes, repeats, quick):
    import keras
    import numpy as np

    rng = np.random.default_rng(num_classes)
    labels = rng.integers(0, num_classes, BATCH).astype("int32")
    scores_np = rng.random((BATCH, num_classes)).astype("float32")
    sparse = keras.ops.convert_to_tensor(labels)
    one_hot = keras.ops.one_hot(sparse, num_classes)
    scores = keras.ops.convert_to_tensor(scores_np)
    torch_inputs = (sparse, scores) if backend == "torch" else None
    inputs = (sparse, one_hot, scores, torch_inputs)

    budget = available_bytes() // 12
    metrics, rows = {}, {}
    for name, (factory, per_class) in metric_factories(backend).items():
        if quick and name not in ("keras_f1", "extras_f1", "extras_classification_8"):
            continue
        need = expected_bytes(per_class, num_classes)
        if need > budget:
            rows[name] = {"skipped": f"needs {need / 2**30:.1f} GiB > budget"}
            continue
        metrics[name] = factory(num_classes)
    inner = max(1, min(100, 20_000 // num_classes))
    times = {name: [] for name in metrics}
    for name, metric in metrics.items():  # warm-up: build, compile, caches
        for _ in range(3):
            keras.ops.convert_to_numpy(_step(name, metric, inputs))
    for _ in range(repeats):
        for name, metric in metrics.items():
            start = time.perf_counter()
            for _ in range(inner):
                out = _step(name, metric, inputs)
            keras.ops.convert_to_numpy(out)
            times[name].append((time.perf_counter() - start) / inner * 1e3)
    for name, metric in metrics.items():
        rows[name] = {
            "ms": statistics.median(times[name]),
            "min_ms": min(times[name]),
            "state_bytes": state_bytes(metric),
        }
    base = rows["keras_f1"]["ms"]
    for row in rows.values():
        if "ms" in row:
            row["ratio_to_keras_f1"] = row["ms"] / base
    return rows


def count_ops(backend: str, num_classes: int = 10) -> dict:
    """Framework ops in one update and one result of F1Score and of
    ClassificationMetrics with 8 scores (sparse labels, batch 256)."""
    import keras
    import numpy as np

    import keras_extras.metrics as kem

    rng = np.random.default_rng(0)
    labels = keras.ops.convert_to_tensor(
        rng.integers(0, num_classes, BATCH).astype("int32")
    )
    scores = keras.ops.convert_to_tensor(
        rng.random((BATCH, num_classes)).astype("float32")
    )
    counts = {}
    for key, metric in (
        ("f1", kem.F1Score(num_classes=num_classes)),
        (
            "classification_8",
            kem.ClassificationMetrics(num_classes=num_classes, metrics=SCORES8),
        ),
    ):
        metric.update_state(labels, scores)

        def update(variables, metric=metric):
            return metric.stateless_update_state(variables, labels, scores)

        def result(variables, metric=metric):
            return metric.stateless_result(variables)

        values = [v.value for v in metric.variables]
        counts[key] = (
            _framework_ops(backend, update, values),
            _framework_ops(backend, result, values),
        )
    return counts


def torch_dispatches(fn, *args) -> int:
    """The aten ops torch dispatches while `fn(*args)` runs."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        calls = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            Count.calls += 1
            return func(*args, **(kwargs or {}))

    with Count():
        fn(*args)
    return Count.calls


def _framework_ops(backend, fn, values) -> int:
    if backend == "torch":
        return torch_dispatches(fn, values)
    if backend == "jax":
        import jax

        jaxpr = jax.make_jaxpr(fn)(values)
        return len(jaxpr.jaxpr.eqns)
    import tensorflow as tf

    graph = tf.function(fn).get_concrete_function(values).graph
    skipped = {"Placeholder", "Const", "Identity", "NoOp"}
    return sum(op.type not in skipped for op in graph.get_operations())


def fit_step_times(backend, num_classes, repeats, steps=10, features=64):
    """Median ms per compiled training step with a Dense(C) softmax head."""
    import keras
    import numpy as np

    import keras_extras.metrics as kem

    configs = {
        "none": lambda: [],
        "keras_f1": lambda: [keras.metrics.F1Score(average="macro")],
        "extras_f1": lambda: [kem.F1Score(num_classes=num_classes)],
        "extras_classification_8": lambda: [
            kem.ClassificationMetrics(num_classes=num_classes, metrics=SCORES8)
        ],
    }
    rng = np.random.default_rng(1)
    x = rng.normal(size=(BATCH * steps, features)).astype("float32")
    y = np.eye(num_classes, dtype="float32")[
        rng.integers(0, num_classes, BATCH * steps)
    ]
    models = {}
    for name, metrics in configs.items():
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [keras.Input((features,)), keras.layers.Dense(num_classes, "softmax")]
        )
        model.compile("sgd", "categorical_crossentropy", metrics=metrics())
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)  # compile
        models[name] = model
    times = {name: [] for name in models}
    for _ in range(repeats):
        for name, model in models.items():
            start = time.perf_counter()
            model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
            times[name].append((time.perf_counter() - start) / steps * 1e3)
    rows = {name: {"ms": statistics.median(t)} for name, t in times.items()}
    for row in rows.values():
        row["ratio_to_none"] = row["ms"] / rows["none"]["ms"]
        row["ratio_to_keras_f1"] = row["ms"] / rows["keras_f1"]["ms"]
    return rows


def measure(args) -> dict:
    os.environ["KERAS_BACKEND"] = args.backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from benchmarks._machine import describe

    data = {
        "machine": describe(),
        "batch": BATCH,
        "repeats": args.repeats,
        "quick": args.quick,
        "ops_before": OPS_BEFORE.get(args.backend),
        "ops_after": count_ops(args.backend),
        "eager": {},
        "fit": {},
    }
    print("ops per step (update, result):", data["ops_after"], flush=True)
    print("keras-extras 0.1:", data["ops_before"], flush=True)
    for num_classes in args.classes:
        rows = time_metrics(args.backend, num_classes, args.repeats, args.quick)
        data["eager"][str(num_classes)] = rows
        summary = ", ".join(
            f"{name} {row['ratio_to_keras_f1']:.2f}"
            for name, row in rows.items()
            if "ms" in row and name != "keras_f1"
        )
        print(
            f"C={num_classes}: keras_f1 {rows['keras_f1']['ms']:.3f} ms; "
            f"ratios: {summary}",
            flush=True,
        )
    if args.backend != "torch" and not args.quick:
        for num_classes in args.fit_classes:
            rows = fit_step_times(args.backend, num_classes, args.repeats)
            data["fit"][str(num_classes)] = rows
            print(
                f"fit C={num_classes}: "
                + ", ".join(f"{n} {r['ms']:.2f} ms" for n, r in rows.items()),
                flush=True,
            )
    return data


# ---------------------------------------------------------------- report

REPORTED = (
    "extras_f1",
    "extras_f1_onehot",
    "extras_precision",
    "extras_recall",
    "extras_fbeta",
    "extras_specificity",
    "extras_jaccard",
    "extras_balanced_accuracy",
    "extras_mcc",
    "extras_kappa",
    "extras_classification_8",
    "extras_kappa_quadratic",
    "extras_confusion_matrix",
    "torchmetrics_f1",
)


def _cell(row) -> str:
    if row is None:
        return "—"
    if "skipped" in row:
        return "skipped (C×C memory)"
    return f"×{row['ratio_to_keras_f1']:.2f}"


def _bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000:
            return f"{n:.3g} {unit}"
        n /= 1000
    return f"{n:.3g} TB"


def report(directory: Path = RESULTS) -> str:
    runs = {}
    for path in sorted(directory.glob("classes-*.json")):
        data = json.loads(path.read_text())
        runs[data["machine"]["backend"]] = data
    lines = ["# Confusion metrics against the number of classes", ""]
    for backend, data in runs.items():
        machine = data["machine"]
        versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items())
        lines += [
            f"## {backend}",
            "",
            f"{machine['cpu']}, {machine['cores']} cores, {machine['device']}; "
            f"{versions}; batch {data['batch']}, median of {data['repeats']} "
            f"interleaved rounds, {machine['date']}.",
            "",
            "Eager `update_state` + `result()` time, as a multiple of Keras' "
            "`F1Score(average='macro')` in the same process (lower is better):",
            "",
        ]
        sizes = list(data["eager"])
        lines.append("| metric | " + " | ".join(f"C={c}" for c in sizes) + " |")
        lines.append("| --- |" + " --- |" * len(sizes))
        keras_ms = " | ".join(
            f"{data['eager'][c]['keras_f1']['ms']:.3f} ms" for c in sizes
        )
        lines.append(f"| keras_f1 (time) | {keras_ms} |")
        for name in REPORTED:
            if not any(name in data["eager"][c] for c in sizes):
                continue
            cells = " | ".join(_cell(data["eager"][c].get(name)) for c in sizes)
            lines.append(f"| {name} | {cells} |")
        lines += ["", "State bytes:", ""]
        lines.append("| metric | " + " | ".join(f"C={c}" for c in sizes) + " |")
        lines.append("| --- |" + " --- |" * len(sizes))
        for name in ("keras_f1", "extras_precision", "extras_f1", "torchmetrics_f1"):
            if name not in data["eager"][sizes[0]]:
                continue
            cells = " | ".join(
                _bytes(data["eager"][c][name]["state_bytes"])
                if "state_bytes" in data["eager"][c].get(name, {})
                else "—"
                for c in sizes
            )
            lines.append(f"| {name} | {cells} |")
        before, after = data["ops_before"], data["ops_after"]
        lines += ["", "Framework ops per step (update, result), C = 10:", ""]
        previous = OPS_PREVIOUS.get(backend)
        lines.append(
            "| metric | keras-extras 0.1 (C×C state) | a84f466 (before the count "
            "update) | now |"
        )
        lines.append("| --- | --- | --- | --- |")
        for key in ("f1", "classification_8"):
            lines.append(
                f"| {key} | {tuple(before[key]) if before else '—'} | "
                f"{tuple(previous[key]) if previous else '—'} | "
                f"{tuple(after[key])} |"
            )
        if data["fit"]:
            lines += ["", "Compiled `fit` step with a `Dense(C)` head:", ""]
            lines.append("| C | metric | ms per step | × no metric | × Keras F1 |")
            lines.append("| --- | --- | --- | --- | --- |")
            for c, rows in data["fit"].items():
                for name, row in rows.items():
                    ratios = (row["ratio_to_none"], row["ratio_to_keras_f1"])
                    lines.append(
                        f"| {c} | {name} | {row['ms']:.2f} | "
                        f"×{ratios[0]:.2f} | ×{ratios[1]:.2f} |"
                    )
        lines.append("")
    return "\n".join(lines)


def chart(directory: Path = RESULTS, path: Path = CHART) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [json.loads(p.read_text()) for p in sorted(directory.glob("classes-*.json"))]
    if not runs:
        return
    figure, axes = plt.subplots(1, len(runs), figsize=(5 * len(runs), 4), squeeze=False)
    for axis, data in zip(axes[0], runs, strict=True):
        sizes = [int(c) for c in data["eager"]]
        for name, style in (
            ("keras_f1", "k-o"),
            ("extras_f1", "b-o"),
            ("extras_classification_8", "g-s"),
            ("extras_confusion_matrix", "r--x"),
            ("torchmetrics_f1", "m-^"),
        ):
            points = [
                (c, data["eager"][str(c)][name]["ms"])
                for c in sizes
                if "ms" in data["eager"][str(c)].get(name, {})
            ]
            if points:
                axis.loglog(*zip(*points, strict=True), style, label=name)
        axis.set_title(data["machine"]["backend"])
        axis.set_xlabel("classes C")
        axis.set_ylabel("ms per update + result (eager, batch 256)")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)


def refresh_state_bytes(backend: str, directory: Path = RESULTS) -> Path:
    """Write the state bytes of every keras-extras metric of the backend's
    results again, from the code (they are a property of the code, not a
    timing; `tests/test_benchmarks.py` fails when they drift from it)."""
    path = directory / f"classes-{backend}.json"
    data = json.loads(path.read_text())
    factories = metric_factories(backend)
    for size, rows in data["eager"].items():
        for name, row in rows.items():
            if name.startswith("extras_") and "state_bytes" in row:
                row["state_bytes"] = state_bytes(factories[name][0](int(size)))
    path.write_text(json.dumps(data, indent=1))
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["jax", "torch", "tensorflow"])
    parser.add_argument("--classes", type=int, nargs="+", default=list(CLASSES))
    parser.add_argument("--fit-classes", type=int, nargs="+", default=[1000, 16000])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 metrics, no fit")
    parser.add_argument("--report", action="store_true", help="tables and chart")
    parser.add_argument("--ops-only", action="store_true", help="print op counts")
    parser.add_argument(
        "--refresh-state",
        action="store_true",
        help="recompute the committed results' state bytes from the code",
    )
    args = parser.parse_args(argv)
    if args.report:
        text = report()
        (RESULTS / "classes.md").write_text(text)
        chart()
        print(text)
        return 0
    if args.backend is None:
        parser.error("--backend is required unless --report")
    if args.refresh_state:
        os.environ["KERAS_BACKEND"] = args.backend
        print(f"wrote {refresh_state_bytes(args.backend)}")
        return 0
    if args.ops_only:
        os.environ["KERAS_BACKEND"] = args.backend
        print(json.dumps(count_ops(args.backend)))
        return 0
    data = measure(args)
    suffix = "-quick" if args.quick else ""
    path = RESULTS / f"classes-{args.backend}{suffix}.json"
    path.write_text(json.dumps(data, indent=1))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A change's cost against an earlier revision, both in one process.

Step times on a shared 2-core machine move by 10-50 % between runs, more than
most changes do, so ratios to Keras taken in two runs cannot tell whether a
change made a metric cheaper. This benchmark imports the working tree's
`keras_extras` and the package at `--base` (exported with `git archive` and
renamed `keras_extras_base`) into one process and times them interleaved
(A B A B ...): one eager `update_state` + `result()` (batch 256, sparse
labels) at 10 and 1,000 classes, and a `fit` step of the overhead benchmark's
tiny MLP (4 features, 3 classes, batch 32, one-hot labels, compiled on JAX and
TensorFlow), for `F1Score`, `ClassificationMetrics` with 8 scores and `AUROC`
(wide: 100 classes, batch 1024), with Keras' nearest built-in alongside.

Run:  python -m benchmarks.ab --backend torch [--base a84f466] [--repeats 7]
      python -m benchmarks.ab --report     (the table of every backend's JSON)

Not part of `nox -s bench`: it measures a change, against the revision it
started from.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._machine import RESULTS, describe, run_under_backend, write_report
from benchmarks.overhead import SCORES8

ROOT = Path(__file__).parent.parent


def export_base(revision: str, folder: Path) -> str:
    """`keras_extras` at `revision`, as the package `keras_extras_base` in
    `folder`; returns the full commit id."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", revision],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "keras_extras"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    package = folder / "keras_extras_base"
    (folder / "keras_extras").rename(package)
    for path in package.rglob("*.py"):
        text = path.read_text()
        path.write_text(re.sub(r"\bkeras_extras\b", "keras_extras_base", text))
    return commit


def interleaved(steps: dict, repeats: int, inner: int) -> dict:
    """Median ms per call of each `steps[name]()`, timed A B C ... A B C ..."""
    import keras

    for step in steps.values():  # warm-up: build, trace, compile
        for _ in range(3):
            keras.ops.convert_to_numpy(keras.tree.flatten(step())[0])
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            for _ in range(inner):
                out = step()
            keras.ops.convert_to_numpy(keras.tree.flatten(out)[0])
            times[name].append((time.perf_counter() - start) / inner * 1e3)
    return {name: statistics.median(samples) for name, samples in times.items()}


def eager_rows(packages: dict, classes: int, repeats: int) -> dict:
    import keras
    import numpy as np

    rng = np.random.default_rng(classes)
    labels = keras.ops.convert_to_tensor(rng.integers(0, classes, 256).astype("int32"))
    scores = keras.ops.convert_to_tensor(rng.random((256, classes)).astype("float32"))
    one_hot = keras.ops.one_hot(labels, classes)
    steps = {}
    keras_f1 = keras.metrics.F1Score(average="macro")

    def step(metric, y):
        def run():
            metric.update_state(y, scores)
            return metric.result()

        return run

    steps["keras_f1"] = step(keras_f1, one_hot)
    for tag, package in packages.items():
        steps[f"{tag}_f1"] = step(package.F1Score(num_classes=classes), labels)
        steps[f"{tag}_classification_8"] = step(
            package.ClassificationMetrics(num_classes=classes, metrics=SCORES8),
            labels,
        )
    return interleaved(steps, repeats, inner=max(1, min(50, 20_000 // classes)))


def fit_rows(packages: dict, workload: str, repeats: int) -> dict:
    import keras
    import numpy as np

    features, classes, batch, steps_per_epoch = {
        "tiny": (4, 3, 32, 100),
        "wide": (256, 100, 1024, 8),
    }[workload]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch * steps_per_epoch, features)).astype("float32")
    y = np.eye(classes, dtype="float32")[rng.integers(0, classes, len(x))]
    configs = {"none": lambda: []}
    if workload == "tiny":
        configs["keras_f1"] = lambda: [keras.metrics.F1Score(average="macro")]
        for tag, package in packages.items():
            configs[f"{tag}_f1"] = lambda p=package: [p.F1Score(num_classes=classes)]
            configs[f"{tag}_classification_8"] = lambda p=package: [
                p.ClassificationMetrics(num_classes=classes, metrics=SCORES8)
            ]
    else:
        configs["keras_auc_multilabel"] = lambda: [
            keras.metrics.AUC(multi_label=True, num_labels=classes)
        ]
        for tag, package in packages.items():
            configs[f"{tag}_auroc"] = lambda p=package: [p.AUROC(num_classes=classes)]
    models = {}
    for name, make in configs.items():
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input(shape=(features,)),
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(classes, activation="softmax"),
            ]
        )
        model.compile("adam", "categorical_crossentropy", metrics=make())
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        models[name] = model

    def epoch(model):
        def run():
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
            return keras.ops.zeros(())

        return run

    epochs = interleaved({n: epoch(m) for n, m in models.items()}, repeats, 1)
    return {name: ms / steps_per_epoch for name, ms in epochs.items()}


def measure(base: str, repeats: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        commit = export_base(base, Path(folder))
        sys.path.insert(0, folder)
        packages = {
            "base": importlib.import_module("keras_extras_base.metrics"),
            "new": importlib.import_module("keras_extras.metrics"),
        }
        return {
            "machine": describe(),
            "base": commit,
            "repeats": repeats,
            "eager": {str(c): eager_rows(packages, c, repeats) for c in (10, 1000)},
            "fit": {w: fit_rows(packages, w, repeats) for w in ("tiny", "wide")},
        }


def report() -> str:
    lines = [
        "# This change against an earlier revision, in one process",
        "",
        "`python -m benchmarks.ab --backend B --base REV`: the working tree's "
        "package (new) and the one at REV (base) timed interleaved in one "
        "process. Milliseconds (median), and new ÷ base: below 1 is cheaper.",
        "",
        "| backend | measure | Keras | base | new | new ÷ base |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for path in sorted(RESULTS.glob("ab-*.json")):
        data = json.loads(path.read_text())
        backend = data["machine"]["backend"]
        for classes, rows in data["eager"].items():
            for metric in ("f1", "classification_8"):
                lines.append(
                    _row(
                        backend,
                        f"eager {metric}, C={classes}",
                        rows,
                        "keras_f1",
                        metric,
                    )
                )
        tiny, wide = data["fit"]["tiny"], data["fit"]["wide"]
        for metric in ("f1", "classification_8"):
            lines.append(
                _row(
                    backend,
                    f"fit step {metric}, tiny (none {tiny['none']:.3f})",
                    tiny,
                    "keras_f1",
                    metric,
                )
            )
        lines.append(
            _row(
                backend,
                f"fit step AUROC, wide (none {wide['none']:.3f})",
                wide,
                "keras_auc_multilabel",
                "auroc",
            )
        )
    machine = describe_first()
    if machine:
        lines += ["", machine, ""]
    return "\n".join(lines) + "\n"


def _row(backend, label, rows, keras_name, metric) -> str:
    base, new = rows[f"base_{metric}"], rows[f"new_{metric}"]
    return (
        f"| {backend} | {label} | {rows[keras_name]:.3f} | {base:.3f} | "
        f"{new:.3f} | {new / base:.2f} |"
    )


def describe_first() -> str:
    for path in sorted(RESULTS.glob("ab-*.json")):
        data = json.loads(path.read_text())
        machine = data["machine"]
        return (
            f"{machine['cpu']}, {machine['cores']} cores, {machine['date'][:10]}; "
            f"base {data['base'][:7]}, median of {data['repeats']} interleaved "
            "rounds."
        )
    return ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("jax", "torch", "tensorflow"))
    parser.add_argument("--base", default="a84f466")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args(argv)
    if args.report:
        return write_report("ab", report())
    if args.backend is None:
        parser.error("--backend is required unless --report")
    run_under_backend(args.backend, "benchmarks.ab")
    data = measure(args.base, args.repeats)
    path = RESULTS / f"ab-{args.backend}.json"
    path.write_text(json.dumps(data, indent=1) + "\n")
    print(json.dumps({k: data[k] for k in ("eager", "fit")}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

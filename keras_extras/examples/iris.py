"""Train the Iris classifier on any Keras backend: keras-extras' main job and demo.

Run it as `python -m keras_extras.examples.iris --backend jax` (or `torch`,
`tensorflow`), or through the `keras-extras-iris` console script. It needs
scikit-learn for the data set (`pip install "keras-extras[examples]"`); nothing is
downloaded.

What it does, and what the tutorial it comes from got wrong:

- loads Iris from scikit-learn and splits it into stratified train / validation /
  test sets with a fixed seed;
- scales each feature with statistics of the training split only (the tutorial
  scaled every split by its own min/max, which leaks and distorts);
- trains `Dense(16, relu) -> Dense(3, softmax)` on sparse integer labels with
  `sparse_categorical_crossentropy` (the tutorial fed one-hot labels to it);
- reports keras-extras metrics written with `keras.ops` (the tutorial's metric
  called numpy inside training, which fails on every backend);
- keeps the 3 best models by `val_loss` in Keras' `.keras` format, written
  atomically (`BestCheckpoints`), stops early, lowers the learning rate on
  plateaus, logs every epoch (learning rate included) to CSV, prints a per-class
  report on the validation split, and draws `history.png`,
  `confusion_matrix.png`, `curves.png` (ROC and precision-recall per class) and
  `reliability.png`;
- prints the test-set metrics, reloads the best checkpoint without
  `custom_objects`, checks it evaluates to the same numbers, and writes
  `metrics.json`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from keras_extras._typing import Tensor

BACKENDS = ("jax", "torch", "tensorflow")
CLASS_NAMES = ("setosa", "versicolor", "virginica")
HIDDEN_UNITS = 16


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="keras-extras-iris",
        description="Train the Iris classifier with keras-extras metrics.",
    )
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default=None,
        help="Keras backend (default: $KERAS_BACKEND, else Keras' default)",
    )
    parser.add_argument("--epochs", type=int, default=300, help="maximum epochs")
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="output directory (default: runs/iris-<backend>)",
    )
    parser.add_argument("--quiet", action="store_true", help="no per-epoch output")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be >= 1, received {args.epochs}")
    return args


def _ensure_backend(backend: str | None, argv: list[str]) -> None:
    """Select `backend` before Keras is imported (Keras fixes it on import).

    `keras_extras` does not import Keras by itself, so setting `KERAS_BACKEND`
    here is enough; if something imported Keras already, re-run in a fresh
    interpreter.
    """
    if backend is None or os.environ.get("KERAS_BACKEND") == backend:
        return
    os.environ["KERAS_BACKEND"] = backend
    if "keras" in sys.modules:
        os.execv(
            sys.executable,
            [sys.executable, "-m", "keras_extras.examples.iris", *argv],
        )


def load_data(seed: int) -> Any:
    """Stratified 64/16/20 train/validation/test split of Iris, scaled on train."""
    import numpy as np

    try:
        from sklearn.datasets import load_iris
        from sklearn.model_selection import train_test_split
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            'The Iris example needs scikit-learn: pip install "keras-extras[examples]"'
        ) from error

    features, labels = load_iris(return_X_y=True)
    features = features.astype("float32")
    labels = labels.astype("int32")
    x_rest, x_test, y_rest, y_test = train_test_split(
        features, labels, test_size=0.2, stratify=labels, random_state=seed
    )
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=0.2, stratify=y_rest, random_state=seed
    )
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std = np.where(std > 0, std, 1.0).astype("float32")

    def scale(x: Tensor) -> Any:
        return ((x - mean) / std).astype("float32")

    return (
        (scale(x_train), y_train),
        (scale(x_val), y_val),
        (scale(x_test), y_test),
    )


def build_model(num_features: int, num_classes: int, metrics: list[Any]) -> Any:
    import keras

    model = keras.Sequential(
        [
            keras.Input(shape=(num_features,)),
            keras.layers.Dense(HIDDEN_UNITS, activation="relu"),
            keras.layers.Dense(num_classes, activation="softmax"),
        ],
        name="iris_classifier",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss="sparse_categorical_crossentropy",
        metrics=metrics,
    )
    return model


def make_metrics() -> list[Any]:
    import keras_extras.metrics as kem

    return [
        "accuracy",
        # One confusion state, five scores: logged as precision, recall, f1, mcc, kappa.
        kem.ClassificationMetrics(
            num_classes=3,
            metrics=("precision", "recall", "f1", "mcc", "kappa"),
            average="macro",
        ),
        kem.ExpectedCalibrationError(num_bins=10),
        kem.BrierScore(),
        kem.AUROC(num_classes=3, average="macro"),
        kem.UniformKLDivergence(),
        kem.PredictiveEntropy(normalize=True),
        # Macro F1 with a 95 % streaming bootstrap interval: f1_score_low/_high,
        # drawn as a band by PlotHistory.
        kem.Bootstrap(kem.F1Score(num_classes=3), seed=0),
    ]


def format_table(results: dict[str, float], title: str) -> str:
    width = max(len(name) for name in results)
    lines = [title, "-" * (width + 13)]
    lines += [f"{name:<{width}}  {value:>10.4f}" for name, value in results.items()]
    return "\n".join(lines)


# Framework start-up notices printed to stderr while Keras and its framework start
# on a CPU machine: informational lines, absl's note that it is not initialised
# yet, and the GPU libraries that a CPU machine lacks. Nothing else is dropped.
START_UP_NOISE = re.compile(
    r"(WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|I\d{4} "  # absl INFO lines, such as TensorFlow's oneDNN notice
    r"|[EW]\d{4} .*(cuInit|cuda|CUDA|cuDNN|cuFFT|cuBLAS|TensorRT|GPU will not be used))"
)


@contextlib.contextmanager
def framework_start_up_filtered() -> Iterator[None]:
    """Run the block with stderr (file descriptor 2) captured, then print every
    captured line except framework start-up noise (`START_UP_NOISE`), so real
    errors and warnings still reach the user."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode(errors="replace")
            for line in text.splitlines(keepends=True):
                if not START_UP_NOISE.match(line):
                    sys.stderr.write(line)


def run(args: argparse.Namespace) -> dict[str, Any]:
    with framework_start_up_filtered():
        import keras

        keras.ops.convert_to_numpy(keras.ops.ones(()))  # the framework's devices

    backend = keras.backend.backend()
    output = args.output or Path("runs") / f"iris-{backend}"
    output.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(args.seed)

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = load_data(args.seed)
    model = build_model(x_train.shape[1], 3, make_metrics())

    import keras_extras.callbacks as kec

    # BestCheckpoints replaces ModelCheckpoint: it writes each file atomically (a
    # crash mid-save cannot leave a truncated best model), keeps the 3 best with a
    # manifest, and `last.keras` for resuming. Order matters: callbacks that add log
    # keys come before CSVLogger and PlotHistory, which read them.
    checkpoints = kec.BestCheckpoints(
        output / "checkpoints", monitor="val_loss", save_top_k=3
    )
    validation = (x_val, y_val)
    callbacks = [
        kec.LearningRateMonitor(),
        kec.ClassificationReport(
            validation,
            class_names=CLASS_NAMES,
            every_n_epochs=max(1, args.epochs // 5),
            path=output / "classification_report.json",
            verbose=0 if args.quiet else 1,
            num_replicates=200,  # a bootstrap interval for every value
            seed=0,
        ),
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=40, restore_best_weights=True
        ),
        checkpoints,
        keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=0.5, patience=15, min_lr=1e-4
        ),
        keras.callbacks.CSVLogger(str(output / "history.csv")),
        kec.PlotHistory(output / "history.png"),
        kec.ConfusionMatrixPlot(
            validation, output / "confusion_matrix.png", class_names=CLASS_NAMES
        ),
        kec.CurvePlot(
            validation, output / "curves.png", num_classes=3, class_names=CLASS_NAMES
        ),
        kec.ReliabilityDiagram(validation, output / "reliability.png", num_bins=5),
    ]
    started = time.perf_counter()
    history = model.fit(
        x_train,
        y_train,
        validation_data=validation,
        epochs=args.epochs,
        batch_size=16,
        shuffle=True,
        callbacks=callbacks,
        verbose=0 if args.quiet else 2,
    )
    train_seconds = time.perf_counter() - started

    results = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    results = {name: float(value) for name, value in results.items()}

    if checkpoints.best_model_path is None:
        raise RuntimeError("No checkpoint was ranked: the monitored value never came.")
    checkpoint_path = Path(checkpoints.best_model_path)
    reloaded = keras.saving.load_model(checkpoint_path)
    reloaded_results = reloaded.evaluate(x_test, y_test, verbose=0, return_dict=True)
    mismatches = {
        name: (value, float(reloaded_results[name]))
        for name, value in results.items()
        if not math.isclose(value, float(reloaded_results[name]), abs_tol=1e-5)
    }

    print(format_table(results, f"Iris test set ({len(y_test)} samples), {backend}"))
    if mismatches:
        print(f"Reloaded checkpoint differs: {mismatches}")
    else:
        print(f"Reloaded {checkpoint_path} (no custom_objects): same test metrics.")

    summary = {
        "backend": backend,
        "keras_version": keras.__version__,
        "seed": args.seed,
        "epochs_run": len(history.history["loss"]),
        "train_seconds": round(train_seconds, 3),
        "test": results,
        "reloaded_test": {k: float(v) for k, v in reloaded_results.items()},
        "reload_matches": not mismatches,
        "checkpoint": str(checkpoint_path),
        "pictures": [
            "history.png",
            "confusion_matrix.png",
            "curves.png",
            "reliability.png",
        ],
    }
    (output / "metrics.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    _ensure_backend(args.backend, argv)
    summary = run(args)
    return 0 if summary["reload_matches"] else 1


if __name__ == "__main__":
    sys.exit(main())

"""A per-class classification report on validation data, at epoch ends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_extras._naming import class_key
from keras_extras._typing import Tensor
from keras_extras._validation import check_int, check_number
from keras_extras.callbacks._files import atomic_write
from keras_extras.callbacks._validation_data import (
    ValidationDataCallback,
    decided_classes,
)
from keras_extras.callbacks.plots import confusion_of
from keras_extras.distributed import is_main_process
from keras_extras.metrics.bootstrap import Bootstrap
from keras_extras.metrics.confusion import ClassificationMetrics
from keras_extras.metrics.scores import ClassStatistics, compute_scores

ROWS = ("precision", "recall", "f1")


def report(matrix: Tensor) -> dict[str, Any]:
    """Per-class precision / recall / F1 / support with macro and weighted rows."""
    matrix = ops.convert_to_tensor(np.asarray(matrix, dtype="float32"))
    statistics = ClassStatistics.from_matrix(matrix)
    per_class = compute_scores(ROWS, statistics, average=None)
    result = {
        name: ops.convert_to_numpy(value).astype(float).tolist()
        for name, value in per_class.items()
    }
    result["support"] = ops.convert_to_numpy(ops.sum(matrix, axis=1)).tolist()
    for average in ("macro", "weighted"):
        averaged = compute_scores(ROWS, statistics, average=average)
        result[average] = {
            k: float(ops.convert_to_numpy(v)) for k, v in averaged.items()
        }
    return result


def intervals(
    y: Tensor,
    predictions: Tensor,
    weight: Tensor | None,
    class_names: list[str],
    num_replicates: int,
    confidence: float,
    seed: int | None,
) -> dict[str, Any]:
    """Bootstrap intervals of `ROWS` per class and averaged: `{"precision_low":
    [per class], ..., "macro": {"f1_low": ...}, "weighted": {...}}`, all read
    from one bootstrap state (`Bootstrap.intervals(view)`), so from the same
    replicate weights."""
    per_class = ClassificationMetrics(
        num_classes=len(class_names),
        metrics=ROWS,
        average=None,
        class_names=class_names,
    )
    metric = Bootstrap(
        per_class, num_replicates=num_replicates, confidence=confidence, seed=seed
    )
    metric.update_state(y, predictions, sample_weight=weight)
    found: dict[str, Any] = {}
    for average in ("macro", "weighted"):
        view = ClassificationMetrics(
            num_classes=len(class_names), metrics=ROWS, average=average
        )
        bounds = metric.intervals(view)
        found[average] = {
            f"{score}{end}": float(ops.convert_to_numpy(bounds[score][index]))
            for score in ROWS
            for index, end in ((1, "_low"), (2, "_high"))
        }
    bounds = metric.intervals()
    for score in ROWS:
        for index, end in ((1, "_low"), (2, "_high")):
            found[f"{score}{end}"] = [
                float(ops.convert_to_numpy(bounds[class_key(score, name)][index]))
                for name in class_names
            ]
    return found


def _cell(result: Any, score: str, index: Any) -> str:
    value = result[score] if index is None else result[score][index]
    if f"{score}_low" not in result:
        return f"  {value:9.4f}"
    low, high = (
        result[f"{score}{end}"] if index is None else result[f"{score}{end}"][index]
        for end in ("_low", "_high")
    )
    return f"  {value:6.4f} [{low:6.4f}, {high:6.4f}]"


def format_report(result: dict[str, Any], class_names: Any) -> str:
    """An aligned text table, like scikit-learn's `classification_report`; with
    intervals, each value is followed by `[low, high]`."""
    width = max([len(name) for name in class_names] + [len("weighted avg")])
    column = 9 if "f1_low" not in result else 23
    header = "".join(f"  {score:>{column}}" for score in ROWS)
    lines = [f"{'':>{width}}{header}  {'support':>9}", ""]
    for i, name in enumerate(class_names):
        cells = "".join(_cell(result, score, i) for score in ROWS)
        lines.append(f"{name:>{width}}{cells}  {result['support'][i]:9.0f}")
    total = sum(result["support"])
    lines.append("")
    for average in ("macro", "weighted"):
        cells = "".join(_cell(result[average], score, None) for score in ROWS)
        lines.append(f"{average + ' avg':>{width}}{cells}  {total:9.0f}")
    return "\n".join(lines)


def _names(class_names: Any) -> list[str] | None:
    """The class names as strings (the per-class log keys hold them), unique."""
    if class_names is None:
        return None
    names = [str(name) for name in class_names]
    if len(set(names)) != len(names):
        raise ValueError(
            "Invalid `class_names`: expected one unique name per class. "
            f"Received: class_names={class_names!r}"
        )
    return names


@keras.saving.register_keras_serializable(package="keras_extras")
class ClassificationReport(ValidationDataCallback):
    """Per-class precision, recall, F1 and support on validation data.

    Every `every_n_epochs` epochs the model predicts `validation_data`, one
    keras-extras `ConfusionMatrix` counts the outcomes, and the scores come from the
    same score registry as the metrics (`keras_extras.metrics.scores`):

        precision_c = TP_c / (TP_c + FP_c)    recall_c = TP_c / (TP_c + FN_c)
        f1_c = 2 TP_c / (2 TP_c + FP_c + FN_c)

    plus macro and support-weighted averages. The table is printed (unless
    `verbose=0`), each per-class value is added to the logs as
    `val_<score>/<class>` (e.g. `val_f1/setosa`, the per-class key format of
    every keras-extras metric), and, with `path`, the report of every evaluated
    epoch is written to a JSON file.

    With `num_replicates`, every value also gets a confidence interval from
    `keras_extras.metrics.Bootstrap` over the same predictions (percentile
    interval of a Poisson bootstrap, one set of replicate weights for all rows):
    `[low, high]` in the table, `<score>_low` / `<score>_high` in the JSON, and
    `val_<score>/<class>_low` / `_high` in the logs, which `PlotHistory` draws
    as bands.

    Args:
        validation_data: `(x, y)`, `(x, y, sample_weight)`, or a dataset of such
            batches (`tf.data.Dataset`, `keras.utils.PyDataset`, torch
            `DataLoader`); labels sparse or one-hot.
        class_names: names of the classes, one unique name each (as strings, they
            end the per-class log keys: `val_f1/<name>`). Default: "0", "1", ...
        every_n_epochs: evaluate every n epochs, >= 1. Defaults to 1.
        path: JSON file to write, or None. Defaults to None.
        verbose: 1 prints the table, 0 does not, "auto" prints it when `fit`
            itself prints (its `verbose` is not 0). Defaults to "auto".
        num_replicates: bootstrap replicates for the intervals, >= 2, or None
            for no intervals. Defaults to None.
        confidence: the intervals' nominal coverage, in (0, 1). Defaults to 0.95.
        seed: seed of the replicate weights (None: random). Defaults to None.
        output: which output of a model with several (its name or index);
            checked at train begin. Defaults to None (the only one).
        from_logits: whether the model outputs logits (a binary head's are
            then decided at 0, else at 0.5). Defaults to False.

    Example:
        >>> import numpy as np
        >>> callback = ClassificationReport((np.zeros((4, 2)), np.array([0, 1, 0, 1])),
        ...                                 class_names=["cat", "dog"])
        >>> callback.class_names
        ['cat', 'dog']
    """

    config_fields = (
        "class_names",
        "every_n_epochs",
        "path",
        "verbose",
        "num_replicates",
        "confidence",
        "seed",
    )

    def __init__(
        self,
        validation_data: Any,
        class_names: Any = None,
        every_n_epochs: int = 1,
        path: Any = None,
        verbose: int | str = "auto",
        num_replicates: int | None = None,
        confidence: float = 0.95,
        seed: int | None = None,
        output: str | int | None = None,
        from_logits: bool = False,
    ) -> None:
        super().__init__(validation_data, output, from_logits)
        self.num_replicates = check_int(
            "num_replicates", num_replicates, minimum=2, allow_none=True
        )
        self.confidence = check_number(
            "confidence", confidence, 0.0, 1.0, low_inclusive=False
        )
        if self.confidence >= 1.0:
            raise ValueError(
                "Invalid `confidence`: expected a value in (0, 1). "
                f"Received: confidence={confidence!r}"
            )
        self.seed = check_int("seed", seed, minimum=0, allow_none=True)
        self.class_names = _names(class_names)
        self.every_n_epochs = check_int("every_n_epochs", every_n_epochs, minimum=1)
        self.path = Path(path) if path is not None else None
        if verbose not in (0, 1, "auto"):
            raise ValueError(
                "Invalid `verbose`: expected 0, 1 or 'auto'. "
                f"Received: verbose={verbose!r}"
            )
        self.verbose = verbose
        self.history: list[dict[str, Any]] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if (epoch + 1) % self.every_n_epochs:
            return
        y, predictions, weight = self.validation_predictions()
        predictions = decided_classes(predictions, self.from_logits)
        metric = confusion_of(y, predictions, weight)
        names = self.class_names or [str(i) for i in range(metric.num_classes or 0)]
        result = report(ops.convert_to_numpy(metric.confusion_matrix()))
        ends: tuple[str, ...] = ("",)
        if self.num_replicates is not None:
            found = intervals(
                y,
                predictions,
                weight,
                names,
                self.num_replicates,
                self.confidence,
                self.seed,
            )
            for average in ("macro", "weighted"):
                result[average].update(found.pop(average))
            result.update(found)
            ends = ("", "_low", "_high")
        result["epoch"] = epoch + 1
        result["class_names"] = names
        self.history.append(result)
        if logs is not None:
            for score in ROWS:
                for end in ends:
                    values = result[f"{score}{end}"]
                    for name, value in zip(names, values, strict=True):
                        logs[f"val_{class_key(score, name)}{end}"] = value
        printing = self.verbose
        if printing == "auto":
            printing = (self.params or {}).get("verbose", 1) != 0
        if printing and is_main_process():
            print(f"\nClassification report, epoch {epoch + 1}:")
            print(format_report(result, names))
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(self.history, indent=2)
            atomic_write(self.path, lambda temporary: temporary.write_text(text))

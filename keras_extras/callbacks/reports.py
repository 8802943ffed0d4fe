"""A per-class classification report on validation data, at epoch ends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_extras._typing import Tensor
from keras_extras._validation import check_int
from keras_extras.callbacks._files import atomic_write
from keras_extras.callbacks._validation_data import confusion_of, unpack_validation_data
from keras_extras.callbacks.base import ConfigMixin
from keras_extras.distributed import is_main_process
from keras_extras.metrics.scores import ClassStatistics, compute_scores

ROWS = ("precision", "recall", "f1")


def report(matrix: Tensor) -> dict:
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


def _table_row(label: Any, width: Any, values: Tensor, support: Tensor) -> str:
    cells = "".join(f"  {value:9.4f}" for value in values)
    return f"{label:>{width}}{cells}  {support:9.0f}"


def format_report(result: dict, class_names: Any) -> str:
    """An aligned text table, like scikit-learn's `classification_report`."""
    width = max([len(name) for name in class_names] + [len("weighted avg")])
    header = (
        f"{'':>{width}}  {'precision':>9}  {'recall':>9}  {'f1':>9}  {'support':>9}"
    )
    lines = [header, ""]
    for i, name in enumerate(class_names):
        values = [result[score][i] for score in ROWS]
        lines.append(_table_row(name, width, values, result["support"][i]))
    total = sum(result["support"])
    lines.append("")
    for average in ("macro", "weighted"):
        values = [result[average][score] for score in ROWS]
        lines.append(_table_row(f"{average} avg", width, values, total))
    return "\n".join(lines)


def _log_key(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in str(name)).strip("_").lower()


@keras.saving.register_keras_serializable(package="keras_extras")
class ClassificationReport(ConfigMixin, keras.callbacks.Callback):
    """Per-class precision, recall, F1 and support on validation data.

    Every `every_n_epochs` epochs the model predicts `validation_data`, one
    keras-extras `ConfusionMatrix` counts the outcomes, and the scores come from the
    same score registry as the metrics (`keras_extras.metrics.scores`):

        precision_c = TP_c / (TP_c + FP_c)    recall_c = TP_c / (TP_c + FN_c)
        f1_c = 2 TP_c / (2 TP_c + FP_c + FN_c)

    plus macro and support-weighted averages. The table is printed (unless
    `verbose=0`), each per-class value is added to the logs as
    `val_<score>_<class>` (e.g. `val_f1_setosa`), and, with `path`, the report of
    every evaluated epoch is written to a JSON file.

    Args:
        validation_data: `(x, y)` or `(x, y, sample_weight)`; labels sparse or
            one-hot.
        class_names: names of the classes (default: "0", "1", ...).
        every_n_epochs: evaluate every n epochs, >= 1. Defaults to 1.
        path: JSON file to write, or None. Defaults to None.
        verbose: 1 prints the table, 0 does not. Defaults to 1.

    Example:
        >>> import numpy as np
        >>> callback = ClassificationReport((np.zeros((4, 2)), np.array([0, 1, 0, 1])),
        ...                                 class_names=["cat", "dog"])
        >>> callback.class_names
        ['cat', 'dog']
    """

    config_fields = (
        "validation_data",
        "class_names",
        "every_n_epochs",
        "path",
        "verbose",
    )

    def __init__(
        self,
        validation_data: Any,
        class_names: Any = None,
        every_n_epochs: int = 1,
        path: Any = None,
        verbose: int = 1,
    ) -> None:
        super().__init__()
        unpack_validation_data(validation_data)
        self.validation_data = validation_data
        self.class_names = list(class_names) if class_names is not None else None
        self.every_n_epochs = check_int("every_n_epochs", every_n_epochs, minimum=1)
        self.path = Path(path) if path is not None else None
        self.verbose = verbose
        self.history: list[dict] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if (epoch + 1) % self.every_n_epochs:
            return
        num_classes = len(self.class_names) if self.class_names else None
        metric = confusion_of(self.model, self.validation_data, num_classes)
        names = self.class_names or [str(i) for i in range(metric.num_classes)]
        result = report(ops.convert_to_numpy(metric.confusion_matrix()))
        result["epoch"] = epoch + 1
        result["class_names"] = names
        self.history.append(result)
        if logs is not None:
            for score in ROWS:
                for name, value in zip(names, result[score], strict=True):
                    logs[f"val_{score}_{_log_key(name)}"] = value
        if self.verbose and is_main_process():
            print(f"\nClassification report, epoch {epoch + 1}:")
            print(format_report(result, names))
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(self.history, indent=2)
            atomic_write(self.path, lambda temporary: temporary.write_text(text))

"""Pictures of training: the history of every logged quantity, a confusion matrix.

matplotlib is an optional extra (`pip install "keras-extras[plot]"`); it is imported
when a plotting callback is created, never at `import keras_extras`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_extras._naming import BOUNDS, split_bound
from keras_extras._typing import Normalization
from keras_extras._validation import check_int, check_one_of
from keras_extras.callbacks._figures import pyplot, save_figure
from keras_extras.callbacks._monitor import as_float
from keras_extras.callbacks._validation_data import (
    ValidationDataCallback,
    decided_classes,
)
from keras_extras.callbacks.base import ConfigMixin
from keras_extras.metrics.confusion import (
    NORMALIZATIONS,
    ConfusionMatrix,
    normalize_matrix,
)


def is_bound(key: str, history: dict[str, Any]) -> bool:
    """`x_low` / `x_high` next to `x` (a `Bootstrap` interval): drawn as a band."""
    base, bound = split_bound(key)
    return bound is not None and base in history


def history_panels(history: dict[str, Any]) -> dict[str, Any]:
    """Group log keys into panels: `x` and `val_x` share one, scalar keys only;
    interval bounds (`x_low`, `x_high`) go with `x`, as a band."""
    panels: dict[str, dict[str, Any]] = {}
    for key, values in history.items():
        if is_bound(key, history):
            continue
        base = key.removeprefix("val_")
        if base != key and base not in history:
            base = key  # a validation-only quantity keeps its own name
        panels.setdefault(base, {})[key] = values
    return panels


@keras.saving.register_keras_serializable(package="keras_extras")
class PlotHistory(ConfigMixin, keras.callbacks.Callback):
    """A PNG of the loss and every logged metric, one panel per quantity.

    Training and validation values of a quantity (`f1`, `val_f1`) share a panel;
    a confidence interval logged next to a value (`f1_low`, `f1_high`, from
    `keras_extras.metrics.Bootstrap`) is drawn as a band around its line.
    The figure is written at the end of training and, with `every_n_epochs`, every
    n epochs; each write replaces the file atomically. Non-scalar log values are
    skipped.

    Args:
        path: PNG file to write.
        every_n_epochs: also write every n epochs (None: only at the end).

    Attributes:
        panels: the panel titles of the last figure written, in order.

    Example:
        >>> PlotHistory("runs/history.png").get_config()
        {'path': 'runs/history.png', 'every_n_epochs': None}
    """

    config_fields = (
        "path",
        "every_n_epochs",
    )

    def __init__(self, path: Any, every_n_epochs: int | None = None) -> None:
        super().__init__()
        pyplot()
        self.path = Path(path)
        self.every_n_epochs = check_int(
            "every_n_epochs", every_n_epochs, minimum=1, allow_none=True
        )
        self.history: dict[str, list[Any]] = {}
        self.epochs: list[int] = []
        self.panels: list[str] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.history, self.epochs = {}, []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epochs.append(epoch + 1)
        for key, value in (logs or {}).items():
            number = as_float(value)
            if number is not None:
                self.history.setdefault(key, [None] * (len(self.epochs) - 1))
        for key, values in self.history.items():
            values.append(as_float((logs or {}).get(key)))
        if self.every_n_epochs and (epoch + 1) % self.every_n_epochs == 0:
            self.plot()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.epochs:
            self.plot()

    def get_state(self) -> dict[str, Any]:
        """The epochs and values plotted so far (`BackupAndRestore`): a resumed
        run's figure shows the epochs before the interruption too."""
        return {"history": self.history, "epochs": self.epochs}

    def set_state(self, state: dict[str, Any]) -> None:
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.epochs = list(state["epochs"])

    def _band(self, axis: Any, key: str, color: Any) -> None:
        low, high = (self.history.get(key + end) for end in BOUNDS)
        if low is None or high is None:
            return
        band = [
            (e, a, b)
            for e, a, b in zip(self.epochs, low, high, strict=True)
            if a is not None and b is not None
        ]
        if band:
            epochs, lows, highs = zip(*band, strict=True)
            axis.fill_between(epochs, lows, highs, color=color, alpha=0.2, lw=0)

    def plot(self) -> None:
        plt = pyplot()
        from matplotlib.ticker import MaxNLocator  # matplotlib: an optional extra

        panels = history_panels(self.history)
        columns = min(3, len(panels)) or 1
        rows = -(-len(panels) // columns) or 1
        figure, axes = plt.subplots(
            rows, columns, figsize=(5 * columns, 3.5 * rows), squeeze=False
        )
        for axis, (title, series) in zip(axes.flat, panels.items(), strict=False):
            for key, values in series.items():
                points = [
                    (e, v)
                    for e, v in zip(self.epochs, values, strict=True)
                    if v is not None
                ]
                if points:
                    line = axis.plot(
                        *zip(*points, strict=True),
                        marker=".",
                        label="validation" if key.startswith("val_") else "training",
                    )[0]
                    self._band(axis, key, line.get_color())
            axis.set_title(title)
            axis.set_xlabel("epoch")
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            axis.legend(fontsize=8)
        for axis in list(axes.flat)[len(panels) :]:
            figure.delaxes(axis)
        figure.tight_layout()
        save_figure(figure, self.path)
        plt.close(figure)
        self.panels = list(panels)


class ValidationPlot(ValidationDataCallback):
    """Base class of the callbacks that draw a figure from their own validation
    data into a PNG file (`ValidationDataCallback`: datasets, one output of
    several, checks at train begin).

    Args:
        validation_data: `(x, y)`, `(x, y, sample_weight)` or a dataset of such
            batches.
        path: PNG file to write.
        output: which output of a model with several (name or index).
        from_logits: whether the model outputs logits.
    """

    config_fields: tuple[str, ...] = ("path",)

    def __init__(
        self,
        validation_data: Any,
        path: Any,
        output: str | int | None = None,
        from_logits: bool = False,
    ) -> None:
        super().__init__(validation_data, output, from_logits)
        pyplot()  # matplotlib is an optional extra: say so at construction
        self.path = Path(path)


def confusion_of(y: Any, decided: Any, weight: Any) -> Any:
    """keras-extras' `ConfusionMatrix` of `decided_classes` predictions (a binary
    head's ids: two classes)."""
    metric = ConfusionMatrix(num_classes=2 if decided.ndim == 1 else None)
    metric.update_state(y, decided, sample_weight=weight)
    return metric


@keras.saving.register_keras_serializable(package="keras_extras")
class ConfusionMatrixPlot(ValidationPlot):
    """A PNG heat map of the confusion matrix on validation data, at training end.

    Counts come from keras-extras' `ConfusionMatrix`; with `normalize="true"` each
    row (true class) sums to 1, "pred" each column, "all" the whole matrix, None
    shows counts. Each cell is annotated with its value.

    Args:
        validation_data: `(x, y)`, `(x, y, sample_weight)`, or a dataset of such
            batches (`tf.data.Dataset`, `keras.utils.PyDataset`, torch
            `DataLoader`).
        path: PNG file to write.
        class_names: tick labels (default: "0", "1", ...; a binary head `(B, 1)`
            has two classes, its scores decided at 0.5).
        normalize: None, "true", "pred" or "all". Defaults to "true".
        output: which output of a model with several (its name or index);
            checked at train begin. Defaults to None (the only one).
        from_logits: whether the model outputs logits (a binary head's are
            then decided at 0). Defaults to False.

    Example:
        >>> import numpy as np
        >>> plot = ConfusionMatrixPlot((np.zeros((2, 4)), np.array([0, 1])), "cm.png")
        >>> plot.normalize
        'true'
    """

    config_fields = ("class_names", "normalize")

    def __init__(
        self,
        validation_data: Any,
        path: Any,
        class_names: Any = None,
        normalize: Normalization = "true",
        output: str | int | None = None,
        from_logits: bool = False,
    ) -> None:
        super().__init__(validation_data, path, output, from_logits)
        self.class_names = list(class_names) if class_names is not None else None
        self.normalize = check_one_of("normalize", normalize, NORMALIZATIONS)
        self.matrix: np.ndarray | None = None

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        y, predictions, weight = self.validation_predictions()
        decided = decided_classes(predictions, self.from_logits)
        metric = confusion_of(y, decided, weight)
        matrix = normalize_matrix(metric.confusion_matrix(), self.normalize)
        self.matrix = np.asarray(ops.convert_to_numpy(matrix), dtype=float)
        names = self.class_names or [str(i) for i in range(len(self.matrix))]
        plt = pyplot()
        size = 1.0 + 0.6 * len(names)
        figure, axis = plt.subplots(figsize=(size + 1.5, size))
        image = axis.imshow(self.matrix, cmap="Blues")
        figure.colorbar(image, ax=axis)
        axis.set_xticks(range(len(names)), names, rotation=45, ha="right")
        axis.set_yticks(range(len(names)), names)
        axis.set_xlabel("predicted")
        axis.set_ylabel("true")
        middle = self.matrix.max() / 2 if self.matrix.size else 0
        for (i, j), value in np.ndenumerate(self.matrix):
            text = f"{value:.2f}" if self.normalize else f"{value:g}"
            axis.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                color="white" if value > middle else "black",
            )
        axis.set_title(
            "Confusion matrix"
            + (f" (normalize={self.normalize})" if self.normalize else "")
        )
        figure.tight_layout()
        save_figure(figure, self.path)
        plt.close(figure)


@keras.saving.register_keras_serializable(package="keras_extras")
class CurvePlot(ValidationPlot):
    """ROC and precision-recall curves on validation data, one line per class, PNG.

    The curves come from keras-extras' `AUROC` state (`roc_curve()`,
    `precision_recall_curve()`: exact at its threshold grid), so a model of any
    class count is drawn from O(classes x thresholds) numbers, never from every
    prediction kept. Each legend entry gives the class's AUROC. Drawn at training
    end, and every `every_n_epochs` epochs when that is set.

    Args:
        validation_data: `(x, y)`, `(x, y, sample_weight)`, or a dataset of such
            batches (`tf.data.Dataset`, `keras.utils.PyDataset`, torch
            `DataLoader`). `y` as `AUROC`
            takes it (ids or one-hot for multiclass, 0/1 for binary).
        path: PNG file to write.
        num_classes: number of classes; None for binary scores `(batch,)` or
            `(batch, 1)`. Defaults to None.
        class_names: legend labels (default: "0", "1", ...).
        from_logits: whether the model outputs logits. Defaults to False.
        every_n_epochs: also draw every n epochs (0: at training end only).
            Defaults to 0.
        output: which output of a model with several (its name or index);
            checked at train begin. Defaults to None (the only one).

    Example:
        >>> import numpy as np
        >>> plot = CurvePlot((np.zeros((2, 4)), np.array([0, 1])), "curves.png", 3)
        >>> plot.get_config()["num_classes"]
        3
    """

    config_fields = ("num_classes", "class_names", "every_n_epochs")

    def __init__(
        self,
        validation_data: Any,
        path: Any,
        num_classes: int | None = None,
        class_names: Any = None,
        from_logits: bool = False,
        every_n_epochs: int = 0,
        output: str | int | None = None,
    ) -> None:
        super().__init__(validation_data, path, output, from_logits)
        self.num_classes = check_int("num_classes", num_classes, 2, allow_none=True)
        self.class_names = list(class_names) if class_names is not None else None
        self.every_n_epochs = check_int("every_n_epochs", every_n_epochs, 0)
        self.curves: dict[str, np.ndarray] | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.every_n_epochs and (epoch + 1) % self.every_n_epochs == 0:
            self.draw()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.draw()

    def draw(self) -> Path:
        """Compute the curves on the validation data and write the PNG."""
        from keras_extras.metrics import AUROC

        y, predictions, weight = self.validation_predictions()
        binary = self.num_classes is None
        metric = AUROC(
            num_classes=None if binary else self.num_classes,
            task="binary" if binary else "multiclass",
            average=None,
            from_logits=self.from_logits,
        )
        metric.update_state(y, predictions, sample_weight=weight)
        fpr, tpr, _ = metric.roc_curve()
        precision, recall, _ = metric.precision_recall_curve()
        areas = np.atleast_1d(ops.convert_to_numpy(metric.result()))
        fpr, tpr = np.atleast_2d(fpr), np.atleast_2d(tpr)
        precision, recall = np.atleast_2d(precision), np.atleast_2d(recall)
        names = self.class_names or (
            ["positive"] if binary else [str(k) for k in range(len(fpr))]
        )
        self.curves = {"fpr": fpr, "tpr": tpr, "precision": precision, "recall": recall}
        plt = pyplot()
        figure, (roc, pr) = plt.subplots(1, 2, figsize=(10, 4.5))
        for k, name in enumerate(names):
            roc.plot(fpr[k], tpr[k], label=f"{name} (AUROC {areas[k]:.3f})")
            # Thresholds above every score predict nothing: no precision there.
            defined = (precision[k] > 0) | (recall[k] > 0)
            pr.plot(recall[k][defined], precision[k][defined], label=name)
        roc.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
        roc.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
        pr.set(xlabel="recall", ylabel="precision", title="precision-recall")
        for axis in (roc, pr):
            axis.set_xlim(0, 1)
            axis.set_ylim(0, 1.02)
            axis.legend(fontsize=8)
        figure.tight_layout()
        save_figure(figure, self.path)
        plt.close(figure)
        return self.path


@keras.saving.register_keras_serializable(package="keras_extras")
class ReliabilityDiagram(ValidationPlot):
    """A reliability diagram on validation data at training end, PNG.

    From keras-extras' `ExpectedCalibrationError` bins (`reliability()`): for each
    confidence bin, the accuracy of its predictions against their mean
    confidence, with the diagonal of perfect calibration, the share of samples
    per bin below, and the ECE in the title.

    Args:
        validation_data: `(x, y)`, `(x, y, sample_weight)`, or a dataset of such
            batches (`tf.data.Dataset`, `keras.utils.PyDataset`, torch
            `DataLoader`).
        path: PNG file to write.
        num_bins: number of equal-width bins. Defaults to 15.
        from_logits: whether the model outputs logits. Defaults to False.
        output: which output of a model with several (its name or index);
            checked at train begin. Defaults to None (the only one).

    Example:
        >>> import numpy as np
        >>> plot = ReliabilityDiagram((np.zeros((2, 4)), np.array([0, 1])), "r.png")
        >>> plot.num_bins
        15
    """

    config_fields = ("num_bins",)

    def __init__(
        self,
        validation_data: Any,
        path: Any,
        num_bins: int = 15,
        from_logits: bool = False,
        output: str | int | None = None,
    ) -> None:
        super().__init__(validation_data, path, output, from_logits)
        self.num_bins = check_int("num_bins", num_bins, 1)
        self.bins: dict[str, Any] | None = None

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        from keras_extras.metrics import ExpectedCalibrationError

        y, predictions, weight = self.validation_predictions()
        metric = ExpectedCalibrationError(
            num_bins=self.num_bins, from_logits=self.from_logits
        )
        metric.update_state(y, predictions, sample_weight=weight)
        self.bins = metric.reliability()
        ece = float(ops.convert_to_numpy(metric.result()))
        edges = self.bins["edges"]
        centres, width = (edges[:-1] + edges[1:]) / 2, edges[1] - edges[0]
        plt = pyplot()
        figure, (top, bottom) = plt.subplots(
            2, 1, figsize=(5, 6), sharex=True, height_ratios=(3, 1)
        )
        filled = ~np.isnan(self.bins["accuracy"])
        top.bar(
            centres[filled],
            self.bins["accuracy"][filled],
            width=width * 0.9,
            label="accuracy",
        )
        top.plot([0, 1], [0, 1], color="grey", linestyle=":", label="calibrated")
        top.plot(
            self.bins["confidence"][filled],
            self.bins["accuracy"][filled],
            "o",
            color="black",
            markersize=3,
            label="mean confidence",
        )
        top.set(ylabel="accuracy", title=f"reliability (ECE {ece:.3f})", ylim=(0, 1))
        top.legend(fontsize=8)
        total = self.bins["weight"].sum()
        share = self.bins["weight"] / total if total else self.bins["weight"]
        bottom.bar(centres, share, width=width * 0.9, color="grey")
        bottom.set(xlabel="confidence", ylabel="share", xlim=(0, 1))
        figure.tight_layout()
        save_figure(figure, self.path)
        plt.close(figure)

"""Pictures of training: the history of every logged quantity, a confusion matrix.

matplotlib is an optional extra (`pip install "keras-extras[plot]"`); it is imported
when a plotting callback is created, never at `import keras_extras`.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
from keras import ops

from keras_extras._validation import check_int, check_one_of
from keras_extras.callbacks._figures import pyplot, save_figure
from keras_extras.callbacks._monitor import as_float
from keras_extras.callbacks._validation_data import confusion_of, unpack_validation_data
from keras_extras.callbacks.base import ConfigMixin
from keras_extras.metrics.confusion import NORMALIZATIONS, normalize_matrix


def history_panels(history: dict) -> dict:
    """Group log keys into panels: `x` and `val_x` share one, scalar keys only."""
    panels: dict[str, dict] = {}
    for key, values in history.items():
        base = key.removeprefix("val_")
        if base != key and base not in history:
            base = key  # a validation-only quantity keeps its own name
        panels.setdefault(base, {})[key] = values
    return panels


@keras.saving.register_keras_serializable(package="keras_extras")
class PlotHistory(ConfigMixin, keras.callbacks.Callback):
    """A PNG of the loss and every logged metric, one panel per quantity.

    Training and validation values of a quantity (`f1`, `val_f1`) share a panel.
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

    def __init__(self, path, every_n_epochs: int | None = None):
        super().__init__()
        pyplot()
        self.path = Path(path)
        self.every_n_epochs = check_int(
            "every_n_epochs", every_n_epochs, minimum=1, allow_none=True
        )
        self.history: dict[str, list] = {}
        self.epochs: list[int] = []
        self.panels: list[str] = []

    def on_train_begin(self, logs=None):
        self.history, self.epochs = {}, []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch + 1)
        for key, value in (logs or {}).items():
            number = as_float(value)
            if number is not None:
                self.history.setdefault(key, [None] * (len(self.epochs) - 1))
        for key, values in self.history.items():
            values.append(as_float((logs or {}).get(key)))
        if self.every_n_epochs and (epoch + 1) % self.every_n_epochs == 0:
            self.plot()

    def on_train_end(self, logs=None):
        if self.epochs:
            self.plot()

    def plot(self) -> None:
        plt = pyplot()
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
                    axis.plot(
                        *zip(*points, strict=True),
                        marker=".",
                        label="validation" if key.startswith("val_") else "training",
                    )
            axis.set_title(title)
            axis.set_xlabel("epoch")
            axis.legend(fontsize=8)
        for axis in list(axes.flat)[len(panels) :]:
            figure.delaxes(axis)
        figure.tight_layout()
        save_figure(figure, self.path)
        plt.close(figure)
        self.panels = list(panels)


@keras.saving.register_keras_serializable(package="keras_extras")
class ConfusionMatrixPlot(ConfigMixin, keras.callbacks.Callback):
    """A PNG heat map of the confusion matrix on validation data, at training end.

    Counts come from keras-extras' `ConfusionMatrix`; with `normalize="true"` each
    row (true class) sums to 1, "pred" each column, "all" the whole matrix, None
    shows counts. Each cell is annotated with its value.

    Args:
        validation_data: `(x, y)` or `(x, y, sample_weight)`.
        path: PNG file to write.
        class_names: tick labels (default: "0", "1", ...).
        normalize: None, "true", "pred" or "all". Defaults to "true".

    Example:
        >>> import numpy as np
        >>> plot = ConfusionMatrixPlot((np.zeros((2, 4)), np.array([0, 1])), "cm.png")
        >>> plot.normalize
        'true'
    """

    config_fields = (
        "validation_data",
        "path",
        "class_names",
        "normalize",
    )

    def __init__(self, validation_data, path, class_names=None, normalize="true"):
        super().__init__()
        pyplot()
        unpack_validation_data(validation_data)
        self.validation_data = validation_data
        self.path = Path(path)
        self.class_names = list(class_names) if class_names is not None else None
        self.normalize = check_one_of("normalize", normalize, NORMALIZATIONS)
        self.matrix = None

    def on_train_end(self, logs=None):
        num_classes = len(self.class_names) if self.class_names else None
        metric = confusion_of(self.model, self.validation_data, num_classes)
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

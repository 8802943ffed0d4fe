"""The confusion matrix itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from keras_extras._config import spelled_out
from keras_extras._docstrings import document
from keras_extras._naming import LogKey
from keras_extras._typing import Normalization, Task
from keras_extras._validation import check_one_of
from keras_extras.metrics.confusion.counting import (
    NORMALIZATIONS,
    normalize_matrix,
)
from keras_extras.metrics.confusion.single import CONFUSION_ARGS
from keras_extras.metrics.confusion.state import (
    ConfusionArguments,
    ConfusionStateMetric,
)
from keras_extras.metrics.inputs import cast_to

if TYPE_CHECKING:
    from typing_extensions import Unpack


@spelled_out(ConfusionArguments)
class ConfusionMatrix(ConfusionStateMetric):
    """The confusion matrix: `M[i, j]` = (weighted) count of true `i` predicted `j`.

    Multilabel: one 2x2 matrix per label, `(C, 2, 2)`, as
    `sklearn.metrics.multilabel_confusion_matrix`. `normalize` divides by the true
    (row) totals, the predicted (column) totals or the grand total, with 0 where a
    total is 0, as `sklearn.metrics.confusion_matrix`. Counts are exact up to 2**40
    in state; `result()` rounds them to float32 (exact up to 2**24 per cell);
    `metric.counts.numpy()` gives the exact float64 counts on the host.

    Args:
        normalize: None, "true", "pred" or "all". Defaults to None.
    {args}
    Example:
        >>> import numpy as np
        >>> m = ConfusionMatrix(num_classes=2)
        >>> m.update_state(np.array([0, 1, 1]), np.array([0, 0, 1]))
        >>> keras.ops.convert_to_numpy(m.result()).tolist()
        [[1.0, 0.0], [1.0, 1.0]]
    """

    config_fields = ("normalize",)
    default_name = "confusion_matrix"

    def __init__(
        self,
        num_classes: int | None = None,
        normalize: Normalization = None,
        task: Task = "multiclass",
        **kwargs: Unpack[ConfusionArguments],
    ) -> None:
        super().__init__(num_classes, task, **kwargs)
        self.normalize = check_one_of("normalize", normalize, NORMALIZATIONS)

    def value_keys(self) -> dict[str, LogKey]:
        return {self.name: LogKey(None, self.name)}  # counts: no direction

    def result(self) -> Any:
        matrix = normalize_matrix(self.confusion_matrix(), self.normalize)
        return cast_to(self.guarded(matrix), self.dtype)


document(ConfusionMatrix, CONFUSION_ARGS, inputs="classification")

"""Input formatting shared by keras-extras metrics.

Every function here is traceable: it reads static shapes only (raising `ValueError`
at trace time when they cannot match), and never branches on tensor values. Samples
that cannot be counted inside a compiled step (a label outside `[0, num_classes)`,
a label equal to `ignore_class`, an all-zero one-hot row, a NaN score) get weight 0
instead of raising.

- `shapes`: static shapes, batch sizes, sample weights;
- `labels`: the label rules (ids, one-hot rows, binary labels), written once;
- `classification`: labels and predictions to class ids (confusion counts);
- `probabilities`: labels and scores to probabilities and targets (histograms,
  calibration, per-sample means).
"""

from keras_extras.metrics.inputs.classification import classification_inputs
from keras_extras.metrics.inputs.labels import (
    TASKS,
    binary_inputs,
    class_ids,
    infer_num_classes,
)
from keras_extras.metrics.inputs.probabilities import (
    SCORE_TOLERANCE,
    class_probabilities,
    probability_inputs,
)
from keras_extras.metrics.inputs.shapes import (
    broadcast_sample_weight,
    cast_to,
    check_batch_sizes,
    static_shape,
)

__all__ = [
    "SCORE_TOLERANCE",
    "TASKS",
    "binary_inputs",
    "broadcast_sample_weight",
    "cast_to",
    "check_batch_sizes",
    "class_ids",
    "class_probabilities",
    "classification_inputs",
    "infer_num_classes",
    "probability_inputs",
    "static_shape",
]

"""Validation data a callback predicts by itself: what Keras' `fit` accepts as
`validation_data` (arrays, a `tf.data.Dataset`, a `keras.utils.PyDataset`, a torch
`DataLoader`), one output of a model with several, and the predictions on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import keras
import numpy as np

from keras_extras._validation import check_bool
from keras_extras.callbacks._files import outside_distribution
from keras_extras.callbacks.base import ConfigMixin


def _is_arrays(validation_data: Any) -> bool:
    return isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3)


def unpack_validation_data(validation_data: Any) -> Any:
    """`(x, y, sample_weight)` from a tuple of 2 or 3 arrays; a dataset of such
    batches is returned as it is (it is read when predicted)."""
    if _is_arrays(validation_data):
        x, y, *rest = validation_data
        return x, y, (rest[0] if rest else None)
    if is_dataset(validation_data):
        return validation_data
    raise ValueError(
        "Invalid `validation_data`: expected a tuple (x, y) or (x, y, "
        "sample_weight), or a dataset of such batches (a tf.data.Dataset, a "
        "keras.utils.PyDataset, a torch DataLoader). Received: "
        f"{type(validation_data).__name__}"
    )


def is_dataset(data: Any) -> bool:
    """Whether `data` is a dataset of batches (not arrays or a tuple of them)."""
    if isinstance(data, (str, bytes, dict, np.ndarray)) or _is_arrays(data):
        return False
    return isinstance(data, keras.utils.PyDataset) or hasattr(data, "__iter__")


def batches_of(dataset: Any) -> Iterator[Any]:
    """The batches of a dataset (a `PyDataset` by index, others by iterating)."""
    if isinstance(dataset, keras.utils.PyDataset):
        for index in range(len(dataset)):
            yield dataset[index]
    else:
        yield from dataset


def _host(value: Any) -> Any:
    """A batch's tensors (any framework's) as numpy arrays, structure kept."""
    return keras.tree.map_structure(np.asarray, value)


def _concatenate(parts: list[Any]) -> Any:
    return keras.tree.map_structure(
        lambda *arrays: np.concatenate(arrays, axis=0), *parts
    )


def output_names(model: Any) -> list[str]:
    """The names of the model's outputs (empty when Keras does not know them)."""
    names = getattr(model, "output_names", None)
    return [str(name) for name in names] if names else []


def select_output(value: Any, output: str | int | None, names: list[str]) -> Any:
    """The part of a model's predictions (or of labels) for `output`."""
    if isinstance(value, dict):
        if output is None and len(value) == 1:
            return next(iter(value.values()))
        key = names[output] if isinstance(output, int) and names else output
        return value[key]
    if isinstance(value, (list, tuple)):
        if output is None and len(value) == 1:
            return value[0]
        index = names.index(output) if isinstance(output, str) else output
        return value[int(index or 0)]
    return value


def predictions_on(
    model: Any, validation_data: Any, output: str | int | None = None
) -> Any:
    """`(y, predictions, sample_weight)` of one output, numpy, on validation data.

    Every process predicts the whole validation set by itself, with the
    distribution unset: under a multi-process JAX `DataParallel`, `predict` would
    return an array spread over every process's devices, which no process can
    read (`RuntimeError: Fetching value for jax.Array that spans non-addressable
    devices`); the weights are replicated, so each process holds all of them.
    A dataset is read once, batch by batch (`predict_on_batch`), so labels and
    predictions stay paired however it shuffles.
    """
    names = output_names(model)
    data = unpack_validation_data(validation_data)
    with outside_distribution():
        if isinstance(data, tuple):
            x, y, weight = data
            predictions = model.predict(x, batch_size=256, verbose=0)
        else:
            found: list[tuple[Any, Any, Any]] = []
            for batch in batches_of(data):
                if not _is_arrays(batch):
                    raise ValueError(
                        "Invalid `validation_data`: each batch must be (x, y) or "
                        f"(x, y, sample_weight). Received a {type(batch).__name__}"
                    )
                x, y, *rest = _host(tuple(batch))
                found.append((y, model.predict_on_batch(x), rest[0] if rest else None))
            if not found:
                raise ValueError("Invalid `validation_data`: the dataset is empty.")
            y = _concatenate([part[0] for part in found])
            predictions = _concatenate([_host(part[1]) for part in found])
            weights = [part[2] for part in found]
            weight = None if weights[0] is None else _concatenate(weights)
    return (
        select_output(_host(y), output, names),
        select_output(_host(predictions), output, names),
        None if weight is None else select_output(_host(weight), output, names),
    )


def decided_classes(predictions: np.ndarray, from_logits: bool) -> np.ndarray:
    """A binary head's scores `(B,)` or `(B, 1)` as class ids (positive at 0.5,
    or at 0 for logits); class scores `(B, C)` as they are."""
    if predictions.ndim >= 2 and predictions.shape[-1] > 1:
        return predictions
    scores = predictions.reshape(predictions.shape[0], -1)[:, 0]
    return (scores >= (0.0 if from_logits else 0.5)).astype("int32")


class ValidationDataCallback(ConfigMixin, keras.callbacks.Callback):
    """Base class of the callbacks that predict their own validation data.

    At `on_train_begin` it checks what can be checked before any epoch runs: in
    a model with several outputs, that `output` names one of them (a
    `ValueError` lists them); with `class_names`, that the output has as many
    classes (a binary head `(B, 1)` has two).

    Args:
        validation_data: `(x, y)` or `(x, y, sample_weight)`, or a dataset of such
            batches (`tf.data.Dataset`, `keras.utils.PyDataset`, torch
            `DataLoader`).
        output: which output of a model with several (its name or index);
            `y` is then that output's labels (or a dict / list of every
            output's). Defaults to None (the only output).
        from_logits: whether the model outputs logits. Defaults to False.
    """

    config_fields: tuple[str, ...] = ("validation_data", "output", "from_logits")

    def __init__(
        self,
        validation_data: Any,
        output: str | int | None = None,
        from_logits: bool = False,
    ) -> None:
        super().__init__()
        unpack_validation_data(validation_data)
        if output is not None and not isinstance(output, (str, int)):
            raise TypeError(
                "Invalid `output`: expected an output's name or index. "
                f"Received: output={output!r}"
            )
        self.validation_data = validation_data
        self.output = output
        self.from_logits = check_bool("from_logits", from_logits)

    def expected_classes(self) -> int | None:
        """How many classes the callback's arguments say there are (None: any)."""
        names = getattr(self, "class_names", None)
        return len(names) if names else None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        names = output_names(self.model)
        outputs = getattr(self.model, "outputs", None) or []
        if len(names) > 1 or len(outputs) > 1:
            if self.output is None:
                raise ValueError(
                    f"{type(self).__name__}: the model has several outputs "
                    f"{names}: pass output= (a name or an index)."
                )
            valid = self.output in names or (
                isinstance(self.output, int) and 0 <= self.output < len(outputs)
            )
            if not valid:
                raise ValueError(
                    f"Invalid `output`: expected one of {names} or an index below "
                    f"{len(outputs)}. Received: output={self.output!r}"
                )
        expected = self.expected_classes()
        if expected is None or not outputs:
            return
        index = 0
        if isinstance(self.output, str):
            index = names.index(self.output)
        elif self.output is not None:
            index = self.output
        shape = tuple(outputs[index].shape)
        classes = 2 if len(shape) < 2 or shape[-1] == 1 else shape[-1]
        if classes is not None and classes != expected:
            raise ValueError(
                f"{type(self).__name__}: {expected} class names for an output of "
                f"{classes} classes (shape {shape}). Received: "
                f"class_names={getattr(self, 'class_names', None)!r}"
            )

    def validation_predictions(self) -> Any:
        """`(y, predictions, sample_weight)` of the chosen output, numpy."""
        return predictions_on(self.model, self.validation_data, self.output)

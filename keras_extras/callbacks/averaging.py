"""Stochastic weight averaging: the running mean of the weights at the end of
each epoch, on the device, with batch-norm statistics recomputed under it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_extras import _keras_compat
from keras_extras._validation import check_bool, check_int
from keras_extras.callbacks._validation_data import batches_of, is_dataset
from keras_extras.callbacks.base import ConfigMixin


def _is_float(variable: Any) -> bool:
    return "float" in keras.backend.standardize_dtype(variable.dtype)


class StochasticWeightAveraging(ConfigMixin, keras.callbacks.Callback):
    """Average the model's weights over the ends of epochs (SWA, Izmailov et
    al., 2018), and leave the average in the model when training ends.

        average_n = average_{n-1} + (w_e - average_{n-1}) / n

    for the weights `w_e` at the end of each epoch `e >= start_epoch` (`n`
    of them so far), as `torch.optim.swa_utils.AveragedModel`. Every float
    weight of the model is averaged: the trainable ones, and the non-trainable
    ones such as batch-norm moving statistics (torch's `use_buffers=True`;
    frozen weights do not change, so their average is themselves). Integer
    state (seed generators, counters) is left as it is. The average is kept
    in float32 tensors on the model's device (a copy of the weights; with
    `validate_average`, a second copy holds the trained weights while the
    average is in the model).

    At the end of `fit` the model holds the average (a model that saves to
    `.keras` saves it). With `batch_norm_data`, the moving statistics of every
    trainable `BatchNormalization` layer are then recomputed over that data
    under the averaged weights, as `torch.optim.swa_utils.update_bn` does: each
    batch's mean and variance (Keras' biased batch variance) enter a cumulative
    mean, not a momentum update, so with batches of one size the moving mean is
    the data's mean of the layer's inputs. The layers run in training mode
    there (dropout too, as in torch).

    With `validate_average=True`, from `start_epoch` on the model holds the
    average from validation to the next epoch's start: the validation logs,
    and the callbacks after this one at each epoch's end (`BestCheckpoints`,
    `ModelCheckpoint`, `restore_best_weights`), see the averaged model, while
    training goes on from the trained weights. Put it before the callbacks
    that should see the average. The validated average keeps the averaged
    batch-norm statistics; `batch_norm_data` recomputes them only for the final
    model, which can therefore score a little differently from its last
    validation.

    At the end of training the last callback to set the weights wins: Keras'
    `EarlyStopping(restore_best_weights=True)` placed after this callback
    leaves the best epoch's weights (with `validate_average`, the best
    average), placed before it, the final average.

    It takes part in `keras_extras.callbacks.BackupAndRestore` (`get_state`):
    a resumed run continues the same average.

    Args:
        start_epoch: the first epoch (numbered from 0, as Keras' callbacks
            number them) whose end-of-epoch weights enter the average.
            Defaults to 0.
        validate_average: validate (and show the callbacks after this one) the
            averaged model from `start_epoch` on. Defaults to False.
        batch_norm_data: inputs over which batch-norm statistics are recomputed
            at the end: an array (or a list or dict of arrays, for a model of
            several inputs), a tuple `(x, y)` or `(x, y, sample_weight)` (its
            `x` is read), or a dataset of such batches (`tf.data.Dataset`,
            `keras.utils.PyDataset`, torch `DataLoader`). Defaults to None (the
            averaged moving statistics are kept).
        batch_size: batch size for `batch_norm_data` arrays. Defaults to 32.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
        >>> model = keras.Sequential([
        ...     keras.Input((4,)), keras.layers.Dense(8),
        ...     keras.layers.BatchNormalization(), keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> swa = StochasticWeightAveraging(start_epoch=2, batch_norm_data=x)
        >>> _ = model.fit(x, x[:, :1], epochs=4, verbose=0, callbacks=[swa])
        >>> swa.count  # the ends of epochs 2 and 3
        2
    """

    config_fields = ("start_epoch", "validate_average", "batch_norm_data", "batch_size")

    def __init__(
        self,
        start_epoch: int = 0,
        validate_average: bool = False,
        batch_norm_data: Any = None,
        batch_size: int = 32,
    ) -> None:
        super().__init__()
        self.start_epoch = check_int("start_epoch", start_epoch, minimum=0)
        self.validate_average = check_bool("validate_average", validate_average)
        self.batch_size = check_int("batch_size", batch_size)
        if batch_norm_data is not None and not (
            is_dataset(batch_norm_data)
            or isinstance(batch_norm_data, (tuple, list, dict, np.ndarray))
            or ops.is_tensor(batch_norm_data)
        ):
            raise TypeError(
                "Invalid `batch_norm_data`: expected arrays, a tuple (x, y), or "
                "a dataset of batches. Received: "
                f"{type(batch_norm_data).__name__}"
            )
        self.batch_norm_data = batch_norm_data
        self.count = 0
        self._average: list[Any] | None = None
        self._trained: list[Any] | None = None  # held while the average is in
        self._averaged_epoch: int | None = None
        self._epoch: int | None = None
        self._training = False

    # The weights, the average, and swapping them.

    def _weights(self) -> list[Any]:
        return [w for w in self.model.weights if _is_float(w)]

    def _add_epoch(self, epoch: int) -> None:
        """Enter the model's weights now (the end of `epoch`) into the average
        (in float32, whatever the weights' dtype)."""
        weights = [ops.cast(w.value, "float32") for w in self._weights()]
        self.count += 1
        if self._average is None or self.count == 1:
            self._average = [ops.copy(w) for w in weights]
        else:
            share = 1.0 / self.count
            self._average = [
                a + (w - a) * share for a, w in zip(self._average, weights, strict=True)
            ]
        self._averaged_epoch = epoch

    def _put(self, values: list[Any]) -> None:
        """Assign `values` to the model's float weights, in their dtypes (a
        copy: JAX steps donate the arrays the variables hold)."""
        for weight, value in zip(self._weights(), values, strict=True):
            weight.assign(ops.cast(ops.copy(value), weight.dtype))

    def _swap_in(self) -> None:
        """Put the average in the model, holding the trained weights."""
        if self._trained is not None or self._average is None:
            return
        self._trained = [ops.copy(w.value) for w in self._weights()]
        self._put(self._average)

    def _swap_out(self) -> None:
        """Give the model its trained weights back."""
        if self._trained is None:
            return
        self._put(self._trained)
        self._trained = None

    # Keras' hooks.

    def on_train_begin(self, logs: Any = None) -> None:
        self._swap_out()  # a fit that ended with the average in (an error)
        self._training = True
        self.count, self._average, self._trained = 0, None, None
        self._averaged_epoch = self._epoch = None

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._epoch = epoch
        self._swap_out()

    def on_test_begin(self, logs: Any = None) -> None:
        # Validation inside `fit` runs before `on_epoch_end`: the epoch's
        # weights enter the average here, so that it is what is validated.
        epoch = self._epoch
        if not (self._training and self.validate_average and epoch is not None):
            return
        if epoch >= self.start_epoch:
            if self._averaged_epoch != epoch:
                self._add_epoch(epoch)
            self._swap_in()

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if epoch < self.start_epoch:
            return
        if self._averaged_epoch != epoch:
            self._add_epoch(epoch)
        if self.validate_average:
            self._swap_in()

    def on_train_end(self, logs: Any = None) -> None:
        self._training = False
        if self._average is None:
            return  # training ended before start_epoch: the weights stay
        self._put(self._average)
        self._trained = None
        if self.batch_norm_data is not None:
            self.recompute_batch_norm()

    # Batch norm.

    def _inputs(self) -> Iterator[Any]:
        data = self.batch_norm_data
        if isinstance(data, tuple):
            data = data[0]
        if is_dataset(data) and not (
            isinstance(data, (list, dict)) or ops.is_tensor(data)
        ):
            for batch in batches_of(data):
                yield batch[0] if isinstance(batch, (tuple, list)) else batch
            return
        size = len(keras.tree.flatten(data)[0])
        for start in range(0, size, self.batch_size):
            part = slice(start, start + self.batch_size)
            yield keras.tree.map_structure(lambda a, part=part: a[part], data)

    def recompute_batch_norm(self) -> int:
        """Recompute the moving statistics of the model's trainable
        `BatchNormalization` layers over `batch_norm_data`, under the weights
        the model holds; the number of batches read."""
        layers = [
            layer
            for layer in _keras_compat.all_layers(self.model)
            if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable
        ]
        if not layers:
            return 0
        momenta = [layer.momentum for layer in layers]
        batches = 0
        try:
            for batches, x in enumerate(self._inputs(), start=1):
                for layer in layers:
                    # Momentum (i - 1) / i: the i-th batch weighs 1 / i, a
                    # cumulative mean (the first batch's statistics replace the
                    # old ones).
                    layer.momentum = (batches - 1) / batches
                self.model(x, training=True)
        finally:
            for layer, momentum in zip(layers, momenta, strict=True):
                layer.momentum = momentum
        if batches == 0:
            raise ValueError("Invalid `batch_norm_data`: it holds no batch.")
        return batches

    # BackupAndRestore.

    def get_state(self) -> dict[str, Any]:
        """The average, its count, the epoch it last took in, and the trained
        weights held while the average is in the model."""

        def host(values: list[Any] | None) -> list[Any] | None:
            if values is None:
                return None
            return [ops.convert_to_numpy(v) for v in values]

        return {
            "count": self.count,
            "average": host(self._average),
            "trained": host(self._trained),
            "averaged_epoch": self._averaged_epoch,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        def device(values: list[Any] | None) -> list[Any] | None:
            if values is None:
                return None
            return [ops.convert_to_tensor(v) for v in values]

        self.count = int(state["count"])
        self._average = device(state["average"])
        self._trained = device(state["trained"])
        self._averaged_epoch = state["averaged_epoch"]

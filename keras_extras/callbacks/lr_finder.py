"""The learning-rate range test (Smith, 2017; fastai's `lr_find`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_extras._keras_compat import learning_rate_setting
from keras_extras._validation import check_int, check_number
from keras_extras.callbacks._monitor import as_float
from keras_extras.callbacks.base import ConfigMixin


@keras.saving.register_keras_serializable(package="keras_extras")
class LRFinder(ConfigMixin, keras.callbacks.Callback):
    """Sweep the learning rate exponentially over a short run; find a good one.

    Training step k (of `num_steps`) uses

        lr_k = min_lr * (max_lr / min_lr) ** (k / (num_steps - 1)),

    the loss of each step is recorded and smoothed (exponential moving average with
    bias correction, factor `smoothing`), and the sweep stops early once the
    smoothed loss exceeds `divergence_factor` times its minimum. At the end the
    model's weights and the optimizer's state (moments, iteration count, learning
    rate) are restored exactly, so the test leaves no trace.

    `suggestion` is the learning rate where the smoothed loss falls fastest
    (steepest negative slope against log lr). Run it with enough data for
    `num_steps` steps: `model.fit(x, y, epochs=E, callbacks=[finder])` stops by
    itself. The optimizer must have a constant learning rate (not a schedule).

    The per-step loss is read from Keras' running epoch mean (`logs["loss"]`), so it
    assumes equal batch sizes within an epoch.

    Args:
        min_lr: first learning rate, > 0. Defaults to 1e-7.
        max_lr: last learning rate, > min_lr. Defaults to 10.
        num_steps: steps in the sweep, >= 2. Defaults to 100.
        smoothing: moving-average factor in [0, 1). Defaults to 0.98.
        divergence_factor: stop when the smoothed loss exceeds this multiple of its
            minimum (None: never). Defaults to 4.

    Attributes:
        history: `{"lr": [...], "loss": [...], "smoothed_loss": [...]}`.
        suggestion: suggested learning rate (None before a sweep).

    Example:
        >>> finder = LRFinder(min_lr=1e-5, max_lr=1.0, num_steps=50)
        >>> round(finder.learning_rate_at(49), 6)
        1.0
    """

    config_fields = (
        "min_lr",
        "max_lr",
        "num_steps",
        "smoothing",
        "divergence_factor",
    )

    def __init__(
        self,
        min_lr: float = 1e-7,
        max_lr: float = 10.0,
        num_steps: int = 100,
        smoothing: float = 0.98,
        divergence_factor: float | None = 4.0,
    ) -> None:
        super().__init__()
        low, high = as_float(min_lr), as_float(max_lr)
        if low is None or high is None or not 0 < low < high:
            raise ValueError(
                "Invalid `min_lr`/`max_lr`: expected 0 < min_lr < max_lr. "
                f"Received: min_lr={min_lr!r}, max_lr={max_lr!r}"
            )
        self.min_lr, self.max_lr = low, high
        self.num_steps = check_int("num_steps", num_steps, minimum=2)
        self.smoothing = check_number(
            "smoothing", smoothing, 0.0, 1.0, high_inclusive=False
        )
        if divergence_factor is not None:
            check_number("divergence_factor", divergence_factor, 1.0, None, False)
        self.divergence_factor = divergence_factor
        self.history: dict[str, list[float]] = {
            "lr": [],
            "loss": [],
            "smoothed_loss": [],
        }
        self.suggestion: float | None = None

    def learning_rate_at(self, step: int) -> float:
        fraction = step / (self.num_steps - 1)
        return float(self.min_lr * (self.max_lr / self.min_lr) ** fraction)

    def _set_learning_rate(self, value: float) -> None:
        self.model.optimizer.learning_rate.assign(value)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        optimizer = self.model.optimizer
        if not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        setting = learning_rate_setting(optimizer)
        if isinstance(
            setting, keras.optimizers.schedules.LearningRateSchedule
        ) or not isinstance(optimizer.learning_rate, keras.Variable):
            raise ValueError(
                "LRFinder needs an optimizer with a constant learning rate; "
                f"received {type(setting).__name__}."
            )
        self._weights = [np.array(w) for w in self.model.get_weights()]
        self._optimizer_state = [
            np.array(ops.convert_to_numpy(v)) for v in optimizer.variables
        ]
        self.history = {"lr": [], "loss": [], "smoothed_loss": []}
        self.suggestion = None
        self._step = 0
        self._average = 0.0
        self._best = math.inf
        self._set_learning_rate(self.learning_rate_at(0))

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._batches, self._previous_mean = 0, 0.0

    def on_train_batch_end(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        mean = as_float((logs or {}).get("loss"))
        self._batches += 1
        if mean is None:
            return
        # Keras logs the running mean of the epoch; recover this step's loss.
        loss = self._batches * mean - (self._batches - 1) * self._previous_mean
        self._previous_mean = mean
        self._step += 1
        self._average = self.smoothing * self._average + (1 - self.smoothing) * loss
        smoothed = self._average / (1 - self.smoothing**self._step)
        self.history["lr"].append(self.learning_rate_at(self._step - 1))
        self.history["loss"].append(loss)
        self.history["smoothed_loss"].append(smoothed)
        self._best = min(self._best, smoothed)
        diverged = self.divergence_factor is not None and (
            not math.isfinite(smoothed)
            or smoothed > self.divergence_factor * self._best
        )
        if self._step >= self.num_steps or diverged:
            self.model.stop_training = True
        else:
            self._set_learning_rate(self.learning_rate_at(self._step))

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.model.set_weights(self._weights)
        for variable, value in zip(
            self.model.optimizer.variables, self._optimizer_state, strict=True
        ):
            variable.assign(value)
        self.suggestion = self._steepest()

    def _steepest(self) -> float | None:
        lrs = np.log10(np.asarray(self.history["lr"]))
        losses = np.asarray(self.history["smoothed_loss"])
        finite = np.isfinite(losses)
        if finite.sum() < 3:
            return None
        slopes = np.gradient(losses[finite], lrs[finite])
        return float(10 ** lrs[finite][int(np.argmin(slopes))])

    def plot(self, path: Any) -> Path:
        """Write a PNG of the smoothed loss against the learning rate (log scale)."""
        from keras_extras.callbacks._figures import pyplot, save_figure

        plt = pyplot()
        figure, axis = plt.subplots(figsize=(6, 4))
        axis.plot(self.history["lr"], self.history["smoothed_loss"], label="smoothed")
        axis.plot(self.history["lr"], self.history["loss"], alpha=0.3, label="loss")
        if self.suggestion is not None:
            axis.axvline(
                self.suggestion,
                color="red",
                linestyle="--",
                label=f"suggestion {self.suggestion:.2e}",
            )
        axis.set_xscale("log")
        axis.set_xlabel("learning rate")
        axis.set_ylabel("loss")
        axis.legend()
        figure.tight_layout()
        written = Path(path)
        save_figure(figure, written)
        plt.close(figure)
        return written

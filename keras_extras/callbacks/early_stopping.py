"""Keras' EarlyStopping plus guards: non-finite values, divergence, target reached."""

from __future__ import annotations

from typing import Any

import keras

from keras_extras._keras_compat import (
    keep_best_weights,
    min_delta_as_given,
    monitor_direction_settled,
)
from keras_extras._validation import check_bool, check_number, check_one_of
from keras_extras.callbacks._monitor import MODES, as_float, is_finite, resolve_mode
from keras_extras.callbacks.base import ConfigMixin
from keras_extras.distributed import is_main_process


@keras.saving.register_keras_serializable(package="keras_extras")
class EarlyStopping(ConfigMixin, keras.callbacks.EarlyStopping):
    """`keras.callbacks.EarlyStopping` with PyTorch Lightning's stopping guards.

    On top of Keras' patience rule, training stops at the end of the epoch at once
    when the monitored value

    - is NaN or infinite (`check_finite=True`),
    - is worse than `divergence_threshold` (above it when minimising, below it when
      maximising), or
    - reaches `stopping_threshold` (at or below it when minimising, at or above it
      when maximising).

    Like the patience rule, the guards watch from epoch `start_from_epoch` on.

    `stop_reason` says which rule stopped training ("patience", "not_finite",
    "divergence", "stopping_threshold", or None). In `mode="auto"` the direction is
    also found for keys of dict-valued metrics such as `ClassificationMetrics`
    (e.g. `monitor="val_f1"`). Restoring the best weights works as in Keras.

    Args:
        monitor: log key to watch. Defaults to "val_loss".
        min_delta: smallest change that counts as an improvement. Defaults to 0.
        patience: epochs without improvement before stopping. Defaults to 0.
        verbose: 1 prints a message when stopping. Defaults to 0.
        mode: "auto", "min" or "max". Defaults to "auto".
        baseline: value the monitored quantity must beat. Defaults to None.
        restore_best_weights: restore the weights of the best epoch at the end.
            Defaults to False.
        start_from_epoch: epochs to wait before watching. Defaults to 0.
        divergence_threshold: stop when the value is worse than this. Defaults to
            None.
        stopping_threshold: stop when the value reaches this. Defaults to None.
        check_finite: stop when the value is NaN or infinite. Defaults to True.

    Example:
        >>> stopper = EarlyStopping(monitor="val_loss", patience=5,
        ...                         divergence_threshold=10.0)
        >>> stopper.stop_reason is None
        True
    """

    config_fields = (
        "monitor",
        "min_delta",
        "patience",
        "verbose",
        "mode",
        "baseline",
        "restore_best_weights",
        "start_from_epoch",
        "divergence_threshold",
        "stopping_threshold",
        "check_finite",
    )

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
        divergence_threshold: float | None = None,
        stopping_threshold: float | None = None,
        check_finite: bool = True,
    ) -> None:
        check_one_of("mode", mode, MODES)
        super().__init__(
            monitor=monitor,
            min_delta=min_delta,
            patience=patience,
            verbose=verbose,
            mode=mode,
            baseline=baseline,
            restore_best_weights=restore_best_weights,
            start_from_epoch=start_from_epoch,
        )
        for name, value in (
            ("divergence_threshold", divergence_threshold),
            ("stopping_threshold", stopping_threshold),
        ):
            if value is not None:
                check_number(name, value)
        self.divergence_threshold = divergence_threshold
        self.stopping_threshold = stopping_threshold
        self.check_finite = check_bool("check_finite", check_finite)
        self.requested_mode = mode
        self.stop_reason: str | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        super().on_train_begin(logs)
        self.stop_reason = None

    # The state `BackupAndRestore` backs up and gives back on resume.
    STATE = ("wait", "stopped_epoch", "best", "best_epoch", "best_weights")

    def get_state(self) -> dict[str, Any]:
        """What a resumed run needs: Keras' wait, best value, best epoch and
        best weights, and the stop reason."""
        state = {field: getattr(self, field, None) for field in self.STATE}
        return {**state, "stop_reason": self.stop_reason}

    def set_state(self, state: dict[str, Any]) -> None:
        for field in (*self.STATE, "stop_reason"):
            setattr(self, field, state[field])

    def guard_reason(self, value: float) -> str | None:
        """Which guard stops training at `value` ("not_finite", "divergence",
        "stopping_threshold"), or None."""
        minimising = self.mode == "min"
        if self.check_finite and not is_finite(value):
            return "not_finite"
        if self.stopping_threshold is not None and (
            value <= self.stopping_threshold
            if minimising
            else value >= self.stopping_threshold
        ):
            return "stopping_threshold"
        if self.divergence_threshold is not None and (
            value > self.divergence_threshold
            if minimising
            else value < self.divergence_threshold
        ):
            return "divergence"
        return None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if not monitor_direction_settled(self):
            # Keras picks the direction at the first epoch end, from `self.mode`:
            # settle "auto" first, also for keys of dict-valued metrics.
            self.mode = resolve_mode(self.model, self.monitor, self.requested_mode)
        value = as_float((logs or {}).get(self.monitor))
        reason = None
        if value is not None and epoch >= self.start_from_epoch:
            reason = self.guard_reason(value)
        if reason is None:
            was_stopping = self.model.stop_training
            super().on_epoch_end(epoch, logs)
            if self.model.stop_training and not was_stopping:
                self.stop_reason = "patience"
            return
        keep_best_weights(self, epoch)
        self.stopped_epoch = epoch
        self.stop_reason = reason
        self.model.stop_training = True
        if self.verbose and is_main_process():
            print(f"Epoch {epoch + 1}: {self.monitor}={value} stops training: {reason}")

    def get_config(self) -> Any:
        # Keras keeps `min_delta` sign-flipped and `mode` resolved: the config
        # holds the arguments as given.
        return {
            **super().get_config(),
            "min_delta": min_delta_as_given(self),
            "mode": self.requested_mode,
        }

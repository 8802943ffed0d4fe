"""Callbacks that watch training: learning rate, wall-clock budget, throughput."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import keras
from keras import ops

from keras_extras._keras_compat import learning_rate_setting
from keras_extras._validation import check_int, check_number, check_one_of
from keras_extras.callbacks.base import ConfigMixin
from keras_extras.distributed import process_count

LOG_EVERY = ("epoch", "batch")


def current_learning_rate(optimizer: Any) -> float:
    """The learning rate the optimizer's last step used, as a float.

    With a `LearningRateSchedule`, Keras evaluates the schedule at the step count
    before incrementing it, so the last step used `schedule(iterations - 1)`.
    """
    # Keras has no public accessor for the schedule object: `learning_rate`
    # evaluates it at the *next* step.
    rate = learning_rate_setting(optimizer)
    if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
        step = ops.maximum(ops.convert_to_tensor(optimizer.iterations) - 1, 0)
        return float(ops.convert_to_numpy(rate(step)))
    return float(ops.convert_to_numpy(optimizer.learning_rate))


@keras.saving.register_keras_serializable(package="keras_extras")
class LearningRateMonitor(ConfigMixin, keras.callbacks.Callback):
    """Write the learning rate actually used into the logs, as `learning_rate`.

    The value is the one the epoch's last training step used, wherever the
    callback sits in the list: a `ReduceLROnPlateau` placed before it lowers the
    rate at the same epoch end, and the epoch still logs the rate it trained
    with. With a `LearningRateSchedule` it is `schedule(iterations - 1)` (Keras 3
    dropped `_decayed_lr()`); with a plain rate, the callback keeps a device copy
    of the rate before each step (one scalar copy, no host read) and reads it on
    the host once per epoch, so `History`, `CSVLogger` and the progress bar show
    it. Place it before `CSVLogger` in the callback list so that the logger sees
    the key.

    Args:
        log_every: "epoch" (one host read per epoch; keeps Keras' asynchronous
            batch-end dispatch) or "batch" (also into each batch's logs, which
            reads the value on the host every step). Defaults to "epoch".

    Example:
        >>> monitor = LearningRateMonitor()
        >>> monitor.async_safe
        True
    """

    config_fields = ("log_every",)

    def __init__(self, log_every: str = "epoch") -> None:
        super().__init__()
        self.log_every = check_one_of("log_every", log_every, LOG_EVERY)
        self.async_safe = log_every == "epoch"
        self._used = None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._used = None

    def on_train_batch_begin(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        optimizer = self.model.optimizer
        rate = learning_rate_setting(optimizer)
        if not isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
            # A copy: on torch a variable's tensor is updated in place.
            self._used = ops.copy(ops.convert_to_tensor(optimizer.learning_rate))

    def _rate_used(self) -> float:
        if self._used is None:  # a schedule, or no step yet
            return current_learning_rate(self.model.optimizer)
        return float(ops.convert_to_numpy(self._used))

    def on_train_batch_end(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        if self.log_every == "batch" and logs is not None:
            logs["learning_rate"] = self._rate_used()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = self._rate_used()


@keras.saving.register_keras_serializable(package="keras_extras")
class TimeLimit(ConfigMixin, keras.callbacks.Callback):
    """Stop training once a wall-clock budget is spent.

    The clock starts at `on_train_begin`. Before each training step and at each
    epoch end (a clock read, no device sync) the callback sets
    `model.stop_training` once `seconds` have passed; Keras then runs that one
    step, stops, and still runs the epoch's validation in full. So training ends
    at most one step (plus validation) past the budget.

    The check runs in `on_train_batch_begin`, which Keras always calls on the
    training thread: a batch-end check would run on Keras' asynchronous dispatch
    thread, see the clock late (steps queue up behind it) and set
    `stop_training` while the JAX loop hands state between steps. The callback
    has no batch-end hook, so it keeps Keras' asynchronous dispatch on.

    It refuses to run in a multi-process run (`RuntimeError` at the start of
    training): each process reads its own clock, and one that stops alone would
    leave the others waiting in a collective.

    Args:
        seconds: the budget, > 0.

    Attributes:
        clock: the time source, a function returning seconds
            (`time.monotonic`); assign another to an instance to drive it by
            hand (the tests do).
        start_time: the clock's reading at `on_train_begin`, or None.
        stopped_epoch: the (0-based) epoch in which the budget ran out, or None.
        stop_reason: a sentence saying why training stopped, or None.

    Example:
        >>> limit = TimeLimit(seconds=3600)
        >>> limit.stopped_epoch is None
        True
    """

    config_fields = ("seconds",)

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.clock: Callable[[], float] = time.monotonic
        self.seconds = check_number("seconds", seconds, 0.0, None, False)
        self.stopped_epoch: int | None = None
        self.stop_reason: str | None = None
        self.start_time: float | None = None
        self._epoch = 0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if process_count() > 1:
            raise RuntimeError(
                f"TimeLimit cannot stop {process_count()} training processes at the "
                "same step: each reads its own clock, and a process that stops "
                "alone leaves the others waiting in a collective. Bound the run "
                "by `epochs` or `steps_per_epoch` instead."
            )
        self.start_time = self.clock()
        self.stopped_epoch = None
        self.stop_reason = None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch

    def _check(self) -> None:
        if self.stopped_epoch is not None or self.start_time is None:
            return
        elapsed = self.clock() - self.start_time
        if elapsed >= self.seconds:
            self.model.stop_training = True
            self.stopped_epoch = self._epoch
            self.stop_reason = (
                f"time limit of {self.seconds:g} s reached after {elapsed:.2f} s "
                f"in epoch {self._epoch + 1}"
            )

    def on_train_batch_begin(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        self._check()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._check()

    def get_state(self) -> dict[str, Any]:
        """The time spent so far, and the stop (`BackupAndRestore`): a resumed
        run has what is left of the budget, not all of it again (the time the
        run was down does not count)."""
        elapsed = None if self.start_time is None else self.clock() - self.start_time
        return {
            "elapsed": elapsed,
            "stopped_epoch": self.stopped_epoch,
            "stop_reason": self.stop_reason,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        if state["elapsed"] is not None:
            self.start_time = self.clock() - float(state["elapsed"])
        self.stopped_epoch = state["stopped_epoch"]
        self.stop_reason = state["stop_reason"]


@keras.saving.register_keras_serializable(package="keras_extras")
class ThroughputMonitor(ConfigMixin, keras.callbacks.Callback):
    """Add `ms_per_step` and `samples_per_second` to each epoch's logs.

    Timing runs from the end of the `skip_steps`-th training step of the first
    epoch (the first steps compile) or from the start of later epochs, to the end
    of the epoch's last training step; validation is not counted. Only the clock is
    read at batch ends (no device sync), so it is safe with asynchronous dispatch.

    Args:
        batch_size: samples per step, for `samples_per_second` (Keras does not tell
            callbacks the batch size). Without it only `ms_per_step` and
            `steps_per_second` are logged. Defaults to None.
        skip_steps: steps left out at the start of the first epoch. Defaults to 3.

    Attributes:
        clock: the time source (`time.perf_counter`); assign another to an
            instance to drive it by hand.

    Example:
        >>> ThroughputMonitor(batch_size=32).get_config()
        {'batch_size': 32, 'skip_steps': 3}
    """

    config_fields = (
        "batch_size",
        "skip_steps",
    )

    async_safe = True

    def __init__(self, batch_size: int | None = None, skip_steps: int = 3) -> None:
        super().__init__()
        self.clock: Callable[[], float] = time.perf_counter
        self.batch_size = check_int("batch_size", batch_size, 1, allow_none=True)
        self.skip_steps = check_int("skip_steps", skip_steps, minimum=0)
        self._first_epoch = True

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._first_epoch = True

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._steps = 0
        self._counted_from = 0
        self._start = self.clock()
        self._last: float | None = None

    def on_train_batch_end(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        self._steps += 1
        now = self.clock()
        if self._first_epoch and self._steps == self.skip_steps:
            self._start, self._counted_from = now, self._steps
        self._last = now

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        counted = self._steps - self._counted_from
        self._first_epoch = False
        if logs is None or counted <= 0 or self._last is None:
            return
        seconds_per_step = (self._last - self._start) / counted
        logs["ms_per_step"] = seconds_per_step * 1e3
        logs["steps_per_second"] = 1.0 / seconds_per_step
        if self.batch_size is not None:
            logs["samples_per_second"] = self.batch_size / seconds_per_step

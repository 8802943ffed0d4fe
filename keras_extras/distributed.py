"""Metric state across processes (with the caller's all-reduce), and which
process is the main one.

Under JAX `keras.distribution` and TensorFlow's strategies Keras merges metric
state itself (every keras-extras state variable has `aggregation="sum"`). In a
loop of your own, such as PyTorch `DistributedDataParallel`, each process's metric
has seen only its share of the data: `merge_state` sums the state of every process
in place, through an all-reduce you pass in, so this package imports no framework.

The merge is exact: `CompensatedSum` keeps each total as float32 words in fixed
binades, so the element-wise sum of any number of processes' words (up to 64, and
counts up to 2**40 in total) is the exact total (`keras_extras.metrics.accumulators`).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from typing import Any

import keras
from keras import ops

from keras_extras import _keras_compat

__all__ = ["is_main_process", "merge_state", "process_count", "process_index"]


def _from_tf_config() -> tuple[int, int] | None:
    """`(index, count)` from TensorFlow's `TF_CONFIG`: a "chief" task is 0 and
    the workers follow it; without a chief, worker 0 is the main process."""
    text = os.environ.get("TF_CONFIG")
    if not text:
        return None
    try:
        config = json.loads(text)
        cluster, task = config.get("cluster", {}), config.get("task", {})
        chiefs = len(cluster.get("chief", []))
        count = chiefs + len(cluster.get("worker", []))
        kind, index = task.get("type"), int(task.get("index", 0))
    except (ValueError, AttributeError, TypeError) as error:
        raise ValueError(f"Invalid TF_CONFIG: {text!r} ({error})") from error
    if kind == "chief":
        return 0, max(count, 1)
    if kind == "worker":
        return chiefs + index, max(count, 1)
    return None  # evaluator, parameter server: not a training process


def _launched() -> tuple[int, int]:
    distribution = keras.distribution.distribution()
    if distribution is not None and hasattr(distribution, "num_processes"):
        return _keras_compat.distribution_process(distribution)
    for index_name, count_name in (
        # keras.distribution.initialize() reads these (JAX).
        ("KERAS_DISTRIBUTION_PROCESS_ID", "KERAS_DISTRIBUTION_NUM_PROCESSES"),
    ):
        if os.environ.get(index_name):
            return int(os.environ[index_name]), int(os.environ.get(count_name, 1))
    from_tf = _from_tf_config()
    if from_tf is not None:
        return from_tf
    if os.environ.get("RANK"):  # torchrun, torch.distributed's env:// set-up
        return int(os.environ["RANK"]), int(os.environ.get("WORLD_SIZE", 1))
    return 0, 1


def _process() -> tuple[int, int]:
    index, count = _launched()
    if count <= 1:  # a stray RANK or process id without a count: one process
        return 0, 1
    return index, count


def process_index() -> int:
    """This process's index among the training processes, 0 for the main one.

    Read, in this order, from: the Keras distribution in use
    (`keras.distribution.set_distribution`, JAX); the environment variable
    `KERAS_DISTRIBUTION_PROCESS_ID` that `keras.distribution.initialize` reads;
    TensorFlow's `TF_CONFIG` (a "chief" task is 0, else worker 0); `RANK`, set by
    `torchrun`. 0 when none is set, or when the count that goes with it
    (`KERAS_DISTRIBUTION_NUM_PROCESSES`, `WORLD_SIZE`) is missing or 1: one
    process, so a stray `RANK` does not stop it writing its files.

    Example:
        >>> process_index()
        0
    """
    return _process()[0]


def process_count() -> int:
    """How many training processes there are, from the same sources as
    `process_index`; 1 when none is set.

    Example:
        >>> process_count()
        1
    """
    return _process()[1]


def is_main_process() -> bool:
    """Whether this is the main process (`process_index() == 0`): the one that
    keras-extras callbacks let write files (checkpoints, pictures, reports).

    Example:
        >>> is_main_process()
        True
    """
    return process_index() == 0


def merge_state(
    metric: keras.metrics.Metric, all_reduce_sum: Callable[[Any], Any]
) -> None:
    """Sum `metric`'s state over all processes, in place, on every process.

        Call it on every process, after the last `update_state` and before
        `result()`: each `aggregation="sum"` variable of the metric becomes the sum of
        that variable over the processes. Its state then equals that of one metric
        which saw every process's data, so `result()` gives the global value on every
        process. Variables with `aggregation="none"` (such as a `Bootstrap`'s random
        generator state) keep each process's own value.

        The summed variables travel flattened into one tensor per dtype, so a metric
        costs one call of `all_reduce_sum` (one collective), however many variables
        it has.

        Args:
            metric: a `keras.metrics.Metric` whose state is sums, such as every
                keras-extras metric, or a Keras built-in such as `keras.metrics.Mean`.
            all_reduce_sum: a function that takes a backend tensor and returns the
                element-wise sum of that tensor over all processes. It may instead sum
                in place and return `None`, as `torch.distributed.all_reduce` does.

        Raises:
            TypeError: if `metric` is not a `keras.metrics.Metric` or
                `all_reduce_sum` is not callable.
            ValueError: if a variable of `metric` is aggregated other than by
                "sum" or "none" (a mean cannot be merged by adding).

        Example (PyTorch DDP, gloo or NCCL, after `init_process_group`):

            >>> import torch.distributed as dist  # doctest: +SKIP
            >>> merge_state(metric, dist.all_reduce)  # doctest: +SKIP
            >>> metric.result()  # the same on every rank  # doctest: +SKIP

        Two processes' halves, simulated in one (the all-reduce adds the other
        half's state):

            >>> import keras_extras.metrics as kem
            >>> from keras import ops

    from keras_extras import _keras_compat
            >>> mine, theirs = kem.F1Score(num_classes=3), kem.F1Score(num_classes=3)
            >>> mine.update_state([0, 1, 2], [0, 1, 1])
            >>> theirs.update_state([2, 2], [2, 0])
            >>> theirs_flat = ops.concatenate(
            ...     [ops.reshape(v.value, (-1,)) for v in theirs.variables]
            ... )
            >>> merge_state(mine, lambda flat: flat + theirs_flat)
            >>> whole = kem.F1Score(num_classes=3)
            >>> whole.update_state([0, 1, 2, 2, 2], [0, 1, 1, 2, 0])
            >>> float(mine.result()) == float(whole.result())
            True
    """
    if not isinstance(metric, keras.metrics.Metric):
        raise TypeError(
            "`metric` must be a keras.metrics.Metric. "
            f"Received: metric={metric!r} of type {type(metric).__name__}"
        )
    if not callable(all_reduce_sum):
        raise TypeError(
            "`all_reduce_sum` must be callable (a tensor in, the sum over "
            f"processes out). Received: all_reduce_sum={all_reduce_sum!r}"
        )
    summed = []
    for variable in metric.variables:
        if variable.aggregation == "sum":
            summed.append(variable)
        elif variable.aggregation != "none":
            raise ValueError(
                f"Cannot merge variable {variable.path!r} of metric "
                f"{metric.name!r} by summing: its aggregation is "
                f"{variable.aggregation!r} (expected 'sum' or 'none')."
            )
    groups: dict[str, list[Any]] = {}
    for variable in summed:  # one flat buffer per dtype: no precision lost
        groups.setdefault(str(variable.dtype), []).append(variable)
    for variables in groups.values():
        flat = ops.concatenate([ops.reshape(v.value, (-1,)) for v in variables])
        reduced = all_reduce_sum(flat)
        if reduced is None:  # summed in place
            reduced = flat
        start = 0
        for variable in variables:
            size = math.prod(int(dim) for dim in variable.shape)
            variable.assign(ops.reshape(reduced[start : start + size], variable.shape))
            start += size

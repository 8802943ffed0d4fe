"""The one naming authority for log keys: how keys are made, read and ranked.

Every key a keras-extras metric or callback writes into the training logs is made
here, in one format:

    <lead><name>                 a value                   f1, val_a_f1_score
    <key>/<class>                one class's value         f1/setosa, auroc/2
    <key>_low, <key>_high        a confidence interval     f1/setosa_low

`<lead>` is an explicit `prefix` when the metric has one, else the model output's
name and "_" in a model with several outputs (as Keras names single metrics
there), else nothing. Each metric says which keys it writes and which way each
is better through its public `log_keys()` (a `dict` of key to `LogKey`);
monitor callbacks in `mode="auto"`, `keras_extras.tuning`, `Bootstrap`, the
reports and `PlotHistory` all read keys through this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from keras import ops

from keras_extras._keras_compat import compiled_metrics_by_output, metric_direction
from keras_extras._typing import Direction

BOUNDS = ("_low", "_high")
"""The suffixes of a confidence interval's bounds."""


class LogKey(NamedTuple):
    """What one log key holds.

    Attributes:
        direction: "up" when higher is better, "down" when lower is, None for a
            value that is not a score to rank by (a threshold, a matrix).
        score: what the value is called without its lead, class or bound: the
            registry score of a confusion-family metric ("f1", also for
            `F1Score`), else the metric's name.
        class_name: the class of a per-class key (`f1/setosa`), else None.
        bound: "_low" or "_high" for an interval bound, else None.
        classes: for a key whose value is a vector of per-class values (a single
            metric with `average=None`), the class names; `Bootstrap` gives
            each its own scalar keys.
    """

    direction: Direction | None
    score: str
    class_name: str | None = None
    bound: str | None = None
    classes: tuple[str, ...] = ()


def output_lead(output_name: str | None, prefix: str | None = None) -> str:
    """What starts a key: an explicit `prefix` (which replaces the output's
    name), else `<output name>_` in a model with several outputs, else ""."""
    if prefix is not None:
        return prefix
    return f"{output_name}_" if output_name else ""


def class_key(key: str, class_name: str) -> str:
    """The key of one class's value: `<key>/<class>`."""
    return f"{key}/{class_name}"


def class_labels(class_names: Sequence[str] | None, count: int) -> list[str]:
    """The names in per-class keys: `class_names`, else "0", "1", ..."""
    return list(class_names) if class_names else [str(i) for i in range(count)]


def per_class_keys(
    key: str, info: LogKey, class_names: Iterable[str]
) -> dict[str, LogKey]:
    """`<key>/<class>` for each class, each with `info`'s direction and score."""
    return {
        class_key(key, name): info._replace(class_name=name, classes=())
        for name in class_names
    }


def expand_classes(keys: dict[str, LogKey]) -> dict[str, LogKey]:
    """`keys` with each per-class vector key (`LogKey.classes`) replaced by one
    scalar key per class."""
    expanded: dict[str, LogKey] = {}
    for key, info in keys.items():
        if info.classes:
            expanded.update(per_class_keys(key, info, info.classes))
        else:
            expanded[key] = info
    return expanded


def expand_values(values: dict[str, Any], keys: dict[str, LogKey]) -> dict[str, Any]:
    """`values` (by key) with each per-class vector (`keys[key].classes`, classes
    on the last axis) split into one value per class, keyed as `expand_classes`
    keys them."""
    expanded: dict[str, Any] = {}
    for key, value in values.items():
        classes = keys[key].classes if key in keys else ()
        if not classes:
            expanded[key] = value
            continue
        parts = ops.unstack(value, axis=-1)
        for name, part in zip(classes, parts, strict=True):
            expanded[class_key(key, name)] = part
    return expanded


def interval_keys(key: str, info: LogKey) -> dict[str, LogKey]:
    """`key` and its interval bounds `key_low`, `key_high`, all of `info`'s
    direction."""
    keys = {key: info}
    for bound in BOUNDS:
        keys[key + bound] = info._replace(bound=bound)
    return keys


def split_bound(key: str) -> tuple[str, str | None]:
    """`("f1", "_low")` for "f1_low"; `(key, None)` for a key without a bound."""
    for bound in BOUNDS:
        if key.endswith(bound):
            return key[: -len(bound)], bound
    return key, None


def metric_log_keys(metric: Any, output_name: str | None = None) -> dict[str, LogKey]:
    """The keys `metric` writes: its own `log_keys()`, or for a Keras metric its
    name (after the output's, in a model with several) and the direction Keras'
    monitor callbacks read from it."""
    declared = getattr(metric, "log_keys", None)
    if callable(declared):
        return dict(declared(output_name))
    name = str(metric.name)
    return {output_lead(output_name) + name: LogKey(metric_direction(metric), name)}


def model_log_keys(model: Any) -> dict[str, LogKey]:
    """Every key the compiled metrics of `model` write (without "val_")."""
    keys: dict[str, LogKey] = {}
    for metric, output_name in compiled_metrics_by_output(model):
        keys.update(metric_log_keys(metric, output_name))
    return keys


def find_key(keys: dict[str, LogKey], key: str) -> LogKey | None:
    """What a training or validation log key holds, among a model's `keys`
    (`model_log_keys`): losses go down; None when no metric writes it."""
    for name in (key.removeprefix("val_"), key):  # a metric's own prefix may be val_
        if name == "loss" or name.endswith("_loss"):
            return LogKey("down", name)
        if name in keys:
            return keys[name]
    return None


def direction_of(model: Any, key: str) -> Direction | None:
    """Which way `key` (a training or validation log key) is better for `model`:
    losses go down; a metric's key goes the way the metric declares; None when
    no metric of the model declares a direction for it."""
    found = find_key(model_log_keys(model), key)
    return None if found is None else found.direction

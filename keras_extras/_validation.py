"""Argument validation shared by every keras-extras metric and callback.

Each check returns the value it accepts, or raises a `ValueError` (bad value) or
`TypeError` (bad type) whose message names the argument and echoes what was received.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, overload

import numpy as np


def check_one_of(argument: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return `value` if it is one of `allowed`, else raise a `ValueError`."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(
            f"Invalid `{argument}`: expected one of {allowed}. "
            f"Received: {argument}={value!r}"
        )
    return value


@overload
def check_int(
    argument: str, value: Any, minimum: int = 1, allow_none: Literal[False] = False
) -> int: ...


@overload
def check_int(
    argument: str, value: Any, minimum: int = 1, *, allow_none: bool
) -> int | None: ...


def check_int(
    argument: str, value: Any, minimum: int = 1, allow_none: bool = False
) -> int | None:
    """Return `value` if it is an int >= `minimum` (or None when allowed)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"Invalid `{argument}`: expected an integer >= {minimum}. "
            f"Received: {argument}={value!r} of type {type(value).__name__}"
        )
    if value < minimum:
        raise ValueError(
            f"Invalid `{argument}`: expected an integer >= {minimum}. "
            f"Received: {argument}={value!r}"
        )
    return value


def check_number(
    argument: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Return `float(value)` if it is a real number within the given bounds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"Invalid `{argument}`: expected a number. "
            f"Received: {argument}={value!r} of type {type(value).__name__}"
        )
    value = float(value)
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high or value != value:
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive else ")"
        bounds = f"{left}{'-inf' if low is None else low}, "
        bounds += f"{'inf' if high is None else high}{right}"
        raise ValueError(
            f"Invalid `{argument}`: expected a number in {bounds}. "
            f"Received: {argument}={value!r}"
        )
    return float(value)


def check_threshold(
    value: Any,
    num_classes: int | None = None,
    per_label: bool = False,
    low_inclusive: bool = False,
) -> Any:
    """A decision threshold in [0, 1] (0 excluded unless `low_inclusive`): a
    number, or with `per_label` also a list of one number per label
    (`num_classes` of them, when known), returned as a list of floats."""
    if per_label and (isinstance(value, (list, tuple)) or np.ndim(value) == 1):
        values = list(value.tolist() if hasattr(value, "tolist") else value)
        checked = [
            check_number(f"threshold[{i}]", v, 0.0, 1.0, low_inclusive)
            for i, v in enumerate(values)
        ]
        if not checked or (num_classes is not None and len(checked) != num_classes):
            raise ValueError(
                "Invalid `threshold`: expected one number per label "
                f"(num_classes={num_classes}). Received: threshold={values!r} "
                f"({len(checked)} numbers)"
            )
        return checked
    if hasattr(value, "item") and np.ndim(value) == 0:  # a numpy scalar
        value = value.item()
    return check_number("threshold", value, 0.0, 1.0, low_inclusive=low_inclusive)


def check_bool(argument: str, value: Any) -> bool:
    """Return `value` if it is a bool, else raise a `TypeError`."""
    if not isinstance(value, bool):
        raise TypeError(
            f"Invalid `{argument}`: expected a bool. "
            f"Received: {argument}={value!r} of type {type(value).__name__}"
        )
    return value

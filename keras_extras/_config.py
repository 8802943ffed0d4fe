"""One config mechanism for metrics and callbacks: declared fields.

A class lists its constructor arguments in the class attribute `config_fields`
(collected over the class and its bases) and stores each one under its own name;
`declared_config` reads them back, so `cls(**config)` rebuilds the object. Paths
are written as strings, so configs stay JSON-friendly.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any


def declared_config(obj: Any) -> dict[str, Any]:
    """`{field: getattr(obj, field)}` for every declared field, bases first."""
    config: dict[str, Any] = {}
    for cls in reversed(type(obj).__mro__):
        for field in vars(cls).get("config_fields", ()):
            if not hasattr(obj, field):
                raise AttributeError(
                    f"{cls.__name__}.config_fields lists {field!r}, but the "
                    f"object has no attribute {field!r}: store the constructor "
                    f"argument as `self.{field}`."
                )
            value = getattr(obj, field)
            config[field] = str(value) if isinstance(value, PurePath) else value
    return config


def arguments(call_locals: dict[str, Any], *leave_out: str) -> dict[str, Any]:
    """A constructor's arguments, read from its `locals()` at the top of its body,
    without `self` (and the `__class__` cell of `super()`) and `leave_out`: what a
    subclass with an explicit signature passes on to its base unchanged."""
    skipped = {"self", "__class__", *leave_out}
    return {name: value for name, value in call_locals.items() if name not in skipped}

"""One config mechanism for metrics and callbacks: declared fields.

A class lists its constructor arguments in the class attribute `config_fields`
(collected over the class and its bases) and stores each one under its own name;
`declared_config` reads them back, so `cls(**config)` rebuilds the object. Paths
are written as strings, so configs stay JSON-friendly.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import PurePath
from typing import Any, TypeVar

Class = TypeVar("Class", bound=type)


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


def spelled_out(shared: type) -> Callable[[Class], Class]:
    """Give a class whose constructor passes `**kwargs: Unpack[shared]` on to its
    base the signature it really accepts: its own parameters, then each key of
    the `TypedDict` `shared` as a keyword-only parameter with the base's default.

    Type checkers and IDEs read the `Unpack[...]` annotation; `help()` and
    `inspect.signature` read this one. So the arguments a family shares are
    declared once, by its base and by `shared`, and still every one shows.
    """

    def decorate(cls: Class) -> Class:
        own = inspect.signature(vars(cls)["__init__"]).parameters
        base = inspect.signature(cls.__mro__[1]).parameters
        parameters = [
            parameter
            for name, parameter in own.items()
            if name != "self" and parameter.kind is not parameter.VAR_KEYWORD
        ]
        for name in shared.__annotations__:
            if name not in own:
                keyword = base[name].replace(kind=inspect.Parameter.KEYWORD_ONLY)
                parameters.append(keyword)
        cls.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        return cls

    return decorate

"""What IDEs and `help()` show: every public constructor names its arguments,
and every metric declares its default name."""

import importlib
import inspect

import pytest

import keras_extras.callbacks as callbacks
import keras_extras.metrics as metrics
from keras_extras.metrics.base import ExtrasMetric

PUBLIC = [
    getattr(package, name)
    for package in (metrics, callbacks)
    for name in package.__all__
    if inspect.isclass(getattr(package, name))
]


@pytest.mark.parametrize("cls", PUBLIC, ids=lambda cls: cls.__name__)
def test_constructors_hide_no_argument(cls):
    """`help()` shows every argument, and so do IDEs: a constructor that passes
    `**kwargs` on declares them `Unpack[...]` of a TypedDict whose keys are the
    keyword-only arguments its signature shows."""
    shown = inspect.signature(cls).parameters.values()
    hidden = [p.name for p in shown if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    assert not hidden, f"{cls.__name__}({', '.join(hidden)}) hides its arguments"
    assert "options" not in [p.name for p in shown], cls.__name__  # internal
    own = next(c for c in cls.__mro__ if "__init__" in vars(c))
    for parameter in inspect.signature(vars(own)["__init__"]).parameters.values():
        if parameter.kind is parameter.VAR_POSITIONAL:
            raise AssertionError(f"{own.__name__}(*{parameter.name})")
        if parameter.kind is parameter.VAR_KEYWORD:
            annotation = str(parameter.annotation)
            assert annotation.startswith("Unpack["), (own.__name__, annotation)
            shared = getattr(
                importlib.import_module(own.__module__), annotation[7:-1]
            ).__annotations__
            keywords = {p.name for p in shown if p.kind is p.KEYWORD_ONLY}
            assert set(shared) <= keywords | {p.name for p in shown}, own.__name__


@pytest.mark.parametrize(
    "cls",
    [c for c in PUBLIC if issubclass(c, ExtrasMetric)],
    ids=lambda cls: cls.__name__,
)
def test_metric_default_names_are_declared(cls):
    assert cls.default_name, f"{cls.__name__} declares no default_name"
    assert inspect.signature(cls).parameters["name"].default is None

"""What IDEs and `help()` show: every public constructor names its arguments,
and every metric declares its default name."""

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
    hidden = [
        p.name
        for p in inspect.signature(cls).parameters.values()
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]
    assert not hidden, f"{cls.__name__}({', '.join(hidden)}) hides its arguments"


@pytest.mark.parametrize(
    "cls",
    [c for c in PUBLIC if issubclass(c, ExtrasMetric)],
    ids=lambda cls: cls.__name__,
)
def test_metric_default_names_are_declared(cls):
    assert cls.default_name, f"{cls.__name__} declares no default_name"
    assert inspect.signature(cls).parameters["name"].default is None

"""Every docstring example runs, on the backend under test, so none can rot."""

import doctest
import importlib
import pkgutil

import keras
import numpy as np
import pytest

import keras_extras

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(keras_extras.__path__, "keras_extras.")
    if not info.name.startswith("keras_extras.examples")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that name files write nothing elsewhere
    module = importlib.import_module(name)
    result = doctest.testmod(
        module,
        extraglobs={"keras": keras, "np": np},
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        verbose=False,
    )
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_every_public_class_has_an_example():
    import keras_extras.callbacks as callbacks
    import keras_extras.metrics as metrics

    for package in (metrics, callbacks):
        for name in package.__all__:
            doc = getattr(package, name).__doc__ or ""
            assert "Example" in doc and ">>>" in doc, f"{name} has no example"
            assert "Args:" in doc or "()" in doc.split("\n")[0], f"{name}: no Args"

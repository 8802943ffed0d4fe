"""Run against an installed keras-extras (`nox -s build`), from outside the source
tree: the package imports from site-packages, ships its type marker, and every
docstring example passes."""

from __future__ import annotations

import doctest
import importlib
import pathlib
import pkgutil
import sys

import keras
import numpy as np


def main() -> int:
    import keras_extras

    location = pathlib.Path(keras_extras.__file__).resolve()
    if "site-packages" not in location.parts:
        print(f"keras_extras was imported from {location}, not an installed wheel")
        return 1
    if not (location.parent / "py.typed").exists():
        print("the wheel lacks keras_extras/py.typed")
        return 1
    failed = attempted = 0
    for info in pkgutil.walk_packages(keras_extras.__path__, "keras_extras."):
        if info.name.startswith("keras_extras.examples"):
            continue
        module = importlib.import_module(info.name)
        result = doctest.testmod(
            module,
            extraglobs={"keras": keras, "np": np},
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        )
        failed += result.failed
        attempted += result.attempted
    print(f"{location.parent}: {attempted} docstring examples, {failed} failed")
    return 1 if failed or not attempted else 0


if __name__ == "__main__":
    sys.exit(main())

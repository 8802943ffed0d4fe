"""Packaging rules: what `import keras_extras` imports, and what the library does."""

import ast
import pathlib
import subprocess
import sys

import keras_extras

FRAMEWORKS = ("jax", "jaxlib", "torch", "tensorflow")
PACKAGE_DIR = pathlib.Path(keras_extras.__file__).parent


def test_version():
    assert isinstance(keras_extras.__version__, str)
    assert keras_extras.__version__.count(".") >= 2


def test_py_typed_marker_ships():
    assert (PACKAGE_DIR / "py.typed").exists()


def test_import_adds_no_framework_beyond_what_keras_imports():
    code = (
        "import sys, keras\n"
        "before = set(sys.modules)\n"
        "import keras_extras, keras_extras.metrics, keras_extras.callbacks\n"
        f"new = sorted(m for m in set(sys.modules) - before "
        f"if m.split('.')[0] in {FRAMEWORKS!r})\n"
        "print(','.join(new))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"keras_extras imported framework modules: {out}"


def test_library_source_imports_no_framework():
    offenders = []
    for path in PACKAGE_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            offenders += [
                f"{path.name}:{node.lineno} {n}"
                for n in names
                if n.split(".")[0] in FRAMEWORKS
            ]
    assert offenders == []


def test_bare_import_leaves_the_backend_choice_open():
    code = "import sys, keras_extras; print('keras' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"


def test_no_file_of_the_library_is_longer_than_500_lines():
    long = {
        str(path.relative_to(PACKAGE_DIR)): lines
        for path in PACKAGE_DIR.rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > 500
    }
    assert long == {}, f"split by concern: {long}"


def test_no_module_imports_another_modules_private_name():
    """Modules named `_x` are the shared internals; a `_name` inside a module is
    that module's own."""
    offenders = []
    for path in PACKAGE_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or not node.module:
                continue
            folder = PACKAGE_DIR.parent.joinpath(*node.module.split("."))
            for alias in node.names:
                is_module = (folder / f"{alias.name}.py").exists() or (
                    folder / alias.name
                ).is_dir()
                if alias.name.startswith("_") and not is_module:
                    offenders.append(f"{path.name}:{node.lineno} {alias.name}")
    assert offenders == []

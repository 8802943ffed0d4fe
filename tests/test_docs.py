"""Every Python code block in the docs and the README runs, on the backend under test.

The blocks of one page run in order, in one namespace, in an empty directory, as a
reader would paste them. An HTML comment just before a block changes what is
expected of it (the comment does not show on the rendered page):

    <!-- docs-test: expect-error -->   the block must raise (a "what breaks" example)
    <!-- docs-test: backend=jax -->    the block runs on that backend only
    <!-- docs-test: processes=2 backend=jax -->
                                       a whole program for one process of two; it
                                       runs in tests/test_multiprocess.py (slow)
"""

from __future__ import annotations

import pathlib
import re

import keras
import pytest

ROOT = pathlib.Path(__file__).parent.parent
PAGES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
BLOCK = re.compile(
    r"(?:<!--\s*docs-test:\s*(?P<marker>[^>]*?)\s*-->\s*\n)?"
    r"^```python\n(?P<code>.*?)^```",
    re.DOTALL | re.MULTILINE,
)
MARKER = re.compile(r"expect-error|(processes=2 )?backend=(jax|torch|tensorflow)")


def code_blocks(page: pathlib.Path) -> list[tuple[str, str, int]]:
    """`(marker, code, line)` for each ```python block of `page`."""
    text = page.read_text()
    return [
        (m["marker"] or "", m["code"], text.count("\n", 0, m.start("code")) + 1)
        for m in BLOCK.finditer(text)
    ]


def test_the_guide_is_found_and_markers_are_known():
    blocks = {page.name: code_blocks(page) for page in PAGES}
    assert len(blocks["authoring.md"]) >= 6
    assert any(marker == "expect-error" for marker, _, _ in blocks["authoring.md"])
    for name, page_blocks in blocks.items():
        for marker, _, line in page_blocks:
            assert not marker or MARKER.fullmatch(marker), f"{name}:{line} {marker}"


@pytest.mark.parametrize(
    "page", [p for p in PAGES if code_blocks(p)], ids=lambda p: p.name
)
def test_code_blocks_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    backend = keras.backend.backend()
    try:
        for marker, code, line in code_blocks(page):
            if marker.startswith("processes="):
                continue  # tests/test_multiprocess.py
            if marker.startswith("backend=") and marker != f"backend={backend}":
                continue
            compiled = compile(code, f"{page.name}:{line}", "exec")
            if marker == "expect-error":
                with pytest.raises(Exception):  # noqa: B017 - any error, per backend
                    exec(compiled, namespace)
            else:
                exec(compiled, namespace)
    finally:
        keras.distribution.set_distribution(None)

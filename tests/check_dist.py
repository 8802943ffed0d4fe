"""Check built distributions (`nox -s build`): the wheel's metadata validates as
core metadata (what `twine check` checks, without network), names its SPDX
license and ships the license file; the sdist carries docs/ and tests/, which its
own tests read."""

from __future__ import annotations

import pathlib
import sys
import tarfile
import zipfile

from packaging.metadata import Metadata


def main(dist: str) -> int:
    directory = pathlib.Path(dist)
    wheel = next(directory.glob("*.whl"))
    sdist = next(directory.glob("*.tar.gz"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata_path = next(n for n in names if n.endswith(".dist-info/METADATA"))
        raw = archive.read(metadata_path)
    metadata = Metadata.from_email(raw, validate=True)  # raises on invalid fields
    problems = []
    if str(metadata.license_expression) != "Apache-2.0":
        problems.append(f"license expression {metadata.license_expression!r}")
    if not any(n.endswith("licenses/LICENSE") for n in names):
        problems.append("no LICENSE in the wheel")
    if "keras_extras/py.typed" not in names:
        problems.append("no py.typed in the wheel")
    if metadata.description_content_type != "text/markdown":
        problems.append("README not declared as markdown")
    with tarfile.open(sdist) as archive:
        members = {pathlib.PurePosixPath(m).parts[1:2] for m in archive.getnames()}
    for needed in ("docs", "tests", "LICENSE"):
        if (needed,) not in members:
            problems.append(f"the sdist lacks {needed}")
    for problem in problems:
        print("dist check:", problem)
    print(f"{wheel.name}, {sdist.name}: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

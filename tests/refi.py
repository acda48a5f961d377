"""REFI-QDA 1.0 schema checks for the .qdc and .qdpx files topicbook writes (tests only).

The schemas live in ``../shared/refi-qda/`` (Codebook.xsd, Project.xsd; MIT, from the REFI
standard). Use :func:`assert_valid_refi` on any written file: a .qdc is validated against
Codebook.xsd, the ``project.qde`` inside a .qdpx against Project.xsd. Like the real corpora, the
schemas must be present in CI (``CI=true``): missing there is a failure, elsewhere a skip.
"""

from __future__ import annotations

import os
import zipfile
from functools import lru_cache
from pathlib import Path

import pytest

from conftest import REPO

SCHEMAS = REPO.parent / "shared" / "refi-qda"


@lru_cache(maxsize=2)
def _schema(name: str):  # type: ignore[no-untyped-def]
    import xmlschema

    path = SCHEMAS / name
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"REFI-QDA schema missing in CI: {path}")
        pytest.skip(f"REFI-QDA schema not available: {path}")
    return xmlschema.XMLSchema(str(path))


def refi_errors(path: Path) -> list[str]:
    """Schema violations of a written .qdc or .qdpx (empty when valid)."""
    if path.suffix.lower() == ".qdpx":
        with zipfile.ZipFile(path) as zf:
            xml = zf.read("project.qde").decode("utf-8")
        schema = _schema("Project.xsd")
    else:
        xml = path.read_text(encoding="utf-8")
        schema = _schema("Codebook.xsd")
    return [f"{error.path}: {error.reason}" for error in schema.iter_errors(xml)]


def assert_valid_refi(path: Path) -> None:
    """Fail with every schema violation of `path` listed."""
    errors = refi_errors(path)
    assert not errors, f"{path.name} does not validate against REFI-QDA 1.0:\n" + "\n".join(errors[:20])

"""The REFI-QDA schema helper (tests/refi.py) rejects what the standard forbids, so that the
export tests that use it can fail."""

from __future__ import annotations

import zipfile
from pathlib import Path

from refi import refi_errors

VALID_QDC = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="test"><Codes>
<Code guid="2afe690c-c90c-51d0-b6ea-bb609f890fc7" name="Work" isCodable="true"/>
</Codes></CodeBook>"""


def test_valid_qdc_passes(tmp_path: Path) -> None:
    path = tmp_path / "ok.qdc"
    path.write_text(VALID_QDC, encoding="utf-8")
    assert refi_errors(path) == []


def test_code_without_is_codable_fails(tmp_path: Path) -> None:
    path = tmp_path / "bad.qdc"
    path.write_text(VALID_QDC.replace(' isCodable="true"', ""), encoding="utf-8")
    errors = refi_errors(path)
    assert len(errors) == 1 and "isCodable" in errors[0]


def test_project_with_unknown_element_fails(tmp_path: Path) -> None:
    path = tmp_path / "bad.qdpx"
    qde = ('<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="p">'
           "<Topics/></Project>")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
    assert refi_errors(path)

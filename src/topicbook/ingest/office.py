"""Word-processor transcripts: .docx (python-docx) and .odt (odfpy).

Both readers return the body text in reading order, one paragraph per line, with tables read
row by row. A table row whose first cell is a short speaker label (optionally after a
timestamp cell) becomes a ``Label: text`` turn line, so transcripts kept as two- or
three-column tables (time | speaker | words) are parsed like plain-text transcripts.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from topicbook.errors import InputError
from topicbook.ingest.speakers import TIMESTAMP, is_speaker_label

_TIMESTAMP_CELL = re.compile(rf"^[\[(]?{TIMESTAMP}[\])]?$")


def table_row_line(cells: Sequence[str]) -> str:
    """One table row as a line: ``Label: text`` for a (timestamp,) label, text row, else the
    non-empty cells joined by " | ".

    `cells` are the row's cell texts in order (merged cells already de-duplicated).
    """
    cells = [" ".join(c.split()) for c in cells]
    if cells and _TIMESTAMP_CELL.match(cells[0]) and len(cells) >= 3:
        cells = cells[1:]
    if len(cells) == 2 and cells[1] and is_speaker_label(cells[0]):
        return f"{cells[0].rstrip(':')}: {cells[1]}"
    return " | ".join(c for c in cells if c)


def _join(lines: Iterator[str]) -> str:
    text = "\n".join(line.replace("\r\n", "\n").replace("\r", "\n") for line in lines)
    return text.replace("\x0b", "\n").replace("\xa0", " ")


def _check_package(path: Path, name: str, fix: str) -> None:
    """Refuse a zip bomb or unsafe member paths before the package is unpacked."""
    from topicbook.safezip import check_zip

    try:
        with zipfile.ZipFile(path) as zf:
            check_zip(zf, name, f"Skipped. {fix}")
    except (zipfile.BadZipFile, OSError):
        raise InputError(f"{name}: a damaged or truncated zip package; skipped. {fix}") from None


# --------------------------------------------------------------------------- docx


def read_docx(path: Path, name: str | None = None) -> str:
    """Text of a .docx: body paragraphs and tables in reading order, "\\n" line ends."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    name = name or path.name
    if not zipfile.is_zipfile(path):
        raise InputError(f"{name}: not a valid .docx file (not a zip package; an old .doc or a password-protected file?); skipped. Re-save it as .docx.")
    _check_package(path, name, "Re-save it as .docx.")
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(f"{name}: not a valid .docx file ({type(exc).__name__}); skipped. Re-save it as .docx.") from None
    return _join(_docx_lines(document))


def _docx_lines(container: Any) -> Iterator[str]:
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = []
                seen: set[int] = set()
                for cell in row.cells:  # a merged cell is returned once per grid column
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    cells.append(" ".join(p.text for p in cell.paragraphs))
                yield table_row_line(cells)
        else:
            yield block.text


# --------------------------------------------------------------------------- odt


def read_odt(path: Path, name: str | None = None) -> str:
    """Text of an .odt: headings, paragraphs, lists and tables in reading order."""
    from odf.opendocument import load

    name = name or path.name
    if not zipfile.is_zipfile(path):
        raise InputError(f"{name}: not a valid .odt file (not a zip package); skipped. Re-save it as .odt.")
    _check_package(path, name, "Re-save it as .odt.")
    try:
        document = load(str(path))
    except Exception as exc:  # noqa: BLE001 - odfpy raises xml.sax errors of several kinds
        raise InputError(f"{name}: not a valid .odt file ({type(exc).__name__}); skipped. Re-save it as .odt.") from None
    return _join(_odt_lines(document.text))


_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


def _odt_lines(element: Any) -> Iterator[str]:
    from odf import teletype
    from odf.element import Node

    for child in element.childNodes:
        if child.nodeType != Node.ELEMENT_NODE:
            continue
        ns, tag = child.qname
        if ns == _TEXT_NS and tag in {"p", "h"}:
            yield teletype.extractText(child)
        elif ns == _TABLE_NS and tag == "table":
            for row in _odt_rows(child):
                yield table_row_line(row)
        elif ns == _TEXT_NS and tag in {"tracked-changes", "sequence-decls", "variable-decls"}:
            continue
        else:  # lists, sections, frames: descend
            yield from _odt_lines(child)


def _odt_rows(table: Any) -> Iterator[list[str]]:
    from odf import teletype
    from odf.element import Node

    for child in table.childNodes:
        if child.nodeType != Node.ELEMENT_NODE:
            continue
        ns, tag = child.qname
        if ns == _TABLE_NS and tag == "table-row":
            cells = []
            for cell in child.childNodes:
                if cell.nodeType == Node.ELEMENT_NODE and cell.qname == (_TABLE_NS, "table-cell"):
                    paras = [teletype.extractText(p) for p in cell.childNodes if p.nodeType == Node.ELEMENT_NODE]
                    cells.append(" ".join(paras))
            yield cells
        elif ns == _TABLE_NS and tag in {"table-header-rows", "table-rows", "table-row-group"}:
            yield from _odt_rows(child)

"""Codebooks as tables, in the columns topicbook, MAXQDA and QualCoder use.

Recognised by their header row (case and spacing ignored):

- topicbook: ``id`` (optional), ``name``, ``definition``, ``keywords``, ``exclude``,
  ``examples``, ``parent`` (lists separated by ``;``).
- MAXQDA code system (its "Codes and memos from an Excel table" layout): ``Code`` holding the
  code or its path with ``>`` or ``\\`` (``Parent > Child``) and ``Memo`` as the definition; or
  a parent column (``parent``, ``parent_path``, ``parent code``) beside ``Code``. Other columns
  (frequency, depth, colour, ...) are ignored.
- QualCoder's codebook import CSV (no header): the first column is the path with ``>>``
  (``category>>code``), the second the memo. QualCoder's plain-text list (.txt) is the same
  with a tab before the memo. (QualCoder *exports* its codebook as .odt or REFI-QDA .qdc,
  which :func:`topicbook.qdc.read_qdc` reads.)

Every format gives ids to codes that have none, from their paths
(:func:`topicbook.codebook.derive_code_id`); parent codes named only in a path are created.
"""

from __future__ import annotations

import csv
import logging
import zipfile
from pathlib import Path

import pandas as pd

from topicbook.codes import Codebook, codes_from_records
from topicbook.errors import InputError
from topicbook.ingest.corpus import read_table
from topicbook.ingest.text import read_text_file
from topicbook.safezip import check_zip
from topicbook.spreadsheet import restore_cell

log = logging.getLogger(__name__)

TOPICBOOK_COLUMNS = ("id", "name", "definition", "keywords", "exclude", "examples", "parent")
PARENT_COLUMNS = ("parent", "parent_path", "parent path", "parent code", "parent_code")
MAXQDA_COLUMNS = {"code": "name", "memo": "definition", "definition": "definition",
                  "keywords": "keywords", "exclude": "exclude", "examples": "examples", "id": "id"}


def load_table_codebook(path: Path) -> Codebook:
    """Read a .csv/.tsv/.xlsx code system or a QualCoder .txt code list (see module docstring)."""
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return _qualcoder_codebook(_qualcoder_txt_rows(path), path)
    frame = _read_xlsx(path) if suffix == ".xlsx" else _read_csv(path)
    columns = {_column_key(c): c for c in frame.columns}
    if "name" in columns:
        return _from_records(frame, path, {c: _column_key(c) for c in frame.columns})
    if "code" in columns:
        rename = {}
        for key, col in columns.items():
            if key in MAXQDA_COLUMNS:
                rename[col] = MAXQDA_COLUMNS[key]
            elif key in PARENT_COLUMNS:
                rename[col] = "parent"
        ignored = [c for c in frame.columns if c not in rename]
        if ignored:
            log.info("%s: columns ignored in the code system: %s", path.name, ", ".join(ignored))
        return _from_records(frame[list(rename)], path, rename)
    if suffix != ".xlsx":
        rows = _csv_rows(path)
        if all(len(r) <= 2 for r in rows) and any(">>" in r[0] for r in rows):
            return _qualcoder_codebook(rows, path)
    raise InputError(f"{path.name}: no 'name' or 'code' column. A table codebook needs topicbook's columns ({', '.join(TOPICBOOK_COLUMNS)}; id optional), MAXQDA's Code and Memo columns, or QualCoder's category>>code rows.")


def _column_key(column: object) -> str:
    return " ".join(str(column).split()).casefold()


def _from_records(frame: pd.DataFrame, path: Path, rename: dict[str, str]) -> Codebook:
    records = [{rename[str(k)]: v for k, v in rec.items() if str(v).strip() != ""}
               for rec in frame.to_dict("records")]
    codes = codes_from_records(records, path.name, line_of=list(range(2, len(records) + 2)))
    return Codebook(path.stem, codes, path.name)


def _qualcoder_codebook(rows: list[list[str]], path: Path) -> Codebook:
    records = []
    for row in rows:
        label = str(row[0]).strip() if row else ""
        memo = str(row[1]).strip() if len(row) > 1 and row[1] is not None else ""
        records.append({"name": label, "definition": memo} if label else {"name": ""})
    codes = codes_from_records(records, path.name, line_of=list(range(1, len(records) + 1)))
    return Codebook(path.stem, codes, path.name)


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV/TSV code system; a cell that topicbook's export prefixed with ' (to keep a
    spreadsheet from running it as a formula) is read as written before."""
    return read_table(path).map(restore_cell)


def _csv_rows(path: Path) -> list[list[str]]:
    """A headerless CSV/TSV (QualCoder's code list) as rows of cells; rows may differ in length."""
    text = read_text_file(path, path.name)
    return [row for row in csv.reader(text.splitlines(), delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
            if any(cell.strip() for cell in row)]


def _read_xlsx(path: Path) -> pd.DataFrame:
    """The first sheet of an .xlsx as text, refusing zip bombs and unsafe paths first."""
    try:
        with zipfile.ZipFile(path) as zf:
            check_zip(zf, path.name, "Save the code system again from your QDA software.")
        frame = pd.read_excel(path, sheet_name=0, dtype=str, engine="openpyxl")
    except (zipfile.BadZipFile, OSError, ValueError, KeyError) as exc:
        raise InputError(f"{path.name}: not a readable .xlsx workbook ({type(exc).__name__}). Save the code system again as .xlsx or .csv.") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.fillna("")


def _qualcoder_txt_rows(path: Path) -> list[list[str]]:
    return [line.split("\t", 1) for line in read_text_file(path, path.name).split("\n") if line.strip()]

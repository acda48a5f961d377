"""Human codings as tables, with the column names of QDA exports.

topicbook reads `document,code,text` (a quote) or `document,start,end,code` (character
offsets). Headers are matched ignoring case and spacing, and MAXQDA's "Coded segments" export
is read as it comes: ``Document name`` -> document, ``Code`` (a ``Parent > Child`` path) ->
code, ``Segment`` -> text (also ``participant`` -> document, ``code_path`` -> code, as in the
PDPilot study's table of coded segments). MAXQDA's ``Begin``/``End`` are paragraph numbers, not character
offsets, so they are never taken for `start`/`end`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from topicbook.spreadsheet import restore_cell

ALIASES = {
    "document": "document", "document name": "document", "doc": "document", "participant": "document",
    "code": "code", "code path": "code", "code_path": "code", "codes": "code",
    "text": "text", "segment": "text", "quote": "text", "quotation": "text",
    "start": "start", "end": "end",
}


def codings_table(path: Path) -> pd.DataFrame:
    """The codings table with its columns renamed to topicbook's (see module docstring), when
    that gives a complete quote or offset table; otherwise as written (so an error names the
    file's own columns). A column whose canonical name is already present keeps its name."""
    from topicbook.ingest.corpus import read_table

    frame = read_table(path).map(restore_cell)  # topicbook's CSV export keeps formulas text with a leading '
    rename: dict[str, str] = {}
    taken = {str(c) for c in frame.columns}
    for column in frame.columns:
        canonical = ALIASES.get(" ".join(str(column).split()).casefold())
        if canonical and canonical != column and canonical not in taken:
            rename[column] = canonical
            taken.add(canonical)
    renamed = set(frame.rename(columns=rename).columns)
    if {"document", "code", "text"} <= renamed or {"document", "start", "end", "code"} <= renamed:
        return frame.rename(columns=rename)
    return frame

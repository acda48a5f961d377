"""Cells that a spreadsheet must show as text, never run as a formula (CSV/formula injection).

Transcript and codebook text is data: a quote that begins with ``=``, ``+``, ``-`` or ``@`` (or a
tab or carriage return) is a formula to Excel, LibreOffice and Google Sheets when they open a
CSV file, and ``=HYPERLINK(...)`` or ``=WEBSERVICE(...)`` can send data out. As OWASP recommends
("CSV Injection"), such a cell is written with a leading apostrophe in CSV files meant for
spreadsheets (:func:`neutralise_cell`; :func:`restore_cell` is its exact inverse, for reading
them back), and in .xlsx files it is stored as a string cell with Excel's "quote prefix" style
(:func:`write_text_cell`), so that it stays text even when a user edits it.

>>> neutralise_cell("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
>>> restore_cell(neutralise_cell("-5 stars"))
'-5 stars'
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def needs_prefix(value: str) -> bool:
    """True when a spreadsheet would read `value` as a formula, or when it already starts with
    an apostrophe that :func:`restore_cell` would otherwise take for ours."""
    if value.startswith(FORMULA_STARTS):
        return True
    return value.startswith("'") and needs_prefix(value[1:])


def neutralise_cell(value: Any) -> Any:
    """A CSV cell value that a spreadsheet shows as the text it is: strings that need it get a
    leading apostrophe; anything else (numbers, None) is returned unchanged."""
    if isinstance(value, str) and needs_prefix(value):
        return "'" + value
    return value


def restore_cell(value: Any) -> Any:
    """The original value of a cell written by :func:`neutralise_cell` (its exact inverse)."""
    if isinstance(value, str) and value.startswith("'") and needs_prefix(value[1:]):
        return value[1:]
    return value


def write_text_cell(sheet: Any, row: int, column: int, value: Any) -> Any:
    """Set an openpyxl cell: strings become string cells (data type ``s``, never ``f``), with
    the quote-prefix style when they would read as a formula; other values are set as they are.
    Returns the cell."""
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl types any string starting with "=" as a formula
        if needs_prefix(value):
            cell.quotePrefix = True
    return cell


def cells_as_text(sheet: Any) -> int:
    """Turn every string cell of an openpyxl sheet that openpyxl typed as a formula back into
    text (as :func:`write_text_cell` would have written it), e.g. after ``DataFrame.to_excel``.
    Returns how many cells were changed."""
    changed = 0
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and (cell.data_type == "f" or needs_prefix(cell.value)):
                cell.data_type = "s"
                cell.quotePrefix = True
                changed += 1
    return changed

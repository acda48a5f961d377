"""The codebook's data model: Code and Codebook, validated, and their plain-record form.

No file format lives here: YAML and CSV are read in :mod:`topicbook.codebook`, REFI-QDA .qdc
and .qdpx in :mod:`topicbook.qdc`; both build these objects.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from topicbook.errors import InputError

FIELDS = ("id", "name", "definition", "keywords", "exclude", "examples", "parent")


@dataclass(frozen=True)
class Code:
    """One code of the codebook."""

    id: str
    name: str
    definition: str = ""
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    parent: str | None = None


@dataclass(frozen=True)
class Codebook:
    """A named list of codes, validated (unique ids, known parents, no cycles)."""

    name: str
    codes: tuple[Code, ...]
    source: str = ""

    def __post_init__(self) -> None:
        validate_codes(self.codes, self.source or "codebook")

    def __len__(self) -> int:
        return len(self.codes)

    def ids(self) -> list[str]:
        return [c.id for c in self.codes]

    def get(self, code_id: str) -> Code:
        return next(c for c in self.codes if c.id == code_id)

    def multiword_keywords(self) -> list[str]:
        return sorted({k for c in self.codes for k in c.keywords if len(k.split()) > 1})


def validate_codes(codes: Sequence[Code], where: str) -> None:
    """Raise InputError for an empty codebook, duplicate ids, missing names, unknown parents or cycles."""
    if not codes:
        raise InputError(f"{where}: the codebook has no codes. Add a `codes:` list with at least one code.")
    seen: set[str] = set()
    for i, code in enumerate(codes, 1):
        if not code.id:
            raise InputError(f"{where}: code {i} has no id. Give every code a unique `id`.")
        if code.id in seen:
            raise InputError(f"{where}: duplicate code id '{code.id}' (code {i}). Make every id unique.")
        if not code.name:
            raise InputError(f"{where}: code '{code.id}' has no name. Add a `name`.")
        seen.add(code.id)
    parents = {c.id: c.parent for c in codes}
    for code in codes:
        if code.parent is not None and code.parent not in parents:
            raise InputError(f"{where}: code '{code.id}' has unknown parent '{code.parent}'. Use the id of another code, or remove `parent`.")
    for code in codes:
        chain = [code.id]
        parent = code.parent
        while parent is not None:
            if parent in chain:
                raise InputError(f"{where}: codes form a cycle of parents ({' -> '.join(chain + [parent])}). Break the cycle.")
            chain.append(parent)
            parent = parents[parent]


def codebook_records(codebook: Codebook) -> list[dict[str, Any]]:
    """The codes as plain mappings with the YAML/CSV fields (empty fields left out)."""
    out = []
    for code in codebook.codes:
        rec: dict[str, Any] = {"id": code.id, "name": code.name}
        if code.definition:
            rec["definition"] = code.definition
        for key in ("keywords", "exclude", "examples"):
            if getattr(code, key):
                rec[key] = list(getattr(code, key))
        if code.parent is not None:
            rec["parent"] = code.parent
        out.append(rec)
    return out


def _as_list(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(";") if v.strip()) if ";" in value else ((value.strip(),) if value.strip() else ())
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return tuple(str(v).strip() for v in value if str(v).strip())
    raise InputError(f"{where} must be a list of text; got {type(value).__name__}.")


def codes_from_records(records: Sequence[Any], where: str, line_of: Sequence[int] | None = None) -> tuple[Code, ...]:
    """Codes from mappings with the codebook fields (YAML entries or CSV rows)."""
    codes = []
    for i, rec in enumerate(records):
        at = f"{where}: line {line_of[i]}" if line_of else f"{where}: code {i + 1}"
        if not isinstance(rec, dict):
            raise InputError(f"{at}: a code must be a mapping with id, name, definition, keywords; got {type(rec).__name__}.")
        unknown = [k for k in rec if k not in FIELDS]
        if unknown:
            close = difflib.get_close_matches(str(unknown[0]), FIELDS, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else f" Valid keys: {', '.join(FIELDS)}."
            raise InputError(f"{at}: unknown key '{unknown[0]}'.{hint}")
        code_id = str(rec.get("id") or "").strip()
        name = str(rec.get("name") or "").strip()
        if not code_id:
            raise InputError(f"{at}: code has no id. Give every code a unique `id`.")
        if not name:
            raise InputError(f"{at}: code '{code_id}' has no name. Add a `name`.")
        parent = rec.get("parent")
        codes.append(Code(
            id=code_id, name=name, definition=str(rec.get("definition") or "").strip(),
            keywords=_as_list(rec.get("keywords"), f"{at}: keywords"),
            exclude=_as_list(rec.get("exclude"), f"{at}: exclude"),
            examples=_as_list(rec.get("examples"), f"{at}: examples"),
            parent=str(parent).strip() if parent not in (None, "") else None,
        ))
    return tuple(codes)

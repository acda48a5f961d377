"""The codebook's data model: Code and Codebook, validated, their hierarchy, how a label names
a code, and their plain-record form.

No file format lives here: YAML and tables are read in :mod:`topicbook.codebook` and
:mod:`topicbook.codebook_formats`, REFI-QDA .qdc and .qdpx in :mod:`topicbook.qdc`; all build
these objects.

Hierarchy: a code with children is a *group* (MAXQDA's parent codes, QualCoder's categories).
Only leaf codes, and groups that the researcher's codings use themselves, are analysed
(:meth:`Codebook.analysed_ids`); a code is named by its id, its name or its path
``Parent > Child`` (:func:`code_lookup`).

Ids are optional in every format. A code without an id gets one derived from its path: each
name of the path in lower case with every run of non-word characters replaced by ``_``, the
levels joined by ``.`` (``Explainability techniques > PDP/ICE`` ->
``explainability_techniques.pdp_ice``). The id depends only on the code's own path, so adding
or removing other codes never changes it; two paths that give the same id get ``_2``, ``_3``
in file order.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from topicbook.errors import InputError

FIELDS = ("id", "name", "definition", "keywords", "exclude", "examples", "parent")
PATH_SEPARATOR = " > "
# Path separators of the QDA tools: MAXQDA ">" or "\\", QualCoder ">>", NVivo "\\". Not "/":
# code names such as "PDP/ICE" use it.
_PATH_SPLIT = re.compile(r"\s*(?:>>|>|\\)\s*")


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

    @cached_property
    def _by_id(self) -> dict[str, Code]:
        """Code by id (built once: the hierarchy methods are called once per code)."""
        return {c.id: c for c in self.codes}

    @cached_property
    def _children(self) -> dict[str, list[str]]:
        children: dict[str, list[str]] = {}
        for c in self.codes:
            if c.parent is not None:
                children.setdefault(c.parent, []).append(c.id)
        return children

    def get(self, code_id: str) -> Code:
        return self._by_id[code_id]

    def multiword_keywords(self) -> list[str]:
        return sorted({k for c in self.codes for k in c.keywords if len(k.split()) > 1})

    # -- hierarchy ---------------------------------------------------------------------------

    def children(self, code_id: str) -> list[str]:
        """Ids of the codes whose parent is `code_id`, in codebook order."""
        return list(self._children.get(code_id, []))

    def is_group(self, code_id: str) -> bool:
        """True for a code with children (a MAXQDA parent code, a QualCoder category)."""
        return code_id in self._children

    def leaves(self) -> list[str]:
        """Ids of the codes without children, in codebook order."""
        parents = {c.parent for c in self.codes}
        return [c.id for c in self.codes if c.id not in parents]

    def analysed_ids(self, used: Collection[str] = ()) -> list[str]:
        """The codes to seed and score: every leaf, and every group that is itself in `used`
        (code ids the researcher's codings apply), in codebook order."""
        parents = {c.parent for c in self.codes}
        return [c.id for c in self.codes if c.id not in parents or c.id in used]

    def path(self, code_id: str) -> str:
        """The code's names from the top of the hierarchy down, joined by " > "."""
        by_id = self._by_id
        names: list[str] = []
        code: Code | None = by_id[code_id]
        while code is not None:
            names.append(code.name)
            code = by_id.get(code.parent) if code.parent is not None else None
        return PATH_SEPARATOR.join(reversed(names))

    def subset(self, ids: Collection[str]) -> Codebook:
        """The codes in `ids` (codebook order); a parent that is left out is replaced by its
        nearest kept ancestor, so the result is a valid codebook."""
        by_id = self._by_id
        wanted = set(ids)
        keep = [c for c in self.codes if c.id in wanted]
        out = []
        for code in keep:
            parent = code.parent
            while parent is not None and parent not in wanted:
                parent = by_id[parent].parent
            out.append(dataclasses.replace(code, parent=parent))
        return Codebook(self.name, tuple(out), self.source)


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


def code_slug(name: str) -> str:
    """`PDP/ICE` -> `pdp_ice`: lower case, every run of non-word characters one `_`."""
    return re.sub(r"[^\w]+", "_", name.casefold()).strip("_")


def split_code_path(label: str) -> list[str]:
    """`A > B`, `A>B`, `A\\B` (MAXQDA, NVivo) or `A>>B` (QualCoder) -> ["A", "B"]."""
    return [" ".join(part.split()) for part in _PATH_SPLIT.split(label.strip()) if part.strip()]


def derive_code_id(path: Sequence[str]) -> str:
    """The id of a code that has none, from its path (names from the top): see the module
    docstring. ``["Explainability techniques", "PDP/ICE"]`` -> ``explainability_techniques.pdp_ice``."""
    return ".".join(code_slug(name) or "code" for name in path)


def _label_key(label: str) -> str:
    return PATH_SEPARATOR.join(part.casefold() for part in split_code_path(label))


class CodeLookup:
    """Finds the code a researcher's label names: its id, its path (``Parent > Child``, or with
    MAXQDA's ``\\`` and QualCoder's ``>>``) or its name, ignoring case and spacing. An id wins
    over a path or name; a name shared by several codes names the first of them (use the path
    to say which)."""

    def __init__(self, codebook: Codebook) -> None:
        self._ids: dict[str, str] = {}
        for code in codebook.codes:
            self._ids.setdefault(_label_key(code.name), code.id)
        for code in codebook.codes:
            self._ids[_label_key(codebook.path(code.id))] = code.id
        for code in codebook.codes:
            self._ids[code.id.casefold().strip()] = code.id

    def find(self, label: str) -> str | None:
        """The code id `label` names, or None."""
        return self._ids.get(label.casefold().strip()) or self._ids.get(_label_key(label))


def code_lookup(codebook: Codebook) -> CodeLookup:
    """A :class:`CodeLookup` for `codebook` (what human codings are matched with)."""
    return CodeLookup(codebook)


@dataclass
class _Row:
    """One code as written in a file, before its id and parent are resolved."""

    at: str
    id: str
    parts: list[str]  # the name, or the path when the file gives one (MAXQDA `A > B`)
    parent: str | None
    fields: dict


def codes_from_records(records: Sequence[dict], where: str, line_of: Sequence[int] | None = None) -> tuple[Code, ...]:
    """Codes from mappings with the codebook fields (YAML entries or CSV rows).

    `id` is optional (derived from the path, see the module docstring). `parent` is another
    code's id, name or path; a code without an id may give its whole path as its `name`
    (``Parent > Child``). Groups named only in a path are created (as MAXQDA does on import).
    """
    rows = []
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
        if not name:
            raise InputError(f"{at}: code '{code_id}' has no name. Add a `name`." if code_id else f"{at}: code has no name. Add a `name`.")
        parts = [name] if code_id else split_code_path(name)
        parent = rec.get("parent")
        fields = {
            "definition": str(rec.get("definition") or "").strip(),
            "keywords": _as_list(rec.get("keywords"), f"{at}: keywords"),
            "exclude": _as_list(rec.get("exclude"), f"{at}: exclude"),
            "examples": _as_list(rec.get("examples"), f"{at}: examples"),
        }
        rows.append(_Row(at, code_id, parts, str(parent).strip() if parent not in (None, "") else None, fields))
    return _resolve_hierarchy(rows)


def _resolve_hierarchy(rows: list[_Row]) -> tuple[Code, ...]:
    """Ids and parents of the rows: explicit ids as given, the others derived from their paths."""
    explicit = {r.id: k for k, r in enumerate(rows) if r.id}
    by_name: dict[str, list[int]] = {}
    for k, r in enumerate(rows):
        by_name.setdefault(r.parts[-1].casefold(), []).append(k)

    def target(k: int) -> tuple[str, object] | None:
        """Where row k's parent is: ("row", index), ("path", names) or ("as_given", text)."""
        r = rows[k]
        if r.parent is None:
            return ("path", r.parts[:-1]) if len(r.parts) > 1 else None
        if r.parent in explicit:
            return ("row", explicit[r.parent])
        ref = split_code_path(r.parent)
        if len(ref) > 1:
            return ("path", ref)
        named = [j for j in by_name.get(r.parent.casefold(), []) if j != k]
        if len(named) > 1:
            raise InputError(f"{r.at}: parent '{r.parent}' is the name of {len(named)} codes. Name the parent by its id or its path (Parent > Child).")
        return ("row", named[0]) if named else ("as_given", r.parent)

    paths: dict[int, list[str]] = {}

    def path_of(k: int, visiting: frozenset[int] = frozenset()) -> list[str]:
        if k in paths:
            return paths[k]
        if k in visiting:  # a cycle of parents: validate_codes names it
            return rows[k].parts[-1:]
        where = target(k)
        if where is None or where[0] == "as_given":
            prefix: list[str] = []
        elif where[0] == "row":
            prefix = path_of(where[1], visiting | {k})  # type: ignore[arg-type]
        else:
            prefix = list(where[1])  # type: ignore[call-overload]
        paths[k] = prefix + rows[k].parts[-1:]
        return paths[k]

    def key(path: Sequence[str]) -> tuple[str, ...]:
        return tuple(p.casefold() for p in path)

    row_of_path: dict[tuple[str, ...], int] = {}
    for k in range(len(rows)):
        pk = key(path_of(k))
        if pk in row_of_path and not rows[k].id and not rows[row_of_path[pk]].id:
            first = rows[row_of_path[pk]].at.rsplit(": ", 1)[-1]
            raise InputError(f"{rows[k].at}: code '{PATH_SEPARATOR.join(path_of(k))}' is listed twice (also {first}). Merge the two, or give them different names or ids.")
        row_of_path.setdefault(pk, k)
    used = set(explicit)
    ids: dict[int, str] = {}

    def unique(base: str) -> str:
        candidate, n = base, 1
        while candidate in used:
            n += 1
            candidate = f"{base}_{n}"
        used.add(candidate)
        return candidate

    def row_id(k: int) -> str:
        if k not in ids:
            ids[k] = rows[k].id or unique(derive_code_id(path_of(k)))
        return ids[k]

    codes: list[Code] = []
    group_ids: dict[tuple[str, ...], str] = {}

    def group_id(path: Sequence[str]) -> str:
        """The id of the code at `path`: a row of the file, or a group created for it."""
        pk = key(path)
        if pk in row_of_path:
            return row_id(row_of_path[pk])
        if pk not in group_ids:
            parent = group_id(path[:-1]) if len(path) > 1 else None
            group_ids[pk] = unique(derive_code_id(path))
            codes.append(Code(id=group_ids[pk], name=path[-1], parent=parent))
        return group_ids[pk]

    for k, r in enumerate(rows):
        where = target(k)
        if where is None:
            parent = None
        elif where[0] == "row":
            parent = row_id(where[1])  # type: ignore[arg-type]
        elif where[0] == "path":
            parent = group_id(list(where[1]))  # type: ignore[call-overload]
        else:
            parent = str(where[1])
        codes.append(Code(id=row_id(k), name=r.parts[-1], parent=parent, **r.fields))
    return tuple(codes)

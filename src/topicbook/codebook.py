"""The researcher's codebook: codes with definitions, keywords and examples.

Read from YAML (see DESIGN.md), CSV with the same columns, or REFI-QDA .qdc; validated with
one-line errors. :func:`seed_vectors` runs every code's text through the corpus's own
preprocessing, so that the keyword `skills` meets the lemma `skill` and `online course` meets
the phrase `online_course`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from topicbook.errors import InputError

log = logging.getLogger(__name__)

KEYWORD_WEIGHT = 1.0
TEXT_WEIGHT = 0.3


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


# --------------------------------------------------------------------------- reading

_FIELDS = ("id", "name", "definition", "keywords", "exclude", "examples", "parent")


def load_codebook(path: Path) -> Codebook:
    """Read a codebook: .yaml/.yml, .csv or REFI-QDA .qdc (by extension)."""
    if not path.is_file():
        raise InputError(f"codebook.path: {path.name} does not exist ({path}). Fix the path or remove the codebook section.")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _load_yaml(path)
    if suffix == ".csv":
        return _load_csv(path)
    if suffix == ".qdc":
        from topicbook.qdc import read_qdc

        return read_qdc(path)
    if suffix == ".qdpx":
        from topicbook.qdc import read_qdpx

        project = read_qdpx(path)
        if project.codebook is None:
            raise InputError(f"{path.name}: the project has no codes. Export a project with a codebook.")
        return project.codebook
    raise InputError(f"{path.name}: unknown codebook format '{suffix}'. Use .yaml, .csv, a REFI-QDA .qdc codebook or a .qdpx project.")


def codebook_records(codebook: Codebook) -> list[dict]:
    """The codes as plain mappings with the YAML/CSV fields (empty fields left out)."""
    out = []
    for code in codebook.codes:
        rec: dict = {"id": code.id, "name": code.name}
        if code.definition:
            rec["definition"] = code.definition
        for key in ("keywords", "exclude", "examples"):
            if getattr(code, key):
                rec[key] = list(getattr(code, key))
        if code.parent is not None:
            rec["parent"] = code.parent
        out.append(rec)
    return out


def codebook_to_yaml(codebook: Codebook) -> str:
    """The codebook as YAML text in the format :func:`load_codebook` reads."""
    import yaml

    return yaml.safe_dump({"name": codebook.name, "codes": codebook_records(codebook)},
                          sort_keys=False, allow_unicode=True, width=100)


def _as_list(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(";") if v.strip()) if ";" in value else ((value.strip(),) if value.strip() else ())
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return tuple(str(v).strip() for v in value if str(v).strip())
    raise InputError(f"{where} must be a list of text; got {type(value).__name__}.")


def codes_from_records(records: Sequence[dict], where: str, line_of: Sequence[int] | None = None) -> tuple[Code, ...]:
    """Codes from mappings with the codebook fields (YAML entries or CSV rows)."""
    codes = []
    for i, rec in enumerate(records):
        at = f"{where}: line {line_of[i]}" if line_of else f"{where}: code {i + 1}"
        if not isinstance(rec, dict):
            raise InputError(f"{at}: a code must be a mapping with id, name, definition, keywords; got {type(rec).__name__}.")
        unknown = [k for k in rec if k not in _FIELDS]
        if unknown:
            import difflib

            close = difflib.get_close_matches(str(unknown[0]), _FIELDS, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else f" Valid keys: {', '.join(_FIELDS)}."
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


def _load_yaml(path: Path) -> Codebook:
    from topicbook.config import parse_yaml
    from topicbook.errors import ConfigError

    try:
        data = parse_yaml(path.read_text(encoding="utf-8"), path)
    except UnicodeDecodeError:
        raise InputError(f"{path.name}: not UTF-8 text. Save the codebook as UTF-8.") from None
    except ConfigError as exc:
        raise InputError(str(exc).replace(str(path), path.name)) from None
    if not isinstance(data, dict) or "codes" not in data:
        raise InputError(f"{path.name}: a codebook needs a top-level `codes:` list (and optionally `name:`).")
    if not isinstance(data["codes"], list):
        raise InputError(f"{path.name}: `codes` must be a list of codes.")
    codes = codes_from_records(data["codes"], path.name)
    return Codebook(str(data.get("name") or path.stem), codes, path.name)


def _load_csv(path: Path) -> Codebook:
    from topicbook.ingest.corpus import read_table

    frame = read_table(path)
    for col in ("id", "name"):
        if col not in frame.columns:
            raise InputError(f"{path.name}: no '{col}' column. A CSV codebook needs columns {', '.join(_FIELDS)}.")
    records = [{k: v for k, v in rec.items() if v != ""} for rec in frame.to_dict("records")]
    codes = codes_from_records(records, path.name, line_of=list(range(2, len(records) + 2)))
    return Codebook(path.stem, codes, path.name)


# --------------------------------------------------------------------------- seed terms


@dataclass(frozen=True)
class SeedTerms:
    """Per code, term index -> weight in the corpus vocabulary, and what was missing."""

    weights: dict[str, dict[int, float]]
    keyword_terms: dict[str, dict[str, list[str]]]  # code -> keyword -> its terms
    missing_keywords: dict[str, list[str]]
    exclude: dict[str, list[int]] = field(default_factory=dict)

    def vector(self, code_id: str, n_terms: int) -> np.ndarray:
        vec = np.zeros(n_terms)
        for term, weight in self.weights.get(code_id, {}).items():
            vec[term] = weight
        return vec

    def usable_codes(self) -> list[str]:
        return [c for c, w in self.weights.items() if w]


def seed_terms(codebook: Codebook, vocab: Sequence[str], transform) -> SeedTerms:  # type: ignore[no-untyped-def]
    """Map every code's keywords (weight 1) and its name, definition and examples (weight 0.3)
    onto vocabulary indices with `transform` (the corpus's Preprocessor.transform).

    A term shared by several codes is divided by the number of codes using it, so generic words
    do not fire for every code.
    """
    index = {t: i for i, t in enumerate(vocab)}
    raw: dict[str, dict[int, float]] = {}
    keyword_terms: dict[str, dict[str, list[str]]] = {}
    missing: dict[str, list[str]] = {}
    exclude: dict[str, list[int]] = {}
    for code in codebook.codes:
        weights: dict[int, float] = {}
        keyword_terms[code.id] = {}
        missing[code.id] = []
        for keyword in code.keywords:
            terms = [t for t in transform(keyword) if t in index]
            keyword_terms[code.id][keyword] = terms
            if not terms:
                missing[code.id].append(keyword)
            for t in terms:
                weights[index[t]] = max(weights.get(index[t], 0.0), KEYWORD_WEIGHT)
        for text in (code.name, code.definition, *code.examples):
            for t in transform(text):
                if t in index:
                    weights.setdefault(index[t], TEXT_WEIGHT)
        exclude[code.id] = [index[t] for e in code.exclude for t in transform(e) if t in index]
        for term in exclude[code.id]:
            weights.pop(term, None)
        raw[code.id] = weights
    shared = Counter(t for w in raw.values() for t in w)
    distinct = {c: {t: w / shared[t] for t, w in ws.items()} for c, ws in raw.items()}
    for code_id, kws in missing.items():
        if kws:
            log.warning("codebook: code '%s' has keywords not in the vocabulary: %s", code_id, ", ".join(kws))
    return SeedTerms(distinct, keyword_terms, missing, exclude)


def keyword_report(codebook: Codebook, seeds: SeedTerms, tokens: Sequence[Sequence[str]]) -> list[dict]:
    """Per code and keyword: how many segments contain it, absent keywords, usable seed count."""
    doc_sets = [set(t) for t in tokens]
    rows = []
    for code in codebook.codes:
        kw_rows = []
        for keyword, terms in seeds.keyword_terms.get(code.id, {}).items():
            hits = sum(1 for s in doc_sets if any(t in s for t in terms)) if terms else 0
            kw_rows.append({"keyword": keyword, "terms": terms, "segments": hits})
        rows.append({
            "code": code.id, "name": code.name, "keywords": kw_rows,
            "missing": seeds.missing_keywords.get(code.id, []),
            "seed_terms": len(seeds.weights.get(code.id, {})),
            "usable": bool(seeds.weights.get(code.id)),
        })
    return rows

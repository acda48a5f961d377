"""The researcher's codebook: codes with definitions, keywords and examples.

Read from YAML (see DESIGN.md), CSV with the same columns, or REFI-QDA .qdc; validated with
one-line errors. :func:`seed_vectors` runs every code's text through the corpus's own
preprocessing, so that the keyword `skills` meets the lemma `skill` and `online course` meets
the phrase `online_course`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from topicbook.codes import (
    FIELDS,
    Code,
    Codebook,
    codebook_records,
    codes_from_records,
    validate_codes,
)
from topicbook.config import parse_yaml
from topicbook.errors import ConfigError, InputError
from topicbook.ingest.corpus import read_table
from topicbook.qdc import read_qdc, read_qdpx

__all__ = ["Code", "Codebook", "CodeKeywords", "KeywordHit", "SeedTerms", "codebook_records", "codebook_to_yaml",
           "codes_from_records", "keyword_report", "load_codebook", "seed_terms", "validate_codes"]

log = logging.getLogger(__name__)

KEYWORD_WEIGHT = 1.0
TEXT_WEIGHT = 0.3


# --------------------------------------------------------------------------- reading


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
        return read_qdc(path)
    if suffix == ".qdpx":
        project = read_qdpx(path)
        if project.codebook is None:
            raise InputError(f"{path.name}: the project has no codes. Export a project with a codebook.")
        return project.codebook
    raise InputError(f"{path.name}: unknown codebook format '{suffix}'. Use .yaml, .csv, a REFI-QDA .qdc codebook or a .qdpx project.")


def codebook_to_yaml(codebook: Codebook) -> str:
    """The codebook as YAML text in the format :func:`load_codebook` reads."""
    return yaml.safe_dump({"name": codebook.name, "codes": codebook_records(codebook)},
                          sort_keys=False, allow_unicode=True, width=100)


def _load_yaml(path: Path) -> Codebook:
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
    frame = read_table(path)
    for col in ("id", "name"):
        if col not in frame.columns:
            raise InputError(f"{path.name}: no '{col}' column. A CSV codebook needs columns {', '.join(FIELDS)}.")
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


def seed_terms(codebook: Codebook, vocab: Sequence[str], transform: Callable[[str], list[str]]) -> SeedTerms:
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


@dataclass(frozen=True)
class KeywordHit:
    """One keyword of a code: the corpus terms it became and the segments holding any of them."""

    keyword: str
    terms: tuple[str, ...]
    segments: int

    def to_json(self) -> dict[str, Any]:
        return {"keyword": self.keyword, "terms": list(self.terms), "segments": self.segments}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KeywordHit:
        return cls(str(data["keyword"]), tuple(data["terms"]), int(data["segments"]))


@dataclass(frozen=True)
class CodeKeywords:
    """The keyword report of one code (a row of keyword_report.json): its keywords, those
    missing from the vocabulary, how many seed terms it has and whether it can be matched."""

    code: str
    name: str
    keywords: tuple[KeywordHit, ...]
    missing: tuple[str, ...]
    seed_terms: int
    usable: bool

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "keywords": [k.to_json() for k in self.keywords],
                "missing": list(self.missing), "seed_terms": self.seed_terms, "usable": self.usable}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CodeKeywords:
        return cls(str(data["code"]), str(data["name"]), tuple(KeywordHit.from_json(k) for k in data["keywords"]),
                   tuple(data["missing"]), int(data["seed_terms"]), bool(data["usable"]))


def keyword_report(codebook: Codebook, seeds: SeedTerms, tokens: Sequence[Sequence[str]]) -> tuple[CodeKeywords, ...]:
    """Per code and keyword: how many segments contain it, absent keywords, usable seed count."""
    doc_sets = [set(t) for t in tokens]
    rows = []
    for code in codebook.codes:
        hits = []
        for keyword, terms in seeds.keyword_terms.get(code.id, {}).items():
            n = sum(1 for s in doc_sets if any(t in s for t in terms)) if terms else 0
            hits.append(KeywordHit(keyword, tuple(terms), n))
        rows.append(CodeKeywords(code.id, code.name, tuple(hits), tuple(seeds.missing_keywords.get(code.id, [])),
                                 len(seeds.weights.get(code.id, {})), bool(seeds.weights.get(code.id))))
    return tuple(rows)

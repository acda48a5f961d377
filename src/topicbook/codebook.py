"""The researcher's codebook: codes with definitions, keywords and examples.

Read from YAML (see DESIGN.md), CSV with the same columns, the code-system tables of MAXQDA and
QualCoder (:mod:`topicbook.codebook_formats`), or REFI-QDA .qdc/.qdpx; validated with one-line
errors. :func:`seed_terms` runs every code's text through the corpus's own preprocessing, so
that the keyword `skills` meets the lemma `skill` and `online course` meets the phrase
`online_course`.

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

import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from topicbook.codes import (
    FIELDS,
    PATH_SEPARATOR,
    Code,
    Codebook,
    CodeLookup,
    code_lookup,
    code_slug,
    codebook_records,
    codes_from_records,
    derive_code_id,
    split_code_path,
    validate_codes,
)
from topicbook.config import parse_yaml
from topicbook.errors import ConfigError, InputError
from topicbook.heap import collector_paused
from topicbook.qdc import read_qdc, read_qdpx

__all__ = ["FIELDS", "PATH_SEPARATOR", "Code", "CodeKeywords", "CodeLookup", "Codebook", "KeywordHit", "SeedTerms",
           "TextTerm", "code_lookup", "code_slug", "codebook_records", "codebook_to_yaml", "codes_from_records",
           "derive_code_id", "keyword_report", "load_codebook", "seed_terms", "split_code_path", "validate_codes"]

log = logging.getLogger(__name__)

KEYWORD_WEIGHT = 1.0
TEXT_WEIGHT = 0.3
MISSING_KEYWORDS_KIND = "codebook.keywords"  # the kind of the missing-keywords warning (topicbook.logs)


# --------------------------------------------------------------------------- reading


def load_codebook(path: Path) -> Codebook:
    """Read a codebook (by extension): .yaml/.yml; .csv/.tsv/.xlsx in topicbook's columns or as
    MAXQDA's or QualCoder's code system; QualCoder's plain-text .txt; REFI-QDA .qdc or .qdpx."""
    if not path.is_file():
        raise InputError(f"codebook.path: {path.name} does not exist ({path}). Fix the path or remove the codebook section.")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _load_yaml(path)
    if suffix in (".csv", ".tsv", ".xlsx", ".txt"):
        from topicbook.codebook_formats import load_table_codebook

        return load_table_codebook(path)
    if suffix == ".qdc":
        return read_qdc(path)
    if suffix == ".qdpx":
        project = read_qdpx(path)
        if project.codebook is None:
            raise InputError(f"{path.name}: the project has no codes. Export a project with a codebook.")
        return project.codebook
    raise InputError(f"{path.name}: unknown codebook format '{suffix}'. Use .yaml, .csv, a REFI-QDA .qdc codebook or a .qdpx project.")


_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def codebook_to_yaml(codebook: Codebook) -> str:
    """The codebook as YAML text in the format :func:`load_codebook` reads.

    Emitted by libyaml when available (the same text as PyYAML's emitter, 10x faster), except
    for a codebook with characters beyond U+FFFF (emoji), which libyaml writes as escapes."""
    data = {"name": codebook.name, "codes": codebook_records(codebook)}
    fast = getattr(yaml, "CSafeDumper", None)
    if fast is None or _ASTRAL.search(json.dumps(data, ensure_ascii=False)):
        fast = yaml.SafeDumper
    with collector_paused():  # the representer's nodes: bulk objects alive until the text is out
        return yaml.dump(data, Dumper=fast, sort_keys=False, allow_unicode=True, width=100)


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


# --------------------------------------------------------------------------- seed terms


@dataclass(frozen=True)
class SeedTerms:
    """Per code, term index -> weight in the corpus vocabulary, and what was missing.

    text_terms: per code, the corpus terms of its name, definition and examples that act as
    seeds (weight TEXT_WEIGHT; the only seeds of a code without keywords).
    """

    weights: dict[str, dict[int, float]]
    keyword_terms: dict[str, dict[str, list[str]]]  # code -> keyword -> its terms
    missing_keywords: dict[str, list[str]]
    exclude: dict[str, list[int]] = field(default_factory=dict)
    text_terms: dict[str, list[str]] = field(default_factory=dict)

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
    do not fire for every code. Keywords missing from the vocabulary are one warning for the
    whole codebook (the codes and keywords are logged at INFO, i.e. with -v, and listed by
    `topicbook validate`).
    """
    index = {t: i for i, t in enumerate(vocab)}
    raw: dict[str, dict[int, float]] = {}
    keyword_terms: dict[str, dict[str, list[str]]] = {}
    missing: dict[str, list[str]] = {}
    exclude: dict[str, list[int]] = {}
    text_terms: dict[str, list[str]] = {}
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
        from_text: list[str] = []
        for text in (code.name, code.definition, *code.examples):
            for t in transform(text):
                if t in index and index[t] not in weights:
                    weights[index[t]] = TEXT_WEIGHT
                    from_text.append(t)
        exclude[code.id] = [index[t] for e in code.exclude for t in transform(e) if t in index]
        for term in exclude[code.id]:
            weights.pop(term, None)
        text_terms[code.id] = [t for t in from_text if index[t] in weights]
        raw[code.id] = weights
    shared = Counter(t for w in raw.values() for t in w)
    distinct = {c: {t: w / shared[t] for t, w in ws.items()} for c, ws in raw.items()}
    with_missing = [c for c, kws in missing.items() if kws]
    if with_missing:
        n = len(with_missing)
        log.warning("codebook: %d %s keywords missing from the vocabulary; `topicbook validate` lists them",
                    n, "code has" if n == 1 else "codes have", extra={"kind": MISSING_KEYWORDS_KIND})
        for code_id in with_missing:
            log.info("codebook: code '%s' has keywords not in the vocabulary: %s", code_id, ", ".join(missing[code_id]))
    return SeedTerms(distinct, keyword_terms, missing, exclude, text_terms)


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
class TextTerm:
    """A term of a code's name, definition or examples that seeds it, and the segments holding it."""

    term: str
    segments: int

    def to_json(self) -> dict[str, Any]:
        return {"term": self.term, "segments": self.segments}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TextTerm:
        return cls(str(data["term"]), int(data["segments"]))


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
    text_terms: tuple[TextTerm, ...] = ()  # name/definition/example terms that seed the code
    group: bool = False  # the code has children

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "keywords": [k.to_json() for k in self.keywords],
                "missing": list(self.missing), "text_terms": [t.to_json() for t in self.text_terms],
                "seed_terms": self.seed_terms, "usable": self.usable, "group": self.group}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CodeKeywords:
        return cls(str(data["code"]), str(data["name"]), tuple(KeywordHit.from_json(k) for k in data["keywords"]),
                   tuple(data["missing"]), int(data["seed_terms"]), bool(data["usable"]),
                   tuple(TextTerm.from_json(t) for t in data.get("text_terms", [])), bool(data.get("group", False)))


def keyword_report(codebook: Codebook, seeds: SeedTerms, tokens: Sequence[Sequence[str]]) -> tuple[CodeKeywords, ...]:
    """Per code and keyword: how many segments contain it, absent keywords, usable seed count.

    The segments of each term are found once (an inverted index of `tokens`) and each set of
    terms counted once, however many codes and keywords share it."""
    wanted = {t for terms_of in seeds.keyword_terms.values() for terms in terms_of.values() for t in terms}
    wanted.update(t for terms in seeds.text_terms.values() for t in terms)
    rows_of: dict[str, set[int]] = {t: set() for t in wanted}
    for i, segment_tokens in enumerate(tokens):
        for t in wanted.intersection(segment_tokens):
            rows_of[t].add(i)
    counted: dict[tuple[str, ...], int] = {}

    def segments_with(terms: Sequence[str]) -> int:
        """Segments containing any of `terms`."""
        key = tuple(terms)
        if key not in counted:
            counted[key] = len(set().union(*(rows_of[t] for t in key)))
        return counted[key]

    parents = {c.parent for c in codebook.codes}
    rows = []
    for code in codebook.codes:
        hits = [KeywordHit(keyword, tuple(terms), segments_with(terms) if terms else 0)
                for keyword, terms in seeds.keyword_terms.get(code.id, {}).items()]
        rows.append(CodeKeywords(code.id, code.name, tuple(hits), tuple(seeds.missing_keywords.get(code.id, [])),
                                 len(seeds.weights.get(code.id, {})), bool(seeds.weights.get(code.id)),
                                 tuple(TextTerm(t, segments_with([t])) for t in seeds.text_terms.get(code.id, [])),
                                 code.id in parents))
    return tuple(rows)

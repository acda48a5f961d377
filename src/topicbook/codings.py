"""Human codings: reading a researcher's coded quotes or spans and placing them on segments.

Codings come as a CSV `document,code,text` (a quote), a CSV `document,start,end,code`
(character offsets into the document), the codings of a REFI-QDA project (.qdpx), or a
`codes` column of a table corpus. They are mapped onto analysis segments:

- a quote is found in its document ignoring case, whitespace and punctuation; quotes found
  nowhere are counted and listed (codings_report.json), never fatal;
- a span codes a segment when their overlap covers at least half of the shorter of the two.

Which segments count as coded (:func:`coded_mask`): every segment of a document with at least
one coding (its segments without a code are negatives; documents without codings are unknown),
except in documents holding *reviewed* segments (`codings.reviewed`, :func:`read_reviewed`: the
suggestions.csv of a run, or a sample.json): there only the reviewed segments, and segments
that carry a code, count as coded. So coding one suggested passage of an interview does not
make the rest of that interview negative. The spans topicbook marks in its own .qdpx exports
(code "topicbook: code next") are not human codes and are skipped when codings are read.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from topicbook.codebook import Code, Codebook, code_lookup
from topicbook.errors import InputError
from topicbook.ingest import Corpus
from topicbook.ingest.codings import codings_table
from topicbook.ingest.comments import read_comment_codings
from topicbook.ingest.corpus import read_table
from topicbook.qdc import Coding, read_qdpx
from topicbook.sampling import is_sample_marker
from topicbook.segment import Segment
from topicbook.spreadsheet import restore_cell

log = logging.getLogger(__name__)

QUOTE_COLUMNS = ("document", "code", "text")
SPAN_COLUMNS = ("document", "start", "end", "code")
MIN_OVERLAP = 0.5
SUGGESTION_USER_PREFIX = "topicbook:"  # the user of topicbook's exported suggestions (export.py)
UNPLACED_KIND = "codings.unplaced"
DEIDENTIFIED_REASON = "offsets into the text before de-identification"  # the kind of the warning about unplaced codings (topicbook.logs)
# The code that marks suggested passages in topicbook's "code next" .qdpx: a mark, not a human
# code; codings of it that come back in an exported project are skipped.
CODE_NEXT = Code(id="topicbook_code_next", name="topicbook: code next",
                 definition="A passage topicbook suggests coding next (see the note): code it with "
                            "every code of your codebook that applies, or none, and keep or delete this mark.")


def is_topicbook_mark(code: str) -> bool:
    """Whether a coding's code (id or name) is topicbook's own mark rather than a human code."""
    return code.casefold().strip() in (CODE_NEXT.id, CODE_NEXT.name)


@dataclass(frozen=True)
class HumanCodings:
    """Human codes on the modelled segments.

    labels: (n_segments, n_codes) bool over `segment_ids` and `code_ids` (codebook order).
    unmatched: codings that reached no segment: {line, document, code, text, reason}.
    unknown_codes: codes of the codings that are not in the codebook (by id or name).
    spans: every placed coding as a character span of its document with the code's id, and
    its coder when the source names one (a .qdpx user); the run folder's codings.csv, which
    `topicbook export --format qdpx` writes back beside topicbook's suggestions.
    """

    source: str
    segment_ids: tuple[str, ...]
    code_ids: tuple[str, ...]
    labels: np.ndarray
    documents: tuple[str, ...]
    n_codings: int
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    unknown_codes: list[str] = field(default_factory=list)
    spans: tuple[Coding, ...] = ()

    @property
    def n_placed(self) -> int:
        """Codings placed on at least one modelled segment."""
        return self.n_codings - len(self.unmatched)

    def positives(self) -> dict[str, int]:
        """Per code (codebook order), how many modelled segments the codings give it."""
        return {c: int(n) for c, n in zip(self.code_ids, self.labels.sum(axis=0), strict=True)}

    def unplaced_reasons(self) -> dict[str, int]:
        """Why codings were not placed: reason -> count, the most frequent first."""
        return dict(Counter(u["reason"] for u in self.unmatched).most_common())

    def to_json(self) -> dict[str, Any]:
        """The codings as read (codings_report.json; the labels themselves go to scores.npz)."""
        return {
            "source": self.source, "codings": self.n_codings, "placed": self.n_placed,
            "matched": self.n_placed, "unmatched": len(self.unmatched),
            "unmatched_codings": self.unmatched, "unknown_codes": self.unknown_codes,
            "positives": self.positives(), "documents": list(self.documents),
        }

    def used_codes(self) -> tuple[str, ...]:
        """The codes at least one placed coding applies, in codebook order."""
        hits = np.flatnonzero(self.labels.any(axis=0))
        return tuple(self.code_ids[c] for c in hits)

    def subset(self, code_ids: Sequence[str]) -> HumanCodings:
        """The same codings over `code_ids` only (each must be one of `self.code_ids`): labels
        (n_segments, len(code_ids)) in that order."""
        column = {c: i for i, c in enumerate(self.code_ids)}
        return replace(self, code_ids=tuple(code_ids), labels=self.labels[:, [column[c] for c in code_ids]])

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, labels: np.ndarray, segment_ids: Sequence[str],
                  code_ids: Sequence[str], spans: Sequence[Coding] = ()) -> HumanCodings:
        """Codings from codings_report.json, the label matrix (n_segments, n_codes) and the
        placed spans (codings.csv)."""
        return cls(str(data["source"]), tuple(segment_ids), tuple(code_ids), np.asarray(labels, dtype=bool),
                   tuple(data.get("documents", ())), int(data["codings"]),
                   list(data.get("unmatched_codings", [])), list(data.get("unknown_codes", [])), tuple(spans))


# --------------------------------------------------------------------------- quote matching


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """Casefolded text with every run of non-alphanumerics collapsed to one space, and for each
    output character the index of the input character it came from."""
    out: list[str] = []
    where: list[int] = []
    gap = True
    for i, ch in enumerate(unicodedata.normalize("NFC", text)):
        if ch.isalnum():
            for c in ch.casefold():
                out.append(c)
                where.append(i)
            gap = False
        elif not gap:
            out.append(" ")
            where.append(i)
            gap = True
    while out and out[-1] == " ":
        out.pop()
        where.pop()
    return "".join(out), where


def normalise(text: str) -> str:
    """Casefolded text, non-alphanumerics collapsed to single spaces, stripped."""
    return normalise_with_map(text)[0].strip()


def find_quote(document: str, quote: str, *, normalised: tuple[str, list[int]] | None = None) -> tuple[int, int] | None:
    """(start, end) character offsets of `quote` in `document`, tolerant of case, whitespace
    and punctuation; None when it does not occur (or has no letters or digits). `normalised`:
    `normalise_with_map(document)` when the caller has it (several quotes of one document)."""
    needle = normalise(quote)
    if not needle:
        return None
    hay, where = normalised if normalised is not None else normalise_with_map(document)
    pos = hay.find(needle)
    if pos < 0:
        return None
    return where[pos], where[pos + len(needle) - 1] + 1


def segments_for_span(segments: Sequence[Segment], start: int, end: int) -> list[str]:
    """Ids of the segments whose overlap with [start, end) covers at least half of the shorter
    of the two (segment length = the sum of its spans)."""
    out = []
    for seg in segments:
        length = sum(e - s for s, e in seg.spans)
        overlap = sum(max(0, min(e, end) - max(s, start)) for s, e in seg.spans)
        if overlap > 0 and overlap >= MIN_OVERLAP * min(length, end - start):
            out.append(seg.id)
    return out


# --------------------------------------------------------------------------- reading codings


class _Builder:
    """Collects (segment, code) labels and what could not be placed."""

    def __init__(self, source: str, segments: Sequence[Segment], segment_ids: Sequence[str],
                 codebook: Codebook, deidentified_from: Mapping[str, int] | None = None) -> None:
        self.source = source
        self.deidentified_from = deidentified_from or {}
        self.shifted = 0  # offsets that de-identification moved
        self.by_doc: dict[str, list[Segment]] = {}
        for seg in segments:
            self.by_doc.setdefault(seg.document, []).append(seg)
        self.row = {s: i for i, s in enumerate(segment_ids)}
        self.segment_ids = tuple(segment_ids)
        self.codebook = codebook
        self.lookup = code_lookup(codebook)
        self.col = {c: i for i, c in enumerate(codebook.ids())}
        self.labels = np.zeros((len(segment_ids), len(codebook)), dtype=bool)
        self.unmatched: list[dict[str, Any]] = []
        self.unknown: dict[str, int] = {}
        self.n = 0
        self.docs: set[str] = set()
        self.spans: list[Coding] = []
        self.normalised: dict[str, tuple[str, list[int]]] = {}  # document text -> normalise_with_map

    def code_id(self, code: str) -> str | None:
        found = self.lookup.find(code)
        if found is None:
            self.unknown[code] = self.unknown.get(code, 0) + 1
        return found

    def miss(self, line: int | None, document: str, code: str, text: str, reason: str) -> None:
        self.unmatched.append({"line": line, "document": document, "code": code,
                               "text": text[:200], "reason": reason})

    def add_span(self, line: int | None, document: str, start: int, end: int, code: str, text: str = "",
                 user: str = "", *, original_offsets: bool = True) -> None:
        """`original_offsets`: the offsets refer to the document as its file holds it (CSV
        offsets, Word comments, a .qdpx), not to the text topicbook analyses (a found quote)."""
        if is_topicbook_mark(code) or is_sample_marker(code):  # topicbook's own marks, not codes
            return
        self.n += 1
        code_id = self.code_id(code)
        if code_id is None:
            self.miss(line, document, code, text, "code not in the codebook")
            return
        if document not in self.by_doc:
            self.miss(line, document, code, text, "no analysed segment of this document")
            return
        if original_offsets and end > self.deidentified_from.get(document, end):
            self.shifted += 1
            self.miss(line, document, code, text, DEIDENTIFIED_REASON)
            return
        self.docs.add(document)
        hits = [s for s in segments_for_span(self.by_doc[document], start, end) if s in self.row]
        if not hits:
            self.miss(line, document, code, text, "overlaps no analysed segment")
            return
        for seg_id in hits:
            self.labels[self.row[seg_id], self.col[code_id]] = True
        self.spans.append(Coding(document, start, end, code_id, user))

    def add_quote(self, line: int | None, document: str, code: str, quote: str, doc_text: str | None) -> None:
        if is_topicbook_mark(code) or is_sample_marker(code):  # topicbook's own marks, not codes
            return
        if doc_text is None:
            self.n += 1
            self.miss(line, document, code, quote, "unknown document")
            return
        if doc_text not in self.normalised:  # once per document, not once per quote
            self.normalised[doc_text] = normalise_with_map(doc_text)
        span = find_quote(doc_text, quote, normalised=self.normalised[doc_text])
        if span is None:
            self.n += 1
            if self.code_id(code) is not None:
                self.miss(line, document, code, quote, "quote not found in the document")
            else:
                self.miss(line, document, code, quote, "code not in the codebook")
            return
        self.add_span(line, document, span[0], span[1], code, quote, original_offsets=False)

    def build(self) -> HumanCodings:
        if self.n and len(self.unmatched) == self.n:
            first = self.unmatched[0]
            at = f"line {first['line']}: " if first["line"] else ""
            raise InputError(f"{self.source}: none of the {self.n} codings matches a segment ({at}{first['reason']}: document '{first['document']}', code '{first['code']}'). Codes must be ids or names of the codebook's codes, documents the corpus's document ids.")
        if self.shifted:
            log.warning("%s: %d codings by character offsets end after text that preprocess.deidentify changed, so their offsets no longer point at the coded words; they are not placed. Give those codings as quotes (document,code,text), or code the de-identified texts (a run's documents.jsonl).",
                        self.source, self.shifted, extra={"kind": "codings.deidentified"})
        if self.unmatched:
            log.warning("%s: %d of %d codings were not placed on a segment (`topicbook -v validate` lists them, and a run's codings_report.json)",
                        self.source, len(self.unmatched), self.n, extra={"kind": UNPLACED_KIND})
        return HumanCodings(self.source, self.segment_ids, tuple(self.codebook.ids()), self.labels,
                            tuple(sorted(self.docs)), self.n, self.unmatched, sorted(self.unknown), tuple(self.spans))


def read_codings(path: Path, *, documents: dict[str, str], segments: Sequence[Segment],
                 segment_ids: Sequence[str], codebook: Codebook, deidentified_from: Mapping[str, int] | None = None,
                 deidentify: Callable[[str], str] | None = None) -> HumanCodings:
    """Read human codings (CSV with quotes or offsets, a .qdpx project, or Word comments in a
    .docx or a folder of them) onto segments.

    documents: document id -> its text (the offsets and quotes refer to it).
    deidentified_from, deidentify: with preprocess.deidentify, where each document's text was
    first changed (Corpus.deidentified_from) and the de-identification of a text. A quote is
    de-identified before it is looked for; a coding by offsets into the original text that ends
    after the first change is not placed (its reason says why, and one warning line).
    """
    builder = _Builder(path.name, segments, segment_ids, codebook, deidentified_from)
    if path.is_dir() or path.suffix.lower() == ".docx":  # codes written as Word comments
        for c in read_comment_codings(path):
            builder.add_span(None, c.document, c.start, c.end, c.code, c.text)
        return builder.build()
    if not path.is_file():
        raise InputError(f"codings.path: {path.name} does not exist ({path}). Fix the path or remove codings.path.")
    if path.suffix.lower() == ".qdpx":
        project = read_qdpx(path)
        names = {c.id: c.name for c in project.codebook.codes} if project.codebook else {}
        same_text = {src.name for src in project.sources if documents.get(src.name) == src.text}
        suggested = 0
        for coding in project.codings:
            marks = (coding.code, names.get(coding.code, coding.code))
            if any(is_topicbook_mark(c) or is_sample_marker(c) for c in marks):
                continue  # topicbook's own marks (a sample, what to code next): neither codes nor suggestions
            if coding.user.startswith(SUGGESTION_USER_PREFIX):  # topicbook's own suggestions, exported
                suggested += 1
                continue
            code = names.get(coding.code, coding.code)
            where = f"{path.name}: the coding of '{code}' in '{coding.document}'"
            _check_span(where, coding.start, coding.end, documents.get(coding.document))
            text = documents.get(coding.document, "")[coding.start:coding.end]
            builder.add_span(None, coding.document, coding.start, coding.end, code, text, coding.user,
                             original_offsets=coding.document not in same_text)
        if suggested:
            log.info("%s: %d codings by topicbook's users (%s...) are suggestions, not human codings; left out",
                     path.name, suggested, SUGGESTION_USER_PREFIX)
        if suggested and builder.n == 0:
            raise InputError(f"{path.name}: no human codings (the project's codings are all topicbook's suggestions, by users named '{SUGGESTION_USER_PREFIX}...'). Code the segments in your QDA software and export the project again.")
        return builder.build()
    frame = codings_table(path)
    cols = set(frame.columns)
    if set(SPAN_COLUMNS) <= cols:
        for i, rec in enumerate(frame.to_dict("records")):
            line = i + 2
            try:
                start, end = int(str(rec["start"]).strip()), int(str(rec["end"]).strip())
            except ValueError:
                raise InputError(f"{path.name}: line {line}: start and end must be whole numbers (character offsets); got '{rec['start']}', '{rec['end']}'.") from None
            doc = str(rec["document"]).strip()
            _check_span(f"{path.name}: line {line}", start, end, documents.get(doc), document=doc)
            builder.add_span(line, doc, start, end, str(rec["code"]), documents.get(doc, "")[start:end])
    elif set(QUOTE_COLUMNS) <= cols:
        for i, rec in enumerate(frame.to_dict("records")):
            doc = str(rec["document"]).strip()
            quote = str(rec["text"])
            builder.add_quote(i + 2, doc, str(rec["code"]), deidentify(quote) if deidentify else quote, documents.get(doc))
    else:
        raise InputError(f"{path.name}: codings need columns document,code,text (quotes) or document,start,end,code (offsets); found {', '.join(frame.columns[:10]) or 'none'}.")
    if builder.n == 0:
        raise InputError(f"{path.name}: no codings (the table has no rows). Add at least one coded quote or span.")
    return builder.build()


def _check_span(where: str, start: int, end: int, text: str | None, *, document: str | None = None) -> None:
    """A coded span must lie in its document: 0 <= start < end <= the length of the text (when
    the document is known; an unknown one is reported as unmatched later)."""
    if start < 0 or end <= start:
        raise InputError(f"{where}: end ({end}) must be greater than start ({start}) and start >= 0.")
    if text is not None and end > len(text):
        of = f" of document '{document}'" if document is not None else ""
        raise InputError(f"{where}: the span {start}-{end} ends after the end of the text{of} ({len(text):,} characters). "
                         "Offsets count the characters of the document as topicbook reads it (segments.csv shows start and end); "
                         "were they counted on another version of the file?")


def codings_from_codes_column(doc_codes: Mapping[str, Sequence[str]], *, segments: Sequence[Segment],
                              segment_ids: Sequence[str], codebook: Codebook, source: str) -> HumanCodings:
    """Codes given per document (a table corpus's `codes` column) label all its segments."""
    builder = _Builder(source, segments, segment_ids, codebook)
    lengths: dict[str, int] = {}
    for seg in segments:
        lengths[seg.document] = max(lengths.get(seg.document, 0), seg.end)
    for doc, codes in doc_codes.items():
        for code in codes:
            builder.add_span(None, doc, 0, max(lengths.get(doc, 1), 1), code, original_offsets=False)
    builder.docs.update(d for d in doc_codes if d in builder.by_doc)  # a row with no code was coded too
    return builder.build()


def human_codings(path: Path | None, *, corpus: Corpus, segments: Sequence[Segment], segment_ids: Sequence[str],
                  codebook: Codebook, codes_source: str = "codes",
                  deidentify: Callable[[str], str] | None = None) -> HumanCodings | None:
    """The run's human codings: from `path` (codings.path), else from a table corpus's codes
    column (`codes_source` names it in messages), else None. `deidentify`: the corpus's
    de-identification, when on (see :func:`read_codings`)."""
    if path is not None:
        return read_codings(path, documents={d.id: d.text for d in corpus.documents},
                            segments=segments, segment_ids=segment_ids, codebook=codebook,
                            deidentified_from=corpus.deidentified_from, deidentify=deidentify)
    if any(d.codes for d in corpus.documents):  # every row of the table was coded
        doc_codes = {d.id: d.codes for d in corpus.documents}
        return codings_from_codes_column(doc_codes, segments=segments, segment_ids=segment_ids,
                                         codebook=codebook, source=codes_source)
    return None


# --------------------------------------------------------------------------- what counts as coded


def read_reviewed(path: Path, segment_ids: Sequence[str]) -> tuple[str, ...]:
    """The segment ids a researcher reviewed (codings.reviewed), in the run's segment order.

    path: a CSV with a `segment_id` column (a run's suggestions.csv, or any table of segment
    ids), or a JSON file: a sample.json of `topicbook sample` (`segments`: [{"segment_id": ...}]),
    or a list of ids. Every id must be one of `segment_ids` (the analysed segments): else one
    line naming the file and the first unknown id.
    """
    name = f"codings.reviewed: {path.name}"
    if not path.is_file():
        raise InputError(f"{name} does not exist ({path}). Give the suggestions.csv (or sample.json) of the segments you coded, or remove codings.reviewed.")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{name}: not valid JSON ({exc}). Give a sample.json or a list of segment ids.") from None
        items = data.get("segments") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise InputError(f"{name}: no list of segments (a sample.json has `segments`: [{{\"segment_id\": ...}}]).")
        ids = [str(i.get("segment_id", "")) if isinstance(i, dict) else str(i) for i in items]
    else:
        frame = read_table(path)
        column = next((c for c in frame.columns if str(c).strip().casefold() == "segment_id"), None)
        if column is None:
            raise InputError(f"{name}: no column 'segment_id'; found {', '.join(map(str, frame.columns[:10])) or 'none'}. Give the suggestions.csv of a run, or a table with a segment_id column.")
        ids = [str(restore_cell(v)).strip() for v in frame[column].fillna("").astype(str)]  # as suggestions.csv wrote them
    known = set(segment_ids)
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InputError(f"{name}: {len(unknown)} of its {len(ids)} segment ids are not segments of this run (first: '{unknown[0]}'). The list must come from a run of this config and corpus (the same segment settings).")
    if not ids:
        raise InputError(f"{name}: lists no segment. Give the suggestions.csv (or sample.json) of the segments you coded.")
    chosen = set(ids)
    return tuple(s for s in segment_ids if s in chosen)


def coded_mask(human: HumanCodings, documents: Sequence[str] | np.ndarray, reviewed: Collection[str] = ()) -> np.ndarray:
    """(n_segments,) bool over `human.segment_ids`: the segments whose codes are known.

    documents: the document of each segment. A document with codings counts as coded in full,
    unless it holds a `reviewed` segment: then only its reviewed segments and its segments with
    a code count (the rest of it is unknown, not negative).
    """
    docs = np.asarray(documents)
    reviewed_rows = np.isin(np.asarray(human.segment_ids), list(reviewed)) if reviewed else np.zeros(len(docs), dtype=bool)
    partial = set(docs[reviewed_rows].tolist())
    full = [d for d in human.documents if d not in partial]
    return np.isin(docs, full) | reviewed_rows | human.labels.any(axis=1)


def document_groups(corpus: Corpus, column: str | None) -> dict[str, str]:
    """Per document, the unit the learned score's cross-validation keeps whole: the value of
    metadata `column` (codings.group_column: a respondent with several rows or interviews), or
    the document itself (no column, or an empty value). One line when no document has it."""
    if column is None:
        return {d.id: d.id for d in corpus.documents}
    if not any(column in d.metadata for d in corpus.documents):
        columns = sorted({k for d in corpus.documents for k in d.metadata})
        found = ", ".join(columns[:20]) if columns else "none (give corpus.metadata, or use a table corpus)"
        raise InputError(f"codings.group_column: no document has a metadata column '{column}'. Metadata columns: {found}.")
    return {d.id: str(d.metadata.get(column, "")).strip() or d.id for d in corpus.documents}

"""Speaker turns, interviewer detection and analysis segments.

Every :class:`Segment` keeps the character spans it was cut from, so that
``"\\n".join(doc.text[s:e] for s, e in seg.spans) == seg.text`` always holds and any topic or
match can be shown as a quote in its transcript.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from nltk.tokenize.punkt import PunktSentenceTokenizer

from topicbook.config import SegmentConfig, SpeakersConfig
from topicbook.ingest import Corpus, Document
from topicbook.ingest.speakers import LABEL_RE, TIMESTAMP, speaker_key

log = logging.getLogger(__name__)

TIMESTAMP_RE = re.compile(rf"[\[(]?\b{TIMESTAMP}\b[\])]?")
WORD_RE = re.compile(r"\w+")
# A line of three or more dashes separates answers (e.g. in a Word file coded with comments).
SEPARATOR_LINE = re.compile(r"^\s*[-–—](?:\s*[-–—]){2,}\s*$")
QUESTION_SEPARATOR = "\n\n"  # between the questions of Segment.question; never inside one

LABEL_PATTERNS = "Name:, Interviewer 1:, Q:/A:, I:/R:, [00:12:03] Name:, Name (00:01:02):, NAME:"
KNOWN_INTERVIEWER = re.compile(r"^(interviewer|interviewerin|moderator|facilitator|int|i|q|question)\s*\d*$")
KNOWN_RESPONDENT = re.compile(r"^(respondent|interviewee|participant|answer|a|r|p\s*\d*|speaker\s*\d+)\s*\d*$")


@dataclass(frozen=True)
class Turn:
    """One speaker turn: `spans` cover the body lines (labels and timestamps excluded)."""

    document: str
    index: int
    speaker: str | None
    spans: tuple[tuple[int, int], ...]

    def text(self, doc_text: str) -> str:
        return "\n".join(doc_text[s:e] for s, e in self.spans)


@dataclass(frozen=True)
class RoleDecision:
    """Which speaker keys are interviewers, and why (for `validate`)."""

    interviewers: frozenset[str]
    method: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Segment:
    """An analysis unit: a turn, paragraph or window of one document.

    question: the interviewer question(s) the segment answers, in order, joined by
    QUESTION_SEPARATOR (a blank line; a question is one turn's lines joined by single newlines,
    so it never holds one); None when there is none. A segment made of several short turns
    merged answers each of their questions. answer_starts: for each question, the index into
    `spans` where its answer begins (the first is 0).
    """

    id: str
    document: str
    speaker: str | None
    role: str
    spans: tuple[tuple[int, int], ...]
    text: str
    question: str | None = None
    metadata: dict[str, str] = field(default_factory=dict, compare=False)
    answer_starts: tuple[int, ...] = ()

    @property
    def questions(self) -> tuple[str, ...]:
        """The questions of `question`, in order."""
        return tuple(self.question.split(QUESTION_SEPARATOR)) if self.question else ()

    @property
    def start(self) -> int:
        return self.spans[0][0]

    @property
    def end(self) -> int:
        return self.spans[-1][1]

    @property
    def n_words(self) -> int:
        return len(WORD_RE.findall(self.text))


@dataclass(frozen=True)
class Segmentation:
    """Segments plus the counts that the preprocessing report shows."""

    segments: tuple[Segment, ...]
    roles: RoleDecision
    turns_by_role: dict[str, int]
    n_documents_with_labels: int
    dropped: tuple[tuple[str, str], ...]
    warnings: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _sentence_tokenizer() -> PunktSentenceTokenizer:
    return PunktSentenceTokenizer()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence (start, end) character offsets, from nltk's untrained Punkt tokenizer."""
    return list(_sentence_tokenizer().span_tokenize(text))


# --------------------------------------------------------------------------- turns


def parse_turns(doc_id: str, text: str) -> list[Turn]:
    """Split a transcript into speaker turns; unlabelled lines continue the previous turn.

    A label counts only if it is a known role label (Interviewer, Q, A, I, R, ...) or occurs at
    least twice in the document, so that "Note: ..." in running text does not start a turn.
    Returns one unlabelled turn per block if the document has no labels.
    """
    lines: list[tuple[int, int, re.Match[str] | None]] = []
    pos = 0
    counts: Counter[str] = Counter()
    for line in text.split("\n"):
        end = pos + len(line)
        match = LABEL_RE.match(line)
        if match:
            counts[speaker_key(match.group("label"))] += 1
        lines.append((pos, end, match))
        pos = end + 1
    valid = {
        k for k, n in counts.items()
        if n >= 2 or KNOWN_INTERVIEWER.match(k) or KNOWN_RESPONDENT.match(k)
    }
    turns: list[Turn] = []
    speaker: str | None = None
    spans: list[tuple[int, int]] = []

    def flush() -> None:
        if spans:
            turns.append(Turn(doc_id, len(turns), speaker, tuple(spans)))

    for start, end, match in lines:
        if match and speaker_key(match.group("label")) in valid:
            flush()
            spans = []
            speaker = " ".join(match.group("label").split())
            body_start = start + match.start("body")
            span = _trim(text, body_start, end)
        else:
            span = _trim(text, start, end)
        if span is not None:
            spans.append(span)
    flush()
    return turns


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span without surrounding whitespace and a leading timestamp; None if empty."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    match = TIMESTAMP_RE.match(text, start, end)
    if match:
        start = match.end()
        while start < end and text[start].isspace():
            start += 1
    return (start, end) if end > start else None


# --------------------------------------------------------------------------- roles


def decide_roles(turns: dict[str, list[Turn]], texts: dict[str, str], cfg: SpeakersConfig) -> RoleDecision:
    """Find the interviewer(s): an explicit list, or `auto` by questions asked and presence.

    `auto`: a speaker whose label is a known respondent label (Participant, Respondent, A, R,
    P1, ...) never is the interviewer. A speaker is the interviewer if their label is a known
    interviewer label (Interviewer, Moderator, Q, I, ...), or if at least a quarter of their
    turns hold a question mark, that rate is at least twice the pooled rate of the other
    speakers in their documents, and they either ask the most questions in at least 75% of
    their documents or appear in at least 75% of the labelled documents.
    """
    stats: dict[str, dict[str, float]] = defaultdict(lambda: {"turns": 0, "questions": 0, "words": 0})
    per_doc: dict[str, dict[str, list[int]]] = defaultdict(dict)  # doc -> key -> [turns, questions]
    docs_with: dict[str, set[str]] = defaultdict(set)
    display: dict[str, str] = {}
    for doc_id, doc_turns in turns.items():
        for turn in doc_turns:
            if turn.speaker is None:
                continue
            key = speaker_key(turn.speaker)
            display.setdefault(key, turn.speaker)
            body = turn.text(texts[doc_id])
            asked = "?" in body
            stats[key]["turns"] += 1
            stats[key]["questions"] += asked
            stats[key]["words"] += len(WORD_RE.findall(body))
            counts = per_doc[doc_id].setdefault(key, [0, 0])
            counts[0] += 1
            counts[1] += asked
            docs_with[key].add(doc_id)
    n_labelled = len(per_doc)
    top_in: Counter[str] = Counter()  # documents in which a speaker asks the most questions
    for speakers in per_doc.values():
        if len(speakers) >= 2:
            most = max(q for _, q in speakers.values())
            leaders = [k for k, (_, q) in speakers.items() if q == most and q > 0]
            if len(leaders) == 1:
                top_in[leaders[0]] += 1

    def describe(key: str) -> str:
        s = stats[key]
        rate = s["questions"] / max(s["turns"], 1)
        return (f"{display[key]}: {len(docs_with[key])}/{n_labelled} documents, {int(s['turns'])} turns, "
                f"{rate:.0%} with a question, {s['words'] / max(s['turns'], 1):.0f} words per turn, "
                f"asks the most questions in {top_in[key]}/{len(docs_with[key])} of their documents")

    ranked = sorted(stats, key=lambda k: (-len(docs_with[k]), -stats[k]["turns"]))
    if cfg.interviewer != "auto":
        wanted = {speaker_key(label) for label in cfg.interviewer}
        missing = sorted(wanted - set(stats))
        listed = [describe(k) for k in ranked[:8]]
        if missing:
            listed.append(f"listed interviewer label(s) not found in any document: {', '.join(missing)}")
        return RoleDecision(frozenset(wanted & set(stats)), "listed in speakers.interviewer", tuple(listed))

    chosen: set[str] = {k for k in stats if KNOWN_INTERVIEWER.match(k)}
    method = "known interviewer label" if chosen else ""
    if not chosen and stats:
        for key in stats:
            if KNOWN_RESPONDENT.match(key):
                continue
            rate = stats[key]["questions"] / max(stats[key]["turns"], 1)
            other_turns = other_questions = 0
            for doc_id in docs_with[key]:
                for other, (n_turns, n_questions) in per_doc[doc_id].items():
                    if other != key:
                        other_turns += n_turns
                        other_questions += n_questions
            if not other_turns:
                continue
            leads = top_in[key] >= 0.75 * len(docs_with[key])
            present = n_labelled >= 2 and len(docs_with[key]) >= 0.75 * n_labelled
            if rate >= 0.25 and rate >= 2 * other_questions / other_turns and (leads or present):
                chosen.add(key)
        method = "asks the most questions and appears in most documents" if chosen else "no interviewer found"
    evidence = tuple(describe(k) for k in ranked[:8])
    return RoleDecision(frozenset(chosen), method, evidence)


# --------------------------------------------------------------------------- segments


def segment_corpus(corpus: Corpus, speakers: SpeakersConfig, cfg: SegmentConfig) -> Segmentation:
    """Cut every document into analysis segments (see module docstring for the span contract)."""
    texts = {d.id: d.text for d in corpus.documents}
    turns = {d.id: (_whole_text_turns(d) if d.is_table_row else parse_turns(d.id, d.text)) for d in corpus.documents}
    n_labelled = sum(any(t.speaker for t in ts) for ts in turns.values())
    warnings: list[str] = []
    if n_labelled == 0 and not all(d.is_table_row for d in corpus.documents):
        warnings.append(f"no speaker labels found in any document (tried {LABEL_PATTERNS}); read as plain text.")
        log.warning(warnings[-1])
    roles = decide_roles(turns, texts, speakers)
    segments: list[Segment] = []
    dropped: list[tuple[str, str]] = []
    by_role: Counter[str] = Counter()
    for doc in corpus.documents:
        units: list[tuple[Turn, str, _Question | None]] = []  # (turn, role, question)
        question: _Question | None = None
        doc_roles: Counter[str] = Counter()
        for turn in turns[doc.id]:
            role = _role(turn, roles, n_labelled > 0)
            by_role[role] += 1
            doc_roles[role] += 1
            if role == "interviewer":
                question = (turn.index, turn.text(doc.text))
            if speakers.keep == "respondent" and role in {"interviewer", "preamble"}:
                continue
            units.append((turn, role, question if role == "respondent" else None))
        if speakers.keep == "respondent" and doc_roles["interviewer"] and not doc_roles["respondent"]:
            warnings.append(_all_interviewer_warning(doc.id, turns[doc.id], doc_roles["interviewer"]))
            log.warning(warnings[-1])
        segments.extend(_cut(doc, units, cfg, dropped))
    return Segmentation(tuple(segments), roles, dict(by_role), n_labelled, tuple(dropped), tuple(warnings))


def _all_interviewer_warning(doc_id: str, turns: list[Turn], n: int) -> str:
    """The line for a document of which nothing is analysed: every speaker turn is an interviewer's."""
    who = ", ".join(sorted({t.speaker for t in turns if t.speaker}))
    return (f"document '{doc_id}': all {n} turns were judged interviewer turns ({who}), so nothing of it is analysed; "
            "set speakers.interviewer to the interviewer's own label(s), or speakers.keep: all to analyse every turn.")


def _whole_text_turns(doc: Document) -> list[Turn]:
    span = _trim(doc.text, 0, len(doc.text))
    return [Turn(doc.id, 0, None, (span,))] if span else []


def _role(turn: Turn, roles: RoleDecision, labelled_corpus: bool) -> str:
    if turn.speaker is None:
        return "preamble" if labelled_corpus and turn.index == 0 else "unknown"
    return "interviewer" if speaker_key(turn.speaker) in roles.interviewers else "respondent"


_Question = tuple[int, str]  # (index of the interviewer's turn, its text)
# a piece of a segment: speaker, role, [(question, index into spans where its answer starts)], spans
_Piece = tuple[str | None, str, list[tuple[_Question, int]], list[tuple[int, int]]]


def _merge(first: _Piece, second: _Piece) -> _Piece:
    """`first` followed by `second` (same speaker): spans joined, every question kept once."""
    questions = list(first[2])
    for question, start in second[2]:
        if not questions or questions[-1][0][0] != question[0]:
            questions.append((question, start + len(first[3])))
    return (second[0], second[1], questions, first[3] + second[3])


def _cut(doc: Document, units: list[tuple[Turn, str, _Question | None]], cfg: SegmentConfig,
         dropped: list[tuple[str, str]]) -> list[Segment]:
    """Make segments of one document's kept turns, merging short ones with the same speaker's next."""
    pieces: list[_Piece] = []
    for turn, role, question in units:
        asked = [(question, 0)] if question is not None else []
        if cfg.unit == "turn":
            pieces.append((turn.speaker, role, asked, list(turn.spans)))
        elif cfg.unit == "paragraph":
            # a turn's lines are separate spans; group consecutive lines into paragraphs
            for para in _group_paragraphs(doc.text, turn.spans):
                pieces.append((turn.speaker, role, list(asked), para))
        else:
            for window in _windows(doc.text, turn.spans, cfg.window, cfg.overlap):
                pieces.append((turn.speaker, role, list(asked), window))

    segments: list[Segment] = []
    pending: _Piece | None = None

    def n_words(spans: Iterable[tuple[int, int]]) -> int:
        return sum(len(WORD_RE.findall(doc.text[s:e])) for s, e in spans)

    def emit(piece: _Piece) -> None:
        speaker, role, questions, spans = piece
        seg_id = f"{doc.id}#{len(segments) + 1:04d}"
        text = "\n".join(doc.text[s:e] for s, e in spans)
        question = QUESTION_SEPARATOR.join(q[1] for q, _ in questions) or None
        segments.append(Segment(seg_id, doc.id, speaker, role, tuple(spans), text, question, doc.metadata,
                                tuple(start for _, start in questions)))

    for piece in pieces:
        if pending is not None and pending[0] == piece[0]:
            piece = _merge(pending, piece)
            pending = None
        elif pending is not None:
            _drop_or_keep(pending, cfg, n_words, emit, dropped, doc)
            pending = None
        if n_words(piece[3]) < cfg.min_tokens and cfg.unit != "window":
            pending = piece
        else:
            emit(piece)
    if pending is not None:
        _drop_or_keep(pending, cfg, n_words, emit, dropped, doc)
    return segments


def _drop_or_keep(piece: _Piece, cfg: SegmentConfig, n_words: Callable[[Iterable[tuple[int, int]]], int],
                  emit: Callable[[_Piece], None], dropped: list[tuple[str, str]], doc: Document) -> None:
    """A short piece with no same-speaker successor is kept if it has at least a third of
    min_tokens words, else dropped and counted."""
    n = n_words(piece[3])
    if n >= max(1, cfg.min_tokens // 3):
        emit(piece)
    else:
        s, e = piece[3][0][0], piece[3][-1][1]
        dropped.append((f"{doc.id}:{s}-{e}", f"shorter than segment.min_tokens ({n} < {cfg.min_tokens} words)"))


def _group_paragraphs(text: str, spans: Sequence[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Consecutive line spans separated only by a single newline form one paragraph; a blank
    line or a line of dashes (SEPARATOR_LINE, left out of every paragraph) ends it."""
    groups: list[list[tuple[int, int]]] = []
    after_separator = False
    for span in spans:
        if SEPARATOR_LINE.match(text[span[0]:span[1]]):
            after_separator = True
            continue
        if groups and not after_separator and "\n\n" not in text[groups[-1][-1][1]:span[0]].replace(" ", "").replace("\t", ""):
            groups[-1].append(span)
        else:
            groups.append([span])
        after_separator = False
    return groups


def _windows(text: str, spans: Sequence[tuple[int, int]], size: int, overlap: int) -> list[list[tuple[int, int]]]:
    """Windows of about `size` words made of whole sentences, `overlap` words repeated."""
    sentences: list[tuple[int, int]] = []
    for s, e in spans:
        sentences.extend((s + a, s + b) for a, b in sentence_spans(text[s:e]))
    windows: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    count = 0
    for sent in sentences:
        current.append(sent)
        count += len(WORD_RE.findall(text[sent[0]:sent[1]]))
        if count >= size:
            windows.append(current)
            carry: list[tuple[int, int]] = []
            carried = 0
            for prev in reversed(current):
                if carried >= overlap or len(carry) + 1 >= len(current):
                    break
                carry.insert(0, prev)
                carried += len(WORD_RE.findall(text[prev[0]:prev[1]]))
            current, count = carry, carried
    if current and (not windows or count > overlap):
        windows.append(current)
    return windows

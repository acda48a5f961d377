"""Agreement of topic- and codebook-derived code scores with a researcher's own coding.

Human codings come as a CSV `document,code,text` (a quote), a CSV `document,start,end,code`
(character offsets into the document), the codings of a REFI-QDA project (.qdpx), or a
`codes` column of a table corpus. They are mapped onto analysis segments:

- a quote is found in its document ignoring case, whitespace and punctuation; quotes found
  nowhere are counted and listed, never fatal;
- a span codes a segment when their overlap covers at least half of the shorter of the two.

Scores (see :mod:`topicbook.scoring`) are compared with the resulting segment x code labels:
per code precision, recall, F1 (at a threshold that predicts as many segments as the code's
prevalence), ROC AUC and the AUC of segment length alone (the floor); overall macro and micro
figures, Cohen's kappa and a code-by-code confusion table.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from topicbook.codebook import Codebook, code_lookup
from topicbook.errors import InputError
from topicbook.segment import Segment

log = logging.getLogger(__name__)

QUOTE_COLUMNS = ("document", "code", "text")
SPAN_COLUMNS = ("document", "start", "end", "code")
MIN_OVERLAP = 0.5


@dataclass(frozen=True)
class HumanCodings:
    """Human codes on the modelled segments.

    labels: (n_segments, n_codes) bool over `segment_ids` and `code_ids` (codebook order).
    unmatched: codings that reached no segment: {line, document, code, text, reason}.
    unknown_codes: codes of the codings that are not in the codebook (by id or name).
    """

    source: str
    segment_ids: tuple[str, ...]
    code_ids: tuple[str, ...]
    labels: np.ndarray
    documents: tuple[str, ...]
    n_codings: int
    unmatched: list[dict] = field(default_factory=list)
    unknown_codes: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "source": self.source, "codings": self.n_codings, "placed": self.n_codings - len(self.unmatched),
            "matched": self.n_codings - len(self.unmatched), "unmatched": len(self.unmatched),
            "unmatched_codings": self.unmatched, "unknown_codes": self.unknown_codes,
            "positives": {c: int(n) for c, n in zip(self.code_ids, self.labels.sum(axis=0), strict=True)},
        }


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


def find_quote(document: str, quote: str) -> tuple[int, int] | None:
    """(start, end) character offsets of `quote` in `document`, tolerant of case, whitespace
    and punctuation; None when it does not occur (or has no letters or digits)."""
    needle = normalise(quote)
    if not needle:
        return None
    hay, where = normalise_with_map(document)
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
                 codebook: Codebook) -> None:
        self.source = source
        self.by_doc: dict[str, list[Segment]] = {}
        for seg in segments:
            self.by_doc.setdefault(seg.document, []).append(seg)
        self.row = {s: i for i, s in enumerate(segment_ids)}
        self.segment_ids = tuple(segment_ids)
        self.codebook = codebook
        self.lookup = code_lookup(codebook)
        self.col = {c: i for i, c in enumerate(codebook.ids())}
        self.labels = np.zeros((len(segment_ids), len(codebook)), dtype=bool)
        self.unmatched: list[dict] = []
        self.unknown: dict[str, int] = {}
        self.n = 0
        self.docs: set[str] = set()

    def code_id(self, code: str) -> str | None:
        found = self.lookup.find(code)
        if found is None:
            self.unknown[code] = self.unknown.get(code, 0) + 1
        return found

    def miss(self, line: int | None, document: str, code: str, text: str, reason: str) -> None:
        self.unmatched.append({"line": line, "document": document, "code": code,
                               "text": text[:200], "reason": reason})

    def add_span(self, line: int | None, document: str, start: int, end: int, code: str, text: str = "") -> None:
        self.n += 1
        code_id = self.code_id(code)
        if code_id is None:
            self.miss(line, document, code, text, "code not in the codebook")
            return
        if document not in self.by_doc:
            self.miss(line, document, code, text, "no analysed segment of this document")
            return
        self.docs.add(document)
        hits = [s for s in segments_for_span(self.by_doc[document], start, end) if s in self.row]
        if not hits:
            self.miss(line, document, code, text, "overlaps no analysed segment")
            return
        for seg_id in hits:
            self.labels[self.row[seg_id], self.col[code_id]] = True

    def add_quote(self, line: int | None, document: str, code: str, quote: str, doc_text: str | None) -> None:
        if doc_text is None:
            self.n += 1
            self.miss(line, document, code, quote, "unknown document")
            return
        span = find_quote(doc_text, quote)
        if span is None:
            self.n += 1
            if self.code_id(code) is not None:
                self.miss(line, document, code, quote, "quote not found in the document")
            else:
                self.miss(line, document, code, quote, "code not in the codebook")
            return
        self.add_span(line, document, span[0], span[1], code, quote)

    def build(self) -> HumanCodings:
        if self.n and len(self.unmatched) == self.n:
            first = self.unmatched[0]
            at = f"line {first['line']}: " if first["line"] else ""
            raise InputError(f"{self.source}: none of the {self.n} codings matches a segment ({at}{first['reason']}: document '{first['document']}', code '{first['code']}'). Codes must be ids or names of the codebook's codes, documents the corpus's document ids.")
        if self.unmatched:
            log.warning("%s: %d of %d codings matched no segment (listed in codings_report.json)",
                        self.source, len(self.unmatched), self.n)
        return HumanCodings(self.source, self.segment_ids, tuple(self.codebook.ids()), self.labels,
                            tuple(sorted(self.docs)), self.n, self.unmatched, sorted(self.unknown))


def read_codings(path: Path, *, documents: dict[str, str], segments: Sequence[Segment],
                 segment_ids: Sequence[str], codebook: Codebook) -> HumanCodings:
    """Read human codings (CSV with quotes or offsets, a .qdpx project, or Word comments in a
    .docx or a folder of them) onto segments.

    documents: document id -> its text (the offsets and quotes refer to it).
    """
    builder = _Builder(path.name, segments, segment_ids, codebook)
    if path.is_dir() or path.suffix.lower() == ".docx":  # codes written as Word comments
        from topicbook.ingest.comments import read_comment_codings

        for c in read_comment_codings(path):
            builder.add_span(None, c.document, c.start, c.end, c.code, c.text)
        return builder.build()
    if not path.is_file():
        raise InputError(f"codings.path: {path.name} does not exist ({path}). Fix the path or remove codings.path.")
    if path.suffix.lower() == ".qdpx":
        from topicbook.qdc import read_qdpx

        project = read_qdpx(path)
        names = {c.id: c.name for c in project.codebook.codes} if project.codebook else {}
        for coding in project.codings:
            code = names.get(coding.code, coding.code)
            text = documents.get(coding.document, "")[coding.start:coding.end]
            builder.add_span(None, coding.document, coding.start, coding.end, code, text)
        return builder.build()
    from topicbook.ingest.codings import codings_table

    frame = codings_table(path)
    cols = set(frame.columns)
    if set(SPAN_COLUMNS) <= cols:
        for i, rec in enumerate(frame.to_dict("records")):
            line = i + 2
            try:
                start, end = int(str(rec["start"]).strip()), int(str(rec["end"]).strip())
            except ValueError:
                raise InputError(f"{path.name}: line {line}: start and end must be whole numbers (character offsets); got '{rec['start']}', '{rec['end']}'.") from None
            if start < 0 or end <= start:
                raise InputError(f"{path.name}: line {line}: end ({end}) must be greater than start ({start}) and start >= 0.")
            doc = str(rec["document"]).strip()
            builder.add_span(line, doc, start, end, str(rec["code"]), documents.get(doc, "")[start:end])
    elif set(QUOTE_COLUMNS) <= cols:
        for i, rec in enumerate(frame.to_dict("records")):
            doc = str(rec["document"]).strip()
            builder.add_quote(i + 2, doc, str(rec["code"]), str(rec["text"]), documents.get(doc))
    else:
        raise InputError(f"{path.name}: codings need columns document,code,text (quotes) or document,start,end,code (offsets); found {', '.join(frame.columns[:10]) or 'none'}.")
    if builder.n == 0:
        raise InputError(f"{path.name}: no codings (the table has no rows). Add at least one coded quote or span.")
    return builder.build()


def codings_from_codes_column(doc_codes: dict[str, Sequence[str]], *, segments: Sequence[Segment],
                              segment_ids: Sequence[str], codebook: Codebook, source: str) -> HumanCodings:
    """Codes given per document (a table corpus's `codes` column) label all its segments."""
    builder = _Builder(source, segments, segment_ids, codebook)
    lengths = {}
    for seg in segments:
        lengths[seg.document] = max(lengths.get(seg.document, 0), seg.end)
    for doc, codes in doc_codes.items():
        for code in codes:
            builder.add_span(None, doc, 0, max(lengths.get(doc, 1), 1), code)
    builder.docs.update(d for d in doc_codes if d in builder.by_doc)  # a row with no code was coded too
    return builder.build()


# --------------------------------------------------------------------------- metrics


def holdout_split(documents: Sequence[str], share: float, seed: int) -> set[str]:
    """A seeded random `share` of the documents (at least one, when share > 0)."""
    docs = sorted(set(documents))
    if share <= 0 or not docs:
        return set()
    rng = np.random.default_rng(seed)
    n = max(1, int(round(share * len(docs))))
    return set(rng.choice(docs, size=min(n, len(docs) - 1) if len(docs) > 1 else 1, replace=False).tolist())


def prevalence_thresholds(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per code, the threshold t such that `score > t` predicts at most as many segments as the
    code has positives: the (n_pos + 1)-th highest score. Shape (n_codes,)."""
    n = scores.shape[0]
    out = np.full(scores.shape[1], np.inf)
    for c in range(scores.shape[1]):
        k = int(labels[:, c].sum())
        if 0 < k < n:
            out[c] = np.sort(scores[:, c])[::-1][k]
        elif k >= n:
            out[c] = -np.inf
    return out


def _prf(truth: np.ndarray, pred: np.ndarray) -> tuple[float, float, float, int, int, int]:
    tp = int((truth & pred).sum())
    fp = int((~truth & pred).sum())
    fn = int((truth & ~pred).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, tp, fp, fn


def _auc(truth: np.ndarray, score: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    if truth.all() or not truth.any():
        return None
    return float(roc_auc_score(truth, score))


def _kappa(truth: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import cohen_kappa_score

    if (truth == pred).all():
        return 1.0
    value = cohen_kappa_score(truth.ravel(), pred.ravel())
    return float(value) if np.isfinite(value) else 0.0


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(float(x), digits)


def agreement(scores: np.ndarray, labels: np.ndarray, lengths: np.ndarray, code_ids: Sequence[str], *,
              evaluate: np.ndarray | None = None, calibrate: np.ndarray | None = None,
              min_positives: int = 1) -> dict:
    """Agreement figures of one method.

    scores, labels: (n_segments, n_codes); lengths: (n_segments,) tokens per segment.
    evaluate: bool mask of the rows reported on (default all); calibrate: rows whose
    prevalence sets the thresholds (default: the evaluated rows themselves).
    Codes with fewer than `min_positives` positives among the evaluated rows are left out.
    Returns a JSON-ready dict with macro_roc_auc, macro_f1, micro_f1 (= micro_f1_at_prevalence),
    top1_macro_f1, kappa, length_floor_auc, per_code and confusion.
    """
    n = scores.shape[0]
    evaluate = np.ones(n, dtype=bool) if evaluate is None else evaluate
    calibrate = evaluate if calibrate is None else calibrate
    y = labels[evaluate]
    keep = [c for c in range(len(code_ids)) if y[:, c].sum() >= max(min_positives, 1) and not y[:, c].all()]
    from topicbook.scoring import standardise

    thresholds = prevalence_thresholds(scores[calibrate], labels[calibrate])
    s = scores[evaluate]
    pred = s > thresholds[None, :]
    z = standardise(scores)[evaluate]
    top1 = np.zeros_like(pred)
    if keep:
        best = np.asarray(keep)[np.argmax(z[:, keep], axis=1)]
        top1[np.arange(len(best)), best] = True
    per_code = {}
    tp = fp = fn = 0
    for c in keep:
        truth = y[:, c]
        p, r, f, a, b, d = _prf(truth, pred[:, c])
        tp, fp, fn = tp + a, fp + b, fn + d
        per_code[code_ids[c]] = {
            "positives": int(truth.sum()), "predicted": int(pred[:, c].sum()),
            "precision": _r(p), "recall": _r(r), "f1": _r(f),
            "roc_auc": _r(_auc(truth, s[:, c])), "length_auc": _r(_auc(truth, lengths[evaluate])),
            "top1_f1": _r(_prf(truth, top1[:, c])[2]),
            "kappa": _r(_kappa(truth, pred[:, c])), "threshold": _r(thresholds[c], 6),
        }
    micro_p = tp / (tp + fp) if tp + fp else 0.0
    micro_r = tp / (tp + fn) if tp + fn else 0.0
    micro_f1 = 2 * micro_p * micro_r / (micro_p + micro_r) if micro_p + micro_r else 0.0

    def mean(key: str) -> float | None:
        vals = [v[key] for v in per_code.values() if v[key] is not None]
        return _r(float(np.mean(vals))) if vals else None

    confusion = {code_ids[a]: {code_ids[b]: int((y[:, a] & pred[:, b]).sum()) for b in keep} for a in keep}
    return {
        "n_segments": int(evaluate.sum()), "n_calibration_segments": int(calibrate.sum()),
        "n_codes": len(keep), "macro_roc_auc": mean("roc_auc"), "length_floor_auc": mean("length_auc"),
        "macro_f1": mean("f1"), "micro_f1": _r(micro_f1), "micro_f1_at_prevalence": _r(micro_f1),
        "micro_precision": _r(micro_p), "micro_recall": _r(micro_r),
        "top1_macro_f1": mean("top1_f1"),
        "kappa": _r(_kappa(y[:, keep], pred[:, keep])) if keep else None,
        "per_code": per_code, "confusion": confusion,
    }


# --------------------------------------------------------------------------- a whole run

Z_PREDICT = 2.0
SELF_TRAIN_MAX_SEGMENTS = 50_000


@dataclass
class RunAgreement:
    """Per method: segment x code scores; with human codings, agreement figures too."""

    code_ids: tuple[str, ...]
    segment_ids: tuple[str, ...]
    scores: dict[str, np.ndarray]
    thresholds: dict[str, np.ndarray]
    figures: dict[str, dict] = field(default_factory=dict)
    codings: HumanCodings | None = None
    holdout_documents: list[str] = field(default_factory=list)

    def report(self) -> dict:
        """What codings_report.json holds: the codings as read and the evaluation design."""
        out = self.codings.summary() if self.codings else {}
        out["holdout_documents"] = self.holdout_documents
        out["thresholds"] = ("prevalence of the human codes in the documents not held out"
                             if self.holdout_documents else "prevalence of the human codes in the evaluated segments")
        return out


def code_topics(model, alignment) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Each code's topic: the seeded topic of a guided model, else the Hungarian pairing on the
    alignment similarity (whether or not it passed the match threshold)."""
    if model.seeded_codes:
        return {c: k for k, c in model.seeded_codes.items()}
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(-alignment.similarity)
    return {alignment.code_ids[c]: int(k) for k, c in zip(rows, cols, strict=True)}


def evaluate_run(prepared, fitted, alignments) -> RunAgreement:  # type: ignore[no-untyped-def]
    """Scores for every method and, when the config names human codings (or a table corpus has
    a codes column), their agreement with them."""
    from topicbook.scoring import (
        combine_scores,
        dictionary_terms,
        keyword_scores,
        selftrained_scores,
        similarity_scores,
        standardise,
        topic_scores,
    )

    cfg = prepared.cfg
    dtm = prepared.dtm
    codebook = prepared.codebook
    code_ids = tuple(codebook.ids())
    segs = prepared.segments
    texts = [segs[s].text for s in dtm.segment_ids]
    scores: dict[str, np.ndarray] = {}
    sim = similarity_scores(dtm, codebook, prepared.preprocessor.transform, texts)
    scores["similarity"] = sim
    if len(texts) <= SELF_TRAIN_MAX_SEGMENTS:
        scores["selftrained"] = selftrained_scores(dtm, texts, sim, seed=cfg.seed)
    else:
        log.warning("agreement: %d segments; the self-trained score (one regression per code) is skipped above %d.",
                    len(texts), SELF_TRAIN_MAX_SEGMENTS)
    scores["keywords"] = keyword_scores(dtm, dictionary_terms(codebook, prepared.seeds, 10), code_ids)
    for model in fitted:
        al = alignments.get(model.name)
        if al is None:
            continue
        topic = topic_scores(model.doc_topic, code_topics(model, al), code_ids)
        scores[model.name] = topic
        scores[f"{model.name}+similarity"] = combine_scores(topic, sim)
    human = _human_codings(prepared)
    result = RunAgreement(code_ids, dtm.segment_ids, scores, {})
    if human is None:
        for name, s in scores.items():
            z = standardise(s)
            result.thresholds[name] = np.array([s[z[:, c] >= Z_PREDICT, c].min() if (z[:, c] >= Z_PREDICT).any() else np.inf
                                                for c in range(s.shape[1])]) - 1e-12
        return result
    docs = np.array([segs[s].document for s in dtm.segment_ids])
    # Only documents with at least one coding were coded: the others are unknown, not negative.
    coded = np.isin(docs, list(human.documents))
    held = holdout_split(sorted(human.documents), cfg.codings.holdout, cfg.seed)
    in_held = np.isin(docs, list(held))
    evaluate = coded & in_held if held else coded
    calibrate = coded & ~in_held if held else evaluate
    lengths = np.asarray(dtm.counts.sum(axis=1), dtype=float).ravel()
    for name, s in scores.items():
        result.figures[name] = agreement(s, human.labels, lengths, code_ids, evaluate=evaluate,
                                         calibrate=calibrate, min_positives=cfg.codings.min_positives)
        result.thresholds[name] = prevalence_thresholds(s[calibrate], human.labels[calibrate])
    result.codings = human
    result.holdout_documents = sorted(held)
    return result


def _human_codings(prepared) -> HumanCodings | None:  # type: ignore[no-untyped-def]
    cfg = prepared.cfg
    segments = prepared.segmentation.segments
    if cfg.codings.path is not None:
        return read_codings(cfg.codings.path, documents={d.id: d.text for d in prepared.corpus.documents},
                            segments=segments, segment_ids=prepared.dtm.segment_ids, codebook=prepared.codebook)
    if any(d.codes for d in prepared.corpus.documents):  # every row of the table was coded
        doc_codes = {d.id: d.codes for d in prepared.corpus.documents}
        return codings_from_codes_column(doc_codes, segments=segments, segment_ids=prepared.dtm.segment_ids,
                                         codebook=prepared.codebook, source=f"{cfg.corpus.path.name}: {cfg.corpus.codes_column}")
    return None


AUTOCODE_COLUMNS = ("segment_id", "document", "method", "rank", "code", "score", "z", "predicted")


def autocode_rows(run: RunAgreement, documents: dict[str, str], top: int = 3) -> list[dict]:
    """autocode.csv: per segment and method, its `top` codes by z-score with their scores, and
    every code predicted (score above the method's threshold)."""
    from topicbook.scoring import standardise

    rows = []
    for name, s in run.scores.items():
        z = standardise(s)
        pred = s > run.thresholds[name][None, :]
        for i, seg in enumerate(run.segment_ids):
            order = np.argsort(-z[i], kind="stable")
            chosen = [c for c in order[:top]] + [c for c in order[top:] if pred[i, c]]
            for rank, c in enumerate(chosen, 1):
                rows.append({"segment_id": seg, "document": documents.get(seg, ""), "method": name, "rank": rank,
                             "code": run.code_ids[c], "score": round(float(s[i, c]), 6),
                             "z": round(float(z[i, c]), 4), "predicted": int(pred[i, c])})
    return rows


def write_agreement_files(folder, result) -> None:  # type: ignore[no-untyped-def]
    """Into the run folder: agreement.json (per method, when there are human codings),
    codings_report.json, autocode.csv, codebook.yaml (the codebook as read) and
    run_inputs.json (input paths for `topicbook export`, relative to the run folder)."""
    import os

    from topicbook.codebook import codebook_to_yaml

    run = result.agreement
    prepared = result.prepared
    cfg = prepared.cfg
    if run.figures:
        folder.write_json("agreement.json", run.figures)
        folder.write_json("codings_report.json", run.report())
    docs = {s.id: s.document for s in prepared.segmentation.segments}
    folder.write_csv("autocode.csv", autocode_rows(run, docs), AUTOCODE_COLUMNS)
    folder.write_text("codebook.yaml", codebook_to_yaml(prepared.codebook))
    run_dir = Path(folder.out_dir).resolve() / "run"  # the final folder's depth (its name comes at commit)

    def where(path: Path | None) -> str | None:
        if path is None:
            return None
        try:
            return Path(os.path.relpath(path.resolve(), run_dir)).as_posix()
        except ValueError:  # another drive: nothing portable to record
            return None

    folder.write_json("run_inputs.json", {
        "config": where(cfg.source), "corpus": where(cfg.corpus.path), "codebook": where(cfg.codebook.path)})

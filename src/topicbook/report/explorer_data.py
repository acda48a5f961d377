"""The explorer's data: everything the page shows, computed from a finished run.

Compute and rendering are split as in pyLDAvis: :func:`explorer_data` turns a run into plain
JSON-ready data (written to the run folder as ``explorer_data.json``): relevance candidates
per topic (the page re-ranks for any lambda), prevalence by metadata with bootstrap
intervals, the Hungarian pairing of the topics of two models, pyLDAvis's intertopic data,
quotes and transcripts. :mod:`topicbook.report.explorer` renders it;
:func:`check_explorer_data` checks a file of it before rendering.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from topicbook import __version__
from topicbook.agreement import RunAgreement
from topicbook.errors import InputError
from topicbook.ingest import Document
from topicbook.models import FittedModel
from topicbook.pairing import cosine_matrix, hungarian
from topicbook.report.ldavis import prepare_ldavis
from topicbook.results import RunResult

log = logging.getLogger(__name__)

DATA_FORMAT = 1
# report.transcripts: auto embeds every segment's text while the texts total at most this
# many characters (about 6 MB of the ~15 MB page budget); otherwise only quoted segments.
TRANSCRIPT_CHAR_BUDGET = 6_000_000
RELEVANCE_CANDIDATES = 30  # terms per topic and lambda grid point embedded for the slider
BOOTSTRAP_SAMPLES = 200
MULTINOMIAL_MAX_DOCS = 50_000  # above: bootstrap counts drawn by bincount of random indices
DOCUMENT_CAP = 20_000  # documents listed (with their profiles); above it, those with embedded segments first
MAX_LEVELS = 25  # a metadata field with more distinct values is not offered for prevalence
MIN_GROUP_DOCUMENTS = 3  # a metadata value with fewer documents has no prevalence bar (its interval means nothing)
# Quote highlighting (see _Highlighter): a topic's distinctive terms, ranked by relevance at the
# lambda Sievert & Shirley (2014) recommend. Fixed by reading the demo's and PDPilot's topics.
HIGHLIGHT_LAMBDA = 0.6
HIGHLIGHT_TERMS = 10
DISTINCTIVE_LIFT = 2.0
DISTINCTIVE_SHARE = 0.5

# What the page and `topicbook explore` need: top-level keys, and keys of each model and run.
REQUIRED_KEYS = ("run", "models", "comparisons", "codes", "segments", "documents", "keywords", "agreement")
REQUIRED_RUN_KEYS = ("name", "version", "seed", "documents", "segments", "warnings")
REQUIRED_MODEL_KEYS = ("name", "type", "n_topics", "coherence", "topics", "alignment", "doc_profile",
                       "prevalence_by", "ldavis", "dominant")


def check_explorer_data(data: Any, source: Path) -> dict[str, Any]:
    """`data` (parsed explorer_data.json) if it has this version's format and every key the
    page needs; else one InputError line naming the file and the first missing key."""
    if not isinstance(data, dict) or data.get("format") != DATA_FORMAT:
        raise InputError(f"{source}: explorer data format {data.get('format') if isinstance(data, dict) else None!r} is not {DATA_FORMAT}. Re-run the config with this topicbook version.")

    def missing(where: str) -> InputError:
        return InputError(f"{source}: incomplete explorer data (no {where}). Re-run the config to write it again.")

    for key in REQUIRED_KEYS:
        if key not in data:
            raise missing(f"'{key}'")
    if not isinstance(data["run"], dict) or not isinstance(data["models"], list):
        raise missing("'run' mapping or 'models' list")
    for key in REQUIRED_RUN_KEYS:
        if key not in data["run"]:
            raise missing(f"'run.{key}'")
    for i, model in enumerate(data["models"]):
        if not isinstance(model, dict):
            raise missing(f"mapping for models[{i}]")
        for key in REQUIRED_MODEL_KEYS:
            if key not in model:
                raise missing(f"'models[{i}].{key}'")
    return data


def relevance_candidates(topic_term: np.ndarray, term_share: np.ndarray, vocab: Sequence[str],
                         n: int = RELEVANCE_CANDIDATES) -> list[dict[str, Any]]:
    """Per topic, the terms that can rank in its top `n` by relevance for lambda in the grid
    0, 0.25, ..., 1, with p(w|k) and p(w), so the page can re-rank for any lambda."""
    eps = 1e-12
    log_p = np.log(topic_term + eps)
    log_lift = log_p - np.log(term_share + eps)
    out = []
    for k in range(topic_term.shape[0]):
        idx: list[int] = []
        for lam in (0.0, 0.25, 0.5, 0.75, 1.0):
            rel = lam * log_p[k] + (1 - lam) * log_lift[k]
            for i in np.argsort(-rel, kind="stable")[:n]:
                if int(i) not in idx:
                    idx.append(int(i))
        idx.sort(key=lambda i: -topic_term[k, i])  # ties in rounded p(w|k) keep this order
        out.append({"terms": [vocab[i] for i in idx],
                    "pk": [float(f"{topic_term[k, i]:.4g}") for i in idx],
                    "pw": [float(f"{term_share[i]:.4g}") for i in idx]})
    return out


def prevalence_by_metadata(doc_topic: np.ndarray, lengths: np.ndarray, doc_of_row: Sequence[str],
                           metadata: Mapping[str, Mapping[str, str]], *, seed: int,
                           samples: int = BOOTSTRAP_SAMPLES, max_levels: int = MAX_LEVELS,
                           min_documents: int = 1) -> dict[str, Any]:
    """Topic prevalence per value of each categorical metadata field, with 95% bootstrap
    intervals from resampling documents (with replacement, within the value).

    doc_topic: (n_segments, n_topics); lengths: (n_segments,) tokens; doc_of_row: document id
    per row. Prevalence of topic k in a group = sum n_s theta_sk / sum n_s over its segments.
    Values with fewer than `min_documents` documents are left out (`left_out`: value -> its
    documents); fields that `prevalence_fields` does not offer are skipped.
    Returns {field: {levels, n_docs, mean, lo, hi, left_out}} with (n_levels, n_topics) lists.
    """
    docs = sorted(set(doc_of_row))
    doc_index = {d: i for i, d in enumerate(docs)}
    rows = np.array([doc_index[d] for d in doc_of_row])
    num = np.zeros((len(docs), doc_topic.shape[1]))
    np.add.at(num, rows, doc_topic * lengths[:, None])
    den = np.bincount(rows, weights=lengths, minlength=len(docs))
    rng = np.random.default_rng(seed)
    out = {}
    for field, (levels, left_out) in prevalence_fields(docs, metadata, max_levels, min_documents)[0].items():
        values = [metadata.get(d, {}).get(field, "") for d in docs]
        means, los, his, counts = [], [], [], []
        for level in levels:
            members = np.array([i for i, v in enumerate(values) if v == level])
            n = len(members)
            # resamples in batches so that the (batch, n) weight matrix stays under ~64 MB
            batch = max(1, min(samples, 8_000_000 // max(n, 1)))
            boot = np.vstack([_bootstrap(rng, min(batch, samples - b), num[members], den[members])
                              for b in range(0, samples, batch)])
            means.append(num[members].sum(axis=0) / max(den[members].sum(), 1e-12))
            los.append(np.percentile(boot, 2.5, axis=0))
            his.append(np.percentile(boot, 97.5, axis=0))
            counts.append(n)
        out[field] = {"levels": levels, "n_docs": counts,
                      "mean": np.round(means, 4).tolist(), "lo": np.round(los, 4).tolist(),
                      "hi": np.round(his, 4).tolist(), "left_out": left_out}
    return out


def prevalence_fields(docs: Sequence[str], metadata: Mapping[str, Mapping[str, str]], max_levels: int = MAX_LEVELS,
                      min_documents: int = 1) -> tuple[dict[str, tuple[list[str], dict[str, int]]], dict[str, str]]:
    """Which metadata fields get a prevalence view, over the documents `docs`.

    Returns (offered, skipped): offered maps a field to its values with at least
    `min_documents` documents (sorted) and the values left out with their document counts;
    skipped maps every other field to the reason, in words for the page. A field is offered
    when it is filled in for at least half the documents, has at most `max_levels` values and
    at least two values keep `min_documents` documents.
    """
    fields: list[str] = []
    for meta in metadata.values():
        fields.extend(f for f in meta if f not in fields)
    offered: dict[str, tuple[list[str], dict[str, int]]] = {}
    skipped: dict[str, str] = {}
    for field in fields:
        values = [metadata.get(d, {}).get(field, "") for d in docs]
        filled = [v for v in values if v not in ("", None)]
        counts = {v: filled.count(v) for v in sorted(set(filled))}
        if len(filled) < len(docs) / 2:
            skipped[field] = f"filled in for {len(filled)} of {len(docs)} documents (fewer than half)"
        elif len(counts) < 2:
            skipped[field] = "has one value only"
        elif len(counts) > max_levels:
            skipped[field] = f"has {len(counts)} values (more than {max_levels})"
        else:
            levels = [v for v, n in counts.items() if n >= min_documents]
            left_out = {v: n for v, n in counts.items() if n < min_documents}
            if len(levels) < 2:
                skipped[field] = (f"has no two values with at least {min_documents} documents each "
                                  f"(the most: {_most(counts)})")
            else:
                offered[field] = (levels, left_out)
    return offered, skipped


def _most(counts: Mapping[str, int], n: int = 3) -> str:
    """The `n` values with the most documents, as text: 'Spain 2, Germany 2, Italy 2'."""
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:n]
    return ", ".join(f"{v} {c}" for v, c in top)


def _bootstrap(rng: np.random.Generator, size: int, num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """`size` bootstrap prevalences (size, n_topics) from per-document numerators (n, n_topics)
    and denominators (n,), documents drawn with replacement."""
    n = len(den)
    if n <= MULTINOMIAL_MAX_DOCS:
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=size)  # (size, n)
    else:  # the same distribution, drawn as n document indices per sample (much faster for large n)
        weights = np.vstack([np.bincount(rng.integers(0, n, size=n), minlength=n) for _ in range(size)])
    return (weights @ num) / np.maximum(weights @ den, 1e-12)[:, None]


def topic_correspondence(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Which topics of two models correspond: cosine of topic_term rows (n_a, n_b) and the
    one-to-one pairing that maximises it (Hungarian)."""
    cos = cosine_matrix(a, b)
    return {"cosine": np.round(cos, 3).tolist(),
            "pairs": [[i, j, round(float(cos[i, j]), 3)] for i, j in hungarian(cos)]}


def _embed_all_segments(policy: str | bool, texts_chars: int) -> bool:
    if policy == "auto":
        return texts_chars <= TRANSCRIPT_CHAR_BUDGET
    return bool(policy)


@dataclass(frozen=True)
class ModelParts:
    """The parts of one model's explorer data that come from its fit alone: per topic its
    relevance candidates and highlight terms, its prevalence by metadata, its intertopic (LDAvis)
    data and each segment's dominant topic ((n_segments,) topic indices)."""

    candidates: list[dict[str, Any]]
    highlight: list[list[str]]
    prevalence_by: dict[str, Any]
    ldavis: dict[str, Any]
    dominant: np.ndarray


def explorer_parts(result: RunResult) -> dict[str, ModelParts]:
    """Per model name, what :func:`explorer_data` computes from the fitted models, the matrix
    and the corpus alone: neither the stability re-fits nor the verdicts enter it, so a run
    computes it while its re-fits are still running (:func:`topicbook.pipeline.analyse`)."""
    prepared = result.prepared
    dtm = prepared.dtm
    doc_of = {s.id: s.document for s in prepared.segmentation.segments}
    lengths = np.asarray(dtm.counts.sum(axis=1)).ravel().astype(float)
    term_counts = np.asarray(dtm.counts.sum(axis=0)).ravel().astype(float)
    term_share = term_counts / max(term_counts.sum(), 1.0)
    doc_of_rows = [doc_of[s] for s in dtm.segment_ids]
    metadata = {d.id: d.metadata for d in prepared.corpus.documents}
    highlight = _Highlighter(dtm)
    parts = {}
    for model in result.models:
        with np.errstate(divide="ignore"):
            ldavis = prepare_ldavis(model.topic_term, model.doc_topic, lengths, dtm.vocab, term_counts)
        parts[model.name] = ModelParts(
            candidates=relevance_candidates(model.topic_term, term_share, dtm.vocab),
            highlight=highlight.model(model.topic_term, model.doc_topic),
            prevalence_by=prevalence_by_metadata(model.doc_topic, lengths, doc_of_rows, metadata, seed=prepared.cfg.seed,
                                                 min_documents=MIN_GROUP_DOCUMENTS),
            ldavis=ldavis, dominant=np.argmax(model.doc_topic, axis=1))
    return parts


def _topic_entries(result: RunResult, model: FittedModel, parts: ModelParts) -> list[dict[str, Any]]:
    """The explorer data's topics of one model (its summaries, verdicts and stability)."""
    ev = result.evaluation[model.name]
    structure = result.verdicts.model(model.name) if result.verdicts is not None else None
    stab = ev.stability
    return [{
        "id": s.id, "display": s.display_id, "label": s.label,
        "terms": list(s.top_terms), "weights": [round(w, 5) for w in s.top_weights],
        "relevant": list(s.relevant_terms), "exclusive": list(s.exclusive_terms),
        "prevalence": round(s.prevalence, 4), "quotes": list(s.quotes),
        "seeded": s.seeded_code,
        "status": structure.topics[s.id].status if structure else None,
        "codes": list(structure.topics[s.id].codes) if structure else [],
        "explained_by": list(structure.topics[s.id].explained_by) if structure else [],
        "coherence": round(ev.coherence["c_v"].per_topic[s.id], 3) if "c_v" in ev.coherence else None,
        "stability": round(stab.per_topic[s.id], 3) if stab and len(stab.per_topic) == model.n_topics else None,
        "candidates": parts.candidates[s.id],
        "highlight": parts.highlight[s.id],
    } for s in result.summaries[model.name]]


def figures_data(result: RunResult, parts: Mapping[str, ModelParts]) -> dict[str, Any]:
    """What the figures draw of the explorer data (:func:`topicbook.report.figures.figure_input`):
    per model its name, topics and prevalence by metadata; no alignment (it needs the verdicts).
    A run draws from it the figures that do not show the verdicts while its re-fits run."""
    return {"models": [{"name": model.name, "topics": _topic_entries(result, model, parts[model.name]), "alignment": None,
                        "prevalence_by": parts[model.name].prevalence_by} for model in result.models]}


def explorer_data(result: RunResult, run_name: str, parts: Mapping[str, ModelParts] | None = None) -> dict[str, Any]:
    """Everything the page shows, as plain JSON-ready data (explorer_data.json). `parts`:
    :func:`explorer_parts` of the same models, when already computed."""
    prepared = result.prepared
    dtm = prepared.dtm
    segments = prepared.segmentation.segments
    cfg = prepared.cfg
    cap = cfg.report.quotes_per_topic
    row_of = {sid: i for i, sid in enumerate(dtm.segment_ids)}
    doc_of = {s.id: s.document for s in segments}
    embed_all = _embed_all_segments(cfg.report.transcripts, sum(len(s.text) for s in segments))
    referenced: set[str] = set()
    doc_of_rows = [doc_of[s] for s in dtm.segment_ids]
    metadata = {d.id: d.metadata for d in prepared.corpus.documents}
    parts = parts if parts is not None else explorer_parts(result)
    models: list[dict[str, Any]] = []
    for model in result.models:
        summaries = result.summaries[model.name]
        ev = result.evaluation[model.name]
        al = result.alignments.get(model.name)
        structure = result.verdicts.model(model.name) if result.verdicts is not None else None
        stab = ev.stability
        part = parts[model.name]
        topics = _topic_entries(result, model, part)
        for s in summaries:
            referenced.update(s.quotes)
        alignment = None
        if al is not None and structure is not None and result.verdicts is not None:
            cells = {f"{k},{c}": ids[:cap] for (k, c), ids in al.cell_quotes.items() if ids and cap}
            for ids in cells.values():
                referenced.update(ids)
            alignment = {
                "codes": list(result.verdicts.analysed),
                "similarity": [[round(v, 3) for v in row] for row in result.verdicts.similarity[model.name]],
                "status": {c.code: c.status for c in structure.codes},
                "topics": {c.code: list(c.topics) for c in structure.codes},
                "unstable": {c.code: c.unstable for c in structure.codes if c.unstable},
                "with_codes": {c.code: list(c.with_codes) for c in structure.codes if c.with_codes},
                "counts": result.verdicts.status_counts(model.name),
                "topic_counts": result.verdicts.topic_counts(model.name),
                "cells": cells, "keyword_hits": al.keyword_hits,
            }
        models.append({
            "name": model.name, "type": model.type, "n_topics": model.n_topics,
            "coherence": {m: round(v.mean, 4) for m, v in ev.coherence.items()},
            "diversity": round(ev.diversity, 4), "stability": round(stab.mean, 3) if stab else None,
            "fit": {k: round(v, 4) if isinstance(v, float) else v for k, v in model.fit_stats.items()
                    if isinstance(v, (int, float, str))},
            "topics": topics, "alignment": alignment,
            "doc_profile": None,  # filled in below, for the listed documents
            "prevalence_by": part.prevalence_by,
            "ldavis": part.ldavis,
            "_dominant": part.dominant,
        })
    verdicts = _verdicts_data(result, cap)
    if verdicts is not None:
        for v in verdicts["presence"].values():
            referenced.update(v["quotes"])
    seg_data = {
        seg.id: {"doc": seg.document, "speaker": seg.speaker or "", "text": seg.text, "q": seg.question or "",
                 **({"qa": list(seg.answer_starts)} if len(seg.answer_starts) > 1 else {})}
        for seg in segments if embed_all or seg.id in referenced
    }
    for m in models:
        dominant = m.pop("_dominant")
        m["dominant"] = {sid: int(dominant[row_of[sid]]) for sid in seg_data if sid in row_of}
    segs_of_doc: dict[str, list[str]] = {}
    for seg in segments:
        if seg.id in seg_data:
            segs_of_doc.setdefault(seg.document, []).append(seg.id)
    listed = _listed_documents(prepared.corpus.documents, segs_of_doc, DOCUMENT_CAP)
    documents = [{"id": doc.id, "metadata": doc.metadata, "segments": segs_of_doc.get(doc.id, [])}
                 for doc in listed]
    listed_ids = {doc.id for doc in listed}
    for m, model in zip(models, result.models, strict=True):
        m["doc_profile"] = _doc_profiles(model.doc_topic, dtm.segment_ids, doc_of, listed_ids)
    codes = []
    if prepared.codebook is not None:
        for code in prepared.codebook.codes:
            codes.append({"id": code.id, "name": code.name, "definition": code.definition,
                          "keywords": list(code.keywords), "parent": code.parent})
    comparisons = [{"a": result.models[i].name, "b": result.models[j].name,
                    **topic_correspondence(result.models[i].topic_term, result.models[j].topic_term)}
                   for i, j in combinations(range(len(result.models)), 2)]
    report = prepared.preprocess_report()
    warnings = list(report.warnings[:50])
    if len(listed) < len(prepared.corpus.documents):
        warnings.append(f"The explorer lists {len(listed):,} of {len(prepared.corpus.documents):,} documents (those with quoted segments first, then in reading order); doc_topics.csv has every segment.")
    return {
        "format": DATA_FORMAT,
        "run": {"name": run_name, "version": __version__, "seed": cfg.seed,
                "documents": report.documents, "segments": report.segments,
                "segments_modelled": report.segments_modelled, "vocabulary": report.vocabulary_size,
                "interviewers": list(report.interviewers), "interviewer_method": report.interviewer_method,
                "turns_by_role": dict(report.turns_by_role), "tokens": dict(report.tokens_after_step),
                "warnings": warnings, "embedded_all_segments": embed_all,
                "documents_listed": len(documents),
                "segments_embedded": len(seg_data), "quotes_per_topic": cap,
                "relevance_lambda": cfg.report.relevance_lambda,
                "prevalence_min_documents": MIN_GROUP_DOCUMENTS,
                "prevalence_skipped": prevalence_fields(sorted(set(doc_of_rows)), metadata, MAX_LEVELS, MIN_GROUP_DOCUMENTS)[1]},
        "models": models, "comparisons": comparisons, "codes": codes, "segments": seg_data,
        "documents": documents, "keywords": [k.to_json() for k in prepared.keywords],
        "agreement": _agreement_table(result), "verdicts": verdicts,
        "recommended": recommended_model(models, verdicts),
    }


class _Highlighter:
    """The terms to highlight in a topic's quotes: its distinctive terms, not the generic words
    every topic shares. A term is distinctive of topic k when it is in at least
    DISTINCTIVE_LIFT times as large a share of the segments k dominates as of all segments (and
    in at least 2 of them), and holds at least DISTINCTIVE_SHARE of its weight across the
    model's topics in k; those terms are ranked by relevance at HIGHLIGHT_LAMBDA."""

    def __init__(self, dtm: Any) -> None:
        self.vocab = dtm.vocab
        self.present = (dtm.counts > 0).astype(np.float64).tocsr()  # (n_segments, n_terms) 0/1
        self.base = np.asarray(self.present.mean(axis=0)).ravel()  # share of segments holding each term
        totals = np.asarray(dtm.counts.sum(axis=0)).ravel().astype(float)
        self.term_share = totals / max(totals.sum(), 1.0)

    def model(self, topic_term: np.ndarray, doc_topic: np.ndarray) -> list[list[str]]:
        """Per topic of one model (topic_term: (K, n_terms); doc_topic: (n_segments, K)), up to
        HIGHLIGHT_TERMS distinctive terms, best first."""
        rows = topic_term / np.maximum(topic_term.sum(axis=1, keepdims=True), 1e-12)
        exclusive = rows / np.maximum(rows.sum(axis=0, keepdims=True), 1e-12)
        log_p = np.log(rows + 1e-12)
        relevance = HIGHLIGHT_LAMBDA * log_p + (1 - HIGHLIGHT_LAMBDA) * (log_p - np.log(self.term_share + 1e-12))
        dominant = np.argmax(doc_topic, axis=1)
        out: list[list[str]] = []
        for k in range(rows.shape[0]):
            members = np.flatnonzero(dominant == k)
            if not len(members):
                out.append([])
                continue
            holding = np.asarray(self.present[members].sum(axis=0)).ravel()
            lift = holding / len(members) / np.maximum(self.base, 1e-12)
            keep = (lift >= DISTINCTIVE_LIFT) & (holding >= 2) & (exclusive[k] >= DISTINCTIVE_SHARE)
            order = [int(i) for i in np.argsort(-relevance[k], kind="stable") if keep[i]]
            out.append([self.vocab[i] for i in order[:HIGHLIGHT_TERMS]])
        return out


def recommended_model(models: Sequence[Mapping[str, Any]], verdicts: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The model the page opens on, and the rule that chose it, in words.

    With human codings and at least one match scored against them (verdicts' `evaluation`):
    the model with the highest mean match precision (ties: more matches, then the earlier
    model). Otherwise the best mean rank by coherence c_v (or the first measure the run has)
    and stability (when every model has it); ties: higher coherence, then the earlier model.
    models: the explorer data's models; None without models.
    """
    if not models:
        return None
    names = [m["name"] for m in models]
    matches = (verdicts or {}).get("evaluation") or {}
    by_model: dict[str, list[float]] = {n: [] for n in names}
    for match in matches.get("matches", []):
        if match["model"] in by_model:
            by_model[match["model"]].append(float(match["precision"]))
    scored = {n: sum(v) / len(v) for n, v in by_model.items() if v}
    if scored:
        best = max(scored, key=lambda n: (scored[n], len(by_model[n]), -names.index(n)))
        return {"model": best, "basis": "match_precision", "scores": {n: round(v, 3) for n, v in scored.items()},
                "rule": ("Opened on the model whose matched topics agree best with your codings: the highest mean "
                         "match precision (of the 10 segments a matched topic weighs highest, the share your codings "
                         "give the matched code).")}
    measure = "c_v" if all("c_v" in m["coherence"] for m in models) else next(iter(models[0]["coherence"]), None)
    coherence = [float(m["coherence"].get(measure, float("nan"))) if measure else float("nan") for m in models]
    coherence = [c if np.isfinite(c) else -np.inf for c in coherence]
    with_stability = all(m.get("stability") is not None for m in models)
    ranks = _ranks(coherence)
    if with_stability:
        ranks = [(a + b) / 2 for a, b in zip(ranks, _ranks([float(m["stability"]) for m in models]), strict=True)]
    best_i = min(range(len(models)), key=lambda i: (ranks[i], -coherence[i], i))
    what = f"coherence {measure}" if measure else "coherence"
    return {"model": names[best_i], "basis": "coherence_stability" if with_stability else "coherence",
            "scores": {n: round(r, 2) for n, r in zip(names, ranks, strict=True)},
            "rule": (f"Opened on the model with the best mean rank by {what} and stability (no match could be scored against human codings)."
                     if with_stability else
                     f"Opened on the model with the highest {what} (no match could be scored against human codings, and the run has no stability re-fits).")}


def _ranks(values: Sequence[float]) -> list[float]:
    """1 for the highest value; ties share the mean of their ranks."""
    order = sorted(values, reverse=True)
    return [order.index(v) + 1 + (order.count(v) - 1) / 2 for v in values]


def _verdicts_data(result: RunResult, cap: int) -> dict[str, Any] | None:
    """Presence per code (with its strongest quotes, at most `cap`) and, with human codings, the
    verdicts' own scores; None without a codebook."""
    table = result.verdicts
    if table is None:
        return None
    evaluation = None
    if table.evaluation is not None:
        ev = table.evaluation
        evaluation = {"presence": [p.to_json() for p in ev.presence], "matches": [m.to_json() for m in ev.matches],
                      "mean_precision": ev.mean_precision, "mean_base_rate": ev.mean_base_rate}
    return {
        "counts": table.counts(),
        "presence": {v.code: {"presence": v.presence, "support": v.support, "expected_false": v.expected_false,
                              "documents": v.documents, "cutoff": v.cutoff, "reason": v.reason,
                              "quotes": list(v.quotes[:cap])} for v in table.presence},
        "evaluation": evaluation,
    }


def _agreement_table(result: RunResult) -> dict[str, Any] | None:
    """Agreement with human codings per scoring method, for the codebook view; None without codings."""
    run = result.agreement
    if run is None or not run.figures:
        return None
    keys = ("macro_roc_auc", "length_floor_auc", "macro_f1", "micro_f1_at_prevalence", "top1_macro_f1", "kappa",
            "macro_krippendorff_alpha", "n_codes", "n_segments")

    def methods(figures: Mapping[str, Any]) -> dict[str, Any]:
        return {name: {**{k: getattr(fig, k) for k in keys}, "ci_low": dict(fig.ci_low), "ci_high": dict(fig.ci_high)}
                for name, fig in figures.items()}

    sample = run.sample
    return {
        "holdout_documents": list(run.holdout_documents),
        "methods": methods(run.figures),
        "per_code": {name: {code: {k: getattr(v, k) for k in ("positives", "precision", "recall", "f1", "roc_auc",
                                                              "krippendorff_alpha")}
                            for code, v in fig.per_code.items()}
                     for name, fig in run.figures.items()},
        "sample": None if sample is None else {"n_segments": sample.n_segments, "n_documents": sample.n_documents,
                                               "random": sample.sample.is_random, "seed": sample.sample.seed,
                                               "stratify": sample.sample.stratify, "methods": methods(sample.figures)},
        "learned": _learned_table(run),
    }


def _learned_table(run: RunAgreement) -> dict[str, Any] | None:
    """How `learned` was fitted and its learning curve, for the agreement view; None without it."""
    result = run.learned
    if result is None:
        return None
    return {
        "prior": run.prior, "groups": run.group_column or "document",
        "coded_groups": len(set(np.asarray(result.groups)[result.coded].tolist())),
        "folds": len(result.folds), "kappa": result.kappa, "kappa_source": result.kappa_source,
        "min_positives": result.settings.min_positives, "learned": list(result.learned_codes),
        "fallback": [{"code": c.code_id, "reason": c.reason} for c in result.codes if c.status == "fallback"],
        "curve": run.curve.to_json() if run.curve is not None else None,
        "suggestions": len(run.suggestions),
    }


def _listed_documents(documents: Sequence[Document], segs_of_doc: Mapping[str, list[str]], cap: int) -> list[Document]:
    """All documents when there are at most `cap`; otherwise those with embedded segments, then
    others in reading order, up to `cap` (more if more documents have embedded segments)."""
    if len(documents) <= cap:
        return list(documents)
    with_segments = [d for d in documents if d.id in segs_of_doc]
    rest = max(0, cap - len(with_segments))
    others = [d for d in documents if d.id not in segs_of_doc][:rest]
    keep = {d.id for d in with_segments} | {d.id for d in others}
    return [d for d in documents if d.id in keep]


def _doc_profiles(doc_topic: np.ndarray, segment_ids: Sequence[str], doc_of: Mapping[str, str],
                  only: set[str] | None = None) -> dict[str, list[int]]:
    """Per document (of `only`, if given), the mean topic weight over its segments, in whole percent."""
    docs = [doc_of[s] for s in segment_ids]
    if only is not None:
        rows_kept = [i for i, d in enumerate(docs) if d in only]
        if len(rows_kept) < len(docs):
            doc_topic = doc_topic[rows_kept]
            docs = [docs[i] for i in rows_kept]
    order = sorted(set(docs))
    index = {d: i for i, d in enumerate(order)}
    rows = np.array([index[d] for d in docs], dtype=int)
    sums = np.zeros((len(order), doc_topic.shape[1]))
    np.add.at(sums, rows, doc_topic)
    share = sums / np.maximum(sums.sum(axis=1, keepdims=True), 1e-12)
    return {d: [int(x) for x in np.rint(100 * share[i])] for i, d in enumerate(order)}

"""The offline explorer page: one self-contained HTML file (Jinja2, autoescaped).

All data is embedded as JSON inside ``<script type="application/json">`` with ``<``, ``>`` and
``&`` written as JSON unicode escapes, so no transcript text can close the script element; the
page's script renders every text with ``textContent``. Every asset is inlined; the page loads
nothing from the network.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from topicbook import __version__
from topicbook.pipeline import RunResult

MAX_EMBEDDED_SEGMENTS = 20000


def safe_json(data: Any) -> Markup:
    """JSON that is safe inside a <script> element: <, > and & are \\u escapes."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def _asset(name: str) -> Markup:
    text = files("topicbook.report").joinpath("templates", name).read_text(encoding="utf-8")
    return Markup(text.replace("</script", "<\\/script").replace("</style", "<\\/style"))


def explorer_data(result: RunResult, run_name: str) -> dict:
    """Everything the page shows, as plain JSON-ready data."""
    prepared = result.prepared
    dtm = prepared.dtm
    segments = prepared.segmentation.segments
    cfg = prepared.cfg
    row_of = {sid: i for i, sid in enumerate(dtm.segment_ids)}
    referenced: set[str] = set()
    models = []
    for model in result.models:
        summaries = result.summaries[model.name]
        ev = result.evaluation[model.name]
        al = result.alignments.get(model.name)
        matched = {k: c for c, k in al.matches.items()} if al else {}
        topics = []
        for s in summaries:
            referenced.update(s.quotes)
            topics.append({
                "id": s.id, "display": s.display_id, "label": s.label,
                "terms": list(s.top_terms), "weights": [round(w, 5) for w in s.top_weights],
                "relevant": list(s.relevant_terms), "exclusive": list(s.exclusive_terms),
                "prevalence": round(s.prevalence, 4), "quotes": list(s.quotes),
                "seeded": s.seeded_code, "matched": matched.get(s.id),
                "coherence": round(ev["coherence"]["c_v"]["per_topic"][s.id], 3),
            })
        alignment = None
        if al is not None:
            cells = {f"{k},{c}": ids for (k, c), ids in al.cell_quotes.items() if ids}
            for ids in cells.values():
                referenced.update(ids)
            for ids in al.code_quotes.values():
                referenced.update(ids)
            alignment = {
                "codes": list(al.code_ids),
                "similarity": [[round(float(v), 3) for v in row] for row in al.similarity],
                "threshold": al.threshold,
                "matches": al.matches, "splits": al.splits,
                "merges": {str(k): v for k, v in al.merges.items()},
                "not_found": al.not_found, "no_seed_terms": al.no_seed_terms, "emergent": al.emergent,
                "cells": cells, "code_quotes": al.code_quotes, "keyword_hits": al.keyword_hits,
                "code_status": {c: al.code_status(c) for c in al.code_ids},
            }
        dominant = np.argmax(model.doc_topic, axis=1)
        models.append({
            "name": model.name, "type": model.type, "n_topics": model.n_topics,
            "coherence": {m: round(v["mean"], 4) for m, v in ev["coherence"].items()},
            "diversity": round(ev["diversity"], 4),
            "fit": {k: round(v, 4) if isinstance(v, float) else v for k, v in model.fit_stats.items()},
            "topics": topics, "alignment": alignment,
            "dominant": {sid: int(dominant[i]) for sid, i in row_of.items()},
            "doc_profile": _doc_profiles(model.doc_topic, dtm.segment_ids, segments),
        })
    embed_all = len(segments) <= MAX_EMBEDDED_SEGMENTS
    seg_data = {
        s.id: {"doc": s.document, "speaker": s.speaker or "", "role": s.role, "text": s.text,
               "q": s.question or ""}
        for s in segments if embed_all or s.id in referenced
    }
    documents = []
    for doc in prepared.corpus.documents:
        doc_segs = [s.id for s in segments if s.document == doc.id and s.id in seg_data]
        documents.append({"id": doc.id, "metadata": doc.metadata, "segments": doc_segs})
    codes = []
    if prepared.codebook is not None:
        for code in prepared.codebook.codes:
            codes.append({"id": code.id, "name": code.name, "definition": code.definition,
                          "keywords": list(code.keywords), "parent": code.parent})
    report = prepared.preprocess_report()
    return {
        "run": {"name": run_name, "version": __version__, "seed": cfg.seed,
                "documents": report["documents"], "segments": report["segments"],
                "segments_modelled": report["segments_modelled"], "vocabulary": report["vocabulary_size"],
                "interviewers": report["interviewers"], "interviewer_method": report["interviewer_method"],
                "turns_by_role": report["turns_by_role"], "tokens": report["tokens_after_step"],
                "warnings": report["warnings"][:50], "embedded_all_segments": embed_all},
        "models": models, "codes": codes, "segments": seg_data, "documents": documents,
        "keywords": prepared.keywords,
    }


def _doc_profiles(doc_topic: np.ndarray, segment_ids: tuple[str, ...], segments) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    doc_of = {s.id: s.document for s in segments}
    sums: dict[str, np.ndarray] = {}
    for i, sid in enumerate(segment_ids):
        doc = doc_of[sid]
        sums[doc] = sums.get(doc, 0) + doc_topic[i]
    return {d: [round(float(x), 3) for x in v / v.sum()] for d, v in sums.items()}


def render_explorer(result: RunResult, run_name: str) -> str:
    """The explorer HTML for a finished run."""
    env = Environment(loader=PackageLoader("topicbook.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    template = env.get_template("explorer.html.j2")
    return template.render(
        title=f"topicbook: {run_name}",
        data_json=safe_json(explorer_data(result, run_name)),
        css=_asset("explorer.css"),
        js=_asset("explorer.js"),
    )

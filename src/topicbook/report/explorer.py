"""The offline explorer page: one self-contained HTML file (Jinja2, autoescaped).

Compute and rendering are split as in pyLDAvis: `explorer_data` turns a finished run into
plain JSON-ready data (also written to the run folder as ``explorer_data.json``), and
`render_explorer_html` turns that data into the page, so ``topicbook explore RUN_DIR`` can
rebuild the page without refitting anything.

All data is embedded as JSON inside ``<script type="application/json">`` with ``<``, ``>`` and
``&`` written as JSON unicode escapes, so no transcript text, vocabulary term or pyLDAvis
string can close the script element; the page's script renders every text with
``textContent``. Every asset (our CSS/JS, d3 and LDAvis from the installed pyLDAvis) is
inlined; the page loads nothing from the network.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from importlib.resources import files
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from topicbook import __version__
from topicbook.errors import InputError
from topicbook.pipeline import RunResult

log = logging.getLogger(__name__)

DATA_FILE = "explorer_data.json"
DATA_FORMAT = 1
# report.transcripts: auto embeds every segment's text while the texts total at most this
# many characters (about 6 MB of the ~15 MB page budget); otherwise only quoted segments.
TRANSCRIPT_CHAR_BUDGET = 6_000_000
RELEVANCE_CANDIDATES = 30  # terms per topic and lambda grid point embedded for the slider
BOOTSTRAP_SAMPLES = 200
MULTINOMIAL_MAX_DOCS = 50_000  # above: bootstrap counts drawn by bincount of random indices
DOCUMENT_CAP = 20_000  # documents listed (with their profiles); above it, those with embedded segments first
MAX_LEVELS = 25  # a metadata field with more distinct values is not offered for prevalence


def safe_json(data: Any) -> Markup:
    """JSON that is safe inside a <script> element: <, > and & are \\u escapes."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def _inline(text: str) -> Markup:
    """Script or style text that cannot end its element early."""
    return Markup(text.replace("</script", "<\\/script").replace("</style", "<\\/style").replace("<!--", "<\\!--"))


def _asset(name: str) -> Markup:
    return _inline(files("topicbook.report").joinpath("templates", name).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- compute


def _stability(ev: Mapping[str, Any], n_topics: int) -> tuple[float | None, list[float] | None]:
    """(model mean, per-topic values) from an evaluation entry, when it has `stability`."""
    st = ev.get("stability")
    if st is None:
        return None, None
    if isinstance(st, (int, float)):
        return round(float(st), 3), None
    mean = st.get("mean")
    per = st.get("per_topic")
    values = None
    if isinstance(per, Sequence) and len(per) == n_topics:
        values = []
        for v in per:
            if isinstance(v, Mapping):
                v = v.get("similarity", v.get("mean"))
            values.append(round(float(v), 3) if isinstance(v, (int, float)) else None)
    return (round(float(mean), 3) if isinstance(mean, (int, float)) else None), values


def relevance_candidates(topic_term: np.ndarray, term_share: np.ndarray, vocab: Sequence[str],
                         n: int = RELEVANCE_CANDIDATES) -> list[dict]:
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
                           samples: int = BOOTSTRAP_SAMPLES, max_levels: int = MAX_LEVELS) -> dict:
    """Topic prevalence per value of each categorical metadata field, with 95% bootstrap
    intervals from resampling documents (with replacement, within the value).

    doc_topic: (n_segments, n_topics); lengths: (n_segments,) tokens; doc_of_row: document id
    per row. Prevalence of topic k in a group = sum n_s theta_sk / sum n_s over its segments.
    Returns {field: {levels, n_docs, mean, lo, hi}} with (n_levels, n_topics) lists.
    """
    docs = sorted(set(doc_of_row))
    doc_index = {d: i for i, d in enumerate(docs)}
    rows = np.array([doc_index[d] for d in doc_of_row])
    num = np.zeros((len(docs), doc_topic.shape[1]))
    np.add.at(num, rows, doc_topic * lengths[:, None])
    den = np.bincount(rows, weights=lengths, minlength=len(docs))
    fields: list[str] = []
    for meta in metadata.values():
        fields.extend(f for f in meta if f not in fields)
    rng = np.random.default_rng(seed)
    out = {}
    for field in fields:
        values = [metadata.get(d, {}).get(field, "") for d in docs]
        levels = sorted({v for v in values if v not in ("", None)})
        if not 2 <= len(levels) <= max_levels or sum(v != "" for v in values) < len(docs) / 2:
            continue
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
                      "hi": np.round(his, 4).tolist()}
    return out


def _bootstrap(rng: np.random.Generator, size: int, num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """`size` bootstrap prevalences (size, n_topics) from per-document numerators (n, n_topics)
    and denominators (n,), documents drawn with replacement."""
    n = len(den)
    if n <= MULTINOMIAL_MAX_DOCS:
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=size)  # (size, n)
    else:  # the same distribution, drawn as n document indices per sample (much faster for large n)
        weights = np.vstack([np.bincount(rng.integers(0, n, size=n), minlength=n) for _ in range(size)])
    return (weights @ num) / np.maximum(weights @ den, 1e-12)[:, None]


def topic_correspondence(a: np.ndarray, b: np.ndarray) -> dict:
    """Which topics of two models correspond: cosine of topic_term rows (n_a, n_b) and the
    one-to-one pairing that maximises it (Hungarian)."""
    from scipy.optimize import linear_sum_assignment

    na = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    nb = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    cos = na @ nb.T
    rows, cols = linear_sum_assignment(-cos)
    return {"cosine": np.round(cos, 3).tolist(),
            "pairs": [[int(i), int(j), round(float(cos[i, j]), 3)] for i, j in zip(rows, cols, strict=True)]}


def _embed_all_segments(policy: str | bool, texts_chars: int) -> bool:
    if policy == "auto":
        return texts_chars <= TRANSCRIPT_CHAR_BUDGET
    return bool(policy)


def explorer_data(result: RunResult, run_name: str) -> dict:
    """Everything the page shows, as plain JSON-ready data."""
    from topicbook.report.ldavis import prepare_ldavis

    prepared = result.prepared
    dtm = prepared.dtm
    segments = prepared.segmentation.segments
    cfg = prepared.cfg
    cap = cfg.report.quotes_per_topic
    row_of = {sid: i for i, sid in enumerate(dtm.segment_ids)}
    doc_of = {s.id: s.document for s in segments}
    lengths = np.asarray(dtm.counts.sum(axis=1)).ravel().astype(float)
    term_counts = np.asarray(dtm.counts.sum(axis=0)).ravel().astype(float)
    term_share = term_counts / max(term_counts.sum(), 1.0)
    embed_all = _embed_all_segments(cfg.report.transcripts, sum(len(s.text) for s in segments))
    referenced: set[str] = set()
    models = []
    for model in result.models:
        summaries = result.summaries[model.name]
        ev = result.evaluation[model.name]
        al = result.alignments.get(model.name)
        matched = {k: c for c, k in al.matches.items()} if al else {}
        stab_mean, stab_per = _stability(ev, model.n_topics)
        candidates = relevance_candidates(model.topic_term, term_share, dtm.vocab)
        topics = []
        for s in summaries:
            referenced.update(s.quotes)
            topics.append({
                "id": s.id, "display": s.display_id, "label": s.label,
                "terms": list(s.top_terms), "weights": [round(w, 5) for w in s.top_weights],
                "relevant": list(s.relevant_terms), "exclusive": list(s.exclusive_terms),
                "prevalence": round(s.prevalence, 4), "quotes": list(s.quotes),
                "seeded": s.seeded_code, "matched": matched.get(s.id),
                "coherence": round(ev["coherence"]["c_v"]["per_topic"][s.id], 3) if "c_v" in ev["coherence"] else None,
                "stability": stab_per[s.id] if stab_per else None,
                "candidates": candidates[s.id],
            })
        alignment = None
        if al is not None:
            cells = {f"{k},{c}": ids[:cap] for (k, c), ids in al.cell_quotes.items() if ids and cap}
            code_quotes = {c: ids[:cap] for c, ids in al.code_quotes.items()}
            for ids in (*cells.values(), *code_quotes.values()):
                referenced.update(ids)
            alignment = {
                "codes": list(al.code_ids),
                "similarity": [[round(float(v), 3) for v in row] for row in al.similarity],
                "threshold": al.threshold,
                "matches": al.matches, "splits": al.splits,
                "merges": {str(k): v for k, v in al.merges.items()},
                "not_found": al.not_found, "no_seed_terms": al.no_seed_terms, "emergent": al.emergent,
                "cells": cells, "code_quotes": code_quotes, "keyword_hits": al.keyword_hits,
                "code_status": {c: al.code_status(c) for c in al.code_ids},
            }
        with np.errstate(divide="ignore"):
            ldavis = prepare_ldavis(model.topic_term, model.doc_topic, lengths, dtm.vocab, term_counts)
        models.append({
            "name": model.name, "type": model.type, "n_topics": model.n_topics,
            "coherence": {m: round(v["mean"], 4) for m, v in ev["coherence"].items()},
            "diversity": round(ev["diversity"], 4), "stability": stab_mean,
            "fit": {k: round(v, 4) if isinstance(v, float) else v for k, v in model.fit_stats.items()
                    if isinstance(v, (int, float, str))},
            "topics": topics, "alignment": alignment,
            "doc_profile": None,  # filled in below, for the listed documents
            "prevalence_by": prevalence_by_metadata(
                model.doc_topic, lengths, [doc_of[s] for s in dtm.segment_ids],
                {d.id: d.metadata for d in prepared.corpus.documents}, seed=cfg.seed),
            "ldavis": ldavis,
            "_dominant": np.argmax(model.doc_topic, axis=1),
        })
    seg_data = {
        s.id: {"doc": s.document, "speaker": s.speaker or "", "text": s.text, "q": s.question or "",
               **({"qa": list(s.answer_starts)} if len(s.answer_starts) > 1 else {})}
        for s in segments if embed_all or s.id in referenced
    }
    for m in models:
        dominant = m.pop("_dominant")
        m["dominant"] = {sid: int(dominant[row_of[sid]]) for sid in seg_data if sid in row_of}
    segs_of_doc: dict[str, list[str]] = {}
    for s in segments:
        if s.id in seg_data:
            segs_of_doc.setdefault(s.document, []).append(s.id)
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
    warnings = report["warnings"][:50]
    if len(listed) < len(prepared.corpus.documents):
        warnings.append(f"The explorer lists {len(listed):,} of {len(prepared.corpus.documents):,} documents (those with quoted segments first, then in reading order); doc_topics.csv has every segment.")
    return {
        "format": DATA_FORMAT,
        "run": {"name": run_name, "version": __version__, "seed": cfg.seed,
                "documents": report["documents"], "segments": report["segments"],
                "segments_modelled": report["segments_modelled"], "vocabulary": report["vocabulary_size"],
                "interviewers": report["interviewers"], "interviewer_method": report["interviewer_method"],
                "turns_by_role": report["turns_by_role"], "tokens": report["tokens_after_step"],
                "warnings": warnings, "embedded_all_segments": embed_all,
                "documents_listed": len(documents),
                "segments_embedded": len(seg_data), "quotes_per_topic": cap,
                "relevance_lambda": cfg.report.relevance_lambda},
        "models": models, "comparisons": comparisons, "codes": codes, "segments": seg_data,
        "documents": documents, "keywords": prepared.keywords,
        "agreement": _agreement_table(result),
    }


def _agreement_table(result: RunResult) -> dict | None:
    """Agreement with human codings per scoring method, for the codebook view; None without codings."""
    run = result.agreement
    if run is None or not run.figures:
        return None
    keys = ("macro_roc_auc", "length_floor_auc", "macro_f1", "micro_f1_at_prevalence", "top1_macro_f1", "kappa", "n_codes", "n_segments")
    return {
        "holdout_documents": list(run.holdout_documents),
        "methods": {name: {k: fig.get(k) for k in keys} for name, fig in run.figures.items()},
        "per_code": {name: {code: {k: v.get(k) for k in ("positives", "precision", "recall", "f1", "roc_auc")}
                            for code, v in fig.get("per_code", {}).items()}
                     for name, fig in run.figures.items()},
    }


def _listed_documents(documents: Sequence[Any], segs_of_doc: Mapping[str, list[str]], cap: int) -> list[Any]:
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


# --------------------------------------------------------------------------- render


def _environment() -> Environment:
    return Environment(loader=PackageLoader("topicbook.report", "templates"),
                       autoescape=select_autoescape(["html", "j2"]))


def render_explorer_html(data: Mapping[str, Any]) -> str:
    """The explorer page for explorer data (from `explorer_data` or explorer_data.json)."""
    from topicbook.report.ldavis import ldavis_assets

    assets = ldavis_assets()
    return _environment().get_template("explorer.html.j2").render(
        title=f"topicbook: {data['run']['name']}",
        data_json=safe_json(data),
        css=_asset("explorer.css"),
        js=_asset("explorer.js"),
        ldavis_css=_inline(assets["css"]),
        d3_js=_inline(assets["d3"]),
        ldavis_js=_inline(assets["ldavis"]),
    )


def render_ldavis_html(data: Mapping[str, Any], model_name: str) -> str:
    """A standalone, offline pyLDAvis page for one model of the explorer data."""
    from topicbook.report.ldavis import ldavis_assets

    model = next(m for m in data["models"] if m["name"] == model_name)
    assets = ldavis_assets()
    return _environment().get_template("ldavis.html.j2").render(
        title=f"topicbook: {data['run']['name']} · {model_name} intertopic map",
        data_json=safe_json(model["ldavis"]),
        ldavis_css=_inline(assets["css"]),
        d3_js=_inline(assets["d3"]),
        ldavis_js=_inline(assets["ldavis"]),
    )


def render_explorer(result: RunResult, run_name: str) -> str:
    """The explorer HTML for a finished run."""
    return render_explorer_html(explorer_data(result, run_name))


def rebuild_explorer(run_dir: Path) -> Path:
    """Re-render explorer.html of a run folder from its explorer_data.json; returns the page."""
    run_dir = Path(run_dir)
    source = run_dir / DATA_FILE
    if not run_dir.is_dir():
        raise InputError(f"{run_dir}: no such run folder. Pass a folder written by `topicbook run`.")
    if not source.is_file():
        raise InputError(f"{source}: not found; this run was written without explorer data. Re-run it with report.explorer: true.")
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{source}: not valid explorer data ({exc}). Re-run the config to write it again.") from None
    if not isinstance(data, dict) or data.get("format") != DATA_FORMAT:
        raise InputError(f"{source}: explorer data format {data.get('format') if isinstance(data, dict) else None!r} is not {DATA_FORMAT}. Re-run the config with this topicbook version.")
    page = run_dir / "explorer.html"
    page.write_text(render_explorer_html(data), encoding="utf-8")
    return page

"""The intertopic map: pyLDAvis's data object and its JavaScript, embedded offline.

The only module that imports pyLDAvis. `prepare_ldavis` runs pyLDAvis's compute step on our
matrices (no re-inference, `sort_topics=False` so its topic k+1 is our T(k+1), one process);
the layout is a principal-coordinate analysis of the Jensen-Shannon distances between topics,
done here with numpy so it does not depend on scikit-learn's MDS signature. The d3 and LDAvis
scripts are read from the installed package and inlined by the caller; nothing is loaded from
a CDN.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial.distance import pdist, squareform

log = logging.getLogger(__name__)

# pyLDAvis's defaults, kept explicit: terms per topic in the bar chart and the lambda grid.
LDAVIS_TERMS = 30
LAMBDA_STEP = 0.01


def js_pcoa(topic_term: np.ndarray) -> np.ndarray:
    """Topic coordinates (n_topics, 2): classical MDS of Jensen-Shannon distances.

    topic_term: (n_topics, n_terms), rows sum to 1. Axes are signed so that each column's
    largest absolute coordinate is positive, which makes the layout deterministic.
    """
    k = topic_term.shape[0]
    dist = squareform(pdist(np.asarray(topic_term, dtype=float), metric="jensenshannon"))
    dist = np.nan_to_num(dist)
    centre = np.eye(k) - np.full((k, k), 1.0 / k)
    b = -0.5 * centre @ (dist**2) @ centre
    values, vectors = np.linalg.eigh(b)
    order = np.argsort(values)[::-1][:2]
    coords = vectors[:, order] * np.sqrt(np.clip(values[order], 0.0, None))
    if coords.shape[1] < 2:
        coords = np.hstack([coords, np.zeros((k, 2 - coords.shape[1]))])
    for j in range(2):
        if coords[np.argmax(np.abs(coords[:, j])), j] < 0:
            coords[:, j] = -coords[:, j]
    return coords


def _rows_to_distributions(matrix: np.ndarray) -> np.ndarray:
    """Rows normalised to sum 1; an all-zero row becomes uniform (pyLDAvis rejects zeros)."""
    m = np.asarray(matrix, dtype=float).clip(min=0.0)
    sums = m.sum(axis=1, keepdims=True)
    uniform = np.full_like(m, 1.0 / m.shape[1])
    return np.where(sums > 0, m / np.where(sums > 0, sums, 1.0), uniform)


def prepare_ldavis(topic_term: np.ndarray, doc_topic: np.ndarray, doc_lengths: np.ndarray,
                   vocab: list[str] | tuple[str, ...], term_frequency: np.ndarray) -> dict:
    """pyLDAvis's data object as plain JSON-ready data.

    topic_term: (n_topics, n_terms); doc_topic: (n_segments, n_topics); doc_lengths:
    (n_segments,) tokens per segment; term_frequency: (n_terms,) corpus counts.
    Computed from the arrays with numpy (:func:`ldavis_data`) when every topic has more than
    LDAVIS_TERMS terms of positive weight, which makes every relevance ranking a ranking of
    finite numbers; otherwise by pyLDAvis itself (its pandas route takes seconds per model).
    """
    tt = _rows_to_distributions(topic_term)
    dt = _rows_to_distributions(doc_topic)
    if tt.shape[1] > LDAVIS_TERMS and bool(((tt > 0).sum(axis=1) > LDAVIS_TERMS).all()):
        return _rounded(ldavis_data(tt, dt, np.asarray(doc_lengths, dtype=float), list(vocab)))
    return _rounded(pyldavis_data(tt, dt, doc_lengths, vocab, term_frequency))


def pyldavis_data(tt: np.ndarray, dt: np.ndarray, doc_lengths: np.ndarray, vocab: list[str] | tuple[str, ...],
                  term_frequency: np.ndarray) -> dict:
    """pyLDAvis.prepare's data object (unrounded) for distributions `tt` and `dt`."""
    import pyLDAvis

    prepared = pyLDAvis.prepare(
        topic_term_dists=tt, doc_topic_dists=dt, doc_lengths=np.asarray(doc_lengths, dtype=float),
        vocab=list(vocab), term_frequency=np.asarray(term_frequency, dtype=float),
        R=LDAVIS_TERMS, lambda_step=LAMBDA_STEP, mds=js_pcoa, n_jobs=1, sort_topics=False,
    )
    return dict(json.loads(prepared.to_json()))


def _top(values: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n largest values, largest first, ties by position (pandas' nlargest)."""
    return np.argsort(-values, kind="stable")[:n]


def ldavis_data(tt: np.ndarray, dt: np.ndarray, doc_lengths: np.ndarray, vocab: list[str]) -> dict:
    """The data object of ``pyLDAvis.prepare(tt, dt, doc_lengths, vocab, ..., R=LDAVIS_TERMS,
    lambda_step=LAMBDA_STEP, mds=js_pcoa, sort_topics=False)`` (pyLDAvis 3.4), computed
    directly from the arrays, unrounded: the same keys, columns, row order and numbers up to
    float rounding (tested against pyLDAvis). Needs every topic to have more than LDAVIS_TERMS
    terms of positive weight (then no ranking meets log(0)).

    tt: (n_topics, n_terms) rows sum to 1; dt: (n_docs, n_topics) rows sum to 1;
    doc_lengths: (n_docs,). As pyLDAvis does, term frequencies are recomputed from the
    topics (topic frequency x p(term | topic)), not taken from the corpus counts.
    """
    k, v = tt.shape
    r = min(LDAVIS_TERMS, v)
    words = np.asarray(vocab, dtype=object)
    # summed along contiguous rows, as pandas does (numpy's pairwise sum): the same bits, so that
    # the rankings' exact ties (terms of one topic only have equal lift) break the same way
    topic_freq = np.ascontiguousarray((dt * doc_lengths[:, None]).T).sum(axis=1)
    proportion = topic_freq / topic_freq.sum()
    term_topic_freq = tt * topic_freq[:, None]
    term_frequency = term_topic_freq.sum(axis=0)
    term_proportion = term_frequency / term_frequency.sum()
    # the default view: the r most salient terms (Chuang et al. 2012)
    with np.errstate(divide="ignore", invalid="ignore"):  # a term no topic uses: 0 / 0, skipped below
        given_term = tt / tt.sum(axis=0, keepdims=True)  # p(topic | term) up to the topic weights
        kernel = given_term * np.log(given_term / proportion[:, None])
    saliency = term_proportion * np.nansum(kernel, axis=0)  # pandas' sum skips 0 * log(0)
    reverse = np.arange(v)[::-1]  # pandas' descending sort: argsort of the reversed values, reversed
    default = reverse[np.argsort(saliency[::-1], kind="quicksort")][::-1][:r]
    rows: dict[str, list] = {"Term": list(words[default]), "Freq": list(np.floor(term_frequency[default])),
                             "Total": list(np.floor(term_frequency[default])), "Category": ["Default"] * r,
                             "logprob": [float(x) for x in range(r, 0, -1)], "loglift": [float(x) for x in range(r, 0, -1)]}
    # per topic: every term in its top r by relevance for some lambda, in order of first appearance
    with np.errstate(divide="ignore", invalid="ignore"):
        log_lift = np.log(tt / term_proportion)
        log_ttd = np.log(tt)
    lambdas = np.arange(0, 1 + LAMBDA_STEP, LAMBDA_STEP)
    shown: set[int] = set(default.tolist())
    for topic in range(k):
        order: dict[int, None] = {}
        for lam in lambdas:
            with np.errstate(invalid="ignore"):
                relevance = lam * log_ttd[topic] + (1 - lam) * log_lift[topic]
            order.update(dict.fromkeys(_top(np.where(np.isnan(relevance), -np.inf, relevance), r).tolist()))
        terms = np.fromiter(order, dtype=int, count=len(order))
        shown.update(order)
        rows["Term"] += list(words[terms])
        rows["Freq"] += list(term_topic_freq[topic, terms])
        rows["Total"] += list(term_frequency[terms])
        rows["Category"] += [f"Topic{topic + 1}"] * len(terms)
        rows["logprob"] += list(np.round(log_ttd[topic, terms], 4))
        rows["loglift"] += list(np.round(log_lift[topic, terms], 4))
    # token table: p(topic | term) of every shown term, where its expected count is >= 0.5
    table: list[tuple[str, int, float]] = []
    for term in sorted(shown):
        for topic in range(k):
            freq = term_topic_freq[topic, term]
            if freq >= 0.5:
                table.append((str(words[term]), topic + 1, float(np.round(freq) / term_frequency[term])))
    table.sort(key=lambda row: (row[0], row[1]))
    coords = js_pcoa(tt)
    return {"mdsDat": {"x": [float(x) for x in coords[:, 0]], "y": [float(y) for y in coords[:, 1]],
                       "topics": list(range(1, k + 1)), "cluster": [1] * k, "Freq": [float(f) for f in proportion * 100]},
            "tinfo": {key: [x if isinstance(x, str) else float(x) for x in values] for key, values in rows.items()},
            "token.table": {"Topic": [t for _, t, _ in table], "Freq": [f for _, _, f in table], "Term": [w for w, _, _ in table]},
            "R": r, "lambda.step": LAMBDA_STEP, "plot.opts": {"xlab": "PC1", "ylab": "PC2"},
            "topic.order": list(range(1, k + 1))}


def _rounded(data: dict) -> dict:
    """Floats to 5 significant digits (a fifth of the size, no visible difference); log(0) =
    -inf, which JSON cannot carry, becomes -999 (it only ranks terms last)."""
    def fix(value: Any) -> Any:
        if isinstance(value, float):
            return float(f"{value:.5g}") if math.isfinite(value) else (-999.0 if value < 0 else 0.0)
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        return value
    return fix(data)


# The files pyLDAvis.urls names (D3_LOCAL, LDAVIS_LOCAL, LDAVIS_CSS_LOCAL) for a pyLDAvis 3.x
# release, in the package's js folder (tests/test_ldavis_data.py checks them against pyLDAvis.urls).
LDAVIS_ASSET_FILES = {"d3": "d3.v5.min.js", "ldavis": "ldavis.v3.0.0.js", "css": "ldavis.v1.0.0.css"}


def ldavis_assets() -> dict[str, str]:
    """d3, LDAvis JS and CSS text from the installed pyLDAvis package's js folder, found without
    importing the package (its __init__ imports its compute and display modules, joblib and
    more: 0.1-0.5 s of a run that needs only these files)."""
    spec = importlib.util.find_spec("pyLDAvis")
    folders = list(spec.submodule_search_locations or ()) if spec is not None else []
    if not folders:  # pragma: no cover - pyLDAvis is a dependency
        raise ModuleNotFoundError("pyLDAvis is not installed; reinstall topicbook (pip install topicbook).")
    js = Path(folders[0]) / "js"
    return {key: (js / name).read_text(encoding="utf-8") for key, name in LDAVIS_ASSET_FILES.items()}

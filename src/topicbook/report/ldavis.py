"""The intertopic map: pyLDAvis's data object and its JavaScript, embedded offline.

The only module that imports pyLDAvis. `prepare_ldavis` runs pyLDAvis's compute step on our
matrices (no re-inference, `sort_topics=False` so its topic k+1 is our T(k+1), one process);
the layout is a principal-coordinate analysis of the Jensen-Shannon distances between topics,
done here with numpy so it does not depend on scikit-learn's MDS signature. The d3 and LDAvis
scripts are read from the installed package and inlined by the caller; nothing is loaded from
a CDN.
"""

from __future__ import annotations

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
    """
    import pyLDAvis

    tt = _rows_to_distributions(topic_term)
    dt = _rows_to_distributions(doc_topic)
    prepared = pyLDAvis.prepare(
        topic_term_dists=tt, doc_topic_dists=dt, doc_lengths=np.asarray(doc_lengths, dtype=float),
        vocab=list(vocab), term_frequency=np.asarray(term_frequency, dtype=float),
        R=LDAVIS_TERMS, lambda_step=LAMBDA_STEP, mds=js_pcoa, n_jobs=1, sort_topics=False,
    )
    data = json.loads(prepared.to_json())
    return _rounded(data)


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


def ldavis_assets() -> dict[str, str]:
    """d3, LDAvis JS and CSS text from the installed pyLDAvis package."""
    from pyLDAvis import urls

    out = {}
    for key, path in (("d3", urls.D3_LOCAL), ("ldavis", urls.LDAVIS_LOCAL), ("css", urls.LDAVIS_CSS_LOCAL)):
        out[key] = Path(path).read_text(encoding="utf-8")
    return out

"""Model evaluation: coherence (gensim), topic diversity, and stability across seeds."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment

log = logging.getLogger(__name__)

COHERENCE_MEASURES = ("c_v", "c_npmi", "u_mass")


def coherence(topics: Sequence[Sequence[str]], texts: Sequence[Sequence[str]],
              measures: Sequence[str] = COHERENCE_MEASURES, top_n: int = 10,
              processes: int = 1, counts: sp.spmatrix | None = None,
              vocab: Sequence[str] | None = None) -> dict[str, dict]:
    """Per-topic and mean coherence for each measure, from gensim's CoherenceModel.

    `topics`: top terms per topic (best first); `texts`: the segment token lists. Single
    process by default (gensim's multiprocessing hangs on small corpora). With the
    document-term matrix (`counts`, n_segments x n_terms, and its `vocab`), gensim's dictionary
    is made from the vocabulary and u_mass streams the matrix's rows, instead of a second copy
    of every segment as a bag of words (same figures; 10^6 short texts: see docs/benchmarks.md).
    Returns {measure: {"mean": float, "per_topic": [float, ...]}}.
    """
    from gensim.corpora import Dictionary
    from gensim.matutils import Sparse2Corpus
    from gensim.models import CoherenceModel

    if counts is not None and vocab is not None:
        dictionary = Dictionary()
        dictionary.token2id = {w: i for i, w in enumerate(vocab)}
        csr = sp.csr_matrix(counts)
        dictionary.dfs = dict(enumerate(np.diff(csr.tocsc().indptr).tolist()))
        dictionary.num_docs = csr.shape[0]
        corpus: Sequence | Sparse2Corpus | None = Sparse2Corpus(csr, documents_columns=False) if "u_mass" in measures else None
    else:
        dictionary = Dictionary(texts)
        corpus = [dictionary.doc2bow(t) for t in texts] if "u_mass" in measures else None
    topics = [[t for t in topic[:top_n] if t in dictionary.token2id] for topic in topics]
    out: dict[str, dict] = {}
    for measure in measures:
        kwargs = {"corpus": corpus} if measure == "u_mass" else {"texts": texts}
        cm = CoherenceModel(topics=topics, dictionary=dictionary, coherence=measure,
                            topn=top_n, processes=processes, **kwargs)
        per_topic = [float(x) if np.isfinite(x) else float("nan") for x in cm.get_coherence_per_topic()]
        out[measure] = {"mean": float(np.nanmean(per_topic)) if per_topic else float("nan"), "per_topic": per_topic}
    return out


def topic_diversity(topics: Sequence[Sequence[str]], top_n: int = 25) -> float:
    """Share of unique terms among the top-`top_n` terms of all topics (1 = no overlap)."""
    words = [w for topic in topics for w in topic[:top_n]]
    return len(set(words)) / len(words) if words else float("nan")


def match_topics(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hungarian matching of topics in `b` to topics in `a` by topic-term cosine.

    Returns (index in b for each topic of a, cosine similarity of each pair).
    """
    an = a / np.linalg.norm(a, axis=1, keepdims=True)
    bn = b / np.linalg.norm(b, axis=1, keepdims=True)
    sim = an @ bn.T
    rows, cols = linear_sum_assignment(-sim)
    order = np.empty(a.shape[0], dtype=int)
    order[rows] = cols
    return order, sim[rows, cols][np.argsort(rows)]


def stability(reference: np.ndarray, others: Sequence[np.ndarray], vocab_top: int = 10,
              jaccard_at: float = 0.9) -> dict:
    """Stability of the reference model's topics across re-fits with other seeds.

    Per topic: mean matched cosine over runs, and the share of runs where the matched topic's
    top-`vocab_top` terms have Jaccard >= `jaccard_at` with the reference's.
    """
    if not others:
        return {"per_topic": [], "mean": float("nan"), "reappear": [], "runs": 0}
    sims, reappear = [], []
    ref_top = [set(np.argsort(-row)[:vocab_top]) for row in reference]
    for other in others:
        order, sim = match_topics(reference, other)
        sims.append(sim)
        jac = []
        for k, j in enumerate(order):
            top = set(np.argsort(-other[j])[:vocab_top])
            jac.append(len(top & ref_top[k]) / len(top | ref_top[k]))
        reappear.append(np.asarray(jac) >= jaccard_at)
    per_topic = np.mean(sims, axis=0)
    return {"per_topic": per_topic.tolist(), "mean": float(per_topic.mean()),
            "reappear": np.mean(reappear, axis=0).tolist(), "runs": len(others)}

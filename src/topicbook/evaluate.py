"""Model evaluation: coherence (gensim), topic diversity, and stability across seeds.

Typed results (each with `to_json` / `from_json`, the entries of evaluation.json):
:class:`Coherence` per measure, :class:`Stability`, and :class:`ModelEvaluation` per model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from topicbook.pairing import cosine_matrix, hungarian

log = logging.getLogger(__name__)

COHERENCE_MEASURES = ("c_v", "c_npmi", "u_mass")


def _r(x: float, digits: int = 4) -> float:
    return round(float(x), digits)


@dataclass(frozen=True)
class Coherence:
    """One coherence measure of one model: the mean over topics and each topic's value (NaN
    where gensim gives none)."""

    mean: float
    per_topic: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        return {"mean": _r(self.mean), "per_topic": [_r(x) for x in self.per_topic]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Coherence:
        return cls(float(data["mean"]), tuple(float(x) for x in data["per_topic"]))


@dataclass(frozen=True)
class Stability:
    """A model's topics across `runs` re-fits: per topic the mean matched cosine and the share
    of re-fits in which it reappears (top-10 Jaccard >= 0.9); `mean` over topics."""

    runs: int
    mean: float
    per_topic: tuple[float, ...]
    reappear: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        return {"seeds": self.runs, "mean": _r(self.mean), "per_topic": [_r(x) for x in self.per_topic],
                "reappear": [_r(x) for x in self.reappear]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Stability:
        return cls(int(data["seeds"]), float(data["mean"]), tuple(float(x) for x in data["per_topic"]),
                   tuple(float(x) for x in data["reappear"]))


@dataclass(frozen=True)
class ModelEvaluation:
    """One model's evaluation: coherence per measure, diversity, stability (None without
    re-fits) and the fit's own statistics (log_perplexity or reconstruction_error, ...)."""

    type: str
    n_topics: int
    coherence: Mapping[str, Coherence]
    diversity: float
    stability: Stability | None = None
    fit_stats: Mapping[str, float | int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "n_topics": self.n_topics,
                "coherence": {m: c.to_json() for m, c in self.coherence.items()},
                "diversity": _r(self.diversity),
                "stability": self.stability.to_json() if self.stability is not None else None,
                **self.fit_stats}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelEvaluation:
        known = {"type", "n_topics", "coherence", "diversity", "stability"}
        st = data.get("stability")
        return cls(str(data["type"]), int(data["n_topics"]),
                   {m: Coherence.from_json(c) for m, c in data["coherence"].items()},
                   float(data["diversity"]), Stability.from_json(st) if st else None,
                   {k: v for k, v in data.items() if k not in known})


def coherence(topics: Sequence[Sequence[str]], texts: Sequence[Sequence[str]],
              measures: Sequence[str] = COHERENCE_MEASURES, top_n: int = 10,
              processes: int = 1, counts: sp.csr_matrix | None = None,
              vocab: Sequence[str] | None = None,
              on_measure: Callable[[str], None] | None = None) -> dict[str, Coherence]:
    """Per-topic and mean coherence for each measure, from gensim's CoherenceModel.

    `topics`: top terms per topic (best first); `texts`: the segment token lists. Single
    process by default (gensim's multiprocessing hangs on small corpora). With the
    document-term matrix (`counts`, n_segments x n_terms, and its `vocab`), gensim's dictionary
    is made from the vocabulary and u_mass streams the matrix's rows, instead of a second copy
    of every segment as a bag of words (same figures; 10^6 short texts: see docs/benchmarks.md).
    The sliding-window measures (c_v, c_npmi) count their windows with
    :func:`topicbook.cooccurrence.windowed_coherence` (gensim's counts, from arrays) and score them with gensim's own segmentation and
    confirmation measure: the same figures as CoherenceModel's, several times faster.
    `on_measure(measure)` is called after each measure (a progress bar's step).
    """
    # gensim is imported here, not at the top: `topicbook validate` and `--help` never need it
    from gensim.corpora import Dictionary
    from gensim.matutils import Sparse2Corpus
    from gensim.models import CoherenceModel

    from topicbook.cooccurrence import WINDOWED_MEASURES, windowed_coherence

    if counts is not None and vocab is not None:
        dictionary = Dictionary()
        dictionary.token2id = {w: i for i, w in enumerate(vocab)}
        csr = sp.csr_matrix(counts)
        dictionary.dfs = dict(enumerate(np.diff(csr.tocsc().indptr).tolist()))
        dictionary.num_docs = csr.shape[0]
        corpus: Any = Sparse2Corpus(csr, documents_columns=False) if "u_mass" in measures else None
    else:
        dictionary = Dictionary(texts)
        corpus = [dictionary.doc2bow(t) for t in texts] if "u_mass" in measures else None
    topics = [[t for t in topic[:top_n] if t in dictionary.token2id] for topic in topics]
    out: dict[str, Coherence] = {}
    for measure in measures:
        kwargs: dict[str, Any] = {"corpus": corpus} if measure == "u_mass" else {"texts": texts}
        cm = CoherenceModel(topics=topics, dictionary=dictionary, coherence=measure,
                            topn=top_n, processes=processes, **kwargs)
        if measure in WINDOWED_MEASURES and processes == 1:
            values = windowed_coherence(cm, texts)
        else:
            values = cm.get_coherence_per_topic()
        per_topic = tuple(float(x) if np.isfinite(x) else float("nan") for x in values)
        out[measure] = Coherence(float(np.nanmean(per_topic)) if per_topic else float("nan"), per_topic)
        if on_measure is not None:
            on_measure(measure)
    return out


def topic_diversity(topics: Sequence[Sequence[str]], top_n: int = 25) -> float:
    """Share of unique terms among the top-`top_n` terms of all topics (1 = no overlap)."""
    words = [w for topic in topics for w in topic[:top_n]]
    return len(set(words)) / len(words) if words else float("nan")


def match_topics(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hungarian matching of topics in `b` to topics in `a` by topic-term cosine.

    Returns (index in b for each topic of a, cosine similarity of each pair).
    """
    sim = cosine_matrix(a, b)
    pairs = hungarian(sim)
    order = np.empty(a.shape[0], dtype=int)
    for row, col in pairs:
        order[row] = col
    return order, np.array([sim[row, col] for row, col in pairs])


def stability(reference: np.ndarray, others: Sequence[np.ndarray], vocab_top: int = 10,
              jaccard_at: float = 0.9) -> Stability:
    """Stability of the reference model's topics across re-fits with other seeds.

    Per topic: mean matched cosine over runs, and the share of runs where the matched topic's
    top-`vocab_top` terms have Jaccard >= `jaccard_at` with the reference's.
    """
    if not others:
        return Stability(0, float("nan"), (), ())
    sims: list[np.ndarray] = []
    reappear: list[np.ndarray] = []
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
    return Stability(len(others), float(per_topic.mean()), tuple(per_topic.tolist()),
                     tuple(np.mean(reappear, axis=0).tolist()))

"""Topic summaries: top terms, relevance, exclusivity, prevalence, labels and exemplar quotes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from topicbook.ids import topic_id
from topicbook.models import FittedModel
from topicbook.preprocess import DocumentTermMatrix
from topicbook.segment import Segment


@dataclass(frozen=True)
class TopicSummary:
    """One topic, ready for tables and the explorer. `id` is 0-based; `display_id` "T01"."""

    id: int
    label: str
    top_terms: tuple[str, ...]
    top_weights: tuple[float, ...]
    relevant_terms: tuple[str, ...]
    exclusive_terms: tuple[str, ...]
    prevalence: float
    quotes: tuple[str, ...]  # segment ids, best first
    seeded_code: str | None = None

    @property
    def display_id(self) -> str:
        return topic_id(self.id)

    def to_json(self) -> dict[str, Any]:
        """One entry of topics.json (exact floats; topics.csv shows them rounded)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TopicSummary:
        return cls(id=int(data["id"]), label=str(data["label"]), top_terms=tuple(data["top_terms"]),
                   top_weights=tuple(float(w) for w in data["top_weights"]),
                   relevant_terms=tuple(data["relevant_terms"]), exclusive_terms=tuple(data["exclusive_terms"]),
                   prevalence=float(data["prevalence"]), quotes=tuple(data["quotes"]),
                   seeded_code=data.get("seeded_code"))


def relevance(topic_term: np.ndarray, term_freq: np.ndarray, lam: float) -> np.ndarray:
    """Sievert & Shirley (2014): lam * log p(w|k) + (1 - lam) * log(p(w|k) / p(w)); (K, V)."""
    eps = 1e-12
    log_p = np.log(topic_term + eps)
    return lam * log_p + (1.0 - lam) * (log_p - np.log(term_freq + eps))


def exclusivity(topic_term: np.ndarray, weight: float = 0.5) -> np.ndarray:
    """FREX-like score: weighted harmonic mean of a term's within-topic frequency rank and its
    exclusivity rank (p(w|k) / sum_j p(w|j)), both as empirical CDFs per topic; (K, V)."""
    excl = topic_term / np.maximum(topic_term.sum(axis=0, keepdims=True), 1e-12)
    freq_rank = np.argsort(np.argsort(topic_term, axis=1), axis=1) / topic_term.shape[1]
    excl_rank = np.argsort(np.argsort(excl, axis=1), axis=1) / topic_term.shape[1]
    return 1.0 / (weight / np.maximum(excl_rank, 1e-9) + (1 - weight) / np.maximum(freq_rank, 1e-9))


def summarize(model: FittedModel, dtm: DocumentTermMatrix, segments: Mapping[str, Segment], *,
              top_n: int = 10, quotes: int = 5, lam: float = 0.6, min_quote_words: int = 12,
              labels: Mapping[str, str] | None = None) -> list[TopicSummary]:
    """Summaries of every topic of a fitted model.

    Prevalence is the share of all tokens assigned to the topic: sum_d n_d theta_dk / sum_d n_d.
    Quotes are the highest-weight segments with at least `min_quote_words` words, at most one
    per document while other documents remain.
    """
    vocab = np.asarray(dtm.vocab)
    tt = model.topic_term
    lengths = np.asarray(dtm.counts.sum(axis=1)).ravel().astype(float)
    prevalence = (model.doc_topic * lengths[:, None]).sum(axis=0) / lengths.sum()
    rel = relevance(tt, dtm.term_frequency(), lam)
    frex = exclusivity(tt)
    labels = labels or {}
    out = []
    for k in range(model.n_topics):
        top = np.argsort(-tt[k])[:top_n]
        seg_order = np.argsort(-model.doc_topic[:, k], kind="stable")
        display = topic_id(k)
        auto_label = " / ".join(vocab[np.argsort(-rel[k])[:3]])
        out.append(TopicSummary(
            id=k,
            label=labels.get(f"{model.name}.{display}", labels.get(display, auto_label)) if labels else auto_label,
            top_terms=tuple(vocab[top]),
            top_weights=tuple(float(x) for x in tt[k, top]),
            relevant_terms=tuple(vocab[np.argsort(-rel[k])[:top_n]]),
            exclusive_terms=tuple(vocab[np.argsort(-frex[k])[:top_n]]),
            prevalence=float(prevalence[k]),
            quotes=tuple(pick_quotes(seg_order, dtm.segment_ids, segments, quotes, min_quote_words)),
            seeded_code=model.seeded_codes.get(k),
        ))
    return out


def pick_quotes(order: Sequence[int] | np.ndarray, segment_ids: Sequence[str], segments: Mapping[str, Segment],
                n: int, min_words: int) -> list[str]:
    """The first `n` segments in `order` with enough words, one per document while possible."""
    chosen: list[str] = []
    seen_docs: set[str] = set()
    fallback: list[str] = []
    for i in order[: max(200, 20 * n)]:
        seg = segments[segment_ids[i]]
        if seg.n_words < min_words:
            continue
        if seg.document in seen_docs:
            fallback.append(seg.id)
            continue
        chosen.append(seg.id)
        seen_docs.add(seg.document)
        if len(chosen) == n:
            return chosen
    return chosen + fallback[: n - len(chosen)]

"""Topic-code alignment: which codes the data confirms, splits, merges or lacks; which topics
are new.

Similarity of topic k and code c is the mean of two correlations:
- term-based: Pearson correlation, over the vocabulary, of the topic's term distribution
  p(w|k) and the code's seed vector (keywords 1, definition/name/example terms 0.3, each
  divided by the number of codes sharing the term);
- document-based: Pearson correlation, over segments, of the topic's weight theta_dk and the
  code's seed-term density in the segment (seed weight x count / segment length).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from topicbook.codebook import Codebook, SeedTerms
from topicbook.models import FittedModel
from topicbook.preprocess import DocumentTermMatrix

STATUSES = ("matched", "split", "merged", "not_found", "no_seed_terms", "emergent")


@dataclass(frozen=True)
class Alignment:
    """One model's topic x code comparison.

    similarity, term_similarity, doc_similarity: (n_topics, n_codes).
    matches: code -> topic (one-to-one, Hungarian, above threshold).
    splits: code -> topics carrying it; merges: topic -> codes it carries.
    cell_quotes: (topic, code) -> segment ids behind the cell, best first.
    """

    model: str
    code_ids: tuple[str, ...]
    similarity: np.ndarray
    term_similarity: np.ndarray
    doc_similarity: np.ndarray
    threshold: float
    matches: dict[str, int]
    splits: dict[str, list[int]]
    merges: dict[int, list[str]]
    not_found: list[str]
    no_seed_terms: list[str]
    emergent: list[int]
    code_scores: np.ndarray  # (n_segments, n_codes) seed-term density
    cell_quotes: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    code_quotes: dict[str, list[str]] = field(default_factory=dict)
    keyword_hits: dict[str, int] = field(default_factory=dict)

    def code_status(self, code_id: str) -> list[str]:
        status = []
        if code_id in self.matches:
            status.append("matched")
        if code_id in self.splits:
            status.append("split")
        if any(code_id in codes for codes in self.merges.values()):
            status.append("merged")
        if code_id in self.no_seed_terms:  # the specific reason a code is not found
            status.append("no_seed_terms")
        elif code_id in self.not_found:
            status.append("not_found")
        return status


def _row_corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of every column of a (n, K) with every column of b (n, C): (K, C)."""
    a = a - a.mean(axis=0, keepdims=True)
    b = b - b.mean(axis=0, keepdims=True)
    na = np.linalg.norm(a, axis=0)
    nb = np.linalg.norm(b, axis=0)
    denom = np.outer(na, nb)
    out = np.divide(a.T @ b, denom, out=np.zeros((a.shape[1], b.shape[1])), where=denom > 0)
    return out


def code_density(dtm: DocumentTermMatrix, seed_matrix: np.ndarray) -> np.ndarray:
    """Seed-term density per segment and code: (counts @ seeds.T) / length, (n_segments, n_codes)."""
    lengths = np.maximum(np.asarray(dtm.counts.sum(axis=1)).ravel(), 1)
    return np.asarray(dtm.counts @ seed_matrix.T) / lengths[:, None]


def align(model: FittedModel, dtm: DocumentTermMatrix, codebook: Codebook, seeds: SeedTerms, *,
          threshold: float = 0.25, split_ratio: float = 0.6, quotes: int = 3) -> Alignment:
    """Compare one fitted model with the codebook (see module docstring for the measures)."""
    code_ids = tuple(codebook.ids())
    seed_matrix = np.vstack([seeds.vector(c, dtm.n_terms) for c in code_ids])  # (C, V)
    term_sim = _row_corr(model.topic_term.T, seed_matrix.T)  # (K, C)
    density = code_density(dtm, seed_matrix)
    doc_sim = _row_corr(model.doc_topic, density)
    sim = (term_sim + doc_sim) / 2.0
    usable = seed_matrix.sum(axis=1) > 0
    sim[:, ~usable] = 0.0

    rows, cols = linear_sum_assignment(-sim)
    matches = {code_ids[c]: int(k) for k, c in zip(rows, cols, strict=True) if sim[k, c] >= threshold}
    splits: dict[str, list[int]] = {}
    merges: dict[int, list[str]] = {}
    for c, code in enumerate(code_ids):
        best = sim[:, c].max()
        strong = [int(k) for k in np.argsort(-sim[:, c]) if sim[k, c] >= threshold and sim[k, c] >= split_ratio * best]
        if len(strong) >= 2:
            splits[code] = strong
    for k in range(model.n_topics):
        best = sim[k].max()
        strong = [code_ids[c] for c in np.argsort(-sim[k]) if sim[k, c] >= threshold and sim[k, c] >= split_ratio * best]
        if len(strong) >= 2:
            merges[k] = strong
    no_seed = [code_ids[c] for c in range(len(code_ids)) if not usable[c]]
    # a code without any seed term in the vocabulary is also not found (no_seed_terms says why)
    not_found = [code_ids[c] for c in range(len(code_ids)) if not usable[c] or sim[:, c].max() < threshold]
    emergent = [k for k in range(model.n_topics) if sim[k].max() < threshold]

    cell_quotes: dict[tuple[int, int], list[str]] = {}
    for k in range(model.n_topics):
        for c in range(len(code_ids)):
            score = model.doc_topic[:, k] * density[:, c]
            top = [i for i in np.argsort(-score, kind="stable")[:quotes] if score[i] > 0]
            cell_quotes[(k, c)] = [dtm.segment_ids[i] for i in top]
    code_quotes = {}
    hits = {}
    for c, code in enumerate(code_ids):
        order = [i for i in np.argsort(-density[:, c], kind="stable")[:quotes] if density[i, c] > 0]
        code_quotes[code] = [dtm.segment_ids[i] for i in order]
        hits[code] = int((density[:, c] > 0).sum())
    return Alignment(model.name, code_ids, sim, term_sim, doc_sim, threshold, matches, splits,
                     merges, not_found, no_seed, emergent, density, cell_quotes, code_quotes, hits)


def alignment_rows(al: Alignment, topic_labels: Sequence[str]) -> list[dict]:
    """Flat rows for alignment.csv: one per (topic, code) relation, not-found code and emergent topic."""
    rows = []
    code_index = {c: i for i, c in enumerate(al.code_ids)}

    def row(status: str, topic: int | None, code: str | None) -> dict:
        k, c = topic, (code_index[code] if code is not None else None)
        return {
            "model": al.model, "status": status,
            "topic": f"T{k + 1:02d}" if k is not None else "",
            "topic_label": topic_labels[k] if k is not None else "",
            "code": code or "",
            "similarity": round(float(al.similarity[k, c]), 4) if k is not None and c is not None else "",
            "term_similarity": round(float(al.term_similarity[k, c]), 4) if k is not None and c is not None else "",
            "doc_similarity": round(float(al.doc_similarity[k, c]), 4) if k is not None and c is not None else "",
        }

    for code, k in sorted(al.matches.items(), key=lambda x: x[1]):
        rows.append(row("matched", k, code))
    for code, topics in al.splits.items():
        rows.extend(row("split", k, code) for k in topics)
    for k, codes in sorted(al.merges.items()):
        rows.extend(row("merged", k, code) for code in codes)
    rows.extend(row("not_found", None, code) for code in al.not_found)
    rows.extend(row("no_seed_terms", None, code) for code in al.no_seed_terms)
    rows.extend(row("emergent", k, None) for k in al.emergent)
    return rows

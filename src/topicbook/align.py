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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from topicbook.codebook import Codebook, SeedTerms
from topicbook.ids import parse_topic_id, topic_id
from topicbook.models import FittedModel
from topicbook.pairing import column_correlations, hungarian
from topicbook.preprocess import DocumentTermMatrix

QUOTE_BLOCK_VALUES = 4_000_000  # segment x code scores sorted at once for the cell quotes
STATUSES = ("matched", "split", "merged", "not_found", "no_seed_terms", "emergent")


@dataclass(frozen=True)
class Alignment:
    """One model's topic x code comparison.

    similarity, term_similarity, doc_similarity: (n_topics, n_codes).
    matches: code -> topic (one-to-one, Hungarian, above threshold).
    splits: code -> topics carrying it; merges: topic -> codes it carries.
    cell_quotes: (topic, code index) -> segment ids behind the cell, best first.
    code_quotes: code -> segments densest in its seed terms; keyword_hits: code -> segments
    with any seed term; topic_labels: the model's topic labels (for the tables).
    One entry of alignment.json (`to_json` / `from_json`; matrices rounded to 4 decimals).
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
    cell_quotes: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    code_quotes: dict[str, list[str]] = field(default_factory=dict)
    keyword_hits: dict[str, int] = field(default_factory=dict)
    topic_labels: tuple[str, ...] = ()

    @property
    def n_topics(self) -> int:
        return int(self.similarity.shape[0])

    @cached_property
    def _listed(self) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """(merged, no_seed_terms, not_found) as sets: code_status is called once per code."""
        merged = frozenset(c for codes in self.merges.values() for c in codes)
        return merged, frozenset(self.no_seed_terms), frozenset(self.not_found)

    def code_status(self, code_id: str) -> list[str]:
        merged, no_seed_terms, not_found = self._listed
        status = []
        if code_id in self.matches:
            status.append("matched")
        if code_id in self.splits:
            status.append("split")
        if code_id in merged:
            status.append("merged")
        if code_id in no_seed_terms:  # the specific reason a code is not found
            status.append("no_seed_terms")
        elif code_id in not_found:
            status.append("not_found")
        return status

    def to_json(self) -> dict[str, Any]:
        """This model's entry of alignment.json (topics as "T01"; similarities to 4 decimals)."""
        def matrix(m: np.ndarray) -> list[list[float]]:
            return [[round(float(v), 4) for v in row] for row in m]

        return {
            "codes": list(self.code_ids),
            "topics": [topic_id(k) for k in range(self.n_topics)],
            "topic_labels": list(self.topic_labels),
            "threshold": self.threshold,
            "similarity": matrix(self.similarity),
            "term_similarity": matrix(self.term_similarity),
            "doc_similarity": matrix(self.doc_similarity),
            "matches": {c: topic_id(k) for c, k in self.matches.items()},
            "splits": {c: [topic_id(k) for k in ks] for c, ks in self.splits.items()},
            "merges": {topic_id(k): cs for k, cs in self.merges.items()},
            "not_found": self.not_found,
            "no_seed_terms": self.no_seed_terms,
            "emergent": [topic_id(k) for k in self.emergent],
            "codes_evidence": {
                c: {"status": self.code_status(c), "keyword_hits": self.keyword_hits.get(c, 0),
                    "quotes": self.code_quotes.get(c, []),
                    "matched_topic": topic_id(self.matches[c]) if c in self.matches else None}
                for c in self.code_ids
            },
            "cell_quotes": self._cells_json(),
        }

    def _cells_json(self) -> dict[str, dict[str, list[str]]]:
        cells: dict[str, dict[str, list[str]]] = {topic_id(k): {} for k in range(self.n_topics)}
        for (k, c), ids in self.cell_quotes.items():
            if ids:
                cells[topic_id(k)][self.code_ids[c]] = list(ids)
        return cells

    @classmethod
    def from_json(cls, model: str, data: Mapping[str, Any]) -> Alignment:
        """The alignment of `model` from its alignment.json entry."""
        codes = tuple(str(c) for c in data["codes"])
        index = {c: i for i, c in enumerate(codes)}
        evidence = data.get("codes_evidence", {})
        return cls(
            model=model, code_ids=codes,
            similarity=np.asarray(data["similarity"], dtype=float).reshape(-1, len(codes)),
            term_similarity=np.asarray(data["term_similarity"], dtype=float).reshape(-1, len(codes)),
            doc_similarity=np.asarray(data["doc_similarity"], dtype=float).reshape(-1, len(codes)),
            threshold=float(data["threshold"]),
            matches={c: parse_topic_id(t) for c, t in data["matches"].items()},
            splits={c: [parse_topic_id(t) for t in ts] for c, ts in data["splits"].items()},
            merges={parse_topic_id(t): list(cs) for t, cs in data["merges"].items()},
            not_found=list(data["not_found"]), no_seed_terms=list(data["no_seed_terms"]),
            emergent=[parse_topic_id(t) for t in data["emergent"]],
            cell_quotes={(parse_topic_id(t), index[c]): list(ids)
                         for t, cells in data.get("cell_quotes", {}).items() for c, ids in cells.items()},
            code_quotes={c: list(e.get("quotes", [])) for c, e in evidence.items()},
            keyword_hits={c: int(e.get("keyword_hits", 0)) for c, e in evidence.items()},
            topic_labels=tuple(data.get("topic_labels", ())),
        )


def _top_rows(scores: np.ndarray, n: int) -> np.ndarray:
    """Row indices of the `n` highest values of each column of `scores` (n_rows, n_cols), best
    first, ties in row order: (min(n, n_rows), n_cols), as a stable argsort per column gives."""
    return np.argsort(-scores, axis=0, kind="stable")[:n]


def code_density(dtm: DocumentTermMatrix, seed_matrix: np.ndarray) -> np.ndarray:
    """Seed-term density per segment and code: (counts @ seeds.T) / length, (n_segments, n_codes)."""
    lengths = np.maximum(np.asarray(dtm.counts.sum(axis=1)).ravel(), 1)
    return np.asarray(dtm.counts @ seed_matrix.T) / lengths[:, None]


def align(model: FittedModel, dtm: DocumentTermMatrix, codebook: Codebook, seeds: SeedTerms, *,
          threshold: float = 0.25, split_ratio: float = 0.6, quotes: int = 3,
          topic_labels: Sequence[str] = ()) -> Alignment:
    """Compare one fitted model with the codebook (see module docstring for the measures)."""
    code_ids = tuple(codebook.ids())
    seed_matrix = np.vstack([seeds.vector(c, dtm.n_terms) for c in code_ids])  # (C, V)
    term_sim = column_correlations(model.topic_term.T, seed_matrix.T)  # (K, C)
    density = code_density(dtm, seed_matrix)
    doc_sim = column_correlations(model.doc_topic, density)
    sim = (term_sim + doc_sim) / 2.0
    usable = seed_matrix.sum(axis=1) > 0
    sim[:, ~usable] = 0.0

    matches = {code_ids[c]: k for k, c in hungarian(sim) if sim[k, c] >= threshold}
    splits: dict[str, list[int]] = {}
    merges: dict[int, list[str]] = {}
    for c, code in enumerate(code_ids):
        best = sim[:, c].max()
        strong = [int(k) for k in np.argsort(-sim[:, c]) if sim[k, c] >= threshold and sim[k, c] >= split_ratio * best]
        if len(strong) >= 2:
            splits[code] = strong
    for k in range(model.n_topics):
        best = sim[k].max()
        carried = [code_ids[c] for c in np.argsort(-sim[k]) if sim[k, c] >= threshold and sim[k, c] >= split_ratio * best]
        if len(carried) >= 2:
            merges[k] = carried
    no_seed = [code_ids[c] for c in range(len(code_ids)) if not usable[c]]
    # a code without any seed term in the vocabulary is also not found (no_seed_terms says why)
    not_found = [code_ids[c] for c in range(len(code_ids)) if not usable[c] or sim[:, c].max() < threshold]
    emergent = [k for k in range(model.n_topics) if sim[k].max() < threshold]

    cell_quotes: dict[tuple[int, int], list[str]] = {}
    code_quotes: dict[str, list[str]] = {}
    ids = dtm.segment_ids
    block = max(1, QUOTE_BLOCK_VALUES // max(1, density.shape[0]))  # codes per block: (n_segments, block) scores
    for start in range(0, len(code_ids), block):
        part = density[:, start:start + block]
        top = _top_rows(part, quotes)
        for j in range(part.shape[1]):
            code_quotes[code_ids[start + j]] = [ids[i] for i in top[:, j] if part[i, j] > 0]
        for k in range(model.n_topics):
            score = model.doc_topic[:, k, None] * part
            top = _top_rows(score, quotes)
            for j in range(part.shape[1]):
                cell_quotes[(k, start + j)] = [ids[i] for i in top[:, j] if score[i, j] > 0]
    cell_quotes = {key: cell_quotes[key] for key in sorted(cell_quotes)}  # topic by topic, codes in order
    hits = (density > 0).sum(axis=0)
    return Alignment(model.name, code_ids, sim, term_sim, doc_sim, threshold, matches, splits,
                     merges, not_found, no_seed, emergent, cell_quotes, code_quotes,
                     {code: int(n) for code, n in zip(code_ids, hits, strict=True)}, tuple(topic_labels))


def alignment_rows(al: Alignment, topic_labels: Sequence[str]) -> list[dict[str, Any]]:
    """Flat rows for alignment.csv: one per (topic, code) relation, not-found code and emergent topic."""
    rows = []
    code_index = {c: i for i, c in enumerate(al.code_ids)}

    def row(status: str, topic: int | None, code: str | None) -> dict[str, Any]:
        k, c = topic, (code_index[code] if code is not None else None)
        return {
            "model": al.model, "status": status,
            "topic": topic_id(k) if k is not None else "",
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

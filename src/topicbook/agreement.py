"""A run's code scores and, with human codings, their agreement: the orchestration.

For every scoring method (see :mod:`topicbook.scoring`: similarity, selftrained, keywords, each
model's topic weights and `<model>+similarity`) a (n_segments, n_codes) score matrix and a
threshold per code; with human codings (:mod:`topicbook.codings`) the figures of
:mod:`topicbook.metrics` per method, computed only on coded documents, optionally on a held-out
share of them with thresholds set on the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from topicbook.align import Alignment
from topicbook.codebook import Codebook, SeedTerms
from topicbook.codings import HumanCodings
from topicbook.metrics import MethodAgreement, agreement, holdout_split, prevalence_thresholds
from topicbook.models import FittedModel
from topicbook.pairing import hungarian
from topicbook.preprocess import DocumentTermMatrix
from topicbook.scoring import (
    combine_scores,
    dictionary_terms,
    keyword_scores,
    selftrained_scores,
    similarity_scores,
    standardise,
    topic_scores,
)

log = logging.getLogger(__name__)

Z_PREDICT = 2.0
SELF_TRAIN_MAX_SEGMENTS = 50_000
AUTOCODE_COLUMNS = ("segment_id", "document", "method", "rank", "code", "score", "z", "predicted")


@dataclass(frozen=True)
class RunAgreement:
    """Per method: segment x code scores (n_segments, n_codes) and thresholds (n_codes,); with
    human codings, agreement figures per method, the codings and the held-out documents.

    Files: agreement.json (`figures`), codings_report.json (:meth:`report`), scores.npz
    (scores, thresholds, human labels), autocode.csv (:func:`autocode_rows`).
    """

    code_ids: tuple[str, ...]
    segment_ids: tuple[str, ...]
    scores: Mapping[str, np.ndarray]
    thresholds: Mapping[str, np.ndarray]
    figures: Mapping[str, MethodAgreement] = field(default_factory=dict)
    codings: HumanCodings | None = None
    holdout_documents: tuple[str, ...] = ()

    def figures_json(self) -> dict[str, Any]:
        """agreement.json: per method, its figures."""
        return {name: fig.to_json() for name, fig in self.figures.items()}

    def report(self) -> dict[str, Any]:
        """What codings_report.json holds: the codings as read and the evaluation design."""
        out = self.codings.to_json() if self.codings else {}
        out["holdout_documents"] = list(self.holdout_documents)
        out["thresholds"] = ("prevalence of the human codes in the documents not held out"
                             if self.holdout_documents else "prevalence of the human codes in the evaluated segments")
        return out


def code_topics(model: FittedModel, alignment: Alignment) -> dict[str, int]:
    """Each code's topic: the seeded topic of a guided model, else the Hungarian pairing on the
    alignment similarity (whether or not it passed the match threshold)."""
    if model.seeded_codes:
        return {c: k for k, c in model.seeded_codes.items()}
    return {alignment.code_ids[c]: k for k, c in hungarian(alignment.similarity)}


def evaluate_run(dtm: DocumentTermMatrix, texts: Sequence[str], documents: Sequence[str], codebook: Codebook,
                 seeds: SeedTerms, transform: Callable[[str], list[str]], fitted: Sequence[FittedModel],
                 alignments: Mapping[str, Alignment], human: HumanCodings | None, *, seed: int,
                 holdout: float = 0.0, min_positives: int = 5) -> RunAgreement:
    """Scores for every method and, with human codings, their agreement with them.

    texts, documents: the raw text and the document id of each dtm row; transform: the
    corpus's preprocessing of a text (for the codebook's texts).
    """
    code_ids = tuple(codebook.ids())
    scores: dict[str, np.ndarray] = {}
    sim = similarity_scores(dtm, codebook, transform, texts)
    scores["similarity"] = sim
    if len(texts) <= SELF_TRAIN_MAX_SEGMENTS:
        scores["selftrained"] = selftrained_scores(dtm, texts, sim, seed=seed)
    else:
        log.warning("agreement: %d segments; the self-trained score (one regression per code) is skipped above %d.",
                    len(texts), SELF_TRAIN_MAX_SEGMENTS)
    scores["keywords"] = keyword_scores(dtm, dictionary_terms(codebook, seeds, 10), code_ids)
    for model in fitted:
        al = alignments.get(model.name)
        if al is None:
            continue
        topic = topic_scores(model.doc_topic, code_topics(model, al), code_ids)
        scores[model.name] = topic
        scores[f"{model.name}+similarity"] = combine_scores(topic, sim)
    if human is None:
        thresholds = {}
        for name, s in scores.items():
            z = standardise(s)
            thresholds[name] = np.array([s[z[:, c] >= Z_PREDICT, c].min() if (z[:, c] >= Z_PREDICT).any() else np.inf
                                         for c in range(s.shape[1])]) - 1e-12
        return RunAgreement(code_ids, dtm.segment_ids, scores, thresholds)
    docs = np.asarray(documents)
    # Only documents with at least one coding were coded: the others are unknown, not negative.
    coded = np.isin(docs, list(human.documents))
    held = holdout_split(sorted(human.documents), holdout, seed)
    in_held = np.isin(docs, list(held))
    evaluate = coded & in_held if held else coded
    calibrate = coded & ~in_held if held else evaluate
    lengths = np.asarray(dtm.counts.sum(axis=1), dtype=float).ravel()
    figures: dict[str, MethodAgreement] = {}
    thresholds = {}
    for name, s in scores.items():
        figures[name] = agreement(s, human.labels, lengths, code_ids, evaluate=evaluate,
                                  calibrate=calibrate, min_positives=min_positives)
        thresholds[name] = prevalence_thresholds(s[calibrate], human.labels[calibrate])
    return RunAgreement(code_ids, dtm.segment_ids, scores, thresholds, figures, human, tuple(sorted(held)))


def autocode_rows(run: RunAgreement, documents: Mapping[str, str], top: int = 3) -> list[dict[str, Any]]:
    """autocode.csv: per segment and method, its `top` codes by z-score with their scores, and
    every code predicted (score above the method's threshold)."""
    rows = []
    for name, s in run.scores.items():
        z = standardise(s)
        pred = s > run.thresholds[name][None, :]
        for i, seg in enumerate(run.segment_ids):
            order = np.argsort(-z[i], kind="stable")
            chosen = [c for c in order[:top]] + [c for c in order[top:] if pred[i, c]]
            for rank, c in enumerate(chosen, 1):
                rows.append({"segment_id": seg, "document": documents.get(seg, ""), "method": name, "rank": rank,
                             "code": run.code_ids[c], "score": round(float(s[i, c]), 6),
                             "z": round(float(z[i, c]), 4), "predicted": int(pred[i, c])})
    return rows

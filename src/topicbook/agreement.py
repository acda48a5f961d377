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
from topicbook.errors import InputError
from topicbook.metrics import (
    CONFIDENCE,
    MethodAgreement,
    agreement,
    holdout_split,
    prevalence_thresholds,
)
from topicbook.models import FittedModel
from topicbook.pairing import hungarian
from topicbook.preprocess import DocumentTermMatrix
from topicbook.sampling import Sample
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


SAMPLE_KEY = "sample"  # agreement.json's section for the hand-coded random sample (not a method name)


@dataclass(frozen=True)
class SampleAgreement:
    """Agreement on exactly the segments of a hand-coded sample (agreement.json `sample`).

    A random sample coded in full is the unbiased estimate of each method's agreement
    (Carlsen and Ralund 2022): every sampled segment counts, coded or not (an uncoded sampled
    segment is a segment the coder saw and gave no code). Thresholds are those of the run's
    main figures; intervals resample the sample's documents.
    """

    sample: Sample
    source: str
    n_segments: int
    n_documents: int
    figures: Mapping[str, MethodAgreement]

    def to_json(self) -> dict[str, Any]:
        s = self.sample
        return {"source": self.source, "run": s.run, "method": s.method, "random": s.is_random, "seed": s.seed,
                "stratify": s.stratify, "model": s.model, "population": s.population,
                "n_segments": self.n_segments, "n_documents": self.n_documents,
                "methods": {name: fig.to_json() for name, fig in self.figures.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SampleAgreement:
        sample = Sample(run=str(data["run"]), method=str(data["method"]), seed=int(data["seed"]),
                        n_requested=int(data["n_segments"]), population=int(data["population"]), segment_ids=(),
                        stratify=data.get("stratify"), model=data.get("model"))
        return cls(sample, str(data["source"]), int(data["n_segments"]), int(data["n_documents"]),
                   {m: MethodAgreement.from_json(f) for m, f in data["methods"].items()})


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
    sample: SampleAgreement | None = None
    resamples: int = 0

    def figures_json(self) -> dict[str, Any]:
        """agreement.json: per method, its figures; with a hand-coded sample, its `sample` section."""
        out = {name: fig.to_json() for name, fig in self.figures.items()}
        if self.sample is not None:
            out[SAMPLE_KEY] = self.sample.to_json()
        return out

    def report(self) -> dict[str, Any]:
        """What codings_report.json holds: the codings as read and the evaluation design."""
        out = self.codings.to_json() if self.codings else {}
        out["holdout_documents"] = list(self.holdout_documents)
        out["thresholds"] = ("prevalence of the human codes in the documents not held out"
                             if self.holdout_documents else "prevalence of the human codes in the evaluated segments")
        out["intervals"] = {"level": CONFIDENCE, "method": "percentile bootstrap (scipy.stats.bootstrap)",
                            "resampled": "evaluated documents, with replacement; thresholds fixed",
                            "resamples": self.resamples}
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
                 holdout: float = 0.0, min_positives: int = 5, resamples: int = 0,
                 sample: Sample | None = None, sample_source: str = "") -> RunAgreement:
    """Scores for every method and, with human codings, their agreement with them.

    texts, documents: the raw text and the document id of each dtm row; transform: the
    corpus's preprocessing of a text (for the codebook's texts). resamples: bootstrap
    resamples of the evaluated documents for every figure's interval (seeded by `seed`).
    sample: a hand-coded sample (needs `human`): its figures on exactly its segments.
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
                                  calibrate=calibrate, min_positives=min_positives, documents=docs,
                                  resamples=resamples, seed=seed)
        thresholds[name] = prevalence_thresholds(s[calibrate], human.labels[calibrate])
    sampled = None
    if sample is not None:
        rows = sample_rows(sample, dtm.segment_ids, sample_source)
        sample_figures = {name: agreement(s, human.labels, lengths, code_ids, evaluate=rows, calibrate=calibrate,
                                          min_positives=min_positives, documents=docs, resamples=resamples, seed=seed)
                          for name, s in scores.items()}
        sampled = SampleAgreement(sample, sample_source, int(rows.sum()), len(set(docs[rows])), sample_figures)
    return RunAgreement(code_ids, dtm.segment_ids, scores, thresholds, figures, human, tuple(sorted(held)),
                        sampled, resamples)


def sample_rows(sample: Sample, segment_ids: Sequence[str], source: str) -> np.ndarray:
    """Bool mask of the rows of `segment_ids` in the sample; every sampled segment must be one."""
    row = {s: i for i, s in enumerate(segment_ids)}
    missing = [s for s in sample.segment_ids if s not in row]
    if missing:
        raise InputError(f"{source}: {len(missing)} of the sample's {len(sample.segment_ids)} segments are not segments of this run (first: {missing[0]}); the sample was drawn from run '{sample.run}' with other segments. Draw the sample again from a run of this config.")
    mask = np.zeros(len(segment_ids), dtype=bool)
    mask[[row[s] for s in sample.segment_ids]] = True
    return mask


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

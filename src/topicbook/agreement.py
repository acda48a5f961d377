"""A run's code scores and, with human codings, their agreement: the orchestration.

For every scoring method (see :mod:`topicbook.scoring`: similarity, selftrained, keywords, each
model's topic weights and `<model>+similarity`) a (n_segments, n_codes) score matrix and a
threshold per code; with human codings (:mod:`topicbook.codings`) the figures of
:mod:`topicbook.metrics` per method, computed only on coded segments, optionally on a held-out
share of the coded documents with thresholds set on the others.

With codings, the method `learned` (:mod:`topicbook.learning`) joins them, first: the codebook
prior (the self-trained score; the similarity score above SELF_TRAIN_MAX_SEGMENTS) blended with
a regression on the coded segments. Its figures, scores of coded segments and thresholds come
from the grouped cross-validation only (out-of-fold); its learning curve and the segments to
code next (suggestions) come with it. The word and character spaces are built once
(:func:`topicbook.scoring.feature_spaces`) and shared by every score that needs them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from topicbook.align import Alignment
from topicbook.codebook import Codebook, SeedTerms
from topicbook.codings import HumanCodings, coded_mask
from topicbook.errors import InputError
from topicbook.learning import (
    LearnedScores,
    LearningCurve,
    Suggestion,
    learn_scores,
    learned_agreement,
    learning_curve,
    suggest_next,
)
from topicbook.metrics import (
    CONFIDENCE,
    LengthFloor,
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
    FeatureSpaces,
    combine_scores,
    dictionary_terms,
    feature_spaces,
    keyword_scores,
    selftrained_from_spaces,
    similarity_from_spaces,
    standardise,
    topic_scores,
)
from topicbook.spreadsheet import neutralise_cell
from topicbook.threads import one_thread

log = logging.getLogger(__name__)

Z_PREDICT = 2.0
SELF_TRAIN_MAX_SEGMENTS = 50_000
AUTOCODE_COLUMNS = ("segment_id", "document", "method", "rank", "code", "score", "z", "predicted")
LEARNED = "learned"
LEARNED_FIT = "learned_fit"  # agreement.json: how `learned` was fitted, per code
LEARNING_CURVE = "learning_curve"  # agreement.json: agreement against the number of coded documents
SAMPLE_KEY = "sample"  # agreement.json's section for the hand-coded random sample (not a method name)
SECTIONS = (SAMPLE_KEY, LEARNED_FIT, LEARNING_CURVE)  # agreement.json keys that are not methods
CURVE_MAX_POINTS = 6
# the learning curve's budget in a run, in work units (topicbook.learning.curve_work: regressions x
# (1,000 + training segments)); counted from the data, so the same on every machine; about a
# minute on one core of the 2-core AMD EPYC server the benchmarks ran on
CURVE_MAX_WORK = 2_500_000
SUGGESTION_COLUMNS = ("rank", "segment_id", "document", "code", "reason", "utility", "uncertainty", "score",
                      "threshold", "text")


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
    coded: np.ndarray | None = None  # (n_segments,) bool: segments whose codes are known
    reviewed: tuple[str, ...] = ()  # segments reviewed one by one (codings.reviewed)
    reviewed_source: str = ""
    learned: LearnedScores | None = None
    prior: str = ""  # the label-free method `learned` starts from
    group_column: str | None = None  # the metadata column of the CV's groups (None: documents)
    curve: LearningCurve | None = None
    suggestions: tuple[Suggestion, ...] = ()

    def figures_json(self) -> dict[str, Any]:
        """agreement.json: per method, its figures; with a hand-coded sample, its `sample`
        section; with `learned`, how it was fitted (`learned_fit`) and its learning curve
        (`learning_curve`)."""
        out: dict[str, Any] = {name: fig.to_json() for name, fig in self.figures.items()}
        if self.sample is not None:
            out[SAMPLE_KEY] = self.sample.to_json()
        if self.learned is not None:
            out[LEARNED_FIT] = {"prior": self.prior, "groups": self.group_column or "document",
                                **self.learned.fit_json()}
        if self.curve is not None:
            out[LEARNING_CURVE] = self.curve.to_json()
        return out

    def coverage(self) -> tuple[int, int]:
        """(codes the agreement figures cover, codes the human codings give to any segment).
        The figures leave out codes with fewer than `codings.min_positives` coded segments
        among the evaluated ones; (0, 0) without codings."""
        if self.codings is None or not self.figures:
            return 0, 0
        coded = int((np.asarray(self.codings.labels).sum(axis=0) > 0).sum())
        return max(f.n_codes for f in self.figures.values()), coded

    def report(self) -> dict[str, Any]:
        """What codings_report.json holds: the codings as read and the evaluation design."""
        out = self.codings.to_json() if self.codings else {}
        out["holdout_documents"] = list(self.holdout_documents)
        out["thresholds"] = ("prevalence of the human codes in the documents not held out"
                             if self.holdout_documents else "prevalence of the human codes in the evaluated segments")
        out["intervals"] = {"level": CONFIDENCE, "method": "percentile bootstrap (scipy.stats.bootstrap)",
                            "resampled": "evaluated documents, with replacement; thresholds fixed",
                            "resamples": self.resamples}
        if self.coded is not None:
            out["coded_segments"] = int(self.coded.sum())
        if self.reviewed:
            out["reviewed"] = {"source": self.reviewed_source, "segments": len(self.reviewed),
                               "segment_ids": list(self.reviewed)}
        return out


def code_topics(model: FittedModel, alignment: Alignment) -> dict[str, int]:
    """Each code's topic: the seeded topic of a guided model, else the Hungarian pairing on the
    alignment similarity (whether or not it passed the match threshold)."""
    if model.seeded_codes:
        return {c: k for k, c in model.seeded_codes.items()}
    return {alignment.code_ids[c]: k for k, c in hungarian(alignment.similarity)}


Stage = Callable[[str], AbstractContextManager[Any]]


def _no_stage(name: str) -> AbstractContextManager[Any]:
    return nullcontext()


@one_thread
def evaluate_run(dtm: DocumentTermMatrix, texts: Sequence[str], documents: Sequence[str], codebook: Codebook,
                 seeds: SeedTerms, transform: Callable[[str], list[str]], fitted: Sequence[FittedModel],
                 alignments: Mapping[str, Alignment], human: HumanCodings | None, *, seed: int,
                 holdout: float = 0.0, min_positives: int = 5, resamples: int = 0,
                 sample: Sample | None = None, sample_source: str = "", reviewed: Sequence[str] = (),
                 reviewed_source: str = "", groups: Sequence[str] | None = None, group_column: str | None = None,
                 n_suggestions: int = 20, curve: bool = True, stage: Stage = _no_stage,
                 spaces: FeatureSpaces | None = None) -> RunAgreement:
    """Scores for every method and, with human codings, their agreement with them, the learned
    score (`learned`, first), its learning curve and `n_suggestions` segments to code next.

    texts, documents: the raw text and the document id of each dtm row; transform: the
    corpus's preprocessing of a text (for the codebook's texts). resamples: bootstrap
    resamples of the evaluated documents for every figure's interval (seeded by `seed`).
    sample: a hand-coded sample (needs `human`): its figures on exactly its segments.
    reviewed: segment ids reviewed
    one by one (:func:`topicbook.codings.coded_mask`); groups: per dtm row the unit the
    cross-validation keeps whole (default: its document), read from metadata `group_column`.
    curve: compute the learning curve (capped at CURVE_MAX_POINTS sizes and CURVE_MAX_WORK work units).
    stage: a context manager per named step (`Timer.stage`): learned, learning_curve, suggestions.
    spaces: the run's feature spaces of `dtm` and `texts` (:func:`topicbook.scoring.feature_spaces`;
    built here when not given), shared with the learned score and the verdicts.
    """
    code_ids = tuple(codebook.ids())
    scores: dict[str, np.ndarray] = {}
    spaces = spaces or feature_spaces(dtm, texts)
    sim = similarity_from_spaces(spaces, codebook, dtm.vocab, transform)
    scores["similarity"] = sim
    if len(texts) <= SELF_TRAIN_MAX_SEGMENTS:
        scores["selftrained"] = selftrained_from_spaces(spaces, sim, seed=seed)
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
            # per code, the lowest score whose z reaches Z_PREDICT (inf when none does)
            thresholds[name] = np.where(standardise(s) >= Z_PREDICT, s, np.inf).min(axis=0, initial=np.inf) - 1e-12
        return RunAgreement(code_ids, dtm.segment_ids, scores, thresholds)
    docs = np.asarray(documents)
    # Only documents with at least one coding were coded: the others are unknown, not negative;
    # in documents with reviewed segments, only those (and segments with a code) were coded.
    coded = coded_mask(human, docs, reviewed)
    labels = human.labels & coded[:, None]
    held = holdout_split(sorted(set(docs[coded].tolist())), holdout, seed)
    in_held = np.isin(docs, list(held))
    evaluate = coded & in_held if held else coded
    calibrate = coded & ~in_held if held else evaluate
    lengths = np.asarray(dtm.counts.sum(axis=1), dtype=float).ravel()
    figures: dict[str, MethodAgreement] = {}
    thresholds = {}
    intervals: dict[str, Any] = {"documents": docs, "resamples": resamples, "seed": seed}
    floor = LengthFloor(labels, lengths, evaluate)  # the same for every method: computed once
    for name, s in scores.items():
        figures[name] = agreement(s, labels, lengths, code_ids, evaluate=evaluate,
                                  calibrate=calibrate, min_positives=min_positives, floor=floor, **intervals)
        thresholds[name] = prevalence_thresholds(s[calibrate], labels[calibrate])
    base = RunAgreement(code_ids, dtm.segment_ids, scores, thresholds, figures, human, tuple(sorted(held)),
                        resamples=resamples, coded=coded, reviewed=tuple(reviewed), reviewed_source=reviewed_source)
    if not coded.any():  # codings that placed nothing: nothing to learn from
        return replace(base, sample=_sample_agreement(sample, sample_source, scores, labels, lengths, calibrate,
                                                      min_positives, dtm.segment_ids, code_ids, intervals))
    prior = "selftrained" if "selftrained" in scores else "similarity"
    group_of = np.asarray([str(g) for g in groups]) if groups is not None else docs
    with stage(LEARNED):
        learned = learn_scores(spaces, scores[prior], labels, coded, group_of.tolist(), dtm.segment_ids, code_ids,
                               seed=seed)
        fig = learned_agreement(learned, labels, lengths, min_positives=min_positives, evaluate=evaluate,
                                calibrate=calibrate if held else None, floor=floor, **intervals)
    # `learned` first: in scores.npz, autocode.csv, autocode_scores.csv and agreement.json
    scores = {LEARNED: learned.scores, **scores}
    thresholds = {LEARNED: learned.thresholds, **thresholds}
    if fig is not None:
        figures = {LEARNED: fig, **figures}
    sampled = _sample_agreement(sample, sample_source, scores, labels, lengths, calibrate, min_positives,
                                dtm.segment_ids, code_ids, intervals, learned)
    learning = None
    if curve:
        with stage(LEARNING_CURVE):
            learning = learning_curve(spaces, scores[prior], labels, coded, group_of.tolist(), code_ids, lengths,
                                      kappa=learned.kappa, seed=seed, min_positives=min_positives,
                                      settings=learned.settings, max_points=CURVE_MAX_POINTS,
                                      max_work=CURVE_MAX_WORK, result=learned)
    with stage("suggestions"):
        picks = suggest_next(learned, n_suggestions)
    return replace(base, scores=scores, thresholds=thresholds, figures=figures, sample=sampled, learned=learned,
                   prior=prior, group_column=group_column, curve=learning, suggestions=picks)


def _sample_agreement(sample: Sample | None, source: str, scores: Mapping[str, np.ndarray], labels: np.ndarray,
                      lengths: np.ndarray, calibrate: np.ndarray, min_positives: int, segment_ids: Sequence[str],
                      code_ids: Sequence[str], intervals: Mapping[str, Any],
                      learned: LearnedScores | None = None) -> SampleAgreement | None:
    """agreement.json's `sample` section: every method's figures on exactly the sampled segments
    (`learned` only when each sampled segment's score comes from a model that never saw it)."""
    if sample is None:
        return None
    rows = sample_rows(sample, segment_ids, source)
    honest = learned is not None and bool(learned.out_of_fold[rows].all())
    floor = LengthFloor(labels, lengths, rows)
    figures = {name: agreement(s, labels, lengths, code_ids, evaluate=rows, calibrate=calibrate,
                               min_positives=min_positives, floor=floor, **intervals)
               for name, s in scores.items() if name != LEARNED or honest}
    docs = np.asarray(intervals["documents"])
    return SampleAgreement(sample, source, int(rows.sum()), len(set(docs[rows])), figures)


def sample_rows(sample: Sample, segment_ids: Sequence[str], source: str) -> np.ndarray:
    """Bool mask of the rows of `segment_ids` in the sample; every sampled segment must be one."""
    row = {s: i for i, s in enumerate(segment_ids)}
    missing = [s for s in sample.segment_ids if s not in row]
    if missing:
        raise InputError(f"{source}: {len(missing)} of the sample's {len(sample.segment_ids)} segments are not segments of this run (first: {missing[0]}); the sample was drawn from run '{sample.run}' with other segments. Draw the sample again from a run of this config.")
    mask = np.zeros(len(segment_ids), dtype=bool)
    mask[[row[s] for s in sample.segment_ids]] = True
    return mask


def learned_summary(run: RunAgreement) -> str | None:
    """One line on how `learned` was fitted, for the run summary ("learned: 8 codes learned,
    2 fell back (fewer than 3 coded segments)"); None without it."""
    result = run.learned
    if result is None:
        return None
    line = f"learned: {len(result.learned_codes)} codes learned, {len(result.fallback_codes)} fell back"
    fallback = [c for c in result.codes if c.status == "fallback"]
    if fallback:
        few = [c.code_id for c in fallback if c.coded_positives < result.settings.min_positives]
        everywhere = [c.code_id for c in fallback if c.coded_positives >= result.settings.min_positives]
        why = []
        if few:
            why.append(f"fewer than {result.settings.min_positives} coded segments: {', '.join(few)}")
        if everywhere:
            why.append(f"every coded segment has the code: {', '.join(everywhere)}")
        line += f" ({'; '.join(why)})"
    n_groups = len(set(np.asarray(result.groups)[result.coded].tolist()))
    unit = "documents" if run.group_column is None else f"{run.group_column} groups"
    if result.folds:
        line += f"; {len(result.folds)}-fold grouped CV over {n_groups} coded {unit}, kappa {result.kappa:g}"
    else:
        line += f"; {n_groups} coded {unit}: no cross-validation, so no agreement figure (kappa {result.kappa:g})"
    return line


def suggestion_rows(suggestions: Sequence[Suggestion], segments: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """suggestions.csv: one row per suggestion with its segment's document and text
    (`segments`: segment id -> an object with `document` and `text`). A text cell that a
    spreadsheet would run as a formula gets a leading apostrophe (topicbook.spreadsheet)."""
    for s in suggestions:
        seg = segments.get(s.segment_id)
        row = {"rank": s.rank, "segment_id": s.segment_id, "document": seg.document if seg else s.document,
               "code": s.code_id, "reason": s.reason, "utility": s.utility, "uncertainty": s.uncertainty,
               "score": s.score, "threshold": s.threshold, "text": seg.text if seg else ""}
        yield {k: neutralise_cell(v) for k, v in row.items()}


def score_columns(run: RunAgreement) -> list[str]:
    """autocode_scores.csv's columns: segment_id, then `<method>:<code id>` for every method
    (in scores.npz's order: `learned` first) and code."""
    return ["segment_id"] + [f"{method}:{code}" for method in run.scores for code in run.code_ids]


def autocode_rows(run: RunAgreement, documents: Mapping[str, str], top: int = 3) -> list[dict[str, Any]]:
    """autocode.csv: per segment and method, its `top` codes by z-score with their scores, and
    every code predicted (score above the method's threshold)."""
    rows = []
    for name, s in run.scores.items():
        z = standardise(s)
        pred = s > run.thresholds[name][None, :]
        for i, seg in enumerate(run.segment_ids):
            order = np.argsort(-z[i], kind="stable")
            rest = order[top:]
            chosen = np.concatenate([order[:top], rest[pred[i, rest]]])
            values = zip(chosen.tolist(), s[i, chosen].tolist(), z[i, chosen].tolist(), pred[i, chosen].tolist(),
                         strict=True)
            for rank, (c, score, zc, predicted) in enumerate(values, 1):
                rows.append({"segment_id": seg, "document": documents.get(seg, ""), "method": name, "rank": rank,
                             "code": run.code_ids[c], "score": round(score, 6), "z": round(zc, 4),
                             "predicted": int(predicted)})
    return rows

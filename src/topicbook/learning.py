"""Learn from partial coding: the `learned` score, its honest evaluation, and what to code next.

A researcher has coded some documents (interviews, or respondents of a survey table) by hand.
:func:`learn_scores` scores every segment for every code by combining those labels with the
codebook prior, the label-free score (self-trained or similarity, :mod:`topicbook.scoring`):

    learned[i, c] = (1 - a_c) * z(prior)[i, c] + a_c * z(supervised_c)[i],
    a_c = n_c / (n_c + kappa),

where `supervised_c` is a logistic regression (scikit-learn, C = 1, balanced class weights)
over the segments' word TF-IDF and character n-gram spaces, trained on the coded segments
only; `z` standardises a score over all segments (label-free, so comparable across models);
and `n_c` is the number of coded *documents* with at least one positive segment of code c.
The prior thus counts as `kappa` documents' worth of evidence: with one coded interview the
score stays close to the codebook's, and the more documents show the code, the more the
researcher's own coding decides. Documents, not segments, are the unit of evidence because the
segments of one interview share its speaker and topics: ten coded turns of one interview
teach less about the other interviews than ten turns from ten interviews.

Why this design (figures: docs/benchmarks.md, "Learning from partial coding"). On the
development half of the NHS comments (settings chosen there only), the blend beat both its
parts at every share of coded respondents (1% to 50%); one regression with the prior as an
extra feature, and pseudo-labels on uncoded segments (the self-trained recipe with the human
labels added), were no better (equal AUC, lower micro F1), so the prior enters only through
the label-free score. On the interview corpora (PDPilot, the demo) one or two coded
interviews barely move the score: their codes transfer little to other interviews.

Settings (:class:`LearningSettings`): a code is learned when its coded segments hold at least
`min_positives` (3) positives, in at least one document: with fewer, a regression is a
nearest-neighbour of one or two quotes and the grouped cross-validation has no positive to
test in most folds; such codes keep the label-free score and are reported as `fallback`.
`kappa` is chosen by the grouped cross-validation over the coded documents from
`kappa_grid` (one value for all codes, the best out-of-fold macro ROC AUC; ties go to the
larger kappa, i.e. more prior); with fewer than two coded documents, `default_kappa` (20,
the best on the NHS development half).

Honest evaluation: scores of coded segments are out-of-fold (grouped K-fold over the coded
documents: a document's segments are never in both the training and the test fold), scores of
uncoded segments come from a model on all coded documents. Per code, the threshold is the one
that predicts as many out-of-fold coded segments as were coded (the code's prevalence); so
`learned_agreement` and the thresholds never see a segment the model was trained on.
:func:`learning_curve` gives agreement against the number of coded documents used for
training (1, 2, 4, ...), always on held-out documents. :func:`suggest_next` picks the uncoded
segments whose coding would teach the model most.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from scipy.stats import rankdata
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from topicbook.metrics import LengthFloor, MethodAgreement, agreement, prevalence_thresholds
from topicbook.scoring import FeatureSpaces, standardise
from topicbook.threads import one_thread

log = logging.getLogger(__name__)

Status = Literal["learned", "fallback"]
ThresholdSource = Literal["grouped_cv", "coded_prevalence", "all_segments_prevalence", "none"]


@dataclass(frozen=True)
class LearningSettings:
    """Settings of the learned score, fixed in advance (chosen on the NHS development half).

    min_positives: coded positive segments a code needs to be learned (else: fallback).
    folds: grouped cross-validation folds (at most; never more than the coded documents).
    c: inverse L2 strength of the logistic regression over the text features.
    default_kappa: prior strength in documents when the CV cannot choose (< 2 coded documents).
    kappa_grid: the prior strengths the grouped CV chooses from.
    max_iter: iterations of the regression's solver (lbfgs).
    """

    min_positives: int = 3
    folds: int = 5
    c: float = 1.0
    default_kappa: float = 20.0
    kappa_grid: tuple[float, ...] = (2.0, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0)
    max_iter: int = 500

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "kappa_grid": list(self.kappa_grid)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LearningSettings:
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        if "kappa_grid" in values:
            values["kappa_grid"] = tuple(float(k) for k in values["kappa_grid"])
        return cls(**values)


@dataclass(frozen=True)
class CodeLearning:
    """How one code was scored.

    status: `learned` (blend of prior and regression) or `fallback` (the label-free score).
    reason: why it fell back ('' when learned).
    coded_positives: coded segments with the code; coded_documents: coded documents with one.
    weight: a_c, the weight of the regression in the blend (0 for a fallback code).
    threshold: score above which a segment is predicted to have the code (inf: never).
    threshold_source: grouped_cv (out-of-fold scores at the coded prevalence), coded_prevalence
      (fallback codes: the label-free score at the coded prevalence), all_segments_prevalence
      (fewer than two coded documents: the top share of all segments equal to the coded
      prevalence), none (no coded positive: nothing predicted).
    """

    code_id: str
    status: Status
    reason: str
    coded_positives: int
    coded_documents: int
    weight: float
    threshold: float
    threshold_source: ThresholdSource

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "threshold": _float_out(self.threshold)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CodeLearning:
        values = {f.name: data[f.name] for f in fields(cls)}
        values["threshold"] = _float_in(values["threshold"])
        return cls(**values)


@dataclass(frozen=True)
class LearnedScores:
    """The learned score of every segment for every code, and how it was obtained.

    scores: (n_segments, n_codes); rows of coded segments are out-of-fold when `cv_folds` > 0
      (in-sample otherwise), rows of uncoded segments come from the model on all coded data.
    coded: (n_segments,) bool, the segments whose documents were coded.
    groups: per segment its document (or respondent): the unit the CV keeps together.
    folds: the test documents of each grouped CV fold (empty: no CV, fewer than 2 coded
      documents).
    kappa: the prior strength used; kappa_source: grouped_cv or default.
    cv_macro_roc_auc: the out-of-fold macro ROC AUC (learned codes) at the chosen kappa; it is
      the best of the grid, so mildly optimistic; agreement figures come from
      :func:`learned_agreement`.
    """

    segment_ids: tuple[str, ...]
    code_ids: tuple[str, ...]
    scores: np.ndarray
    coded: np.ndarray
    groups: tuple[str, ...]
    codes: tuple[CodeLearning, ...]
    folds: tuple[tuple[str, ...], ...]
    kappa: float
    kappa_source: Literal["grouped_cv", "default"]
    cv_macro_roc_auc: float | None
    settings: LearningSettings = field(default_factory=LearningSettings)
    seed: int = 0

    @property
    def thresholds(self) -> np.ndarray:
        """Per code, its prediction threshold: (n_codes,)."""
        return np.array([c.threshold for c in self.codes])

    @property
    def learned_codes(self) -> tuple[str, ...]:
        return tuple(c.code_id for c in self.codes if c.status == "learned")

    @property
    def fallback_codes(self) -> tuple[str, ...]:
        return tuple(c.code_id for c in self.codes if c.status == "fallback")

    @property
    def out_of_fold(self) -> np.ndarray:
        """(n_segments,) bool: the rows whose scores come from a model that never saw them
        (uncoded segments, and coded ones when the CV ran)."""
        return ~self.coded if not self.folds else np.ones_like(self.coded)

    def to_json(self) -> dict[str, Any]:
        return {
            "segment_ids": list(self.segment_ids), "code_ids": list(self.code_ids),
            "scores": [[round(float(v), 8) for v in row] for row in self.scores],
            "coded": [bool(v) for v in self.coded], "groups": list(self.groups),
            "codes": [c.to_json() for c in self.codes], "folds": [list(f) for f in self.folds],
            "kappa": self.kappa, "kappa_source": self.kappa_source,
            "cv_macro_roc_auc": self.cv_macro_roc_auc, "settings": self.settings.to_json(), "seed": self.seed,
        }

    def fit_json(self) -> dict[str, Any]:
        """How the scores were obtained, without the per-segment arrays (agreement.json's
        `learned_fit`; the scores, the coded mask and the groups go to scores.npz)."""
        return {
            "learned": list(self.learned_codes), "fallback": list(self.fallback_codes),
            "codes": {c.code_id: {k: v for k, v in c.to_json().items() if k != "code_id"} for c in self.codes},
            "kappa": self.kappa, "kappa_source": self.kappa_source, "folds": [list(f) for f in self.folds],
            "cv_macro_roc_auc": self.cv_macro_roc_auc, "coded_segments": int(self.coded.sum()),
            "coded_groups": len(set(np.asarray(self.groups)[self.coded].tolist())),
            "settings": self.settings.to_json(), "seed": self.seed,
        }

    @classmethod
    def from_fit_json(cls, data: Mapping[str, Any], *, segment_ids: Sequence[str], code_ids: Sequence[str],
                      scores: np.ndarray, coded: np.ndarray, groups: Sequence[str]) -> LearnedScores:
        """The inverse of :meth:`fit_json`, given the arrays it leaves out."""
        codes = tuple(CodeLearning.from_json({"code_id": c, **data["codes"][c]}) for c in code_ids)
        return cls(tuple(segment_ids), tuple(code_ids), np.asarray(scores, dtype=float), np.asarray(coded, dtype=bool),
                   tuple(str(g) for g in groups), codes, tuple(tuple(f) for f in data["folds"]), float(data["kappa"]),
                   data["kappa_source"], data["cv_macro_roc_auc"], LearningSettings.from_json(data["settings"]),
                   int(data["seed"]))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LearnedScores:
        n_codes = len(data["code_ids"])
        return cls(
            segment_ids=tuple(data["segment_ids"]), code_ids=tuple(data["code_ids"]),
            scores=np.asarray(data["scores"], dtype=float).reshape(len(data["segment_ids"]), n_codes),
            coded=np.asarray(data["coded"], dtype=bool), groups=tuple(data["groups"]),
            codes=tuple(CodeLearning.from_json(c) for c in data["codes"]),
            folds=tuple(tuple(f) for f in data["folds"]), kappa=float(data["kappa"]),
            kappa_source=data["kappa_source"], cv_macro_roc_auc=data["cv_macro_roc_auc"],
            settings=LearningSettings.from_json(data["settings"]), seed=int(data["seed"]))


def _float_out(x: float) -> float | str:
    return x if math.isfinite(x) else ("inf" if x > 0 else "-inf")


def _float_in(x: float | str) -> float:
    return float(x)


# --------------------------------------------------------------------------- inputs


def design_matrix(spaces: FeatureSpaces) -> sp.csr_matrix:
    """The regression's features: words and character n-grams side by side (each block scaled
    to keep unit row norm), or the word space alone when the spaces have no characters."""
    return spaces.combined() if spaces.chars is not None else spaces.words.tocsr()


def _check_inputs(X: sp.csr_matrix, prior: np.ndarray, labels: np.ndarray, coded: np.ndarray,
                  groups: np.ndarray, segment_ids: Sequence[str], code_ids: Sequence[str]) -> None:
    n = X.shape[0]
    shapes = {"prior": prior.shape, "labels": labels.shape}
    for name, shape in shapes.items():
        if shape != (n, len(code_ids)):
            raise ValueError(f"learn_scores: {name} has shape {shape}; expected ({n}, {len(code_ids)}) (segments x codes).")
    for name, seq in (("coded", coded), ("groups", groups), ("segment_ids", segment_ids)):
        if len(seq) != n:
            raise ValueError(f"learn_scores: {name} has {len(seq)} entries for {n} segments.")
    if labels[~coded].any():
        raise ValueError("learn_scores: labels mark segments outside the coded mask; uncoded segments carry no label.")


def _zcol(values: np.ndarray) -> np.ndarray:
    """One score column standardised over all segments."""
    return standardise(values[:, None])[:, 0]


def _group_counts(labels: np.ndarray, rows: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per code: positive segments among `rows`, and distinct groups holding one."""
    sub = labels[rows]
    _, group_of_row = np.unique(groups[rows], return_inverse=True)
    held = np.zeros((int(group_of_row.max(initial=-1)) + 1, labels.shape[1]), dtype=bool)  # (groups, codes)
    np.logical_or.at(held, group_of_row, sub)
    return sub.sum(axis=0).astype(int), held.sum(axis=0).astype(int)


# --------------------------------------------------------------------------- fitting


@one_thread
def _regressions(X: sp.csr_matrix, labels: np.ndarray, train: np.ndarray, npos: np.ndarray,
                 settings: LearningSettings, seed: int) -> dict[int, np.ndarray]:
    """Per learnable code (enough positives among `train`), the regression's decision values on
    every segment, standardised over all segments."""
    out: dict[int, np.ndarray] = {}
    Xt = X[train]
    for c in _learnable(labels, train, npos, settings).tolist():
        clf = LogisticRegression(C=settings.c, class_weight="balanced", max_iter=settings.max_iter,
                                 random_state=seed).fit(Xt, labels[train, c])
        out[c] = _zcol(clf.decision_function(X))
    return out


def _learnable(labels: np.ndarray, train: np.ndarray, npos: np.ndarray, settings: LearningSettings) -> np.ndarray:
    """The codes (column indices, ascending) that get a regression on the `train` rows: at least
    `min_positives` positives there, and not every training segment positive."""
    return np.flatnonzero((npos >= settings.min_positives) & ~labels[train].all(axis=0))


def _blend(z_prior: np.ndarray, regressions: Mapping[int, np.ndarray], ndocs: np.ndarray,
           kappa: float) -> tuple[np.ndarray, np.ndarray]:
    """The learned score (n_segments, n_codes) and the weights a_c (n_codes,)."""
    scores = z_prior.copy()
    weights = np.zeros(z_prior.shape[1])
    if regressions:
        cols = np.fromiter(regressions, dtype=int, count=len(regressions))
        a = ndocs[cols] / (ndocs[cols] + kappa)
        weights[cols] = a
        scores[:, cols] = (1 - a) * z_prior[:, cols] + a * np.column_stack(list(regressions.values()))
    return scores, weights


def grouped_folds(groups: np.ndarray, rows: np.ndarray, n_folds: int) -> list[np.ndarray]:
    """Test masks (over all segments) of a grouped K-fold over the segments in `rows`
    (scikit-learn GroupKFold: every group in exactly one test fold; K = min(n_folds, groups))."""
    idx = np.flatnonzero(rows)
    n_groups = len(set(groups[idx].tolist()))
    if n_groups < 2:
        return []
    masks = []
    for _, test in GroupKFold(n_splits=min(n_folds, n_groups)).split(idx, groups=groups[idx]):
        mask = np.zeros(len(groups), dtype=bool)
        mask[idx[test]] = True
        masks.append(mask)
    return masks


def _macro_auc(scores: np.ndarray, labels: np.ndarray, rows: np.ndarray, codes: Sequence[int]) -> float | None:
    """Mean ROC AUC over `codes` (those with positives and negatives among `rows`), from the
    ranks of the scores (the Mann-Whitney U statistic, ties as half: what roc_auc_score gives),
    all codes in one ranking; the kappa selection calls it once per grid value."""
    cols = np.asarray(codes, dtype=int)
    y = labels[rows][:, cols]
    pos = y.sum(axis=0)
    keep = (pos > 0) & (pos < y.shape[0])
    if not keep.any():
        return None
    ranks = rankdata(scores[rows][:, cols[keep]], axis=0)
    y, pos = y[:, keep], pos[keep]
    neg = y.shape[0] - pos
    u = (ranks * y).sum(axis=0) - pos * (pos + 1) / 2.0
    return float(np.mean(u / (pos * neg)))


def learn_scores(spaces: FeatureSpaces, prior: np.ndarray, labels: np.ndarray, coded: np.ndarray,
                 groups: Sequence[str], segment_ids: Sequence[str], code_ids: Sequence[str], *,
                 seed: int = 0, settings: LearningSettings | None = None) -> LearnedScores:
    """The learned score of every segment for every code.

    spaces: the segments' feature spaces (:func:`topicbook.scoring.feature_spaces`, with texts);
    prior: (n_segments, n_codes) label-free score (the run's `selftrained`, else `similarity`);
    labels: (n_segments, n_codes) bool human codes, False outside `coded`;
    coded: (n_segments,) bool, segments of the documents that were coded (a coded document's
      segments without a code are negatives; uncoded documents are unknown, not negative);
    groups: per segment its document, or its respondent in a survey table: the unit kept whole
      by the cross-validation and counted as evidence;
    segment_ids, code_ids: the row and column ids.
    """
    settings = settings or LearningSettings()
    X = design_matrix(spaces)
    prior = np.asarray(prior, dtype=float)
    labels = np.asarray(labels, dtype=bool)
    coded = np.asarray(coded, dtype=bool)
    groups_arr = np.asarray([str(g) for g in groups])
    _check_inputs(X, prior, labels, coded, groups_arr, segment_ids, code_ids)
    z_prior = standardise(prior)
    npos, ndocs = _group_counts(labels, coded, groups_arr)
    final = _regressions(X, labels, coded, npos, settings, seed)
    learnable = sorted(final)
    folds = grouped_folds(groups_arr, coded, settings.folds)
    fold_fits = []
    for test in folds:
        train = coded & ~test
        f_pos, f_docs = _group_counts(labels, train, groups_arr)
        fold_fits.append((test, _regressions(X, labels, train, f_pos, settings, seed), f_docs))

    def oof_scores(kappa: float) -> np.ndarray:
        oof = z_prior.copy()
        for test, regs, f_docs in fold_fits:
            blended, _ = _blend(z_prior, regs, f_docs, kappa)
            oof[test] = blended[test]
        return oof

    cv_auc = None
    if folds and learnable:
        by_kappa = {k: _macro_auc(oof_scores(k), labels, coded, learnable) for k in settings.kappa_grid}
        valid = {k: v for k, v in by_kappa.items() if v is not None}
        if valid:
            best = max(valid.values())
            kappa = max(k for k, v in valid.items() if v >= best - 1e-12)
            kappa_source: Literal["grouped_cv", "default"] = "grouped_cv"
            cv_auc = round(valid[kappa], 4)
            log.info("learned: kappa %.0f chosen by %d-fold grouped CV (out-of-fold macro ROC AUC %s)",
                     kappa, len(folds), ", ".join(f"{k:g}: {v:.3f}" for k, v in valid.items()))
        else:
            kappa, kappa_source = settings.default_kappa, "default"
    else:
        kappa, kappa_source = settings.default_kappa, "default"

    scores, weights = _blend(z_prior, final, ndocs, kappa)
    if folds:
        oof = oof_scores(kappa)
        scores[coded] = oof[coded]
    codes: list[CodeLearning] = []
    cv_thresholds = prevalence_thresholds(scores[coded], labels[coded]) if coded.any() else np.full(len(code_ids), np.inf)
    for c, code in enumerate(code_ids):
        source: ThresholdSource
        if c in final:
            status: Status = "learned"
            reason = ""
            if folds:
                threshold, source = float(cv_thresholds[c]), "grouped_cv"
            else:
                share = labels[coded, c].mean()
                threshold, source = float(np.quantile(scores[:, c], 1.0 - share)), "all_segments_prevalence"
        else:
            status = "fallback"
            reason = (f"{npos[c]} coded positive segment{'s' if npos[c] != 1 else ''} (fewer than {settings.min_positives})"
                      if npos[c] < settings.min_positives else "every coded segment has the code")
            threshold = float(cv_thresholds[c])
            source = "coded_prevalence" if npos[c] > 0 else "none"
        codes.append(CodeLearning(code, status, reason, int(npos[c]), int(ndocs[c]), round(float(weights[c]), 6),
                                  threshold, source))
    fold_docs = tuple(tuple(sorted(set(groups_arr[t].tolist()))) for t in folds)
    result = LearnedScores(tuple(segment_ids), tuple(code_ids), scores, coded, tuple(groups_arr.tolist()),
                           tuple(codes), fold_docs, float(kappa), kappa_source, cv_auc, settings, seed)
    log.info("learned: %d codes learned, %d fall back to the label-free score (fewer than %d coded positives)",
             len(result.learned_codes), len(result.fallback_codes), settings.min_positives)
    return result


def learned_agreement(result: LearnedScores, labels: np.ndarray, lengths: np.ndarray, *,
                      min_positives: int = 1, evaluate: np.ndarray | None = None,
                      calibrate: np.ndarray | None = None, documents: np.ndarray | None = None,
                      resamples: int = 0, seed: int = 0, floor: LengthFloor | None = None) -> MethodAgreement | None:
    """Agreement figures of the learned score on the coded segments, from their out-of-fold
    scores only (:func:`topicbook.metrics.agreement`); None without a grouped CV (fewer than
    two coded documents), since every coded segment was then seen in training.

    evaluate, calibrate: (n_segments,) bool masks inside the coded segments (a run's held-out
    documents and the others); default: all coded segments, thresholds at their prevalence.
    documents, resamples, seed: bootstrap intervals over the evaluated documents, as
    :func:`topicbook.metrics.agreement` gives them to every method; floor: the other methods'
    length-floor AUCs on the same evaluated rows (:class:`topicbook.metrics.LengthFloor`)."""
    if not result.folds:
        return None
    evaluate = result.coded if evaluate is None else np.asarray(evaluate, dtype=bool)
    if (evaluate & ~result.coded).any() or (calibrate is not None and (calibrate & ~result.coded).any()):
        raise ValueError("learned_agreement: evaluate and calibrate must lie inside the coded segments (out-of-fold scores).")
    return agreement(result.scores, labels, lengths, result.code_ids, evaluate=evaluate, calibrate=calibrate,
                     min_positives=min_positives, documents=documents, resamples=resamples, seed=seed, floor=floor)


# --------------------------------------------------------------------------- learning curve


@dataclass(frozen=True)
class CurvePoint:
    """Agreement of the learned score on held-out documents when trained on `n_documents`
    coded documents (in every fold of the grouped CV; pooled over the folds).

    macro_roc_auc, micro_f1: of the learned score (micro F1 at the coded prevalence);
    prior_macro_roc_auc, prior_micro_f1: of the label-free prior on the same segments;
    n_segments: held-out coded segments evaluated; n_codes: codes with enough positives there.
    """

    n_documents: int
    macro_roc_auc: float | None
    micro_f1: float | None
    prior_macro_roc_auc: float | None
    prior_micro_f1: float | None
    n_segments: int
    n_codes: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CurvePoint:
        return cls(**{f.name: data[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class LearningCurve:
    """Agreement against the number of coded documents used for training (what agreement.json's
    `learning_curve` holds). folds: grouped CV folds; kappa: the prior strength used throughout."""

    points: tuple[CurvePoint, ...]
    folds: int
    kappa: float
    seed: int
    skipped: tuple[int, ...] = ()  # sizes left out to keep within the work budget (curve_work units)

    def to_json(self) -> dict[str, Any]:
        return {"points": [p.to_json() for p in self.points], "folds": self.folds, "kappa": self.kappa,
                "seed": self.seed, "skipped": list(self.skipped)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LearningCurve:
        return cls(tuple(CurvePoint.from_json(p) for p in data["points"]), int(data["folds"]),
                   float(data["kappa"]), int(data["seed"]), tuple(int(m) for m in data.get("skipped", ())))


CURVE_FIT_SEGMENTS = 1_000  # the work of one regression beyond its training segments, in segments


def curve_work(n_regressions: int, n_train_segments: int) -> int:
    """The work of fitting `n_regressions` regressions on `n_train_segments` segments each, in
    segment units: a fit costs CURVE_FIT_SEGMENTS (the solver's fixed cost over the features)
    plus one per training segment. Counted from the data, never timed, so that a budget in
    these units gives the same curve on any machine (about 25 ms per 1,000 units on one core
    of a 2-core AMD EPYC server: 2,500,000 units are about a minute)."""
    return n_regressions * (CURVE_FIT_SEGMENTS + n_train_segments)


def curve_sizes(n_train: int, max_points: int | None = None) -> list[int]:
    """1, 2, 4, ... below `n_train`, then `n_train` itself. With `max_points` (>= 2), the
    ladder steps by 4, 8, ... instead of 2 when doubling would give more points
    (n_train 600, 6 points: 1, 4, 16, 64, 256, 600)."""
    if n_train < 1:
        return []
    step = 2
    while True:
        sizes, m = [], 1
        while m < n_train:
            sizes.append(m)
            m *= step
        if max_points is None or len(sizes) + 1 <= max(max_points, 2):
            return [*sizes, n_train]
        step *= 2


def learning_curve(spaces: FeatureSpaces, prior: np.ndarray, labels: np.ndarray, coded: np.ndarray,
                   groups: Sequence[str], code_ids: Sequence[str], lengths: np.ndarray, *,
                   kappa: float | None = None, sizes: Sequence[int] | None = None, seed: int = 0,
                   min_positives: int = 1, settings: LearningSettings | None = None,
                   max_points: int | None = None, max_work: int | None = None,
                   result: LearnedScores | None = None) -> LearningCurve:
    """Agreement of the learned score against the number of coded documents it is trained on.

    Grouped K-fold over the coded documents (as in :func:`learn_scores`); in every fold, for
    each size m (default 1, 2, 4, ... up to the smallest training fold), m of the fold's training
    documents are drawn (seeded) and the blend is fitted on their segments alone, then scored on
    the fold's test documents. Out-of-fold scores are pooled over the folds and compared with
    the labels by :func:`topicbook.metrics.agreement` (codes with at least `min_positives`
    positives among the coded segments). `kappa`: the prior strength (default: the settings'
    default_kappa; pass the run's chosen one). Inputs as :func:`learn_scores`; lengths:
    (n_segments,) tokens per segment. No point when fewer than two documents were coded.

    Cost: every point fits one regression per learnable code and fold. `max_points` caps the
    default sizes (:func:`curve_sizes`); `max_work` is a budget in the units of
    :func:`curve_work` (regressions x (CURVE_FIT_SEGMENTS + training segments), summed over
    the folds and points), counted from the draws before anything is fitted: a point is left
    out (and listed in `skipped`, with every larger one) when the work of the points so far
    plus its own would pass the budget. Points are computed smallest first and the smallest is
    always computed, so a tight budget keeps the small end. The curve depends only on its
    inputs, the seed and the budget, never on the machine's speed or load.
    `result`: the run's :func:`learn_scores` on the same inputs; a size that trains every fold
    on all its documents is then read from its out-of-fold scores (the very same fits) instead
    of being fitted again.
    """
    settings = settings or LearningSettings()
    kappa = settings.default_kappa if kappa is None else kappa
    X = design_matrix(spaces)
    labels = np.asarray(labels, dtype=bool)
    coded = np.asarray(coded, dtype=bool)
    groups_arr = np.asarray([str(g) for g in groups])
    z_prior = standardise(np.asarray(prior, dtype=float))
    folds = grouped_folds(groups_arr, coded, settings.folds)
    if not folds:
        return LearningCurve((), 0, float(kappa), seed)
    train_docs = [sorted(set(groups_arr[coded & ~t].tolist())) for t in folds]
    if sizes is None:
        sizes = curve_sizes(min(len(d) for d in train_docs), max_points)
    fold_docs = tuple(tuple(sorted(set(groups_arr[t].tolist()))) for t in folds)
    reuse = result.scores if result is not None and result.kappa == kappa and result.folds == fold_docs else None
    # the curve reads AUC and F1 only: no per-code kappa, Krippendorff's alpha or length AUC
    base = agreement(z_prior, labels, lengths, code_ids, evaluate=coded, min_positives=min_positives,
                     reliability=False)
    rng = np.random.default_rng(seed)
    points: list[CurvePoint] = []
    skipped: list[int] = []
    work = 0  # of the points computed so far (curve_work units)
    for m in sizes:
        if skipped:
            skipped.append(int(m))
            continue
        # per fold: its test rows, then (train rows, positives, groups) or None when read back
        plan: list[tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray] | None]] = []
        point_work = 0
        for test, docs in zip(folds, train_docs, strict=True):
            chosen = rng.choice(np.asarray(docs), size=min(m, len(docs)), replace=False)
            if reuse is not None and m >= len(docs):
                plan.append((test, None))
                continue
            train = coded & np.isin(groups_arr, chosen)
            npos, ndocs = _group_counts(labels, train, groups_arr)
            point_work += curve_work(len(_learnable(labels, train, npos, settings)), int(train.sum()))
            plan.append((test, (train, npos, ndocs)))
        if points and max_work is not None and work + point_work > max_work:
            skipped.append(int(m))
            continue
        work += point_work
        pooled = z_prior.copy()
        for test, fit in plan:
            if fit is None:
                pooled[test] = reuse[test]  # type: ignore[index]  # plan holds None only with reuse
                continue
            train, npos, ndocs = fit
            blended, _ = _blend(z_prior, _regressions(X, labels, train, npos, settings, seed), ndocs, kappa)
            pooled[test] = blended[test]
        learned = agreement(pooled, labels, lengths, code_ids, evaluate=coded, min_positives=min_positives,
                            reliability=False)
        points.append(CurvePoint(int(m), learned.macro_roc_auc, learned.micro_f1, base.macro_roc_auc,
                                 base.micro_f1, learned.n_segments, learned.n_codes))
    if skipped:
        log.warning("learning curve: sizes %s left out to stay within its budget of %s work units (the curve's "
                    "points took %s: regressions x (%s + training segments))", ", ".join(map(str, skipped)),
                    f"{max_work:,}", f"{work:,}", f"{CURVE_FIT_SEGMENTS:,}")
    return LearningCurve(tuple(points), len(folds), float(kappa), seed, tuple(skipped))


# --------------------------------------------------------------------------- what to code next

NO_EXAMPLE_SHARE = 0.02  # a code without coded examples: its boundary is the top 2% (as self-training's)
DIVERSITY_DECAY = 0.5  # each earlier pick from the same document, or for the same code, halves a candidate's value
POOL_PER_CODE = 10  # candidates kept per code and requested suggestion before the greedy pick


@dataclass(frozen=True)
class Suggestion:
    """One uncoded segment worth coding next.

    code_id: the code whose model it would teach most; utility: what the pick was ranked by
    (uncertainty x need, before the diversity discount); uncertainty: exp(-d^2 / 2) with d the
    distance of the segment's score from the code's threshold in standard deviations of the
    score (1 at the threshold); score, threshold: the learned score and the boundary used.
    """

    rank: int
    segment_id: str
    document: str
    code_id: str
    reason: str
    utility: float
    uncertainty: float
    score: float
    threshold: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Suggestion:
        return cls(**{f.name: data[f.name] for f in fields(cls)})


def _boundaries(result: LearnedScores) -> np.ndarray:
    """Per code, the score at which coding a segment is most informative: the prediction
    threshold, or (no coded example, or no finite threshold) the top NO_EXAMPLE_SHARE."""
    out = np.empty(len(result.code_ids))
    for c, code in enumerate(result.codes):
        t = code.threshold
        out[c] = t if math.isfinite(t) and code.coded_positives > 0 else np.quantile(result.scores[:, c], 1.0 - NO_EXAMPLE_SHARE)
    return out


def suggest_next(result: LearnedScores, n: int = 20, *, candidates: np.ndarray | None = None) -> tuple[Suggestion, ...]:
    """The `n` uncoded segments whose coding would teach the learned model most.

    candidates: optional (n_segments,) bool mask of the segments that may be suggested (e.g.
    without those suggested before); coded segments are never suggested.

    Uncertainty sampling with diversity. For segment i and code c, the uncertainty is
    exp(-d^2 / 2), d = (score - boundary) / sd(score), where the boundary is the code's
    threshold (for a code with no coded example: the top 2% of its score, so that its likely
    first examples are offered); it is weighted by the code's need, 1 / sqrt(1 + coded positive
    segments), so that codes with few examples come first. Picks are greedy: each earlier pick
    from the same document, or for the same code, halves a candidate's value, which spreads the
    suggestions over documents and codes; each segment is suggested once, for its best code.
    Ties go to the earlier segment. Returns at most `n` suggestions, best first.
    """
    allowed = ~result.coded if candidates is None else ~result.coded & np.asarray(candidates, dtype=bool)
    rows = np.flatnonzero(allowed)
    if n <= 0 or rows.size == 0:
        return ()
    scores = result.scores[rows]
    sd = result.scores.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    bound = _boundaries(result)
    dist = (scores - bound[None, :]) / sd[None, :]
    uncertainty = np.exp(-0.5 * dist**2)
    positives = np.array([c.coded_positives for c in result.codes], dtype=float)
    utility = uncertainty / np.sqrt(1.0 + positives)[None, :]
    # Candidate pool: the best rows of every code (the greedy step only ever discounts).
    keep = min(rows.size, POOL_PER_CODE * n)
    pool = np.unique(np.concatenate([np.argsort(-utility[:, c], kind="stable")[:keep] for c in range(utility.shape[1])]))
    utility, uncertainty, dist = utility[pool], uncertainty[pool], dist[pool]
    rows = rows[pool]
    docs = np.asarray(result.groups)[rows]
    doc_index = {d: k for k, d in enumerate(dict.fromkeys(docs.tolist()))}
    doc_of = np.array([doc_index[d] for d in docs.tolist()])
    doc_picks = np.zeros(len(doc_index))
    code_picks = np.zeros(utility.shape[1])
    taken = np.zeros(len(rows), dtype=bool)
    out: list[Suggestion] = []
    for rank in range(1, min(n, len(rows)) + 1):
        value = utility * (DIVERSITY_DECAY ** doc_picks[doc_of])[:, None] * (DIVERSITY_DECAY ** code_picks)[None, :]
        value[taken] = -1.0
        i, c = np.unravel_index(int(np.argmax(value)), value.shape)
        taken[i] = True
        doc_picks[doc_of[i]] += 1
        code_picks[c] += 1
        code = result.codes[c]
        row = rows[i]
        if code.coded_positives == 0:
            reason = (f"'{code.code_id}' has no coded segment yet; this one is near the top {NO_EXAMPLE_SHARE:.0%} "
                      f"of its label-free score, a likely first example")
        else:
            side = "just above" if dist[i, c] >= 0 else "just below"
            reason = (f"the model is unsure about '{code.code_id}' here (score {side} its threshold, "
                      f"{abs(dist[i, c]):.2f} sd away); '{code.code_id}' has {code.coded_positives} coded "
                      f"segment{'s' if code.coded_positives != 1 else ''} in {code.coded_documents} "
                      f"document{'s' if code.coded_documents != 1 else ''}")
        out.append(Suggestion(rank, result.segment_ids[row], str(docs[i]), code.code_id, reason,
                              round(float(utility[i, c]), 6), round(float(uncertainty[i, c]), 6),
                              round(float(result.scores[row, c]), 6), round(float(bound[c]), 6)))
    return tuple(out)

"""Agreement of per-segment code scores with human codes: the figures of one scoring method.

Per code: precision, recall, F1 at a threshold that predicts as many segments as the code has
positives (its prevalence), ROC AUC, the AUC of segment length alone (the floor every AUC is
read against), Cohen's kappa and Krippendorff's alpha (the method as a second coder beside the
human, nominal); overall: macro and micro figures, Cohen's kappa over all segment x code
decisions, the F1 of each segment's single best code, and a code-by-code confusion table.

Intervals: every method-level figure gets a 95% percentile bootstrap interval
(:func:`scipy.stats.bootstrap`) that resamples the evaluated documents with replacement (an
interviewee's segments stay together), with the thresholds held fixed: the interval is the
uncertainty of this prediction rule's agreement over the documents one could have coded. The
statistic is vectorised: a resample is a weight per segment (how often its document was
drawn), and every figure is computed from weighted counts, so a few hundred resamples of all
methods cost well under a second on the demo.

Typed results: :class:`CodeAgreement` per code inside :class:`MethodAgreement` per method (the
entries of agreement.json, `to_json` / `from_json`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import krippendorff
import numpy as np
from scipy.stats import bootstrap
from sklearn.metrics import cohen_kappa_score, roc_auc_score

from topicbook.scoring import standardise


@dataclass(frozen=True)
class CodeAgreement:
    """One code's figures for one method (rounded to 4 decimals; None where undefined)."""

    positives: int
    predicted: int
    precision: float | None
    recall: float | None
    f1: float | None
    roc_auc: float | None
    length_auc: float | None
    top1_f1: float | None
    kappa: float | None
    threshold: float | None
    krippendorff_alpha: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CodeAgreement:
        values: dict[str, Any] = {f.name: data.get(f.name) for f in fields(cls)}
        return cls(**values)


@dataclass(frozen=True)
class MethodAgreement:
    """One scoring method's agreement with the human codes (an entry of agreement.json)."""

    n_segments: int
    n_calibration_segments: int
    n_codes: int
    macro_roc_auc: float | None
    length_floor_auc: float | None
    macro_f1: float | None
    micro_f1: float | None
    micro_f1_at_prevalence: float | None
    micro_precision: float | None
    micro_recall: float | None
    top1_macro_f1: float | None
    kappa: float | None
    per_code: Mapping[str, CodeAgreement] = field(default_factory=dict)
    confusion: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    macro_krippendorff_alpha: float | None = None
    ci_low: Mapping[str, float | None] = field(default_factory=dict)
    ci_high: Mapping[str, float | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The figures, then `ci_low` / `ci_high` (figure -> bound), per_code and confusion."""
        data = asdict(self)
        tail = {k: data.pop(k) for k in ("per_code", "confusion")}
        return {**data, **tail}

    def interval(self, figure: str) -> tuple[float | None, float | None]:
        """The 95% bootstrap interval of one figure ((None, None) when there is none)."""
        return self.ci_low.get(figure), self.ci_high.get(figure)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MethodAgreement:
        nested = ("per_code", "confusion", "ci_low", "ci_high")
        scalar: dict[str, Any] = {f.name: data.get(f.name) for f in fields(cls) if f.name not in nested}
        return cls(**scalar, per_code={c: CodeAgreement.from_json(v) for c, v in data.get("per_code", {}).items()},
                   confusion={a: dict(row) for a, row in data.get("confusion", {}).items()},
                   ci_low=dict(data.get("ci_low") or {}), ci_high=dict(data.get("ci_high") or {}))


# The method-level figures that get a bootstrap interval (keys of ci_low / ci_high).
INTERVAL_FIGURES = ("macro_roc_auc", "length_floor_auc", "macro_f1", "micro_f1", "micro_f1_at_prevalence",
                    "top1_macro_f1", "kappa", "macro_krippendorff_alpha")
CONFIDENCE = 0.95

def holdout_split(documents: Sequence[str], share: float, seed: int) -> set[str]:
    """A seeded random `share` of the documents (at least one, when share > 0)."""
    docs = sorted(set(documents))
    if share <= 0 or not docs:
        return set()
    rng = np.random.default_rng(seed)
    n = max(1, int(round(share * len(docs))))
    return set(rng.choice(docs, size=min(n, len(docs) - 1) if len(docs) > 1 else 1, replace=False).tolist())


def prevalence_thresholds(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per code, the threshold t such that `score > t` predicts at most as many segments as the
    code has positives: the (n_pos + 1)-th highest score. Shape (n_codes,)."""
    n = scores.shape[0]
    out = np.full(scores.shape[1], np.inf)
    for c in range(scores.shape[1]):
        k = int(labels[:, c].sum())
        if 0 < k < n:
            out[c] = np.sort(scores[:, c])[::-1][k]
        elif k >= n:
            out[c] = -np.inf
    return out


def _prf(truth: np.ndarray, pred: np.ndarray) -> tuple[float, float, float, int, int, int]:
    tp = int((truth & pred).sum())
    fp = int((~truth & pred).sum())
    fn = int((truth & ~pred).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, tp, fp, fn


def roc_aucs(truth: np.ndarray, scores: np.ndarray) -> list[float]:
    """ROC AUC of each column: truth (n, C) bool, every column with both classes; scores (n, C).
    One roc_auc_score call with average=None (scikit-learn's per-label loop: the figures of one
    call per column, checking the inputs once instead of C times)."""
    if truth.shape[1] == 1:
        return [float(roc_auc_score(truth[:, 0], scores[:, 0]))]
    return [float(x) for x in roc_auc_score(truth, scores, average=None)]


def _kappa(truth: np.ndarray, pred: np.ndarray) -> float:
    if (truth == pred).all():
        return 1.0
    value = cohen_kappa_score(truth.ravel(), pred.ravel())
    return float(value) if np.isfinite(value) else 0.0


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), digits)


def krippendorff_alpha(truth: np.ndarray, pred: np.ndarray) -> float | None:
    """Krippendorff's alpha (nominal) of two coders over the same units (the human and the
    method, one bool decision each per segment); None when only one value occurs."""
    data = np.vstack([truth, pred]).astype(float)
    if len(np.unique(data)) < 2:
        return None
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


class LengthFloor:
    """The length-floor AUC of each code on one set of evaluated rows: the ROC AUC of segment
    length alone for the code's human labels. It is the same for every method scored on those
    rows, so a caller scoring several methods makes one and passes it to each
    :func:`agreement` call (`floor=`); the AUCs are computed once, when first asked for.

    labels: (n_segments, n_codes) bool; lengths: (n_segments,); evaluate: (n_segments,) bool
    mask of the rows (None: all)."""

    def __init__(self, labels: np.ndarray, lengths: np.ndarray, evaluate: np.ndarray | None = None) -> None:
        self.labels = labels
        self.lengths = lengths
        self.evaluate = np.ones(labels.shape[0], dtype=bool) if evaluate is None else np.asarray(evaluate, dtype=bool)
        self._aucs: dict[int, float | None] | None = None

    def matches(self, labels: np.ndarray, lengths: np.ndarray, evaluate: np.ndarray) -> bool:
        """Whether this floor is that of these labels, lengths and evaluated rows."""
        return ((labels is self.labels or np.array_equal(labels, self.labels))
                and (lengths is self.lengths or np.array_equal(lengths, self.lengths))
                and np.array_equal(evaluate, self.evaluate))

    def auc(self, code: int) -> float | None:
        """The length AUC of code column `code` on the evaluated rows (None with one class)."""
        if self._aucs is None:  # every code at once, when first asked
            y = np.asarray(self.labels[self.evaluate], dtype=bool)
            both = [c for c in range(y.shape[1]) if y[:, c].any() and not y[:, c].all()]
            self._aucs = dict.fromkeys(range(y.shape[1]))
            if both:
                lengths = np.repeat(np.asarray(self.lengths[self.evaluate], dtype=float)[:, None], len(both), axis=1)
                self._aucs.update(zip(both, roc_aucs(y[:, both], lengths), strict=True))
        return self._aucs[code]


def agreement(scores: np.ndarray, labels: np.ndarray, lengths: np.ndarray, code_ids: Sequence[str], *,
              evaluate: np.ndarray | None = None, calibrate: np.ndarray | None = None,
              min_positives: int = 1, documents: np.ndarray | None = None, resamples: int = 0,
              seed: int = 0, floor: LengthFloor | None = None, reliability: bool = True) -> MethodAgreement:
    """Agreement figures of one method.

    scores, labels: (n_segments, n_codes); lengths: (n_segments,) tokens per segment.
    evaluate: bool mask of the rows reported on (default all); calibrate: rows whose
    prevalence sets the thresholds (default: the evaluated rows themselves).
    Codes with fewer than `min_positives` positives among the evaluated rows are left out.
    documents: (n_segments,) document id per row; with `resamples` > 0, every method-level
    figure gets a bootstrap interval over the evaluated documents (seeded by `seed`).
    floor: the length-floor AUCs of these labels, lengths and evaluated rows (:class:`LengthFloor`;
    made here when not given), shared by the methods scored on the same rows.
    reliability: False leaves out each code's kappa, Krippendorff's alpha and length AUC (None
    in the result, and so their macro means), for callers that read only the AUC and F1 figures.
    Returns macro_roc_auc, macro_f1, micro_f1 (= micro_f1_at_prevalence), top1_macro_f1,
    kappa, macro_krippendorff_alpha, length_floor_auc, ci_low / ci_high, per_code, confusion.
    """
    n = scores.shape[0]
    evaluate = np.ones(n, dtype=bool) if evaluate is None else evaluate
    calibrate = evaluate if calibrate is None else calibrate
    if floor is None:
        floor = LengthFloor(labels, lengths, evaluate)
    elif not floor.matches(labels, lengths, evaluate):
        raise ValueError("agreement: `floor` was made for other labels, lengths or evaluated rows.")
    y = labels[evaluate]
    keep = [c for c in range(len(code_ids)) if y[:, c].sum() >= max(min_positives, 1) and not y[:, c].all()]
    thresholds = prevalence_thresholds(scores[calibrate], labels[calibrate])
    s = scores[evaluate]
    pred = s > thresholds[None, :]
    z = standardise(scores)[evaluate]
    top1 = np.zeros_like(pred)
    if keep:
        best = np.asarray(keep)[np.argmax(z[:, keep], axis=1)]
        top1[np.arange(len(best)), best] = True
    per_code: dict[str, CodeAgreement] = {}
    tp = fp = fn = 0
    aucs = dict(zip(keep, roc_aucs(y[:, keep], s[:, keep]), strict=True)) if keep else {}
    for c in keep:
        truth = y[:, c]
        p, r, f, a, b, d = _prf(truth, pred[:, c])
        tp, fp, fn = tp + a, fp + b, fn + d
        per_code[code_ids[c]] = CodeAgreement(
            positives=int(truth.sum()), predicted=int(pred[:, c].sum()),
            precision=_r(p), recall=_r(r), f1=_r(f),
            roc_auc=_r(aucs[c]), length_auc=_r(floor.auc(c)) if reliability else None,
            top1_f1=_r(_prf(truth, top1[:, c])[2]),
            kappa=_r(_kappa(truth, pred[:, c])) if reliability else None, threshold=_r(thresholds[c], 6),
            krippendorff_alpha=_r(krippendorff_alpha(truth, pred[:, c])) if reliability else None,
        )
    micro_p = tp / (tp + fp) if tp + fp else 0.0
    micro_r = tp / (tp + fn) if tp + fn else 0.0
    micro_f1 = 2 * micro_p * micro_r / (micro_p + micro_r) if micro_p + micro_r else 0.0

    def mean(key: str) -> float | None:
        vals = [getattr(v, key) for v in per_code.values() if getattr(v, key) is not None]
        return _r(float(np.mean(vals))) if vals else None

    confusion = {code_ids[a]: {code_ids[b]: int((y[:, a] & pred[:, b]).sum()) for b in keep} for a in keep}
    low: dict[str, float | None] = {}
    high: dict[str, float | None] = {}
    if resamples > 0 and documents is not None and keep:
        decisions = Decisions(y[:, keep], pred[:, keep], top1[:, keep], s[:, keep], lengths[evaluate])
        bounds = document_bootstrap(decisions, np.asarray(documents)[evaluate], resamples=resamples, seed=seed)
        if bounds is not None:
            low = {k: _r(v) for k, v in zip(INTERVAL_FIGURES, bounds[0], strict=True)}
            high = {k: _r(v) for k, v in zip(INTERVAL_FIGURES, bounds[1], strict=True)}
    return MethodAgreement(
        n_segments=int(evaluate.sum()), n_calibration_segments=int(calibrate.sum()),
        n_codes=len(keep), macro_roc_auc=mean("roc_auc"), length_floor_auc=mean("length_auc"),
        macro_f1=mean("f1"), micro_f1=_r(micro_f1), micro_f1_at_prevalence=_r(micro_f1),
        micro_precision=_r(micro_p), micro_recall=_r(micro_r),
        top1_macro_f1=mean("top1_f1"),
        kappa=_r(_kappa(y[:, keep], pred[:, keep])) if keep else None,
        per_code=per_code, confusion=confusion,
        macro_krippendorff_alpha=mean("krippendorff_alpha"), ci_low=low, ci_high=high,
    )


# --------------------------------------------------------------------------- intervals


@dataclass(frozen=True)
class Decisions:
    """One method's evaluated decisions, the codes kept: truth, pred, top1 (n, C) bool, scores
    (n, C) and lengths (n,). :meth:`figures` computes the method-level figures for any segment
    weights, which is how a bootstrap resample (documents drawn with replacement) is scored."""

    truth: np.ndarray
    pred: np.ndarray
    top1: np.ndarray
    scores: np.ndarray
    lengths: np.ndarray

    def figures(self, weights: np.ndarray) -> np.ndarray:
        """weights: (R, n) segment weights; returns (R, len(INTERVAL_FIGURES)), NaN where a
        figure is undefined in a resample (a code without positives drops out of a macro mean)."""
        w = np.asarray(weights, dtype=float)
        y = self.truth.astype(float)
        p = self.pred.astype(float)
        tp, fp, fn, tn = w @ (y * p), w @ ((1 - y) * p), w @ (y * (1 - p)), w @ ((1 - y) * (1 - p))  # (R, C)
        t1 = self.top1.astype(float)
        tp1, fp1, fn1 = w @ (y * t1), w @ ((1 - y) * t1), w @ (y * (1 - t1))
        n_codes = y.shape[1]
        auc = np.column_stack([weighted_auc(w, self.truth[:, c], self.scores[:, c]) for c in range(n_codes)])
        length = np.column_stack([weighted_auc(w, self.truth[:, c], self.lengths) for c in range(n_codes)])
        total = w.sum(axis=1, keepdims=True)
        # Krippendorff's alpha of two coders, binary nominal values: 1 - (2N - 1) d / (n0 n1)
        ones = 2 * tp + fp + fn
        zeros = 2 * total - ones
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.where(ones * zeros > 0, 1 - (2 * total - 1) * (fp + fn) / (ones * zeros), np.nan)
            micro = _f1(tp.sum(1), fp.sum(1), fn.sum(1))
            out = np.column_stack([
                _nanmean(auc), _nanmean(length), _f1(tp, fp, fn).mean(axis=1), micro, micro,
                _f1(tp1, fp1, fn1).mean(axis=1),
                _pooled_kappa(tp.sum(1), fp.sum(1), fn.sum(1), tn.sum(1)), _nanmean(alpha),
            ])
        return out


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    den = 2 * tp + fp + fn
    return np.divide(2 * tp, den, out=np.zeros_like(den, dtype=float), where=den > 0)


def _nanmean(values: np.ndarray) -> np.ndarray:
    """Row means ignoring NaN; NaN for an all-NaN row (without numpy's warning)."""
    ok = np.isfinite(values)
    n = ok.sum(axis=1)
    total = np.where(ok, values, 0.0).sum(axis=1)
    return np.divide(total, n, out=np.full(len(n), np.nan), where=n > 0)


def _pooled_kappa(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, tn: np.ndarray) -> np.ndarray:
    """Cohen's kappa over all segment x code decisions from weighted counts (as `_kappa`: 1 when
    every decision agrees, 0 when kappa is undefined)."""
    n = tp + fp + fn + tn
    po = (tp + tn) / n
    pe = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / n**2
    kappa = np.divide(po - pe, 1 - pe, out=np.zeros_like(po), where=pe < 1)
    return np.where(fp + fn == 0, 1.0, kappa)


def weighted_auc(weights: np.ndarray, truth: np.ndarray, score: np.ndarray) -> np.ndarray:
    """ROC AUC of `score` for `truth` (n,) under each row of segment weights (R, n): the
    weighted Mann-Whitney statistic, ties counted half (what roc_auc_score gives on the
    segments repeated by their weights). NaN where a resample has no positive or no negative."""
    order = np.argsort(score, kind="stable")
    ranked = score[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    w = weights[:, order]
    positive = truth[order]
    pos = np.add.reduceat(w * positive, starts, axis=1)  # (R, groups of equal score)
    neg = np.add.reduceat(w * ~positive, starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    num = (pos * (below + 0.5 * neg)).sum(axis=1)
    den = pos.sum(axis=1) * neg.sum(axis=1)
    return np.divide(num, den, out=np.full(len(den), np.nan), where=den > 0)


def document_weights(draws: np.ndarray, n_documents: int) -> np.ndarray:
    """(R, n_documents) drawn document indices -> (R, n_documents) how often each was drawn."""
    draws = np.asarray(draws, dtype=np.int64).reshape(-1, n_documents)
    offsets = (np.arange(len(draws)) * n_documents)[:, None]
    return np.bincount((draws + offsets).ravel(), minlength=len(draws) * n_documents).reshape(len(draws), n_documents).astype(float)


def document_bootstrap(decisions: Decisions, documents: np.ndarray, *, resamples: int, seed: int,
                       confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray] | None:
    """Percentile bootstrap intervals of every INTERVAL_FIGURES figure, resampling documents.

    scipy.stats.bootstrap draws document indices (a statistic over document indices); a draw
    becomes segment weights (its documents' counts). Returns (low, high), each
    (len(INTERVAL_FIGURES),) with NaN where undefined, or None with fewer than 2 documents.
    The same seed gives every method the same resamples (paired intervals).
    """
    ids, doc_of_row = np.unique(np.asarray(documents), return_inverse=True)
    n_docs = len(ids)
    if n_docs < 2:
        return None

    def statistic(draws: np.ndarray, axis: int = -1) -> np.ndarray:
        shape = np.shape(draws)[:-1]
        weights = document_weights(draws, n_docs)[:, doc_of_row]
        return decisions.figures(weights).T.reshape((len(INTERVAL_FIGURES), *shape))

    # resamples in batches so that the (batch, n_segments) weights stay below ~16 MB
    batch = max(1, min(resamples, 2_000_000 // max(len(doc_of_row), 1)))
    result = bootstrap((np.arange(n_docs),), statistic, vectorized=True, n_resamples=resamples, batch=batch,
                       method="percentile", confidence_level=confidence, rng=np.random.default_rng(seed))
    ci = result.confidence_interval
    return np.asarray(ci.low, dtype=float), np.asarray(ci.high, dtype=float)



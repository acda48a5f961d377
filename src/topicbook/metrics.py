"""Agreement of per-segment code scores with human codes: the figures of one scoring method.

Per code: precision, recall, F1 at a threshold that predicts as many segments as the code has
positives (its prevalence), ROC AUC, and the AUC of segment length alone (the floor every AUC
is read against); overall: macro and micro figures, Cohen's kappa over all segment x code
decisions, the F1 of each segment's single best code, and a code-by-code confusion table.

Typed results: :class:`CodeAgreement` per code inside :class:`MethodAgreement` per method (the
entries of agreement.json, `to_json` / `from_json`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MethodAgreement:
        scalar: dict[str, Any] = {f.name: data.get(f.name) for f in fields(cls) if f.name not in ("per_code", "confusion")}
        return cls(**scalar, per_code={c: CodeAgreement.from_json(v) for c, v in data.get("per_code", {}).items()},
                   confusion={a: dict(row) for a, row in data.get("confusion", {}).items()})

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


def _auc(truth: np.ndarray, score: np.ndarray) -> float | None:
    if truth.all() or not truth.any():
        return None
    return float(roc_auc_score(truth, score))


def _kappa(truth: np.ndarray, pred: np.ndarray) -> float:
    if (truth == pred).all():
        return 1.0
    value = cohen_kappa_score(truth.ravel(), pred.ravel())
    return float(value) if np.isfinite(value) else 0.0


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(float(x), digits)


def agreement(scores: np.ndarray, labels: np.ndarray, lengths: np.ndarray, code_ids: Sequence[str], *,
              evaluate: np.ndarray | None = None, calibrate: np.ndarray | None = None,
              min_positives: int = 1) -> MethodAgreement:
    """Agreement figures of one method.

    scores, labels: (n_segments, n_codes); lengths: (n_segments,) tokens per segment.
    evaluate: bool mask of the rows reported on (default all); calibrate: rows whose
    prevalence sets the thresholds (default: the evaluated rows themselves).
    Codes with fewer than `min_positives` positives among the evaluated rows are left out.
    Returns macro_roc_auc, macro_f1, micro_f1 (= micro_f1_at_prevalence), top1_macro_f1,
    kappa, length_floor_auc, per_code and confusion.
    """
    n = scores.shape[0]
    evaluate = np.ones(n, dtype=bool) if evaluate is None else evaluate
    calibrate = evaluate if calibrate is None else calibrate
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
    for c in keep:
        truth = y[:, c]
        p, r, f, a, b, d = _prf(truth, pred[:, c])
        tp, fp, fn = tp + a, fp + b, fn + d
        per_code[code_ids[c]] = CodeAgreement(
            positives=int(truth.sum()), predicted=int(pred[:, c].sum()),
            precision=_r(p), recall=_r(r), f1=_r(f),
            roc_auc=_r(_auc(truth, s[:, c])), length_auc=_r(_auc(truth, lengths[evaluate])),
            top1_f1=_r(_prf(truth, top1[:, c])[2]),
            kappa=_r(_kappa(truth, pred[:, c])), threshold=_r(thresholds[c], 6),
        )
    micro_p = tp / (tp + fp) if tp + fp else 0.0
    micro_r = tp / (tp + fn) if tp + fn else 0.0
    micro_f1 = 2 * micro_p * micro_r / (micro_p + micro_r) if micro_p + micro_r else 0.0

    def mean(key: str) -> float | None:
        vals = [getattr(v, key) for v in per_code.values() if getattr(v, key) is not None]
        return _r(float(np.mean(vals))) if vals else None

    confusion = {code_ids[a]: {code_ids[b]: int((y[:, a] & pred[:, b]).sum()) for b in keep} for a in keep}
    return MethodAgreement(
        n_segments=int(evaluate.sum()), n_calibration_segments=int(calibrate.sum()),
        n_codes=len(keep), macro_roc_auc=mean("roc_auc"), length_floor_auc=mean("length_auc"),
        macro_f1=mean("f1"), micro_f1=_r(micro_f1), micro_f1_at_prevalence=_r(micro_f1),
        micro_precision=_r(micro_p), micro_recall=_r(micro_r),
        top1_macro_f1=mean("top1_f1"),
        kappa=_r(_kappa(y[:, keep], pred[:, keep])) if keep else None,
        per_code=per_code, confusion=confusion,
    )



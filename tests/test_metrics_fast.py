"""topicbook.metrics' shortcuts give scikit-learn's figures exactly: the 2 x 2 kappa, the
per-column AUCs of one roc_auc_score call, the length floor computed once per evaluated rows,
and the learning curve's agreement without the figures it does not read."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score, roc_auc_score

from topicbook.metrics import LengthFloor, _kappa, agreement, kappa_from_counts, roc_auc, roc_aucs

CODES = ["a", "b", "c", "d", "e"]


def test_kappa_is_cohen_kappa_score_to_the_last_bit() -> None:
    rng = np.random.default_rng(0)
    checked = 0
    for n in (2, 3, 7, 40, 229, 1000):
        for p_truth in (0.05, 0.3, 0.9):
            for p_pred in (0.0, 0.1, 0.5, 1.0):
                truth = rng.random(n) < p_truth
                pred = rng.random(n) < p_pred
                expected = cohen_kappa_score(truth, pred) if not (truth == pred).all() else 1.0
                expected = expected if np.isfinite(expected) else 0.0
                assert _kappa(truth, pred) == expected, (n, p_truth, p_pred)
                checked += 1
    assert checked == 72
    # 2-D decisions (the pooled kappa over segment x code), and a truth with one class only
    truth, pred = rng.random((50, 4)) < 0.3, rng.random((50, 4)) < 0.3
    assert _kappa(truth, pred) == cohen_kappa_score(truth.ravel(), pred.ravel())
    assert kappa_from_counts(0, 0, 5, 5) == cohen_kappa_score([1] * 10, [0] * 5 + [1] * 5) == 0.0


def test_roc_auc_is_roc_auc_score_to_the_last_bit() -> None:
    rng = np.random.default_rng(1)
    checked = 0
    for n in (2, 3, 5, 17, 90, 229, 2000):
        for share in (0.01, 0.1, 0.5, 0.9):
            truth = rng.random(n) < share
            if truth.all() or not truth.any():
                truth[0], truth[-1] = True, False
            for kind in ("float", "ties", "few", "tiny", "int", "same", "signal"):
                score = {"float": rng.normal(size=n), "ties": np.round(rng.random(n), 1),
                         "few": rng.integers(0, 3, size=n).astype(float), "tiny": 3.0 + rng.random(n) * 1e-12,
                         "int": rng.integers(5, 400, size=n).astype(float), "same": np.full(n, 0.25),
                         "signal": truth + rng.normal(scale=0.7, size=n)}[kind]
                assert roc_auc(truth, score) == roc_auc_score(truth, score), (n, share, kind)
                checked += 1
    assert checked == 196
    truth = rng.random((60, 4)) < 0.3
    truth[0], truth[1] = True, False
    scores = rng.random((60, 4))
    assert roc_aucs(truth, scores) == [roc_auc_score(truth[:, c], scores[:, c]) for c in range(4)]
    scores[3, 2] = np.nan
    with pytest.raises(ValueError):  # what roc_auc_score says about a NaN score
        roc_aucs(truth, scores)


def _data(seed: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.random((90, 5)) < [0.2, 0.4, 0.05, 0.0, 0.3]
    lengths = rng.integers(5, 60, size=90).astype(float)
    evaluate = rng.random(90) < 0.7
    scores = labels * rng.random((90, 5)) + rng.random((90, 5))
    return scores, labels, lengths, evaluate


def test_a_shared_floor_gives_the_figures_of_a_floor_of_ones_own() -> None:
    scores, labels, lengths, evaluate = _data()
    floor = LengthFloor(labels, lengths, evaluate)
    for shift in range(3):
        s = np.roll(scores, shift, axis=1)
        alone = agreement(s, labels, lengths, CODES, evaluate=evaluate, min_positives=2)
        shared = agreement(s, labels, lengths, CODES, evaluate=evaluate, min_positives=2, floor=floor)
        assert shared == alone
    y, n = labels[evaluate], lengths[evaluate]
    assert floor.auc(0) == roc_auc_score(y[:, 0], n) and floor.auc(3) is None
    assert alone.per_code["a"].length_auc == round(roc_auc_score(y[:, 0], n), 4)


def test_a_floor_of_other_rows_is_refused() -> None:
    scores, labels, lengths, evaluate = _data()
    floor = LengthFloor(labels, lengths, ~evaluate)
    with pytest.raises(ValueError, match="floor"):
        agreement(scores, labels, lengths, CODES, evaluate=evaluate, floor=floor)


def test_without_reliability_only_the_kappa_alpha_and_length_figures_go() -> None:
    scores, labels, lengths, evaluate = _data(5)
    full = agreement(scores, labels, lengths, CODES, evaluate=evaluate, min_positives=2)
    brief = agreement(scores, labels, lengths, CODES, evaluate=evaluate, min_positives=2, reliability=False)
    assert full.macro_krippendorff_alpha is not None and full.length_floor_auc is not None
    assert brief.macro_krippendorff_alpha is None and brief.length_floor_auc is None
    for code, fig in full.per_code.items():
        other = brief.per_code[code]
        assert fig.kappa is not None and other.kappa is None and other.krippendorff_alpha is None
        assert other.length_auc is None
        assert (other.roc_auc, other.f1, other.precision, other.recall, other.top1_f1, other.threshold) == (
            fig.roc_auc, fig.f1, fig.precision, fig.recall, fig.top1_f1, fig.threshold)
    assert (brief.macro_roc_auc, brief.micro_f1, brief.macro_f1, brief.kappa, brief.n_codes, brief.n_segments) == (
        full.macro_roc_auc, full.micro_f1, full.macro_f1, full.kappa, full.n_codes, full.n_segments)

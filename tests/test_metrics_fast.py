"""topicbook.metrics' shortcuts give the same figures: the length floor computed once per
evaluated rows, and the learning curve's agreement without the figures it does not read."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from topicbook.metrics import LengthFloor, agreement

CODES = ["a", "b", "c", "d", "e"]


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

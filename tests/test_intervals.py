"""Agreement intervals (documents resampled) and Krippendorff's alpha, against direct library calls."""

from __future__ import annotations

import dataclasses

import krippendorff
import numpy as np
import pytest
from scipy.stats import bootstrap
from sklearn.metrics import cohen_kappa_score, f1_score, roc_auc_score

from topicbook.metrics import (
    INTERVAL_FIGURES,
    Decisions,
    MethodAgreement,
    agreement,
    prevalence_thresholds,
    weighted_auc,
)

CODES = ["a", "b", "c", "d"]


def coded_data(seed: int = 3, n_docs: int = 14, per_doc: int = 12):
    """Scores that carry the labels with noise, documents of `per_doc` segments each."""
    rng = np.random.default_rng(seed)
    n = n_docs * per_doc
    docs = np.repeat([f"doc{i:02d}" for i in range(n_docs)], per_doc)
    labels = rng.random((n, len(CODES))) < 0.2
    scores = labels * rng.random((n, len(CODES))) + 0.8 * rng.random((n, len(CODES)))
    lengths = rng.integers(5, 80, n).astype(float)
    return scores, labels, lengths, docs


def test_figures_of_unit_weights_are_the_point_estimates():
    scores, labels, lengths, docs = coded_data()
    fig = agreement(scores, labels, lengths, CODES, documents=docs, resamples=50, seed=1)
    pred = scores > prevalence_thresholds(scores, labels)[None, :]
    z = (scores - scores.mean(0)) / scores.std(0)
    top1 = np.zeros_like(labels)
    top1[np.arange(len(z)), z.argmax(1)] = True
    decisions = Decisions(labels, pred, top1, scores, lengths)
    values = dict(zip(INTERVAL_FIGURES, decisions.figures(np.ones((1, len(docs))))[0], strict=True))
    for name in INTERVAL_FIGURES:
        assert values[name] == pytest.approx(getattr(fig, name), abs=2e-4), name
        low, high = fig.interval(name)
        assert low is not None and high is not None and low <= getattr(fig, name) + 1e-4 and high >= getattr(fig, name) - 1e-4


def test_macro_auc_and_kappa_intervals_equal_a_direct_scipy_bootstrap_over_documents():
    """The vectorised statistic (weights per segment) against scipy.stats.bootstrap with a plain
    statistic that rebuilds each resample's segments and calls scikit-learn."""
    scores, labels, lengths, docs = coded_data()
    fig = agreement(scores, labels, lengths, CODES, documents=docs, resamples=120, seed=11)
    pred = scores > prevalence_thresholds(scores, labels)[None, :]
    ids, doc_index = np.unique(docs, return_inverse=True)
    rows_of = [np.flatnonzero(doc_index == d) for d in range(len(ids))]

    def rows(draw: np.ndarray) -> np.ndarray:
        return np.concatenate([rows_of[int(d)] for d in draw])

    def macro_auc(draw: np.ndarray) -> float:
        r = rows(draw)
        values = [roc_auc_score(labels[r, c], scores[r, c]) for c in range(len(CODES))
                  if labels[r, c].any() and not labels[r, c].all()]
        return float(np.mean(values))

    def kappa(draw: np.ndarray) -> float:
        r = rows(draw)
        return float(cohen_kappa_score(labels[r].ravel(), pred[r].ravel()))

    def macro_f1(draw: np.ndarray) -> float:
        r = rows(draw)
        return float(f1_score(labels[r], pred[r], average="macro", zero_division=0))

    for name, statistic in (("macro_roc_auc", macro_auc), ("kappa", kappa), ("macro_f1", macro_f1)):
        direct = bootstrap((np.arange(len(ids)),), statistic, vectorized=False, n_resamples=120,
                           method="percentile", rng=np.random.default_rng(11)).confidence_interval
        assert fig.interval(name) == (pytest.approx(direct.low, abs=1e-4), pytest.approx(direct.high, abs=1e-4)), name


def test_krippendorff_alpha_per_code_is_the_packages_and_its_weighted_form_matches_repeated_rows():
    scores, labels, lengths, docs = coded_data(seed=8)
    fig = agreement(scores, labels, lengths, CODES)
    pred = scores > prevalence_thresholds(scores, labels)[None, :]
    for c, code in enumerate(CODES):
        direct = krippendorff.alpha(reliability_data=np.vstack([labels[:, c], pred[:, c]]).astype(float),
                                    level_of_measurement="nominal")
        assert fig.per_code[code].krippendorff_alpha == pytest.approx(direct, abs=1e-4)
    assert fig.macro_krippendorff_alpha == pytest.approx(np.mean([fig.per_code[c].krippendorff_alpha for c in CODES]), abs=1e-4)
    # integer weights = segments repeated: the closed form equals the package on the repeated rows
    weights = np.random.default_rng(0).integers(0, 3, len(docs)).astype(float)
    repeated = np.repeat(np.arange(len(docs)), weights.astype(int))
    alphas = [krippendorff.alpha(reliability_data=np.vstack([labels[repeated, c], pred[repeated, c]]).astype(float),
                                 level_of_measurement="nominal") for c in range(len(CODES))]
    decisions = Decisions(labels, pred, pred, scores, lengths)
    got = dict(zip(INTERVAL_FIGURES, decisions.figures(weights[None, :])[0], strict=True))
    assert got["macro_krippendorff_alpha"] == pytest.approx(np.mean(alphas), abs=1e-9)


def test_perfect_predictions_have_alpha_one_and_a_degenerate_interval():
    labels = np.zeros((40, 2), dtype=bool)
    labels[::4, 0] = True
    labels[1::5, 1] = True
    docs = np.repeat([f"d{i}" for i in range(8)], 5)
    fig = agreement(labels.astype(float), labels, np.ones(40), ["x", "y"], documents=docs, resamples=100, seed=0)
    assert fig.per_code["x"].krippendorff_alpha == 1.0 and fig.macro_krippendorff_alpha == 1.0
    assert fig.interval("macro_roc_auc") == (1.0, 1.0) and fig.interval("kappa") == (1.0, 1.0)


def test_weighted_auc_with_ties_equals_roc_auc_on_repeated_rows():
    rng = np.random.default_rng(2)
    truth = rng.random(60) < 0.3
    score = rng.integers(0, 5, 60).astype(float)  # many ties
    weights = rng.integers(0, 4, (3, 60)).astype(float)
    got = weighted_auc(weights, truth, score)
    for r in range(3):
        rows = np.repeat(np.arange(60), weights[r].astype(int))
        assert got[r] == pytest.approx(roc_auc_score(truth[rows], score[rows]))


def test_intervals_use_only_the_evaluated_documents_and_round_trip_through_json():
    """Rows outside `evaluate` (uncoded documents) change neither the figures nor the intervals
    (but for the top-1 figure, whose z-scores are standardised over the whole corpus)."""
    scores, labels, lengths, docs = coded_data()
    base = agreement(scores, labels, lengths, CODES, documents=docs, resamples=200, seed=4)
    extra = 60
    rng = np.random.default_rng(9)
    more_scores = np.vstack([scores, rng.random((extra, len(CODES)))])
    more_labels = np.vstack([labels, np.zeros((extra, len(CODES)), dtype=bool)])
    more_docs = np.concatenate([docs, np.repeat(["uncoded1", "uncoded2"], extra // 2)])
    evaluate = np.r_[np.ones(len(docs), dtype=bool), np.zeros(extra, dtype=bool)]
    more = agreement(more_scores, more_labels, np.r_[lengths, np.ones(extra)], CODES, evaluate=evaluate,
                     documents=more_docs, resamples=200, seed=4)
    for name in INTERVAL_FIGURES:
        if name != "top1_macro_f1":
            assert more.interval(name) == base.interval(name), name
    assert more.macro_roc_auc == base.macro_roc_auc and more.n_segments == len(docs)
    data = base.to_json()
    assert list(data)[-2:] == ["per_code", "confusion"] and set(data["ci_low"]) == set(INTERVAL_FIGURES)
    assert MethodAgreement.from_json(data) == base
    assert dataclasses.replace(base, ci_low={}, ci_high={}).interval("kappa") == (None, None)

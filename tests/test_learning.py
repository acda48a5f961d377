"""The learned score (topicbook.learning) on planted themes: human codes on some interviews
teach it what the codebook alone misses, its cross-validation keeps documents whole, and the
suggestion picker prefers uncertain segments spread over documents."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import topicbook.learning as learning_module
from conftest import THEMES, WEAK_CODEBOOK, planted_turn
from topicbook.codebook import load_codebook
from topicbook.config import PreprocessConfig
from topicbook.learning import (
    CodeLearning,
    LearnedScores,
    LearningCurve,
    LearningSettings,
    Suggestion,
    curve_sizes,
    curve_work,
    grouped_folds,
    learn_scores,
    learned_agreement,
    learning_curve,
    suggest_next,
)
from topicbook.preprocess import Preprocessor, vectorize
from topicbook.scoring import feature_spaces, similarity_from_spaces

CODES = ("gardening", "music", "cooking", "astronomy")
N_DOCS, TURNS = 12, 12


class Planted:
    """Short planted turns (8 words), human labels = the turn's theme with 5% of them flipped."""

    def __init__(self, root: Path, seed: int = 11) -> None:
        rng = random.Random(seed)
        themes = list(THEMES)
        texts, docs, truth = [], [], []
        for d in range(N_DOCS):
            for t in range(TURNS):
                theme = themes[(d + t * 3 + rng.randrange(2)) % len(themes)]
                texts.append(planted_turn(rng, theme, 8))
                docs.append(f"doc{d:02d}")
                truth.append(theme)
        cfg = PreprocessConfig(phrases=False, min_df=2, max_df=0.6)
        pre = Preprocessor(cfg, language="en")
        ids = [f"doc{i // TURNS:02d}:{i % TURNS}" for i in range(len(texts))]
        dtm = vectorize(pre.fit_transform(texts), ids, cfg, pre.report)
        row = {s: i for i, s in enumerate(ids)}
        keep = [row[s] for s in dtm.segment_ids]
        book = root / "weak.yaml"
        book.write_text(WEAK_CODEBOOK, encoding="utf-8")
        codebook = load_codebook(book)
        self.segment_ids = list(dtm.segment_ids)
        self.docs = np.array([docs[i] for i in keep])
        self.spaces = feature_spaces(dtm, [texts[i] for i in keep])
        self.prior = similarity_from_spaces(self.spaces, codebook, dtm.vocab, pre.transform)
        noise = np.random.default_rng(seed)
        truth_arr = np.array([truth[i] for i in keep])
        self.truth = np.stack([truth_arr == c for c in CODES], axis=1) ^ (noise.random((len(keep), len(CODES))) < 0.05)
        self.truth[:, CODES.index("astronomy")] = False
        self.lengths = np.asarray(dtm.counts.sum(axis=1), dtype=float).ravel()

    def coded(self, docs: list[str]) -> np.ndarray:
        return np.isin(self.docs, docs)

    def learn(self, coded: np.ndarray, **kw) -> LearnedScores:  # type: ignore[no-untyped-def]
        return learn_scores(self.spaces, self.prior, self.truth & coded[:, None], coded, self.docs,
                            self.segment_ids, CODES, **kw)


@pytest.fixture(scope="module")
def planted_study(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    return Planted(tmp_path_factory.mktemp("learning"))


def _macro_auc(scores: np.ndarray, truth: np.ndarray, rows: np.ndarray, codes: range) -> float:
    return float(np.mean([roc_auc_score(truth[rows, c], scores[rows, c]) for c in codes]))


HALF = [f"doc{d:02d}" for d in range(0, N_DOCS, 2)]


def test_codings_on_half_the_documents_raise_the_auc_on_the_other_half(planted_study: Planted) -> None:
    coded = planted_study.coded(HALF)
    result = planted_study.learn(coded, seed=3)
    held = ~coded
    themed = range(3)  # astronomy has no positive anywhere
    prior_auc = _macro_auc(planted_study.prior, planted_study.truth, held, themed)
    learned_auc = _macro_auc(result.scores, planted_study.truth, held, themed)
    assert prior_auc < 0.9  # the weak codebook alone misses turns
    assert learned_auc > prior_auc + 0.03
    # the out-of-fold scores of the coded half beat the prior there too
    assert _macro_auc(result.scores, planted_study.truth, coded, themed) > _macro_auc(planted_study.prior, planted_study.truth, coded, themed)
    figures = learned_agreement(result, planted_study.truth & coded[:, None], planted_study.lengths)
    assert figures is not None and figures.n_segments == int(coded.sum())


def test_grouped_cv_never_puts_a_document_in_both_train_and_test(planted_study: Planted) -> None:
    coded = planted_study.coded(HALF + ["doc01", "doc03"])
    masks = grouped_folds(planted_study.docs, coded, 5)
    assert len(masks) == 5
    seen: set[str] = set()
    for test in masks:
        assert not (test & ~coded).any()  # only coded segments are tested
        test_docs = set(planted_study.docs[test].tolist())
        train_docs = set(planted_study.docs[coded & ~test].tolist())
        assert test_docs and train_docs and not test_docs & train_docs
        assert not test_docs & seen  # each document is tested in exactly one fold
        seen |= test_docs
    assert seen == set(planted_study.docs[coded].tolist())
    result = planted_study.learn(coded)
    assert [set(f) for f in result.folds] == [set(planted_study.docs[t].tolist()) for t in masks]
    assert grouped_folds(planted_study.docs, planted_study.coded(["doc00"]), 5) == []


def test_fallback_codes_are_reported_with_the_minimum(planted_study: Planted) -> None:
    coded = planted_study.coded(HALF)
    labels = planted_study.truth & coded[:, None]
    music = CODES.index("music")
    rows = np.flatnonzero(labels[:, music])
    labels[rows[2:], music] = False  # two coded music segments: below the minimum of 3
    result = learn_scores(planted_study.spaces, planted_study.prior, labels, coded, planted_study.docs,
                          planted_study.segment_ids, CODES)
    by_id = {c.code_id: c for c in result.codes}
    assert LearningSettings().min_positives == 3
    assert result.fallback_codes == ("music", "astronomy")
    assert by_id["music"].reason == "2 coded positive segments (fewer than 3)"
    assert by_id["astronomy"].reason == "0 coded positive segments (fewer than 3)"
    assert by_id["astronomy"].threshold == np.inf and by_id["astronomy"].threshold_source == "none"
    assert by_id["music"].weight == 0.0 and by_id["music"].threshold_source == "coded_prevalence"
    # a fallback code keeps the label-free score (standardised)
    z = (planted_study.prior[:, music] - planted_study.prior[:, music].mean()) / planted_study.prior[:, music].std()
    assert np.allclose(result.scores[:, music], z)
    assert by_id["gardening"].status == "learned" and by_id["gardening"].threshold_source == "grouped_cv"
    assert 0 < by_id["gardening"].weight < 1


def test_one_coded_document_learns_without_cv_and_reports_no_agreement(planted_study: Planted) -> None:
    coded = planted_study.coded(["doc00"])
    result = planted_study.learn(coded)
    assert result.folds == () and result.kappa_source == "default" and result.kappa == 20.0
    assert "gardening" in result.learned_codes
    assert {c.threshold_source for c in result.codes if c.status == "learned"} == {"all_segments_prevalence"}
    assert learned_agreement(result, planted_study.truth & coded[:, None], planted_study.lengths) is None
    assert not result.out_of_fold[coded].any() and result.out_of_fold[~coded].all()


def test_same_seed_same_result(planted_study: Planted) -> None:
    coded = planted_study.coded(HALF)
    a, b = planted_study.learn(coded, seed=5), planted_study.learn(coded, seed=5)
    assert np.array_equal(a.scores, b.scores)
    assert a.codes == b.codes and a.folds == b.folds and a.kappa == b.kappa
    assert suggest_next(a, 10) == suggest_next(b, 10)
    curve = dict(coded=coded, groups=planted_study.docs, code_ids=CODES, lengths=planted_study.lengths, seed=4)
    args = (planted_study.spaces, planted_study.prior, planted_study.truth & coded[:, None])
    assert learning_curve(*args, **curve) == learning_curve(*args, **curve)  # type: ignore[arg-type]


def test_results_round_trip_through_json(planted_study: Planted) -> None:
    coded = planted_study.coded(HALF)
    result = planted_study.learn(coded)
    back = LearnedScores.from_json(json.loads(json.dumps(result.to_json())))
    assert np.allclose(back.scores, result.scores, atol=1e-7)
    assert np.array_equal(back.coded, result.coded)
    assert back.codes == result.codes and back.folds == result.folds and back.settings == result.settings
    assert (back.segment_ids, back.code_ids, back.groups, back.kappa, back.kappa_source, back.cv_macro_roc_auc) == (
        result.segment_ids, result.code_ids, result.groups, result.kappa, result.kappa_source, result.cv_macro_roc_auc)
    assert back.to_json() == result.to_json()
    inf_code = CodeLearning("x", "fallback", "none", 0, 0, 0.0, float("inf"), "none")
    assert CodeLearning.from_json(json.loads(json.dumps(inf_code.to_json()))) == inf_code
    curve = learning_curve(planted_study.spaces, planted_study.prior, planted_study.truth & coded[:, None], coded,
                           planted_study.docs, CODES, planted_study.lengths)
    assert LearningCurve.from_json(json.loads(json.dumps(curve.to_json()))) == curve
    picks = suggest_next(result, 5)
    assert tuple(Suggestion.from_json(json.loads(json.dumps(s.to_json()))) for s in picks) == picks


def test_learning_curve_grows_with_coded_documents(planted_study: Planted) -> None:
    coded = planted_study.coded(HALF + ["doc01", "doc03"])  # 8 coded documents, 5 folds: 6 or 7 to train on
    curve = learning_curve(planted_study.spaces, planted_study.prior, planted_study.truth & coded[:, None], coded,
                           planted_study.docs, CODES, planted_study.lengths, seed=1)
    assert [p.n_documents for p in curve.points] == [1, 2, 4, 6] == curve_sizes(6)
    assert all(p.n_segments == int(coded.sum()) for p in curve.points)
    first, last = curve.points[0], curve.points[-1]
    assert last.macro_roc_auc > first.macro_roc_auc
    assert last.macro_roc_auc > last.prior_macro_roc_auc
    assert learning_curve(planted_study.spaces, planted_study.prior, planted_study.truth, np.ones(len(coded), bool),
                          np.zeros(len(coded)), CODES, planted_study.lengths).points == ()


def _hand_made(scores: np.ndarray, docs: list[str], coded: np.ndarray, positives: int = 5) -> LearnedScores:
    n_codes = scores.shape[1]
    codes = tuple(CodeLearning(f"c{k}", "learned", "", positives, 2, 0.2, 0.0, "grouped_cv") for k in range(n_codes))
    return LearnedScores(tuple(f"s{i}" for i in range(len(docs))), tuple(c.code_id for c in codes), scores, coded,
                         tuple(docs), codes, (), 20.0, "default", None)


def test_suggestions_prefer_segments_near_the_threshold() -> None:
    # one code, threshold 0; uncoded segments at distance 3, 0.1, 2 and 0.5 from it, one document
    scores = np.array([[3.0], [0.1], [-2.0], [0.5], [-0.05]])
    coded = np.array([False, False, False, False, True])
    picks = suggest_next(_hand_made(scores, ["d"] * 5, coded), 4)
    assert [p.segment_id for p in picks] == ["s1", "s3", "s2", "s0"]
    assert all(p.code_id == "c0" and "unsure about 'c0'" in p.reason for p in picks)
    assert "s4" not in {p.segment_id for p in picks}  # coded segments are never suggested
    assert picks[0].uncertainty > picks[1].uncertainty > picks[2].uncertainty
    allowed = np.array([True, False, True, True, True])  # s1 was suggested before
    assert [p.segment_id for p in suggest_next(_hand_made(scores, ["d"] * 5, coded), 2, candidates=allowed)] == ["s3", "s2"]


def test_suggestions_spread_over_documents_and_codes() -> None:
    # 4 documents x 5 segments, every segment equally uncertain for both codes
    docs = [f"d{d}" for d in range(4) for _ in range(5)]
    scores = np.tile(np.array([[0.0, 0.0], [2.0, -2.0]]), (10, 1))
    picks = suggest_next(_hand_made(scores, docs, np.zeros(20, bool)), 8)
    per_doc = np.unique([p.document for p in picks], return_counts=True)[1]
    assert len(picks) == 8 and per_doc.tolist() == [2, 2, 2, 2]
    per_code = np.unique([p.code_id for p in picks], return_counts=True)[1]
    assert per_code.tolist() == [4, 4]
    assert len({p.segment_id for p in picks}) == 8


def test_suggestions_on_planted_study_favour_uncertain_spread_segments(planted_study: Planted) -> None:
    coded = planted_study.coded(HALF)
    result = planted_study.learn(coded)
    picks = suggest_next(result, 12)
    assert len(picks) == 12 and all(not coded[result.segment_ids.index(p.segment_id)] for p in picks)
    # every uncoded document gets a pick before any gets a third
    per_doc = np.unique([p.document for p in picks], return_counts=True)[1]
    assert len(per_doc) == N_DOCS - len(HALF) and per_doc.max() <= 2
    # astronomy has no coded example: it is offered its likeliest first examples
    assert any(p.code_id == "astronomy" and "no coded segment yet" in p.reason for p in picks)
    assert np.mean([p.uncertainty for p in picks]) > 0.5


def test_macro_auc_by_ranks_is_sklearns_roc_auc() -> None:
    from topicbook.learning import _macro_auc

    rng = np.random.default_rng(0)
    scores = np.round(rng.normal(size=(60, 4)), 1)  # rounded: many ties
    labels = rng.random((60, 4)) < 0.3
    labels[:, 3] = False  # no positive: left out
    rows = np.arange(60) % 3 > 0
    expected = np.mean([roc_auc_score(labels[rows, c], scores[rows, c]) for c in range(3)])
    assert _macro_auc(scores, labels, rows, [0, 1, 2, 3]) == pytest.approx(expected, abs=1e-12)
    assert _macro_auc(scores, labels, rows, [3]) is None


def test_curve_sizes_are_capped_by_coarser_doubling() -> None:
    assert curve_sizes(8, max_points=6) == [1, 2, 4, 8]
    assert curve_sizes(600, max_points=6) == [1, 4, 16, 64, 256, 600]
    assert curve_sizes(40, max_points=6) == [1, 4, 16, 40]  # doubling would give 7
    assert curve_sizes(32, max_points=6) == [1, 2, 4, 8, 16, 32]
    assert len(curve_sizes(10_000, max_points=6)) <= 6 and curve_sizes(10_000, max_points=6)[-1] == 10_000


def test_learning_curve_reuses_the_cv_fits_and_keeps_to_its_budget(planted_study: Planted) -> None:
    coded = planted_study.coded(HALF[:5])  # 5 folds of one document: every fold trains on 4
    labels = planted_study.truth & coded[:, None]
    result = planted_study.learn(coded, seed=2)
    args = (planted_study.spaces, planted_study.prior, labels, coded, planted_study.docs, CODES, planted_study.lengths)
    fresh = learning_curve(*args, kappa=result.kappa, seed=2)
    assert learning_curve(*args, kappa=result.kappa, seed=2, result=result) == fresh  # the same fits, read back
    # the largest size trains every fold on all its documents: learned's own out-of-fold figure
    figures = learned_agreement(result, labels, planted_study.lengths)
    assert figures is not None and fresh.points[-1].macro_roc_auc == figures.macro_roc_auc
    tight = learning_curve(*args, kappa=result.kappa, seed=2, max_work=0)
    assert [p.n_documents for p in tight.points] == [1] and tight.skipped == (2, 4)
    assert tight.points[0] == fresh.points[0]


class CountingRegression(learning_module.LogisticRegression):
    """LogisticRegression that records the training segments of every fit (in `fits`)."""

    fits: list[int] = []

    def fit(self, X, y, sample_weight=None):  # type: ignore[no-untyped-def]
        CountingRegression.fits.append(X.shape[0])
        return super().fit(X, y, sample_weight)


def test_the_curve_budget_counts_the_fits_never_the_clock(planted_study: Planted, monkeypatch: pytest.MonkeyPatch) -> None:
    coded = planted_study.coded(HALF + ["doc01", "doc03"])  # 8 coded documents: sizes 1, 2, 4, 6
    args = (planted_study.spaces, planted_study.prior, planted_study.truth & coded[:, None], coded, planted_study.docs,
            CODES, planted_study.lengths)
    monkeypatch.setattr(learning_module, "LogisticRegression", CountingRegression)
    CountingRegression.fits = []
    free = learning_curve(*args, seed=1)
    fitted = list(CountingRegression.fits)
    assert len(fitted) > 0 and [p.n_documents for p in free.points] == [1, 2, 4, 6] and free.skipped == ()
    whole = sum(curve_work(1, n) for n in fitted)  # every fit of the four points
    assert whole == sum(fitted) + 1_000 * len(fitted)
    clock = iter(range(0, 10**9, 3_600))  # an hour passes at every reading: a very loaded machine
    monkeypatch.setattr(time, "perf_counter", lambda: float(next(clock)))
    monkeypatch.setattr(time, "process_time", lambda: float(next(clock)))
    assert learning_curve(*args, seed=1, max_work=whole) == free  # exactly enough: the same curve, whatever the clock
    short = learning_curve(*args, seed=1, max_work=whole - 1)  # one unit short: the largest size is left out
    assert short.points == free.points[:-1] and short.skipped == (6,)
    assert learning_curve(*args, seed=1, max_work=whole - 1) == short
    assert learning_curve(*args, seed=1, max_work=0).points == free.points[:1]  # the smallest size always


def test_learned_agreement_only_on_coded_segments(planted_study: Planted) -> None:
    coded = planted_study.coded(HALF)
    labels = planted_study.truth & coded[:, None]
    result = planted_study.learn(coded)
    held = coded & np.isin(planted_study.docs, HALF[:3])
    part = learned_agreement(result, labels, planted_study.lengths, evaluate=held, calibrate=coded & ~held)
    assert part is not None and part.n_segments == int(held.sum()) and part.n_calibration_segments == int((coded & ~held).sum())
    with pytest.raises(ValueError, match="inside the coded segments"):
        learned_agreement(result, labels, planted_study.lengths, evaluate=~coded)

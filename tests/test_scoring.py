"""The scoring functions on tiny hand-made inputs whose right answer is known."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from topicbook.codebook import Code, Codebook, SeedTerms
from topicbook.metrics import agreement, prevalence_thresholds
from topicbook.pairing import cosine_matrix, hungarian
from topicbook.preprocess import DocumentTermMatrix
from topicbook.scoring import (
    combine_scores,
    dictionary_terms,
    keyword_scores,
    length_scores,
    similarity_scores,
    standardise,
    topic_scores,
)

VOCAB = ("tomato", "soil", "guitar", "chord", "oven")
# three segments: gardening, music, gardening with an oven
COUNTS = np.array([[2, 1, 0, 0, 0], [0, 0, 3, 1, 0], [1, 0, 0, 0, 2]])
DTM = DocumentTermMatrix(sp.csr_matrix(COUNTS), VOCAB, ("s1", "s2", "s3"),
                         (("tomato", "tomato", "soil"), ("guitar",) * 3 + ("chord",), ("tomato", "oven", "oven")))
BOOK = Codebook("b", (Code("garden", "Garden", keywords=("tomato", "soil")),
                      Code("music", "Music", keywords=("guitar", "chord"))))


def split(text: str) -> list[str]:
    return text.lower().split()


def test_similarity_puts_each_segment_with_its_code() -> None:
    scores = similarity_scores(DTM, BOOK, split)
    assert scores.shape == (3, 2)
    assert scores[0, 0] > scores[0, 1] and scores[1, 1] > scores[1, 0] and scores[2, 0] > scores[2, 1]
    assert scores[1, 0] == 0.0 and scores[0, 1] == 0.0  # no shared term: cosine 0
    assert np.all(scores <= 1.0 + 1e-12)


def test_an_exclude_term_counts_against_its_code() -> None:
    book = Codebook("b", (Code("garden", "Garden", keywords=("tomato", "soil"), exclude=("oven",)),
                          Code("music", "Music", keywords=("guitar", "chord"))))
    plain, excluded = similarity_scores(DTM, BOOK, split), similarity_scores(DTM, book, split)
    assert excluded[2, 0] < plain[2, 0] and excluded[0, 0] > 0


def test_keyword_scores_count_distinct_dictionary_terms() -> None:
    terms = {"garden": [0, 1], "music": [2, 3]}
    assert keyword_scores(DTM, terms, ["garden", "music", "none"]).tolist() == [[2, 0, 0], [0, 2, 0], [1, 0, 0]]


def test_dictionary_terms_rank_keywords_first_then_by_index() -> None:
    seeds = SeedTerms({"garden": {4: 0.3, 1: 1.0, 0: 1.0}, "music": {}}, {}, {})
    assert dictionary_terms(BOOK, seeds, top_n=2) == {"garden": [0, 1], "music": []}


def test_topic_scores_take_each_codes_topic_column() -> None:
    doc_topic = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    out = topic_scores(doc_topic, {"music": 1, "garden": 0}, ["garden", "music", "lost"])
    assert out.tolist() == [[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.6, 0.4, 0.0]]


def test_standardise_and_combine() -> None:
    scores = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    z = standardise(scores)
    assert z[:, 0] == pytest.approx([-1.2247449, 0.0, 1.2247449])
    assert z[:, 1].tolist() == [0.0, 0.0, 0.0]  # a constant column has no spread: zeros, not NaN
    both = combine_scores(scores, -scores)
    assert np.allclose(both, 0.0)  # a score and its negation cancel
    assert combine_scores(scores, 10 * scores + 3) == pytest.approx(z)  # scale and shift do not matter


def test_length_scores_repeat_the_token_count() -> None:
    assert length_scores(DTM, 2).tolist() == [[3.0, 3.0], [4.0, 4.0], [3.0, 3.0]]


def test_prevalence_thresholds_predict_as_many_as_the_positives() -> None:
    scores = np.array([[0.9, 0.1, 0.5], [0.8, 0.2, 0.5], [0.1, 0.3, 0.5], [0.0, 0.4, 0.5]])
    labels = np.array([[1, 0, 1], [1, 0, 1], [0, 0, 1], [0, 0, 1]], dtype=bool)
    t = prevalence_thresholds(scores, labels)
    assert t[0] == 0.1 and (scores[:, 0] > t[0]).sum() == 2
    assert t[1] == np.inf  # no positive: nothing predicted
    assert t[2] == -np.inf  # every row positive: all predicted


def test_agreement_figures_of_a_half_right_method() -> None:
    labels = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=bool)
    # code a: threshold 0.1 (the third highest) predicts rows 0 and 2: one hit, one false alarm;
    # its AUC is 3 of 4 positive-negative pairs in order. Code b is perfect.
    scores = np.array([[0.9, 0.0], [0.1, 0.0], [0.8, 1.0], [0.0, 0.9]])
    res = agreement(scores, labels, np.array([4.0, 3.0, 2.0, 1.0]), ["a", "b"])
    a, b = res.per_code["a"], res.per_code["b"]
    assert (a.positives, a.predicted, a.precision, a.recall, a.f1) == (2, 2, 0.5, 0.5, 0.5)
    assert a.roc_auc == 0.75 and b.roc_auc == 1.0 and res.macro_roc_auc == 0.875
    assert (b.precision, b.recall, b.f1) == (1.0, 1.0, 1.0)
    assert res.micro_precision == 0.75 and res.micro_f1 == 0.75 and res.macro_f1 == 0.75
    assert a.length_auc == 1.0 and b.length_auc == 0.0 and res.length_floor_auc == 0.5
    assert res.confusion == {"a": {"a": 1, "b": 0}, "b": {"a": 1, "b": 2}}
    assert res.top1_macro_f1 == 1.0  # by z-score, rows 0-1 are best for a and rows 2-3 for b
    assert a.kappa == 0.0 and b.kappa == 1.0
    assert res.n_segments == res.n_calibration_segments == 4 and res.n_codes == 2


def test_cosine_and_hungarian_pair_a_permutation() -> None:
    a = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    b = a[[2, 0, 1]]
    cos = cosine_matrix(a, b)
    assert cos[2, 0] == pytest.approx(1.0) and cos[0, 0] == 0.0
    assert hungarian(cos) == [(0, 1), (1, 2), (2, 0)]
    assert cosine_matrix(np.zeros((1, 3)), a).tolist() == [[0.0, 0.0, 0.0]]  # a zero row has cosine 0

"""The shared TF-IDF spaces of scoring.py: what they hold, and that the scores built on them
are the scores the existing entry points give (issue 16 item 3: build the spaces once)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

from conftest import PLANTED_CODEBOOK, THEMES, planted_turn
from topicbook.codebook import load_codebook
from topicbook.config import PreprocessConfig
from topicbook.preprocess import Preprocessor, vectorize
from topicbook.scoring import (
    feature_spaces,
    selftrained_from_spaces,
    selftrained_scores,
    similarity_from_spaces,
    similarity_scores,
)


@pytest.fixture(scope="module")
def small(tmp_path_factory):  # type: ignore[no-untyped-def]
    book = tmp_path_factory.mktemp("spaces") / "codebook.yaml"
    book.write_text(PLANTED_CODEBOOK, encoding="utf-8")
    rng = random.Random(3)
    texts = [planted_turn(rng, theme, 12) for theme in THEMES for _ in range(15)]
    cfg = PreprocessConfig(phrases=False, min_df=2, max_df=0.6)
    pre = Preprocessor(cfg, language="en")
    dtm = vectorize(pre.fit_transform(texts), [f"s{i}" for i in range(len(texts))], cfg, pre.report)
    kept = [texts[int(s[1:])] for s in dtm.segment_ids]
    return dtm, kept, pre, load_codebook(book)


def test_spaces_are_the_sklearn_tfidf_of_counts_and_characters(small) -> None:  # type: ignore[no-untyped-def]
    dtm, texts, _, _ = small
    spaces = feature_spaces(dtm, texts)
    words = TfidfTransformer(sublinear_tf=True, smooth_idf=True).fit_transform(dtm.counts)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2, max_df=0.5).fit_transform(texts)
    assert spaces.n_segments == len(texts)
    assert abs(spaces.words - words).max() < 1e-12
    assert spaces.chars is not None and abs(spaces.chars - chars).max() < 1e-12
    norms = np.sqrt(np.asarray(spaces.combined().multiply(spaces.combined()).sum(axis=1)).ravel())
    assert np.allclose(norms, 1.0)
    assert feature_spaces(dtm).chars is None


def test_scores_from_shared_spaces_equal_the_entry_points(small) -> None:  # type: ignore[no-untyped-def]
    dtm, texts, pre, codebook = small
    spaces = feature_spaces(dtm, texts)
    sim = similarity_scores(dtm, codebook, pre.transform, texts)
    assert np.array_equal(similarity_from_spaces(spaces, codebook, dtm.vocab, pre.transform), sim)
    words_only = similarity_from_spaces(feature_spaces(dtm), codebook, dtm.vocab, pre.transform)
    assert np.array_equal(words_only, similarity_scores(dtm, codebook, pre.transform))
    assert not np.allclose(words_only, sim)  # the character space changes the score
    assert np.array_equal(selftrained_from_spaces(spaces, sim, seed=5), selftrained_scores(dtm, texts, sim, seed=5))


def test_spaces_refuse_texts_that_do_not_match_the_rows(small) -> None:  # type: ignore[no-untyped-def]
    dtm, texts, _, _ = small
    with pytest.raises(ValueError, match="texts for"):
        feature_spaces(dtm, texts[:-1])
    with pytest.raises(ValueError, match="character space"):
        feature_spaces(dtm).combined()

"""The optional tomotopy LDA engine (`engine: tomotopy`): the planted themes, a seed gives one
result, and what it refuses."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from conftest import THEMES, write_planted_corpus
from topicbook.config import ModelConfig, load_config
from topicbook.errors import ConfigError, TopicbookError
from topicbook.models import fit_model
from topicbook.pipeline import prepare


@pytest.fixture(scope="module")
def planted_dtm(tmp_path_factory):
    cfg = load_config(write_planted_corpus(tmp_path_factory.mktemp("tomotopy") / "project"))
    return prepare(replace(cfg, cache=replace(cfg.cache, enabled=False))).dtm


def test_tomotopy_engine_finds_the_planted_themes_and_a_seed_gives_one_result(planted_dtm):
    cfg = ModelConfig(type="lda", n_topics=len(THEMES), engine="tomotopy", passes=4)
    first = fit_model(cfg, planted_dtm, seed=7)
    again = fit_model(cfg, planted_dtm, seed=7)
    assert first.doc_topic.shape == (planted_dtm.counts.shape[0], len(THEMES))
    assert first.topic_term.shape == (len(THEMES), planted_dtm.n_terms)
    np.testing.assert_allclose(first.doc_topic.sum(axis=1), 1.0)
    np.testing.assert_array_equal(first.topic_term, again.topic_term)
    found = set()
    for row in first.topic_term:
        top = {planted_dtm.vocab[i] for i in np.argsort(-row)[:5]}
        found.update(theme for theme, words in THEMES.items() if len(top & set(words)) >= 3)
    assert found == set(THEMES)
    assert "ll_per_word" in first.fit_stats


def test_tomotopy_engine_refuses_guided_models_and_nmf(planted_dtm, tmp_path):
    cfg = ModelConfig(type="lda", guided=True, engine="tomotopy")
    with pytest.raises(TopicbookError, match=re.escape("models: 'guided_lda_x3' has engine: tomotopy and guided: true; the tomotopy engine fits unguided LDA only. Set engine: gensim or guided: false.")):
        fit_model(cfg, planted_dtm, seed=1, seed_topics=[("c1", {0: 1.0})])
    config = tmp_path / "c.yaml"
    config.write_text("corpus:\n  path: .\nmodels:\n  - type: nmf\n    engine: tomotopy\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape("key 'models[0].engine' does not apply to type 'nmf'")):
        load_config(config)

"""Cheaper stability re-fits: no gensim perplexity estimate, in-process for a small corpus."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gensim.models import LdaModel as GensimLda

import topicbook.stability as stability_module
from topicbook.config import ModelConfig, load_config
from topicbook.models import LdaModel
from topicbook.pipeline import prepare
from topicbook.stability import REFIT_WORKERS_MIN_SEGMENTS, stability_refits


def _counts() -> tuple:
    import scipy.sparse as sp

    counts = sp.csr_matrix(np.random.default_rng(0).poisson(1.0, size=(40, 30)))
    return counts, [f"w{i}" for i in range(30)]


def test_eval_every_none_skips_gensims_perplexity_estimate(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = GensimLda.log_perplexity
    monkeypatch.setattr(GensimLda, "log_perplexity", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    counts, vocab = _counts()
    LdaModel(n_topics=3, passes=2, chunksize=10, random_state=1).fit(counts, vocab)
    assert calls  # gensim's default: an estimate every 10 updates
    calls.clear()
    skipped = LdaModel(n_topics=3, passes=2, chunksize=10, random_state=1).fit(counts, vocab, eval_every=None)
    assert calls == []
    again = LdaModel(n_topics=3, passes=2, chunksize=10, random_state=1).fit(counts, vocab, eval_every=None)
    np.testing.assert_array_equal(skipped.topic_term_, again.topic_term_)  # still one result per seed


def test_small_corpus_refits_run_in_process_without_the_perplexity_estimate(planted: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dtm = prepare(load_config(planted)).dtm
    assert dtm.counts.shape[0] < REFIT_WORKERS_MIN_SEGMENTS
    seen: list[tuple[int, list]] = []
    run_grid = stability_module.run_grid
    monkeypatch.setattr(stability_module, "run_grid",
                        lambda cells, *a, **k: seen.append((k["jobs"], [c.eval_every for c in cells])) or run_grid(cells, *a, **k))
    models = [ModelConfig(type="lda", n_topics=4, passes=5), ModelConfig(type="nmf", n_topics=4)]
    out = stability_refits(models, dtm, 7, 2, jobs=2)
    assert seen == [(1, [None, None, None, None])]
    assert {label: [r.seed for r in refits] for label, refits in out.items()} == {"lda_k4": [8, 9], "nmf_k4": [8, 9]}
    assert all(r.topic_term.shape == (4, dtm.counts.shape[1]) for refits in out.values() for r in refits)

"""Streaming and scale paths: chunked LDA inference and bound, streamed CSVs, the explorer's
document cap, and preprocessing in several processes (same output as one)."""

from __future__ import annotations

import csv
from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
from gensim.matutils import Sparse2Corpus

from conftest import write_planted_corpus
from topicbook import pipeline
from topicbook.config import load_config
from topicbook.evaluate import coherence
from topicbook.models import lda as lda_module
from topicbook.models.lda import LdaModel, document_bound
from topicbook.pipeline import prepare, run
from topicbook.report import explorer_data as explorer

pytestmark = pytest.mark.slow  # the scale paths: a full run and large random matrices


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("scale")
    config = write_planted_corpus(root / "project")
    return run(load_config(config), out_dir=root / "runs", name="planted")


def test_document_bound_equals_gensims_per_document_loop():
    rng = np.random.default_rng(0)
    counts = sp.csr_matrix(rng.poisson(0.3, size=(200, 40)))
    gensim_model = LdaModel(n_topics=4, passes=2, random_state=1).fit(counts, [str(i) for i in range(40)]).model_
    docs = list(Sparse2Corpus(counts, documents_columns=False))
    gamma, _ = gensim_model.inference(docs)
    expected = gensim_model.bound(docs, gamma=gamma[:, None, :]) - gensim_model.bound([])
    ours = document_bound(counts, gamma, np.asarray(gensim_model.state.get_Elogbeta(), float),
                          np.asarray(gensim_model.alpha, float))
    assert ours == pytest.approx(expected, rel=1e-6)


def test_lda_inference_in_blocks_gives_the_same_doc_topic(monkeypatch):
    rng = np.random.default_rng(1)
    counts = sp.csr_matrix(rng.poisson(0.4, size=(90, 30)))
    vocab = [f"w{i}" for i in range(30)]
    whole = LdaModel(n_topics=3, passes=2, random_state=3).fit(counts, vocab)
    monkeypatch.setattr(lda_module, "INFERENCE_BLOCK", 7)
    blocks = LdaModel(n_topics=3, passes=2, random_state=3).fit(counts, vocab)
    assert blocks.doc_topic_.shape == (90, 3)
    np.testing.assert_allclose(blocks.topic_term_, whole.topic_term_)
    # gensim draws each block's starting gamma from the model's RNG, so rows agree to the E-step's tolerance
    np.testing.assert_allclose(blocks.doc_topic_, whole.doc_topic_, atol=0.02)
    assert blocks.fit_stats_["log_perplexity"] == pytest.approx(whole.fit_stats_["log_perplexity"], rel=1e-3)


def test_doc_topics_csv_has_every_segment_with_six_decimals(planted_run):
    folder, result = planted_run
    with open(folder / "doc_topics.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert header[0] == "segment_id" and len(header) == 1 + sum(m.n_topics for m in result.models)
    assert [r[0] for r in body] == list(result.prepared.dtm.segment_ids)
    first = result.models[0]
    assert body[-1][1:1 + first.n_topics] == [f"{v:.6f}" for v in first.doc_topic[-1]]


def test_explorer_lists_at_most_the_cap_with_quoted_documents_first(planted_run, monkeypatch):
    _, result = planted_run
    full = explorer.explorer_data(result, run_name="planted")
    assert full["run"]["documents_listed"] == len(result.prepared.corpus.documents) == 8
    cfg = result.prepared.cfg
    monkeypatch.setattr(result.prepared, "cfg", replace(cfg, report=replace(cfg.report, transcripts=False, quotes_per_topic=1)))
    monkeypatch.setattr(explorer, "DOCUMENT_CAP", 3)
    capped = explorer.explorer_data(result, run_name="planted")
    listed = [d["id"] for d in capped["documents"]]
    quoted = {capped["segments"][s]["doc"] for s in capped["segments"]}
    assert set(listed) >= quoted and len(listed) == max(3, len(quoted)) < 8
    for model in capped["models"]:
        assert set(model["doc_profile"]) == set(listed)
        full_model = next(m for m in full["models"] if m["name"] == model["name"])
        assert all(model["doc_profile"][d] == full_model["doc_profile"][d] for d in listed)
    assert f"The explorer lists {len(listed):,} of 8 documents" in " ".join(capped["run"]["warnings"])


def test_preprocessing_in_two_processes_gives_the_same_matrix_as_one(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_SEGMENTS", 0)
    cfg = load_config(write_planted_corpus(tmp_path / "project", n_docs=6))
    cfg = type(cfg)(**{**cfg.__dict__, "cache": type(cfg.cache)(enabled=False)})
    one = prepare(cfg, jobs=1)
    two = prepare(cfg, jobs=2)
    assert two.dtm.vocab == one.dtm.vocab
    assert two.dtm.segment_ids == one.dtm.segment_ids
    assert two.dtm.tokens == one.dtm.tokens
    assert (two.dtm.counts != one.dtm.counts).nnz == 0
    assert two.preprocessor.report.as_dict() == one.preprocessor.report.as_dict()


def test_coherence_from_the_matrix_equals_coherence_from_bags_of_words(planted_run):
    dtm = planted_run[1].prepared.dtm
    rng = np.random.default_rng(2)
    topics = [[dtm.vocab[i] for i in rng.choice(dtm.n_terms, 8, replace=False)] for _ in range(4)]
    texts = coherence(topics, dtm.tokens)
    matrix = coherence(topics, dtm.tokens, counts=dtm.counts, vocab=dtm.vocab)
    for measure in ("c_v", "c_npmi", "u_mass"):
        np.testing.assert_allclose(matrix[measure].per_topic, texts[measure].per_topic, rtol=1e-12)


def test_bootstrap_by_index_counts_brackets_the_prevalence_like_the_multinomial(monkeypatch):
    rng = np.random.default_rng(3)
    n = 400
    doc_topic = rng.dirichlet(np.ones(4), n)
    lengths = rng.integers(5, 30, n).astype(float)
    docs = [f"d{i}" for i in range(n)]
    metadata = {d: {"group": "a" if i % 2 else "b"} for i, d in enumerate(docs)}
    exact = explorer.prevalence_by_metadata(doc_topic, lengths, docs, metadata, seed=1)["group"]
    monkeypatch.setattr(explorer, "MULTINOMIAL_MAX_DOCS", 0)
    fast = explorer.prevalence_by_metadata(doc_topic, lengths, docs, metadata, seed=1)["group"]
    assert fast["mean"] == exact["mean"]
    lo, hi, mean = np.array(fast["lo"]), np.array(fast["hi"]), np.array(fast["mean"])
    assert np.all(lo <= mean) and np.all(mean <= hi)
    width_fast, width_exact = hi - lo, np.array(exact["hi"]) - np.array(exact["lo"])
    np.testing.assert_allclose(width_fast, width_exact, rtol=0.35)

"""Model adapters: the estimator contract, normalised matrices, seeds, guided topics, stability."""

import dataclasses
import logging

import numpy as np
import pytest
from sklearn.base import clone

from conftest import THEMES
from topicbook.config import ModelConfig, load_config
from topicbook.evaluate import stability, topic_diversity
from topicbook.models import LdaModel, NmfModel, fit_model
from topicbook.pipeline import prepare, seed_topics_of


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    from conftest import write_planted_corpus

    return prepare(load_config(write_planted_corpus(tmp_path_factory.mktemp("models"))))


def top_theme(dtm, row, n=5):
    terms = [dtm.vocab[i] for i in np.argsort(-row)[:n]]
    hits = {t: sum(w in words for w in terms) for t, words in THEMES.items()}
    best = max(hits, key=hits.get)
    return best if hits[best] >= 4 else None


@pytest.mark.parametrize("cls", [LdaModel, NmfModel])
def test_estimator_contract(cls, prepared):
    model = cls(n_topics=3, random_state=1)
    assert model.get_params()["n_topics"] == 3
    assert not hasattr(model, "doc_topic_")  # the constructor does not train
    copy = clone(model).set_params(n_topics=4)
    copy.fit(prepared.dtm.counts, vocab=prepared.dtm.vocab)
    assert copy.doc_topic_.shape == (prepared.dtm.counts.shape[0], 4)
    assert copy.topic_term_.shape == (4, prepared.dtm.n_terms)
    assert np.allclose(copy.doc_topic_.sum(axis=1), 1) and np.allclose(copy.topic_term_.sum(axis=1), 1)


@pytest.mark.parametrize("kind", ["lda", "nmf"])
def test_guided_models_put_each_code_in_its_seeded_topic(kind, prepared):
    cfg = ModelConfig(type=kind, guided=True, extra_topics=1)
    seeds = seed_topics_of(prepared)
    assert [code for code, _ in seeds] == ["gardening", "music", "cooking"]  # astronomy has no seed term
    model = fit_model(cfg, prepared.dtm, 3, seeds)
    assert model.n_topics == 4
    assert model.seeded_codes == {0: "gardening", 1: "music", 2: "cooking"}
    assert [top_theme(prepared.dtm, model.topic_term[k]) for k in range(3)] == ["gardening", "music", "cooking"]
    assert top_theme(prepared.dtm, model.topic_term[3]) == "sailing"


def test_guided_prior_boosts_seed_terms_only_in_their_topic(prepared):
    seeds = seed_topics_of(prepared)
    lda = LdaModel(n_topics=4, seed_terms=[w for _, w in seeds], seed_strength=10.0, passes=1)
    prior = lda._prior(prepared.dtm.n_terms)
    term = prepared.dtm.vocab.index("tomato")
    assert prior[0, term] == pytest.approx(prior[1, term] * (1 + 10.0 * seeds[0][1][term]))
    assert prior[3].max() == prior[3].min()


def test_same_seed_same_topics_other_seed_other_topics(prepared):
    cfg = ModelConfig(type="lda", n_topics=4, passes=5)
    a = fit_model(cfg, prepared.dtm, 1)
    b = fit_model(cfg, prepared.dtm, 1)
    c = fit_model(cfg, prepared.dtm, 2)
    assert np.array_equal(a.topic_term, b.topic_term) and np.array_equal(a.doc_topic, b.doc_topic)
    assert not np.allclose(a.doc_topic, c.doc_topic)


def test_multicore_warns_about_reproducibility(prepared, caplog):
    cfg = ModelConfig(type="lda", n_topics=4, passes=1, multicore=True)
    with caplog.at_level(logging.WARNING, logger="topicbook"):
        fit_model(cfg, prepared.dtm, 1)
    assert "LdaMulticore: results vary between runs" in caplog.text


def test_stability_of_identical_and_shuffled_topics():
    rng = np.random.default_rng(0)
    ref = rng.dirichlet(np.ones(50) * 0.1, size=5)
    same = stability(ref, [ref[::-1], ref[[1, 0, 2, 3, 4]]])
    assert same.per_topic == pytest.approx([1.0] * 5)
    assert same.reappear == (1.0,) * 5
    noisy = stability(ref, [rng.dirichlet(np.ones(50), size=5)])
    assert noisy.mean < 0.8


def test_topic_diversity():
    assert topic_diversity([["a", "b"], ["c", "d"]]) == 1.0
    assert topic_diversity([["a", "b"], ["a", "b"]]) == 0.5


@pytest.mark.slow
def test_run_reports_stability_per_topic(planted, tmp_path):
    import csv

    from topicbook.pipeline import run

    cfg = dataclasses.replace(load_config(planted), evaluate=dataclasses.replace(load_config(planted).evaluate, stability_seeds=2))
    folder, result = run(cfg, out_dir=tmp_path, name="stab", jobs=2)
    st = result.evaluation["nmf_k4"].stability
    assert st.runs == 2 and len(st.per_topic) == 4
    assert min(st.per_topic) > 0.9  # planted themes are stable
    with open(folder / "topics.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert all(float(r["stability"]) > 0.9 for r in rows if r["model"] == "nmf_k4")

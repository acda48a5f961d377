"""topicbook.cooccurrence: gensim's sliding-window counts from arrays give gensim's figures.

Every comparison is exact (==): the counts are integers, and the confirmation measures are
gensim's own, so any difference is a counting difference.
"""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from gensim.corpora import Dictionary
from gensim.models import CoherenceModel
from gensim.topic_coherence.text_analysis import WordOccurrenceAccumulator

from tests.conftest import REPO, shared_corpus
from topicbook import cooccurrence
from topicbook.cooccurrence import WindowCounts, windowed_coherence
from topicbook.evaluate import coherence


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def _same_counts(texts: list[list[str]], relevant: list[str], window: int) -> None:
    dictionary = Dictionary(texts)
    ids = {dictionary.token2id[w] for w in relevant}
    theirs = WordOccurrenceAccumulator(ids, dictionary).accumulate(texts, window)
    ours = WindowCounts(ids, dictionary).accumulate(texts, window)
    assert ours.num_docs == theirs.num_docs
    for a in relevant:
        assert ours[a] == theirs[a], (a, window)
        for b in relevant:
            assert ours[a, b] == theirs[a, b], (a, b, window)


def test_window_counts_are_gensims_on_texts_with_repeated_words(monkeypatch: pytest.MonkeyPatch) -> None:
    # few words, many repeats: gensim drops a word that leaves the window even when a copy of it
    # is still inside, and the counts must follow it; short, empty and window-sized texts too
    rng = random.Random(3)
    words = [f"w{i}" for i in range(8)]
    texts = [[rng.choice(words[: rng.randint(1, 8)]) for _ in range(rng.choice([0, 1, 2, 3, 5, 9, 10, 11, 40]))]
             for _ in range(120)]
    texts.append(list(words))  # every word at least once
    relevant = words[:6]
    for window in (1, 2, 3, 5, 10, 110):
        _same_counts(texts, relevant, window)
    monkeypatch.setattr(cooccurrence, "WINDOW_ENTRIES", 7)  # many blocks of texts
    for window in (2, 10):
        _same_counts(texts, relevant, window)


def test_the_repeat_rule_changes_the_counts_so_the_test_above_can_tell() -> None:
    # window 3 over a b a c: gensim's second window (b a c) has lost `a` (the first a left)
    texts = [["a", "b", "a", "c"]]
    dictionary = Dictionary(texts)
    ids = set(dictionary.token2id.values())
    theirs = WordOccurrenceAccumulator(ids, dictionary).accumulate(texts, 3)
    ours = WindowCounts(ids, dictionary).accumulate(texts, 3)
    assert theirs["a"] == ours["a"] == 1 and theirs["a", "c"] == ours["a", "c"] == 0
    assert theirs.num_docs == ours.num_docs == 2


def _real_texts() -> dict[str, list[list[str]]]:
    demo = sorted((REPO / "corpora" / "mooc-demo" / "interviews").glob("*.txt"))
    turns = [_tokens(t) for path in demo for t in path.read_text(encoding="utf-8").split("\n\n")]
    nhs = shared_corpus("nhs-patient-experience", "original", "pxtextmining", "datasets", "v6framework_230831.csv")
    import pandas as pd

    comments = pd.read_csv(nhs)["FFT answer"].dropna().astype(str).head(3000)
    return {"demo": [t for t in turns if t], "nhs": [_tokens(c) for c in comments]}


def _topics(texts: list[list[str]], n_topics: int, seed: int) -> list[list[str]]:
    """Topics of 10 words drawn from the 300 most frequent words (they co-occur often)."""
    counts: dict[str, int] = {}
    for t in texts:
        for w in t:
            counts[w] = counts.get(w, 0) + 1
    common = sorted(counts, key=lambda w: (-counts[w], w))[:300]
    rng = np.random.default_rng(seed)
    return [list(rng.choice(common, size=10, replace=False)) for _ in range(n_topics)]


@pytest.mark.parametrize("corpus", ["demo", "nhs"])
def test_windowed_coherence_is_coherence_models_on_the_real_corpora(corpus: str) -> None:
    texts = _real_texts()[corpus]
    dictionary = Dictionary(texts)
    topics = _topics(texts, 12, seed=1)
    for measure in ("c_v", "c_npmi", "c_uci"):
        cm = CoherenceModel(topics=topics, dictionary=dictionary, texts=texts, coherence=measure, topn=10)
        expected = cm.get_coherence_per_topic()
        fresh = CoherenceModel(topics=topics, dictionary=dictionary, texts=texts, coherence=measure, topn=10)
        assert windowed_coherence(fresh, texts) == expected, measure


def test_coherence_with_the_matrix_gives_gensims_figures() -> None:
    # topicbook.evaluate.coherence (dictionary from the vocabulary, windows counted from arrays)
    # against CoherenceModel on a dictionary of the same vocabulary
    from sklearn.feature_extraction.text import CountVectorizer

    texts = _real_texts()["demo"]
    vectorizer = CountVectorizer(analyzer=lambda t: t, min_df=2)
    counts = vectorizer.fit_transform(texts).tocsr()
    vocab = list(vectorizer.get_feature_names_out())
    topics = _topics([[w for w in t if w in set(vocab)] for t in texts], 8, seed=2)
    ours = coherence(topics, texts, measures=("c_v", "c_npmi"), counts=counts, vocab=vocab)
    dictionary = Dictionary()
    dictionary.token2id = {w: i for i, w in enumerate(vocab)}
    for measure in ("c_v", "c_npmi"):
        cm = CoherenceModel(topics=topics, dictionary=dictionary, texts=texts, coherence=measure, topn=10)
        assert list(ours[measure].per_topic) == [float(x) for x in cm.get_coherence_per_topic()], measure

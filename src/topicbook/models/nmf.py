"""NMF over scikit-learn (the only module that imports sklearn's NMF)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfTransformer

from topicbook.config import NmfConfig
from topicbook.models.arrays import normalise_rows
from topicbook.models.params import RANDOM_STATE, config_constraints, estimator_parameters


class NmfModel(BaseEstimator):
    """Non-negative matrix factorisation X ~ W H of TF-IDF (default) or raw counts.

    Guided mode: `seed_terms` gives, for the first topics, term index -> weight; those rows of
    the initial H are the seed vectors (scaled by `seed_strength` against a small uniform
    floor) and the other rows come from a seeded random draw; W starts as the least-squares
    fit of X on that H, clipped at 0 (see README, "Guided models").

    Attributes after fit: doc_topic_ (W rows normalised), topic_term_ (H rows normalised),
    fit_stats_ {reconstruction_error, n_iter}, model_ (sklearn NMF).

    Parameters are checked at the start of `fit` (scikit-learn's parameter validation, with the
    bounds of :class:`~topicbook.config.NmfConfig`): ``NmfModel(alpha_W=-1).fit(...)`` raises
    "The 'alpha_W' parameter of NmfModel must be a float in the range [0.0, inf). ...".
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **config_constraints(NmfConfig, estimator_parameters(NmfConfig)),
        "random_state": RANDOM_STATE,
        "seed_terms": [list, tuple, None],
    }

    def __init__(self, *, n_topics: int = 10, input: str = "tfidf", init: str = "nndsvda",
                 beta_loss: str = "frobenius", l1_ratio: float = 0.0, alpha_W: float = 0.0,
                 alpha_H: float | str = "same", max_iter: int = 400, random_state: int | None = 0,
                 seed_terms: Sequence[dict[int, float]] | None = None, seed_strength: float = 50.0) -> None:
        self.n_topics = n_topics
        self.input = input
        self.init = init
        self.beta_loss = beta_loss
        self.l1_ratio = l1_ratio
        self.alpha_W = alpha_W
        self.alpha_H = alpha_H
        self.max_iter = max_iter
        self.random_state = random_state
        self.seed_terms = seed_terms
        self.seed_strength = seed_strength

    def transform_input(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """The matrix NMF factorises: l2-normalised TF-IDF rows, or float counts."""
        if self.input == "counts":
            return counts.astype(np.float64)
        return TfidfTransformer(sublinear_tf=True).fit_transform(counts)

    def _custom_init(self, X: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.random_state)
        n_terms = X.shape[1]
        scale = float(np.sqrt(X.mean() / self.n_topics))
        H = rng.uniform(0.0, scale, size=(self.n_topics, n_terms))
        for topic, weights in enumerate(self.seed_terms or []):
            H[topic] = scale * 0.05
            for term, weight in weights.items():
                H[topic, term] = scale * (1.0 + self.seed_strength * weight)
        W = np.asarray(X @ np.linalg.pinv(H))
        W = np.maximum(W, 1e-6)
        return W, H

    def fit(self, counts: sp.csr_matrix, vocab: Sequence[str] | None = None) -> NmfModel:
        """Fit on a (n_docs, n_terms) count matrix."""
        self._validate_params()
        X = self.transform_input(counts)
        solver = "mu" if self.beta_loss != "frobenius" else "cd"
        model = NMF(n_components=self.n_topics, init="custom" if self.seed_terms else self.init,
                    beta_loss=self.beta_loss, solver=solver, l1_ratio=self.l1_ratio,
                    alpha_W=self.alpha_W, alpha_H=self.alpha_H, max_iter=self.max_iter,
                    random_state=self.random_state)
        if self.seed_terms:
            W0, H0 = self._custom_init(X)
            W = model.fit_transform(X, W=W0, H=H0)
        else:
            W = model.fit_transform(X)
        self.model_ = model
        self.doc_topic_ = normalise_rows(W)
        self.topic_term_ = normalise_rows(model.components_)
        self.fit_stats_ = {"reconstruction_error": float(model.reconstruction_err_), "n_iter": int(model.n_iter_)}
        return self

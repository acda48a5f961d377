"""The fitted-model record every later stage works on, and fitting from a ModelConfig."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from topicbook.config import LdaConfig, ModelConfig
from topicbook.errors import TopicbookError
from topicbook.models.lda import GENSIM_EVAL_EVERY, LdaModel
from topicbook.models.nmf import NmfModel
from topicbook.models.params import config_params
from topicbook.preprocess import DocumentTermMatrix

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FittedModel:
    """A fitted model's two matrices and what produced them.

    doc_topic: (n_segments, n_topics), rows sum to 1.
    topic_term: (n_topics, n_terms), rows sum to 1, over the DocumentTermMatrix vocabulary.
    seeded_codes: topic index -> code id for guided models.
    """

    name: str
    type: str
    doc_topic: np.ndarray
    topic_term: np.ndarray
    params: dict[str, Any]
    seeded_codes: dict[int, str] = field(default_factory=dict)
    fit_stats: dict[str, float] = field(default_factory=dict)

    @property
    def n_topics(self) -> int:
        return int(self.topic_term.shape[0])


def n_topics_problem(n_topics: int, n_segments: int, model_name: str) -> str | None:
    """Why K topics cannot be fitted on `n_segments` segments, or None."""
    if n_topics >= n_segments:
        return f"models: '{model_name}' asks for n_topics={n_topics} but the corpus has only {n_segments} segments. Use fewer topics or a smaller segment.unit."
    return None


def check_n_topics(n_topics: int, n_segments: int, model_name: str, *, warn: bool = True) -> None:
    """Small-corpus guard rails: K must be below the number of segments (and, with `warn`, a
    warning below 5 segments per topic)."""
    problem = n_topics_problem(n_topics, n_segments, model_name)
    if problem:
        raise TopicbookError(problem)
    if warn and n_segments < 5 * n_topics:
        log.warning("%s: only %.1f segments per topic; topics may be unstable. Consider segment.unit: paragraph or fewer topics.", model_name, n_segments / n_topics)


ESTIMATORS: dict[str, type[LdaModel] | type[NmfModel]] = {"lda": LdaModel, "nmf": NmfModel}

SeedTopics = list[tuple[str, dict[int, float]]]


def model_problem(cfg: ModelConfig, n_segments: int, seed_topics: SeedTopics | None = None) -> str | None:
    """Why the model a config describes cannot be fitted on `n_segments` segments with these
    seed topics, or None: what :func:`fit_model` raises, found without fitting."""
    n_topics = cfg.n_topics
    if cfg.guided:
        if not seed_topics:
            return f"models: '{cfg.label}' has guided: true but no code has a seed term in the vocabulary. Add a codebook (codebook.path) whose keywords occur in the corpus."
        n_topics = len(seed_topics) + cfg.extra_topics
        if n_topics < 2:
            return f"models: '{cfg.label}' has 1 seeded topic and extra_topics: 0, but a model needs at least 2 topics. Set extra_topics: 1 or more."
    problem = n_topics_problem(n_topics, n_segments, cfg.label)
    if problem:
        return problem
    if isinstance(cfg, LdaConfig) and cfg.engine == "tomotopy" and cfg.guided:
        return f"models: '{cfg.label}' has engine: tomotopy and guided: true; the tomotopy engine fits unguided LDA only. Set engine: gensim or guided: false."
    return None


def fit_model(cfg: ModelConfig, dtm: DocumentTermMatrix, seed: int,
              seed_topics: SeedTopics | None = None, *, warn: bool = True,
              eval_every: int | None = GENSIM_EVAL_EVERY) -> FittedModel:
    """Fit the model a config describes. `seed_topics`: (code id, {term index: weight}) per
    seeded topic, for guided models. `warn`: warn about few segments per topic. `eval_every`:
    gensim LDA's logged perplexity estimate every that many updates (None: none;
    :meth:`LdaModel.fit`); other models ignore it."""
    problem = model_problem(cfg, dtm.counts.shape[0], seed_topics)
    if problem:
        raise TopicbookError(problem)
    n_topics = cfg.n_topics
    seeded: dict[int, str] = {}
    prior = None
    if cfg.guided and seed_topics:  # (model_problem refused a guided model without seed topics)
        n_topics = len(seed_topics) + cfg.extra_topics
        seeded = {i: code for i, (code, _) in enumerate(seed_topics)}
        prior = [weights for _, weights in seed_topics]
    check_n_topics(n_topics, dtm.counts.shape[0], cfg.label, warn=warn)
    estimator = ESTIMATORS[cfg.type]
    model = estimator(**{**config_params(cfg, estimator), "n_topics": n_topics, "random_state": seed, "seed_terms": prior})
    if isinstance(model, LdaModel):
        model.fit(dtm.counts, vocab=dtm.vocab, eval_every=eval_every)
    else:
        model.fit(dtm.counts, vocab=dtm.vocab)
    return FittedModel(
        name=cfg.label, type=cfg.type, doc_topic=model.doc_topic_, topic_term=model.topic_term_,
        params={**model.get_params(), "seed_terms": None}, seeded_codes=seeded,
        fit_stats=model.fit_stats_,
    )

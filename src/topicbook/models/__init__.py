"""Topic model adapters over one DocumentTermMatrix: LDA (gensim) and NMF (scikit-learn).

Both follow the scikit-learn estimator contract (keyword-only parameters stored as given,
work in ``fit``, learned attributes end in ``_``) and expose ``doc_topic_`` (n_segments x
n_topics, rows sum to 1) and ``topic_term_`` (n_topics x n_terms, rows sum to 1).
"""

from topicbook.models.base import FittedModel, fit_model, model_problem
from topicbook.models.lda import LdaModel
from topicbook.models.nmf import NmfModel

__all__ = ["FittedModel", "LdaModel", "NmfModel", "fit_model", "model_problem"]

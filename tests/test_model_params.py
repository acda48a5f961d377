"""Model parameters are declared once, in the config: the adapters validate them with the same
bounds (scikit-learn style) before fitting anything."""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pytest
import scipy.sparse as sp
from pydantic import ValidationError
from sklearn.utils._param_validation import InvalidParameterError

from topicbook.config import LdaConfig, NmfConfig
from topicbook.errors import TopicbookError
from topicbook.models import LdaModel, NmfModel, fit_model
from topicbook.models.params import estimator_parameters
from topicbook.preprocess import DocumentTermMatrix

ADAPTERS = [(LdaModel, LdaConfig), (NmfModel, NmfConfig)]
ADAPTER_ONLY = {LdaModel: {"random_state", "workers", "seed_terms"}, NmfModel: {"random_state", "seed_terms"}}
PROBES = [-1, 0, 0.0, 0.5, 1, 1.0, 1.5, 2, 10, 2.5, "symmetric", "auto", "same", "tfidf", "counts", "random",
          "kullback-leibler", "tomotopy", "gensim", "nonsense", None, [1], float("inf"), float("nan")]


def tiny_counts() -> tuple[sp.csr_matrix, list[str]]:
    counts = sp.csr_matrix(np.random.default_rng(0).poisson(1.0, size=(12, 20)))
    return counts, [f"w{i}" for i in range(20)]


@pytest.mark.parametrize(("model", "kwargs", "parameter"), [
    (LdaModel, {"eta": -0.5}, "eta"),
    (LdaModel, {"alpha": -1.0}, "alpha"),
    (LdaModel, {"n_topics": 1}, "n_topics"),
    (LdaModel, {"random_state": 2**32}, "random_state"),
    (NmfModel, {"alpha_W": -1}, "alpha_W"),
    (NmfModel, {"alpha_H": -1.0}, "alpha_H"),
    (NmfModel, {"l1_ratio": 1.5}, "l1_ratio"),
    (NmfModel, {"init": "nnsvd"}, "init"),
])
def test_a_direct_python_user_gets_an_error_naming_the_parameter_before_any_fitting(model, kwargs, parameter):
    counts, vocab = tiny_counts()
    estimator = model(**kwargs)
    with pytest.raises(InvalidParameterError, match=f"^The '{parameter}' parameter of {model.__name__} must be "):
        estimator.fit(counts, vocab=vocab)
    assert not hasattr(estimator, "model_") and not hasattr(estimator, "doc_topic_")
    assert issubclass(InvalidParameterError, ValueError)  # what a caller catches


@pytest.mark.parametrize(("model", "config"), ADAPTERS)
def test_adapter_parameters_are_the_config_fields_with_the_same_defaults(model, config):
    signature = inspect.signature(model.__init__).parameters
    names = set(signature) - {"self"}
    shared = set(estimator_parameters(config))
    assert names == shared | ADAPTER_ONLY[model]
    assert set(model._parameter_constraints) == names
    defaults = {f.name: (f.default if f.default is not dataclasses.MISSING else f.default_factory())  # type: ignore[misc]
                for f in dataclasses.fields(config)}
    assert {n: signature[n].default for n in shared} == {n: defaults[n] for n in shared}


@pytest.mark.parametrize(("model", "config"), ADAPTERS)
def test_adapters_and_config_accept_and_refuse_the_same_values(model, config):
    # bools are left out: scikit-learn's Interval takes True for a number, the YAML config does not
    refused = set()
    for name in estimator_parameters(config):
        for value in PROBES:
            try:
                config(**{name: value})
                config_ok = True
            except ValidationError:
                config_ok = False
            try:
                model(**{name: value})._validate_params()
                adapter_ok = True
            except InvalidParameterError:
                adapter_ok = False
            assert config_ok == adapter_ok, (name, value, config_ok, adapter_ok)
            if not config_ok:
                refused.add(name)
    assert refused == set(estimator_parameters(config))  # every parameter has values it refuses


def test_a_guided_model_needs_two_topics():
    counts, vocab = tiny_counts()
    dtm = DocumentTermMatrix(counts, tuple(vocab), tuple(f"s{i}" for i in range(12)), ())
    cfg = LdaConfig(guided=True, extra_topics=0, passes=1)
    with pytest.raises(TopicbookError, match=r"^models: 'guided_lda_x0' has 1 seeded topic and extra_topics: 0, but a model needs at least 2 topics\. Set extra_topics: 1 or more\.$"):
        fit_model(cfg, dtm, seed=1, seed_topics=[("c1", {0: 1.0})])

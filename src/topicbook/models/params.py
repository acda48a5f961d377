"""The model adapters' parameters: scikit-learn constraints derived from the config's fields.

A model parameter is declared once, as a field of :class:`~topicbook.config.LdaConfig` or
:class:`~topicbook.config.NmfConfig` (its type, bounds and default). The adapters take the same
names; their ``_parameter_constraints`` are built here from those field types, so a direct
Python user of :class:`~topicbook.models.LdaModel` gets the bounds a YAML config has, in
scikit-learn's words ("The 'eta' parameter of LdaModel must be a float in the range (0.0, inf)
or None. Got -0.5 instead."). The constraint classes come from ``sklearn.utils._param_validation``,
a private module that every scikit-learn estimator (and scikit-learn-contrib projects) validates
with through ``BaseEstimator._validate_params``; there is no public equivalent. Our tests pin
the behaviour we rely on (the error type and the parameter's name), so a change in scikit-learn
shows up there.

>>> from topicbook.config import field_types, NmfConfig
>>> constraints_of(field_types(NmfConfig)["l1_ratio"])
[Interval(Real, 0, 1, closed='both')]
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterable
from numbers import Integral, Real
from typing import Any, Literal

from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions

from topicbook.config import RunConfig, bounds_of, field_types, split_annotation, union_options

# the config's fields that say which model to fit and how to name it, not how to fit it
NOT_ESTIMATOR_PARAMETERS = frozenset({"type", "name", "guided", "extra_topics"})


def constraints_of(hint: Any) -> list[Any]:
    """scikit-learn parameter constraints for one config field type (bounds included)."""
    base, metadata = split_annotation(hint)
    options = union_options(base)
    if options is not None:
        return [c for option in options for c in constraints_of(option)]
    if base is type(None):
        return [None]
    if typing.get_origin(base) is Literal:
        return [StrOptions({str(a) for a in typing.get_args(base)})]
    if base is bool:
        return ["boolean"]
    if base in (int, float):
        bounds = bounds_of(metadata)
        low = bounds.get("ge", bounds.get("gt"))
        high = bounds.get("le", bounds.get("lt"))
        closed = {(True, True): "both", (True, False): "left", (False, True): "right", (False, False): "neither"}[
            ("ge" in bounds, "le" in bounds)]
        return [Interval(Integral if base is int else Real, low, high, closed=closed)]
    if base is str:
        return [str]
    raise TypeError(f"no scikit-learn constraint for the config type {hint!r}")  # pragma: no cover - programming error


def config_constraints(config_cls: type, names: Iterable[str]) -> dict[str, list[Any]]:
    """`_parameter_constraints` entries for the parameters `names`, from `config_cls`'s fields."""
    types = field_types(config_cls)
    return {name: constraints_of(types[name]) for name in names}


def int_at_least(low: int) -> Interval:
    """The constraint of an adapter-only int parameter (no config field), such as `workers`."""
    return Interval(Integral, low, None, closed="left")


# the run's seed (RunConfig.seed) becomes an adapter's random_state
RANDOM_STATE = [*constraints_of(field_types(RunConfig)["seed"]), None]


def estimator_parameters(config_cls: type) -> list[str]:
    """The config fields that are an adapter's parameters: all but type, name, guided, extra_topics."""
    return [name for name in field_types(config_cls) if name not in NOT_ESTIMATOR_PARAMETERS]


def config_params(cfg: Any, estimator_cls: type[BaseEstimator]) -> dict[str, Any]:
    """The keyword arguments `estimator_cls` takes from a model config (same names)."""
    fields = {f.name for f in dataclasses.fields(cfg)} - NOT_ESTIMATOR_PARAMETERS
    return {name: getattr(cfg, name) for name in estimator_cls().get_params(deep=False) if name in fields}

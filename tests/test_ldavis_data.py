"""The intertopic map's data computed from the model arrays equals pyLDAvis.prepare's."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from topicbook.report.ldavis import LDAVIS_TERMS, ldavis_data, prepare_ldavis, pyldavis_data

# pyLDAvis itself (the reference) takes log(0) of the sparse topics' zeros in pandas
pytestmark = pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning")


def assert_same(ours: Any, theirs: Any, where: str = "") -> None:
    """Same structure, same strings and ints, floats equal up to rounding."""
    assert type(ours) is type(theirs) or {type(ours), type(theirs)} <= {int, float}, where
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs), where
        for key in theirs:
            assert_same(ours[key], theirs[key], f"{where}.{key}")
    elif isinstance(theirs, list):
        assert len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, float):
        assert math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12), (where, ours, theirs)
    else:
        assert ours == theirs, where


def model_arrays(kind: str, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    k, v, n = 7, 400, 120
    tt = rng.dirichlet(np.full(v, 0.05), size=k)
    if kind == "sparse":  # NMF-like: exact zeros, and two terms with identical columns (ties)
        tt[rng.random((k, v)) < 0.5] = 0.0
        tt[:, 1] = tt[:, 0]
        tt[:, :LDAVIS_TERMS + 5] += 1e-3
        tt /= tt.sum(axis=1, keepdims=True)
    dt = rng.dirichlet(np.ones(k), size=n)
    return tt, dt, rng.integers(5, 80, size=n).astype(float), [f"t{j:03d}" if j % 3 else f"T{j}" for j in range(v)]


@pytest.mark.parametrize("kind", ["dense", "sparse"])
@pytest.mark.parametrize("seed", [0, 1])
def test_the_arrays_give_pyldavis_data(kind: str, seed: int) -> None:
    tt, dt, lengths, vocab = model_arrays(kind, seed)
    theirs = pyldavis_data(tt, dt, lengths, vocab, np.ones(len(vocab)))
    assert_same(ldavis_data(tt, dt, lengths, vocab), theirs)


def test_too_few_positive_terms_go_through_pyldavis() -> None:
    tt, dt, lengths, vocab = model_arrays("dense", 3)
    tt[0, LDAVIS_TERMS:] = 0.0  # topic 1 has only LDAVIS_TERMS terms of positive weight
    tt[0] /= tt[0].sum()
    data = prepare_ldavis(tt, dt, lengths, vocab, np.ones(len(vocab)))
    assert data["tinfo"]["Category"].count("Topic1") >= LDAVIS_TERMS
    assert_same(data["mdsDat"]["topics"], list(range(1, 8)))


def test_the_assets_are_the_files_pyldavis_urls_names() -> None:
    from pathlib import Path

    from pyLDAvis import urls

    from topicbook.report.ldavis import ldavis_assets

    named = {"d3": urls.D3_LOCAL, "ldavis": urls.LDAVIS_LOCAL, "css": urls.LDAVIS_CSS_LOCAL}
    assert ldavis_assets() == {key: Path(path).read_text(encoding="utf-8") for key, path in named.items()}

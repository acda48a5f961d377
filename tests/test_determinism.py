"""The same config and seed give byte-identical results: the demo run, twice.

The first run preprocesses (a fresh cache folder), the second reads the preprocessed corpus
from that cache and is given two processes (its fits and re-fits run in forked workers:
topicbook.workers); topics.csv, doc_topics.csv,
alignment.csv, alignment.json, verdicts.csv and verdicts.json must not differ by a byte. To stay fast the runs use one
stability re-fit instead of three and skip what the compared files do not hold (the explorer
and the label-free agreement scores, which train one regression per code). (The K x seed sweep across 1 and 2
jobs and a Dask cluster is tests/test_sweep.py::test_sweep_figures_do_not_depend_on_jobs_or_dask;
LdaMulticore is documented as not reproducible and warns: tests/test_models.py.)
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import topicbook.pipeline as pipeline
from topicbook.config import CacheConfig, load_config

pytestmark = pytest.mark.slow  # real corpora or several full runs

REPO = Path(__file__).resolve().parents[1]
COMPARED = ("topics.csv", "doc_topics.csv", "alignment.csv", "alignment.json", "verdicts.csv", "verdicts.json")


def test_demo_twice_with_one_seed_is_byte_identical_cached_or_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_config(REPO / "configs" / "demo.yaml")
    cfg = dataclasses.replace(cfg, cache=CacheConfig(enabled=True, path=tmp_path / "cache"),
                              report=dataclasses.replace(cfg.report, explorer=False),
                              evaluate=dataclasses.replace(cfg.evaluate, stability_seeds=1))
    monkeypatch.setattr(pipeline, "evaluate_run", lambda *args, **kwargs: None)
    builds = []
    build = pipeline._build_corpus
    monkeypatch.setattr(pipeline, "_build_corpus", lambda *a, **k: builds.append(1) or build(*a, **k))

    first, _ = pipeline.run(cfg, out_dir=tmp_path / "runs", name="demo", jobs=1)
    assert len(builds) == 1  # preprocessed, and stored in the fresh cache
    second, _ = pipeline.run(cfg, out_dir=tmp_path / "runs", name="demo", jobs=2)
    assert len(builds) == 1  # read from the cache

    assert first != second
    for name in COMPARED:
        a, b = (first / name).read_bytes(), (second / name).read_bytes()
        assert len(a) > 200, name
        assert a == b, f"{name} differs between two runs with seed {cfg.seed}"

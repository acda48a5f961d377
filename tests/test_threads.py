"""Thread control: the rule, the limit (threadpoolctl, no environment change), one thread in
worker processes, and a demo run whose files do not depend on the thread setting."""

from __future__ import annotations

import dataclasses
import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import topicbook.agreement as agreement
import topicbook.pipeline as pipeline
from conftest import REPO
from topicbook.config import CacheConfig, ModelConfig, RunConfig, load_config
from topicbook.preprocess import DocumentTermMatrix
from topicbook.stability import GridCell, run_grid
from topicbook.threads import MANY_SEGMENTS, available_cores, resolve_threads, thread_limit


def blas_threads() -> int:
    """The largest thread count of the loaded BLAS libraries (numpy's OpenBLAS here)."""
    return max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")


def test_the_rule_is_one_thread_for_small_corpora_and_the_cores_per_job_above() -> None:
    assert resolve_threads("auto", 229) == 1
    assert resolve_threads("auto", MANY_SEGMENTS - 1, jobs=1) == 1
    assert resolve_threads("auto", MANY_SEGMENTS, jobs=1) == available_cores()
    assert resolve_threads("auto", MANY_SEGMENTS, jobs=64) == 1
    assert resolve_threads(3, 10) == 3


def test_thread_limit_sets_the_pools_and_restores_them_without_touching_the_environment() -> None:
    numexpr = pytest.importorskip("numexpr")
    before, env, numexpr_before = blas_threads(), dict(os.environ), numexpr.get_num_threads()
    with thread_limit(1):
        assert blas_threads() == 1
        assert numexpr.get_num_threads() == 1
        assert dict(os.environ) == env
    assert blas_threads() == before
    assert numexpr.get_num_threads() == numexpr_before
    assert dict(os.environ) == env


def _threads_seen(model: Any, data: DocumentTermMatrix) -> dict[str, float]:
    """Sweep criteria that report the BLAS threads where the cell was fitted (picklable)."""
    return {"blas_threads": float(blas_threads())}


@pytest.mark.slow
def test_worker_processes_fit_with_one_thread_and_in_process_fits_keep_the_limit(planted: Path) -> None:
    dtm = pipeline.prepare(load_config(planted)).dtm
    cells = [GridCell(ModelConfig(type="nmf", n_topics=3), seed) for seed in (1, 2)]
    with thread_limit(2):
        inside = blas_threads()
        in_process = run_grid(cells, dtm, measures=(), jobs=1, criteria=_threads_seen)
        workers = run_grid(cells, dtm, measures=(), jobs=2, criteria=_threads_seen)
    assert [r.row["blas_threads"] for r in in_process] == [inside, inside]
    assert [r.row["blas_threads"] for r in workers] == [1.0, 1.0]
    for a, b in zip(in_process, workers, strict=True):  # the figures do not depend on either
        np.testing.assert_array_equal(a.topic_term, b.topic_term)


def _npz_arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def _compared_files(folder: Path) -> list[Path]:
    """Every file of a run folder except those that record when and how long (manifest,
    methods.md, which quotes the manifest's hash) and the HTML pages (they embed both)."""
    skip = {"manifest.json", "methods.md"}
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in skip and p.suffix != ".html")


def quick_demo_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunConfig:
    """configs/demo.yaml with a cache in `tmp_path`, no explorer, one stability re-fit, and a
    learning curve of two sizes (its budget is counted work, the same at any load)."""
    cfg = load_config(REPO / "configs" / "demo.yaml")
    # the learning curve's budget is counted work (CURVE_MAX_WORK), the same at any load and
    # thread count: nothing to switch off; two sizes to stay quick
    monkeypatch.setattr(agreement, "CURVE_MAX_POINTS", 2)
    return dataclasses.replace(cfg, cache=CacheConfig(enabled=True, path=tmp_path / "cache"),
                               report=dataclasses.replace(cfg.report, explorer=False),
                               evaluate=dataclasses.replace(cfg.evaluate, stability_seeds=1))


@pytest.mark.slow
def test_one_and_two_threads_give_identical_demo_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = quick_demo_config(tmp_path, monkeypatch)
    seen: list[int] = []
    fit_all = pipeline.fit_all
    monkeypatch.setattr(pipeline, "fit_all", lambda *a, **k: seen.append(blas_threads()) or fit_all(*a, **k))
    one, _ = pipeline.run(dataclasses.replace(cfg, threads=1), out_dir=tmp_path / "runs", name="one", jobs=1)
    two, _ = pipeline.run(dataclasses.replace(cfg, threads=2), out_dir=tmp_path / "runs", name="two", jobs=1)
    assert seen == [1, min(2, available_cores())]

    assert_identical_runs(one, two, "1 and 2 BLAS threads", config_changes=[("threads: 1", "threads: 2")])


def assert_identical_runs(one: Path, two: Path, what: str, config_changes: list[tuple[str, str]] | None = None) -> None:
    """Two run folders hold the same files with the same bytes (the .npz arrays equal; figures
    and archives are drawn or zipped from the compared tables); `config_changes`: the lines of
    config.resolved.yaml that record the compared setting itself (None: no line may differ)."""
    files = [p.relative_to(one) for p in _compared_files(one)]
    assert files == [p.relative_to(two) for p in _compared_files(two)]
    for must in ("topics.csv", "doc_topics.csv", "alignment.json", "agreement.json", "scores.npz", "evaluation.json",
                 "verdicts.csv", "verdicts.json"):
        assert Path(must) in files, must
    for rel in files:
        a, b = one / rel, two / rel
        if rel.suffix == ".npz":
            arrays_a, arrays_b = _npz_arrays(a), _npz_arrays(b)
            assert arrays_a.keys() == arrays_b.keys()
            for key in arrays_a:
                np.testing.assert_array_equal(arrays_a[key], arrays_b[key], err_msg=f"{rel}: {key}")
        elif rel.suffix in (".png", ".svg", ".qdpx", ".zip"):
            continue  # drawn or zipped from the compared tables
        elif rel.name == "config.resolved.yaml" and config_changes is not None:  # records the setting itself, and nothing else differs
            lines_a, lines_b = a.read_text().splitlines(), b.read_text().splitlines()
            assert [(x, y) for x, y in zip(lines_a, lines_b, strict=True) if x != y] == config_changes
        else:
            assert a.read_bytes() == b.read_bytes(), f"{rel} differs between {what}"

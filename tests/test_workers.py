"""Forked worker processes (topicbook.workers): they start without importing topicbook again, a
run with --jobs 2 fits its models and its stability re-fits together in them, the results are
those of one process, and errors and interrupts end the workers."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from test_threads import assert_identical_runs, quick_demo_config

import topicbook
import topicbook.pipeline as pipeline
import topicbook.stability as stability
from topicbook.config import ModelConfig, load_config
from topicbook.errors import TopicbookError
from topicbook.models import fit_model
from topicbook.workers import WorkerPool, fork_available, worker_pool

pytestmark = pytest.mark.skipif(not fork_available(), reason="forked workers need the fork start method")


def _marker_and_pid() -> tuple[object, int]:
    """What a worker sees of topicbook: the parent's marker if it was forked with the module
    loaded; nothing if it imported topicbook afresh."""
    return getattr(topicbook, "_test_marker", None), os.getpid()


def _block_forever() -> None:
    threading.Event().wait()


def test_workers_start_with_the_parent_s_modules_and_do_not_import_them_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(topicbook, "_test_marker", "set after import", raising=False)
    with worker_pool(2) as pool:
        assert pool is not None
        seen = [pool.submit(_marker_and_pid).result() for _ in range(4)]
    assert {m for m, _ in seen} == {"set after import"}  # a fresh import would not have it
    assert os.getpid() not in {pid for _, pid in seen}


def test_one_job_means_no_pool() -> None:
    with worker_pool(1) as pool:
        assert pool is None


def test_an_error_in_a_worker_is_the_same_one_line_error_and_the_workers_end(planted: Path) -> None:
    dtm = pipeline.prepare(load_config(planted)).dtm
    too_many = ModelConfig(type="nmf", n_topics=dtm.counts.shape[0] + 1)
    with pytest.raises(TopicbookError) as in_process:
        fit_model(too_many, dtm, 1)
    with pytest.raises(TopicbookError) as in_worker, worker_pool(2) as pool:
        assert pool is not None
        processes = list(pool._executor._processes.values())
        pool.submit(fit_model, too_many, dtm, 1).result()
    assert str(in_worker.value) == str(in_process.value)
    assert processes and not any(p.is_alive() for p in processes)


def test_an_interrupt_terminates_workers_in_the_middle_of_a_task() -> None:
    with pytest.raises(KeyboardInterrupt), worker_pool(2) as pool:
        assert pool is not None
        processes = list(pool._executor._processes.values())
        running = pool.submit(_block_forever)
        raise KeyboardInterrupt  # as Ctrl-C would, while the task blocks in a worker
    assert not any(p.is_alive() for p in processes)
    assert running.cancelled() or running.exception() is not None


@pytest.mark.slow
def test_a_run_with_two_jobs_submits_fits_then_refits_before_waiting(planted: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_config(planted)
    cfg = dataclasses.replace(cfg, report=dataclasses.replace(cfg.report, explorer=False, figure_formats=[]),
                              evaluate=dataclasses.replace(cfg.evaluate, stability_seeds=2, coherence=("u_mass",)))
    events: list[str] = []
    submit = WorkerPool.submit
    monkeypatch.setattr(WorkerPool, "submit", lambda self, fn, *a, **k: events.append(fn.__name__) or submit(self, fn, *a, **k))
    replay = pipeline.replay
    monkeypatch.setattr(pipeline, "replay", lambda records: events.append("fit received") or replay(records))
    monkeypatch.setattr(stability, "run_grid", lambda *a, **k: pytest.fail("re-fits ran outside the pool"))
    pipeline.run(cfg, out_dir=tmp_path / "runs", name="pool", jobs=2)
    n_models, n_refits = len(cfg.models), 2 * len(cfg.models)
    assert events == [*["_fit_captured"] * n_models, *["fit_cell"] * n_refits,
                      *["fit received"] * n_models]


@pytest.mark.slow
def test_one_and_two_jobs_give_identical_demo_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = quick_demo_config(tmp_path, monkeypatch)
    pools: list[int] = []
    original = WorkerPool.__init__
    monkeypatch.setattr(WorkerPool, "__init__", lambda self, jobs: pools.append(jobs) or original(self, jobs))
    one, _ = pipeline.run(cfg, out_dir=tmp_path / "runs", name="one", jobs=1)
    two, _ = pipeline.run(cfg, out_dir=tmp_path / "runs", name="two", jobs=2)
    assert pools == [2]  # the second run only, in forked workers

    assert_identical_runs(one, two, "1 and 2 jobs")

def _die() -> None:
    os._exit(9)  # as the kernel's out-of-memory killer would end a worker


def test_a_worker_that_dies_ends_the_run_with_one_line() -> None:
    with pytest.raises(TopicbookError, match=r"^--jobs 2: a worker process ended unexpectedly .* --jobs 1 "), worker_pool(2) as pool:
        assert pool is not None
        pool.submit(_die).result()


CHILD = """
import os, sys, threading
from topicbook.workers import worker_pid, worker_pool
with worker_pool(2) as pool:
    pids = {pool.submit(worker_pid).result() for _ in range(8)}
    print(len(pids) >= 1 and os.getpid() not in pids, flush=True)
    threading.Event().wait()  # killed here
"""


def test_workers_end_with_a_killed_run() -> None:
    """SIGKILL leaves no clean-up to the run: the kernel ends its workers (prctl), so nothing
    holds the run's stdout open and nothing is left running."""
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline() == "True\n"
    child.kill()
    try:
        child.communicate(timeout=60)  # EOF only once every process holding the pipe is gone
    except subprocess.TimeoutExpired:
        pytest.fail("a worker outlived the killed run")
    assert child.returncode == -signal.SIGKILL


def test_figures_drawn_in_the_workers_are_the_files_one_process_draws(planted: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """With --jobs 2 the run's workers draw the figures (report.figures.start_figures) while the
    run's process writes the explorer: the same files, byte for byte, in PNG and SVG."""
    cfg = load_config(planted)
    cfg = dataclasses.replace(cfg, evaluate=dataclasses.replace(cfg.evaluate, stability_seeds=0),
                              report=dataclasses.replace(cfg.report, figure_formats=["png", "svg"]))
    one, _ = pipeline.run(cfg, out_dir=tmp_path / "runs", name="one", jobs=1)
    submitted: list[str] = []
    submit = WorkerPool.submit
    monkeypatch.setattr(WorkerPool, "submit", lambda self, fn, *a, **k: submitted.append(fn.__name__) or submit(self, fn, *a, **k))
    two, _ = pipeline.run(cfg, out_dir=tmp_path / "runs", name="two", jobs=2)
    files = sorted(p.name for p in (one / "figures").iterdir())
    assert files == sorted(p.name for p in (two / "figures").iterdir())
    assert {name.rsplit("_", 2)[0] for name in files} == {"top_terms", "topic_code_heatmap", "prevalence_country"}  # <figure>_<model>_k4
    assert submitted.count("_draw_in_worker") == len(files) // 2  # every figure, once, in a worker
    for name in files:
        assert (one / "figures" / name).read_bytes() == (two / "figures" / name).read_bytes(), name


@pytest.mark.parametrize("with_codebook", [True, False], ids=["verdicts", "no codebook"])
def test_the_report_work_started_while_the_re_fits_run_is_taken_over(with_codebook: bool, planted: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """With forked workers the run starts the explorer's model parts and the figures that need
    neither the re-fits nor the verdicts before it waits for the re-fits (writer.EarlyReport):
    those figures are submitted before the wait, each figure is drawn once, and the run's files
    are those of one process."""
    from test_threads import _compared_files

    cfg = load_config(planted)
    cfg = dataclasses.replace(cfg, evaluate=dataclasses.replace(cfg.evaluate, stability_seeds=1, coherence=["u_mass"]))
    if not with_codebook:
        cfg = dataclasses.replace(cfg, codebook=dataclasses.replace(cfg.codebook, path=None),
                                  codings=dataclasses.replace(cfg.codings, path=None))
    one, _ = pipeline.run(cfg, out_dir=tmp_path / "one", name="study", jobs=1)  # one name: the explorer data has it
    events: list[str] = []
    submit, wait = WorkerPool.submit, stability.PendingRefits.result
    monkeypatch.setattr(WorkerPool, "submit", lambda self, fn, *a, **k: events.append(
        f"draw {a[0]}" if fn.__name__ == "_draw_in_worker" else fn.__name__) or submit(self, fn, *a, **k))
    monkeypatch.setattr(stability.PendingRefits, "result", lambda self, **k: events.append("wait") or wait(self, **k))
    two, _ = pipeline.run(cfg, out_dir=tmp_path / "two", name="study", jobs=2)
    before = events[:events.index("wait")]
    early = {"draw prevalence"} if with_codebook else {"draw prevalence", "draw top_terms"}
    assert {e for e in before if e.startswith("draw")} == early
    figures = sorted(p.name for p in (one / "figures").iterdir())
    assert sum(e.startswith("draw") for e in events) == len(figures)  # none drawn twice
    assert [p.relative_to(one) for p in _compared_files(one)] == [p.relative_to(two) for p in _compared_files(two)]
    for rel in (p.relative_to(one) for p in _compared_files(one)):
        if rel.suffix != ".npz":
            assert (one / rel).read_bytes() == (two / rel).read_bytes(), rel

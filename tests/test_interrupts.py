"""Ctrl-C at any moment ends a run with exit code 130, one line and no finished folder: at every
stage, inside worker processes, inside a weakref callback (where Python swallows the
KeyboardInterrupt), and when a second Ctrl-C arrives during the clean-up.

The subprocess tests run `topicbook run` in a child process in its own process group (as a
terminal's foreground job) whose call at the chosen stage prints REACHED and then blocks: on its
stdin in the main process, forever in a worker process. The test reads that line (the run is
known to be at that stage) and only then sends SIGINT to the whole group, as a terminal's Ctrl-C
does. No sleeps, no timing.
"""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import THEMES, write_planted_corpus
from topicbook.cli import main
from topicbook.interrupts import interrupted, raise_if_interrupted, watch_interrupts
from topicbook.workers import fork_available

MESSAGE = "Interrupted: no run folder was completed; partial output was removed.\n"

# The child: wrap each target (module:attribute, or module:Class.attribute) so that its call
# prints "REACHED <target>" and blocks; `weakref` mode blocks inside a weakref callback instead,
# where an interrupt cannot propagate (Python reports it as "Exception ignored" and goes on).
# Arguments: the mode, the targets, "--", then the topicbook command line; `loop N` runs the
# command N times in this process, printing "EXIT <code>" after each, then whether the SIGINT
# handler and the unraisable hook are Python's own again.
CHILD = r"""
import importlib, os, signal, sys, threading, weakref

signal.signal(signal.SIGINT, signal.default_int_handler)  # a foreground job's (a background one inherits SIG_IGN)

mode, *rest = sys.argv[1:]
split = rest.index("--")
targets, args = rest[:split], rest[split + 1:]
repeat = 1
if mode.startswith("loop"):
    mode, repeat = "weakref", int(mode[4:])
parent = os.getpid()


def block(target):
    os.write(1, f"REACHED {target}\n".encode())  # one write: two workers' lines never mix
    if os.getpid() != parent:
        threading.Event().wait()  # a worker process: blocked until the parent stops it
    sys.stdin.readline()


class Marker:
    pass


def pause(target):
    if mode == "weakref":
        marker = Marker()
        ref = weakref.ref(marker, lambda _: block(target))
        del marker  # the callback runs now, and blocks
    else:
        block(target)


ORIGINALS = {}


class Blocking:  # a class, not a closure: it pickles into worker processes
    def __init__(self, target):
        self.target = target

    def __call__(self, *a, **k):
        pause(self.target)
        return ORIGINALS[self.target](*a, **k)


def blocking_method(target):
    def method(self, *a, **k):
        pause(target)
        return ORIGINALS[target](self, *a, **k)
    return method


def wrap(target):
    module_name, _, path = target.partition(":")
    owner = importlib.import_module(module_name)
    *parts, attr = path.split(".")
    for part in parts:
        owner = getattr(owner, part)
    ORIGINALS[target] = getattr(owner, attr)
    setattr(owner, attr, blocking_method(target) if parts else Blocking(target))


for target in targets:
    wrap(target)
from topicbook.cli import main

if repeat == 1:
    main(args, prog_name="topicbook")  # exits with the command's code
for _ in range(repeat):
    try:
        main(args, prog_name="topicbook")
    except SystemExit as exc:
        print(f"EXIT {exc.code}", flush=True)
print("HANDLER", signal.getsignal(signal.SIGINT) is signal.default_int_handler,
          sys.unraisablehook is sys.__unraisablehook__, flush=True)
"""

# Where each stage is blocked (the call that the stage makes), and the --jobs of the run.
STAGES = {
    "read": ("topicbook.pipeline:read_corpus", 1),
    "segment": ("topicbook.pipeline:segment_corpus", 1),
    "preprocess": ("topicbook.preprocess:_tokens_of_chunk", 2),  # in both worker processes
    "fit": ("topicbook.pipeline:fit_model", 1),
    "stability": ("topicbook.stability:fit_cell", 2),  # in joblib's worker processes
    "summarize": ("topicbook.pipeline:summarize", 1),
    "evaluate": ("topicbook.pipeline:coherence", 1),
    "align": ("topicbook.pipeline:align", 1),
    "agreement": ("topicbook.pipeline:evaluate_run", 1),
    "explorer": ("topicbook.report.explorer_data:explorer_data", 1),
    "figures": ("topicbook.report.figures:top_terms_figure", 1),
    "figures in workers": ("topicbook.report.figures:top_terms_figure", 2),  # drawn in the workers, waited for here
    "write": ("topicbook.report.writer:evaluation_json", 1),
    "commit": ("topicbook.report.run_folder:raise_if_interrupted", 1),  # the check just before the rename
}
N_TABLE_ROWS = 5_200  # segments of the table corpus: at least PARALLEL_MIN_SEGMENTS, so the pool runs


def finished_folders(out: Path) -> list[Path]:
    """Folders a user would take for a run: visible, or holding a manifest."""
    if not out.exists():
        return []
    return sorted(p for p in out.iterdir() if not p.name.startswith(".") or (p / "manifest.json").exists())


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir()) if out.exists() else []


@pytest.fixture(scope="module")
def planted_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The planted project with every stage on: explorer and figures, one stability re-fit,
    the codebook (alignment, agreement) and no cache (so that read/segment/preprocess run)."""
    config = write_planted_corpus(tmp_path_factory.mktemp("interrupts") / "project")
    config.write_text(config.read_text(encoding="utf-8")
                      + "evaluate:\n  stability_seeds: 1\n  coherence: [u_mass]\ncache:\n  enabled: false\n", encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def table_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A table of 5,200 short planted answers: preprocessing runs in the process pool."""
    root = tmp_path_factory.mktemp("interrupts-table")
    rng = random.Random(3)
    themes = list(THEMES)
    with (root / "answers.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        for i in range(N_TABLE_ROWS):
            words = THEMES[themes[i % len(themes)]]
            writer.writerow([f"r{i}", " ".join(rng.choice(words) for _ in range(12))])
    config = root / "config.yaml"
    config.write_text("name: table\ncorpus:\n  path: answers.csv\npreprocess:\n  min_df: 2\n  phrases: false\n"
                      "models:\n  - type: nmf\n    n_topics: 4\nevaluate:\n  stability_seeds: 0\n  coherence: [u_mass]\n"
                      "report:\n  explorer: false\ncache:\n  enabled: false\n", encoding="utf-8")
    return config


def start(config: Path, out: Path, mode: str, *targets: str, jobs: int = 1) -> subprocess.Popen:
    command = ["-q", "run", str(config), "--out", str(out), "--name", "study", "--jobs", str(jobs)]
    return subprocess.Popen([sys.executable, "-c", CHILD, mode, *targets, "--", *command],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=config.parent, start_new_session=True)


def ctrl_c(child: subprocess.Popen) -> None:
    """SIGINT to the child's whole process group, workers included, as a terminal sends it."""
    os.killpg(child.pid, signal.SIGINT)


def finish(child: subprocess.Popen) -> tuple[str, str]:
    try:
        return child.communicate(timeout=120)
    except subprocess.TimeoutExpired:  # a hung child fails the test instead of hanging the suite
        os.killpg(child.pid, signal.SIGKILL)
        out, err = child.communicate()
        pytest.fail(f"the interrupted run did not end: {err[-2000:]}")


@pytest.mark.slow
@pytest.mark.parametrize("stage", list(STAGES))
def test_ctrl_c_at_every_stage_exits_130_with_no_run_folder(stage: str, planted_config: Path, table_config: Path,
                                                            tmp_path: Path) -> None:
    target, jobs = STAGES[stage]
    config = table_config if stage == "preprocess" else planted_config
    out = tmp_path / "runs"
    child = start(config, out, "main", target, jobs=jobs)
    assert child.stdout is not None
    assert child.stdout.readline() == f"REACHED {target}\n"
    ctrl_c(child)
    stdout, stderr = finish(child)
    assert (child.returncode, stderr) == (130, MESSAGE)
    assert finished_folders(out) == [] and leftovers(out) == []


@pytest.mark.slow
def test_ctrl_c_inside_a_weakref_callback_still_ends_the_run(planted_config: Path, tmp_path: Path) -> None:
    """The interrupt of the issue: raised inside a weakref callback during the figures, Python
    swallows it; the run must still end with 130 and commit nothing."""
    out = tmp_path / "runs"
    target = STAGES["figures"][0]
    child = start(planted_config, out, "weakref", target)
    assert child.stdout is not None
    assert child.stdout.readline() == f"REACHED {target}\n"
    ctrl_c(child)
    stdout, stderr = finish(child)
    assert (child.returncode, stderr) == (130, MESSAGE)  # no "Exception ignored in ..." either
    assert finished_folders(out) == [] and leftovers(out) == []


@pytest.mark.slow
def test_a_second_ctrl_c_during_the_clean_up_waits_for_it(planted_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs"
    write, discard = STAGES["write"][0], "topicbook.report.run_folder:RunFolderWriter.discard"
    child = start(planted_config, out, "main", write, discard)
    assert child.stdout is not None and child.stdin is not None
    assert child.stdout.readline() == f"REACHED {write}\n"
    ctrl_c(child)
    assert child.stdout.readline() == f"REACHED {discard}\n"  # cleaning up after the first
    ctrl_c(child)  # the second Ctrl-C, while the partial folder is being removed
    child.stdin.write("\n")
    child.stdin.flush()
    stdout, stderr = finish(child)
    assert (child.returncode, stderr) == (130, MESSAGE)
    assert leftovers(out) == []  # the clean-up ran to its end


REPEATS = 20


@pytest.mark.slow
def test_twenty_interrupts_in_a_row_at_the_figures_stage(planted_config: Path, tmp_path: Path) -> None:
    """20 runs in one process, each interrupted inside a weakref callback of the figures stage
    (where the issue lost 2 of 9): every one ends with 130 and no folder, and the handlers are
    Python's own again afterwards."""
    out = tmp_path / "runs"
    target = STAGES["figures"][0]
    cached = planted_config.with_name("one_model.yaml")  # one NMF model, preprocessed once (cache)
    cached.write_text("name: planted\nseed: 7\ncorpus:\n  path: interviews\nsegment:\n  min_tokens: 5\n"
                      "preprocess:\n  min_df: 2\n  max_df: 0.6\n  phrases: false\nmodels:\n  - type: nmf\n    n_topics: 4\n"
                      "evaluate:\n  stability_seeds: 0\n  coherence: [u_mass]\n", encoding="utf-8")
    child = start(cached, out, f"loop{REPEATS}", target)
    assert child.stdout is not None
    for i in range(REPEATS):
        assert child.stdout.readline() == f"REACHED {target}\n", i
        ctrl_c(child)
        assert child.stdout.readline() == "EXIT 130\n", i
        assert leftovers(out) == [], i
    assert child.stdout.readline() == "HANDLER True True\n"
    _, stderr = finish(child)
    assert child.returncode == 0
    assert stderr == MESSAGE * REPEATS


# --------------------------------------------------------------------------- in this process


@pytest.fixture(autouse=True)
def python_s_own_handler() -> Iterator[None]:
    """SIGINT handled as in an interactive Python (a test run started in the background
    inherits it ignored, and the watch leaves an ignored SIGINT alone)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture
def cheap(planted: Path) -> Path:
    planted.write_text(planted.read_text(encoding="utf-8") + "evaluate:\n  stability_seeds: 0\n  coherence: [u_mass]\n",
                       encoding="utf-8")
    return planted


def _swallowed_interrupt() -> None:
    """Ctrl-C delivered inside a weakref callback: Python cannot raise it there."""
    marker = type("Marker", (), {})()
    ref = weakref.ref(marker, lambda _: signal.raise_signal(signal.SIGINT))
    del marker
    assert ref() is None


# Where the run's process swallows the interrupt: drawing a figure (with --jobs 1 the figures are
# drawn in the run's process), or writing the explorer page while its forked workers draw the
# figures (--jobs 2: a worker ignores SIGINT, so nothing can be swallowed there; a terminal's
# Ctrl-C reaches the run's process too: STAGES["figures in workers"]).
SWALLOWED_AT = {"figures": ("topicbook.report.figures", "top_terms_figure", "1"),
                "explorer while workers draw": ("topicbook.report.explorer", "render_explorer_html", "2")}


@pytest.mark.parametrize("where", list(SWALLOWED_AT))
def test_a_swallowed_interrupt_ends_the_cli_run_with_130(where: str, cheap: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    import topicbook.report.figures as figures

    module_name, attribute, jobs = SWALLOWED_AT[where]
    module = importlib.import_module(module_name)
    original = getattr(module, attribute)

    def swallowing(*args, **kwargs):  # type: ignore[no-untyped-def]
        _swallowed_interrupt()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, attribute, swallowing)
    started: list[object] = []
    start = figures.start_figures
    monkeypatch.setattr(figures, "start_figures", lambda *a, **k: started.append(a[2]) or start(*a, **k))
    out = tmp_path / "runs"
    hook = sys.unraisablehook  # pytest's own
    result = CliRunner().invoke(main, ["-q", "run", str(cheap), "--out", str(out), "--jobs", jobs])
    assert started and {pool is not None for pool in started} == {jobs == "2" and fork_available()}  # the workers draw with --jobs 2
    assert (result.exit_code, result.output) == (130, MESSAGE)
    assert leftovers(out) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert sys.unraisablehook is hook


def test_a_swallowed_interrupt_stops_the_library_run_too(cheap: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import topicbook.pipeline as pipeline
    from topicbook.config import load_config

    original = pipeline.fit_model

    def swallowing(*args, **kwargs):  # type: ignore[no-untyped-def]
        _swallowed_interrupt()
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline, "fit_model", swallowing)
    later: list[object] = []
    monkeypatch.setattr(pipeline, "analyse", lambda *args, **kwargs: later.append(args))
    out = tmp_path / "runs"
    with pytest.raises(KeyboardInterrupt):
        pipeline.run(load_config(cheap), out_dir=out)
    assert later == []  # stopped in the first fit, before the next stage
    assert leftovers(out) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_watch_restores_the_previous_handler_and_nests() -> None:
    before = signal.getsignal(signal.SIGINT)
    with watch_interrupts():
        mine = signal.getsignal(signal.SIGINT)
        assert mine is not before
        with watch_interrupts():
            assert signal.getsignal(signal.SIGINT) is mine
        assert signal.getsignal(signal.SIGINT) is mine  # the inner watch leaves the outer's
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
        assert interrupted()
        signal.raise_signal(signal.SIGINT)  # a second one while the first unwinds: recorded only
        with pytest.raises(KeyboardInterrupt):
            raise_if_interrupted()
    assert signal.getsignal(signal.SIGINT) is before and not interrupted()
    raise_if_interrupted()  # nothing pending outside a watch


def test_a_program_s_own_handler_and_other_threads_are_left_alone() -> None:
    calls: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: calls.append(signum))
    try:
        with watch_interrupts():
            signal.raise_signal(signal.SIGINT)
            assert calls == [signal.SIGINT] and not interrupted()
    finally:
        signal.signal(signal.SIGINT, previous)
    seen: list[object] = []

    def in_thread() -> None:
        with watch_interrupts():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert seen == [signal.default_int_handler]


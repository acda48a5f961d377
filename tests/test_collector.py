"""The garbage collector around a run: the objects that live through it are left out of its
full passes (pipeline.run, heap.frozen_heap), and a `topicbook run` process does not walk its
objects once more on its way out (heap.no_collection_at_exit), nor while it imports the
libraries (heap.collector_paused)."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from topicbook import heap, pipeline
from topicbook.cli import main
from topicbook.config import load_config

# a cycle that only the collector can free, whose finaliser says so
PROBE = """
import sys
{setup}
class Cycle:
    def __del__(self):
        sys.stdout.write("collected\\n")
        sys.stdout.flush()
a, b = Cycle(), Cycle()
a.other, b.other = b, a
del a, b
"""


def run_probe(setup: str) -> str:
    proc = subprocess.run([sys.executable, "-c", PROBE.format(setup=setup)], capture_output=True, text=True,
                          check=True, timeout=120)
    return proc.stdout


def test_objects_alive_at_exit_are_left_out_of_the_final_collections() -> None:
    assert "collected" in run_probe("")  # CPython's shutdown collects the cycle ...
    assert "collected" not in run_probe("from topicbook.heap import no_collection_at_exit\nno_collection_at_exit()")


def test_the_run_command_asks_for_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(heap, "no_collection_at_exit", lambda: calls.append("registered"))
    paused = heap.collector_paused

    @contextmanager
    def watched_pause() -> Iterator[None]:
        with paused():
            calls.append("imports with the collector paused")
            yield

    monkeypatch.setattr(heap, "collector_paused", watched_pause)
    config = tmp_path / "bad.yaml"
    config.write_text("name: x\nmodels: 3\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(config), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 1 and result.output.startswith("Error: ")
    assert calls == ["registered", "imports with the collector paused"]
    assert gc.isenabled()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_run_freezes_what_lives_through_it_and_unfreezes_after(planted: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    planted.write_text(planted.read_text(encoding="utf-8") + "evaluate:\n  stability_seeds: 0\n  coherence: [u_mass]\n",
                       encoding="utf-8")
    frozen: list[int] = []
    original = pipeline.analyse

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        frozen.append(gc.get_freeze_count())
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline, "analyse", watched)
    assert gc.get_freeze_count() == 0
    folder, result = pipeline.run(load_config(planted), out_dir=tmp_path / "runs", jobs=jobs)
    assert frozen[0] > 0  # the modules, the config and the prepared corpus, at least
    assert gc.get_freeze_count() == 0  # and nothing left frozen for the caller
    assert (folder / "manifest.json").exists() and result.models

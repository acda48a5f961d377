"""A `topicbook run` process does not walk its objects once more on its way out (heap.no_collection_at_exit)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from topicbook import heap
from topicbook.cli import main

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
    config = tmp_path / "bad.yaml"
    config.write_text("name: x\nmodels: 3\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(config), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 1 and result.output.startswith("Error: ")
    assert calls == ["registered"]

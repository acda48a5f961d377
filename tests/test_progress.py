"""Progress bars: drawn only when asked for and stderr is a terminal."""

from __future__ import annotations

import io

import pytest

from topicbook.progress import progress_bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_draws_on_a_terminal_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    with progress_bar(3, "fits", enabled=True, unit="model") as bar:
        bar.update(3)
    assert "fits" in terminal.getvalue()
    quiet = Terminal()
    monkeypatch.setattr("sys.stderr", quiet)
    with progress_bar(3, "fits", enabled=False) as bar:  # -q
        bar.update(3)
    assert quiet.getvalue() == ""
    pipe = io.StringIO()  # not a terminal: a log file, a pipe, a test runner
    monkeypatch.setattr("sys.stderr", pipe)
    with progress_bar(3, "fits", enabled=True) as bar:
        bar.update(3)
    assert pipe.getvalue() == ""

"""Warnings as a command shows them, and warnings of worker processes carried home.

The library only logs (``logging.getLogger(__name__).warning(...)``); how the lines reach the
screen is the command's business:

- :class:`WarningSummary` is a logging handler that holds every warning a command logs until
  the command's inputs are read and checked (for `run`: just before the first fit) and at the
  end of the command, and then gives them as lines: one per *kind* of warning, with a count
  when a kind is frequent (:meth:`WarningSummary.lines`). When an error ends the command the
  held warnings are dropped, so the error is the one line the user sees. `topicbook -v` shows each warning as it happens
  instead. A command that shows a kind of warning in its own words (`validate` lists the
  missing keywords per code and the unplaced codings) forgets it (:meth:`WarningSummary.forget`).
- The kind of a warning (:func:`warning_kind`) is its `kind` attribute when the code that logs
  it sets one (``log.warning(..., extra={"kind": "..."})``), else its format string when it has
  arguments, else its text with the leading ``name: ``, quoted names and numbers masked, so that
  "doc01.txt: the file is empty; skipped." and "doc02.txt: ..." are one kind.
- A worker process of joblib or Dask has no handler of the command: :func:`capture_records`
  collects what the work logs (and the Python warnings it raises) as plain
  :class:`CapturedRecord` tuples, which the parent passes to :func:`replay` so that they go
  through the command's handler like any other warning.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

__all__ = ["CapturedRecord", "WarningSummary", "capture_records", "log_python_warning", "replay", "warning_kind"]

ROOT = "topicbook"
SHOWN_PER_KIND = 3
PYTHON_WARNINGS = "topicbook.python"  # the logger of the libraries' Python warnings (scikit-learn, gensim, ...)
_PREFIX = re.compile(r"^[^\s:]+: ")  # "doc01.txt: " or "codebook: "
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def warning_kind(record: logging.LogRecord) -> tuple[str, str]:
    """(logger name, kind) of a record: see the module docstring."""
    kind = getattr(record, "kind", None)
    if kind:
        return record.name, str(kind)
    if record.args:
        return record.name, str(record.msg)
    text = _PREFIX.sub("", record.getMessage(), count=1)
    return record.name, _NUMBER.sub("#", _QUOTED.sub("'…'", text))


class WarningSummary(logging.Handler):
    """Holds WARNING records (not ERROR and above) until the command asks for them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.ERROR:
            self.records.append(record)

    def forget(self, kinds: Iterable[str]) -> None:
        """Drop the held records whose `kind` attribute is in `kinds`: what the command shows
        in its own words."""
        drop = set(kinds)
        self.records = [r for r in self.records if getattr(r, "kind", None) not in drop]

    def lines(self) -> list[str]:
        """The held warnings as lines, in the order each kind first appeared, and forget them.
        A kind with up to `SHOWN_PER_KIND` different messages shows each (a message repeated n
        times once, with "(n times)"); a kind with more shows its first message and the count."""
        groups: dict[tuple[str, str], list[logging.LogRecord]] = {}
        records, self.records = self.records, []
        for record in records:
            groups.setdefault(warning_kind(record), []).append(record)
        out = []
        for group in groups.values():
            messages = Counter(r.getMessage() for r in group)
            if len(messages) <= SHOWN_PER_KIND:
                out += [m if n == 1 else f"{m} ({n} times)" for m, n in messages.items()]
            else:
                out.append(f"{group[0].getMessage()} ({len(group)} warnings like this; run with -v to see each)")
        return out

    def discard(self) -> None:
        self.records = []


@dataclass(frozen=True)
class CapturedRecord:
    """A log record or Python warning of a worker, as plain data (picklable)."""

    logger: str
    level: int
    message: str
    kind: str


@contextmanager
def capture_records() -> Iterator[list[CapturedRecord]]:
    """Collect what the block logs under `topicbook` and the Python warnings it raises, when
    this process has no handler for them (a joblib or Dask worker); else do nothing, so that
    work in the command's own process is logged as usual. Yields the list it fills."""
    captured: list[CapturedRecord] = []
    logger = logging.getLogger(ROOT)
    if logger.hasHandlers():
        yield captured
        return

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(CapturedRecord(record.name, record.levelno, record.getMessage(), warning_kind(record)[1]))

    handler = _Collect(logging.WARNING)
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as raised:
            warnings.simplefilter("default")  # inside this block only: each warning once per place
            yield captured
        for w in raised:
            text = python_warning_text(w.message, w.category)
            captured.append(CapturedRecord(PYTHON_WARNINGS, logging.WARNING, text, text))
    finally:
        logger.removeHandler(handler)


def python_warning_text(message: Warning | str, category: type[Warning]) -> str:
    """`ConvergenceWarning: Maximum number of iterations 2 reached. ...`"""
    return f"{category.__name__}: {message}"


def log_python_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                       file: Any = None, line: str | None = None) -> None:
    """A replacement for :func:`warnings.showwarning` (a command sets it for its duration):
    the libraries' Python warnings become topicbook warnings, held and summarised like the
    others, with the same prefix."""
    text = python_warning_text(message, category)
    logging.getLogger(PYTHON_WARNINGS).warning("%s", text, extra={"kind": text})


def replay(records: Iterable[CapturedRecord]) -> None:
    """Log a worker's captured records in this process (with their kinds)."""
    for r in records:
        logging.getLogger(r.logger).log(r.level, "%s", r.message, extra={"kind": r.kind})

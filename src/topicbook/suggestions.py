"""What to code next, from a finished run: the suggestions of its `learned` score as a table or
as a REFI-QDA project for the researcher's QDA software.

A run with human codings writes suggestions.csv (:func:`topicbook.learning.suggest_next`: the
uncoded segments whose coding would teach the model most). :func:`next_suggestions` recomputes
them from the run folder for any number (the same picks, in the same order, as the run's first
ones), and :func:`write_suggestions` writes them:

- csv: the columns of suggestions.csv (a cell that a spreadsheet would run as a formula gets
  a leading apostrophe), the file to give back as `codings.reviewed`;
- qdpx: the suggested segments' documents as sources, the run's codebook to code with, and
  every suggested span coded with the mark "topicbook: code next" and a note giving its rank,
  the code the model is unsure about and why. The mark is not a human code: when the coded
  project comes back as `codings.path`, its marks are skipped.

Everything is read from the run folder (:func:`topicbook.report.run_folder.load_run`).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Sequence
from pathlib import Path

from topicbook.agreement import SUGGESTION_COLUMNS, suggestion_rows
from topicbook.codebook import Codebook
from topicbook.codings import CODE_NEXT
from topicbook.errors import InputError
from topicbook.learning import Suggestion, suggest_next
from topicbook.qdc import Coding, write_qdpx
from topicbook.report.run_folder import RunFolder

log = logging.getLogger(__name__)

FORMATS = ("csv", "qdpx")


def next_suggestions(run: RunFolder, n: int) -> tuple[Suggestion, ...]:
    """The `n` uncoded segments of `run` to code next (from its `learned` score)."""
    if n < 1:
        raise InputError(f"--next must be at least 1; got {n}.")
    agreement = run.agreement
    if agreement is None or agreement.learned is None:
        raise InputError(f"{run.path}: the run has no learned score (it had no human codings), so nothing to suggest. Code a few documents, set codings.path and run again.")
    return suggest_next(agreement.learned, n)


def suggestion_note(s: Suggestion, total: int) -> str:
    """The note attached to a suggested span in the .qdpx."""
    return (f"topicbook suggests coding this passage next ({s.rank} of {total}; segment {s.segment_id}). "
            f"Code it with every code of the codebook that applies, or none: once it is listed in codings.reviewed, "
            f"a passage left without a code counts as 'none of these codes'. Why this one: {s.reason}.")


def suggestions_project(run: RunFolder, suggestions: Sequence[Suggestion], path: Path) -> Path:
    """Write the REFI-QDA project of `suggestions` to `path` (see the module docstring)."""
    segments = {s.id: s for s in run.segments}
    missing = [s.segment_id for s in suggestions if s.segment_id not in segments]
    if missing:
        raise InputError(f"{run.path}: suggested segment '{missing[0]}' is not in segments.csv. Run `topicbook run` again to write a complete run folder.")
    book = run.codebook
    codes = tuple(book.codes) if book else ()
    if CODE_NEXT.id not in {c.id for c in codes}:
        codes = (*codes, CODE_NEXT)
    codebook = Codebook(book.name if book else run.name, codes, book.source if book else "")
    user = f"topicbook:{run.name}"
    codings = [Coding(segments[s.segment_id].document, a, b, CODE_NEXT.id, user, suggestion_note(s, len(suggestions)))
               for s in suggestions for a, b in segments[s.segment_id].spans]
    docs = {c.document for c in codings}
    return write_qdpx(path, sources=[(d.id, d.text) for d in run.documents if d.id in docs], codebook=codebook,
                      codings=codings, user=user, project_name=f"{run.name} code next")


def write_suggestions(run: RunFolder, suggestions: Sequence[Suggestion], fmt: str, *, out: Path | None = None,
                      force: bool = False) -> Path:
    """Write `suggestions` as csv or qdpx to `out` (default RUN_DIR/export/code-next.<fmt>);
    an existing file is replaced only with `force`; nothing is half-written."""
    if fmt not in FORMATS:
        raise InputError(f"--format: unknown format '{fmt}'. Use one of {', '.join(FORMATS)}.")
    target = out or run.path / "export" / f"code-next.{fmt}"
    if target.exists() and not force:
        raise InputError(f"{target}: already exists. Use --force to replace it, or --out to write elsewhere.")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.partial")
    try:
        if fmt == "csv":
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=list(SUGGESTION_COLUMNS), lineterminator="\n")
            writer.writeheader()
            segments = {s.id: s for s in run.segments}
            writer.writerows(suggestion_rows(suggestions, segments))
            tmp.write_text(buffer.getvalue(), encoding="utf-8")
        else:
            suggestions_project(run, suggestions, tmp)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("%d suggestions written to %s", len(suggestions), target)
    return target

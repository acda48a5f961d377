"""What to code next, from a finished run: the suggestions of its `learned` score as a table or
as a REFI-QDA project for the researcher's QDA software.

A run with human codings writes suggestions.csv (:func:`topicbook.learning.suggest_next`: the
uncoded segments whose coding would teach the model most). :func:`next_suggestions` recomputes
them from the run folder for any number (the same picks, in the same order, as the run's first
ones), and :func:`write_suggestions` writes them (`topicbook sample RUN --next N`):

- csv: the columns of suggestions.csv (a cell that a spreadsheet would run as a formula gets
  a leading apostrophe);
- qdpx: the suggested segments' documents as sources, the run's codebook to code with, and
  every suggested span coded with the mark "topicbook: code next" and a note giving its rank,
  the code the model is unsure about and why. The mark is not a human code: when the coded
  project comes back as `codings.path`, its marks are skipped.

Beside the export, a record in sample.json's format (:class:`topicbook.sampling.Sample`, method
"next") lists the suggested segments: give it as `codings.reviewed` once they are coded.

Everything is read from the run folder (:func:`topicbook.report.run_folder.load_run`).
"""

from __future__ import annotations

import csv
import io
import json
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
from topicbook.sampling import Sample
from topicbook.validation import export_targets, json_text, output_root, write_files, write_text

log = logging.getLogger(__name__)

FORMATS = ("csv", "qdpx")
NEXT_METHOD = "next"  # the record's method: chosen by the learned score, not at random


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


def suggestions_project(run: RunFolder, suggestions: Sequence[Suggestion], path: Path, *,
                        description: str | None = None) -> Path:
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
                      codings=codings, user=user, project_name=f"{run.name} code next", description=description)


def next_record(run: RunFolder, suggestions: Sequence[Suggestion]) -> Sample:
    """The suggestions as a sample record (sample.json's format, method "next"): the list of
    segments to give back as `codings.reviewed` once they are coded. Not a random sample: its
    figures estimate nothing beyond those segments."""
    agreement = run.agreement
    uncoded = int((~agreement.coded).sum()) if agreement is not None and agreement.coded is not None else 0
    chosen = {s.segment_id for s in suggestions}
    return Sample(run=run.name, method=NEXT_METHOD, seed=run.config.seed, n_requested=len(suggestions),
                  population=uncoded, segment_ids=tuple(s for s in run.segment_ids if s in chosen))


def next_description(run: RunFolder, record: Sample, target: Path) -> str:
    """The .qdpx project's Description: what to do, then the record as one JSON line."""
    return (f"topicbook, run {run.name}: the {len(record.segment_ids)} uncoded passages whose coding would teach its "
            f"learned score most, each marked with the code '{CODE_NEXT.name}' and a note saying why. Code each with "
            f"every code of the codebook that applies, or none; then export your project and give it to topicbook as "
            f"codings.path, with codings.reviewed: {target.with_suffix('.json').name}.\n\n"
            f"[topicbook] {json.dumps(record.to_json(), ensure_ascii=False, separators=(',', ':'))}")


def write_suggestions(run: RunFolder, suggestions: Sequence[Suggestion], fmt: str, *, out: Path | None = None,
                      force: bool = False) -> tuple[Path, Path]:
    """Write `suggestions` as csv or qdpx (default RUN_DIR/validation/next.<fmt>) and their
    record beside it (the export's name with .json: the `codings.reviewed` list); existing files
    are replaced only with `force`, and nothing is half-written. Returns (export, record)."""
    target, record_path = export_targets(run, out, fmt, FORMATS, stem="next", record_what="the suggestions' record")
    record = next_record(run, suggestions)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(SUGGESTION_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(suggestion_rows(suggestions, {s.id: s for s in run.segments}))
        write_export = write_text(buffer.getvalue())
    else:
        def write_export(path: Path) -> None:
            suggestions_project(run, suggestions, path, description=next_description(run, record, target))

    write_files([(target, write_export), (record_path, write_text(json_text(record.to_json())))], force=force,
                **output_root(run, out.parent if out is not None else None))
    log.info("%d suggestions written to %s", len(suggestions), target)
    return target, record_path

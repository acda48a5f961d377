"""The validation kit over a finished run folder (read through :func:`load_run` only).

- :func:`sample_run` / :func:`write_sample`: a reproducible random sample of segments for hand
  coding, as a CSV or a REFI-QDA project (.qdpx) with the sampled spans marked, and its record
  (sample.json) beside it;
- :func:`make_intrusion` / :func:`score_intrusion` (see :mod:`topicbook.intrusion`): word- and
  topic-intrusion tasks as one offline page with the answer key beside it, and the raters'
  answers scored into the run folder's intrusion.json.

Nothing is overwritten without `force`; every file is written to a temporary name beside its
target and renamed into place once complete.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from topicbook.codes import Codebook
from topicbook.errors import InputError
from topicbook.files import contained, replacing
from topicbook.ids import topic_key
from topicbook.intrusion import IntrusionScores, TaskSet, make_task_set, read_answers, score_answers
from topicbook.qdc import Coding, write_qdpx
from topicbook.report.explorer import rebuild_explorer
from topicbook.report.intrusion_page import render_intrusion_html
from topicbook.report.methods import rewrite_methods
from topicbook.report.run_folder import EXPLORER_DATA, INTRUSION, RunFolder, load_run
from topicbook.sampling import SAMPLE_CODE, STRATA, Sample, best_code_strata, draw_sample
from topicbook.spreadsheet import neutralise_cell

log = logging.getLogger(__name__)

SAMPLE_FORMATS = ("csv", "qdpx")
SAMPLE_COLUMNS = ("segment_id", "document", "start", "end", "text")
VALIDATION_DIR = "validation"
CODE_STRATA_METHOD = "similarity"


# --------------------------------------------------------------------------- files


def write_files(files: Sequence[tuple[Path, Callable[[Path], None]]], *, force: bool, root: Path,
                what: str = "the run folder") -> None:
    """Write each (target, writer) pair: refuse existing targets unless `force` and targets that
    resolve outside `root` (the run folder, or the folder given with --out), write every file to
    a hidden temporary name first and rename them into place only when all are written
    (:func:`topicbook.files.replacing`: nothing half-written or .partial is ever left). `what`
    names `root` in the refusal."""
    for target, _ in files:
        contained(root, target, what=what)
        if target.exists() and not force:
            raise InputError(f"{target}: already exists. Use --force to replace it, or --out to write elsewhere.")
    try:
        for target, _ in files:
            target.parent.mkdir(parents=True, exist_ok=True)
        with replacing([t for t, _ in files], root=root, what=what) as temporary:
            for (_, write), tmp in zip(files, temporary, strict=True):
                write(tmp)
    except OSError as exc:
        raise InputError(f"{files[0][0].parent}: cannot write there ({exc.strerror or exc}). Use --out with a writable folder.") from None


def output_root(run: RunFolder, out: Path | None) -> dict[str, Any]:
    """write_files' root: the folder given with --out, else the run folder."""
    return {"root": out, "what": "the folder of --out"} if out is not None else {"root": run.path, "what": "the run folder"}


def export_targets(run: RunFolder, out: Path | None, fmt: str, formats: Sequence[str], *, stem: str,
                   record_what: str) -> tuple[Path, Path]:
    """(export, record) paths of a validation export: `out`, else RUN_DIR/validation/<stem>.<fmt>,
    and its record beside it with .json; an unknown `fmt`, or an `out` the record would
    overwrite, is a one-line error (`record_what` names the record in it)."""
    if fmt not in formats:
        raise InputError(f"--format: unknown format '{fmt}'. Use one of {', '.join(formats)}.")
    target = out or run.path / VALIDATION_DIR / f"{stem}.{fmt}"
    record = target.with_suffix(".json")
    if record == target:
        raise InputError(f"--out: {target} would be overwritten by {record_what}; give the export a .{fmt} name.")
    return target, record


def write_text(text: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")
    return write


def json_text(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# --------------------------------------------------------------------------- sample


def sample_strata(run: RunFolder, stratify: str | None, model: str | None) -> tuple[list[str] | None, str | None]:
    """One stratum label per modelled segment (run.segment_ids), and the model used for topics."""
    if stratify is None:
        return None, None
    if stratify not in STRATA:
        raise InputError(f"--stratify: unknown stratum '{stratify}'. Use one of {', '.join(STRATA)}.")
    ids = run.segment_ids
    if stratify == "document":
        doc_of = {s.id: s.document for s in run.segments}
        return [doc_of[s] for s in ids], None
    if stratify == "topic":
        models = run.models
        name = model or next(iter(models))
        if name not in models:
            raise InputError(f"--model: the run has no model '{name}'. Use one of {', '.join(models)}.")
        best = np.argmax(models[name].doc_topic, axis=1)
        return [topic_key(name, int(k)) for k in best], name
    agreement = run.agreement
    if agreement is None or CODE_STRATA_METHOD not in agreement.scores:
        raise InputError(f"--stratify code: the run {run.path.name} has no codebook scores. Use --stratify document or topic, or a run with a codebook.")
    row = {s: i for i, s in enumerate(agreement.segment_ids)}
    strata = best_code_strata(agreement.scores[CODE_STRATA_METHOD], agreement.thresholds[CODE_STRATA_METHOD],
                              agreement.code_ids)
    return [strata[row[s]] for s in ids], None


def sample_run(run_dir: Path, *, n: int, seed: int | None = None, stratify: str | None = None,
               model: str | None = None) -> tuple[RunFolder, Sample]:
    """Draw a random sample of `n` of the run's modelled segments (seed: the run's by default)."""
    run = load_run(run_dir)
    strata, used_model = sample_strata(run, stratify, model)
    chosen_seed = run.config.seed if seed is None else seed
    return run, draw_sample(run.segment_ids, n, chosen_seed, strata=strata, run=run.name, stratify=stratify,
                            model=used_model)


def sample_description(sample: Sample) -> str:
    """The .qdpx project's Description: what to do, then the sample record as one JSON line."""
    how = f"stratified by {sample.stratify}" if sample.stratify else "a simple random sample"
    return (f"topicbook sample of run {sample.run}: {len(sample.segment_ids)} of {sample.population} segments, "
            f"{how}, seed {sample.seed}. Code every span marked with the code '{SAMPLE_CODE.name}' with the "
            f"codebook's codes (all that apply, or none), then export the project and give it to topicbook as "
            f"codings.path with codings.sample pointing at the sample's .json.\n\n"
            f"[topicbook] {json.dumps(sample.to_json(), ensure_ascii=False, separators=(',', ':'))}")


def write_sample(run: RunFolder, sample: Sample, fmt: str, *, out: Path | None = None,
                 force: bool = False) -> tuple[Path, Path]:
    """Write the sample for hand coding and its record; returns (export, sample.json).

    csv: segment_id, document, start, end, text per sampled segment (a cell that a
    spreadsheet would run as a formula gets a leading apostrophe); qdpx: the sampled
    segments' documents as sources, every sampled span coded with the code
    'topicbook: sample', the run's codebook to code with, and the record in the project's
    Description. The record goes to the export's name with .json (sample.json by default).
    """
    target, record = export_targets(run, out, fmt, SAMPLE_FORMATS, stem="sample", record_what="the sample record")
    segments = {s.id: s for s in run.segments}
    chosen = [segments[s] for s in sample.segment_ids]

    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(SAMPLE_COLUMNS)
        # a quote that starts like a formula is written with a leading apostrophe (spreadsheet.py)
        writer.writerows([neutralise_cell(s.id), neutralise_cell(s.document), s.start, s.end, neutralise_cell(s.text)]
                         for s in chosen)
        write_export = write_text(buffer.getvalue())
    else:
        docs = {s.document for s in chosen}
        book = run.codebook
        codes = (*(book.codes if book else ()), SAMPLE_CODE)
        codebook = Codebook(book.name if book else run.name, codes, book.source if book else "")
        user = f"topicbook:{run.name}"
        codings = [Coding(s.document, a, b, SAMPLE_CODE.id, user) for s in chosen for a, b in s.spans]

        def write_export(path: Path) -> None:
            write_qdpx(path, sources=[(d.id, d.text) for d in run.documents if d.id in docs], codebook=codebook,
                       codings=codings, user=user, project_name=f"{run.name} sample",
                       description=sample_description(sample))

    write_files([(target, write_export), (record, write_text(json_text(sample.to_json())))], force=force,
                **output_root(run, out.parent if out is not None else None))
    log.info("sample of %d segments written to %s", len(chosen), target)
    return target, record


# --------------------------------------------------------------------------- intrusion

INTRUSION_PAGE = "intrusion.html"
INTRUSION_KEY = "intrusion_key.json"


def make_intrusion(run_dir: Path, *, out_dir: Path | None = None, per_topic: int = 1, seed: int | None = None,
                   models: Sequence[str] | None = None, force: bool = False) -> tuple[Path, Path, TaskSet]:
    """Write the intrusion page and its answer key (RUN_DIR/validation/ by default); returns
    (page, key, tasks). seed: the run's by default; models: all of the run's by default."""
    run = load_run(run_dir)
    fitted = run.models
    chosen = list(models) if models else list(fitted)
    unknown = [m for m in chosen if m not in fitted]
    if unknown:
        raise InputError(f"--models: the run has no model '{unknown[0]}'. Use any of {', '.join(fitted)}.")
    texts = {s.id: s.text for s in run.segments}
    tasks = make_task_set(run.name, {m: (fitted[m].doc_topic, fitted[m].topic_term) for m in chosen}, run.vocab,
                          run.segment_ids, texts, seed=run.config.seed if seed is None else seed, per_topic=per_topic)
    folder = out_dir or run.path / VALIDATION_DIR
    page, key = folder / INTRUSION_PAGE, folder / INTRUSION_KEY
    write_files([(page, write_text(render_intrusion_html(tasks))), (key, write_text(json_text(tasks.key_json())))],
                force=force, **output_root(run, out_dir))
    return page, key, tasks


def read_key(path: Path) -> TaskSet:
    """An intrusion_key.json, with one-line errors."""
    if not path.is_file():
        raise InputError(f"{path}: no intrusion key there. Give the intrusion_key.json written beside the page with --key (or run `topicbook intrusion` first).")
    try:
        return TaskSet.from_key(json.loads(path.read_text(encoding="utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: not a topicbook intrusion key ({type(exc).__name__}: {exc}). Use the intrusion_key.json written with the page.") from None


def score_intrusion(run_dir: Path, answer_files: Sequence[Path], *, key: Path | None = None,
                    force: bool = False) -> tuple[Path, IntrusionScores]:
    """Score the raters' answer files against the key and write RUN_DIR/intrusion.json.

    The only file a command adds to a finished run folder: written atomically, never replacing
    an earlier one without `force`. Two derived pages are then written again: explorer.html
    (from explorer_data.json, as `topicbook explore` does, now with the scores) and methods.md
    (with the intrusion figures; manifest.json, whose hash it quotes, is unchanged).
    """
    run = load_run(run_dir)
    tasks = read_key(key or run.path / VALIDATION_DIR / INTRUSION_KEY)
    if tasks.run != run.name:
        raise InputError(f"{key or INTRUSION_KEY}: the key is for run '{tasks.run}', not '{run.name}'. Give the key of this run's intrusion page.")
    answers = []
    for path in answer_files:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read the answers ({getattr(exc, 'strerror', None) or exc}). Give the file the page saved.") from None
        answers.append(read_answers(text, Path(path).name, tasks))
    if not answers:
        raise InputError("intrusion-score: no answer files given. Pass the files the raters' pages saved.")
    scores = score_answers(tasks, answers)
    target = run.path / INTRUSION
    write_files([(target, write_text(json_text(scores.to_json())))], force=force, root=run.path)
    if (run.path / EXPLORER_DATA).is_file():
        rebuild_explorer(run.path)
    rewrite_methods(load_run(run.path))  # now with the intrusion figures
    return target, scores

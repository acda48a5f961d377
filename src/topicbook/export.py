"""`topicbook export RUN_DIR --format qdc|qdpx|csv|xlsx`: a run's topics back into QDA software.

- qdc: the original codebook plus, per model, a parent code `topicbook <model>` whose children
  are the topics as candidate codes (top terms as keywords; label, top terms and the verdict in
  the definition: the codes the topic carries with their status, or emergent, or procedural).
- qdpx: the same codebook, the source texts, and codings: each segment's dominant topic per
  model and the codes the codebook-similarity score predicts (autocode.csv), all created by the
  user `topicbook:<run name>`, so that NVivo, ATLAS.ti, MAXQDA and QualCoder users can review
  them; and, when the run had human codings, the researcher's own codings as the run placed
  them (codings.csv) by a user of their own (the coder a .qdpx named, else
  `researcher:<codings file>`). Read back as codings.path, only the researcher's count:
  codings by a `topicbook:` user are suggestions.
- csv / xlsx: the codebook with topics in topicbook's CSV codebook format (readable by
  `codebook.path`), and the codings as `document,start,end,code` (readable by `codings.path`);
  xlsx puts them on two sheets.

Nothing is overwritten unless `force` is set; nothing is written outside the export folder (or
the folder of `--out`); cells that would run as spreadsheet formulas stay text.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from topicbook.chars import strip_xml_illegal
from topicbook.codebook import Code, Codebook, codebook_records, codes_from_records, load_codebook
from topicbook.codings import SUGGESTION_USER_PREFIX
from topicbook.errors import InputError, TopicbookError
from topicbook.files import contained, replacing
from topicbook.ids import topic_key
from topicbook.names import name_problem, safe_name
from topicbook.qdc import Coding, write_qdc, write_qdpx
from topicbook.report.run_folder import RunFolder, load_run
from topicbook.scoring import standardise
from topicbook.spreadsheet import cells_as_text, neutralise_cell
from topicbook.verdicts import ModelStructure

log = logging.getLogger(__name__)

FORMATS = ("qdc", "qdpx", "csv", "xlsx")
AUTOCODE_METHOD = "similarity"


def topic_codebook(run: RunFolder) -> Codebook:
    """The run's codebook (if any) plus every model's topics as candidate codes."""
    base = run.codebook
    codes = list(base.codes) if base else []
    used = {c.id for c in codes}
    for model, summaries in run.summaries.items():
        parent = f"topicbook_{model}"
        while parent in used:
            parent += "_"
        used.add(parent)
        codes.append(Code(id=parent, name=f"topicbook {model}",
                          definition=f"Topics of the model {model}, as candidate codes."))
        verdicts = run.verdicts.model(model) if run.verdicts is not None else None
        for s in summaries:
            top_terms = " ".join(s.top_terms)
            definition = f"Topic {s.display_id} of {model}: {s.label}. Top terms: {top_terms}. "
            definition += topic_verdict_text(verdicts, s.id) if verdicts else "No codebook verdicts in this run."
            codes.append(Code(id=topic_key(model, s.id), name=f"{model} {s.display_id}: {s.label}",
                              definition=definition, keywords=tuple(s.top_terms[:10]), parent=parent))
    name = base.name if base else run.path.name
    return Codebook(name, tuple(codes), f"{run.path.name}/topics.csv")


def topic_verdict_text(structure: ModelStructure, topic: int) -> str:
    """One sentence on what the verdicts say of a topic: the codes it carries with each code's
    status in the model, or emergent, or procedural."""
    verdict = structure.topics[topic]
    if verdict.status == "procedural":
        return "Procedural topic (interview routine), not a theme."
    if verdict.status == "emergent":
        return "Emergent topic: no code's evidence explains it."
    status = {c.code: c.status for c in structure.codes}
    carried = ", ".join(f"{c} ({status[c].replace('_', ' ')})" for c in verdict.codes)
    return f"Carries codes: {carried}."


def suggestion_user(run: RunFolder) -> str:
    """The user of topicbook's suggested codings: `topicbook:<run name>`."""
    return f"{SUGGESTION_USER_PREFIX}{run.name}"


def human_codings(run: RunFolder) -> list[Coding]:
    """The researcher's codings as the run placed them (codings.csv), each by its coder: the
    user the source named (a .qdpx), else `researcher:<codings file>`. [] without codings."""
    agreement = run.agreement
    source = agreement.codings.source if agreement is not None and agreement.codings is not None else "codings"
    return [dataclasses.replace(c, user=c.user or f"researcher:{source}") for c in run.human_spans]


def run_codings(run: RunFolder, *, spans: bool = True) -> list[Coding]:
    """Codings of a run: each segment's dominant topic per model, and the codes predicted by the
    codebook-similarity score (best z-score first). `spans`: code every span of a segment
    (False: one span from its start to its end, as segments.csv's start and end give it)."""
    segments = {s.id: s for s in run.segments}
    user = suggestion_user(run)

    def ranges(seg_id: str) -> list[tuple[int, int]]:
        seg = segments[seg_id]
        return list(seg.spans) if spans else [(seg.start, seg.end)]

    out: list[Coding] = []
    dominant = {name: np.argmax(m.doc_topic, axis=1) for name, m in run.models.items()}
    for i, seg_id in enumerate(run.segment_ids):
        doc = segments[seg_id].document
        for name, best in dominant.items():
            out.extend(Coding(doc, s, e, topic_key(name, int(best[i])), user) for s, e in ranges(seg_id))
    agreement = run.agreement
    if agreement is not None and AUTOCODE_METHOD in agreement.scores:
        scores = agreement.scores[AUTOCODE_METHOD]
        predicted = scores > agreement.thresholds[AUTOCODE_METHOD][None, :]
        z = standardise(scores)
        for i, seg_id in enumerate(agreement.segment_ids):
            if seg_id not in segments:
                continue
            for c in np.argsort(-z[i], kind="stable"):
                if predicted[i, c]:
                    out.extend(Coding(segments[seg_id].document, s, e, agreement.code_ids[c], user)
                               for s, e in ranges(seg_id))
    return out


def export_run(run_dir: Path, fmt: str, *, out: Path | None = None, force: bool = False) -> Path:
    """Write the export file for `fmt` and return its path (RUN_DIR/export/<run>.<fmt> by default).

    Everything comes from the run folder (:func:`topicbook.report.run_folder.load_run`): the
    corpus is not read again, so a run folder moved without its corpus still exports. Files
    are written only where they belong (the run's export folder, or beside `out`), through
    hidden temporary files that replace the targets when complete: a refused or failed export
    leaves nothing behind. CSV and .xlsx cells that a spreadsheet would run as a formula are
    kept text (:mod:`topicbook.spreadsheet`).
    """
    if fmt not in FORMATS:
        raise InputError(f"--format: unknown format '{fmt}'. Use one of {', '.join(FORMATS)}.")
    if not run_dir.is_dir():
        raise InputError(f"{run_dir}: no such run folder. Give the folder `topicbook run` printed.")
    run = load_run(run_dir)
    run_name = run.name
    if out is None:  # inside the run folder (its export/ may not lead elsewhere)
        root, what = run_dir, "the run folder"
        stem = run_dir.resolve().name
        target = run_dir / "export" / f"{safe_name(stem if name_problem(stem) is None else run_name, what='the run folder name')}.{fmt}"
    else:
        root, what, target = out.parent, "the folder of --out", out
    targets = [target, target.with_name(f"{target.stem}_codings.csv")] if fmt == "csv" else [target]
    for path in targets:
        contained(root, path, what=what)
        if path.exists() and not force:
            hint = ", or --out to write elsewhere" if path == target else ""
            raise InputError(f"{path}: already exists. Use --force to replace it{hint}.")
    codebook = topic_codebook(run)
    codings = run_codings(run, spans=fmt == "qdpx") if fmt != "qdc" else []
    if fmt == "qdpx":
        codings += human_codings(run)
    sources = [(d.id, d.text) for d in run.documents] if fmt == "qdpx" else []
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with replacing(targets, root=root, what=what) as temporary:
            _write_export(fmt, temporary, codebook, codings, sources, run_name, suggestion_user(run))
    except OSError as exc:
        raise _export_error(exc, target) from None
    log.info("exported %s", target)
    return target


def _write_export(fmt: str, paths: list[Path], codebook: Codebook, codings: list[Coding],
                  sources: list[tuple[str, str]], run_name: str, user: str) -> None:
    """The export's files at `paths` (the codebook or project first; the codings CSV second);
    `user`: the project's user and that of codings naming none (a .qdpx)."""
    if fmt == "qdc":
        write_qdc(codebook, paths[0])
        return
    if fmt == "qdpx":
        write_qdpx(paths[0], sources=sources, codebook=codebook, codings=codings,
                   user=user, project_name=run_name)
        return
    records = codebook_records(codebook)
    book = pd.DataFrame([{**r, **{k: "; ".join(r[k]) for k in ("keywords", "exclude", "examples") if k in r}}
                         for r in records], columns=["id", "name", "definition", "keywords", "exclude", "examples", "parent"])
    table = pd.DataFrame([{"document": c.document, "start": c.start, "end": c.end, "code": c.code}
                          for c in codings], columns=["document", "start", "end", "code"])
    if fmt == "csv":  # a leading ' keeps a cell such as "=HYPERLINK(...)" text; our readers take it off
        book.map(neutralise_cell).to_csv(paths[0], index=False)
        table.map(neutralise_cell).to_csv(paths[1], index=False)
        return
    dropped = [0]

    def xml_text(value: object) -> object:  # an .xlsx is XML: control characters cannot go in
        if not isinstance(value, str):
            return value
        clean, n = strip_xml_illegal(value)
        dropped[0] += n
        return clean

    book, table = book.map(xml_text), table.map(xml_text)
    if dropped[0]:
        log.warning("xlsx export: dropped %d control character%s that a workbook cannot hold (from code names, "
                    "definitions or document names).", dropped[0], "" if dropped[0] == 1 else "s")
    with pd.ExcelWriter(paths[0], engine="openpyxl") as writer:
        book.to_excel(writer, sheet_name="codebook", index=False)
        table.to_excel(writer, sheet_name="codings", index=False)
        for sheet in writer.sheets.values():
            cells_as_text(sheet)  # openpyxl types any text starting with "=" as a formula


def _export_error(exc: OSError, target: Path) -> TopicbookError:
    if exc.errno == errno.ENOSPC:
        return TopicbookError(f"{target}: no space left on the device while writing the export. Free some space or use --out on another disk; nothing was written.")
    return TopicbookError(f"{target}: cannot write the export ({exc.strerror or exc}). Use --out with a writable folder; nothing was written.")


def read_export_codebook(path: Path) -> Codebook:
    """Read back an exported codebook (.qdc, .csv, or the `codebook` sheet of an .xlsx)."""
    if path.suffix.lower() != ".xlsx":
        return load_codebook(path)
    frame = pd.read_excel(path, sheet_name="codebook", dtype=str).fillna("")
    records = [{k: v for k, v in rec.items() if v != ""} for rec in frame.to_dict("records")]
    codes = codes_from_records(records, path.name, line_of=list(range(2, len(records) + 2)))
    return Codebook(path.stem, codes, path.name)

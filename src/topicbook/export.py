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

With the researcher's decisions (decisions.json from the explorer, :mod:`topicbook.decisions`):
renamed topics carry their new names; topics made new codes become codes of a group
"topicbook: new codes", coded (qdpx, csv, xlsx) on the segments where the topic dominates;
memos become REFI-QDA <Note>s the code refers to in a .qdpx, and a "Memo: ..." paragraph of
the code's Description (definition) in the formats without notes (qdc, csv, xlsx); csv and xlsx
list every decision, rejected verdicts included, in `<name>_decisions.csv` or a `decisions`
sheet.

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
from topicbook.decisions import RunDecisions, read_decisions
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
NEW_CODES_GROUP = "topicbook_new_codes"
NEW_CODES_NAME = "topicbook: new codes"
DECISION_COLUMNS = ("kind", "key", "name", "verdict", "decision", "label", "new_code_id", "new_code_name", "memo")


def topic_codebook(run: RunFolder, decisions: RunDecisions | None = None, *, memos: bool = False) -> Codebook:
    """The run's codebook (if any) plus every model's topics as candidate codes.

    With `decisions`: topics carry the researcher's labels, and topics made new codes are
    added as codes of the group NEW_CODES_NAME; `memos`: each code's memos (:func:`code_memos`)
    become a "Memo: ..." paragraph of its definition (for formats without notes).
    """
    base = run.codebook
    codes = list(base.codes) if base else []
    used = {c.id for c in codes}
    new_codes: list[Code] = []
    for model, summaries in run.summaries.items():
        parent = _free_id(f"topicbook_{model}", used)
        codes.append(Code(id=parent, name=f"topicbook {model}",
                          definition=f"Topics of the model {model}, as candidate codes."))
        verdicts = run.verdicts.model(model) if run.verdicts is not None else None
        for s in summaries:
            label = decisions.label(model, s.id, s.label) if decisions else s.label
            renamed = f" (renamed; the run's label: {s.label})" if label != s.label else ""
            top_terms = " ".join(s.top_terms)
            definition = f"Topic {s.display_id} of {model}: {label}{renamed}. Top terms: {top_terms}. "
            definition += topic_verdict_text(verdicts, s.id) if verdicts else "No codebook verdicts in this run."
            codes.append(Code(id=topic_key(model, s.id), name=f"{model} {s.display_id}: {label}",
                              definition=definition, keywords=tuple(s.top_terms[:10]), parent=parent))
            decided = decisions.topics.get(topic_key(model, s.id)) if decisions else None
            if decided is not None and decided.new_code is not None:
                new_codes.append(Code(id=decided.new_code.id, name=decided.new_code.name, keywords=tuple(s.top_terms[:10]),
                                      definition=f"Made from topic {s.display_id} of {model} ({label}) of the topicbook "
                                                 f"run {run.name}. Top terms: {top_terms}.", parent=NEW_CODES_GROUP))
    if new_codes:
        group = _free_id(NEW_CODES_GROUP, used)
        codes.append(Code(id=group, name=NEW_CODES_NAME,
                          definition="Codes the researcher made from topics in topicbook's explorer (decisions.json)."))
        codes.extend(dataclasses.replace(c, parent=group) for c in new_codes)
    if memos and decisions is not None:
        texts = code_memos(decisions)
        codes = [dataclasses.replace(c, definition=_with_memos(c.definition, texts[c.id])) if c.id in texts else c
                 for c in codes]
    name = base.name if base else run.path.name
    return Codebook(name, tuple(codes), f"{run.path.name}/topics.csv")


def _free_id(wanted: str, used: set[str]) -> str:
    """`wanted`, with `_` appended until no code in `used` has it; added to `used`."""
    while wanted in used:
        wanted += "_"
    used.add(wanted)
    return wanted


def _with_memos(definition: str, memos: list[str]) -> str:
    return "\n\n".join([definition, *(f"Memo: {m}" for m in memos)] if definition else [f"Memo: {m}" for m in memos])


def code_memos(decisions: RunDecisions) -> dict[str, list[str]]:
    """Exported code id -> the researcher's memos on it: a code's memo on that code, a topic's
    memo on the topic's candidate code and, when it was made a new code, on the new code too."""
    out: dict[str, list[str]] = {}
    for c in decisions.codes.values():
        if c.memo:
            out.setdefault(c.code, []).append(c.memo)
    for t in decisions.topics.values():
        if t.memo:
            out.setdefault(t.key, []).append(t.memo)
            if t.new_code is not None:
                out.setdefault(t.new_code.id, []).append(t.memo)
    return out


def decision_rows(run: RunFolder, decisions: RunDecisions) -> list[dict[str, str]]:
    """The decisions as rows of DECISION_COLUMNS (csv/xlsx exports): every decided code, with
    its verdict (presence, and status per model) and the researcher's decision, then every
    decided topic with its verdict, new label, new code and memo."""
    codebook = run.codebook
    presence = {v.code: v for v in run.verdicts.presence} if run.verdicts is not None else {}
    rows = []
    for c in decisions.codes.values():
        verdict = ""
        if c.code in presence:
            statuses = ", ".join(f"{m.model}: {m.status(c.code).replace('_', ' ')}" for m in run.verdicts.models) if run.verdicts else ""
            verdict = f"{presence[c.code].presence} ({statuses})" if statuses else presence[c.code].presence
        rows.append({"kind": "code", "key": c.code, "name": codebook.get(c.code).name if codebook else "",
                     "verdict": verdict, "decision": c.decision or "", "label": "", "new_code_id": "",
                     "new_code_name": "", "memo": c.memo})
    for t in decisions.topics.values():
        structure = run.verdicts.model(t.model) if run.verdicts is not None else None
        rows.append({"kind": "topic", "key": t.key, "name": run.summaries[t.model][t.topic].label,
                     "verdict": topic_verdict_text(structure, t.topic) if structure else "", "decision": "",
                     "label": t.label or "", "new_code_id": t.new_code.id if t.new_code else "",
                     "new_code_name": t.new_code.name if t.new_code else "", "memo": t.memo})
    return rows


def topic_verdict_text(structure: ModelStructure, topic: int) -> str:
    """One sentence on what the verdicts say of a topic: the codes it carries with each code's
    status in the model, or emergent, or procedural."""
    verdict = structure.topics[topic]
    if verdict.status == "procedural":
        return "Procedural topic (interview routine), not a theme."
    if verdict.status == "emergent":
        return "Emergent topic: no code's evidence explains it."
    if verdict.status == "explained":
        return f"Carries no code; its top segments are evidence of: {', '.join(verdict.explained_by)}."
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


def run_codings(run: RunFolder, *, spans: bool = True, decisions: RunDecisions | None = None) -> list[Coding]:
    """Codings of a run: each segment's dominant topic per model (and, with `decisions`, the new
    code made from that topic), and the codes predicted by the codebook-similarity score (best
    z-score first). `spans`: code every span of a segment (False: one span from its start to
    its end, as segments.csv's start and end give it)."""
    segments = {s.id: s for s in run.segments}
    user = suggestion_user(run)

    def ranges(seg_id: str) -> list[tuple[int, int]]:
        seg = segments[seg_id]
        return list(seg.spans) if spans else [(seg.start, seg.end)]

    out: list[Coding] = []
    dominant = {name: np.argmax(m.doc_topic, axis=1) for name, m in run.models.items()}
    new_code = {(t.model, t.topic): t.new_code.id for t in decisions.new_codes() if t.new_code} if decisions else {}
    for i, seg_id in enumerate(run.segment_ids):
        doc = segments[seg_id].document
        for name, best in dominant.items():
            out.extend(Coding(doc, s, e, topic_key(name, int(best[i])), user) for s, e in ranges(seg_id))
            made = new_code.get((name, int(best[i])))
            if made is not None:
                out.extend(Coding(doc, s, e, made, user) for s, e in ranges(seg_id))
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


def export_run(run_dir: Path, fmt: str, *, out: Path | None = None, force: bool = False,
               decisions: Path | None = None) -> Path:
    """Write the export file for `fmt` and return its path (RUN_DIR/export/<run>.<fmt> by default).

    Everything comes from the run folder (:func:`topicbook.report.run_folder.load_run`): the
    corpus is not read again, so a run folder moved without its corpus still exports. Files
    are written only where they belong (the run's export folder, or beside `out`), through
    hidden temporary files that replace the targets when complete: a refused or failed export
    leaves nothing behind. CSV and .xlsx cells that a spreadsheet would run as a formula are
    kept text (:mod:`topicbook.spreadsheet`).
    `decisions`: a decisions.json to apply (see the module docstring), checked against the run
    before anything is written.
    """
    if fmt not in FORMATS:
        raise InputError(f"--format: unknown format '{fmt}'. Use one of {', '.join(FORMATS)}.")
    if not run_dir.is_dir():
        raise InputError(f"{run_dir}: no such run folder. Give the folder `topicbook run` printed.")
    run = load_run(run_dir)
    run_name = run.name
    decided = read_decisions(decisions, run) if decisions is not None else None
    if out is None:  # inside the run folder (its export/ may not lead elsewhere)
        root, what = run_dir, "the run folder"
        stem = run_dir.resolve().name
        target = run_dir / "export" / f"{safe_name(stem if name_problem(stem) is None else run_name, what='the run folder name')}.{fmt}"
    else:
        root, what, target = out.parent, "the folder of --out", out
    targets = [target, target.with_name(f"{target.stem}_codings.csv")] if fmt == "csv" else [target]
    if fmt == "csv" and decided is not None:
        targets.append(target.with_name(f"{target.stem}_decisions.csv"))
    for path in targets:
        contained(root, path, what=what)
        if path.exists() and not force:
            hint = ", or --out to write elsewhere" if path == target else ""
            raise InputError(f"{path}: already exists. Use --force to replace it{hint}.")
    codebook = topic_codebook(run, decided, memos=fmt != "qdpx")
    codings = run_codings(run, spans=fmt == "qdpx", decisions=decided) if fmt != "qdc" else []
    if fmt == "qdpx":
        codings += human_codings(run)
    sources = [(d.id, d.text) for d in run.documents] if fmt == "qdpx" else []
    notes = code_memos(decided) if decided is not None and fmt == "qdpx" else None
    table = decision_rows(run, decided) if decided is not None and fmt in ("csv", "xlsx") else None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with replacing(targets, root=root, what=what) as temporary:
            _write_export(fmt, temporary, codebook, codings, sources, run_name, suggestion_user(run),
                          code_notes=notes, decision_table=table)
    except OSError as exc:
        raise _export_error(exc, target) from None
    log.info("exported %s", target)
    return target


def _write_export(fmt: str, paths: list[Path], codebook: Codebook, codings: list[Coding],
                  sources: list[tuple[str, str]], run_name: str, user: str, *,
                  code_notes: dict[str, list[str]] | None = None, decision_table: list[dict[str, str]] | None = None) -> None:
    """The export's files at `paths` (the codebook or project first; the codings CSV second, the
    decisions CSV third); `user`: the project's user and that of codings naming none (a .qdpx);
    `code_notes`: code id -> memos (a .qdpx's notes); `decision_table`: rows of
    DECISION_COLUMNS (csv, xlsx)."""
    if fmt == "qdc":
        write_qdc(codebook, paths[0])
        return
    if fmt == "qdpx":
        write_qdpx(paths[0], sources=sources, codebook=codebook, codings=codings,
                   user=user, project_name=run_name, code_notes=code_notes)
        return
    records = codebook_records(codebook)
    book = pd.DataFrame([{**r, **{k: "; ".join(r[k]) for k in ("keywords", "exclude", "examples") if k in r}}
                         for r in records], columns=["id", "name", "definition", "keywords", "exclude", "examples", "parent"])
    table = pd.DataFrame([{"document": c.document, "start": c.start, "end": c.end, "code": c.code}
                          for c in codings], columns=["document", "start", "end", "code"])
    choices = pd.DataFrame(decision_table, columns=list(DECISION_COLUMNS)) if decision_table is not None else None
    if fmt == "csv":  # a leading ' keeps a cell such as "=HYPERLINK(...)" text; our readers take it off
        book.map(neutralise_cell).to_csv(paths[0], index=False)
        table.map(neutralise_cell).to_csv(paths[1], index=False)
        if choices is not None:
            choices.map(neutralise_cell).to_csv(paths[2], index=False)
        return
    dropped = [0]

    def xml_text(value: object) -> object:  # an .xlsx is XML: control characters cannot go in
        if not isinstance(value, str):
            return value
        clean, n = strip_xml_illegal(value)
        dropped[0] += n
        return clean

    book, table = book.map(xml_text), table.map(xml_text)
    choices = choices.map(xml_text) if choices is not None else None
    if dropped[0]:
        log.warning("xlsx export: dropped %d control character%s that a workbook cannot hold (from code names, "
                    "definitions or document names).", dropped[0], "" if dropped[0] == 1 else "s")
    with pd.ExcelWriter(paths[0], engine="openpyxl") as writer:
        book.to_excel(writer, sheet_name="codebook", index=False)
        table.to_excel(writer, sheet_name="codings", index=False)
        if choices is not None:
            choices.to_excel(writer, sheet_name="decisions", index=False)
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

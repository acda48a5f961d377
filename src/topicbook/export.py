"""`topicbook export RUN_DIR --format qdc|qdpx|csv|xlsx`: a run's topics back into QDA software.

- qdc: the original codebook plus, per model, a parent code `topicbook <model>` whose children
  are the topics as candidate codes (top terms as keywords; label, top terms and matched code in
  the definition).
- qdpx: the same codebook, the source texts, and codings: each segment's dominant topic per
  model and the codes the codebook-similarity score predicts (autocode.csv), all created by the
  user `topicbook:<run name>`, so that NVivo, ATLAS.ti, MAXQDA and QualCoder users can review
  them.
- csv / xlsx: the codebook with topics in topicbook's CSV codebook format (readable by
  `codebook.path`), and the codings as `document,start,end,code` (readable by `codings.path`);
  xlsx puts them on two sheets.

Nothing is overwritten unless `force` is set.
"""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

from topicbook.codebook import Code, Codebook, load_codebook
from topicbook.errors import InputError
from topicbook.qdc import Coding

log = logging.getLogger(__name__)

FORMATS = ("qdc", "qdpx", "csv", "xlsx")
AUTOCODE_METHOD = "similarity"


def _read_json(path: Path) -> dict:
    if not path.is_file():
        raise InputError(f"{path.parent.name}: no {path.name}; is this a topicbook run folder? Run `topicbook run` first.")
    return json.loads(path.read_text(encoding="utf-8"))


def _read_csv(path: Path) -> list[dict]:
    if not path.is_file():
        raise InputError(f"{path.parent.name}: no {path.name}; is this a topicbook run folder? Run `topicbook run` first.")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def topic_codebook(run_dir: Path) -> Codebook:
    """The run's codebook (if any) plus every model's topics as candidate codes."""
    book = run_dir / "codebook.yaml"
    base = load_codebook(book) if book.is_file() else None
    codes = list(base.codes) if base else []
    used = {c.id for c in codes}
    models: dict[str, list[dict]] = {}
    for row in _read_csv(run_dir / "topics.csv"):
        models.setdefault(row["model"], []).append(row)
    for model, rows in models.items():
        parent = f"topicbook_{model}"
        while parent in used:
            parent += "_"
        used.add(parent)
        codes.append(Code(id=parent, name=f"topicbook {model}",
                          definition=f"Topics of the model {model}, as candidate codes."))
        for row in rows:
            matched = row.get("matched_code") or ""
            definition = f"Topic {row['topic']} of {model}: {row['label']}. Top terms: {row['top_terms']}."
            if matched:
                definition += f" Matched code: {matched}."
            else:
                definition += " No matching code (emergent or weak)."
            codes.append(Code(id=f"{model}:{row['topic']}", name=f"{model} {row['topic']}: {row['label']}",
                              definition=definition, keywords=tuple(row["top_terms"].split()[:10]),
                              parent=parent))
    name = base.name if base else run_dir.name
    return Codebook(name, tuple(codes), f"{run_dir.name}/topics.csv")


def run_codings(run_dir: Path, segments: dict[str, list[tuple[int, int]]] | None = None) -> list[Coding]:
    """Codings of a run: each segment's dominant topic per model, and the codes predicted by the
    codebook-similarity score. `segments`: id -> spans (default: one span start..end from
    segments.csv)."""
    seg_rows = {r["segment_id"]: r for r in _read_csv(run_dir / "segments.csv")}
    manifest = _read_json(run_dir / "manifest.json")
    user = f"topicbook:{manifest.get('run_name', run_dir.name)}"

    def spans(seg_id: str) -> list[tuple[int, int]]:
        if segments is not None and seg_id in segments:
            return segments[seg_id]
        row = seg_rows[seg_id]
        return [(int(row["start"]), int(row["end"]))]

    out: list[Coding] = []
    for row in _read_csv(run_dir / "doc_topics.csv"):
        seg = row.pop("segment_id")
        best: dict[str, tuple[float, str]] = {}
        for col, value in row.items():
            model, topic = col.rsplit(":", 1)
            if model not in best or float(value) > best[model][0]:
                best[model] = (float(value), topic)
        doc = seg_rows[seg]["document"]
        for model, (_, topic) in best.items():
            out.extend(Coding(doc, s, e, f"{model}:{topic}", user) for s, e in spans(seg))
    auto = run_dir / "autocode.csv"
    if auto.is_file():
        for row in _read_csv(auto):
            if row["method"] == AUTOCODE_METHOD and row["predicted"] == "1" and row["segment_id"] in seg_rows:
                doc = seg_rows[row["segment_id"]]["document"]
                out.extend(Coding(doc, s, e, row["code"], user) for s, e in spans(row["segment_id"]))
    return out


def _sources(run_dir: Path) -> tuple[list[tuple[str, str]], dict[str, list[tuple[int, int]]]]:
    """The run's documents (id, text) and segment spans, re-read with the run's own config."""
    from topicbook.config import config_from_dict, parse_yaml
    from topicbook.pipeline import prepare

    inputs = _read_json(run_dir / "run_inputs.json")
    resolved = run_dir / "config.resolved.yaml"
    config_path = run_dir / inputs["config"] if inputs.get("config") else resolved  # relative to the run folder
    recorded = (_read_json(run_dir / "manifest.json").get("paths") or {}).get("config")
    if not config_path.is_file() and recorded and Path(recorded).is_file():  # the run folder was moved (--record-paths)
        config_path = Path(recorded)
    data = parse_yaml(resolved.read_text(encoding="utf-8"), resolved)
    listed = (data.get("preprocess") or {}).get("deidentify_names")
    if listed and config_path != resolved and config_path.is_file():  # the run folder holds placeholders only
        original = parse_yaml(config_path.read_text(encoding="utf-8"), config_path) or {}
        data["preprocess"]["deidentify_names"] = (original.get("preprocess") or {}).get("deidentify_names", listed)
    cfg = config_from_dict(data, base_dir=config_path.parent, source=config_path)
    prepared = prepare(cfg)
    seg_rows = {r["segment_id"]: r for r in _read_csv(run_dir / "segments.csv")}
    spans = {s.id: list(s.spans) for s in prepared.segmentation.segments}
    for seg_id, row in seg_rows.items():
        if seg_id not in spans or spans[seg_id][0][0] != int(row["start"]):
            raise InputError(f"{run_dir.name}: the corpus has changed since the run (segment {seg_id} differs). Run `topicbook run` again, then export.")
    return [(d.id, d.text) for d in prepared.corpus.documents], spans


def export_run(run_dir: Path, fmt: str, *, out: Path | None = None, force: bool = False) -> Path:
    """Write the export file for `fmt` and return its path (RUN_DIR/export/<run>.<fmt> by default)."""
    if fmt not in FORMATS:
        raise InputError(f"--format: unknown format '{fmt}'. Use one of {', '.join(FORMATS)}.")
    if not run_dir.is_dir():
        raise InputError(f"{run_dir}: no such run folder. Give the folder `topicbook run` printed.")
    manifest = _read_json(run_dir / "manifest.json")
    run_name = manifest.get("run_name", run_dir.name)
    target = out or run_dir / "export" / f"{run_dir.name}.{fmt}"
    if target.exists() and not force:
        raise InputError(f"{target}: already exists. Use --force to replace it, or --out to write elsewhere.")
    target.parent.mkdir(parents=True, exist_ok=True)
    codebook = topic_codebook(run_dir)
    tmp = target.with_name(f".{target.name}.partial")
    if fmt == "qdc":
        from topicbook.qdc import write_qdc

        write_qdc(codebook, tmp)
    elif fmt == "qdpx":
        from topicbook.qdc import write_qdpx

        sources, spans = _sources(run_dir)
        write_qdpx(tmp, sources=sources, codebook=codebook, codings=run_codings(run_dir, spans),
                   user=f"topicbook:{run_name}", project_name=run_name)
    else:
        import pandas as pd

        from topicbook.codebook import codebook_records

        records = codebook_records(codebook)
        book = pd.DataFrame([{**r, **{k: "; ".join(r[k]) for k in ("keywords", "exclude", "examples") if k in r}}
                             for r in records], columns=["id", "name", "definition", "keywords", "exclude", "examples", "parent"])
        codings = pd.DataFrame([{"document": c.document, "start": c.start, "end": c.end, "code": c.code}
                                for c in run_codings(run_dir)], columns=["document", "start", "end", "code"])
        if fmt == "csv":
            book.to_csv(tmp, index=False)
            codings_path = target.with_name(f"{target.stem}_codings.csv")
            if codings_path.exists() and not force:
                raise InputError(f"{codings_path}: already exists. Use --force to replace it.")
            codings.to_csv(codings_path, index=False)
        else:
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                book.to_excel(writer, sheet_name="codebook", index=False)
                codings.to_excel(writer, sheet_name="codings", index=False)
    tmp.replace(target)
    log.info("exported %s", target)
    return target


def read_export_codebook(path: Path) -> Codebook:
    """Read back an exported codebook (.qdc, .csv, or the `codebook` sheet of an .xlsx)."""
    if path.suffix.lower() != ".xlsx":
        return load_codebook(path)
    import pandas as pd

    from topicbook.codebook import codes_from_records

    frame = pd.read_excel(path, sheet_name="codebook", dtype=str).fillna("")
    records = [{k: v for k, v in rec.items() if v != ""} for rec in frame.to_dict("records")]
    codes = codes_from_records(records, path.name, line_of=list(range(2, len(records) + 2)))
    return Codebook(path.stem, codes, path.name)

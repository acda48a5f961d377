"""Write a finished run into its folder: tables, JSON, explorer and manifest."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

from topicbook import __version__
from topicbook.align import alignment_rows
from topicbook.config import config_to_dict, dump_config
from topicbook.pipeline import RunResult
from topicbook.report.manifest import (
    absolute_paths,
    command_line,
    input_hashes,
    package_versions,
    portable_command,
)
from topicbook.report.run_folder import RunFolder, _os_error, utc_stamp

log = logging.getLogger(__name__)

SEGMENT_COLUMNS = ("segment_id", "document", "speaker", "role", "start", "end", "text", "question")
TOPIC_COLUMNS = ("model", "topic", "label", "prevalence", "top_terms", "relevant_terms",
                 "exclusive_terms", "coherence_c_v", "coherence_c_npmi", "coherence_u_mass",
                 "stability", "stability_reappear", "seeded_code", "matched_code", "quotes")
ALIGNMENT_COLUMNS = ("model", "status", "topic", "topic_label", "code", "similarity",
                     "term_similarity", "doc_similarity")


def _r(x: float, digits: int = 6) -> float:
    return round(float(x), digits)


def segment_rows(result: RunResult) -> Iterator[dict]:
    """One row per segment, generated as the CSV is written (no list of a million dicts)."""
    return (
        {"segment_id": s.id, "document": s.document, "speaker": s.speaker or "", "role": s.role,
         "start": s.start, "end": s.end, "text": s.text, "question": s.question or ""}
        for s in result.prepared.segmentation.segments
    )


def topic_rows(result: RunResult) -> list[dict]:
    rows = []
    for model in result.models:
        ev = result.evaluation[model.name]["coherence"]
        st = result.evaluation[model.name].get("stability") or {}
        al = result.alignments.get(model.name)
        matched = {k: c for c, k in al.matches.items()} if al else {}
        for s in result.summaries[model.name]:
            rows.append({
                "model": model.name, "topic": s.display_id, "label": s.label,
                "prevalence": _r(s.prevalence), "top_terms": " ".join(s.top_terms),
                "relevant_terms": " ".join(s.relevant_terms), "exclusive_terms": " ".join(s.exclusive_terms),
                **{f"coherence_{m}": _r(v["per_topic"][s.id], 4) for m, v in ev.items()},
                "stability": _r(st["per_topic"][s.id], 4) if st.get("per_topic") else "",
                "stability_reappear": _r(st["reappear"][s.id], 4) if st.get("reappear") else "",
                "seeded_code": s.seeded_code or "", "matched_code": matched.get(s.id, ""),
                "quotes": " ".join(s.quotes),
            })
    return rows


def doc_topic_table(result: RunResult, block: int = 10_000) -> tuple[Iterator[str], list[str]]:
    """CSV lines of doc_topics.csv (header, then segment_id and one column per model and topic
    with 6 decimals), generated `block` segments at a time, and the column names. Same bytes as
    csv.DictWriter (minimal quoting, "\n" line ends), about 5x faster on 10^6 segments."""
    import numpy as np

    ids = result.prepared.dtm.segment_ids
    columns = ["segment_id"] + [f"{m.name}:T{k + 1:02d}" for m in result.models for k in range(m.n_topics)]
    fmt = ",".join(["%.6f"] * (len(columns) - 1))

    def lines() -> Iterator[str]:
        yield ",".join(_csv_field(c) for c in columns) + "\n"
        for start in range(0, len(ids), block):
            values = np.hstack([m.doc_topic[start:start + block] for m in result.models]).tolist()
            yield "".join(f"{_csv_field(sid)},{fmt % tuple(row)}\n" for sid, row in zip(ids[start:start + block], values, strict=True))

    return lines(), columns


def _csv_field(text: str) -> str:
    """A field as csv.writer's minimal quoting writes it."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def alignment_json(result: RunResult) -> dict:
    out = {}
    for name, al in result.alignments.items():
        labels = [s.label for s in result.summaries[name]]
        out[name] = {
            "codes": list(al.code_ids),
            "topics": [f"T{k + 1:02d}" for k in range(len(labels))],
            "topic_labels": labels,
            "threshold": al.threshold,
            "similarity": [[_r(v, 4) for v in row] for row in al.similarity],
            "term_similarity": [[_r(v, 4) for v in row] for row in al.term_similarity],
            "doc_similarity": [[_r(v, 4) for v in row] for row in al.doc_similarity],
            "matches": {c: f"T{k + 1:02d}" for c, k in al.matches.items()},
            "splits": {c: [f"T{k + 1:02d}" for k in ks] for c, ks in al.splits.items()},
            "merges": {f"T{k + 1:02d}": cs for k, cs in al.merges.items()},
            "not_found": al.not_found,
            "no_seed_terms": al.no_seed_terms,
            "emergent": [f"T{k + 1:02d}" for k in al.emergent],
            "codes_evidence": {
                c: {"status": al.code_status(c), "keyword_hits": al.keyword_hits.get(c, 0),
                    "quotes": al.code_quotes.get(c, []),
                    "matched_topic": f"T{al.matches[c] + 1:02d}" if c in al.matches else None}
                for c in al.code_ids
            },
            "emergent_topics": [
                {"topic": f"T{k + 1:02d}", "label": labels[k],
                 "top_terms": list(result.summaries[name][k].top_terms),
                 "quotes": list(result.summaries[name][k].quotes)}
                for k in al.emergent
            ],
        }
    return out


def evaluation_json(result: RunResult) -> dict:
    out = {}
    for name, ev in result.evaluation.items():
        st = ev.get("stability")
        out[name] = {**ev, "coherence": {m: {"mean": _r(v["mean"], 4), "per_topic": [_r(x, 4) for x in v["per_topic"]]}
                                         for m, v in ev["coherence"].items()},
                     "diversity": _r(ev["diversity"], 4),
                     "stability": None if not st else {
                         "seeds": st["runs"], "mean": _r(st["mean"], 4),
                         "per_topic": [_r(x, 4) for x in st["per_topic"]],
                         "reappear": [_r(x, 4) for x in st["reappear"]]}}
    return out


def write_run(result: RunResult, *, out_dir: Path, name: str, command: list[str] | None = None,
              record_paths: bool = False) -> Path:
    """Write every output into a partial folder and commit it; returns the final folder.

    No file records an absolute path of this machine unless `record_paths` (the manifest then
    has the command as typed and a `paths` section).
    """
    prepared = result.prepared
    cfg = prepared.cfg
    started = time.perf_counter()
    folder = RunFolder(out_dir, name, utc_stamp())
    try:
        base = cfg.source.parent if cfg.source else Path.cwd()
        folder.write_text("config.resolved.yaml", dump_config(cfg, relative_to=base))
        folder.write_csv("segments.csv", segment_rows(result), SEGMENT_COLUMNS)
        folder.write_csv("topics.csv", topic_rows(result), TOPIC_COLUMNS)
        lines, _ = doc_topic_table(result)
        folder.write_lines("doc_topics.csv", lines)
        al_rows = [r for n, al in result.alignments.items()
                   for r in alignment_rows(al, [s.label for s in result.summaries[n]])]
        folder.write_csv("alignment.csv", al_rows, ALIGNMENT_COLUMNS)
        folder.write_json("alignment.json", alignment_json(result))
        folder.write_json("evaluation.json", evaluation_json(result))
        folder.write_json("preprocess_report.json", prepared.preprocess_report())
        if prepared.keywords:
            folder.write_json("keyword_report.json", prepared.keywords)
        if result.agreement is not None:
            from topicbook.agreement import write_agreement_files

            write_agreement_files(folder, result)
        if cfg.report.explorer:
            from topicbook.report import explorer
            from topicbook.report.figures import write_figures

            with prepared.timer.stage("explorer"):
                data = explorer.explorer_data(result, run_name=name)
                folder.write_text(explorer.DATA_FILE, json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False))
                folder.write_text("explorer.html", explorer.render_explorer_html(data))
                for model in result.models:
                    folder.write_text(f"ldavis_{model.name}.html", explorer.render_ldavis_html(data, model.name))
            with prepared.timer.stage("figures"):
                write_figures(data, folder.path / "figures")
        prepared.timer.seconds["write"] = round(time.perf_counter() - started, 4)
        manifest = {
            "topicbook": __version__,
            "run_name": name,
            "created_utc": folder.stamp,
            "command": (command or command_line()) if record_paths else portable_command(command or command_line()),
            "seed": cfg.seed,
            "config": config_to_dict(cfg, relative_to=base),
            "versions": package_versions(),
            "inputs_sha256": input_hashes(prepared.input_files(), base),
            "timings_seconds": prepared.timer.seconds,
            "models": {m.name: {"type": m.type, "n_topics": m.n_topics,
                                "seeded_topics": {f"T{k + 1:02d}": c for k, c in m.seeded_codes.items()},
                                "params": {k: v for k, v in m.params.items() if k != "seed_terms"}}
                       for m in result.models},
            "outputs": sorted(p.relative_to(folder.path).as_posix() for p in folder.path.rglob("*") if p.is_file()) + ["manifest.json"],
        }
        if record_paths:
            manifest["paths"] = absolute_paths(cfg, out_dir)
        folder.write_json("manifest.json", manifest)
        return folder.commit()
    except OSError as exc:  # a full disk or lost permission while a library (matplotlib) writes
        folder.discard()
        raise _os_error(exc, out_dir) from None
    except BaseException:
        folder.discard()
        raise

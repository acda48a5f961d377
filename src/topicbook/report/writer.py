"""Write a finished run into its folder: tables, JSON, arrays, explorer and manifest.

What each file holds is in README ("What the run folder holds"); the reader of every file is
:class:`topicbook.report.run_folder.RunFolder`.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from topicbook import __version__
from topicbook.agreement import (
    AUTOCODE_COLUMNS,
    SUGGESTION_COLUMNS,
    RunAgreement,
    autocode_rows,
    score_columns,
    suggestion_rows,
)
from topicbook.codebook import codebook_to_yaml
from topicbook.config import config_to_dict, dump_config
from topicbook.files import sha256_file
from topicbook.heap import frozen_heap
from topicbook.ids import topic_id, topic_key
from topicbook.names import safe_unique_names
from topicbook.report import explorer, explorer_data, figures
from topicbook.report.manifest import (
    Manifest,
    ModelInfo,
    absolute_paths,
    command_line,
    input_hashes,
    package_versions,
    portable_command,
)
from topicbook.report.methods import MethodsFacts, methods_markdown
from topicbook.report.run_folder import (
    AGREEMENT,
    ALIGNMENT,
    CODEBOOK,
    CODING_COLUMNS,
    CODINGS,
    CODINGS_REPORT,
    CONFIG_FILE,
    DOCUMENTS,
    EVALUATION,
    FORMAT,
    KEYWORD_REPORT,
    MANIFEST,
    METHODS,
    MODELS,
    PREPROCESS_REPORT,
    RUN_INPUTS,
    SCORE_TABLE,
    SCORES,
    SEGMENTS,
    SUGGESTIONS,
    TOPICS_JSON,
    VERDICTS,
    VERDICTS_CSV,
    RunFolderWriter,
    _os_error,
    format_spans,
    utc_stamp,
)
from topicbook.results import RunResult
from topicbook.verdicts.table import STRUCTURE_COLUMNS
from topicbook.workers import WorkerPool

log = logging.getLogger(__name__)

SEGMENT_COLUMNS = ("segment_id", "document", "speaker", "role", "start", "end", "text", "question", "spans",
                   "answer_starts")
TOPIC_COLUMNS = ("model", "topic", "label", "prevalence", "top_terms", "relevant_terms",
                 "exclusive_terms", "coherence_c_v", "coherence_c_npmi", "coherence_u_mass",
                 "stability", "stability_reappear", "seeded_code", "status", "codes", "quotes")


def _r(x: float, digits: int = 6) -> float:
    return round(float(x), digits)


def segment_rows(result: RunResult) -> Iterator[dict[str, Any]]:
    """One row per segment, generated as the CSV is written (no list of a million dicts)."""
    return (
        {"segment_id": s.id, "document": s.document, "speaker": s.speaker or "", "role": s.role,
         "start": s.start, "end": s.end, "text": s.text, "question": s.question or "",
         "spans": format_spans(s.spans), "answer_starts": " ".join(map(str, s.answer_starts))}
        for s in result.prepared.segmentation.segments
    )


def document_lines(result: RunResult) -> Iterator[str]:
    """documents.jsonl: one (de-identified) document per line, for exports without the corpus."""
    for d in result.prepared.corpus.documents:
        rec: dict[str, Any] = {"id": d.id, "text": d.text, "source": d.source, "metadata": d.metadata}
        if d.codes:
            rec["codes"] = list(d.codes)
        if d.is_table_row:
            rec["is_table_row"] = True
        yield json.dumps(rec, ensure_ascii=False) + "\n"


def topic_rows(result: RunResult) -> list[dict[str, Any]]:
    rows = []
    for model in result.models:
        ev = result.evaluation[model.name]
        st = ev.stability
        verdicts = result.verdicts.model(model.name).topics if result.verdicts else ()
        for s in result.summaries[model.name]:
            rows.append({
                "model": model.name, "topic": s.display_id, "label": s.label,
                "prevalence": _r(s.prevalence), "top_terms": " ".join(s.top_terms),
                "relevant_terms": " ".join(s.relevant_terms), "exclusive_terms": " ".join(s.exclusive_terms),
                **{f"coherence_{m}": _r(v.per_topic[s.id], 4) for m, v in ev.coherence.items()},
                "stability": _r(st.per_topic[s.id], 4) if st and st.per_topic else "",
                "stability_reappear": _r(st.reappear[s.id], 4) if st and st.reappear else "",
                "seeded_code": s.seeded_code or "",
                "status": verdicts[s.id].status if verdicts else "",
                "codes": " ".join(verdicts[s.id].codes) if verdicts else "",
                "quotes": " ".join(s.quotes),
            })
    return rows


def doc_topic_table(result: RunResult, block: int = 10_000) -> tuple[Iterator[str], list[str]]:
    """CSV lines of doc_topics.csv (header, then segment_id and one column per model and topic
    with 6 decimals), generated `block` segments at a time, and the column names. Same bytes as
    csv.DictWriter (minimal quoting, "\n" line ends), about 5x faster on 10^6 segments."""
    ids = result.prepared.dtm.segment_ids
    columns = ["segment_id"] + [topic_key(m.name, k) for m in result.models for k in range(m.n_topics)]
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


def model_arrays(result: RunResult) -> dict[str, np.ndarray]:
    """models.npz: vocab, segment_ids (doc_topic rows), model_names, and per model i its
    doc_topic_<i> (n_segments x n_topics) and topic_term_<i> (n_topics x n_terms)."""
    dtm = result.prepared.dtm
    arrays = {"vocab": np.array(dtm.vocab, dtype=str), "segment_ids": np.array(dtm.segment_ids, dtype=str),
              "model_names": np.array([m.name for m in result.models], dtype=str)}
    for i, m in enumerate(result.models):
        arrays[f"doc_topic_{i}"] = np.asarray(m.doc_topic, dtype=float)
        arrays[f"topic_term_{i}"] = np.asarray(m.topic_term, dtype=float)
    return arrays


def score_arrays(result: RunResult) -> dict[str, np.ndarray]:
    """scores.npz: code_ids, segment_ids, methods, per method i its score_<i> (n_segments x
    n_codes) and threshold_<i> (n_codes,), and with codings the human labels (bool), `coded`
    (the segments whose codes are known) and, with `learned`, `groups` (its CV unit per row)."""
    run = result.agreement
    assert run is not None  # only called for runs with a codebook
    arrays = {"code_ids": np.array(run.code_ids, dtype=str), "segment_ids": np.array(run.segment_ids, dtype=str),
              "methods": np.array(list(run.scores), dtype=str)}
    for i, name in enumerate(run.scores):
        arrays[f"score_{i}"] = np.asarray(run.scores[name], dtype=float)
        arrays[f"threshold_{i}"] = np.asarray(run.thresholds[name], dtype=float)
    if run.codings is not None:
        arrays["labels"] = np.asarray(run.codings.labels, dtype=bool)
    if run.coded is not None:
        arrays["coded"] = np.asarray(run.coded, dtype=bool)
    if run.learned is not None:
        arrays["groups"] = np.array(run.learned.groups, dtype=str)
    return arrays


def score_table_lines(run: RunAgreement, block: int = 10_000) -> Iterator[str]:
    """CSV lines of autocode_scores.csv (:func:`topicbook.agreement.score_columns`; 6 decimals),
    `block` segments at a time; the values of scores.npz (`learned`: out-of-fold on coded rows)."""
    columns = score_columns(run)
    yield ",".join(_csv_field(c) for c in columns) + "\n"
    methods = list(run.scores.values())
    fmt = ",".join(["%.6f"] * (len(columns) - 1))
    ids = run.segment_ids
    for start in range(0, len(ids), block):
        values = np.hstack([m[start:start + block] for m in methods]).tolist()
        yield "".join(f"{_csv_field(sid)},{fmt % tuple(row)}\n" for sid, row in zip(ids[start:start + block], values, strict=True))


def alignment_json(result: RunResult) -> dict[str, Any]:
    """alignment.json: per model its Alignment (the seed-term similarity behind the topic
    scores), its structure verdicts (`structure`: a status per code, one per topic) and its
    emergent and procedural topics with terms and quotes."""
    out = {}
    for name, al in result.alignments.items():
        summaries = result.summaries[name]
        entry = al.to_json()
        if result.verdicts is not None:
            st = result.verdicts.model(name)
            entry["structure"] = st.to_json()
            for status in ("emergent", "procedural"):
                entry[f"{status}_topics"] = [
                    {"topic": topic_id(t.topic), "label": summaries[t.topic].label,
                     "top_terms": list(summaries[t.topic].top_terms), "quotes": list(summaries[t.topic].quotes)}
                    for t in st.topics if t.status == status]
        out[name] = entry
    return out


def evaluation_json(result: RunResult) -> dict[str, Any]:
    """evaluation.json: per model its ModelEvaluation."""
    return {name: ev.to_json() for name, ev in result.evaluation.items()}


def write_agreement_files(folder: RunFolderWriter, result: RunResult) -> None:
    """agreement.json, codings_report.json and codings.csv (with human codings), autocode.csv and scores.npz,
    codebook.yaml (the codebook as read) and run_inputs.json (input paths relative to the run
    folder)."""
    run = result.agreement
    prepared = result.prepared
    assert run is not None and prepared.codebook is not None  # called for runs with a codebook
    cfg = prepared.cfg
    if run.figures:
        folder.write_json(AGREEMENT, run.figures_json())
        folder.write_json(CODINGS_REPORT, run.report())
    if run.codings is not None:
        folder.write_csv(CODINGS, ({"document": c.document, "start": c.start, "end": c.end, "code": c.code, "user": c.user}
                                   for c in run.codings.spans), CODING_COLUMNS)
    docs = {s.id: s.document for s in prepared.segmentation.segments}
    folder.write_csv("autocode.csv", autocode_rows(run, docs), AUTOCODE_COLUMNS)
    folder.write_lines(SCORE_TABLE, score_table_lines(run))
    folder.write_npz(SCORES, score_arrays(result))
    if run.learned is not None:
        segments = {s.id: s for s in prepared.segmentation.segments}
        folder.write_csv(SUGGESTIONS, suggestion_rows(run.suggestions, segments), SUGGESTION_COLUMNS)
    folder.write_text(CODEBOOK, codebook_to_yaml(prepared.codebook))
    run_dir = Path(folder.out_dir).resolve() / "run"  # the final folder's depth (its name comes at commit)

    def where(path: Path | None) -> str | None:
        if path is None:
            return None
        try:
            return Path(os.path.relpath(path.resolve(), run_dir)).as_posix()
        except ValueError:  # another drive: nothing portable to record
            return None

    folder.write_json(RUN_INPUTS, {
        "config": where(cfg.source), "corpus": where(cfg.corpus.path), "codebook": where(cfg.codebook.path)})


def model_file_names(result: RunResult) -> dict[str, str]:
    """Each model's name in file names (ldavis_<file name>.html, figures): its safe form,
    with `-2`, `-3`, ... when two models' names become one (:func:`topicbook.names.safe_unique_names`)."""
    names = [m.name for m in result.models]
    return dict(zip(names, safe_unique_names(names, what="models[{i}].name"), strict=True))


class EarlyReport:
    """The report's work that needs neither the stability re-fits nor the verdicts, started
    while the re-fits run in forked workers (:func:`topicbook.pipeline.analyse` calls it, with the
    result so far): the explorer's model parts (:func:`explorer_data.explorer_parts`), computed
    in the run's process, and the figures that show neither (:func:`explorer_data.figures_data`:
    every figure when the run has no verdicts to wait for, else the prevalence figures),
    submitted to the workers, where the first one free draws them. :func:`write_run` takes both
    over; what it computes from the final result is the same."""

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self.parts: dict[str, explorer_data.ModelParts] | None = None
        self.figures: figures.StartedFigures | None = None
        self.seconds = 0.0  # spent here, in the run's process (added to the explorer stage)

    def __call__(self, so_far: RunResult, verdicts_to_come: bool) -> None:
        started = time.perf_counter()
        cfg = so_far.prepared.cfg
        if cfg.report.explorer:
            self.parts = explorer_data.explorer_parts(so_far)
            if cfg.report.figure_formats:
                self.figures = figures.start_figures(explorer_data.figures_data(so_far, self.parts), model_file_names(so_far),
                                                     self.pool, formats=cfg.report.figure_formats,
                                                     kinds=("prevalence",) if verdicts_to_come else None)
        self.seconds = time.perf_counter() - started


@frozen_heap()  # the result: millions of objects at 10^4 codes, none of them garbage
def write_run(result: RunResult, *, out_dir: Path, name: str, command: list[str] | None = None,
              record_paths: bool = False, pool: WorkerPool | None = None, early: EarlyReport | None = None) -> Path:
    """Write every output into a partial folder and commit it; returns the final folder.

    No file records an absolute path of this machine unless `record_paths` (the manifest then
    has the command as typed and a `paths` section). `pool`: the run's forked workers, which
    draw the figures while this process writes the tables and the explorer (the explorer data
    is computed first, for them); the files are the same and are written in the same order.
    `early`: the work started while the stability re-fits ran (:class:`EarlyReport`, for this
    result), taken over.
    """
    prepared = result.prepared
    cfg = prepared.cfg
    started = time.perf_counter()
    file_names = model_file_names(result)
    folder = RunFolderWriter(out_dir, name, utc_stamp())
    try:
        data = drawing = None
        if cfg.report.explorer:
            with prepared.timer.stage("explorer"):
                data = explorer_data.explorer_data(result, run_name=name, parts=early.parts if early else None)
            if early is not None:  # its share of the explorer's work, done while the re-fits ran
                prepared.timer.seconds["explorer"] = round(prepared.timer.seconds["explorer"] + early.seconds, 4)
            if cfg.report.figure_formats:  # drawn in the workers (with a pool) while this process writes
                drawing = figures.start_figures(data, file_names, pool, formats=cfg.report.figure_formats,
                                                early=early.figures if early else None)
        base = cfg.source.parent if cfg.source else Path.cwd()
        folder.write_text(CONFIG_FILE, dump_config(cfg, relative_to=base))
        folder.write_lines(DOCUMENTS, document_lines(result))
        folder.write_csv(SEGMENTS, segment_rows(result), SEGMENT_COLUMNS)
        folder.write_csv("topics.csv", topic_rows(result), TOPIC_COLUMNS)
        folder.write_json(TOPICS_JSON, {name: [s.to_json() for s in ss] for name, ss in result.summaries.items()})
        lines, _ = doc_topic_table(result)
        folder.write_lines("doc_topics.csv", lines)
        folder.write_npz(MODELS, model_arrays(result))
        if result.verdicts is not None:
            labels = {n: [s.label for s in ss] for n, ss in result.summaries.items()}
            folder.write_csv("alignment.csv", result.verdicts.structure_rows(labels), STRUCTURE_COLUMNS)
            folder.write_csv(VERDICTS_CSV, result.verdicts.rows(), result.verdicts.columns())
            folder.write_json(VERDICTS, result.verdicts.to_json())
        folder.write_json(ALIGNMENT, alignment_json(result))
        folder.write_json(EVALUATION, evaluation_json(result))
        folder.write_json(PREPROCESS_REPORT, prepared.preprocess_report().to_json())
        if prepared.keywords:
            folder.write_json(KEYWORD_REPORT, [k.to_json() for k in prepared.keywords])
        if result.agreement is not None:
            write_agreement_files(folder, result)
        if data is not None:
            with prepared.timer.stage("explorer"):
                folder.write_text(explorer.DATA_FILE, json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False))
                folder.write_text("explorer.html", explorer.render_explorer_html(data))
                for model in result.models:
                    folder.write_text(f"ldavis_{file_names[model.name]}.html", explorer.render_ldavis_html(data, model.name))
            if drawing is not None:
                with prepared.timer.stage("figures"):
                    figures.write_figures(data, folder.write_bytes, file_names, formats=cfg.report.figure_formats,
                                          started=drawing)
        prepared.timer.seconds["write"] = round(time.perf_counter() - started, 4)
        full_command = command or command_line()
        manifest = Manifest(
            format=FORMAT, topicbook=__version__, run_name=name, created_utc=folder.stamp,
            command=tuple(full_command if record_paths else portable_command(full_command)),
            seed=cfg.seed, config=config_to_dict(cfg, relative_to=base), versions=package_versions(),
            inputs_sha256=input_hashes(prepared.input_files(), base), timings_seconds=prepared.timer.seconds,
            models={m.name: ModelInfo(m.type, m.n_topics, {topic_id(k): c for k, c in m.seeded_codes.items()},
                                      {k: v for k, v in m.params.items() if k != "seed_terms"}, file_names[m.name])
                    for m in result.models},
            outputs=tuple(sorted([*(p.relative_to(folder.path).as_posix() for p in folder.path.rglob("*") if p.is_file()),
                                  MANIFEST, METHODS])),
            paths=absolute_paths(cfg, out_dir) if record_paths else None,
        )
        written = folder.write_json(MANIFEST, manifest.to_json())
        # methods.md comes last: it quotes the SHA-256 of manifest.json as written
        facts = MethodsFacts(name, cfg, prepared.preprocess_report(), cfg.models, result.evaluation,
                             {m.name: len(m.seeded_codes) for m in result.models}, result.alignments,
                             result.verdicts, result.agreement, None, manifest, sha256_file(written))
        folder.write_text(METHODS, methods_markdown(facts))
        return folder.commit()
    except OSError as exc:  # a full disk or lost permission while a library (matplotlib) writes
        folder.discard()
        raise _os_error(exc, out_dir) from None
    except BaseException:
        folder.discard()
        raise

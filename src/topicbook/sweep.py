"""`topicbook sweep`: fit every model type over a K x seed grid and recommend K per model.

The grid runs on the stability engine (:mod:`topicbook.stability`); the sweep folder is written
by :mod:`topicbook.report.sweep_folder`.

With a codebook, every fit is also compared with it (:class:`CodebookCriteria`, computed where
the fit ran): `codes_found`, the codes with a topic of their own or split over topics (today's
alignment statuses, :func:`codes_found`, the one function to swap for better statuses), and
with human codings `match_precision`, the mean over matched codes of the share of coded
segments whose main topic is the code's topic that carry the code. Both join the rule.
A recommended K at either end of the range tried is flagged (`edge`), with a wider range to try.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from topicbook.align import Alignment, align
from topicbook.codebook import Codebook, SeedTerms
from topicbook.config import ModelConfig
from topicbook.errors import TopicbookError
from topicbook.evaluate import stability
from topicbook.interrupts import watch_interrupts
from topicbook.models import FittedModel
from topicbook.preprocess import DocumentTermMatrix
from topicbook.report.sweep_folder import write_sweep
from topicbook.results import Prepared
from topicbook.stability import SUBSAMPLE, GridCell, run_grid
from topicbook.threads import resolve_threads, thread_limit

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- sweep


def parse_k_range(text: str) -> list[int]:
    """`4:20:2` -> [4, 6, ..., 20] (end inclusive); `5,8,10` -> [5, 8, 10]."""
    try:
        if ":" in text:
            parts = [int(p) for p in text.split(":")]
            start, stop = parts[0], parts[1]
            step = parts[2] if len(parts) > 2 else 1
            if step < 1 or stop < start or len(parts) > 3:
                raise ValueError
            ks = list(range(start, stop + 1, step))
        else:
            ks = [int(p) for p in text.split(",")]
    except ValueError:
        raise TopicbookError(f"--k: cannot read '{text}'. Use START:STOP:STEP such as 4:20:2, or a list such as 5,8,10.") from None
    if not ks or min(ks) < 2:
        raise TopicbookError(f"--k: every K must be >= 2; got '{text}'.")
    return ks


CODEBOOK_CRITERIA = ("codes_found", "match_precision")
RULE = ("per model, the K with the best mean of coherence (first measure), diversity and stability{codebook}, "
        "each min-max scaled across K; ties to the smaller K")
CODEBOOK_RULE = (", and with a codebook codes_found (codes with a topic of their own or split over topics) and, with "
                 "human codings, match_precision (mean over matched codes of the share of coded segments whose main "
                 "topic is the code's topic that carry the code)")


def codes_found(al: Alignment) -> int:
    """Codes the data shows as topics: matched to a topic that carries no other code, or split
    over several topics (today's alignment statuses; swap this function for better ones)."""
    merged = {c for codes in al.merges.values() for c in codes}
    own = {c for c, k in al.matches.items() if c not in merged and k not in al.merges}
    return len(own | set(al.splits))


def match_precision(al: Alignment, model: FittedModel, labels: np.ndarray, coded: np.ndarray) -> float | None:
    """Mean over matched codes of the share of coded segments whose most probable topic is the
    code's topic that the human coded with the code. labels (n, C) bool, coded (n,) bool, rows
    of model.doc_topic; None without a match or a coded segment of a matched topic."""
    dominant = np.argmax(model.doc_topic, axis=1)
    shares = []
    for code, k in al.matches.items():
        rows = (dominant == k) & coded
        if rows.any():
            shares.append(float(labels[rows, al.code_ids.index(code)].mean()))
    return float(np.mean(shares)) if shares else None


@dataclass(frozen=True)
class CodebookCriteria:
    """The codebook criteria of one fit (a picklable callable for :func:`run_grid`):
    codes_found and, when `labels` are given, match_precision on the coded documents' segments.
    labels: (n_segments, n_codes) over `segment_ids` (the whole matrix's rows)."""

    codebook: Codebook
    seeds: SeedTerms
    threshold: float
    split_ratio: float
    segment_ids: tuple[str, ...] = ()
    labels: np.ndarray | None = None
    coded: np.ndarray | None = None

    def __call__(self, model: FittedModel, data: DocumentTermMatrix) -> dict[str, float | None]:
        al = align(model, data, self.codebook, self.seeds, threshold=self.threshold, split_ratio=self.split_ratio, quotes=0)
        out: dict[str, float | None] = {"codes_found": codes_found(al)}
        if self.labels is not None and self.coded is not None:
            row = {s: i for i, s in enumerate(self.segment_ids)}
            rows = np.array([row[s] for s in data.segment_ids])
            out["match_precision"] = match_precision(al, model, self.labels[rows], self.coded[rows])
        return out


def codebook_criteria(prepared: Prepared) -> CodebookCriteria | None:
    """The sweep's codebook criteria for a prepared corpus (None without a codebook)."""
    analysed = prepared.analysed  # the run's code set: leaves, and groups the codings use
    if analysed is None or prepared.seeds is None:
        return None
    cfg, dtm = prepared.cfg, prepared.dtm
    human = prepared.human_codings()
    labels = coded = None
    if human is not None:
        doc_of = {s.id: s.document for s in prepared.segmentation.segments}
        labels = human.subset(analysed.ids()).labels
        coded = np.isin([doc_of[s] for s in dtm.segment_ids], list(human.documents))
    return CodebookCriteria(analysed, prepared.seeds, cfg.align.threshold, cfg.align.split_ratio,
                            tuple(dtm.segment_ids), labels, coded)


@dataclass(frozen=True)
class Recommendation:
    """The recommended K of one model type, its scaled score, the criteria behind it, and
    `edge` ("smallest" / "largest") when it is at an end of the K values tried."""

    n_topics: int
    score: float
    criteria: tuple[str, ...]
    edge: str | None = None
    widen: str | None = None  # a --k range to try next, when at an edge

    def to_json(self) -> dict[str, Any]:
        return {"n_topics": self.n_topics, "score": self.score, "criteria": list(self.criteria), "edge": self.edge,
                "widen": self.widen}

    def warning(self, model: str) -> str | None:
        """The line that says the best K may lie outside the range, or None."""
        if self.edge is None:
            return None
        tip = f" Widen the range: --k {self.widen}." if self.widen else ""
        return f"{model}: K = {self.n_topics} is the {self.edge} K tried, so the best K may lie outside the range.{tip}"


def edge_of(k: int, ks: Sequence[int]) -> tuple[str | None, str | None]:
    """Whether K is the smallest or largest of `ks` (more than one value), and a wider range."""
    values = sorted(set(ks))
    if len(values) < 2 or values[0] < k < values[-1]:
        return None, None
    step = min(b - a for a, b in zip(values, values[1:], strict=False))
    if k == values[0]:  # up to two more steps below, on the same grid, not below K = 2
        low = k - min(2, (k - 2) // step) * step
        return "smallest", (f"{low}:{values[-1]}:{step}" if low < k else None)
    return "largest", f"{values[0]}:{k + 2 * step}:{step}"


def recommend_k(summary: Sequence[Mapping[str, Any]], measure: str) -> dict[str, Recommendation]:
    """The recommended K per model: the K with the best mean of coherence (`measure`), diversity,
    stability and, when present, the codebook criteria (codes_found, match_precision), each
    min-max scaled to [0, 1] across the model's K values (higher is better); ties go to the
    smaller K. Min-max scaling keeps a tiny difference on one criterion from outweighing a large
    one on another, which a rank rule would not. A K at either end of the range is flagged."""
    out: dict[str, Recommendation] = {}
    for model in sorted({r["model"] for r in summary}):
        rows = [r for r in summary if r["model"] == model]
        keys = [f"coherence_{measure}", "diversity", "stability", *CODEBOOK_CRITERIA]
        score = np.zeros(len(rows))
        used = []
        for key in keys:
            values = np.array([r.get(key, np.nan) for r in rows], dtype=float)
            if np.all(np.isnan(values)):
                continue
            used.append(key)
            low, high = np.nanmin(values), np.nanmax(values)
            scaled = (values - low) / (high - low) if high > low else np.ones_like(values)
            score += np.nan_to_num(scaled, nan=0.0)
        score /= max(len(used), 1)
        best = max(range(len(rows)), key=lambda i: (round(float(score[i]), 9), -rows[i]["n_topics"]))
        k = int(rows[best]["n_topics"])
        edge, widen = edge_of(k, [int(r["n_topics"]) for r in rows])
        out[model] = Recommendation(k, float(score[best]), tuple(used), edge, widen)
    return out


def summarise_sweep(rows: Sequence[Mapping[str, Any]], topic_terms: Sequence[np.ndarray],
                    seeds: Sequence[int]) -> list[dict[str, Any]]:
    """Mean and sd per (model, K) over seeds, plus stability of the first seed's topics (fitted on
    all segments) against the other seeds' fits (each on a random 90% of the segments)."""
    groups: dict[tuple[str, int], list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault((r["model"], r["n_topics"]), []).append(i)
    summary = []
    for (model, k), idx in sorted(groups.items()):
        entry: dict[str, Any] = {"model": model, "n_topics": k, "fits": len(idx)}
        metric_keys = [key for key in rows[idx[0]] if key.startswith("coherence_") or key in (
            "diversity", "log_perplexity", "reconstruction_error", *CODEBOOK_CRITERIA, "fit_seconds")]
        for key in metric_keys:
            values = np.array([np.nan if rows[i][key] is None else rows[i][key] for i in idx], dtype=float)
            if np.all(np.isnan(values)):
                entry[key] = entry[f"{key}_sd"] = None
                continue
            entry[key] = float(np.nanmean(values))
            entry[f"{key}_sd"] = float(np.nanstd(values))
        ref = min(idx, key=lambda i: rows[i]["seed"])
        st = stability(topic_terms[ref], [topic_terms[i] for i in idx if i != ref])
        entry["stability"] = st.mean
        entry["stability_reappear"] = float(np.mean(st.reappear)) if st.reappear else float("nan")
        summary.append(entry)
    return summary


def sweep_cells(models: Sequence[ModelConfig], ks: Sequence[int], seeds: Sequence[int],
                n_seeded: int = 0) -> list[GridCell]:
    """Every (model, K, seed) combination. For a guided model K is the total number of topics:
    its `extra_topics` become K minus the number of seeded codes (K below that is skipped)."""
    cells = []
    for m in models:
        for k in ks:
            if m.guided:
                if k < n_seeded:
                    continue
                variant = dataclasses.replace(m, extra_topics=k - n_seeded, name=None)
            else:
                variant = dataclasses.replace(m, n_topics=k, name=None)
            for i, seed in enumerate(seeds):
                cells.append(GridCell(variant, seed, 1.0 if i == 0 else SUBSAMPLE))
    return cells


def run_sweep(prepared: Prepared, *, ks: Sequence[int], n_seeds: int, model_types: Sequence[str],
              out_dir: Path, name: str, jobs: int = 1, scheduler: str | None = None,
              measures: Sequence[str] = ("c_v", "u_mass"),
              progress: bool = True) -> tuple[Path, list[dict[str, Any]], dict[str, Recommendation]]:
    """Fit the K x seed grid for each model type of the config and write a sweep folder with
    sweep.csv (one row per fit), sweep_summary.csv (per model and K), sweep.json (with the
    recommended K per model) and sweep.png/svg."""
    threads = resolve_threads(prepared.cfg.threads, len(prepared.dtm.segment_ids), jobs)
    with watch_interrupts(), thread_limit(threads):
        return _run_sweep(prepared, ks=ks, n_seeds=n_seeds, model_types=model_types, out_dir=out_dir, name=name,
                          jobs=jobs, scheduler=scheduler, measures=measures, progress=progress)


def _run_sweep(prepared: Prepared, *, ks: Sequence[int], n_seeds: int, model_types: Sequence[str],
               out_dir: Path, name: str, jobs: int, scheduler: str | None, measures: Sequence[str],
               progress: bool) -> tuple[Path, list[dict[str, Any]], dict[str, Recommendation]]:
    cfg = prepared.cfg
    wanted = set(model_types)
    models = [m for m in cfg.models if (m.type + ("_guided" if m.guided else "")) in wanted or m.type in wanted]
    if not models:
        known = sorted({m.type for m in cfg.models})
        raise TopicbookError(f"--models: none of {', '.join(sorted(wanted))} is in the config's models ({', '.join(known)}). Use lda, nmf or both.")
    seed_topics = None
    if any(m.guided for m in models):
        seed_topics = prepared.seed_topics()
        if seed_topics is None:
            raise TopicbookError("sweep: a guided model needs codebook.path in the config.")
    seeds = [cfg.seed + i for i in range(n_seeds)]
    cells = sweep_cells(models, ks, seeds, len(seed_topics or []))
    for cell in cells:
        if cell.model.n_topics >= prepared.dtm.counts.shape[0] and not cell.model.guided:
            raise TopicbookError(f"--k: K={cell.model.n_topics} is not below the {prepared.dtm.counts.shape[0]} segments. Use smaller K.")
    criteria = codebook_criteria(prepared)
    start = time.perf_counter()
    results = run_grid(cells, prepared.dtm, seed_topics, measures=measures, jobs=jobs,
                       scheduler=scheduler, progress=progress, desc="fits", criteria=criteria)
    seconds = time.perf_counter() - start
    rows = [r.row for r in results]
    summary = summarise_sweep(rows, [r.topic_term for r in results], seeds)
    # recommended from the figures as sweep_summary.csv writes them (6 decimals), so the file reproduces it
    written = [{k: round(v, 6) if isinstance(v, float) else v for k, v in r.items()} for r in summary]
    recommended = recommend_k(written, measures[0] if measures else "none")
    info = {"recommended": {m: r.to_json() for m, r in recommended.items()}, "ks": list(ks), "seeds": seeds,
            "measures": list(measures), "jobs": jobs, "scheduler": bool(scheduler), "seconds": round(seconds, 3),
            "rule": RULE.format(codebook=CODEBOOK_RULE if criteria is not None else ""),
            "warnings": [w for m, r in recommended.items() if (w := r.warning(m)) is not None],
            "fit_seconds": [round(r["fit_seconds"], 4) for r in rows]}
    final = write_sweep(out_dir, f"{name}-sweep", rows=rows, summary=summary, info=info, measures=measures)
    return final, summary, recommended

"""`topicbook sweep`: fit every model type over a K x seed grid and recommend K per model.

The grid runs on the stability engine (:mod:`topicbook.stability`); the sweep folder is written
by :mod:`topicbook.report.sweep_folder`.
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

from topicbook.config import ModelConfig
from topicbook.errors import TopicbookError
from topicbook.evaluate import stability
from topicbook.interrupts import watch_interrupts
from topicbook.report.sweep_folder import write_sweep
from topicbook.results import Prepared
from topicbook.stability import SUBSAMPLE, GridCell, run_grid

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


@dataclass(frozen=True)
class Recommendation:
    """The recommended K of one model type, its scaled score and the criteria behind it."""

    n_topics: int
    score: float
    criteria: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"n_topics": self.n_topics, "score": self.score, "criteria": list(self.criteria)}


def recommend_k(summary: Sequence[Mapping[str, Any]], measure: str) -> dict[str, Recommendation]:
    """The recommended K per model: the K with the best mean of coherence (`measure`), diversity
    and stability, each min-max scaled to [0, 1] across the model's K values (higher is better);
    ties go to the smaller K. Min-max scaling keeps a tiny difference on one criterion from
    outweighing a large one on another, which a rank rule would not."""
    out: dict[str, Recommendation] = {}
    for model in sorted({r["model"] for r in summary}):
        rows = [r for r in summary if r["model"] == model]
        keys = [f"coherence_{measure}", "diversity", "stability"]
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
        out[model] = Recommendation(int(rows[best]["n_topics"]), float(score[best]), tuple(used))
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
        metric_keys = [key for key in rows[idx[0]] if key.startswith("coherence_") or key in ("diversity", "log_perplexity", "reconstruction_error", "fit_seconds")]
        for key in metric_keys:
            values = np.array([rows[i][key] for i in idx], dtype=float)
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
    with watch_interrupts():
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
    start = time.perf_counter()
    results = run_grid(cells, prepared.dtm, seed_topics, measures=measures, jobs=jobs,
                       scheduler=scheduler, progress=progress, desc="fits")
    seconds = time.perf_counter() - start
    rows = [r.row for r in results]
    summary = summarise_sweep(rows, [r.topic_term for r in results], seeds)
    recommended = recommend_k(summary, measures[0]) if measures else recommend_k(summary, "none")
    info = {"recommended": {m: r.to_json() for m, r in recommended.items()}, "ks": list(ks), "seeds": seeds,
            "measures": list(measures), "jobs": jobs, "scheduler": bool(scheduler), "seconds": round(seconds, 3),
            "rule": "per model, the K with the best mean of coherence (first measure), diversity and stability, each min-max scaled across K; ties to the smaller K",
            "fit_seconds": [round(r["fit_seconds"], 4) for r in rows]}
    final = write_sweep(out_dir, f"{name}-sweep", rows=rows, summary=summary, info=info, measures=measures)
    return final, summary, recommended

"""Grids of model fits (K x seed x model type) in parallel: stability and `topicbook sweep`.

Each grid cell is an independent fit with its own seed, so the results do not depend on how the
cells are scheduled: joblib processes (``jobs``) or an existing Dask cluster (``scheduler``,
through joblib's dask backend) give the same figures as one process.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from topicbook.config import ModelConfig
from topicbook.errors import TopicbookError
from topicbook.evaluate import coherence, stability, topic_diversity
from topicbook.models import fit_model
from topicbook.preprocess import DocumentTermMatrix

log = logging.getLogger(__name__)

SeedTopics = list[tuple[str, dict[int, float]]] | None


SUBSAMPLE = 0.9


@dataclass(frozen=True)
class GridCell:
    """One fit of the grid: a model config (with its K), a seed, and the share of segments
    drawn (without replacement, with that seed) for a stability re-fit (1.0 = all)."""

    model: ModelConfig
    seed: int
    subsample: float = 1.0


def subsample_rows(n: int, share: float, seed: int) -> np.ndarray:
    """The sorted row indices of a random `share` of n segments (at least 2), drawn with `seed`."""
    return np.sort(np.random.default_rng(seed).choice(n, size=max(2, int(round(n * share))), replace=False))


def subsample_dtm(dtm: DocumentTermMatrix, share: float, seed: int) -> DocumentTermMatrix:
    """A random `share` of the segments (rows), same vocabulary (columns)."""
    rows = subsample_rows(dtm.counts.shape[0], share, seed)
    return DocumentTermMatrix(dtm.counts[rows], dtm.vocab, tuple(dtm.segment_ids[i] for i in rows),
                              tuple(dtm.tokens[i] for i in rows))


def fit_cell(cell: GridCell, dtm: DocumentTermMatrix, seed_topics: SeedTopics,
             measures: Sequence[str], top_n: int = 10) -> dict:
    """Fit one cell and measure it. Returns metrics and the topic_term matrix (n_topics x n_terms)."""
    start = time.perf_counter()
    data = dtm if cell.subsample >= 1.0 else subsample_dtm(dtm, cell.subsample, cell.seed)
    model = fit_model(cell.model, data, cell.seed, seed_topics if cell.model.guided else None)
    fit_seconds = time.perf_counter() - start
    tops = [[dtm.vocab[i] for i in np.argsort(-row)[:max(top_n, 25)]] for row in model.topic_term]
    coh = coherence([t[:top_n] for t in tops], dtm.tokens, measures=measures, top_n=top_n,
                    counts=dtm.counts, vocab=dtm.vocab) if measures else {}
    row = {"model": cell.model.type + ("_guided" if cell.model.guided else ""), "n_topics": model.n_topics,
           "seed": cell.seed, "diversity": topic_diversity(tops, 25),
           **{f"coherence_{m}": v["mean"] for m, v in coh.items()},
           **model.fit_stats, "fit_seconds": fit_seconds}
    return {"row": row, "topic_term": model.topic_term}


def run_grid(cells: Sequence[GridCell], dtm: DocumentTermMatrix, seed_topics: SeedTopics = None, *,
             measures: Sequence[str] = ("c_v",), jobs: int = 1, scheduler: str | None = None,
             progress: bool = False) -> list[dict]:
    """Fit every cell, in parallel when jobs > 1 or a Dask scheduler address is given.

    Results come back in the order of `cells`.
    """
    from joblib import Parallel, delayed, parallel_config

    if scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise TopicbookError("--scheduler needs Dask: pip install 'topicbook[dask]'.") from None
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise TopicbookError(f"--scheduler: cannot reach a Dask scheduler at {scheduler} ({exc}). Start one with `dask scheduler` and workers with `dask worker {scheduler}`.") from None
        context = parallel_config(backend="dask")
    else:
        client = None
        context = nullcontext()
    tasks = (delayed(fit_cell)(cell, dtm, seed_topics, tuple(measures)) for cell in cells)
    try:
        with context:
            runner = Parallel(n_jobs=-1 if scheduler else jobs, return_as="generator")
            results = runner(tasks)
            if progress:
                from tqdm import tqdm

                results = tqdm(results, total=len(cells), desc="fits", unit="fit")
            return list(results)
    finally:
        if client is not None:
            client.close()


def stability_by_model(models: Sequence[ModelConfig], reference: dict[str, np.ndarray],
                       dtm: DocumentTermMatrix, seed: int, n_seeds: int,
                       seed_topics: SeedTopics = None, jobs: int = 1) -> dict[str, dict]:
    """Per model: refit with seeds seed+1 .. seed+n_seeds, each on a random 90% of the segments,
    and compare with the reference fit (Greene et al. 2014). The subsample makes the measure
    meaningful for NMF, whose nndsvd initialisation does not depend on the seed."""
    if n_seeds <= 0:
        return {}
    cells = [GridCell(m, seed + i, SUBSAMPLE) for m in models for i in range(1, n_seeds + 1)]
    results = run_grid(cells, dtm, seed_topics, measures=(), jobs=jobs)
    out = {}
    for m in models:
        others = [r["topic_term"] for c, r in zip(cells, results, strict=True) if c.model is m]
        out[m.label] = stability(reference[m.label], others)
    return out


@dataclass(frozen=True)
class Refit:
    """One stability re-fit: the rows of the reference matrix it was fitted on (sorted,
    (n_rows,)), its doc_topic over those rows (n_rows, n_topics) and topic_term (n_topics, n_terms)."""

    seed: int
    rows: np.ndarray
    doc_topic: np.ndarray
    topic_term: np.ndarray


def _fit_refit(cell: GridCell, dtm: DocumentTermMatrix, seed_topics: SeedTopics) -> Refit:
    rows = subsample_rows(dtm.counts.shape[0], cell.subsample, cell.seed)
    model = fit_model(cell.model, subsample_dtm(dtm, cell.subsample, cell.seed), cell.seed,
                      seed_topics if cell.model.guided else None)
    return Refit(cell.seed, rows, model.doc_topic, model.topic_term)


def stability_refits(models: Sequence[ModelConfig], dtm: DocumentTermMatrix, seed: int, n_seeds: int,
                     seed_topics: SeedTopics = None, jobs: int = 1) -> dict[str, list[Refit]]:
    """The re-fits of :func:`stability_by_model` (same cells: seeds seed+1 .. seed+n_seeds, each
    on the same random 90% of the segments) with their matrices, per model label.
    `stability(reference, [r.topic_term for r in refits])` gives stability_by_model's figures."""
    if n_seeds <= 0:
        return {}
    from joblib import Parallel, delayed

    cells = [GridCell(m, seed + i, SUBSAMPLE) for m in models for i in range(1, n_seeds + 1)]
    results = Parallel(n_jobs=jobs)(delayed(_fit_refit)(cell, dtm, seed_topics) for cell in cells)
    out: dict[str, list[Refit]] = {m.label: [] for m in models}
    for cell, refit in zip(cells, results, strict=True):
        out[cell.model.label].append(refit)
    return out


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


def recommend_k(summary: list[dict], measure: str) -> dict[str, dict]:
    """The recommended K per model: the K with the best mean of coherence (`measure`), diversity
    and stability, each min-max scaled to [0, 1] across the model's K values (higher is better);
    ties go to the smaller K. Min-max scaling keeps a tiny difference on one criterion from
    outweighing a large one on another, which a rank rule would not."""
    out: dict[str, dict] = {}
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
        out[model] = {"n_topics": rows[best]["n_topics"], "score": float(score[best]), "criteria": used}
    return out


def summarise_sweep(rows: list[dict], topic_terms: list[np.ndarray], seeds: Sequence[int]) -> list[dict]:
    """Mean and sd per (model, K) over seeds, plus stability of the first seed's topics (fitted on
    all segments) against the other seeds' fits (each on a random 90% of the segments)."""
    groups: dict[tuple[str, int], list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault((r["model"], r["n_topics"]), []).append(i)
    summary = []
    for (model, k), idx in sorted(groups.items()):
        entry: dict = {"model": model, "n_topics": k, "fits": len(idx)}
        metric_keys = [key for key in rows[idx[0]] if key.startswith("coherence_") or key in ("diversity", "log_perplexity", "reconstruction_error", "fit_seconds")]
        for key in metric_keys:
            values = np.array([rows[i][key] for i in idx], dtype=float)
            entry[key] = float(np.nanmean(values))
            entry[f"{key}_sd"] = float(np.nanstd(values))
        ref = min(idx, key=lambda i: rows[i]["seed"])
        st = stability(topic_terms[ref], [topic_terms[i] for i in idx if i != ref])
        entry["stability"] = st["mean"]
        entry["stability_reappear"] = float(np.mean(st["reappear"])) if st["reappear"] else float("nan")
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


def run_sweep(prepared, *, ks: Sequence[int], n_seeds: int, model_types: Sequence[str],  # type: ignore[no-untyped-def]
              out_dir: Path, name: str, jobs: int = 1, scheduler: str | None = None,
              measures: Sequence[str] = ("c_v", "u_mass"), progress: bool = True) -> tuple[Path, list[dict], dict]:
    """Fit the K x seed grid for each model type of the config and write a sweep folder with
    sweep.csv (one row per fit), sweep_summary.csv (per model and K), sweep.json (with the
    recommended K per model) and sweep.png/svg."""
    from topicbook.report.run_folder import RunFolder, utc_stamp

    cfg = prepared.cfg
    wanted = set(model_types)
    models = [m for m in cfg.models if (m.type + ("_guided" if m.guided else "")) in wanted or m.type in wanted]
    if not models:
        known = sorted({m.type for m in cfg.models})
        raise TopicbookError(f"--models: none of {', '.join(sorted(wanted))} is in the config's models ({', '.join(known)}). Use lda, nmf or both.")
    seed_topics = None
    if any(m.guided for m in models):
        if prepared.seeds is None or prepared.codebook is None:
            raise TopicbookError("sweep: a guided model needs codebook.path in the config.")
        seed_topics = [(c, prepared.seeds.weights[c]) for c in prepared.codebook.ids() if prepared.seeds.weights.get(c)]
    seeds = [cfg.seed + i for i in range(n_seeds)]
    cells = sweep_cells(models, ks, seeds, len(seed_topics or []))
    for cell in cells:
        if cell.model.n_topics >= prepared.dtm.counts.shape[0] and not cell.model.guided:
            raise TopicbookError(f"--k: K={cell.model.n_topics} is not below the {prepared.dtm.counts.shape[0]} segments. Use smaller K.")
    start = time.perf_counter()
    results = run_grid(cells, prepared.dtm, seed_topics, measures=measures, jobs=jobs,
                       scheduler=scheduler, progress=progress)
    seconds = time.perf_counter() - start
    rows = [r["row"] for r in results]
    summary = summarise_sweep(rows, [r["topic_term"] for r in results], seeds)
    recommended = recommend_k(summary, measures[0]) if measures else recommend_k(summary, "none")
    folder = RunFolder(out_dir, f"{name}-sweep", utc_stamp())
    try:
        row_cols = list(rows[0].keys())
        folder.write_csv("sweep.csv", [_rounded(r) for r in rows], [c for c in row_cols if c != "fit_seconds"])
        folder.write_csv("sweep_summary.csv", [_rounded(r) for r in summary],
                         [c for c in summary[0] if not c.startswith("fit_seconds")])
        folder.write_json("sweep.json", {"recommended": recommended, "ks": list(ks), "seeds": seeds,
                                         "measures": list(measures), "jobs": jobs, "scheduler": bool(scheduler),
                                         "seconds": round(seconds, 3),
                                         "rule": "per model, the K with the best mean of coherence (first measure), diversity and stability, each min-max scaled across K; ties to the smaller K",
                                         "fit_seconds": [round(r["fit_seconds"], 4) for r in rows]})
        plot_sweep(summary, folder.path, measures)
        final = folder.commit()
    except BaseException:
        folder.discard()
        raise
    return final, summary, recommended


def _rounded(row: dict) -> dict:
    return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in row.items()}


def plot_sweep(summary: list[dict], folder: Path, measures: Sequence[str]) -> list[str]:
    """Coherence, diversity and stability against K per model, as PNG and SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7"]
    keys = [f"coherence_{m}" for m in measures] + ["diversity", "stability"]
    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3.2), constrained_layout=True)
    axes = np.atleast_1d(axes)
    for ax, key in zip(axes, keys, strict=True):
        for i, model in enumerate(sorted({r["model"] for r in summary})):
            rows = [r for r in summary if r["model"] == model]
            ks = [r["n_topics"] for r in rows]
            values = [r.get(key, np.nan) for r in rows]
            sds = [r.get(f"{key}_sd", 0.0) for r in rows]
            ax.errorbar(ks, values, yerr=sds, marker="o", capsize=3, label=model, color=palette[i % len(palette)])
        ax.set_xlabel("number of topics K")
        ax.set_title(key.replace("_", " "))
        ax.grid(alpha=0.3)
    axes[0].legend()
    written = []
    for ext in ("png", "svg"):
        path = folder / f"sweep.{ext}"
        fig.savefig(path, dpi=150, metadata={"Date": None} if ext == "svg" else None)
        written.append(path.name)
    plt.close(fig)
    return written

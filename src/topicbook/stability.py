"""The stability engine: grids of model fits (model x K x seed) in parallel.

Each grid cell is an independent fit with its own seed, so the results do not depend on how the
cells are scheduled: joblib processes (``jobs``) or an existing Dask cluster (``scheduler``,
through joblib's dask backend) give the same figures as one process. The run's stability
re-fits (:func:`stability_refits`: their matrices feed both the stability figures and the
verdicts' stability of each topic-code match) and `topicbook sweep` (:mod:`topicbook.sweep`)
both use it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
from joblib import Parallel, delayed, parallel_config

from topicbook.config import ModelConfig
from topicbook.errors import TopicbookError
from topicbook.evaluate import coherence, topic_diversity
from topicbook.logs import CapturedRecord, capture_records, replay
from topicbook.models import FittedModel, fit_model
from topicbook.models.lda import GENSIM_EVAL_EVERY
from topicbook.preprocess import DocumentTermMatrix
from topicbook.progress import progress_bar
from topicbook.threads import thread_limit
from topicbook.workers import WorkerPool

log = logging.getLogger(__name__)

SeedTopics = list[tuple[str, dict[int, float]]] | None
# Extra figures of one fit (e.g. the sweep's codebook criteria), computed where the fit ran:
# (the fitted model, the segments it was fitted on) -> {column: value}. Must be picklable.
CellCriteria = Callable[[FittedModel, DocumentTermMatrix], Mapping[str, float | None]]


SUBSAMPLE = 0.9
# Below this many segments :func:`stability_refits` fits in this process whatever `jobs`: each
# joblib (loky) worker spends about 3.5 CPU-seconds importing topicbook before it fits anything,
# more than a small corpus's re-fits take (the demo's nine: a few seconds in all). A run with
# forked workers (topicbook.workers, --jobs 2 on Linux) submits its re-fits to them at any size.
REFIT_WORKERS_MIN_SEGMENTS = 5_000


@dataclass(frozen=True)
class GridCell:
    """One fit of the grid: a model config (with its K), a seed, the share of segments drawn
    (without replacement, with that seed) for a stability re-fit (1.0 = all), and gensim LDA's
    `eval_every` (:meth:`topicbook.models.LdaModel.fit`; the stability re-fits use None)."""

    model: ModelConfig
    seed: int
    subsample: float = 1.0
    eval_every: int | None = GENSIM_EVAL_EVERY  # gensim LDA's logged perplexity estimate (None: none)


def subsample_rows(n: int, share: float, seed: int) -> np.ndarray:
    """The sorted row indices of a random `share` of n segments (at least 2), drawn with `seed`."""
    return np.sort(np.random.default_rng(seed).choice(n, size=max(2, int(round(n * share))), replace=False))


def subsample_dtm(dtm: DocumentTermMatrix, share: float, seed: int) -> DocumentTermMatrix:
    """A random `share` of the segments (rows :func:`subsample_rows`), same vocabulary (columns)."""
    rows = subsample_rows(dtm.counts.shape[0], share, seed)
    return DocumentTermMatrix(dtm.counts[rows], dtm.vocab, tuple(dtm.segment_ids[i] for i in rows),
                              tuple(dtm.tokens[i] for i in rows))


@dataclass(frozen=True)
class CellFit:
    """One fitted cell: its metrics (a row of sweep.csv: model, n_topics, seed, diversity,
    coherence_<measure>, the fit's statistics, fit_seconds), topic_term (n_topics x n_terms),
    the warnings the fit logged in a worker process (replayed by :func:`run_grid`) and, when
    asked for (`keep_doc_topic`), doc_topic over the cell's rows (n_rows x n_topics)."""

    row: dict[str, Any]
    topic_term: np.ndarray
    log: tuple[CapturedRecord, ...] = ()
    doc_topic: np.ndarray | None = None


def fit_cell(cell: GridCell, dtm: DocumentTermMatrix, seed_topics: SeedTopics,
             measures: Sequence[str], top_n: int = 10, criteria: CellCriteria | None = None, *,
             keep_doc_topic: bool = False) -> CellFit:
    """Fit one cell and measure it (and `criteria` of it, when given). A re-fit on a subsample
    does not repeat the small-corpus warning of the full fit; what the fit logs in a worker
    process travels back with the result (:func:`topicbook.logs.capture_records`)."""
    with capture_records() as records:
        start = time.perf_counter()
        data = dtm if cell.subsample >= 1.0 else subsample_dtm(dtm, cell.subsample, cell.seed)
        model = fit_model(cell.model, data, cell.seed, seed_topics if cell.model.guided else None,
                          warn=cell.subsample >= 1.0, eval_every=cell.eval_every)
        fit_seconds = time.perf_counter() - start
        tops = [[dtm.vocab[i] for i in np.argsort(-row)[:max(top_n, 25)]] for row in model.topic_term]
        coh = coherence([t[:top_n] for t in tops], dtm.tokens, measures=measures, top_n=top_n,
                        counts=dtm.counts, vocab=dtm.vocab) if measures else {}
        measured = criteria(model, data) if criteria is not None else {}
    row = {"model": cell.model.type + ("_guided" if cell.model.guided else ""), "n_topics": model.n_topics,
           "seed": cell.seed, "diversity": topic_diversity(tops, 25),
           **{f"coherence_{m}": v.mean for m, v in coh.items()},
           **model.fit_stats, **measured, "fit_seconds": fit_seconds}
    return CellFit(row, model.topic_term, tuple(records), model.doc_topic if keep_doc_topic else None)


def fit_cell_one_thread(cell: GridCell, dtm: DocumentTermMatrix, seed_topics: SeedTopics,
                        measures: Sequence[str], top_n: int = 10, criteria: CellCriteria | None = None, *,
                        keep_doc_topic: bool = False) -> CellFit:
    """:func:`fit_cell` with one BLAS/OpenMP thread: what a worker process runs (the workers
    already share the cores; :mod:`topicbook.threads`)."""
    with thread_limit(1):
        return fit_cell(cell, dtm, seed_topics, measures, top_n, criteria, keep_doc_topic=keep_doc_topic)


def run_grid(cells: Sequence[GridCell], dtm: DocumentTermMatrix, seed_topics: SeedTopics = None, *,
             measures: Sequence[str] = ("c_v",), jobs: int = 1, scheduler: str | None = None,
             progress: bool = False, desc: str | None = None, criteria: CellCriteria | None = None,
             keep_doc_topic: bool = False) -> list[CellFit]:
    """Fit every cell, in parallel when jobs > 1 or a Dask scheduler address is given.

    Results come back in the order of `cells`. `progress`: a tqdm bar (on a terminal only).
    Worker processes fit with one BLAS/OpenMP thread; in-process fits keep the caller's limit.
    `criteria`: extra figures of each fit, added to its row. `keep_doc_topic`: return each
    cell's doc_topic too (a sweep does not need them).
    """
    if scheduler:
        try:  # optional engine (topicbook[dask]), imported only for --scheduler
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
    parallel = bool(scheduler) or jobs > 1
    work = fit_cell_one_thread if parallel else fit_cell  # in-process: the caller's thread limit
    tasks = (delayed(work)(cell, dtm, seed_topics, tuple(measures), criteria=criteria, keep_doc_topic=keep_doc_topic)
             for cell in cells)
    try:
        with context, progress_bar(len(cells), "re-fits" if desc is None else desc, enabled=progress, unit="fit") as bar:
            runner = Parallel(n_jobs=-1 if scheduler else jobs, return_as="generator")
            out = []
            for fit in runner(tasks):
                replay(fit.log)
                out.append(fit)
                bar.update()
            return out
    finally:
        if client is not None:
            client.close()


@dataclass(frozen=True)
class Refit:
    """One stability re-fit: the rows of the reference matrix it was fitted on (sorted,
    (n_rows,)), its doc_topic over those rows (n_rows, n_topics) and topic_term (n_topics, n_terms)."""

    seed: int
    rows: np.ndarray
    doc_topic: np.ndarray
    topic_term: np.ndarray


def refit_cells(models: Sequence[ModelConfig], seed: int, n_seeds: int) -> list[GridCell]:
    """The stability re-fits of `models` as grid cells: per model, seeds seed+1 .. seed+n_seeds,
    each on a random 90% of the segments, without gensim's logged perplexity estimate."""
    return [GridCell(m, seed + i, SUBSAMPLE, eval_every=None) for m in models for i in range(1, n_seeds + 1)]


def stability_refits(models: Sequence[ModelConfig], dtm: DocumentTermMatrix, seed: int, n_seeds: int,
                     seed_topics: SeedTopics = None, jobs: int = 1, *, progress: bool = False) -> dict[str, list[Refit]]:
    """Per model label: its re-fits with seeds seed+1 .. seed+n_seeds, each on a random 90% of
    the segments (:func:`subsample_rows` with that seed), with their matrices.

    `stability(reference.topic_term, [r.topic_term for r in refits[label]])` is the model's
    stability (Greene et al. 2014); the subsample makes the measure meaningful for NMF, whose
    nndsvd initialisation does not depend on the seed. The same re-fits tell the verdicts
    whether a topic-code match holds (:func:`topicbook.verdicts.structure`). The re-fits skip
    gensim's logged perplexity estimate (eval_every None) and run in this process below
    REFIT_WORKERS_MIN_SEGMENTS segments, in `jobs` processes from there (a run with forked
    workers submits them to its pool instead: :func:`submit_refits`).
    """
    if n_seeds <= 0:
        return {}
    cells = refit_cells(models, seed, n_seeds)
    jobs = jobs if dtm.counts.shape[0] >= REFIT_WORKERS_MIN_SEGMENTS else 1
    results = run_grid(cells, dtm, seed_topics, measures=(), jobs=jobs, progress=progress, desc="stability re-fits",
                       keep_doc_topic=True)
    return _refits_by_label(models, cells, results, dtm.counts.shape[0])


def _refits_by_label(models: Sequence[ModelConfig], cells: Sequence[GridCell], fits: Sequence[CellFit],
                     n: int) -> dict[str, list[Refit]]:
    out: dict[str, list[Refit]] = {m.label: [] for m in models}
    for cell, fit in zip(cells, fits, strict=True):
        assert fit.doc_topic is not None  # fitted with keep_doc_topic=True
        out[cell.model.label].append(Refit(cell.seed, subsample_rows(n, cell.subsample, cell.seed),
                                           fit.doc_topic, fit.topic_term))
    return out


class PendingRefits:
    """Stability re-fits running in a :class:`~topicbook.workers.WorkerPool` (:func:`submit_refits`):
    :meth:`result` waits for them and gives what :func:`stability_refits` returns."""

    def __init__(self, models: Sequence[ModelConfig], cells: Sequence[GridCell], futures: Sequence[Future[CellFit]],
                 n_rows: int) -> None:
        self._models, self._cells, self._futures, self._n_rows = tuple(models), tuple(cells), tuple(futures), n_rows

    def result(self, *, progress: bool = False) -> dict[str, list[Refit]]:
        """The re-fits by model label, in cell order; the warnings each logged are replayed here."""
        if not self._cells:
            return {}
        fits = []
        with progress_bar(len(self._cells), "stability re-fits", enabled=progress, unit="fit") as bar:
            for future in self._futures:
                fit = future.result()
                replay(fit.log)
                fits.append(fit)
                bar.update()
        return _refits_by_label(self._models, self._cells, fits, self._n_rows)


def submit_refits(pool: WorkerPool, models: Sequence[ModelConfig], dtm: DocumentTermMatrix, seed: int, n_seeds: int,
                  seed_topics: SeedTopics = None) -> PendingRefits:
    """:func:`stability_refits`, submitted to forked workers (one BLAS thread each): the same
    cells, seeds and results, fitted while the run's process goes on."""
    cells = refit_cells(models, seed, n_seeds) if n_seeds > 0 else []
    futures = [pool.submit(fit_cell, cell, dtm, seed_topics, (), keep_doc_topic=True) for cell in cells]
    return PendingRefits(models, cells, futures, dtm.counts.shape[0])

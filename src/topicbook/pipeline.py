"""The whole run: read, segment, preprocess, fit, summarize, align, score, report.

`prepare` does everything up to the document-term matrix (what `validate` shows); `fit_all`
fits the models; `analyse` summarises, evaluates, aligns and scores them; `run` does all of
that and writes the run folder. The objects they pass on are in :mod:`topicbook.results`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from topicbook.agreement import evaluate_run
from topicbook.align import Alignment, align
from topicbook.cache import PreparedCorpus, prepare_corpus
from topicbook.codebook import CodeKeywords, keyword_report, load_codebook, seed_terms
from topicbook.codings import document_groups, read_reviewed
from topicbook.config import ModelConfig, RunConfig
from topicbook.deidentify import deidentifier_from_config, deidentify_corpus, pseudonymise_speakers
from topicbook.errors import ConfigError
from topicbook.evaluate import ModelEvaluation, coherence, stability, topic_diversity
from topicbook.heap import frozen_heap
from topicbook.ingest import read_corpus
from topicbook.interrupts import watch_interrupts
from topicbook.logs import CapturedRecord, capture_records, replay
from topicbook.models import FittedModel, fit_model, model_problem
from topicbook.preprocess import DocumentTermMatrix, Preprocessor, vectorize
from topicbook.progress import progress_bar
from topicbook.report.writer import EarlyReport, write_run
from topicbook.results import Prepared, RunResult, Timer
from topicbook.sampling import read_sample
from topicbook.scoring import feature_spaces
from topicbook.segment import segment_corpus
from topicbook.stability import PendingRefits, stability_refits, submit_refits
from topicbook.summarize import TopicSummary, summarize
from topicbook.threads import resolve_threads, thread_limit
from topicbook.verdicts import verdict_table
from topicbook.workers import WorkerPool, worker_pool

__all__ = ["Prepared", "RunResult", "Timer", "analyse", "check_before_fit", "fit_all", "fit_in_pool", "fit_problems", "prepare", "run",
           "seed_topics_of"]

log = logging.getLogger(__name__)

# Below this many segments preprocessing stays in one process: starting workers costs more than
# it saves (SOTU, 23,606 paragraphs: 2 processes 0.97x of 1; docs/benchmarks.md).
PARALLEL_MIN_SEGMENTS = 5_000


def prepare(cfg: RunConfig, timer: Timer | None = None, jobs: int = 1) -> Prepared:
    """Read, segment and preprocess the corpus (tokenising in `jobs` processes; the result does
    not depend on it); read the codebook and map its seed terms."""
    timer = timer or Timer()
    with timer.stage("read"):
        codebook = load_codebook(cfg.codebook.path) if cfg.codebook.path else None
    forced = codebook.multiword_keywords() if codebook else ()
    entry, _ = prepare_corpus(cfg, forced, lambda: _build_corpus(cfg, forced, timer, jobs), timer.stage)
    corpus, segmentation, pre, dtm = entry.corpus, entry.segmentation, entry.preprocessor, entry.dtm
    document_groups(corpus, cfg.codings.group_column)  # a missing group column stops the run before any fit
    seeds = None
    keywords: tuple[CodeKeywords, ...] = ()
    if codebook is not None:
        with timer.stage("codebook"):
            seeds = seed_terms(codebook, dtm.vocab, pre.transform)
            keywords = keyword_report(codebook, seeds, dtm.tokens)
    return Prepared(cfg, corpus, segmentation, pre, dtm, codebook, seeds, keywords, timer)


def _build_corpus(cfg: RunConfig, forced: Sequence[str], timer: Timer, jobs: int = 1) -> PreparedCorpus:
    """Read (and de-identify), segment and preprocess the corpus: what the cache stores."""
    deidentifier = deidentifier_from_config(cfg.preprocess.deidentify, cfg.preprocess.deidentify_names)
    with timer.stage("read"):
        corpus = deidentify_corpus(read_corpus(cfg.corpus), deidentifier)
    with timer.stage("segment"):
        segmentation = segment_corpus(corpus, pseudonymise_speakers(cfg.speakers, deidentifier), cfg.segment)
    with timer.stage("preprocess"):
        pre = Preprocessor(cfg.preprocess, language=cfg.corpus.language, forced_phrases=forced)
        n_segments = len(segmentation.segments)
        tokens = pre.fit_transform([s.text for s in segmentation.segments],
                                   jobs=jobs if n_segments >= PARALLEL_MIN_SEGMENTS else 1)
        seg_ids = [s.id for s in segmentation.segments]
        dtm = vectorize(tokens, seg_ids, cfg.preprocess, pre.report)
        pre.report.note_empty_documents([d.id for d in corpus.documents], [s.document for s in segmentation.segments], dtm, seg_ids)
    return PreparedCorpus(corpus, segmentation, pre, dtm)


def seed_topics_of(prepared: Prepared) -> list[tuple[str, dict[int, float]]] | None:
    """(code id, {term index: weight}) for every analysed code (leaves; a parent code is a group,
    Codebook.analysed_ids) with a seed term in the vocabulary."""
    return prepared.seed_topics()


def fit_problems(prepared: Prepared) -> list[str]:
    """What would stop :func:`fit_all`, found without fitting: a codebook none of whose codes
    has a seed term in the vocabulary, a guided model with no seedable code or fewer than 2
    topics, more topics than modelled segments. One message per problem, in config order."""
    problems = []
    seed_topics = prepared.seed_topics()
    codebook = prepared.codebook
    if codebook is not None and not seed_topics:
        problems.append(f"codebook.path: none of the {len(codebook)} codes of {codebook.source or 'the codebook'} has a seed term (keyword, name or definition word) in the corpus vocabulary, so no topic can be compared with a code. Check corpus.language and the keywords (`topicbook validate` lists them).")
    n_segments = prepared.dtm.counts.shape[0]
    for model_cfg in prepared.cfg.models:
        if model_cfg.guided and problems and not seed_topics:
            continue  # said above, for the whole codebook
        problem = model_problem(model_cfg, n_segments, seed_topics if model_cfg.guided else None)
        if problem:
            problems.append(problem)
    return problems


def check_before_fit(prepared: Prepared) -> None:
    """Everything :func:`run` can check before it fits, raising the first problem as one line:
    the human codings (the file, its columns, and that at least one coding is placed on a
    segment: :meth:`Prepared.human_codings`; read first, since they decide which groups are
    analysed and seeded: :attr:`Prepared.analysed`) and their sample record (codings.sample),
    then :func:`fit_problems`."""
    if prepared.codebook is None and prepared.cfg.codings.path is not None:
        log.warning("codings.path is set but the config has no codebook.path; codings are placed through the codebook's codes, so they are not used. Set codebook.path.")
    with prepared.timer.stage("codings"):
        human = prepared.human_codings()
        if human is not None and prepared.cfg.codings.sample is not None:
            read_sample(prepared.cfg.codings.sample)  # a missing or damaged sample record: one line now
    problems = fit_problems(prepared)
    if problems:
        raise ConfigError(problems[0])


def _checked_models(prepared: Prepared) -> None:
    """What :func:`fit_all` refuses before fitting: no seed term at all, two models with one
    name, a guided model without a codebook."""
    if prepared.codebook is not None and not prepared.seed_topics():
        raise ConfigError(fit_problems(prepared)[0])
    names: set[str] = set()
    for model_cfg in prepared.cfg.models:
        name = model_cfg.label
        if name in names:
            raise ConfigError(f"models: two models are named '{name}'. Give one a different `name`.")
        names.add(name)
        if model_cfg.guided and prepared.codebook is None:
            raise ConfigError(f"models: '{name}' has guided: true but the config has no codebook. Set codebook.path or guided: false.")


def fit_all(prepared: Prepared, *, progress: bool = False) -> list[FittedModel]:
    """Fit every model of the config with the run's seed."""
    cfg = prepared.cfg
    fitted = []
    seed_topics = prepared.seed_topics()
    _checked_models(prepared)
    with progress_bar(len(cfg.models), "fits", enabled=progress, unit="model") as bar:
        for model_cfg in cfg.models:
            bar.set_postfix_str(model_cfg.label)
            with prepared.timer.stage(f"fit:{model_cfg.label}"):
                fitted.append(fit_model(model_cfg, prepared.dtm, cfg.seed, seed_topics if model_cfg.guided else None))
            bar.update()
    return fitted


def _fit_captured(model_cfg: ModelConfig, dtm: DocumentTermMatrix, seed: int,
                  seed_topics: list[tuple[str, dict[int, float]]] | None) -> tuple[FittedModel, tuple[CapturedRecord, ...]]:
    """One model fit in a worker process, with what it logged (replayed by the run's process)."""
    with capture_records() as records:
        model = fit_model(model_cfg, dtm, seed, seed_topics)
    return model, tuple(records)


def fit_in_pool(prepared: Prepared, pool: WorkerPool, *, progress: bool = False) -> tuple[list[FittedModel], PendingRefits]:
    """:func:`fit_all` and the stability re-fits together in forked worker processes: the fits
    first (in config order), then the re-fits, so that the workers go on with the re-fits while
    this process analyses the fitted models. Returns the fitted models (waited for; each
    `fit:<name>` stage is the wait for it) and the re-fits still running. Same seeds, same
    results as :func:`fit_all` and :func:`topicbook.stability.stability_refits`."""
    cfg = prepared.cfg
    seed_topics = prepared.seed_topics()
    _checked_models(prepared)
    fits = [pool.submit(_fit_captured, m, prepared.dtm, cfg.seed, seed_topics if m.guided else None) for m in cfg.models]
    refits = submit_refits(pool, cfg.models, prepared.dtm, cfg.seed, cfg.evaluate.stability_seeds, seed_topics)
    fitted = []
    with progress_bar(len(cfg.models), "fits", enabled=progress, unit="model") as bar:
        for model_cfg, future in zip(cfg.models, fits, strict=True):
            bar.set_postfix_str(model_cfg.label)
            with prepared.timer.stage(f"fit:{model_cfg.label}"):
                model, records = future.result()
            replay(records)
            fitted.append(model)
            bar.update()
    return fitted, refits


def preload_for_workers(cfg: RunConfig) -> None:
    """Import what forked workers will need before forking them, so that each does not import
    it on its own: gensim's LDA when a model needs it (about a second of CPU; the adapter
    imports it lazily so that `topicbook validate` does not), matplotlib's figure and Agg
    canvas when the run draws figures (the workers draw them:
    :func:`topicbook.report.figures.start_figures`)."""
    if any(m.type == "lda" and getattr(m, "engine", "gensim") == "gensim" for m in cfg.models):
        import gensim.models  # noqa: F401 - loaded for the forked workers
    if cfg.report.explorer and cfg.report.figure_formats:
        import matplotlib.backends.backend_agg  # noqa: F401 - loaded for the forked workers
        import matplotlib.figure  # noqa: F401


def analyse(prepared: Prepared, fitted: list[FittedModel], jobs: int = 1, *, progress: bool = False,
            pending: PendingRefits | None = None,
            while_waiting: Callable[[RunResult, bool], None] | None = None) -> RunResult:
    """Summaries, evaluation and codebook alignment for every fitted model, then the code scores
    and their agreement with human codings, then the stability (across `evaluate.stability_seeds`
    re-fits: `pending` when they already run in worker processes, :func:`fit_in_pool`; else
    fitted here, in `jobs` processes) and the verdicts (presence per code, structure per model,
    from the same feature spaces and stability re-fits). The stability comes after the scores so
    that re-fits running in workers overlap them. `while_waiting`: called with the result so far
    (no stability, no verdicts) and whether verdicts will follow, just before waiting for
    `pending` (the run starts its report's work that needs neither: :class:`EarlyReport`)."""
    cfg = prepared.cfg
    segments = prepared.segments
    summaries: dict[str, list[TopicSummary]] = {}
    evaluation: dict[str, ModelEvaluation] = {}
    alignments: dict[str, Alignment] = {}
    analysed = prepared.analysed
    measures = cfg.evaluate.coherence
    with progress_bar(len(fitted) * len(measures), "coherence", enabled=progress, unit="measure") as bar:
        for model in fitted:
            with prepared.timer.stage(f"summarize:{model.name}"):
                summaries[model.name] = summarize(
                    model, prepared.dtm, segments, top_n=max(cfg.report.top_terms, 10),
                    quotes=cfg.report.quotes_per_topic, lam=cfg.report.relevance_lambda,
                    labels=cfg.report.labels)
            with prepared.timer.stage(f"evaluate:{model.name}"):
                tops = [list(s.top_terms) for s in summaries[model.name]]
                evaluation[model.name] = ModelEvaluation(
                    type=model.type, n_topics=model.n_topics,
                    coherence=coherence(tops, prepared.dtm.tokens, measures=measures, counts=prepared.dtm.counts,
                                        vocab=prepared.dtm.vocab, on_measure=lambda _: _step(bar)),
                    diversity=topic_diversity(_top_terms(model, prepared.dtm, 25)),
                    stability=None,  # set below, once the re-fits are in
                    fit_stats=dict(model.fit_stats),
                )
            if analysed is not None and prepared.seeds is not None:
                with prepared.timer.stage(f"align:{model.name}"):
                    alignments[model.name] = align(model, prepared.dtm, analysed, prepared.seeds,
                                                   threshold=cfg.align.threshold, split_ratio=cfg.align.split_ratio,
                                                   topic_labels=[s.label for s in summaries[model.name]])
    agreement = verdicts = spaces = None
    if prepared.codebook is not None and analysed is not None and prepared.seeds is not None:
        dtm = prepared.dtm
        texts = [segments[s].text for s in dtm.segment_ids]
        documents = [segments[s].document for s in dtm.segment_ids]
        human = prepared.human_codings()
        with prepared.timer.stage("spaces"):
            spaces = feature_spaces(dtm, texts)
        with prepared.timer.stage("agreement"):
            sample = read_sample(cfg.codings.sample) if cfg.codings.sample is not None and human is not None else None
            reviewed = read_reviewed(cfg.codings.reviewed, dtm.segment_ids) if cfg.codings.reviewed and human else ()
            group_of = document_groups(prepared.corpus, cfg.codings.group_column)
            agreement = evaluate_run(dtm, texts, documents, analysed, prepared.seeds, prepared.preprocessor.transform,
                                     fitted, alignments, human.subset(analysed.ids()) if human else None,
                                     seed=cfg.seed, holdout=cfg.codings.holdout, min_positives=cfg.codings.min_positives,
                                     resamples=cfg.codings.resamples, sample=sample,
                                     sample_source=cfg.codings.sample.name if cfg.codings.sample else "",
                                     reviewed=reviewed, reviewed_source=cfg.codings.reviewed.name if cfg.codings.reviewed else "",
                                     groups=[group_of[segments[s].document] for s in dtm.segment_ids],
                                     group_column=cfg.codings.group_column, n_suggestions=cfg.codings.suggestions,
                                     stage=prepared.timer.stage, spaces=spaces)
    with_verdicts = prepared.codebook is not None and analysed is not None and prepared.seeds is not None
    with prepared.timer.stage("stability"):
        if pending is not None:
            if while_waiting is not None:
                while_waiting(RunResult(prepared, fitted, summaries, evaluation, alignments, agreement, None), with_verdicts)
            refits = pending.result(progress=progress)
        else:
            refits = stability_refits(cfg.models, prepared.dtm, cfg.seed, cfg.evaluate.stability_seeds,
                                      prepared.seed_topics(), jobs, progress=progress)
        for model in fitted:
            if refits.get(model.name):
                evaluation[model.name] = dataclasses.replace(
                    evaluation[model.name], stability=stability(model.topic_term, [r.topic_term for r in refits[model.name]]))
    if prepared.codebook is not None and analysed is not None and prepared.seeds is not None:
        with prepared.timer.stage("verdicts"):
            verdicts = verdict_table(dtm, prepared.codebook, prepared.preprocessor.transform, documents, fitted,
                                     refits=refits, language=cfg.corpus.language, space=spaces,
                                     labels=human.labels if human else None,
                                     coded=np.isin(documents, list(human.documents)) if human else None,
                                     analysed=analysed.ids())
    return RunResult(prepared, fitted, summaries, evaluation, alignments, agreement, verdicts)


def _step(bar: Any) -> None:
    bar.update()


def _top_terms(model: FittedModel, dtm: DocumentTermMatrix, n: int) -> list[list[str]]:
    return [[dtm.vocab[i] for i in np.argsort(-row)[:n]] for row in model.topic_term]


def run(cfg: RunConfig, *, out_dir: Path, name: str | None = None, command: list[str] | None = None,
        jobs: int = 1, record_paths: bool = False, progress: bool = False,
        checked: Callable[[], None] | None = None) -> tuple[Path, RunResult]:
    """The whole pipeline; returns the committed run folder and the in-memory result.

    `record_paths`: write absolute input/output paths into the manifest (off: none anywhere).
    `progress`: tqdm bars for fits, re-fits and coherence (only when stderr is a terminal).
    `checked`: called once every input is read and checked (:func:`check_before_fit`), before
    the first fit (the CLI prints the warnings so far). From the fits on, BLAS/OpenMP threads
    follow `cfg.threads` (:mod:`topicbook.threads`). Ctrl-C anywhere, even where a library
    swallows it, ends the run with KeyboardInterrupt and no run folder
    (:func:`topicbook.interrupts.watch_interrupts`).
    """
    with watch_interrupts():
        timer = Timer()
        prepared = prepare(cfg, timer, jobs=jobs)
        check_before_fit(prepared)
        if checked is not None:
            checked()
        threads = resolve_threads(cfg.threads, len(prepared.dtm.segment_ids), jobs)
        log.info("BLAS/OpenMP threads: %d (threads: %s; %d segments, %d jobs)", threads, cfg.threads,
                 len(prepared.dtm.segment_ids), jobs)
        if jobs > 1:
            preload_for_workers(cfg)
        # the libraries and the prepared corpus stay alive to the end: the collector's full passes
        # (and the forked workers') leave them out instead of walking them every time
        with frozen_heap(), thread_limit(threads), worker_pool(jobs) as pool:
            pending = None
            if pool is None:
                fitted = fit_all(prepared, progress=progress)
            else:
                fitted, pending = fit_in_pool(prepared, pool, progress=progress)
            early = EarlyReport(pool) if pool is not None else None
            result = analyse(prepared, fitted, jobs=jobs, progress=progress, pending=pending, while_waiting=early)
            folder = write_run(result, out_dir=out_dir, name=name or cfg.name, command=command, record_paths=record_paths,
                               pool=pool, early=early)
    return folder, result

"""The whole run: read, segment, preprocess, fit, summarize, align, report.

`prepare` does everything up to the document-term matrix (what `validate` shows); `run` fits
the models and writes the run folder.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from topicbook.agreement import RunAgreement, evaluate_run
from topicbook.align import Alignment, align
from topicbook.cache import PreparedCorpus, prepare_corpus
from topicbook.codebook import Codebook, SeedTerms, keyword_report, load_codebook, seed_terms
from topicbook.config import RunConfig
from topicbook.deidentify import deidentifier_from_config, deidentify_corpus, pseudonymise_speakers
from topicbook.evaluate import coherence, topic_diversity
from topicbook.ingest import Corpus, read_corpus
from topicbook.models import FittedModel, fit_model
from topicbook.preprocess import DocumentTermMatrix, Preprocessor, vectorize
from topicbook.segment import Segment, Segmentation, segment_corpus
from topicbook.summarize import TopicSummary, summarize

log = logging.getLogger(__name__)

# Below this many segments preprocessing stays in one process: starting workers costs more than
# it saves (SOTU, 23,606 paragraphs: 2 processes 0.97x of 1; docs/benchmarks.md).
PARALLEL_MIN_SEGMENTS = 5_000


@dataclass
class Timer:
    """Wall-clock seconds per stage, in order."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        log.info("%s ...", name)
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - start, 4)


@dataclass
class Prepared:
    """Everything before fitting: corpus, segments, tokens, matrix, codebook and seeds."""

    cfg: RunConfig
    corpus: Corpus
    segmentation: Segmentation
    preprocessor: Preprocessor
    dtm: DocumentTermMatrix
    codebook: Codebook | None
    seeds: SeedTerms | None
    keywords: list[dict]
    timer: Timer

    @property
    def segments(self) -> dict[str, Segment]:
        return {s.id: s for s in self.segmentation.segments}

    def input_files(self) -> list[Path]:
        files = list(self.corpus.files)
        for extra in (self.cfg.codebook.path, self.cfg.codings.path, self.cfg.source):
            if extra is not None and Path(extra).is_file():
                files.append(Path(extra))
        return files

    def preprocess_report(self) -> dict:
        seg = self.segmentation
        return {
            "documents": len(self.corpus),
            "documents_with_speaker_labels": seg.n_documents_with_labels,
            "turns_by_role": seg.turns_by_role,
            "interviewers": sorted(seg.roles.interviewers),
            "interviewer_method": seg.roles.method,
            "interviewer_evidence": list(seg.roles.evidence),
            "segments": len(seg.segments),
            "segments_modelled": len(self.dtm.segment_ids),
            "dropped_short_pieces": [{"span": s, "reason": r} for s, r in seg.dropped],
            **self.preprocessor.report.as_dict(),
            "warnings": list(self.corpus.warnings) + list(seg.warnings) + self.preprocessor.report.warnings(),
        }


@dataclass
class RunResult:
    """A finished run in memory: the prepared corpus and, per model, its outputs."""

    prepared: Prepared
    models: list[FittedModel]
    summaries: dict[str, list[TopicSummary]]
    evaluation: dict[str, dict]
    alignments: dict[str, Alignment]
    agreement: RunAgreement | None = None


def prepare(cfg: RunConfig, timer: Timer | None = None, jobs: int = 1) -> Prepared:
    """Read, segment and preprocess the corpus (tokenising in `jobs` processes; the result does
    not depend on it); read the codebook and map its seed terms."""
    timer = timer or Timer()
    with timer.stage("read"):
        codebook = load_codebook(cfg.codebook.path) if cfg.codebook.path else None
    forced = codebook.multiword_keywords() if codebook else ()
    entry, _ = prepare_corpus(cfg, forced, lambda: _build_corpus(cfg, forced, timer, jobs), timer.stage)
    corpus, segmentation, pre, dtm = entry.corpus, entry.segmentation, entry.preprocessor, entry.dtm
    seeds = None
    keywords: list[dict] = []
    if codebook is not None:
        with timer.stage("codebook"):
            seeds = seed_terms(codebook, dtm.vocab, pre.transform)
            keywords = keyword_report(codebook, seeds, dtm.tokens)
    return Prepared(cfg, corpus, segmentation, pre, dtm, codebook, seeds, keywords, timer)


def _build_corpus(cfg: RunConfig, forced: tuple[str, ...] | list[str], timer: Timer, jobs: int = 1) -> PreparedCorpus:
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
    if prepared.seeds is None or prepared.codebook is None:
        return None
    return [(c, prepared.seeds.weights[c]) for c in prepared.codebook.analysed_ids() if prepared.seeds.weights.get(c)]


def fit_all(prepared: Prepared) -> list[FittedModel]:
    """Fit every model of the config with the run's seed."""
    from topicbook.errors import ConfigError

    cfg = prepared.cfg
    fitted = []
    names: set[str] = set()
    seed_topics = seed_topics_of(prepared)
    if prepared.codebook is not None and not seed_topics:
        raise ConfigError(f"codebook.path: none of the {len(prepared.codebook)} codes of {prepared.codebook.source or 'the codebook'} has a seed term (keyword, name or definition word) in the corpus vocabulary, so no topic can be compared with a code. Check corpus.language and the keywords (`topicbook validate` lists them).")
    for model_cfg in cfg.models:
        name = model_cfg.label
        if name in names:
            raise ConfigError(f"models: two models are named '{name}'. Give one a different `name`.")
        names.add(name)
        if model_cfg.guided and prepared.codebook is None:
            raise ConfigError(f"models: '{name}' has guided: true but the config has no codebook. Set codebook.path or guided: false.")
        with prepared.timer.stage(f"fit:{name}"):
            fitted.append(fit_model(model_cfg, prepared.dtm, cfg.seed, seed_topics if model_cfg.guided else None))
    return fitted


def analyse(prepared: Prepared, fitted: list[FittedModel], jobs: int = 1) -> RunResult:
    """Summaries, evaluation (with stability across `evaluate.stability_seeds` extra seeds, fitted
    in `jobs` processes) and codebook alignment for every fitted model."""
    from topicbook.sweep import stability_by_model

    cfg = prepared.cfg
    segments = prepared.segments
    with prepared.timer.stage("stability"):
        stabilities = stability_by_model(cfg.models, {m.name: m.topic_term for m in fitted}, prepared.dtm,
                                         cfg.seed, cfg.evaluate.stability_seeds, seed_topics_of(prepared), jobs)
    summaries: dict[str, list[TopicSummary]] = {}
    evaluation: dict[str, dict] = {}
    alignments: dict[str, Alignment] = {}
    for model in fitted:
        with prepared.timer.stage(f"summarize:{model.name}"):
            summaries[model.name] = summarize(
                model, prepared.dtm, segments, top_n=max(cfg.report.top_terms, 10),
                quotes=cfg.report.quotes_per_topic, lam=cfg.report.relevance_lambda,
                labels=cfg.report.labels)
        with prepared.timer.stage(f"evaluate:{model.name}"):
            tops = [list(s.top_terms) for s in summaries[model.name]]
            evaluation[model.name] = {
                "type": model.type,
                "n_topics": model.n_topics,
                "coherence": coherence(tops, prepared.dtm.tokens, measures=cfg.evaluate.coherence,
                                       counts=prepared.dtm.counts, vocab=prepared.dtm.vocab),
                "diversity": topic_diversity(_top_terms(model, prepared.dtm, 25)),
                "stability": stabilities.get(model.name),
                **model.fit_stats,
            }
        if prepared.codebook is not None and prepared.seeds is not None:
            with prepared.timer.stage(f"align:{model.name}"):
                alignments[model.name] = align(model, prepared.dtm, prepared.codebook, prepared.seeds,
                                               threshold=cfg.align.threshold, split_ratio=cfg.align.split_ratio)
    agreement = None
    if prepared.codebook is not None and prepared.seeds is not None:
        with prepared.timer.stage("agreement"):
            agreement = evaluate_run(prepared, fitted, alignments)
    return RunResult(prepared, fitted, summaries, evaluation, alignments, agreement)


def _top_terms(model: FittedModel, dtm: DocumentTermMatrix, n: int) -> list[list[str]]:
    import numpy as np

    return [[dtm.vocab[i] for i in np.argsort(-row)[:n]] for row in model.topic_term]


def run(cfg: RunConfig, *, out_dir: Path, name: str | None = None,
        command: list[str] | None = None, jobs: int = 1, record_paths: bool = False) -> tuple[Path, RunResult]:
    """The whole pipeline; returns the committed run folder and the in-memory result.

    `record_paths`: write absolute input/output paths into the manifest (off: none anywhere).
    """
    from topicbook.report.writer import write_run

    timer = Timer()
    prepared = prepare(cfg, timer, jobs=jobs)
    fitted = fit_all(prepared)
    result = analyse(prepared, fitted, jobs=jobs)
    folder = write_run(result, out_dir=out_dir, name=name or cfg.name, command=command, record_paths=record_paths)
    return folder, result

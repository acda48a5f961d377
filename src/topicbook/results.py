"""A run in memory, stage by stage: :class:`Prepared` (everything before fitting) and
:class:`RunResult` (the fitted models and every later stage's typed result).

:mod:`topicbook.pipeline` builds them; :mod:`topicbook.report` writes them into the run folder
and :func:`topicbook.report.run_folder.load_run` reads a folder back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from topicbook.agreement import RunAgreement
from topicbook.align import Alignment
from topicbook.codebook import Codebook, CodeKeywords, SeedTerms
from topicbook.config import RunConfig
from topicbook.evaluate import ModelEvaluation
from topicbook.ingest import Corpus
from topicbook.interrupts import raise_if_interrupted
from topicbook.models import FittedModel
from topicbook.preprocess import DocumentTermMatrix, Preprocessor, PreprocessReport
from topicbook.segment import Segment, Segmentation
from topicbook.summarize import TopicSummary

log = logging.getLogger(__name__)


@dataclass
class Timer:
    """Wall-clock seconds per stage, in order."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as stage `name`. A Ctrl-C that a library swallowed during a run
        (:mod:`topicbook.interrupts`) is raised as the stage begins or ends."""
        raise_if_interrupted()
        start = time.perf_counter()
        log.info("%s ...", name)
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - start, 4)
        raise_if_interrupted()


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
    keywords: tuple[CodeKeywords, ...]
    timer: Timer

    @property
    def segments(self) -> dict[str, Segment]:
        return {s.id: s for s in self.segmentation.segments}

    def input_files(self) -> list[Path]:
        files = list(self.corpus.files)
        for extra in (self.cfg.codebook.path, self.cfg.codings.path, self.cfg.codings.sample, self.cfg.source):
            if extra is not None and Path(extra).is_file():
                files.append(Path(extra))
        return files

    def seed_topics(self) -> list[tuple[str, dict[int, float]]] | None:
        """(code id, {term index: weight}) for every analysed code (leaves, and groups the codings
        use: Codebook.analysed_ids) with a seed term in the vocabulary."""
        if self.seeds is None or self.codebook is None:
            return None
        return [(c, self.seeds.weights[c]) for c in self.codebook.analysed_ids() if self.seeds.weights.get(c)]

    def preprocess_report(self) -> PreprocessReport:
        seg = self.segmentation
        tokens = self.preprocessor.report
        return PreprocessReport(
            documents=len(self.corpus),
            documents_with_speaker_labels=seg.n_documents_with_labels,
            turns_by_role=dict(seg.turns_by_role),
            interviewers=tuple(sorted(seg.roles.interviewers)),
            interviewer_method=seg.roles.method,
            interviewer_evidence=tuple(seg.roles.evidence),
            segments=len(seg.segments),
            segments_modelled=len(self.dtm.segment_ids),
            dropped_short_pieces=tuple(seg.dropped),
            tokens_after_step=dict(tokens.steps),
            vocabulary_size=tokens.vocabulary,
            phrases_learned=tokens.n_phrases,
            dropped_segments=tuple(tokens.dropped_segments),
            empty_documents=tuple(tokens.empty_documents),
            warnings=(*self.corpus.warnings, *seg.warnings, *tokens.warnings()),
            noise_removed=dict(tokens.noise),
        )


@dataclass
class RunResult:
    """A finished run in memory: the prepared corpus and, per model, its outputs."""

    prepared: Prepared
    models: list[FittedModel]
    summaries: dict[str, list[TopicSummary]]
    evaluation: dict[str, ModelEvaluation]
    alignments: dict[str, Alignment]
    agreement: RunAgreement | None = None

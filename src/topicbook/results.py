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
from functools import cached_property
from pathlib import Path

from topicbook.agreement import RunAgreement
from topicbook.align import Alignment
from topicbook.codebook import Codebook, CodeKeywords, SeedTerms
from topicbook.codings import HumanCodings, human_codings
from topicbook.config import RunConfig
from topicbook.deidentify import deidentifier_from_config
from topicbook.evaluate import ModelEvaluation
from topicbook.ingest import Corpus
from topicbook.ingest.comments import comment_files
from topicbook.interrupts import raise_if_interrupted
from topicbook.models import FittedModel
from topicbook.preprocess import DocumentTermMatrix, Preprocessor, PreprocessReport
from topicbook.segment import Segment, Segmentation
from topicbook.summarize import TopicSummary
from topicbook.verdicts import VerdictTable

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
    """Everything before fitting: corpus, segments, tokens, matrix, codebook and seeds; the
    human codings and the analysed codes are read on first use (:attr:`codings`)."""

    cfg: RunConfig
    corpus: Corpus
    segmentation: Segmentation
    preprocessor: Preprocessor
    dtm: DocumentTermMatrix
    codebook: Codebook | None
    seeds: SeedTerms | None
    keywords: tuple[CodeKeywords, ...]
    timer: Timer
    _human: tuple[HumanCodings | None] | None = field(default=None, init=False, repr=False)

    @property
    def segments(self) -> dict[str, Segment]:
        return {s.id: s for s in self.segmentation.segments}

    def input_files(self) -> list[Path]:
        """The files the run read (their SHA-256s go into the manifest): the corpus, the
        codebook, the codings (each .docx of a codings folder) and the config."""
        files = list(self.corpus.files)
        for extra in (self.cfg.codebook.path, self.cfg.codings.path, self.cfg.codings.sample, self.cfg.source):
            if extra is not None and Path(extra).is_file():
                files.append(Path(extra))
            elif extra is not None and Path(extra).is_dir():
                files.extend(comment_files(Path(extra)))
        return files

    def human_codings(self) -> HumanCodings | None:
        """The researcher's codings placed on the modelled segments (codings.path, or a table
        corpus's codes column), read on first use; None without codings or without a codebook
        (codes are placed through the codebook). Raises InputError for a missing file, wrong
        columns, or codings of which none can be placed."""
        if self._human is None:
            found = None
            if self.codebook is not None:
                cfg = self.cfg
                deidentifier = deidentifier_from_config(cfg.preprocess.deidentify, cfg.preprocess.deidentify_names)
                found = human_codings(cfg.codings.path, corpus=self.corpus, segments=self.segmentation.segments,
                                      segment_ids=self.dtm.segment_ids, codebook=self.codebook,
                                      codes_source=f"{cfg.corpus.path.name}: {cfg.corpus.codes_column}",
                                      deidentify=deidentifier.apply if deidentifier else None)
            self._human = (found,)
        return self._human[0]

    @cached_property
    def analysed(self) -> Codebook | None:
        """The codes a run seeds, aligns, scores and gives a structure of their own: every leaf,
        and every group (parent code) the human codings apply (Codebook.analysed_ids); None
        without a codebook. `codebook` stays whole for codebook.yaml and the exports; a group
        outside this set gets its verdicts through its subcodes. Reads the codings (so
        `fit_all` reads them before fitting; `validate` too, through `check_before_fit`)."""
        if self.codebook is None:
            return None
        human = self.human_codings()
        used = human.used_codes() if human is not None else ()
        return self.codebook.subset(self.codebook.analysed_ids(used))

    def seed_topics(self) -> list[tuple[str, dict[int, float]]] | None:
        """(code id, {term index: weight}) for every analysed code (:attr:`analysed`) with a
        seed term in the vocabulary."""
        if self.seeds is None or self.analysed is None:
            return None
        return [(c, self.seeds.weights[c]) for c in self.analysed.ids() if self.seeds.weights.get(c)]

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
            page_break_repeats=dict(self.corpus.page_break_repeats),
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
    verdicts: VerdictTable | None = None

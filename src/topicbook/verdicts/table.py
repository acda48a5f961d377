"""The whole verdict in one call (:func:`verdict_table`): presence per code, structure per model,
emergent and procedural topics, and, with human codings, the verdicts' own accuracy. Its
`rows()` are verdicts.csv, its `to_json()` is verdicts.json."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from topicbook.codebook import Codebook
from topicbook.models import FittedModel
from topicbook.preprocess import DocumentTermMatrix
from topicbook.scoring import FeatureSpaces
from topicbook.stability import Refit
from topicbook.verdicts._json import JsonMixin
from topicbook.verdicts.presence import CodePresence, PresenceSettings, evidence, presence
from topicbook.verdicts.procedural import procedural_terms
from topicbook.verdicts.structure import ModelStructure, StructureSettings, structure

TOP_QUOTES = 10
PRESENCE_DEFAULTS = PresenceSettings()
STRUCTURE_DEFAULTS = StructureSettings()
CSV_COLUMNS = ("code", "name", "presence", "support", "expected_false", "documents", "cutoff", "p_value")


@dataclass(frozen=True)
class MatchPrecision(JsonMixin):
    """One own_topic/split/merged match judged by human codings: of the topic's 10 highest-weight
    segments among coded documents, the share humans coded with the code (precision), against
    the code's share of all coded segments (base_rate)."""

    model: str
    code: str
    topic: int
    status: str
    precision: float
    base_rate: float


@dataclass(frozen=True)
class PresenceCheck(JsonMixin):
    """Presence against human presence for one code: human_segments and human_documents are its
    coded segments and the documents they come from (among coded documents)."""

    code: str
    presence: str
    human_segments: int
    human_documents: int


@dataclass(frozen=True)
class VerdictEvaluation(JsonMixin):
    """The run's verdicts scored against human codings: per code presence vs human presence,
    per match its precision; mean_precision, mean_base_rate over the matches."""

    presence: tuple[PresenceCheck, ...]
    matches: tuple[MatchPrecision, ...]
    mean_precision: float | None
    mean_base_rate: float | None


@dataclass(frozen=True)
class VerdictTable(JsonMixin):
    """Everything verdicts.csv and verdicts.json hold."""

    settings: dict
    presence: tuple[CodePresence, ...]
    models: tuple[ModelStructure, ...]
    evaluation: VerdictEvaluation | None = None

    def columns(self) -> list[str]:
        """verdicts.csv columns: CSV_COLUMNS, one `status:<model>` per model, then quotes."""
        return [*CSV_COLUMNS, *(f"status:{m.model}" for m in self.models), "quotes"]

    def rows(self) -> list[dict]:
        """verdicts.csv: one row per code (codebook order); `quotes` are segment ids separated by spaces."""
        out = []
        for i, v in enumerate(self.presence):
            row = {"code": v.code, "name": v.name, "presence": v.presence, "support": v.support,
                   "expected_false": v.expected_false, "documents": v.documents, "cutoff": v.cutoff,
                   "p_value": v.p_value}
            for m in self.models:
                cs = m.codes[i]
                row[f"status:{m.model}"] = cs.status + (" (unstable)" if cs.unstable else "")
            row["quotes"] = " ".join(v.quotes)
            out.append(row)
        return out

    def counts(self) -> dict[str, int]:
        """Codes per presence verdict: {'present': n, 'uncertain': n, 'absent': n}."""
        return {p: sum(v.presence == p for v in self.presence) for p in ("present", "uncertain", "absent")}


def verdict_table(dtm: DocumentTermMatrix, codebook: Codebook, transform: Callable[[str], list[str]],
                  documents: Sequence[str], models: Sequence[FittedModel], *,
                  refits: Mapping[str, Sequence[Refit]] | None = None, language: str = "en",
                  labels: np.ndarray | None = None, coded: np.ndarray | None = None,
                  space: FeatureSpaces | None = None,
                  presence_settings: PresenceSettings = PRESENCE_DEFAULTS,
                  structure_settings: StructureSettings = STRUCTURE_DEFAULTS) -> VerdictTable:
    """Presence, structure and (with `labels`) evaluation for one run.

    dtm: the run's matrix; documents: (n_segments,) document id per dtm row, in row order
    (procedural position uses this order: first/last row of a document); models: fitted on
    the same rows; refits: model name -> its stability re-fits (stability.stability_refits);
    labels: (n_segments, n_codes) human codes, coded: (n_segments,) rows of coded documents
    (default: all); space: the run's FeatureSpaces (scoring.feature_spaces), if at hand.
    """
    ev = evidence(dtm, codebook, transform, documents, presence_settings, space=space)
    verdicts = presence(ev, codebook, presence_settings)
    lexicon = procedural_terms(dtm.vocab, transform, language)
    structures = tuple(structure(m, ev, verdicts, refits=(refits or {}).get(m.name), lexicon=lexicon,
                                 settings=structure_settings) for m in models)
    evaluation = None
    if labels is not None:
        evaluation = evaluate_verdicts(verdicts, structures, models, labels, documents,
                                       np.ones(len(documents), dtype=bool) if coded is None else coded)
    settings = {"presence": presence_settings.__dict__.copy(), "structure": structure_settings.__dict__.copy(),
                "language": language, "refits": {k: len(v) for k, v in (refits or {}).items()}}
    return VerdictTable(settings, verdicts, structures, evaluation)


def evaluate_verdicts(verdicts: Sequence[CodePresence], structures: Sequence[ModelStructure],
                      models: Sequence[FittedModel], labels: np.ndarray, documents: Sequence[str],
                      coded: np.ndarray) -> VerdictEvaluation:
    """Presence against human presence per code, and the precision of every own_topic, split and
    merged match (see MatchPrecision). labels: (n_segments, n_codes); coded: (n_segments,) bool."""
    docs = np.asarray(documents)
    y = labels & coded[:, None]
    checks = tuple(PresenceCheck(v.code, v.presence, int(y[:, c].sum()), len(set(docs[y[:, c]])))
                   for c, v in enumerate(verdicts))
    rows = np.flatnonzero(coded)
    by_name = {m.name: m for m in models}
    matches = []
    for st in structures:
        theta = by_name[st.model].doc_topic[rows]
        for c, cs in enumerate(st.codes):
            if cs.status not in ("own_topic", "split", "merged"):
                continue
            base = float(y[rows, c].mean()) if rows.size else 0.0
            for k in cs.topics:
                top = rows[np.argsort(-theta[:, k], kind="stable")[:TOP_QUOTES]]
                matches.append(MatchPrecision(st.model, cs.code, int(k), cs.status,
                                              round(float(y[top, c].mean()), 4), round(base, 4)))
    mean_p = round(float(np.mean([m.precision for m in matches])), 4) if matches else None
    mean_b = round(float(np.mean([m.base_rate for m in matches])), 4) if matches else None
    return VerdictEvaluation(checks, tuple(matches), mean_p, mean_b)

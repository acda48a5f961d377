"""The whole verdict in one call (:func:`verdict_table`): presence per code, structure per model,
emergent and procedural topics, and, with human codings, the verdicts' own accuracy. Its
`rows()` are verdicts.csv, its `to_json()` is verdicts.json.

With `analysed` (a run's analysed codes: leaves, and groups the codings use), structure is
computed for those codes only and the other groups get theirs from their subcodes
(:mod:`.groups`); presence covers every code either way."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from topicbook.codebook import Codebook
from topicbook.ids import topic_id
from topicbook.models import FittedModel
from topicbook.pairing import column_correlations
from topicbook.preprocess import DocumentTermMatrix
from topicbook.scoring import FeatureSpaces
from topicbook.stability import Refit
from topicbook.verdicts._json import JsonMixin
from topicbook.verdicts.groups import group_structure
from topicbook.verdicts.presence import (
    CodePresence,
    Evidence,
    PresenceSettings,
    descendants,
    evidence,
    presence,
)
from topicbook.verdicts.procedural import procedural_terms
from topicbook.verdicts.structure import (
    STATUSES,
    TOPIC_STATUSES,
    ModelStructure,
    StructureSettings,
    structure,
)

TOP_QUOTES = 10
PRESENCE_DEFAULTS = PresenceSettings()
STRUCTURE_DEFAULTS = StructureSettings()
CSV_COLUMNS = ("code", "name", "presence", "support", "expected_false", "documents", "cutoff", "p_value")
STRUCTURE_COLUMNS = ("model", "status", "topic", "topic_label", "code", "similarity", "cutoff", "stability",
                     "unstable", "with_codes")


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
    """Everything verdicts.csv and verdicts.json hold.

    presence: one verdict per code (codebook order); models: one ModelStructure per model, each
    with a status for every code; analysed: the codes with a structure of their own (the
    columns of `similarity`; every code unless verdict_table was given `analysed`); similarity:
    per model, the correlation of each topic with each analysed code's evidence, (n_topics,
    n_analysed) rounded to 4 decimals (what a match must beat the null with)."""

    settings: dict
    presence: tuple[CodePresence, ...]
    models: tuple[ModelStructure, ...]
    evaluation: VerdictEvaluation | None = None
    analysed: tuple[str, ...] = ()
    similarity: dict[str, tuple[tuple[float, ...], ...]] = field(default_factory=dict)

    def model(self, name: str) -> ModelStructure:
        """The structure of the model called `name`."""
        return next(m for m in self.models if m.model == name)

    def status_counts(self, name: str) -> dict[str, int]:
        """Codes per structure status in one model, every status of STATUSES (0 included)."""
        codes = self.model(name).codes
        return {s: sum(c.status == s for c in codes) for s in STATUSES}

    def topic_counts(self, name: str) -> dict[str, int]:
        """Topics per status in one model: carries_codes, explained, emergent, procedural."""
        topics = self.model(name).topics
        return {s: sum(t.status == s for t in topics) for s in TOPIC_STATUSES}

    def structure_rows(self, topic_labels: Mapping[str, Sequence[str]]) -> list[dict]:
        """alignment.csv (STRUCTURE_COLUMNS): per model, one row per code and topic behind its
        status (own_topic, split, merged: its matched topics, with similarity, null cut-off and
        the share of re-fits holding the match; present_without_topic: the topics holding most
        of its evidence; absent, or no such topic: one row without a topic), then one row per
        explained (with_codes: the codes whose evidence explains it), emergent or procedural
        topic. topic_labels: model -> label of each topic."""
        rows: list[dict] = []
        for m in self.models:
            labels = topic_labels.get(m.model, ())
            for cs in m.codes:
                if not cs.topics:
                    rows.append(_structure_row(m.model, labels, cs.status, None, cs.code))
                    continue
                matched = cs.status in ("own_topic", "split", "merged")
                for i, k in enumerate(cs.topics):
                    rows.append(_structure_row(m.model, labels, cs.status, k, cs.code,
                                               similarity=cs.similarity[i] if i < len(cs.similarity) else "",
                                               cutoff=cs.cutoff[i] if i < len(cs.cutoff) and cs.cutoff[i] is not None else "",
                                               stability=cs.stability[i] if i < len(cs.stability) else "",
                                               unstable=cs.unstable if matched else "",
                                               with_codes=" ".join(cs.with_codes)))
            rows.extend(_structure_row(m.model, labels, t.status, t.topic, with_codes=" ".join(t.explained_by))
                        for t in m.topics if t.status != "carries_codes")
        return rows

    def unstable(self, name: str) -> int:
        """Codes of one model whose status rests on a match that holds in fewer than half the re-fits."""
        return sum(c.unstable for c in self.model(name).codes)

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


def _structure_row(model: str, labels: Sequence[str], status: str, k: int | None, code: str = "",
                   **values: object) -> dict:
    """One row of alignment.csv (STRUCTURE_COLUMNS); columns not in `values` stay empty."""
    return {"model": model, "status": status, "topic": "" if k is None else topic_id(k),
            "topic_label": labels[k] if k is not None and k < len(labels) else "", "code": code,
            "similarity": "", "cutoff": "", "stability": "", "unstable": "", "with_codes": "", **values}


def verdict_table(dtm: DocumentTermMatrix, codebook: Codebook, transform: Callable[[str], list[str]],
                  documents: Sequence[str], models: Sequence[FittedModel], *,
                  refits: Mapping[str, Sequence[Refit]] | None = None, language: str = "en",
                  labels: np.ndarray | None = None, coded: np.ndarray | None = None,
                  space: FeatureSpaces | None = None, analysed: Collection[str] | None = None,
                  presence_settings: PresenceSettings = PRESENCE_DEFAULTS,
                  structure_settings: StructureSettings = STRUCTURE_DEFAULTS) -> VerdictTable:
    """Presence, structure and (with `labels`) evaluation for one run.

    dtm: the run's matrix; documents: (n_segments,) document id per dtm row, in row order
    (procedural position uses this order: first/last row of a document); models: fitted on
    the same rows; refits: model name -> its stability re-fits (stability.stability_refits);
    labels: (n_segments, n_codes) human codes, coded: (n_segments,) rows of coded documents
    (default: all); space: the run's FeatureSpaces (scoring.feature_spaces), if at hand;
    analysed: the codes with a structure of their own (default: all); every other code must be
    a group, whose status comes from its subcodes.
    """
    ev = evidence(dtm, codebook, transform, documents, presence_settings, space=space, language=language)
    verdicts = presence(ev, codebook, presence_settings)
    ids = codebook.ids()
    below = descendants(codebook)
    if analysed is None:
        keep = list(range(len(ids)))
    else:
        wanted = set(analysed)
        keep = [i for i, c in enumerate(ids) if c in wanted]
        strays = [c for i, c in enumerate(ids) if c not in wanted and not below[c]]
        if strays:
            raise ValueError(f"verdict_table: codes outside `analysed` must be groups; {', '.join(strays)} are not.")
    ev_a = ev if len(keep) == len(ids) else _columns(ev, keep)
    verdicts_a = tuple(verdicts[i] for i in keep)
    lexicon = procedural_terms(dtm.vocab, transform, language)
    own = tuple(structure(m, ev_a, verdicts_a, refits=(refits or {}).get(m.name), lexicon=lexicon,
                          settings=structure_settings) for m in models)
    structures = own if len(keep) == len(ids) else tuple(
        _with_groups(st, m, ev, verdicts, below, structure_settings) for st, m in zip(own, models, strict=True))
    evaluation = None
    if labels is not None:
        evaluation = evaluate_verdicts(verdicts, own, models, labels, documents,
                                       np.ones(len(documents), dtype=bool) if coded is None else coded, groups=below)
    settings = {"presence": presence_settings.__dict__.copy(), "structure": structure_settings.__dict__.copy(),
                "language": language, "refits": {k: len(v) for k, v in (refits or {}).items()}}
    similarity = {m.name: tuple(tuple(round(float(v), 4) for v in row)
                                for row in column_correlations(m.doc_topic, ev_a.scores)) for m in models}
    return VerdictTable(settings, verdicts, structures, evaluation, ev_a.code_ids, similarity)


def _columns(ev: Evidence, keep: Sequence[int]) -> Evidence:
    """The evidence of the codes at positions `keep` only (the null score columns stay)."""
    return Evidence(tuple(ev.code_ids[i] for i in keep), ev.segment_ids, ev.documents, ev.scores[:, keep],
                    ev.cutoffs[keep], ev.mask[:, keep], ev.null_counts[keep], ev.n_terms[keep], ev.null_scores,
                    None if ev.coverage is None else ev.coverage[keep], None if ev.n_words is None else ev.n_words[keep],
                    tuple(ev.evidence_terms[i] for i in keep) if ev.evidence_terms else ())


def _with_groups(own: ModelStructure, model: FittedModel, ev: Evidence, verdicts: Sequence[CodePresence],
                 below: Mapping[str, Sequence[str]], settings: StructureSettings) -> ModelStructure:
    """`own` (the analysed codes' statuses) with every other group's status from its subcodes, in codebook order."""
    by_code = {c.code: c for c in own.codes}
    codes = tuple(by_code[v.code] if v.code in by_code else
                  group_structure(own, v, below[v.code], model.doc_topic, ev.mask[:, i], settings.where_topics)
                  for i, v in enumerate(verdicts))
    return ModelStructure(own.model, own.n_topics, codes, own.topics)


def evaluate_verdicts(verdicts: Sequence[CodePresence], structures: Sequence[ModelStructure],
                      models: Sequence[FittedModel], labels: np.ndarray, documents: Sequence[str],
                      coded: np.ndarray, *, groups: Mapping[str, Sequence[str]] | None = None) -> VerdictEvaluation:
    """Presence against human presence per code, and the precision of every own_topic, split and
    merged match (see MatchPrecision). labels: (n_segments, n_codes) over the codes of
    `verdicts`; coded: (n_segments,) bool; structures may cover a subset of those codes.
    groups: code -> its descendants (presence.descendants): a group's human presence is its
    own and its descendants' codings (without: its own only)."""
    docs = np.asarray(documents)
    y = labels & coded[:, None]
    column = {v.code: c for c, v in enumerate(verdicts)}
    heard = y.copy()
    for code, below in (groups or {}).items():
        for child in below:
            heard[:, column[code]] |= y[:, column[child]]
    checks = tuple(PresenceCheck(v.code, v.presence, int(heard[:, c].sum()), len(set(docs[heard[:, c]])))
                   for c, v in enumerate(verdicts))
    rows = np.flatnonzero(coded)
    by_name = {m.name: m for m in models}
    matches = []
    for st in structures:
        theta = by_name[st.model].doc_topic[rows]
        for cs in st.codes:
            if cs.status not in ("own_topic", "split", "merged"):
                continue
            c = column[cs.code]
            base = float(y[rows, c].mean()) if rows.size else 0.0
            for k in cs.topics:
                top = rows[np.argsort(-theta[:, k], kind="stable")[:TOP_QUOTES]]
                matches.append(MatchPrecision(st.model, cs.code, int(k), cs.status,
                                              round(float(y[top, c].mean()), 4), round(base, 4)))
    mean_p = round(float(np.mean([m.precision for m in matches])), 4) if matches else None
    mean_b = round(float(np.mean([m.base_rate for m in matches])), 4) if matches else None
    return VerdictEvaluation(checks, tuple(matches), mean_p, mean_b)

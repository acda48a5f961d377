"""Structure: how does each model carry each code? Exactly one status per code and model.

Similarity of topic k and code c: the Pearson correlation, over segments, of the topic's
weight theta_k and the code's evidence score (the raw word cosine of
:mod:`topicbook.verdicts.presence`). A topic carries a code (a *match*) when that correlation
beats the same kind of null: it must exceed the `match_quantile` of the correlations of
theta_k with the pseudo-codes' scores (Evidence.null_scores), so a similarity that random
codes reach is no match. Codes whose presence is `absent` match nothing.

Statuses, in this order:
- `absent`: presence says absent;
- `split`: at least two matched topics carry it, each with at least `split_ratio` of its best
  match's similarity;
- `own_topic`: one topic carries it and it leads that topic (no other matched code of the
  topic reaches `split_ratio` of its similarity);
- `merged`: its one topic carries it together with other codes (named in `with_codes`);
- `present_without_topic`: present or uncertain, but no topic beats the null; `topics` names
  the topics that hold most of its evidence segments (by summed theta over them).

Stability: with re-fits (stability.stability_refits), each match is looked for again in every
re-fit: the re-fit topic paired with k by the Hungarian matching of topic-term cosines must
beat the null on the re-fit's rows too. `stability` is the share of re-fits in which it does;
a match holding in fewer than `min_stable` of them is marked unstable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from topicbook.evaluate import match_topics
from topicbook.models import FittedModel
from topicbook.pairing import column_correlations
from topicbook.stability import Refit
from topicbook.verdicts._json import JsonMixin
from topicbook.verdicts.presence import CodePresence, Evidence
from topicbook.verdicts.procedural import edge_segments, is_procedural, procedural_signals

STATUSES = ("own_topic", "split", "merged", "present_without_topic", "absent")
TOPIC_STATUSES = ("carries_codes", "emergent", "procedural")


@dataclass(frozen=True)
class StructureSettings:
    """Fixed settings of the structure verdict (set in advance, not tuned on labels)."""

    match_quantile: float = 0.99  # a match beats this quantile of the pseudo-codes' correlations
    split_ratio: float = 0.6      # topics/codes within this share of the best one count alike
    min_stable: float = 0.5       # matches holding in fewer re-fits than this share are unstable
    where_topics: int = 3         # topics named for present_without_topic


@dataclass(frozen=True)
class CodeStructure(JsonMixin):
    """One code in one model. topics: 0-based topic ids (matched topics, best first; for
    present_without_topic the topics holding most of its evidence); similarity, cutoff: per
    topic, the correlation and the null's cut-off for that topic; stability: per matched topic,
    the share of re-fits where the match holds (empty without re-fits); unstable: a matched
    topic holds in fewer than min_stable of the re-fits; with_codes: the other codes of a
    merged topic."""

    model: str
    code: str
    status: str
    topics: tuple[int, ...] = ()
    similarity: tuple[float, ...] = ()
    cutoff: tuple[float, ...] = ()
    stability: tuple[float, ...] = ()
    unstable: bool = False
    with_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TopicVerdict(JsonMixin):
    """One topic: `carries_codes` (codes: the matched codes, best first), `emergent` (no code's
    evidence explains it) or `procedural` (interview routine; only for topics carrying no code).
    lexicon, position: the procedural signals; evidence_share: share of the topic's weight on
    segments that are evidence of some present or uncertain code."""

    model: str
    topic: int
    status: str
    codes: tuple[str, ...] = ()
    lexicon: float = 0.0
    position: float = 0.0
    evidence_share: float = 0.0


@dataclass(frozen=True)
class ModelStructure(JsonMixin):
    """A model's statuses: one CodeStructure per code (codebook order), one TopicVerdict per topic."""

    model: str
    n_topics: int
    codes: tuple[CodeStructure, ...]
    topics: tuple[TopicVerdict, ...]

    def status(self, code: str) -> str:
        return next(c.status for c in self.codes if c.code == code)


def match_cutoffs(doc_topic: np.ndarray, null_scores: np.ndarray, quantile: float) -> np.ndarray:
    """Per topic (n_topics,): the `quantile` of its correlations with the pseudo-code scores."""
    if null_scores.shape[1] == 0:
        return np.full(doc_topic.shape[1], np.inf)
    return np.quantile(column_correlations(doc_topic, null_scores), quantile, axis=1)


def structure(model: FittedModel, ev: Evidence, verdicts: Sequence[CodePresence], *,
              refits: Sequence[Refit] | None = None, lexicon: np.ndarray | None = None,
              settings: StructureSettings = StructureSettings()) -> ModelStructure:
    """Statuses of every code and topic in one model (see the module docstring).

    model.doc_topic must cover the Evidence rows in order; lexicon: bool (n_terms,) procedural
    terms (procedural.procedural_terms), None for no procedural labels.
    """
    theta = model.doc_topic
    sim = column_correlations(theta, ev.scores)  # (K, C)
    cut = match_cutoffs(theta, ev.null_scores, settings.match_quantile)
    usable = np.array([v.presence != "absent" for v in verdicts])
    matched = (sim > cut[:, None]) & usable[None, :]
    stability = _stability(model, ev, matched, refits or [], settings) if refits else {}
    codes = []
    for c, verdict in enumerate(verdicts):
        codes.append(_code_status(model.name, c, verdict, sim, cut, matched, stability, ev, theta, settings))
    topics = _topic_verdicts(model, ev, matched, usable, lexicon)
    return ModelStructure(model.name, model.n_topics, tuple(codes), tuple(topics))


def _code_status(name: str, c: int, verdict: CodePresence, sim: np.ndarray, cut: np.ndarray,
                 matched: np.ndarray, stability: dict[tuple[int, int], float], ev: Evidence,
                 theta: np.ndarray, settings: StructureSettings) -> CodeStructure:
    code = verdict.code
    if verdict.presence == "absent":
        return CodeStructure(name, code, "absent")
    mine = [int(k) for k in np.argsort(-sim[:, c], kind="stable") if matched[k, c]]
    if not mine:
        mass = theta[ev.mask[:, c]].sum(axis=0)
        where = [int(k) for k in np.argsort(-mass, kind="stable")[:settings.where_topics] if mass[k] > 0]
        return CodeStructure(name, code, "present_without_topic", tuple(where),
                             tuple(round(float(sim[k, c]), 4) for k in where),
                             tuple(round(float(cut[k]), 4) for k in where))
    best = sim[mine[0], c]
    strong = [k for k in mine if sim[k, c] >= settings.split_ratio * best]
    stab = tuple(round(stability[(k, c)], 3) for k in strong if (k, c) in stability)
    unstable = bool(stab) and min(stab) < settings.min_stable
    fields = dict(topics=tuple(strong), similarity=tuple(round(float(sim[k, c]), 4) for k in strong),
                  cutoff=tuple(round(float(cut[k]), 4) for k in strong), stability=stab, unstable=unstable)
    if len(strong) >= 2:
        return CodeStructure(name, code, "split", **fields)  # type: ignore[arg-type]
    k = strong[0]
    others = [j for j in np.argsort(-sim[k], kind="stable") if matched[k, j] and j != c]
    lead = max(sim[k, c], *(sim[k, j] for j in others)) if others else sim[k, c]
    leaders = [j for j in [c, *others] if sim[k, j] >= settings.split_ratio * lead]
    if leaders == [c]:
        return CodeStructure(name, code, "own_topic", **fields)  # type: ignore[arg-type]
    return CodeStructure(name, code, "merged", with_codes=tuple(ev.code_ids[j] for j in others), **fields)  # type: ignore[arg-type]


def _stability(model: FittedModel, ev: Evidence, matched: np.ndarray, refits: Sequence[Refit],
               settings: StructureSettings) -> dict[tuple[int, int], float]:
    """(topic, code) -> share of re-fits in which the match holds."""
    holds: dict[tuple[int, int], int] = {}
    pairs = list(zip(*np.nonzero(matched), strict=True))
    for refit in refits:
        order, _ = match_topics(model.topic_term, refit.topic_term)
        sim = column_correlations(refit.doc_topic, ev.scores[refit.rows])
        cut = match_cutoffs(refit.doc_topic, ev.null_scores[refit.rows], settings.match_quantile)
        for k, c in pairs:
            j = order[k]
            holds[(int(k), int(c))] = holds.get((int(k), int(c)), 0) + int(sim[j, c] > cut[j])
    return {pair: n / len(refits) for pair, n in holds.items()}


def _topic_verdicts(model: FittedModel, ev: Evidence, matched: np.ndarray, usable: np.ndarray,
                    lexicon: np.ndarray | None) -> list[TopicVerdict]:
    theta = model.doc_topic
    any_evidence = ev.mask[:, usable].any(axis=1) if usable.any() else np.zeros(theta.shape[0], dtype=bool)
    weight = theta.sum(axis=0)
    share = np.divide(theta[any_evidence].sum(axis=0), weight, out=np.zeros_like(weight), where=weight > 0)
    if lexicon is not None:
        lex, pos = procedural_signals(theta, model.topic_term, lexicon, edge_segments(ev.documents))
    else:
        lex, pos = np.zeros(model.n_topics), np.zeros(model.n_topics)
    sim = column_correlations(theta, ev.scores)
    sim_order = [[ev.code_ids[c] for c in np.argsort(-sim[k], kind="stable") if matched[k, c]] for k in range(model.n_topics)]
    out = []
    for k in range(model.n_topics):
        if sim_order[k]:
            status = "carries_codes"
        elif lexicon is not None and is_procedural(float(lex[k]), float(pos[k])):
            status = "procedural"
        else:
            status = "emergent"
        out.append(TopicVerdict(model.name, k, status, tuple(sim_order[k]), round(float(lex[k]), 4),
                                round(float(pos[k]), 4), round(float(share[k]), 4)))
    return out

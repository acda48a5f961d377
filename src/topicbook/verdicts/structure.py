"""Structure: how does each model carry each code? Exactly one status per code and model.

Similarity of topic k and code c: the Pearson correlation, over segments, of the topic's
weight theta_k and the code's evidence score (the raw word cosine of
:mod:`topicbook.verdicts.presence`). A topic carries a code (a *match*) when two tests agree:

- the correlation beats the same kind of null: against the correlations of theta_k with the
  pseudo-codes' scores (Evidence.null_scores; a normal tail from their mean and sd), with the
  Benjamini-Hochberg false discovery rate `match_fdr` over all topic-code pairs of the model,
  so that a codebook of 96 codes does not collect 1% false matches of each of its 960 pairs;
- the topic's `top_quotes` highest-weight segments (the quotes a reader sees) hold the code's
  evidence segments more often than the code's share of all segments: at least
  `min_quote_overlap` of them, with a binomial tail, Benjamini-Hochberg at `quote_fdr`.

Round 3: a topic carries only its leading codes, those within `lead_ratio` of the best
correlation among the codes it matched (a code that passes both tests on a topic that another
code leads by far is not carried there: most names-only matches were such `merged` ones); and
a matched code is also `split` over topics whose top-quote test passes with a share of its
evidence of at least `split_ratio` x that of its best match (a code spread over two themes is
carried by both topics' quotes even when its correlation with each is halved).

Round 4 (chosen by the worst case over five NHS development samples): `lead_ratio` 0.9 (round
3: 0.6; a topic carries its best code and the codes that nearly tie with it, so `merged`
stays a near-tie of codes on one topic), and a split over quoted topics needs a correlation of
at least `split_quote_similarity` x that of the code's best match (a topic whose top quotes
contain the code's words but whose weights do not follow its evidence at all is not a part
of it).

`match_fdr=None` falls back to round 1's rule (the correlation above the topic's
`match_quantile` of the pseudo-code correlations) and `quote_fdr=None` drops the quote test.
Codes whose presence is `absent` match nothing.

Statuses, in this order:
- `absent`: presence says absent;
- `split`: at least two topics carry it: matched topics with at least `split_ratio` of its best
  match's similarity, and (split_quotes) topics whose top quotes pass the quote test with at
  least `split_ratio` of its best match's quote share and whose similarity is at least
  `split_quote_similarity` of its best match's;
- `own_topic`: one topic carries it and it leads that topic (no other matched code of the
  topic reaches `split_ratio` of its similarity);
- `merged`: its one topic carries it together with other codes (`with_codes` names the
  topic's leading other codes, at most WITH_CODES_SHOWN, best first);
- `present_without_topic`: present or uncertain, but no topic beats the null; `topics` names
  the topics that hold most of its evidence segments (by summed theta over them).

Topics, in this order: `carries_codes` (it carries at least one code); `procedural` (interview
routine, :mod:`.procedural`); `explained` (it carries no code, but some code's evidence is
among its `top_quotes` segments more often than the presence null allows: at least
`min_quote_overlap` of them, binomial tail against the rate at which the code's pseudo-codes
pass its cut-off, Benjamini-Hochberg at `quote_fdr` over those pairs; `explained_by` names
the codes: the topic is a mixture of known codes, not a new theme); `emergent` otherwise: no
code's evidence explains its segments, a candidate new theme.

Stability: with re-fits (stability.stability_refits), each match is looked for again in every
re-fit: the re-fit topic paired with k by the Hungarian matching of topic-term cosines must
beat the null on the re-fit's rows too. `stability` is the share of re-fits in which it does;
a match holding in fewer than `min_stable` of them is marked unstable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.stats import binom, false_discovery_control, norm

from topicbook.evaluate import match_topics
from topicbook.models import FittedModel
from topicbook.pairing import column_correlations
from topicbook.stability import Refit
from topicbook.verdicts._json import JsonMixin
from topicbook.verdicts.presence import CodePresence, Evidence
from topicbook.verdicts.procedural import edge_segments, is_procedural, procedural_signals

STATUSES = ("own_topic", "split", "merged", "present_without_topic", "absent")
TOPIC_STATUSES = ("carries_codes", "explained", "emergent", "procedural")
WITH_CODES_SHOWN = 10  # a merged code names at most this many other codes of its topic (the leading ones)


@dataclass(frozen=True)
class StructureSettings:
    """Fixed settings of the structure verdict (set in advance, not tuned on labels)."""

    match_quantile: float = 0.99  # round 1 (match_fdr None): beat this quantile of the pseudo-codes' correlations
    split_ratio: float = 0.6      # topics/codes within this share of the best one count alike
    min_stable: float = 0.5       # matches holding in fewer re-fits than this share are unstable
    where_topics: int = 3         # topics named for present_without_topic
    # Second round (chosen on the NHS development half; None switches a test off):
    match_fdr: float | None = 0.05  # false discovery rate of the correlation test over the model's pairs
    quote_fdr: float | None = 0.05  # ... of the top-quote test
    top_quotes: int = 10          # the topic's quotes judged by the top-quote test
    min_quote_overlap: int = 2    # a match needs at least this many of them to be evidence of the code
    # Third round (chosen on the NHS development half; None switches it off):
    lead_ratio: float | None = 0.9  # a topic carries only codes within this share of its best code's similarity (round 3: 0.6)
    split_quotes: bool = True     # split also over topics whose top quotes are its evidence nearly as often (split_ratio)
    # Fourth round (chosen on five NHS development samples by the worst case; None switches it off):
    split_quote_similarity: float | None = 0.2  # ... and whose similarity is at least this share of its best match's


@dataclass(frozen=True)
class CodeStructure(JsonMixin):
    """One code in one model. topics: 0-based topic ids (matched topics, best first; for
    present_without_topic the topics holding most of its evidence); similarity, cutoff: per
    topic, the correlation and the null's cut-off for that topic (None where no correlation
    passes: no pair of the model passes the FDR test); stability: per matched topic,
    the share of re-fits where the match holds (empty without re-fits); unstable: a matched
    topic holds in fewer than min_stable of the re-fits; with_codes: the leading other codes of a
    merged topic; quote_share: per topic, the share of its top_quotes segments that are the
    code's evidence."""

    model: str
    code: str
    status: str
    topics: tuple[int, ...] = ()
    similarity: tuple[float, ...] = ()
    cutoff: tuple[float | None, ...] = ()
    stability: tuple[float, ...] = ()
    unstable: bool = False
    with_codes: tuple[str, ...] = ()
    quote_share: tuple[float, ...] = ()


@dataclass(frozen=True)
class TopicVerdict(JsonMixin):
    """One topic: `carries_codes` (codes: the matched codes, best first), `procedural`
    (interview routine, carrying no code), `explained` (carries no code, but its top segments
    are evidence of codes beyond the presence null: explained_by, most first; not a new theme)
    or `emergent` (no code's evidence explains it: a candidate new theme). lexicon, position:
    the procedural signals; evidence_share: share of the topic's weight on segments that are
    evidence of some present or uncertain code; top_evidence: share of its top_quotes segments
    that are; reason: one sentence saying why."""

    model: str
    topic: int
    status: str
    codes: tuple[str, ...] = ()
    lexicon: float = 0.0
    position: float = 0.0
    evidence_share: float = 0.0
    explained_by: tuple[str, ...] = ()
    top_evidence: float = 0.0
    reason: str = ""


@dataclass(frozen=True)
class ModelStructure(JsonMixin):
    """A model's statuses: one CodeStructure per code (codebook order), one TopicVerdict per topic."""

    model: str
    n_topics: int
    codes: tuple[CodeStructure, ...]
    topics: tuple[TopicVerdict, ...]

    @cached_property
    def position(self) -> dict[str, int]:
        """Code id -> its index in `codes` (built once: groups look their subcodes up)."""
        out: dict[str, int] = {}
        for i, c in enumerate(self.codes):
            out.setdefault(c.code, i)
        return out

    def status(self, code: str) -> str:
        return self.codes[self.position[code]].status


def match_cutoffs(doc_topic: np.ndarray, null_scores: np.ndarray, quantile: float) -> np.ndarray:
    """Per topic (n_topics,): the `quantile` of its correlations with the pseudo-code scores."""
    if null_scores.shape[1] == 0:
        return np.full(doc_topic.shape[1], np.inf)
    return np.quantile(column_correlations(doc_topic, null_scores), quantile, axis=1)


@dataclass(frozen=True)
class TopicMatches:
    """The topic-code tests of one model (see the module docstring), arrays (n_topics, n_codes):
    matched (bool), similarity (correlations), quote_share (share of the topic's top quotes that
    are the code's evidence); cutoff (n_topics,): the correlation a match needs per topic."""

    matched: np.ndarray
    similarity: np.ndarray
    quote_share: np.ndarray
    cutoff: np.ndarray
    quoted: np.ndarray | None = None  # (n_topics, n_codes) the top-quote test alone passes



def _fdr_pass(p: np.ndarray, usable: np.ndarray, fdr: float) -> np.ndarray:
    """Bool like p: the usable entries that pass Benjamini-Hochberg at `fdr`."""
    out = np.zeros(p.shape, dtype=bool)
    if usable.any():
        out[usable] = false_discovery_control(p[usable], method="bh") <= fdr
    return out


def topic_matches(theta: np.ndarray, scores: np.ndarray, null_scores: np.ndarray, evidence_mask: np.ndarray,
                  usable: np.ndarray, settings: StructureSettings) -> TopicMatches:
    """Which topics carry which codes. theta (n_segments, n_topics); scores (n_segments,
    n_codes) evidence scores; null_scores (n_segments, n_null) pseudo-code scores;
    evidence_mask (n_segments, n_codes) the codes' evidence; usable (n_codes,) codes that may
    match (not absent)."""
    n, n_topics = theta.shape
    sim = column_correlations(theta, scores)
    pairs = np.broadcast_to(usable[None, :], sim.shape)
    if settings.match_fdr is None or null_scores.shape[1] < 2:
        cut = match_cutoffs(theta, null_scores, settings.match_quantile)
        matched = (sim > cut[:, None]) & pairs
    else:
        null = column_correlations(theta, null_scores)
        mu, sd = null.mean(axis=1), null.std(axis=1, ddof=1)
        z = np.divide(sim - mu[:, None], sd[:, None], out=np.full(sim.shape, -np.inf), where=sd[:, None] > 0)
        p = np.asarray(norm.sf(z))
        matched = _fdr_pass(p, pairs, settings.match_fdr)
        p_bar = p[matched].max() if matched.any() else 0.0
        cut = np.where(sd > 0, mu + sd * norm.isf(p_bar), np.inf) if p_bar > 0 else np.full(n_topics, np.inf)
    top = np.argsort(-theta, axis=0, kind="stable")[:settings.top_quotes]  # (top_quotes, n_topics)
    hits = np.stack([evidence_mask[top[:, k]].sum(axis=0) for k in range(n_topics)]) if n else np.zeros(sim.shape)
    share = hits / max(top.shape[0], 1)
    if settings.quote_fdr is not None:
        rate = evidence_mask.mean(axis=0) if n else np.zeros(sim.shape[1])
        p_quotes = np.asarray(binom.sf(hits - 1, top.shape[0], np.broadcast_to(rate[None, :], sim.shape)))
        candidates = pairs & (hits >= settings.min_quote_overlap)
        quoted = _fdr_pass(p_quotes, candidates, settings.quote_fdr)
        matched &= quoted
    else:
        quoted = None
    if settings.lead_ratio is not None and matched.any():
        lead = np.where(matched, sim, -np.inf).max(axis=1)
        matched &= sim >= settings.lead_ratio * lead[:, None]
    return TopicMatches(matched, sim, share, cut, quoted)


def structure(model: FittedModel, ev: Evidence, verdicts: Sequence[CodePresence], *,
              refits: Sequence[Refit] | None = None, lexicon: np.ndarray | None = None,
              settings: StructureSettings = StructureSettings()) -> ModelStructure:
    """Statuses of every code and topic in one model (see the module docstring).

    model.doc_topic must cover the Evidence rows in order; lexicon: bool (n_terms,) procedural
    terms (procedural.procedural_terms), None for no procedural labels.
    """
    theta = model.doc_topic
    usable = np.array([v.presence != "absent" for v in verdicts])
    tm = topic_matches(theta, ev.scores, ev.null_scores, ev.mask, usable, settings)
    stability = _stability(model, ev, tm.matched, usable, refits or [], settings) if refits else {}
    by_topic = _matched_by_topic(tm)
    lead, leaders = _leaders(tm, settings.split_ratio)
    codes = [_code_status(model.name, c, verdict, tm, by_topic, stability, ev, theta, settings, lead, leaders)
             for c, verdict in enumerate(verdicts)]
    topics = _topic_verdicts(model, ev, tm, usable, lexicon, settings)
    return ModelStructure(model.name, model.n_topics, tuple(codes), tuple(topics))


def _matched_by_topic(tm: TopicMatches) -> list[list[int]]:
    """Per topic: the codes it carries, highest similarity first."""
    out = []
    for k in range(tm.matched.shape[0]):
        codes = np.flatnonzero(tm.matched[k])
        out.append([int(j) for j in codes[np.argsort(-tm.similarity[k, codes], kind="stable")]])
    return out


def _finite(value: float) -> float | None:
    """A cut-off rounded for the outputs; None where no correlation can pass (inf: no pair of the
    model passes the FDR test, or no pseudo-codes), so that verdicts.json stays strict JSON."""
    return round(float(value), 4) if np.isfinite(value) else None


def _leaders(tm: TopicMatches, split_ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """Per topic (n_topics,): the best similarity of its matched codes (lead; -inf without any)
    and how many matched codes reach `split_ratio` of it (leaders): one leader is an own topic."""
    sim = np.where(tm.matched, tm.similarity, -np.inf)
    lead = sim.max(axis=1) if sim.size else np.full(tm.matched.shape[0], -np.inf)
    return lead, (tm.matched & (tm.similarity >= split_ratio * lead[:, None])).sum(axis=1)


def _code_status(name: str, c: int, verdict: CodePresence, tm: TopicMatches, by_topic: list[list[int]],
                 stability: dict[tuple[int, int], float], ev: Evidence, theta: np.ndarray,
                 settings: StructureSettings, lead: np.ndarray, leaders: np.ndarray) -> CodeStructure:
    """Code c's status (module docstring); lead, leaders: per topic, from _leaders."""
    code = verdict.code
    sim, cut, matched = tm.similarity, tm.cutoff, tm.matched
    if verdict.presence == "absent":
        return CodeStructure(name, code, "absent")
    mine = [int(k) for k in np.argsort(-sim[:, c], kind="stable") if matched[k, c]]
    if not mine:
        mass = theta[ev.mask[:, c]].sum(axis=0)
        where = [int(k) for k in np.argsort(-mass, kind="stable")[:settings.where_topics] if mass[k] > 0]
        return CodeStructure(name, code, "present_without_topic", tuple(where),
                             tuple(round(float(sim[k, c]), 4) for k in where),
                             tuple(_finite(cut[k]) for k in where),
                             quote_share=tuple(round(float(tm.quote_share[k, c]), 4) for k in where))
    best = sim[mine[0], c]
    strong = [k for k in mine if sim[k, c] >= settings.split_ratio * best]
    if settings.split_quotes and tm.quoted is not None:  # topics whose top quotes are its evidence as much
        bar = settings.split_ratio * tm.quote_share[strong[0], c]
        floor = -np.inf if settings.split_quote_similarity is None else settings.split_quote_similarity * best
        strong += [int(k) for k in np.flatnonzero(tm.quoted[:, c])
                   if k not in strong and tm.quote_share[k, c] >= bar and sim[k, c] >= floor]
    stab = tuple(round(stability[(k, c)], 3) for k in strong if (k, c) in stability)
    unstable = bool(stab) and min(stab) < settings.min_stable
    fields = dict(topics=tuple(strong), similarity=tuple(round(float(sim[k, c]), 4) for k in strong),
                  cutoff=tuple(_finite(cut[k]) for k in strong), stability=stab, unstable=unstable,
                  quote_share=tuple(round(float(tm.quote_share[k, c]), 4) for k in strong))
    if len(strong) >= 2:
        return CodeStructure(name, code, "split", **fields)  # type: ignore[arg-type]
    k = strong[0]
    if leaders[k] == 1 and sim[k, c] >= settings.split_ratio * lead[k]:
        return CodeStructure(name, code, "own_topic", **fields)  # type: ignore[arg-type]
    others = [ev.code_ids[j] for j in by_topic[k][:WITH_CODES_SHOWN + 1] if j != c][:WITH_CODES_SHOWN]
    return CodeStructure(name, code, "merged", with_codes=tuple(others), **fields)  # type: ignore[arg-type]


def _stability(model: FittedModel, ev: Evidence, matched: np.ndarray, usable: np.ndarray,
               refits: Sequence[Refit], settings: StructureSettings) -> dict[tuple[int, int], float]:
    """(topic, code) -> share of re-fits in which the match holds (the same tests on the re-fit's rows)."""
    holds: dict[tuple[int, int], int] = {}
    pairs = list(zip(*np.nonzero(matched), strict=True))
    for refit in refits:
        order, _ = match_topics(model.topic_term, refit.topic_term)
        again = topic_matches(refit.doc_topic, ev.scores[refit.rows], ev.null_scores[refit.rows],
                              ev.mask[refit.rows], usable, settings).matched
        for k, c in pairs:
            holds[(int(k), int(c))] = holds.get((int(k), int(c)), 0) + int(again[order[k], c])
    return {pair: n / len(refits) for pair, n in holds.items()}


def _topic_verdicts(model: FittedModel, ev: Evidence, tm: TopicMatches, usable: np.ndarray,
                    lexicon: np.ndarray | None, settings: StructureSettings) -> list[TopicVerdict]:
    theta = model.doc_topic
    any_evidence = np.asarray(ev.mask[:, usable].any(axis=1), dtype=bool)
    weight = theta.sum(axis=0)
    share = np.divide(theta[any_evidence].sum(axis=0), weight, out=np.zeros_like(weight), where=weight > 0)
    if lexicon is not None:
        lex, pos = procedural_signals(theta, model.topic_term, lexicon, edge_segments(ev.documents))
    else:
        lex, pos = np.zeros(model.n_topics), np.zeros(model.n_topics)
    sim_order = [[ev.code_ids[c] for c in codes] for codes in _matched_by_topic(tm)]
    carrying = np.asarray(tm.matched.any(axis=1), dtype=bool)
    explained, hits = explaining_codes(theta, ev, usable, ~carrying, settings)
    top = np.argsort(-theta, axis=0, kind="stable")[:settings.top_quotes]
    top_evidence = np.asarray(any_evidence[top].mean(axis=0)) if top.size else np.zeros(model.n_topics)
    n_top = top.shape[0]
    out = []
    for k in range(model.n_topics):
        by = [ev.code_ids[c] for c in explained[k]]
        if sim_order[k]:
            status, why = "carries_codes", f"its weights and its top quotes follow the evidence of {_named(sim_order[k])}."
        elif lexicon is not None and is_procedural(float(lex[k]), float(pos[k])):
            status, why = "procedural", (f"interview routine: {lex[k]:.0%} of its top-10 term weight is procedural "
                                         f"words, {pos[k]:.0%} of its top segments open or close an interview.")
        elif by:
            status = "explained"
            why = (f"no code is carried, but its top {n_top} segments are evidence of {_named(by)} "
                   f"({int(hits[k, explained[k][0]])} of {n_top} for {by[0]}), more than codes with no meaning reach.")
        else:
            status, why = "emergent", (f"no code's evidence explains it: {top_evidence[k]:.0%} of its top {n_top} segments "
                                       "are evidence of some code, and no code has more of them than a pseudo-code would.")
        out.append(TopicVerdict(model.name, k, status, tuple(sim_order[k]), round(float(lex[k]), 4),
                                round(float(pos[k]), 4), round(float(share[k]), 4), tuple(by),
                                round(float(top_evidence[k]), 4), why))
    return out


def _named(codes: Sequence[str], shown: int = 3) -> str:
    return ", ".join(codes[:shown]) + (f" and {len(codes) - shown} more" if len(codes) > shown else "")


def explaining_codes(theta: np.ndarray, ev: Evidence, usable: np.ndarray, topics: np.ndarray,
                     settings: StructureSettings) -> tuple[list[list[int]], np.ndarray]:
    """Which codes' evidence explains each topic's top segments, against the presence null.

    For a topic k in `topics` (bool (n_topics,)) and a usable code c: hits = the code's own
    evidence segments among the topic's `top_quotes` segments; under the null a segment is
    above the code's cut-off with the pseudo-codes' rate (their mean exceedance count over the
    segments: what a code with the same weights and no meaning reaches). A code explains the
    topic when hits >= `min_quote_overlap` and the binomial tail passes Benjamini-Hochberg at
    `quote_fdr` over all those pairs. Returns, per topic, the explaining codes (most hits
    first; [] for topics outside `topics`), and hits (n_topics, n_codes)."""
    n, n_topics = theta.shape
    own = ev.own_mask()
    top = np.argsort(-theta, axis=0, kind="stable")[:settings.top_quotes]
    hits = (np.stack([own[top[:, k]].sum(axis=0) for k in range(n_topics)]) if n and n_topics
            else np.zeros((n_topics, own.shape[1]), dtype=int))
    rate = np.clip(ev.null_counts.mean(axis=1) / max(n, 1), 1e-12, 1.0) if ev.null_counts.size else np.ones(own.shape[1])
    p = np.asarray(binom.sf(hits - 1, top.shape[0], rate[None, :]))
    pairs = topics[:, None] & usable[None, :] & (hits >= settings.min_quote_overlap)
    passed = _fdr_pass(p, pairs, settings.quote_fdr if settings.quote_fdr is not None else 0.05)
    out = []
    for k in range(n_topics):
        codes = np.flatnonzero(passed[k])
        out.append([int(c) for c in codes[np.argsort(-hits[k, codes], kind="stable")]])
    return out, hits

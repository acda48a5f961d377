"""Word and topic intrusion (Chang et al. 2009): tasks for human raters, and their scores.

Word intrusion: the `WORDS_SHOWN` most probable words of a topic and one intruder, a word that
is among the `INTRUDER_POOL_TOP` most probable words of another topic and in the less probable
half of this topic's words (so it is neither rare nor on the topic by accident). If the model's
topics are coherent, raters find the intruder; the share found is the topic's model precision.

Topic intrusion: a quote (a segment) with its `TOPICS_SHOWN` most probable topics and one
intruder drawn from the less probable half of the other topics (and less probable than the
three; a segment where ties make that impossible, as NMF's zero weights can, is not used),
each shown as its `TOPIC_TERMS` most probable words. The share found is the model precision on this task; the
topic log odds (log theta of the intruder minus log theta of the topic chosen, 0 at best) says
how wrong a wrong answer is (over tasks whose topics all have theta > 0).

Options are shuffled per task with the seed and the tasks are shuffled too; the page carries
only :meth:`IntrusionTask.public` (options in their shown order, the quote), and the answer key
(which option is the intruder, the model and topic) stays in the key file. Scores
(:func:`score_answers`): per topic, the share of answers that found the intruder with a Wilson
interval; per model and task kind, the share of all its answers with a percentile bootstrap
interval that resamples tasks, each with all its raters' answers (scipy.stats.bootstrap); the
chance level (1 / options); and with two or more raters, Krippendorff's alpha (nominal, the
option chosen) between them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import krippendorff
import numpy as np
from scipy.stats import binomtest, bootstrap

from topicbook.errors import InputError
from topicbook.ids import topic_id

KEY_FORMAT = 1
WORDS_SHOWN = 5
INTRUDER_POOL_TOP = 10
TOPICS_SHOWN = 3
TOPIC_TERMS = 8
KINDS = ("word", "topic")
CONFIDENCE = 0.95
RESAMPLES = 1000


def _display(term: str) -> str:
    return term.replace("_", " ")


@dataclass(frozen=True)
class IntrusionTask:
    """One task: its id, kind (word | topic), the model and topic it tests, the options in the
    order shown, which of them is the intruder, and for topic tasks the quote (segment id and
    text) and each option's topic and theta in that segment."""

    id: str
    kind: str
    model: str
    topic: int
    options: tuple[str, ...]
    answer: int
    segment: str | None = None
    quote: str | None = None
    option_topics: tuple[int, ...] = ()
    option_theta: tuple[float, ...] = ()

    def public(self) -> dict[str, Any]:
        """What the page shows: no model, no topic, no answer."""
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "options": list(self.options)}
        if self.quote is not None:
            out["quote"] = self.quote
        return out

    def to_json(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IntrusionTask:
        return cls(id=str(data["id"]), kind=str(data["kind"]), model=str(data["model"]), topic=int(data["topic"]),
                   options=tuple(str(o) for o in data["options"]), answer=int(data["answer"]),
                   segment=data.get("segment"), quote=data.get("quote"),
                   option_topics=tuple(int(t) for t in data.get("option_topics", ())),
                   option_theta=tuple(float(t) for t in data.get("option_theta", ())))


@dataclass(frozen=True)
class TaskSet:
    """The tasks of one intrusion page: the run, the seed, the tasks (with answers) and the set
    id (a hash of what the page shows), which the answers carry back."""

    run: str
    seed: int
    tasks: tuple[IntrusionTask, ...]

    @property
    def set_id(self) -> str:
        shown = json.dumps([t.public() for t in self.tasks], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(f"{self.run}\n{shown}".encode()).hexdigest()[:16]

    def page_data(self) -> dict[str, Any]:
        """The page's data: run name, set id and the public tasks."""
        return {"format": KEY_FORMAT, "run": self.run, "set": self.set_id, "tasks": [t.public() for t in self.tasks]}

    def key_json(self) -> dict[str, Any]:
        """intrusion_key.json: the set and every task with its answer."""
        return {"format": KEY_FORMAT, "run": self.run, "set": self.set_id, "seed": self.seed,
                "tasks": [t.to_json() for t in self.tasks]}

    @classmethod
    def from_key(cls, data: Mapping[str, Any]) -> TaskSet:
        return cls(str(data["run"]), int(data["seed"]), tuple(IntrusionTask.from_json(t) for t in data["tasks"]))


def word_tasks(model: str, topic_term: np.ndarray, vocab: Sequence[str], rng: np.random.Generator,
               per_topic: int = 1) -> list[IntrusionTask]:
    """Up to `per_topic` word-intrusion tasks per topic (distinct intruders); topic_term (K, V).
    A topic with no candidate intruder (a tiny vocabulary) gets none."""
    n_topics, n_terms = topic_term.shape
    order = np.argsort(-topic_term, axis=1, kind="stable")
    rank = np.empty_like(order)
    rank[np.arange(n_topics)[:, None], order] = np.arange(n_terms)[None, :]
    tasks = []
    for k in range(n_topics):
        top = order[k, :WORDS_SHOWN]
        others = {int(w) for j in range(n_topics) if j != k for w in order[j, :INTRUDER_POOL_TOP]}
        pool = sorted(w for w in others if rank[k, w] >= n_terms // 2 and w not in top)
        if not pool:
            continue
        for w in rng.choice(pool, size=min(per_topic, len(pool)), replace=False):
            words = [vocab[int(i)] for i in top] + [vocab[int(w)]]
            perm = rng.permutation(len(words))
            tasks.append(IntrusionTask("", "word", model, k, tuple(_display(words[i]) for i in perm),
                                       int(np.flatnonzero(perm == len(words) - 1)[0])))
    return tasks


def topic_tasks(model: str, doc_topic: np.ndarray, topic_term: np.ndarray, vocab: Sequence[str],
                segment_ids: Sequence[str], texts: Mapping[str, str], rng: np.random.Generator,
                per_topic: int = 1) -> list[IntrusionTask]:
    """Up to `per_topic` topic-intrusion tasks per topic, on segments drawn at random among those
    whose most probable topic it is; doc_topic (n_segments, K). None for a model below 4 topics."""
    n_topics = doc_topic.shape[1]
    if n_topics < TOPICS_SHOWN + 1:
        return []
    words = [" ".join(_display(vocab[int(i)]) for i in np.argsort(-row, kind="stable")[:TOPIC_TERMS]) for row in topic_term]
    ranked = np.argsort(-doc_topic, axis=1, kind="stable")
    dominant = ranked[:, 0]
    third = doc_topic[np.arange(len(doc_topic)), ranked[:, TOPICS_SHOWN - 1]]
    n_low = max(1, (n_topics - TOPICS_SHOWN + 1) // 2)  # the less probable half of the other topics
    lowest = doc_topic[np.arange(len(doc_topic)), ranked[:, -n_low]]
    # a task needs its intruders to be less probable than the three topics shown (ties, as NMF's
    # zero weights give, would make it unanswerable)
    eligible = lowest < third
    tasks = []
    for k in range(n_topics):
        rows = np.flatnonzero((dominant == k) & eligible)
        if not len(rows):
            continue
        for r in rng.choice(rows, size=min(per_topic, len(rows)), replace=False):
            theta = doc_topic[int(r)]
            shown = [int(t) for t in ranked[int(r), :TOPICS_SHOWN]]
            low = [int(t) for t in ranked[int(r), -n_low:] if theta[t] < theta[shown[-1]]]
            intruder = int(rng.choice(low))
            topics = shown + [intruder]
            perm = rng.permutation(len(topics))
            seg = segment_ids[int(r)]
            tasks.append(IntrusionTask(
                "", "topic", model, k, tuple(words[topics[i]] for i in perm),
                int(np.flatnonzero(perm == len(topics) - 1)[0]), segment=seg, quote=texts[seg],
                option_topics=tuple(topics[i] for i in perm),
                option_theta=tuple(float(f"{theta[topics[i]]:.6g}") for i in perm)))
    return tasks


def make_task_set(run: str, models: Mapping[str, tuple[np.ndarray, np.ndarray]], vocab: Sequence[str],
                  segment_ids: Sequence[str], texts: Mapping[str, str], *, seed: int, per_topic: int = 1) -> TaskSet:
    """Word and topic tasks for every model ({name: (doc_topic, topic_term)}), shuffled within
    each kind, numbered w001.. and t001.. in the order shown."""
    if per_topic < 1:
        raise InputError(f"--per-topic must be at least 1; got {per_topic}.")
    rng = np.random.default_rng(seed)
    words: list[IntrusionTask] = []
    quotes: list[IntrusionTask] = []
    for name, (doc_topic, topic_term) in models.items():
        words.extend(word_tasks(name, topic_term, vocab, rng, per_topic))
        quotes.extend(topic_tasks(name, doc_topic, topic_term, vocab, segment_ids, texts, rng, per_topic))
    out: list[IntrusionTask] = []
    for prefix, group in (("w", words), ("t", quotes)):
        for n, i in enumerate(rng.permutation(len(group)), 1):
            t = group[int(i)]
            out.append(IntrusionTask(f"{prefix}{n:03d}", t.kind, t.model, t.topic, t.options, t.answer, t.segment,
                                     t.quote, t.option_topics, t.option_theta))
    if not out:
        raise InputError(f"run '{run}': no intrusion task could be made (too few topics or terms). Fit models with more topics.")
    return TaskSet(run, seed, tuple(out))


# --------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class Answers:
    """One rater's answers: task id -> option index (as shown), from the page's download."""

    source: str
    rater: str
    run: str
    set_id: str
    choices: Mapping[str, int]


def read_answers(text: str, source: str, key: TaskSet) -> Answers:
    """Parse one answers file against the key; every problem is one line naming `source`."""
    fix = "Use the file the intrusion page's \"Download answers\" button saved."
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno}). {fix}") from None
    if not isinstance(data, dict) or data.get("format") != KEY_FORMAT or not isinstance(data.get("answers"), dict):
        raise InputError(f"{source}: not an answers file of a topicbook intrusion page. {fix}")
    run, set_id = str(data.get("run", "")), str(data.get("set", ""))
    if run != key.run:
        raise InputError(f"{source}: answers for run '{run}', but the intrusion key is for run '{key.run}'. Score them against the run whose intrusion page the rater answered.")
    if set_id != key.set_id:
        raise InputError(f"{source}: answers to task set {set_id}, but the intrusion key is for task set {key.set_id} (another intrusion page of this run). Give the key written with the rater's page (--key).")
    options = {t.id: len(t.options) for t in key.tasks}
    choices: dict[str, int] = {}
    for task, value in data["answers"].items():
        if task not in options:
            raise InputError(f"{source}: unknown task '{task}' (the intrusion key has {len(options)} tasks). {fix}")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < options[task]:
            raise InputError(f"{source}: task '{task}': answer {value!r} is not one of its options 0 to {options[task] - 1}. {fix}")
        choices[task] = value
    rater = str(data.get("rater") or "").strip() or source
    return Answers(source, rater, run, set_id, choices)


# --------------------------------------------------------------------------- scores


@dataclass(frozen=True)
class IntrusionFigure:
    """Model precision (share of intruders found) with its 95% interval, the chance level, the
    number of tasks and answers, and for topic tasks the mean topic log odds."""

    precision: float | None
    ci_low: float | None
    ci_high: float | None
    chance: float
    tasks: int
    answers: int
    topic_log_odds: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IntrusionFigure:
        return cls(data.get("precision"), data.get("ci_low"), data.get("ci_high"), float(data["chance"]),
                   int(data["tasks"]), int(data["answers"]), data.get("topic_log_odds"))


@dataclass(frozen=True)
class RaterAgreement:
    """Krippendorff's alpha (nominal: the option chosen per task) between the raters."""

    krippendorff_alpha: float | None
    raters: int
    units: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class IntrusionScores:
    """intrusion.json: per model and kind, per model, topic and kind, rater agreement per kind."""

    run: str
    set_id: str
    seed: int
    raters: tuple[str, ...]
    answer_files: tuple[str, ...]
    models: Mapping[str, Mapping[str, IntrusionFigure]]
    topics: Mapping[str, Mapping[str, Mapping[str, IntrusionFigure]]]
    agreement: Mapping[str, RaterAgreement] = field(default_factory=dict)
    resamples: int = RESAMPLES

    def to_json(self) -> dict[str, Any]:
        return {"format": KEY_FORMAT, "run": self.run, "set": self.set_id, "seed": self.seed,
                "raters": list(self.raters), "answer_files": list(self.answer_files),
                "method": {"precision": "share of answers that found the intruder (Chang et al. 2009)",
                           "topic_interval": "Wilson score interval over the topic's answers",
                           "model_interval": "percentile bootstrap over the model's tasks, each with all its answers (scipy.stats.bootstrap)",
                           "confidence": CONFIDENCE, "resamples": self.resamples,
                           "agreement": "Krippendorff's alpha, nominal, the option each rater chose per task"},
                "models": {m: {k: f.to_json() for k, f in kinds.items()} for m, kinds in self.models.items()},
                "topics": {m: {t: {k: f.to_json() for k, f in kinds.items()} for t, kinds in topics.items()}
                           for m, topics in self.topics.items()},
                "agreement": {k: a.to_json() for k, a in self.agreement.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IntrusionScores:
        return cls(str(data["run"]), str(data["set"]), int(data["seed"]), tuple(data["raters"]),
                   tuple(data["answer_files"]),
                   {m: {k: IntrusionFigure.from_json(f) for k, f in kinds.items()} for m, kinds in data["models"].items()},
                   {m: {t: {k: IntrusionFigure.from_json(f) for k, f in kinds.items()} for t, kinds in topics.items()}
                    for m, topics in data["topics"].items()},
                   {k: RaterAgreement(a.get("krippendorff_alpha"), int(a["raters"]), int(a["units"]))
                    for k, a in (data.get("agreement") or {}).items()},
                   int((data.get("method") or {}).get("resamples", RESAMPLES)))


def _r(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 4)


def _wilson(found: int, n: int) -> tuple[float | None, float | None]:
    if n == 0:
        return None, None
    ci = binomtest(found, n).proportion_ci(confidence_level=CONFIDENCE, method="wilson")
    return _r(ci.low), _r(ci.high)


def _task_interval(found: np.ndarray, answered: np.ndarray, seed: int, resamples: int) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval of a pooled share, resampling tasks (each with all its
    raters' answers): found, answered (n_tasks,) counts per task."""
    keep = answered > 0
    found, answered = found[keep], answered[keep]
    if len(found) < 2:
        return None, None
    share = found / answered
    if np.all(share == share[0]):
        return _r(share[0]), _r(share[0])

    def pooled(rows: np.ndarray, axis: int = -1) -> np.ndarray:
        rows = rows.astype(int)
        return found[rows].sum(axis=axis) / answered[rows].sum(axis=axis)

    ci = bootstrap((np.arange(len(found)),), pooled, vectorized=True, n_resamples=resamples, method="percentile",
                   confidence_level=CONFIDENCE, rng=np.random.default_rng(seed)).confidence_interval
    return _r(ci.low), _r(ci.high)


def rater_agreement(tasks: Sequence[IntrusionTask], answers: Sequence[Answers]) -> RaterAgreement:
    """Krippendorff's alpha over the tasks answered by at least two raters (None when it is
    undefined: one rater, no task answered twice, or one option chosen throughout)."""
    data = np.array([[a.choices.get(t.id, np.nan) for t in tasks] for a in answers], dtype=float)
    units = int((np.sum(~np.isnan(data), axis=0) >= 2).sum()) if len(answers) else 0
    alpha = None
    if len(answers) >= 2 and units and len(np.unique(data[~np.isnan(data)])) > 1:
        alpha = _r(float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")))
    return RaterAgreement(alpha, len(answers), units)


def score_answers(key: TaskSet, answers: Sequence[Answers], *, resamples: int = RESAMPLES) -> IntrusionScores:
    """Model precision per topic and per model for each task kind, with intervals and chance,
    and agreement between raters when there are several."""
    raters = [a.rater for a in answers]
    seen: dict[str, str] = {}
    for a in answers:
        if a.rater in seen:
            raise InputError(f"{a.source}: rater '{a.rater}' also answered in {seen[a.rater]}. Give each rater's answers once.")
        seen[a.rater] = a.source
    by_topic: dict[tuple[str, str, int], list[IntrusionTask]] = {}
    for t in key.tasks:
        by_topic.setdefault((t.model, t.kind, t.topic), []).append(t)
    topics: dict[str, dict[str, dict[str, IntrusionFigure]]] = {}
    per_task: dict[tuple[str, str], list[tuple[int, int]]] = {}  # (found, answered) per task
    log_odds: dict[tuple[str, str], list[float]] = {}
    chance: dict[tuple[str, str], list[float]] = {}
    for (model, kind, k), tasks in sorted(by_topic.items(), key=lambda kv: (kv[0][0], KINDS.index(kv[0][1]), kv[0][2])):
        found = n = 0
        for t in tasks:
            chance.setdefault((model, kind), []).append(1.0 / len(t.options))
            hits = [a.choices[t.id] == t.answer for a in answers if t.id in a.choices]
            per_task.setdefault((model, kind), []).append((sum(hits), len(hits)))
            found, n = found + sum(hits), n + len(hits)
            if kind == "topic" and t.option_theta and min(t.option_theta) > 0:
                log_odds.setdefault((model, kind), []).extend(
                    float(np.log(t.option_theta[t.answer]) - np.log(t.option_theta[a.choices[t.id]]))
                    for a in answers if t.id in a.choices)
        low, high = _wilson(found, n)
        topics.setdefault(model, {}).setdefault(topic_id(k), {})[kind] = IntrusionFigure(
            _r(found / n) if n else None, low, high, _r(1.0 / len(tasks[0].options)) or 0.0, len(tasks), n)
    models: dict[str, dict[str, IntrusionFigure]] = {}
    for (model, kind), counts in sorted(per_task.items(), key=lambda kv: (kv[0][0], KINDS.index(kv[0][1]))):
        hit, answered = (np.array(c, dtype=float) for c in zip(*counts, strict=True))
        low, high = _task_interval(hit, answered, key.seed, resamples)
        odds = log_odds.get((model, kind))
        models.setdefault(model, {})[kind] = IntrusionFigure(
            _r(hit.sum() / answered.sum()) if answered.sum() else None, low, high,
            _r(float(np.mean(chance[(model, kind)]))) or 0.0, len(counts), int(answered.sum()),
            _r(float(np.mean(odds))) if odds else None)
    agreement = {}
    if len(answers) >= 2:
        agreement = {kind: rater_agreement([t for t in key.tasks if t.kind == kind], answers) for kind in KINDS
                     if any(t.kind == kind for t in key.tasks)}
        agreement["all"] = rater_agreement(key.tasks, answers)
    return IntrusionScores(key.run, key.set_id, key.seed, tuple(raters), tuple(a.source for a in answers),
                           models, topics, agreement, resamples)

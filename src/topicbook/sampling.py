"""Direct validation: a reproducible random sample of segments for hand coding.

Carlsen and Ralund (2022) argue that a topic model's codes must be checked against a human
coding of a *random* sample of the texts: agreement measured only where a researcher happened
to code (or on the segments a model ranks highest) says little about the segments nobody
looked at. :func:`draw_sample` draws that sample from a run's modelled segments, simple or
stratified (by document, by a model's dominant topic, or by the best predicted code), with
proportional allocation (largest remainder), so that every segment has (up to rounding) the
same chance n / N and the plain figures on the sample are its estimate.

The :class:`Sample` record (sample.json) keeps the run, seed, strata and the segment ids; when
the coded sample comes back as `codings.path` with `codings.sample: sample.json`, agreement is
computed again on exactly those segments (agreement.json `sample`).

How a sample is chosen is the record's `method`: "random" here. Another selection (e.g. "what to
code next" from a learned score) can produce a Sample with its own method and reuse the writers
and the agreement section; only "random" samples are reported as the unbiased estimate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from topicbook.codes import Code
from topicbook.errors import InputError
from topicbook.scoring import standardise

SAMPLE_FORMAT = 1
STRATA = ("code", "topic", "document")
NO_CODE = "(no code predicted)"
# The code that marks the sampled spans in a .qdpx export; codings of it that come back are
# the marks, not human codes, and are ignored when codings are read.
SAMPLE_CODE = Code(id="topicbook_sample", name="topicbook: sample",
                   definition="A segment of topicbook's random sample: code it with the codebook (every code that applies, or none).")


def is_sample_marker(code: str) -> bool:
    """Whether a coding's code (id or name) is the sample mark rather than a human code."""
    return code.casefold().strip() in (SAMPLE_CODE.id, SAMPLE_CODE.name)


@dataclass(frozen=True)
class Sample:
    """A drawn sample: which run it came from, how it was drawn and its segments.

    segment_ids: in the run's segment order; strata: segment id -> stratum (empty for a simple
    random sample); allocation: stratum -> [segments in the population, drawn].
    """

    run: str
    method: str
    seed: int
    n_requested: int
    population: int
    segment_ids: tuple[str, ...]
    stratify: str | None = None
    model: str | None = None
    strata: Mapping[str, str] = field(default_factory=dict)
    allocation: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def is_random(self) -> bool:
        """Drawn at random (with proportional allocation): its figures estimate the corpus's."""
        return self.method == "random"

    def to_json(self) -> dict[str, Any]:
        return {"format": SAMPLE_FORMAT, "run": self.run, "method": self.method, "seed": self.seed,
                "n_requested": self.n_requested, "n": len(self.segment_ids), "population": self.population,
                "stratify": self.stratify, "model": self.model,
                "allocation": {k: list(v) for k, v in self.allocation.items()},
                "segments": [{"segment_id": s, **({"stratum": self.strata[s]} if s in self.strata else {})}
                             for s in self.segment_ids]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Sample:
        segments = list(data["segments"])
        return cls(run=str(data["run"]), method=str(data["method"]), seed=int(data["seed"]),
                   n_requested=int(data["n_requested"]), population=int(data["population"]),
                   segment_ids=tuple(str(s["segment_id"]) for s in segments),
                   stratify=data.get("stratify"), model=data.get("model"),
                   strata={str(s["segment_id"]): str(s["stratum"]) for s in segments if "stratum" in s},
                   allocation={str(k): (int(v[0]), int(v[1])) for k, v in (data.get("allocation") or {}).items()})


def allocate(sizes: Mapping[str, int], n: int) -> dict[str, int]:
    """Proportional allocation of `n` draws over strata of the given sizes, by largest
    remainder (ties to the stratum listed first); never more than a stratum holds."""
    total = sum(sizes.values())
    if n >= total:
        return dict(sizes)
    quotas = {k: n * v / total for k, v in sizes.items()}
    out = {k: int(np.floor(q)) for k, q in quotas.items()}
    order = sorted(sizes, key=lambda k: (-(quotas[k] - out[k]), list(sizes).index(k)))
    for k in order[: n - sum(out.values())]:
        out[k] += 1
    return out


def draw_sample(segment_ids: Sequence[str], n: int, seed: int, *, strata: Sequence[str] | None = None,
                run: str = "", stratify: str | None = None, model: str | None = None) -> Sample:
    """A random sample of `n` of `segment_ids` (all of them when n >= their number), simple or
    stratified by `strata` (one label per segment), reproducible from `seed`.

    Strata are visited in sorted order, each drawing its allocation without replacement with one
    numpy Generator, so the same ids, strata, n and seed give the same sample.
    """
    if n < 1:
        raise InputError(f"--n must be at least 1; got {n}.")
    ids = list(segment_ids)
    labels = list(strata) if strata is not None else ["all"] * len(ids)
    members: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        members.setdefault(label, []).append(i)
    members = dict(sorted(members.items()))
    counts = allocate({k: len(v) for k, v in members.items()}, n)
    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    for label, rows in members.items():
        if counts[label]:
            chosen.extend(int(i) for i in rng.choice(rows, size=counts[label], replace=False))
    chosen.sort()
    picked = tuple(ids[i] for i in chosen)
    return Sample(run=run, method="random", seed=seed, n_requested=n, population=len(ids), segment_ids=picked,
                  stratify=stratify, model=model,
                  strata={ids[i]: labels[i] for i in chosen} if strata is not None else {},
                  allocation={k: (len(v), counts[k]) for k, v in members.items()} if strata is not None else {})


def best_code_strata(scores: np.ndarray, thresholds: np.ndarray, code_ids: Sequence[str]) -> list[str]:
    """Per segment, the predicted code (score above its threshold) with the highest z-score, or
    NO_CODE. scores: (n_segments, n_codes); thresholds: (n_codes,)."""
    z = standardise(scores)
    predicted = scores > thresholds[None, :]
    masked = np.where(predicted, z, -np.inf)
    best = np.argmax(masked, axis=1)
    return [code_ids[int(b)] if predicted[i].any() else NO_CODE for i, b in enumerate(best)]


def read_sample(path: Path) -> Sample:
    """A sample.json written by `topicbook sample`, with one-line errors."""
    if not path.is_file():
        raise InputError(f"codings.sample: {path} does not exist. Give the sample.json that `topicbook sample` wrote beside its export.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc}). Use the sample.json that `topicbook sample` wrote.") from None
    if not isinstance(data, dict) or data.get("format") != SAMPLE_FORMAT:
        raise InputError(f"{path}: not a topicbook sample (format {SAMPLE_FORMAT}). Use the sample.json that `topicbook sample` wrote.")
    try:
        sample = Sample.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        what = f"no {exc}" if isinstance(exc, KeyError) else str(exc)
        raise InputError(f"{path}: incomplete sample record ({what}). Draw the sample again with `topicbook sample`.") from None
    if not sample.segment_ids:
        raise InputError(f"{path}: the sample has no segments. Draw it again with `topicbook sample`.")
    return sample

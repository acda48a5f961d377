"""The researcher's decisions on a run (decisions.json, written by the explorer's "Download
decisions" button), read and checked against the run folder.

The format (the contract with the explorer page; every key but `run` may be left out)::

    {"run": "<run name>",
     "codes": {"<code id>": {"decision": "accepted" | "rejected", "memo": "..."}},
     "topics": {"<model>:T03": {"label": "...", "new_code": {"id": "...", "name": "..."},
                                "memo": "..."}}}

- `run`: the run's name (manifest.json's `run_name`, the page's title) or its folder's name.
- `codes`: keyed by the ids of the run's codebook (codebook.yaml). `decision` says whether the
  researcher accepts or rejects the code's verdict (its presence, and its status per model).
- `topics`: keyed as the columns of doc_topics.csv (`<model>:T01`, two digits). `label`
  renames the topic; `new_code` makes it a new code of the codebook (its id must be new: not a
  code of the codebook, not a topic key, not starting with `topicbook_`, and used once).
- A value `null`, and an empty memo or label, mean "not given". Any other key is an error (a
  typo would otherwise lose a decision silently).

:func:`read_decisions` raises one InputError line naming the file and the key for every
problem: malformed JSON (with line and column), a wrong type, an unknown code, topic or model,
a decisions file of another run, a new code id used twice or taken.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from topicbook.errors import InputError
from topicbook.ids import parse_topic_key, topic_id, topic_key
from topicbook.report.run_folder import RunFolder

DECISIONS = ("accepted", "rejected")
TOP_KEYS = ("run", "codes", "topics")
CODE_KEYS = ("decision", "memo")
TOPIC_KEYS = ("label", "new_code", "memo")
NEW_CODE_KEYS = ("id", "name")
RESERVED_PREFIX = "topicbook_"  # ids of the groups the export adds (topicbook_<model>, topicbook_new_codes)


@dataclass(frozen=True)
class CodeDecision:
    """The researcher's word on one code of the codebook: `decision` "accepted", "rejected" or
    None (undecided), and a memo ("" for none)."""

    code: str
    decision: str | None = None
    memo: str = ""


@dataclass(frozen=True)
class NewCode:
    """A code the researcher made from a topic: its id and name."""

    id: str
    name: str


@dataclass(frozen=True)
class TopicDecision:
    """The researcher's word on one topic: `key` "<model>:T03", `model`, `topic` (0-based),
    `label` (the new name, None to keep the run's label), `new_code` (None when the topic
    stays a topic) and a memo ("" for none)."""

    key: str
    model: str
    topic: int
    label: str | None = None
    new_code: NewCode | None = None
    memo: str = ""


@dataclass(frozen=True)
class RunDecisions:
    """A checked decisions file: `run` as written, `codes` by code id and `topics` by topic key
    (both in file order), and `source` (the file, for messages)."""

    run: str
    codes: dict[str, CodeDecision]
    topics: dict[str, TopicDecision]
    source: str = "decisions.json"

    def label(self, model: str, topic: int, default: str) -> str:
        """The topic's name after the decisions: the researcher's label, else `default`."""
        decided = self.topics.get(topic_key(model, topic))
        return decided.label if decided is not None and decided.label else default

    def new_codes(self) -> list[TopicDecision]:
        """The topic decisions that make a new code, in file order."""
        return [t for t in self.topics.values() if t.new_code is not None]

    def rejected(self) -> list[CodeDecision]:
        """The codes whose verdict the researcher rejected, in file order."""
        return [c for c in self.codes.values() if c.decision == "rejected"]


def read_decisions(path: Path, run: RunFolder) -> RunDecisions:
    """Read `path` (decisions.json) and check it against `run`; InputError naming the key."""
    source = str(path)
    if not path.is_file():
        raise InputError(f"{source}: no such decisions file. Give the decisions.json that the explorer's \"Download decisions\" button saved.")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not UTF-8 text (byte {exc.start}); a decisions file is JSON. Download the decisions again from the explorer.") from None
    except OSError as exc:
        raise InputError(f"{source}: cannot be read ({exc.strerror or exc}).") from None
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg}). Fix the file there or download the decisions again from the explorer.") from None
    except _DuplicateKey as exc:
        raise InputError(f"{source}: the key '{exc.key}' appears twice in one object; keep one of them.") from None
    return parse_decisions(data, run, source)


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def parse_decisions(data: Any, run: RunFolder, source: str = "decisions.json") -> RunDecisions:
    """Check parsed decisions.json `data` against `run` (see the module docstring)."""

    def fail(key: str, problem: str) -> InputError:
        return InputError(f"{source}: {key}: {problem}")

    if not isinstance(data, dict):
        raise InputError(f"{source}: the file holds {_kind(data)}, not an object with \"run\", \"codes\" and \"topics\". Download the decisions again from the explorer.")
    _known_keys(data, TOP_KEYS, "", fail)
    name = data.get("run")
    if not isinstance(name, str) or not name.strip():
        got = "is missing" if name is None else f"must be text, not {_kind(name)}"
        raise fail("run", f"{got}; it names the run the decisions were made on (\"run\": \"{run.name}\").")
    if name not in (run.name, run.path.name, run.path.resolve().name):
        raise fail("run", f"'{name}' is not this run ('{run.name}', {run.path}). Export the run the decisions were made on, or download this run's decisions from its explorer page.")
    codes = _parse_codes(_mapping(data, "codes", fail), run, fail)
    topics = _parse_topics(_mapping(data, "topics", fail), run, fail)
    taken = set(run.codebook.ids()) if run.codebook is not None else set()
    used: dict[str, str] = {}
    for decided in topics.values():
        if decided.new_code is None:
            continue
        new_id, at = decided.new_code.id, f"topics['{decided.key}'].new_code.id"
        if new_id in used:
            raise fail(at, f"'{new_id}' is already the new code of topic {used[new_id]}. Give every new code its own id.")
        if new_id in taken:
            raise fail(at, f"'{new_id}' is already a code of the run's codebook. Choose an id the codebook does not use.")
        if new_id.startswith(RESERVED_PREFIX) or _is_topic_key(new_id):
            raise fail(at, f"'{new_id}' is an id topicbook's export uses itself (topic keys, ids starting with '{RESERVED_PREFIX}'). Choose another id.")
        used[new_id] = decided.key
    return RunDecisions(name, codes, topics, source)


def _parse_codes(entries: Mapping[str, Any], run: RunFolder, fail: Any) -> dict[str, CodeDecision]:
    ids = run.codebook.ids() if run.codebook is not None else []
    out: dict[str, CodeDecision] = {}
    for code, entry in entries.items():
        at = f"codes['{code}']"
        if code not in ids:
            known = f"its codes are {_some(ids)}" if ids else "it has no codebook"
            raise fail(at, f"not a code of this run's codebook ({known}). Use the code ids of the run's codebook.yaml.")
        entry = _entry(entry, at, CODE_KEYS, fail)
        decision = entry.get("decision")
        if decision is not None and decision not in DECISIONS:
            shown = f"'{decision}'" if isinstance(decision, str) else _kind(decision)
            raise fail(f"{at}.decision", f"{shown} is not a decision; use \"accepted\" or \"rejected\" (or leave it out).")
        out[code] = CodeDecision(code, decision, _text(entry, "memo", at, fail))
    return out


def _parse_topics(entries: Mapping[str, Any], run: RunFolder, fail: Any) -> dict[str, TopicDecision]:
    models = run.models
    out: dict[str, TopicDecision] = {}
    for key, entry in entries.items():
        at = f"topics['{key}']"
        try:
            model, k = parse_topic_key(key)
        except ValueError:
            raise fail(at, f"not a topic key; write <model>:T01 as the columns of doc_topics.csv (e.g. {topic_key(next(iter(models)), 0)}).") from None
        if model not in models:
            raise fail(at, f"no model '{model}' in this run (its models are {_some(list(models))}). Use the model names of doc_topics.csv.")
        n_topics = models[model].doc_topic.shape[1]
        if k >= n_topics:
            raise fail(at, f"{model} has {n_topics} topics ({topic_id(0)} to {topic_id(n_topics - 1)}); there is no {topic_id(k)}.")
        if key != topic_key(model, k):
            raise fail(at, f"write the topic as {topic_key(model, k)}, as the columns of doc_topics.csv.")
        entry = _entry(entry, at, TOPIC_KEYS, fail)
        label = _text(entry, "label", at, fail) or None
        new_code = None
        if entry.get("new_code") is not None:
            spec = _entry(entry["new_code"], f"{at}.new_code", NEW_CODE_KEYS, fail)
            new_id, new_name = (_text(spec, f, f"{at}.new_code", fail) for f in NEW_CODE_KEYS)
            for field, value in (("id", new_id), ("name", new_name)):
                if not value:
                    raise fail(f"{at}.new_code.{field}", "is missing or empty; a new code needs an id and a name ({\"id\": \"...\", \"name\": \"...\"}).")
            new_code = NewCode(new_id, new_name)
        out[key] = TopicDecision(key, model, k, label, new_code, _text(entry, "memo", at, fail))
    return out


def _mapping(data: Mapping[str, Any], key: str, fail: Any) -> Mapping[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise fail(key, f"must be an object keyed by {'code id' if key == 'codes' else 'topic (<model>:T01)'}, not {_kind(value)}.")
    return value


def _entry(value: Any, at: str, keys: tuple[str, ...], fail: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise fail(at, f"must be an object with {_keys(keys)}, not {_kind(value)}.")
    _known_keys(value, keys, f"{at}.", fail)
    return value


def _known_keys(value: Mapping[str, Any], keys: tuple[str, ...], prefix: str, fail: Any) -> None:
    unknown = [k for k in value if k not in keys]
    if unknown:
        close = difflib.get_close_matches(unknown[0], keys, n=1)
        hint = f" (did you mean \"{close[0]}\"?)" if close else ""
        raise fail(f"{prefix}{unknown[0]}", f"unknown key{hint}; the keys here are {_keys(keys)}.")


def _text(entry: Mapping[str, Any], key: str, at: str, fail: Any) -> str:
    """entry[key] as stripped text ("" when missing or null); a fail() for any other type."""
    value = entry.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise fail(f"{at}.{key}", f"must be text, not {_kind(value)}; write it in double quotes.")
    return value.strip()


def _is_topic_key(text: str) -> bool:
    try:
        parse_topic_key(text)
    except ValueError:
        return False
    return True


def _kind(value: Any) -> str:
    """How a JSON value is named in messages: "a number", "a list", ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (a boolean)"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


def _keys(keys: tuple[str, ...]) -> str:
    return ", ".join(f'"{k}"' for k in keys)


def _some(items: list[str], n: int = 5) -> str:
    shown = ", ".join(items[:n])
    return shown + (f", ... ({len(items)} in all)" if len(items) > n else "")

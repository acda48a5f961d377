"""Topic ids on screen and in files: 0-based topic k is shown as "T01" (k + 1, two digits), and a
model's topic as "<model>:T01" (the column names of doc_topics.csv, the code ids of exports).

>>> topic_id(2), parse_topic_id("T03"), topic_key("nmf_k10", 2), parse_topic_key("nmf_k10:T03")
('T03', 2, 'nmf_k10:T03', ('nmf_k10', 2))
"""

from __future__ import annotations

import re

_TOPIC_ID = re.compile(r"T(\d+)")


def topic_id(k: int) -> str:
    """The display id of 0-based topic `k`: 0 -> "T01"."""
    return f"T{k + 1:02d}"


def parse_topic_id(text: str) -> int:
    """The 0-based index of a display id: "T01" -> 0. ValueError for anything else."""
    match = _TOPIC_ID.fullmatch(text.strip())
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"not a topic id: {text!r} (expected T01, T02, ...)")
    return int(match.group(1)) - 1


def topic_key(model: str, k: int) -> str:
    """A model's topic as one key: ("nmf_k10", 2) -> "nmf_k10:T03"."""
    return f"{model}:{topic_id(k)}"


def parse_topic_key(text: str) -> tuple[str, int]:
    """"nmf_k10:T03" -> ("nmf_k10", 2); the model name may itself contain colons."""
    model, sep, topic = text.rpartition(":")
    if not sep or not model:
        raise ValueError(f"not a model topic key: {text!r} (expected <model>:T01)")
    return model, parse_topic_id(topic)

"""Groups (parent codes) in a model's structure, read from their subcodes.

A run seeds, aligns and scores the analysed codes only (`Codebook.analysed_ids`: every leaf,
and a group only when human codings apply it), so a group outside them has no evidence score
of its own to match topics with. Its presence comes from its subcodes (:func:`.presence`), and
so does its status in each model, from the statuses its descendants got:

- `absent` when its presence is absent;
- `split` when its descendants' matched topics (own_topic, split, merged) are two or more;
- `own_topic` when they are one topic and that topic carries only codes of the group;
- `merged` when that one topic also carries codes outside the group (`with_codes`);
- `present_without_topic` when no descendant has a matched topic: `topics` names the topics
  holding most of the group's evidence (its subcodes' evidence segments, by summed theta).

A group's status is unstable when every descendant match behind it is unstable. Similarity,
cut-off and stability stay empty: a group is never matched on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from topicbook.verdicts.presence import CodePresence
from topicbook.verdicts.structure import CodeStructure, ModelStructure

MATCHED = ("own_topic", "split", "merged")


def group_structure(structure: ModelStructure, group: CodePresence, below: Sequence[str],
                    doc_topic: np.ndarray, evidence: np.ndarray, where_topics: int = 3) -> CodeStructure:
    """The status of `group` in one model from its descendants' statuses in `structure`.

    below: the group's descendants (the analysed ones have a status in `structure`); doc_topic:
    (n_segments, n_topics) of the model; evidence: (n_segments,) bool, the group's evidence
    segments (its own and its descendants')."""
    name = structure.model
    if group.presence == "absent":
        return CodeStructure(name, group.code, "absent")
    family = set(below)
    rows = sorted(structure.position[c] for c in family if c in structure.position)  # codebook order
    kids = [structure.codes[i] for i in rows if structure.codes[i].status in MATCHED]
    topics: list[int] = []
    for kid in kids:
        topics.extend(k for k in kid.topics if k not in topics)
    unstable = bool(kids) and all(kid.unstable for kid in kids)
    if len(topics) >= 2:
        return CodeStructure(name, group.code, "split", tuple(topics), unstable=unstable)
    if topics:
        carried = next(t.codes for t in structure.topics if t.topic == topics[0])
        others = tuple(c for c in carried if c not in family)
        status = "merged" if others else "own_topic"
        return CodeStructure(name, group.code, status, tuple(topics), unstable=unstable, with_codes=others)
    mass = doc_topic[evidence].sum(axis=0)
    where = tuple(int(k) for k in np.argsort(-mass, kind="stable")[:where_topics] if mass[k] > 0)
    return CodeStructure(name, group.code, "present_without_topic", where)

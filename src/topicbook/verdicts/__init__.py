"""Evidence-based verdicts: which codes the data confirms, splits, merges or lacks.

Two questions, kept apart:

1. **Presence** (:mod:`.presence`), per code and independent of any model: the evidence
   segments are those whose raw word cosine with the code's text (the word half of the
   codebook similarity of :mod:`topicbook.scoring`) exceeds the code's null cut-off, the 95th
   percentile of the cosines that 50 pseudo-codes reach in this corpus. A pseudo-code has the
   code's exact term-weight profile on terms drawn at random from the corpus vocabulary, so
   the cut-off moves with corpus size, segment length, vocabulary and the code's length.
   `present` when the support (segments above the cut-off) exceeds what 80% of the
   pseudo-codes reach, with at least 3 segments from at least 2 documents; `absent` when it is
   no more than the median pseudo-code's (or no term of the code is in the vocabulary);
   `uncertain` otherwise. Groups (parent codes) are present through any subcode.
2. **Structure** (:mod:`.structure`), per model and code, exactly one of `own_topic`,
   `split`, `merged`, `present_without_topic`, `absent`. A topic-code match is a correlation
   of the topic's weights with the code's evidence scores above the 99th percentile of the
   topic's correlations with pseudo-code scores; matches are re-checked in the stability
   re-fits and marked unstable when they hold in fewer than half.
3. Topics that carry no code are `emergent`, or `procedural` when they are interview routine
   (:mod:`.procedural`: a built-in lexicon for en, de, fr, it, es, and the first/last turns of
   interviews).

:func:`verdict_table` computes all of it (and, with human codings, the verdicts' own accuracy:
presence against human presence, match precision against the code's base rate); its result's
`rows()` and `to_json()` are verdicts.csv and verdicts.json.

Settings: PresenceSettings (n_pseudo 50, quantile 0.95, present_quantile 0.8, min_support 3,
min_documents 2) were chosen once on the development half of a 2,500-comment sample of the NHS
comments (benchmarks/bench_verdicts.py) and then kept fixed for the demo, PDPilot and the NHS
report half; StructureSettings (match_quantile 0.99, split_ratio 0.6, min_stable 0.5) and the
procedural rule were fixed in advance. Measured accuracy: docs/benchmarks.md, "Verdicts".
"""

from topicbook.verdicts.presence import (
    PRESENCE,
    CodePresence,
    Evidence,
    PresenceSettings,
    evidence,
    presence,
    pseudo_vectors,
)
from topicbook.verdicts.procedural import PROCEDURAL_WORDS, procedural_terms
from topicbook.verdicts.structure import (
    STATUSES,
    CodeStructure,
    ModelStructure,
    StructureSettings,
    TopicVerdict,
    structure,
)
from topicbook.verdicts.table import (
    MatchPrecision,
    PresenceCheck,
    VerdictEvaluation,
    VerdictTable,
    evaluate_verdicts,
    verdict_table,
)

__all__ = [
    "PRESENCE", "PROCEDURAL_WORDS", "STATUSES", "CodePresence", "CodeStructure", "Evidence", "MatchPrecision",
    "ModelStructure", "PresenceCheck", "PresenceSettings", "StructureSettings", "TopicVerdict", "VerdictEvaluation",
    "VerdictTable", "evaluate_verdicts", "evidence", "presence", "procedural_terms", "pseudo_vectors", "structure",
    "verdict_table",
]

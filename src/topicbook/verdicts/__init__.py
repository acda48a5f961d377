"""Evidence-based verdicts: which codes the data confirms, splits, merges or lacks.

Two questions, kept apart:

1. **Presence** (:mod:`.presence`), per code and independent of any model: the evidence
   segments are those whose raw word cosine with the code's text (the word half of the
   codebook similarity of :mod:`topicbook.scoring`) exceeds the code's null cut-off, the 95th
   percentile of the cosines that 50 pseudo-codes reach in this corpus. A pseudo-code has the
   code's exact term-weight profile on terms drawn at random from the corpus vocabulary, so
   the cut-off moves with corpus size, segment length, vocabulary and the code's length.
   `present` needs at least 3 segments from at least 2 documents and: for a long code (a text
   of 5 or more distinct words) a support above what 75% of the pseudo-codes reach (rounds 1-3: 80%) *and* a
   coverage (idf-weighted share of its words that the corpus uses) of at least 0.7 x the
   codebook's median, so that a code from another domain that meets the corpus through a few
   generic words is `uncertain`; for a short code (a name) that support *or* a coverage of at
   least 0.75 (all its words occur, if rarely). `absent` when the support is no more than the
   median pseudo-code's (or no term of the code is in the vocabulary); `uncertain` otherwise.
   Groups (parent codes) are present through any subcode. Round 5 adds a second route for
   codes of few words (:mod:`.families`): a name written with words the corpus uses only in
   another form ("cleanliness" as "clean") is present when, counting word families, the
   corpus uses 0.75 of its text and its family evidence is at least 0.55% of the segments.
2. **Structure** (:mod:`.structure`), per model and code, exactly one of `own_topic`,
   `split`, `merged`, `present_without_topic`, `absent`. A topic-code match needs the topic's
   weights to correlate with the code's evidence scores beyond the pseudo-codes (false
   discovery rate 5% over the model's topic-code pairs) and the topic's 10 top quotes to hold
   the code's evidence more often than its share of segments (binomial, FDR 5%); matches are
   re-checked in the stability re-fits and marked unstable when they hold in fewer than half.
   A topic carries only its leading codes (within 0.9 of its best code's correlation; round
   3: 0.6), and a code is also split over topics whose top quotes are its evidence nearly as
   often as in its best match (round 3) when their correlation is at least 0.2 of its best
   match's (round 4).
3. Topics that carry no code are `procedural` when they are interview routine
   (:mod:`.procedural`: a built-in lexicon for en, de, fr, it, es, and the first/last turns of
   interviews), `explained` when their top quotes hold some code's evidence beyond the presence
   null (the codes are named: a mixture of known codes), else `emergent`: no code's evidence
   explains them.

:func:`verdict_table` computes all of it (and, with human codings, the verdicts' own accuracy:
presence against human presence, match precision against the code's base rate); its result's
`rows()` and `to_json()` are verdicts.csv and verdicts.json.

Settings: round 1's (n_pseudo 50, quantile 0.95, present_quantile 0.8 until round 4, min_support 3,
min_documents 2) and round 2's (relative_coverage 0.7, long_code_words 5, full_coverage 0.75;
match_fdr 0.05, quote_fdr 0.05, top_quotes 10, min_quote_overlap 2), round 3's (split_quotes)
and round 4's (present_quantile 0.75, was 0.8; lead_ratio 0.9, split_quote_similarity 0.2;
by the worst case over five development samples) and round 5's (family_share 0.0055,
family_prefix 5; the same five samples) were chosen on the
development half of the NHS comments only, and then kept fixed for
the demo, PDPilot and the NHS report half (benchmarks/bench_verdicts.py, docs/verdicts.md);
split_ratio 0.6, min_stable 0.5 and the procedural rule were fixed in advance. Round 1's
method is these settings with relative_coverage, full_coverage, match_fdr and quote_fdr None.
Measured accuracy: docs/benchmarks.md, "Verdicts".
"""

from topicbook.verdicts.presence import (
    PRESENCE,
    CodePresence,
    Evidence,
    PresenceSettings,
    evidence,
    presence,
    pseudo_vectors,
    text_coverage,
)
from topicbook.verdicts.procedural import PROCEDURAL_WORDS, procedural_terms
from topicbook.verdicts.structure import (
    STATUSES,
    CodeStructure,
    ModelStructure,
    StructureSettings,
    TopicMatches,
    TopicVerdict,
    structure,
    topic_matches,
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
    "ModelStructure", "PresenceCheck", "PresenceSettings", "StructureSettings", "TopicMatches", "TopicVerdict",
    "VerdictEvaluation", "VerdictTable", "evaluate_verdicts", "evidence", "presence", "procedural_terms", "pseudo_vectors",
    "structure", "text_coverage", "topic_matches", "verdict_table",
]

"""Evidence-based verdicts on planted-theme fixtures: presence against a corpus null, one
structure status per code and model, procedural topics, and the JSON round trip."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

import numpy as np
import pytest

from conftest import (
    BACKGROUND,
    GREETINGS,
    QUESTIONS,
    THEMES,
    VERDICT_CODEBOOK,
    planted_turn,
    shared_corpus,
    write_planted_corpus,
)
from topicbook.align import align
from topicbook.config import ModelConfig, PreprocessConfig, load_config
from topicbook.evaluate import stability
from topicbook.models import fit_model
from topicbook.pairing import column_correlations
from topicbook.pipeline import prepare
from topicbook.preprocess import Preprocessor
from topicbook.stability import SUBSAMPLE, stability_refits, subsample_dtm, subsample_rows
from topicbook.verdicts import (
    PROCEDURAL_WORDS,
    STATUSES,
    CodePresence,
    PresenceSettings,
    StructureSettings,
    VerdictTable,
    evaluate_verdicts,
    evidence,
    presence,
    procedural_terms,
    structure,
    text_coverage,
    topic_matches,
    verdict_table,
)

CODEBOOK = VERDICT_CODEBOOK + "  - id: empty\n    name: Zzyzx\n"



def _prepared(root: Path, codebook: str = CODEBOOK, greetings: bool = False, n_docs: int = 8,
              n_words: int = 40, generic: str | None = None):  # type: ignore[no-untyped-def]
    config = write_planted_corpus(root, n_docs=n_docs)
    _rewrite(config.parent / "interviews", greetings, n_words, generic)
    (config.parent / "codebook.yaml").write_text(codebook, encoding="utf-8")
    cfg = load_config(config)
    return prepare(dataclasses.replace(cfg, cache=dataclasses.replace(cfg.cache, enabled=False)))


def _rewrite(folder: Path, greetings: bool, n_words: int, generic: str | None = None) -> None:
    """The planted interviews again, each turn with a few BACKGROUND words, optionally with
    opening and closing pleasantries, `n_words` theme-or-filler words per turn, and a
    `generic` word in half of the turns, whatever their theme."""
    rng = random.Random(3)

    def turn(theme: str) -> str:
        extra = " ".join(rng.choice(BACKGROUND) for _ in range(max(4, n_words // 3)))
        if generic and rng.random() < 0.5:
            extra += f" {generic} {generic} {generic}"
        return f"{planted_turn(rng, theme, n_words)[:-1]} {extra}."

    themes = ["gardening", "music", "cooking", "sailing"]
    for d, path in enumerate(sorted(folder.glob("*.txt"))):
        lines = []
        if greetings:
            lines += ["Interviewer: Shall we start?", f"Ada: {GREETINGS[0]}"]
        for t in range(8):
            lines += [f"Interviewer: {rng.choice(QUESTIONS)}", f"Ada: {turn(themes[(d + t) % 4])}"]
        if greetings:
            lines += ["Interviewer: Anything else to add?", f"Ada: {GREETINGS[1]}"]
        path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")


def _texts_docs(prepared):  # type: ignore[no-untyped-def]
    segs = prepared.segments
    return ([segs[s].text for s in prepared.dtm.segment_ids], [segs[s].document for s in prepared.dtm.segment_ids])


def _table(prepared, models, refits=None, **kw) -> VerdictTable:  # type: ignore[no-untyped-def]
    _, docs = _texts_docs(prepared)
    return verdict_table(prepared.dtm, prepared.codebook, prepared.preprocessor.transform, docs, models,
                         refits=refits, **kw)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):  # type: ignore[no-untyped-def]
    prepared = _prepared(tmp_path_factory.mktemp("verdicts"))
    configs = [ModelConfig(type="nmf", n_topics=4), ModelConfig(type="lda", n_topics=4, passes=20)]
    models = [fit_model(m, prepared.dtm, 7) for m in configs]
    refits = stability_refits(configs, prepared.dtm, 7, 2)
    return prepared, configs, models, refits, _table(prepared, models, refits)


def _presence(table: VerdictTable) -> dict[str, CodePresence]:
    return {v.code: v for v in table.presence}


def test_planted_codes_present_and_decoy_absent(planted) -> None:  # type: ignore[no-untyped-def]
    verdicts = _presence(planted[4])
    for code in ("gardening", "music", "outdoors"):
        assert verdicts[code].presence == "present", verdicts[code]
        assert verdicts[code].support > verdicts[code].expected_false
        assert verdicts[code].documents >= 2 and len(verdicts[code].quotes) == 5
    assert verdicts["astronomy"].presence == "absent"
    assert verdicts["astronomy"].support == 0 and "vocabulary" in verdicts["astronomy"].reason


def test_group_and_code_without_terms_get_verdicts(planted) -> None:  # type: ignore[no-untyped-def]
    verdicts = _presence(planted[4])
    assert verdicts["hobbies"].presence == "present"
    assert verdicts["hobbies"].children == ("gardening", "music")
    assert "subcodes" in verdicts["hobbies"].reason
    assert verdicts["hobbies"].support >= verdicts["gardening"].support
    assert verdicts["empty"].presence == "absent" and verdicts["empty"].in_vocabulary == 0
    assert verdicts["empty"].cutoff is None and "vocabulary" in verdicts["empty"].reason


def test_every_code_has_exactly_one_status_in_every_model(planted) -> None:  # type: ignore[no-untyped-def]
    table = planted[4]
    for model in table.models:
        assert [c.code for c in model.codes] == planted[0].codebook.ids()
        assert all(c.status in STATUSES for c in model.codes)
        assert model.status("astronomy") == "absent" and model.status("empty") == "absent"
        assert model.status("gardening") == "own_topic" and model.status("music") == "own_topic"


def test_code_spread_over_two_topics_is_split_or_without_topic(planted) -> None:  # type: ignore[no-untyped-def]
    """`outdoors` takes half its keywords from gardening and half from sailing: present, and its
    evidence lies in those two topics (split, or present without a topic of its own)."""
    prepared, _, models, _, table = planted
    boat = prepared.dtm.vocab.index("boat")
    for model, st in zip(models, table.models, strict=True):
        outdoors = next(c for c in st.codes if c.code == "outdoors")
        gardening_topic = next(c for c in st.codes if c.code == "gardening").topics[0]
        sailing_topic = int(np.argmax(model.topic_term[:, boat]))
        assert outdoors.status in ("split", "present_without_topic"), outdoors
        assert set(outdoors.topics[:2]) == {gardening_topic, sailing_topic}
    assert _presence(table)["outdoors"].presence == "present"


def test_stable_matches_hold_in_refits(planted) -> None:  # type: ignore[no-untyped-def]
    nmf = planted[4].models[0]
    gardening = next(c for c in nmf.codes if c.code == "gardening")
    assert gardening.stability == (1.0,) and not gardening.unstable


def test_stability_refits_are_the_stability_cells(planted) -> None:  # type: ignore[no-untyped-def]
    """The re-fits are the stability cells (seeds seed+1.., each on its 90% subsample), so the
    stability figure from them is the one a direct re-fit of those cells gives."""
    prepared, configs, models, refits, _ = planted
    n = prepared.dtm.counts.shape[0]
    for config, model in zip(configs, models, strict=True):
        assert [r.seed for r in refits[config.label]] == [8, 9]
        # re-fits skip gensim's logged perplexity estimate (issue 16), which draws from the seed's stream
        direct = [fit_model(config, subsample_dtm(prepared.dtm, SUBSAMPLE, seed), seed, eval_every=None) for seed in (8, 9)]
        for r, d in zip(refits[config.label], direct, strict=True):
            assert np.array_equal(r.rows, subsample_rows(n, SUBSAMPLE, r.seed))
            assert np.array_equal(r.topic_term, d.topic_term) and np.array_equal(r.doc_topic, d.doc_topic)
            assert r.doc_topic.shape == (len(r.rows), model.n_topics)
        assert stability(model.topic_term, [r.topic_term for r in refits[config.label]]) == \
            stability(model.topic_term, [d.topic_term for d in direct])


def test_pdpilot_like_case_every_code_gets_a_status(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A code whose best topic goes to another code in align's one-to-one pairing gets no status
    from align; verdicts give it one."""
    codebook = CODEBOOK.split("  - id: outdoors")[0] + """\
  - id: allotment
    name: Allotment tools
    keywords: [shovel, window, street, paper]
"""
    prepared = _prepared(tmp_path, codebook)
    model = fit_model(ModelConfig(type="nmf", n_topics=4), prepared.dtm, 7)
    old = align(model, prepared.dtm, prepared.codebook, prepared.seeds)
    assert old.code_status("allotment") == []  # the fixture reproduces the PDPilot case
    table = _table(prepared, [model])
    statuses = {c.code: c for c in table.models[0].codes}
    assert set(statuses) == set(prepared.codebook.ids()) and all(c.status in STATUSES for c in statuses.values())
    allotment = statuses["allotment"]
    assert allotment.status in ("merged", "present_without_topic"), allotment
    assert allotment.topics[0] == statuses["gardening"].topics[0]  # the topic it shares with gardening
    if allotment.status == "merged":
        assert allotment.with_codes == ("gardening",)


def test_greetings_topic_is_procedural(tmp_path) -> None:  # type: ignore[no-untyped-def]
    prepared = _prepared(tmp_path, greetings=True)
    model = fit_model(ModelConfig(type="nmf", n_topics=5), prepared.dtm, 7)
    table = _table(prepared, [model])
    topics = table.models[0].topics
    greeting = [t for t in topics if t.status == "procedural"]
    assert len(greeting) == 1, topics
    top = [prepared.dtm.vocab[i] for i in np.argsort(-model.topic_term[greeting[0].topic])[:3]]
    assert "thank" in top
    assert greeting[0].position > 0.5 and greeting[0].codes == ()
    # cooking and sailing carry no code; cooking is emergent, sailing is explained by `outdoors`
    # (whose keywords boat, sail, harbour are sailing words: it is not a new theme)
    loose = {t.status: t for t in topics if t.status in ("emergent", "explained")}
    assert len([t for t in topics if t.status in ("emergent", "explained")]) == 2, topics
    assert set(loose) == {"emergent", "explained"} and loose["explained"].explained_by == ("outdoors",), topics
    cooking = {prepared.dtm.vocab[i] for i in np.argsort(-model.topic_term[loose["emergent"].topic])[:5]}
    assert cooking & set(THEMES["cooking"]), cooking


def test_procedural_lexicon_reaches_every_language() -> None:
    """Each built-in list reaches the vocabulary through that language's own preprocessing
    (lemmas; words that are stopwords there, such as French merci, never form a topic)."""
    greeting = {"en": "Hello", "de": "Hallo", "fr": "Bonjour", "it": "Buongiorno", "es": "Hola"}
    for language, words in PROCEDURAL_WORDS.items():
        pre = Preprocessor(PreprocessConfig(phrases=False), language=language)
        terms = sorted({t for w in words for t in pre.transform(w)})
        assert len(terms) >= 10, (language, terms)
        assert set(pre.transform(greeting[language])) <= set(terms), language
        marked = procedural_terms((*terms, "zzz"), pre.transform, language)
        assert marked[:-1].all() and not marked[-1], language


def test_null_cutoff_adapts_to_corpus(tmp_path) -> None:
    """Longer segments spread a segment's weight over more terms: the null cut-off (a raw cosine)
    falls. More segments: the expected false count grows with them."""
    def run(root: Path, **kw):  # type: ignore[no-untyped-def]
        prepared = _prepared(root, **kw)
        _, docs = _texts_docs(prepared)
        ev = evidence(prepared.dtm, prepared.codebook, prepared.preprocessor.transform, docs)
        return prepared, ev, presence(ev, prepared.codebook)

    _, short, short_v = run(tmp_path / "short", n_words=20)
    _, long, long_v = run(tmp_path / "long", n_words=120)
    usable = np.isfinite(short.cutoffs)
    assert usable.sum() >= 3
    assert np.all(long.cutoffs[usable] < short.cutoffs[usable])
    small, _, small_v = run(tmp_path / "small", n_docs=8)
    big, _, big_v = run(tmp_path / "big", n_docs=24)
    assert big.dtm.counts.shape[0] > 2 * small.dtm.counts.shape[0]
    for a, b in zip(small_v, big_v, strict=True):
        if a.in_vocabulary:
            assert b.expected_false > a.expected_false, (a, b)


def test_presence_settings_change_the_verdict(planted) -> None:  # type: ignore[no-untyped-def]
    prepared = planted[0]
    _, docs = _texts_docs(prepared)
    strict = PresenceSettings(min_documents=100)
    ev = evidence(prepared.dtm, prepared.codebook, prepared.preprocessor.transform, docs, strict)
    verdicts = {v.code: v for v in presence(ev, prepared.codebook, strict)}
    assert verdicts["gardening"].presence == "uncertain" and "document" in verdicts["gardening"].reason


def test_evaluation_against_human_codings(planted) -> None:  # type: ignore[no-untyped-def]
    prepared, _, models, _, table = planted
    n, ids = prepared.dtm.counts.shape[0], prepared.codebook.ids()
    labels = np.zeros((n, len(ids)), dtype=bool)
    theta = models[0].doc_topic
    gardening = next(c for c in table.models[0].codes if c.code == "gardening")
    k = gardening.topics[0]
    top = np.argsort(-theta[:, k], kind="stable")[:10]
    labels[top[:7], ids.index("gardening")] = True  # humans coded 7 of the topic's top 10
    _, docs = _texts_docs(prepared)
    ev = evaluate_verdicts(table.presence, table.models[:1], models[:1], labels, docs, np.ones(n, dtype=bool))
    match = next(m for m in ev.matches if m.code == "gardening")
    assert match.precision == 0.7 and match.base_rate == round(7 / n, 4)
    check = next(c for c in ev.presence if c.code == "gardening")
    assert check.human_segments == 7 and check.presence == "present"


def test_json_round_trip_and_rows(planted) -> None:  # type: ignore[no-untyped-def]
    table = planted[4]
    again = VerdictTable.from_json(json.loads(json.dumps(table.to_json(), allow_nan=False)))
    assert again == table
    rows = table.rows()
    assert [r["code"] for r in rows] == planted[0].codebook.ids()
    assert list(rows[0]) == table.columns()
    assert {r["status:nmf_k4"] for r in rows} <= {s for s in STATUSES} | {f"{s} (unstable)" for s in STATUSES}
    assert table.counts()["absent"] == 2


def test_pdpilot_every_code_has_a_status() -> None:
    """The real case of the issue: 91 codes (groups, codes without memo) in nmf_k10."""
    import sys

    shared_corpus("pdpilot-interviews")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import tempfile

    from verdict_data import load_pdpilot

    with tempfile.TemporaryDirectory() as tmp:
        corpus = load_pdpilot(Path(tmp))
    model = fit_model(ModelConfig(type="nmf", n_topics=10), corpus.dtm, 42)
    table = verdict_table(corpus.dtm, corpus.codebook, corpus.transform, corpus.documents, [model])
    assert len(table.models[0].codes) == len(corpus.codebook) == 96
    assert all(c.status in STATUSES for c in table.models[0].codes)
    assert all(v.presence in ("present", "uncertain", "absent") for v in table.presence)


ROUND_1 = PresenceSettings(relative_coverage=None, full_coverage=None)

GENERIC_DECOY = """\
  - id: volcanoes
    name: Volcanic eruptions
    definition: Lava flows from the crater, magma chambers and ash clouds; the villagers look up and evacuate.
    keywords: [volcano, lava, eruption, magma, crater]
  - id: compost
    name: Compost
"""


def test_generic_word_decoy_is_not_present_but_a_specific_word_is(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A decoy from another domain whose only word in the corpus is a generic one ("look", in
    half of all turns) beats the pseudo-code null (round 1 calls it present); its coverage is
    low, so it is uncertain and says which word carries it. A names-only code of one specific
    word (compost, gardening turns only) is present."""
    prepared = _prepared(tmp_path, CODEBOOK + GENERIC_DECOY, generic="look")
    _, docs = _texts_docs(prepared)
    transform = prepared.preprocessor.transform
    ev = evidence(prepared.dtm, prepared.codebook, transform, docs)
    verdicts = {v.code: v for v in presence(ev, prepared.codebook)}
    before = {v.code: v for v in presence(evidence(prepared.dtm, prepared.codebook, transform, docs, ROUND_1),
                                          prepared.codebook, ROUND_1)}
    assert before["volcanoes"].presence == "present"  # the failure of round 1 this guards against
    decoy = verdicts["volcanoes"]
    assert decoy.presence == "uncertain", decoy
    assert decoy.evidence_terms == ("look",) and "'look'" in decoy.reason
    assert decoy.coverage is not None and decoy.coverage < 0.2
    assert verdicts["compost"].presence == "present", verdicts["compost"]
    assert verdicts["compost"].coverage == 1.0 and verdicts["compost"].evidence_terms == ("compost",)
    for code in ("gardening", "music", "outdoors"):
        assert verdicts[code].presence == "present", verdicts[code]


def test_text_coverage_weighs_unseen_words_as_most_specific() -> None:
    """Coverage: the idf-weighted share of a code's distinct words that the vocabulary has; an
    unseen word weighs ln(1 + n_segments) + 1, the smooth idf of a word in no segment."""
    from topicbook.codebook import Code, Codebook

    vocab = ("guitar", "melody", "look")
    idf = np.array([2.0, 3.0, 1.5])
    codebook = Codebook("c", (Code(id="music", name="Guitar melody", keywords=("guitar",)),
                              Code(id="volcano", name="Volcano", definition="Lava, look, lava, crater"),
                              Code(id="none", name="The")))
    def words(text: str) -> list[str]:
        return [w for w in text.lower().replace(",", "").split() if w != "the"]  # "the": a stopword

    coverage, n_words = text_coverage(codebook, vocab, words, idf, 99)
    unseen = np.log(100) + 1
    assert coverage[0] == 1.0 and n_words[0] == 2
    assert coverage[1] == pytest.approx(1.5 / (1.5 + 3 * unseen)) and n_words[1] == 4  # volcano lava look crater
    assert coverage[2] == 0.0 and n_words[2] == 0


def test_a_match_needs_top_quotes_that_are_evidence() -> None:
    """Topic 1 follows the code's scores over the corpus but its 10 top segments are not the
    code's evidence: the correlation alone matches it, the top-quote test does not."""
    rng = np.random.default_rng(0)
    n = 300
    scores = rng.random((n, 1))
    evidence_mask = scores > np.quantile(scores, 0.8)
    theta = np.hstack([scores + 0.05 * rng.random((n, 1)), scores + 0.3 * rng.random((n, 1))])
    outside = np.flatnonzero(~evidence_mask[:, 0])[:10]
    theta[outside, 1] = 3.0  # topic 1's top quotes: segments outside the evidence
    null = rng.random((n, 100))
    usable = np.array([True])
    with_quotes = topic_matches(theta, scores, null, evidence_mask, usable, StructureSettings())
    without = topic_matches(theta, scores, null, evidence_mask, usable, StructureSettings(quote_fdr=None))
    assert with_quotes.matched[:, 0].tolist() == [True, False]
    assert without.matched[:, 0].tolist() == [True, True]
    assert with_quotes.quote_share[:, 0].tolist() == [1.0, 0.0]
    assert not topic_matches(theta, scores, null, evidence_mask, np.array([False]), StructureSettings()).matched.any()


def test_random_codes_collect_no_matches_at_the_false_discovery_rate() -> None:
    """200 codes with random scores against 10 topics: round 1's per-pair 99% quantile matches
    about 1% of the 2,000 pairs; the FDR-controlled correlation test matches none."""
    rng = np.random.default_rng(1)
    n = 300
    theta = rng.dirichlet(np.full(10, 0.3), size=n)
    scores = rng.random((n, 200))
    evidence_mask = scores > np.quantile(scores, 0.8, axis=0)
    null = rng.random((n, 100))
    usable = np.ones(200, dtype=bool)
    round_1 = topic_matches(theta, scores, null, evidence_mask, usable, StructureSettings(match_fdr=None, quote_fdr=None))
    fdr_only = topic_matches(theta, scores, null, evidence_mask, usable, StructureSettings(quote_fdr=None))
    assert round_1.matched.sum() >= 10
    assert fdr_only.matched.sum() == 0 and np.all(np.isinf(fdr_only.cutoff))


def test_model_whose_topics_carry_no_code_gives_strict_json(planted) -> None:  # type: ignore[no-untyped-def]
    """Random topic weights: no topic-code pair passes the FDR test, so the per-topic cut-off is
    infinite; verdicts.json records it as null (strict JSON) and alignment.csv leaves it empty."""
    prepared, _, models, _, _ = planted
    rng = np.random.default_rng(3)
    n = prepared.dtm.counts.shape[0]
    noise = dataclasses.replace(models[0], name="noise_k4", doc_topic=rng.dirichlet(np.ones(4), size=n))
    table = _table(prepared, [noise])
    codes = table.models[0].codes
    assert not any(c.status in ("own_topic", "split", "merged") for c in codes)
    assert any(c.cutoff and c.cutoff[0] is None for c in codes)
    again = VerdictTable.from_json(json.loads(json.dumps(table.to_json(), allow_nan=False)))
    assert again == table
    assert {r["cutoff"] for r in table.structure_rows({}) if r["model"] == "noise_k4"} == {""}


UNCODED_THEMES = """\
name: Two of four themes
codes:
  - id: gardening
    name: Gardening
    keywords: [tomato, soil, compost, seedling, harvest]
  - id: music
    name: Making music
    keywords: [guitar, chord, melody, concert, rhythm]
"""


def test_a_theme_without_a_code_is_emergent_and_a_coded_theme_is_not(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Emergent is 'no code's evidence explains the topic', not 'no matched code': with the
    match test made impossible (no topic carries a code), the gardening and music topics are
    still explained by their codes' evidence, and only cooking and sailing (no code) are emergent."""
    prepared = _prepared(tmp_path, codebook=UNCODED_THEMES)
    model = fit_model(ModelConfig(type="nmf", n_topics=4), prepared.dtm, 7)
    table = _table(prepared, [model], structure_settings=StructureSettings(match_fdr=1e-300))
    vocab = prepared.dtm.vocab
    by_theme = {}
    for t in table.models[0].topics:
        top = {vocab[i] for i in np.argsort(-model.topic_term[t.topic])[:5]}
        theme = max(THEMES, key=lambda name: len(top & set(THEMES[name])))
        by_theme[theme] = t
    assert set(by_theme) == set(THEMES), by_theme  # one topic per planted theme
    assert all(t.codes == () for t in by_theme.values())  # nothing carried: the old rule calls all four emergent
    assert by_theme["gardening"].status == "explained" and by_theme["gardening"].explained_by[0] == "gardening"
    assert by_theme["music"].status == "explained" and by_theme["music"].explained_by[0] == "music"
    for theme in ("cooking", "sailing"):
        assert by_theme[theme].status == "emergent", by_theme[theme]
        assert by_theme[theme].explained_by == () and "no code's evidence" in by_theme[theme].reason
    assert by_theme["gardening"].top_evidence > by_theme["cooking"].top_evidence
    default = _table(prepared, [model])  # with the match test on, the coded themes are carried instead
    carried = {t.topic for t in default.models[0].topics if t.status == "carries_codes"}
    assert {by_theme["gardening"].topic, by_theme["music"].topic} <= carried
    assert {t.status for t in default.models[0].topics if t.topic not in carried} == {"emergent"}


def test_a_topic_carries_only_its_leading_codes() -> None:
    """Topic 0 follows code 0 closely and code 1 loosely (code 1's evidence overlaps code 0's):
    both pass round 2's two tests, but with lead_ratio only the leading code is carried."""
    rng = np.random.default_rng(2)
    n = 400
    base = rng.random(n)
    noise = rng.random(n)
    noise[np.argsort(-base)[:10]] = 1.0  # the topic's top segments are code 1's evidence too
    scores = np.column_stack([base, base + 1.5 * noise])
    evidence_mask = scores > np.quantile(scores, 0.8, axis=0)
    theta = np.column_stack([base + 0.02 * rng.random(n), rng.random(n)])
    null = rng.random((n, 100))
    usable = np.ones(2, dtype=bool)
    round_2 = topic_matches(theta, scores, null, evidence_mask, usable, StructureSettings(lead_ratio=None))
    leading = topic_matches(theta, scores, null, evidence_mask, usable, StructureSettings())
    assert round_2.matched[0].tolist() == [True, True]
    assert round_2.similarity[0, 1] < 0.6 * round_2.similarity[0, 0]
    assert leading.matched[0].tolist() == [True, False]


def test_pseudo_codes_drawn_in_a_block_keep_each_codes_weights() -> None:
    """One draw for a block of codes: every pseudo-code has its code's weights on as many
    distinct terms, unit length; the drawn terms cover the vocabulary; same seed, same draw."""
    from topicbook.verdicts.presence import pseudo_block

    vectors = np.zeros((3, 40))
    vectors[0, [1, 5, 7]] = [0.5, 0.3, 0.2]
    vectors[1, 10] = 1.0  # a one-term code
    pseudo = pseudo_block(vectors, 50, np.random.default_rng(0))
    assert pseudo.shape == (3, 50, 40)
    for c in range(3):
        weights = np.sort(vectors[c][vectors[c] != 0])
        for p in pseudo[c]:
            got = np.sort(p[p != 0])
            assert got.size == weights.size  # distinct terms, none lost
            if weights.size:
                assert np.allclose(got, np.sort(weights / np.linalg.norm(weights)))
    assert not pseudo[2].any()  # a code without terms has no pseudo-codes
    assert np.flatnonzero(pseudo[1].any(axis=0)).size > 20  # 50 one-term draws over 40 terms: about 29 distinct
    assert np.array_equal(pseudo, pseudo_block(vectors, 50, np.random.default_rng(0)))
    assert not np.array_equal(pseudo, pseudo_block(vectors, 50, np.random.default_rng(1)))


def _one_code_evidence(scores: np.ndarray, evidence_mask: np.ndarray, rng: np.random.Generator):  # type: ignore[no-untyped-def]
    """Evidence of synthetic codes over len(scores) segments (8 documents), 100 null columns."""
    from topicbook.verdicts.presence import Evidence

    n, m = scores.shape
    cutoffs = np.array([scores[~evidence_mask[:, c], c].max() for c in range(m)])
    return Evidence(tuple(f"c{c}" for c in range(m)), tuple(f"s{i}" for i in range(n)),
                    tuple(f"d{i % 8}" for i in range(n)), scores, cutoffs, evidence_mask,
                    np.full((m, 50), int(0.05 * n)), np.full(m, 3), rng.random((n, 100)))


def _present(code: str) -> CodePresence:
    return CodePresence(code, code, "present", 80, 20.0, 25.0, 0.02, 8, 0.5, (), "planted")


def test_a_split_over_quoted_topics_needs_part_of_the_best_similarity() -> None:
    """Topic 0 carries the code; the top quotes of topics 1 and 2 are all its evidence, but only
    topic 2's weights also follow its scores (topic 1: 10 spikes on noise). Round 4 splits the
    code over topics 0 and 2; round 3 (no similarity floor) over topic 1 as well."""
    from topicbook.models import FittedModel

    rng = np.random.default_rng(4)
    n = 400
    scores = rng.random((n, 1))
    evidence_mask = scores > np.quantile(scores, 0.8)
    theta = np.column_stack([scores[:, 0] + 0.05 * rng.random(n), rng.random(n), 0.3 * scores[:, 0] + rng.random(n)])
    inside = np.flatnonzero(evidence_mask[:, 0])
    theta[rng.choice(inside, 10, replace=False), 1] = 3.0
    theta[rng.choice(inside, 10, replace=False), 2] = 3.0
    model = FittedModel("planted", "nmf", theta, np.ones((3, 5)) / 5, {})
    ev = _one_code_evidence(scores, evidence_mask, rng)
    round_4 = structure(model, ev, [_present("c0")]).codes[0]
    round_3 = structure(model, ev, [_present("c0")], settings=StructureSettings(lead_ratio=0.6, split_quote_similarity=None)).codes[0]
    sim = column_correlations(theta, scores)[:, 0]
    assert sim[1] < 0.2 * sim[0] <= sim[2] < 0.6 * sim[0]  # the planted case
    assert round_4.status == "split" and round_4.topics == (0, 2), round_4
    assert round_3.status == "split" and set(round_3.topics) == {0, 1, 2}, round_3


def test_a_topic_carries_codes_that_nearly_tie_with_its_best() -> None:
    """Codes 0 and 1 follow topic 0 almost alike (a near tie: merged), code 2 at about 0.75 of
    code 0's correlation: round 3 (lead_ratio 0.6) carries all three, round 4 (0.9) the two."""
    rng = np.random.default_rng(5)
    n = 400
    base = rng.random(n)
    scores = np.column_stack([base, base + 0.05 * rng.random(n), base + 0.55 * rng.random(n)])
    scores[np.argsort(-base)[:10], 2] = 2.0  # the topic's top quotes are code 2's evidence too
    evidence_mask = scores > np.quantile(scores, 0.8, axis=0)
    theta = np.column_stack([base + 0.02 * rng.random(n), rng.random(n)])
    null = rng.random((n, 100))
    usable = np.ones(3, dtype=bool)
    round_3 = topic_matches(theta, scores, null, evidence_mask, usable, StructureSettings(lead_ratio=0.6))
    round_4 = topic_matches(theta, scores, null, evidence_mask, usable, StructureSettings())
    ratio = round_3.similarity[0] / round_3.similarity[0, 0]
    assert ratio[1] >= 0.9 and 0.6 <= ratio[2] < 0.9, ratio  # the planted case
    assert round_3.matched[0].tolist() == [True, True, True]
    assert round_4.matched[0].tolist() == [True, True, False]

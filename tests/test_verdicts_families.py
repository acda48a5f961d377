"""The word-family route of presence (round 5): a names-only code written with words the
segments use only in another form ("cleanliness" for "clean") is present through its word
families; a decoy met through a family in a handful of segments is not."""

from __future__ import annotations

import random

import numpy as np

from topicbook.codebook import Code, Codebook
from topicbook.config import PreprocessConfig
from topicbook.preprocess import Preprocessor, vectorize
from topicbook.verdicts import PresenceSettings, evidence, presence
from topicbook.verdicts.families import WordFamilies, word_families

BACKGROUND = ("doctor", "nurse", "appointment", "waiting", "time", "phone", "letter", "reception", "surgery", "visit",
              "treatment", "results", "prescription", "pharmacy", "ambulance", "staff", "manager", "parking", "children",
              "friendly", "helpful")
CLEAN = ("the ward was clean", "they cleaned the room every day", "a very tidy and clean place",
         "cleaning staff kept it tidy", "the toilets were not clean")


def _corpus(n: int = 1000, n_clean: int = 60, n_space: int = 4):  # type: ignore[no-untyped-def]
    """n segments over 20 documents: background words, n_clean segments about cleaning, and
    n_space about a parking space and exploring the building."""
    rng = random.Random(3)
    texts = [" ".join(rng.choice(BACKGROUND) for _ in range(8)) for _ in range(n)]
    for i in range(n_clean):
        texts[i * 7 % n] += " " + CLEAN[i % len(CLEAN)]
    for i in range(n_space):
        texts[(i * 13 + 5) % n] += " " + ("no parking space left" if i % 2 else "we had to explore the building")
    cfg = PreprocessConfig(lemmatize="lemma", stopwords=True, phrases=False, min_df=2, max_df=0.5)
    pre = Preprocessor(cfg, language="en")
    ids = [f"s{i}" for i in range(n)]
    dtm = vectorize(pre.fit_transform(texts), ids, cfg, pre.report)
    docs = [f"d{int(s[1:]) % 20}" for s in dtm.segment_ids]
    codebook = Codebook("names", (Code(id="clean", name="Cleanliness & tidiness"),
                                  Code(id="space", name="Space exploration"),
                                  Code(id="staff", name="Staff")))
    by_id = dict(zip(ids, texts, strict=True))
    return dtm, docs, codebook, pre.transform, [by_id[s] for s in dtm.segment_ids]


def test_families_join_stems_and_long_prefixes_only() -> None:
    families = WordFamilies(["clean", "cleaner", "tidy", "competent", "care", "car", "fresh_air"], "en", 5)
    assert families.family("cleanliness") == ("clean",)  # cleanli starts with clean (5 letters), not with cleaner
    assert families.family("tidiness") == ("tidy",)  # the same stem, tidi
    assert families.family("competence") == ("competent",)
    assert families.family("career") == ()  # care: a stem of 4 letters joins only its own stem
    assert families.family("car") == ("car",)
    assert families.family("fresh_air") == ("fresh_air",) and families.family("fresh") == ()
    assert word_families(["clean"], "xx", 5) is None  # no stemmer for the language: no family route


def test_a_names_only_code_in_other_word_forms_is_present_through_families() -> None:
    dtm, docs, codebook, transform, texts = _corpus()
    assert "clean" in dtm.vocab and "cleanliness" not in dtm.vocab and "tidiness" not in dtm.vocab
    verdicts = {v.code: v for v in presence(evidence(dtm, codebook, transform, docs), codebook)}
    round_4 = PresenceSettings(family_share=None)
    before = {v.code: v for v in presence(evidence(dtm, codebook, transform, docs, round_4), codebook, round_4)}
    clean = verdicts["clean"]
    assert before["clean"].presence == "absent" and before["clean"].route == "words"  # no word of it in the corpus
    assert clean.presence == "present" and clean.route == "word families", clean
    assert clean.support >= 20 and clean.coverage == 1.0 and "cleanliness as clean" in clean.reason
    segment_text = dict(zip(dtm.segment_ids, (" ".join(transform(t)) for t in texts), strict=True))
    assert clean.quotes and all("clean" in segment_text[q] or "tidy" in segment_text[q] for q in clean.quotes)
    assert verdicts["staff"] == before["staff"]  # a code the word route decides is untouched


def test_a_decoy_met_through_a_family_in_few_segments_is_not_present() -> None:
    dtm, docs, codebook, transform, _ = _corpus()
    assert {"space", "explore"} <= set(dtm.vocab)
    space = {v.code: v for v in presence(evidence(dtm, codebook, transform, docs), codebook)}["space"]
    assert space.presence != "present" and space.route == "words", space
    floorless = PresenceSettings(family_share=0.0)  # only min_support and min_documents
    loose = {v.code: v for v in presence(evidence(dtm, codebook, transform, docs, floorless), codebook, floorless)}
    assert loose["space"].presence == "present" and loose["space"].route == "word families"  # what the share keeps out


def test_the_family_route_leaves_long_codes_to_the_word_route() -> None:
    dtm, docs, _, transform, _ = _corpus()
    long = Codebook("long", (Code(id="clean", name="Cleanliness", definition="Cleanliness, tidiness, hygiene, order and dust"),))
    ev = evidence(dtm, long, transform, docs)
    assert ev.family_columns == ()
    assert np.all(ev.family_scores is None or ev.family_scores.size == 0)

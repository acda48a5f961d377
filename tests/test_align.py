"""Alignment statuses on the planted fixture: a code spread over two themes is split, two codes
on one theme are merged, alongside matched, not-found and emergent."""

import dataclasses

import pytest

from conftest import THEMES
from topicbook.config import load_config
from topicbook.pipeline import analyse, fit_all, prepare

SPLIT_MERGE_CODEBOOK = """\
name: Planted statuses
codes:
  - id: outdoors
    name: Outdoors
    keywords: [tomato, soil, compost, boat, sail, harbour]
  - id: baking
    name: Baking
    keywords: [flour, dough, pastry]
  - id: kitchen
    name: Kitchen work
    keywords: [oven, recipe, saucepan]
  - id: astronomy
    name: Astronomy
    keywords: [telescope, planet, orbit]
"""


@pytest.fixture(scope="module")
def nmf_alignment(tmp_path_factory):
    from conftest import write_planted_corpus

    config = write_planted_corpus(tmp_path_factory.mktemp("align"))
    (config.parent / "codebook.yaml").write_text(SPLIT_MERGE_CODEBOOK, encoding="utf-8")
    cfg = load_config(config)
    cfg = dataclasses.replace(cfg, models=[m for m in cfg.models if m.type == "nmf"],
                              evaluate=dataclasses.replace(cfg.evaluate, stability_seeds=0))
    prepared = prepare(cfg)
    result = analyse(prepared, fit_all(prepared))
    (model,) = result.models
    themes = {}
    for s in result.summaries[model.name]:
        hits = {t: sum(w in words for w in s.top_terms[:5]) for t, words in THEMES.items()}
        themes[s.id] = max(hits, key=hits.get)
    return result.alignments[model.name], themes


def test_a_code_spread_over_two_themes_is_split(nmf_alignment):
    al, themes = nmf_alignment
    assert sorted(themes[k] for k in al.splits["outdoors"]) == ["gardening", "sailing"]
    assert "split" in al.code_status("outdoors")


def test_two_codes_on_one_theme_are_merged(nmf_alignment):
    al, themes = nmf_alignment
    (topic,) = [k for k, codes in al.merges.items() if set(codes) == {"baking", "kitchen"}]
    assert themes[topic] == "cooking"
    assert "merged" in al.code_status("baking") and "merged" in al.code_status("kitchen")


def test_theme_without_code_is_emergent_and_code_without_data_not_found(nmf_alignment):
    al, themes = nmf_alignment
    assert [themes[k] for k in al.emergent] == ["music"]
    assert "astronomy" in al.not_found or "astronomy" in al.no_seed_terms

"""End to end on the planted-theme fixture: models recover themes, alignment names codes,
runs are reproducible and atomic."""

import csv
from pathlib import Path

import numpy as np
import pytest

from conftest import THEMES
from topicbook.config import load_config
from topicbook.errors import TopicbookError
from topicbook.pipeline import analyse, fit_all, prepare, run


@pytest.fixture
def result(planted):
    prepared = prepare(load_config(planted))
    return analyse(prepared, fit_all(prepared))


def theme_of(terms):
    counts = {t: sum(w in words for w in terms[:5]) for t, words in THEMES.items()}
    best = max(counts, key=counts.get)
    return best if counts[best] >= 4 else None


@pytest.mark.parametrize("model_index", [0, 1], ids=["lda", "nmf"])
def test_models_recover_one_topic_per_planted_theme(result, model_index):
    model = result.models[model_index]
    assert model.doc_topic.shape == (len(result.prepared.dtm.segment_ids), 4)
    assert np.allclose(model.doc_topic.sum(axis=1), 1) and np.allclose(model.topic_term.sum(axis=1), 1)
    found = [theme_of(s.top_terms) for s in result.summaries[model.name]]
    assert sorted(found) == sorted(THEMES)


@pytest.mark.parametrize("model_index", [0, 1], ids=["lda", "nmf"])
def test_alignment_matches_codes_reports_emergent_and_not_found(result, model_index):
    model = result.models[model_index]
    al = result.alignments[model.name]
    themes = {k: theme_of(s.top_terms) for k, s in enumerate(result.summaries[model.name])}
    assert {code: themes[k] for code, k in al.matches.items()} == {
        "gardening": "gardening", "music": "music", "cooking": "cooking"}
    assert [themes[k] for k in al.emergent] == ["sailing"]
    assert al.no_seed_terms == ["astronomy"]
    assert al.code_status("astronomy") == ["no_seed_terms"]


def test_quotes_come_from_the_topic(result):
    model = result.models[1]
    segments = result.prepared.segments
    for s in result.summaries[model.name]:
        theme = theme_of(s.top_terms)
        for seg_id in s.quotes:
            text = segments[seg_id].text.lower()
            assert sum(text.count(w) for w in THEMES[theme]) >= 5


def read(folder: Path, name: str) -> bytes:
    return (folder / name).read_bytes()


@pytest.mark.slow
def test_same_seed_same_outputs_and_a_clash_gets_a_new_folder(planted, tmp_path):
    cfg = load_config(planted)
    first, _ = run(cfg, out_dir=tmp_path, name="same")
    second, _ = run(cfg, out_dir=tmp_path, name="same")
    assert first != second and first.exists() and second.exists()
    for name in ("topics.csv", "doc_topics.csv", "alignment.csv", "alignment.json", "segments.csv"):
        assert read(first, name) == read(second, name), name


@pytest.mark.slow
def test_another_seed_gives_other_topics(planted, tmp_path):
    import dataclasses

    cfg = load_config(planted)
    a, _ = run(cfg, out_dir=tmp_path, name="a")
    b, _ = run(dataclasses.replace(cfg, seed=cfg.seed + 1), out_dir=tmp_path, name="b")
    assert read(a, "doc_topics.csv") != read(b, "doc_topics.csv")


def test_a_failure_while_writing_leaves_no_folder(planted, tmp_path, monkeypatch):
    import topicbook.report.explorer_data as explorer

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(explorer, "explorer_data", boom)
    with pytest.raises(KeyboardInterrupt):
        run(load_config(planted), out_dir=tmp_path / "runs", name="x")
    assert list((tmp_path / "runs").iterdir()) == []


def test_too_many_topics_is_a_clear_error(planted):
    text = planted.read_text().replace("n_topics: 4\n    passes", "n_topics: 500\n    passes")
    planted.write_text(text)
    prepared = prepare(load_config(planted))
    with pytest.raises(TopicbookError, match=r"asks for n_topics=500 but the corpus has only \d+ segments"):
        fit_all(prepared)


@pytest.mark.slow
def test_segments_csv_spans_point_into_the_documents(planted, tmp_path):
    folder, result = run(load_config(planted), out_dir=tmp_path, name="spans")
    docs = {d.id: d.text for d in result.prepared.corpus.documents}
    with open(folder / "segments.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(result.prepared.segmentation.segments) > 0
    for row in rows:
        span_text = docs[row["document"]][int(row["start"]):int(row["end"])]
        assert span_text.replace("\n\n", "\n") .startswith(row["text"].split("\n")[0])
        assert row["role"] == "respondent"

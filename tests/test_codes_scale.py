"""Codebooks of many codes: per-code work stays linear (counted, not timed), and every batched or
blocked computation gives what the one-code-at-a-time definition gives.

The speed and memory target (10,000 codes over 64 segments in under 60 s and 1 GB) lives in
benchmarks/bench_codes.py; these tests check the structure behind it: the heatmap draws at
most HEATMAP_MAX_CODES codes, the self-trained score fits one regression per distinct set of
pseudo-labels, and the page grows by a bounded number of bytes per code.
"""

from __future__ import annotations

import dataclasses
import gc
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import MANY_CODES_GROUP, SVG_TOO, write_many_codes, write_planted_corpus
from topicbook import align as align_module
from topicbook import heap, scoring
from topicbook.codebook import (
    Code,
    Codebook,
    codebook_records,
    codebook_to_yaml,
    keyword_report,
    load_codebook,
)
from topicbook.config import PreprocessConfig, load_config, parse_yaml
from topicbook.pipeline import fit_all, prepare, run
from topicbook.preprocess import Preprocessor
from topicbook.report import figures, run_folder
from topicbook.scoring import PART_WEIGHTS, _unit, feature_spaces


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory):
    """The planted corpus prepared with a generated codebook of 300 codes, and its models."""
    root = tmp_path_factory.mktemp("many")
    config = write_planted_corpus(root)
    write_many_codes(root / "codebook.yaml", 300)
    prepared = prepare(load_config(config))
    return prepared, fit_all(prepared)


def test_generated_codebook_is_deterministic_with_groups_and_missing_keywords(tmp_path: Path) -> None:
    a = write_many_codes(tmp_path / "a.yaml", 120).read_text(encoding="utf-8")
    assert write_many_codes(tmp_path / "b.yaml", 120).read_text(encoding="utf-8") == a
    book = load_codebook(tmp_path / "a.yaml")
    assert len(book) == 120 and len(book.leaves()) == 120 - -(-120 // MANY_CODES_GROUP)  # a group opens every 50
    assert len({c.name for c in book.codes}) == 120
    assert any("zorb" in c.keywords or "quill" in c.keywords for c in book.codes)


# --------------------------------------------------------------------------- figures


def _model_data(n_codes: int, carried: dict[str, int]) -> dict:
    """A model's explorer data with `n_codes` codes, those of `carried` on their own topic."""
    rng = np.random.default_rng(0)
    codes = [f"c{i:04d}" for i in range(n_codes)]
    sim = rng.uniform(-0.2, 0.5, size=(3, n_codes))
    return {"name": "m", "topics": [{"display": f"T0{k + 1}", "label": f"t{k}", "terms": ["a"], "weights": [1.0]} for k in range(3)],
            "alignment": {"codes": codes, "similarity": sim.round(3).tolist(),
                          "status": {c: ("own_topic" if c in carried else "present_without_topic") for c in codes},
                          "topics": {c: [k] for c, k in carried.items()}}}


def test_heatmap_draws_every_code_up_to_the_cap_and_the_cap_beyond() -> None:
    cap = figures.HEATMAP_MAX_CODES
    small = _model_data(cap, {"c0003": 1})
    assert figures.heatmap_codes(small["alignment"]) == list(range(cap))
    big = _model_data(10 * cap, {"c0007": 0, f"c{10 * cap - 1:04d}": 2})
    shown = figures.heatmap_codes(big["alignment"])
    assert len(shown) == cap and shown == sorted(shown)
    assert {7, 10 * cap - 1} <= set(shown)  # codes a topic carries always drawn
    sim = np.asarray(big["alignment"]["similarity"]).max(axis=0)
    others = [j for j in shown if j not in (7, 10 * cap - 1)]
    left_out = sorted(set(range(10 * cap)) - set(shown))
    assert sim[others].min() >= sim[left_out].max()  # then the codes most correlated with any topic
    fig = figures.heatmap_figure(big)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == [big["alignment"]["codes"][j] for j in shown]
    assert f"{cap} of {10 * cap:,} codes" in fig.axes[0].get_title()
    assert len(fig.axes[0].patches) == 2  # both carried codes outlined
    assert fig.get_figwidth() == figures.heatmap_figure(_model_data(cap, {})).get_figwidth()


# --------------------------------------------------------------------------- scores


def test_selftrained_fits_one_regression_per_distinct_pseudo_label_set(many, monkeypatch) -> None:
    prepared, _ = many
    dtm = prepared.dtm
    spaces = feature_spaces(dtm, [prepared.segments[s].text for s in dtm.segment_ids])
    sim = scoring.similarity_from_spaces(spaces, prepared.codebook, dtm.vocab, prepared.preprocessor.transform)
    fits = []

    class Counting(scoring.LogisticRegression):
        def fit(self, X, y, sample_weight=None):  # type: ignore[no-untyped-def]
            fits.append(np.flatnonzero(y).tolist())
            return super().fit(X, y, sample_weight)

    monkeypatch.setattr(scoring, "LogisticRegression", Counting)
    scores = scoring.selftrained_from_spaces(spaces, sim, seed=3)
    m = max(2, int(scoring.SELF_TRAIN_SHARE * dtm.counts.shape[0]))
    label_sets = {tuple(sorted(np.argsort(-sim[:, c], kind="stable")[:m].tolist())) for c in range(sim.shape[1])}
    assert len(fits) == len(label_sets) < sim.shape[1]
    assert len({tuple(f) for f in fits}) == len(fits)  # never the same labels twice
    # each code's score is what its own regression gives
    for c in (0, 57, sim.shape[1] - 1):
        y = np.zeros(dtm.counts.shape[0], dtype=bool)
        y[np.argsort(-sim[:, c], kind="stable")[:m]] = True
        own = scoring.LogisticRegression(C=1.0, max_iter=300, random_state=3).fit(spaces.combined(), y)
        expected = scoring.combine_scores(own.decision_function(spaces.combined())[:, None], sim[:, c:c + 1])
        assert np.allclose(scores[:, c], expected[:, 0])


def _code_vectors_one_at_a_time(codebook, vocab, transform, idf):  # type: ignore[no-untyped-def]
    """code_vectors as its docstring defines it, one code and part at a time."""
    index = {t: i for i, t in enumerate(vocab)}

    def part(texts):  # type: ignore[no-untyped-def]
        texts = [t for t in texts if t.strip()]
        if not texts:
            return np.zeros(len(vocab))
        bag = np.zeros((len(texts), len(vocab)))
        for i, text in enumerate(texts):
            for t in transform(text):
                if t in index:
                    bag[i, index[t]] += 1
        return _unit(_unit(np.where(bag > 0, 1.0 + np.log(np.maximum(bag, 1.0)), 0.0) * idf).mean(axis=0))

    vecs = np.array([PART_WEIGHTS["name"] * part([c.name]) + PART_WEIGHTS["definition"] * part([c.definition])
                     + PART_WEIGHTS["keywords"] * part([" ".join(c.keywords)] if c.keywords else [])
                     + PART_WEIGHTS["examples"] * part(c.examples) for c in codebook.codes])
    vecs = vecs * np.log1p(len(codebook) / np.maximum((vecs > 0).sum(axis=0), 1))
    for c, code in enumerate(codebook.codes):
        if code.exclude:
            bad = [index[t] for t in transform(" ".join(code.exclude)) if t in index]
            vecs[c, bad] = -vecs[c].max() if vecs[c].max() > 0 else -1.0
    return _unit(vecs)


def _with_more_examples(codebook: Codebook) -> Codebook:
    return Codebook(codebook.name, tuple(
        dataclasses.replace(c, examples=(*c.examples, "The tomato soil and compost", " ")) if i % 4 == 0 else c
        for i, c in enumerate(codebook.codes)))


def test_code_vectors_in_blocks_equal_one_code_at_a_time(many, monkeypatch) -> None:
    prepared, _ = many
    book = _with_more_examples(prepared.codebook)
    dtm = prepared.dtm
    spaces = feature_spaces(dtm, [prepared.segments[s].text for s in dtm.segment_ids])
    expected = _code_vectors_one_at_a_time(book, dtm.vocab, prepared.preprocessor.transform, spaces.idf)
    assert np.array_equal(scoring.code_vectors(book, dtm.vocab, prepared.preprocessor.transform, spaces.idf), expected)
    monkeypatch.setattr(scoring, "VALUES_BLOCK", 7 * len(PART_WEIGHTS) * len(dtm.vocab))  # blocks of 7 codes
    assert np.array_equal(scoring.code_vectors(book, dtm.vocab, prepared.preprocessor.transform, spaces.idf), expected)


def test_char_code_vectors_in_blocks_equal_one_transform_per_part(many, monkeypatch) -> None:
    prepared, _ = many
    book = _with_more_examples(prepared.codebook)
    dtm = prepared.dtm
    vectorizer = feature_spaces(dtm, [prepared.segments[s].text for s in dtm.segment_ids]).char_vectorizer
    assert vectorizer is not None
    vecs = np.zeros((len(book), len(vectorizer.vocabulary_)))
    for c, code in enumerate(book.codes):
        for key, texts in (("name", [code.name]), ("definition", [code.definition]),
                           ("keywords", [" ".join(code.keywords)]), ("examples", list(code.examples))):
            texts = [t for t in texts if t.strip()]
            if texts:
                vecs[c] += PART_WEIGHTS[key] * _unit(np.asarray(vectorizer.transform(texts).mean(axis=0)).ravel())
    expected = _unit(vecs * np.log1p(len(book) / np.maximum((vecs > 0).sum(axis=0), 1)))
    monkeypatch.setattr(scoring, "TEXT_BLOCK", 13)
    assert np.array_equal(scoring.char_code_vectors(book, vectorizer), expected)


def test_keyword_report_counts_segments_as_a_scan_of_every_segment_does(many) -> None:
    prepared, _ = many
    report = keyword_report(prepared.codebook, prepared.seeds, prepared.dtm.tokens)
    sets = [set(t) for t in prepared.dtm.tokens]
    assert sum(1 for r in report for k in r.keywords if k.segments) > 100
    for row in report:
        for hit in row.keywords:
            assert hit.segments == sum(1 for s in sets if any(t in s for t in hit.terms))
        for term in row.text_terms:
            assert term.segments == sum(1 for s in sets if term.term in s)


def test_alignment_quotes_in_blocks_of_codes_equal_one_block(many, monkeypatch) -> None:
    prepared, fitted = many
    whole = align_module.align(fitted[0], prepared.dtm, prepared.codebook, prepared.seeds)
    monkeypatch.setattr(align_module, "QUOTE_BLOCK_VALUES", 64 * 11)  # 11 codes per block
    blocked = align_module.align(fitted[0], prepared.dtm, prepared.codebook, prepared.seeds)
    assert list(blocked.cell_quotes.items()) == list(whole.cell_quotes.items())
    assert blocked.code_quotes == whole.code_quotes and blocked.keyword_hits == whole.keyword_hits
    assert sum(1 for q in whole.cell_quotes.values() if q) > 100
    k, c = next((k, c) for (k, c), q in whole.cell_quotes.items() if len(q) == 3)
    score = fitted[0].doc_topic[:, k] * align_module.code_density(
        prepared.dtm, np.vstack([prepared.seeds.vector(code, prepared.dtm.n_terms) for code in whole.code_ids]))[:, c]
    assert whole.cell_quotes[(k, c)] == [prepared.dtm.segment_ids[i] for i in np.argsort(-score, kind="stable")[:3]]


def test_code_status_of_every_code_reads_each_list_once(many) -> None:
    prepared, fitted = many
    al = align_module.align(fitted[0], prepared.dtm, prepared.codebook, prepared.seeds)
    merged = {c for codes in al.merges.values() for c in codes}
    for code in al.code_ids:
        expected = (["matched"] if code in al.matches else []) + (["split"] if code in al.splits else []) \
            + (["merged"] if code in merged else []) \
            + (["no_seed_terms"] if code in al.no_seed_terms else ["not_found"] if code in al.not_found else [])
        assert al.code_status(code) == expected
    assert al._listed is al._listed  # built once per alignment


# --------------------------------------------------------------------------- codebook text


def test_yaml_is_parsed_and_written_as_pyyaml_does(tmp_path: Path) -> None:
    path = write_many_codes(tmp_path / "book.yaml", 60)
    text = path.read_text(encoding="utf-8")
    assert parse_yaml(text, path) == yaml.safe_load(text)
    book = Codebook("Wëird: 'name' # x", (
        Code("a", "Ünïcödé — naïve: yes", "Long definition with: colons, 'quotes' and #hash " * 4,
             ("multi word", "null", "1.5", "@at", "-dash", "é"), ("x",), ("Line one\nline two", "emoji 😀", " lead")),
        Code("b", "B", parent="a")))
    for codebook in (load_codebook(path), book):
        expected = yaml.safe_dump({"name": codebook.name, "codes": codebook_records(codebook)},
                                  sort_keys=False, allow_unicode=True, width=100)
        assert codebook_to_yaml(codebook) == expected


def test_transform_is_remembered_per_text_and_forgotten_when_phrases_are_learned_again() -> None:
    pre = Preprocessor(PreprocessConfig(phrases=True, phrase_threshold=0.1, min_df=1), language="en")
    pre.fit_transform(["red apple fell", "red apple grew", "green leaf"] * 5)
    first = pre.transform("red apple pie")
    assert first == ["red_apple", "pie"]
    first.append("changed")  # the caller's list, not the remembered one
    assert pre.transform("red apple pie") == ["red_apple", "pie"]
    pre.fit_transform(["apple pie baked", "apple pie cooled", "red door"] * 5)
    assert pre.transform("red apple pie") == ["red", "apple_pie"]


# --------------------------------------------------------------------------- the page


@pytest.mark.slow
def test_page_and_figures_grow_linearly_in_codes(tmp_path: Path) -> None:
    """Two runs, 150 and 450 generated codes: the page grows by a bounded number of bytes per
    code, and the figures are the same files with the heatmap capped."""
    sizes = {}
    for n in (150, 450):
        root = tmp_path / f"c{n}"
        config = write_planted_corpus(root)
        config.write_text(config.read_text(encoding="utf-8") + SVG_TOO, encoding="utf-8")
        write_many_codes(root / "codebook.yaml", n)
        folder, result = run(load_config(config), out_dir=root / "runs")
        data = json.loads((folder / "explorer_data.json").read_text(encoding="utf-8"))
        analysed = len(data["models"][0]["alignment"]["codes"])  # the leaves (groups have no column)
        svg = (folder / "figures" / f"topic_code_heatmap_{result.models[0].name}.svg").read_text(encoding="utf-8")
        assert analysed == n - -(-n // MANY_CODES_GROUP) and f"{figures.HEATMAP_MAX_CODES} of {analysed} codes" in svg
        sizes[n] = {"page": (folder / "explorer.html").stat().st_size,
                    "figures": sorted(p.name for p in (folder / "figures").iterdir()), "codes": len(data["codes"])}
    assert sizes[150]["codes"] == 150 and sizes[450]["codes"] == 450
    assert sizes[150]["figures"] == sizes[450]["figures"]
    per_code = (sizes[450]["page"] - sizes[150]["page"]) / 300
    assert 200 < per_code < 2500  # bytes per code: its row of every table, no codes x codes structure


# --------------------------------------------------------------------------- writing


def _stdlib_json(data: object) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False, default=run_folder._json_default)
            + "\n").encode("utf-8")


def test_json_files_are_byte_for_byte_what_the_standard_library_writes() -> None:
    rng = np.random.default_rng(0)
    floats = [float(x) for x in 10.0 ** rng.uniform(-30, 30, 5_000) * rng.choice([-1, 1], 5_000)]
    floats += [0.0, -0.0, 1e-4, 1e-5, 9.5e-5, 1e-7, 1e16, 1e22, 5e-324, 1.7976931348623157e308, 0.1, 100.0]
    data = {
        "floats": floats, "as values": [{"v": x, "w": [x, -x]} for x in floats[:500]],
        "texts": ["1e-05", "0.00001 e-mail", "re-use e+1", "line\nbreak 1e-7", 'quote " 0.00001', "tab\tNUL\x00 \x1b[2J",
                  "é ü 漢字 \u2028 😀", "back\\slash 1e-05\\"],
        "a key 1e-05": 2e-05, "ints": [0, -1, 2**53 + 1, 10**30], "flags": [True, False, None], "empty": [[], {}, ""],
        "numpy": {"array": np.arange(4) * 1e-6, "int": np.int64(7), "float": np.float64(3e-7), "f32": np.float32(0.5)},
        "tuple": (1, (2.5e-6, "x")), 3: "an int key",
    }
    assert run_folder.json_bytes(data) == _stdlib_json(data)
    assert run_folder.json_bytes([]) == _stdlib_json([]) and run_folder.json_bytes({}) == _stdlib_json({})
    # what pydantic-core would write otherwise is left to the standard library: the same text, the same errors
    for keys in ({None: 1, "x": 1e-5}, {1e-05: 1, 2.5: 2}):
        assert run_folder.json_bytes(keys) == _stdlib_json(keys)
    for bad in ({"x": float("nan")}, {"x": [float("-inf")]}, {float("nan"): 1}, {float("inf"): 1}):
        with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
            run_folder.json_bytes(bad)
    with pytest.raises(TypeError, match="not JSON serialisable: bool"):
        run_folder.json_bytes({"x": np.bool_(True)})


def test_the_run_result_is_frozen_out_of_the_collector_while_written_only() -> None:
    assert gc.get_freeze_count() == 0
    before = gc.get_count()
    with heap.frozen_heap():
        assert gc.get_freeze_count() > 0  # every object alive now
        with heap.frozen_heap():
            pass
        assert gc.get_freeze_count() > 0  # the inner block keeps the outer freeze
    assert gc.get_freeze_count() == 0
    with pytest.raises(KeyError), heap.frozen_heap():
        raise KeyError("x")
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()
    with heap.collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled() and len(before) == 3

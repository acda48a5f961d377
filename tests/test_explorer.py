"""The explorer's data, page and figures without a browser (browser tests: tests/browser/)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.spatial.distance import jensenshannon

from conftest import SVG_TOO, write_planted_corpus
from topicbook.cli import main
from topicbook.config import load_config
from topicbook.errors import InputError
from topicbook.pipeline import run
from topicbook.report.explorer import rebuild_explorer, render_explorer_html, safe_json
from topicbook.report.explorer_data import (
    explorer_data,
    prevalence_by_metadata,
    relevance_candidates,
    topic_correspondence,
)
from topicbook.report.ldavis import js_pcoa

HOSTILE = "Ada: <script>alert(1)</script> tomato soil compost <img src=x onerror=alert(2)> harvest seedling </script> greenhouse water weed tomato soil compost harvest."


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    """One planted run (with a hostile turn) shared by this module: (run folder, result)."""
    root = tmp_path_factory.mktemp("explorer")
    config = write_planted_corpus(root / "project")
    doc = root / "project" / "interviews" / "doc01.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "\nInterviewer: Anything else?\n\n" + HOSTILE + "\n", encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8") + SVG_TOO, encoding="utf-8")
    return run(load_config(config), out_dir=root / "runs", name="planted")


def test_safe_json_cannot_close_a_script_element():
    text = str(safe_json({"q": "</script><script>alert(1)</script> & <!--"}))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"q": "</script><script>alert(1)</script> & <!--"}


def test_page_is_self_contained_and_hostile_text_stays_inside_the_json(planted_run):
    folder, _ = planted_run
    html = (folder / "explorer.html").read_text(encoding="utf-8")
    # four script elements: data, d3, LDAvis, explorer (+ none injected by the transcript)
    assert len(re.findall(r"<script\b", html)) == 4
    assert len(re.findall(r"</script>", html)) == 4
    assert "<img" not in html
    for pattern in (r"<script[^>]+src=", r"<link\b", r"@import", r"url\(\s*[\"']?(https?:|//)", r"<iframe", r"\bsrc=[\"']?https?:"):
        assert not re.search(pattern, html), pattern
    assert "default-src 'none'" in html
    data = json.loads((folder / "explorer_data.json").read_text(encoding="utf-8"))
    assert any("<script>alert(1)</script>" in s["text"] for s in data["segments"].values())


def test_run_folder_has_explorer_data_ldavis_pages_and_figures(planted_run):
    folder, result = planted_run
    data = json.loads((folder / "explorer_data.json").read_text(encoding="utf-8"))
    assert [m["name"] for m in data["models"]] == [m.name for m in result.models]
    for model in result.models:
        page = (folder / f"ldavis_{model.name}.html").read_text(encoding="utf-8")
        assert "new LDAvis(" in page and "cdn" not in page.lower().replace("cdnjs", "") and "<script src" not in page
        lv = next(m for m in data["models"] if m["name"] == model.name)["ldavis"]
        assert lv["topic.order"] == list(range(1, model.n_topics + 1))  # sort_topics=False: our numbering
        for ext in ("png", "svg"):
            for stem in ("top_terms", "topic_code_heatmap"):
                path = folder / "figures" / f"{stem}_{model.name}.{ext}"
                assert path.stat().st_size > 1000, path
        assert list((folder / "figures").glob(f"prevalence_*_{model.name}.svg"))
    svg = (folder / "figures" / f"top_terms_{result.models[0].name}.svg").read_text(encoding="utf-8")
    assert "#0072b2" in svg.lower()  # Okabe-Ito blue


def test_explore_rebuilds_the_same_page(planted_run):
    folder, _ = planted_run
    page = folder / "explorer.html"
    before = page.read_text(encoding="utf-8")
    page.unlink()
    out = CliRunner().invoke(main, ["explore", str(folder)])
    assert out.exit_code == 0, out.output
    assert out.output == f"Explorer: {page}\n"
    assert page.read_text(encoding="utf-8") == before


def test_explore_errors_name_the_path_and_the_fix(tmp_path):
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'nope'}: no such run folder. Pass a folder written by `topicbook run`.")):
        rebuild_explorer(tmp_path / "nope")
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'explorer_data.json'}: not found; this run was written without explorer data. Re-run it with report.explorer: true.")):
        rebuild_explorer(tmp_path)
    (tmp_path / "explorer_data.json").write_text("{", encoding="utf-8")
    out = CliRunner().invoke(main, ["explore", str(tmp_path)])
    assert out.exit_code == 1
    assert out.output.startswith(f"Error: {tmp_path / 'explorer_data.json'}: not valid explorer data (")


def test_topics_carry_relevance_candidates_stability_and_matches(planted_run):
    _, result = planted_run
    data = json.loads((planted_run[0] / "explorer_data.json").read_text(encoding="utf-8"))
    for m, model in zip(data["models"], result.models, strict=True):
        verdicts = result.verdicts.model(model.name)
        for t, v in zip(m["topics"], verdicts.topics, strict=True):
            assert (t["status"], t["codes"]) == (v.status, list(v.codes))
        for c in verdicts.codes:
            assert m["alignment"]["status"][c.code] == c.status
            if c.status == "own_topic":
                assert m["topics"][c.topics[0]]["codes"][0] == c.code
        for t in m["topics"]:
            # at lambda = 1 the slider's ranking is the topic's top terms
            c = t["candidates"]
            order = sorted(range(len(c["terms"])), key=lambda i: -c["pk"][i])
            assert [c["terms"][i] for i in order[:5]] == t["terms"][:5]
        st = result.evaluation[model.name].stability
        if st:
            assert [t["stability"] for t in m["topics"]] == [round(float(x), 3) for x in st.per_topic]


def test_relevance_candidates_hold_the_top_terms_for_every_lambda_on_the_grid():
    rng = np.random.default_rng(0)
    tt = rng.dirichlet(np.full(200, 0.1), size=3)
    share = rng.dirichlet(np.full(200, 1.0))
    vocab = [f"w{i}" for i in range(200)]
    cands = relevance_candidates(tt, share, vocab, n=10)
    for k in range(3):
        for lam in (0.0, 0.5, 1.0):
            rel = lam * np.log(tt[k] + 1e-12) + (1 - lam) * np.log((tt[k] + 1e-12) / (share + 1e-12))
            assert {vocab[i] for i in np.argsort(-rel)[:10]} <= set(cands[k]["terms"])


def test_prevalence_by_metadata_known_answer_and_intervals():
    # 4 documents x 1 segment; A docs all topic 0, B docs half/half
    doc_topic = np.array([[1.0, 0.0], [1.0, 0.0], [0.5, 0.5], [0.5, 0.5]])
    lengths = np.array([10.0, 30.0, 5.0, 5.0])
    meta = {"d1": {"g": "A"}, "d2": {"g": "A"}, "d3": {"g": "B"}, "d4": {"g": "B"}}
    out = prevalence_by_metadata(doc_topic, lengths, ["d1", "d2", "d3", "d4"], meta, seed=1)
    assert list(out) == ["g"]
    g = out["g"]
    assert g["levels"] == ["A", "B"] and g["n_docs"] == [2, 2]
    assert g["mean"] == [[1.0, 0.0], [0.5, 0.5]]
    assert g["lo"] == g["mean"] and g["hi"] == g["mean"]  # identical documents: no spread
    again = prevalence_by_metadata(doc_topic, lengths, ["d1", "d2", "d3", "d4"], meta, seed=1)
    assert again == out


def test_prevalence_intervals_cover_the_mean_and_widen_with_spread():
    rng = np.random.default_rng(3)
    doc_topic = rng.dirichlet([0.3, 0.3, 0.3], size=60)
    docs = [f"d{i // 3}" for i in range(60)]
    meta = {f"d{j}": {"edu": "hi" if j % 2 else "lo"} for j in range(20)}
    out = prevalence_by_metadata(doc_topic, np.full(60, 8.0), docs, meta, seed=0)["edu"]
    mean, lo, hi = (np.array(out[k]) for k in ("mean", "lo", "hi"))
    assert np.all(lo <= mean + 1e-9) and np.all(mean <= hi + 1e-9) and np.all(hi - lo > 0.01)


def test_topic_correspondence_recovers_a_permutation():
    rng = np.random.default_rng(2)
    a = rng.dirichlet(np.full(50, 0.2), size=4)
    perm = [2, 0, 3, 1]
    out = topic_correspondence(a, a[perm])
    assert sorted((i, j) for i, j, _ in out["pairs"]) == sorted((perm[j], j) for j in range(4))
    assert all(c == 1.0 for _, _, c in out["pairs"])


def test_js_pcoa_keeps_jensen_shannon_distances_of_three_topics():
    rng = np.random.default_rng(5)
    tt = rng.dirichlet(np.full(30, 0.5), size=3)
    xy = js_pcoa(tt)
    for i in range(3):
        for j in range(3):
            assert np.linalg.norm(xy[i] - xy[j]) == pytest.approx(jensenshannon(tt[i], tt[j]), abs=1e-9)
    assert np.array_equal(xy, js_pcoa(tt))


def test_transcripts_false_embeds_only_quoted_segments(planted_run, tmp_path):
    import dataclasses

    _, result = planted_run
    cfg = result.prepared.cfg
    for policy, expect_all in ((False, False), (True, True), ("auto", True)):
        result.prepared.cfg = dataclasses.replace(cfg, report=dataclasses.replace(cfg.report, transcripts=policy))
        try:
            data = explorer_data(result, "x")
        finally:
            result.prepared.cfg = cfg
        n_all = len(result.prepared.segmentation.segments)
        assert data["run"]["embedded_all_segments"] is expect_all
        if expect_all:
            assert len(data["segments"]) == n_all
        else:
            quoted = {q for m in data["models"] for t in m["topics"] for q in t["quotes"]}
            assert quoted <= set(data["segments"]) and len(data["segments"]) < n_all
            assert set(data["models"][0]["dominant"]) <= set(data["segments"])
    assert "<script" in render_explorer_html(data)


def test_figures_are_written_in_the_requested_formats_only(planted_run):
    from topicbook.report.figures import write_figures

    folder, result = planted_run
    data = json.loads((folder / "explorer_data.json").read_text(encoding="utf-8"))
    names = {m.name: m.name for m in result.models}
    for formats in (("png",), ("svg",), ("png", "svg")):
        written: dict[str, bytes] = {}
        write_figures(data, lambda rel, blob, out=written: out.setdefault(rel, blob) and folder / rel, names, formats=formats)
        assert {rel.rsplit(".", 1)[1] for rel in written} == set(formats)
        assert len(written) == len(formats) * len({rel.rsplit(".", 1)[0] for rel in written}) >= 3 * len(formats)


@pytest.mark.slow
def test_a_run_writes_png_figures_by_default_and_none_with_an_empty_list(planted, tmp_path):
    import dataclasses

    cfg = load_config(planted)
    cfg = dataclasses.replace(cfg, evaluate=dataclasses.replace(cfg.evaluate, stability_seeds=0))
    assert cfg.report.figure_formats == ["png"]
    folder, _ = run(cfg, out_dir=tmp_path / "runs", name="default")
    kinds = {p.suffix for p in (folder / "figures").iterdir()}
    assert kinds == {".png"}
    bare, _ = run(dataclasses.replace(cfg, report=dataclasses.replace(cfg.report, figure_formats=[])),
                  out_dir=tmp_path / "runs", name="bare")
    assert not (bare / "figures").exists() and (bare / "explorer.html").exists()

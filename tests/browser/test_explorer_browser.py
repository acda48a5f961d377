"""The explorer in a real browser (Debian chromium via Playwright), loaded from file://.

A missing Playwright or chromium fails these tests (never skips): `make test` installs
chromium through the Makefile's `browser` target.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from conftest import write_planted_corpus  # tests/conftest.py

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = "TOPICBOOK_SCREENSHOTS"  # a folder, e.g. docs/img: where the README's screenshots are written
HOSTILE = ("Ada: <script>alert(1)</script> tomato soil compost <img src=x onerror=alert(2)> harvest seedling "
           "</script> greenhouse water weed tomato soil compost harvest, and \"quotes\" & more.")


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The demo config run into a temporary folder: (run folder, explorer data)."""
    from topicbook.config import load_config
    from topicbook.pipeline import run

    cfg = load_config(REPO / "configs" / "demo.yaml")
    # a fresh run: no preprocessing cache shared with other runs of the demo
    # (and no stability re-fits: tests/test_explorer.py checks stability on the planted run)
    cfg = dataclasses.replace(cfg, cache=dataclasses.replace(cfg.cache, enabled=False),
                              evaluate=dataclasses.replace(cfg.evaluate, stability_seeds=0))
    folder, _ = run(cfg, out_dir=tmp_path_factory.mktemp("demo"), name="mooc-demo")
    return folder, json.loads((folder / "explorer_data.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """The planted corpus plus a turn full of markup, with every transcript embedded."""
    from topicbook.config import load_config
    from topicbook.pipeline import run

    root = tmp_path_factory.mktemp("hostile")
    config = write_planted_corpus(root / "project")
    config.write_text(config.read_text(encoding="utf-8") + "  transcripts: true\n", encoding="utf-8")
    doc = root / "project" / "interviews" / "doc01.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "\nInterviewer: Anything else?\n\n" + HOSTILE + "\n" + MERGED, encoding="utf-8")
    folder, _ = run(load_config(config), out_dir=root / "runs", name="hostile")
    return folder


# a short answer merged with the next one: the segment answers two questions
MERGED = ("\nInterviewer: Did it rain last spring?\n\nAda: Yes.\n\nInterviewer: And the harvest after the rain?\n\n"
          "Ada: Tomato soil compost harvest seedling greenhouse water weed allotment shovel tomato soil.\n")


def test_demo_loads_offline_without_errors(demo_run, open_page):
    folder, _ = demo_run
    p = open_page(folder / "explorer.html")
    for view in ("topics", "codebook", "documents", "map", "search", "overview"):
        p.page.click(f"button[data-view='{view}']")
        assert p.page.is_visible(f"#view-{view}")
    p.page.wait_for_selector("#ldavis-host svg", state="attached")
    assert p.errors == []
    assert p.outside_requests() == []
    assert p.requests and all(u.split("#")[0] == p.url for u in p.requests)


def test_clicking_a_topic_shows_its_quotes(demo_run, open_page):
    folder, data = demo_run
    p = open_page(folder / "explorer.html")
    p.page.click("button[data-view='topics']")
    topic = data["models"][0]["topics"][3]
    p.page.click("#topic-list li[data-topic='3']")
    assert p.page.inner_text("#topic-detail h2") == f"{topic['display']} {topic['label']}"
    shown = p.page.eval_on_selector_all("#topic-quotes .quote", "qs => qs.map(q => q.dataset.segment)")
    assert shown == topic["quotes"] and len(shown) == 5
    assert p.page.locator("#topic-quotes mark").count() > 0
    # the link leads to the quote inside the full transcript
    p.page.click("#topic-quotes .quote >> nth=0 >> text=open in transcript")
    assert p.page.is_visible("#view-documents")
    assert p.page.get_attribute("#doc-detail .seg.target", "id") == f"seg-{shown[0]}"
    assert p.errors == []


def test_keyboard_reaches_topics_and_cells(demo_run, open_page):
    folder, data = demo_run
    p = open_page(folder / "explorer.html")
    p.page.focus("button[data-view='topics']")
    p.page.keyboard.press("Enter")
    p.page.focus("#topic-list li[data-topic='0']")
    p.page.keyboard.press("ArrowDown")
    p.page.keyboard.press("Enter")
    assert p.page.inner_text("#topic-detail h2").startswith("T02 ")
    p.page.click("button[data-view='codebook']")
    p.page.focus("td[data-cell='1,1']")
    p.page.keyboard.press("Enter")
    assert p.page.inner_text("#cell-detail h3").startswith("T02 ")


def test_lambda_slider_reranks_terms(demo_run, open_page):
    folder, data = demo_run
    p = open_page(folder / "explorer.html")
    p.page.click("button[data-view='topics']")
    topic = data["models"][0]["topics"][0]

    def terms_at(lam: str) -> list[str]:
        p.page.eval_on_selector("#lambda", "(s, v) => { s.value = v; s.dispatchEvent(new Event('input')); }", lam)
        return p.page.eval_on_selector_all("#topic-terms .term", "ts => ts.map(t => t.textContent)")

    assert terms_at("1") == topic["terms"]
    low = terms_at("0")
    assert low != topic["terms"] and len(low) == len(topic["terms"])


def test_clicking_a_heatmap_cell_shows_that_cells_quotes(demo_run, open_page):
    folder, data = demo_run
    model = data["models"][1]
    al = model["alignment"]
    key, ids = max(al["cells"].items(), key=lambda kv: len(kv[1]))
    k, j = (int(x) for x in key.split(","))
    p = open_page(folder / "explorer.html")
    p.page.select_option("#model", "1")
    p.page.click("button[data-view='codebook']")
    p.page.click(f"td[data-cell='{k},{j}']")
    assert p.page.inner_text("#cell-detail h3").startswith(f"{model['topics'][k]['display']} ")
    assert al["codes"][j] in p.page.inner_text("#cell-detail h3")
    shown = p.page.eval_on_selector_all("#cell-detail .quote", "qs => qs.map(q => q.dataset.segment)")
    assert shown == ids and shown


def test_codebook_map_shows_agreement_with_the_demo_codings(demo_run, open_page):
    folder, data = demo_run
    methods = data["agreement"]["methods"]
    p = open_page(folder / "explorer.html")
    p.page.click("button[data-view='codebook']")
    rows = p.page.eval_on_selector_all("table.agreement tr th[scope='row']", "hs => hs.map(h => h.textContent)")
    assert rows == list(methods)
    aucs = p.page.eval_on_selector_all("table.agreement tr td:first-of-type", "ds => ds.map(d => d.textContent)")
    assert aucs == [str(m["macro_roc_auc"]) for m in methods.values()]
    codes = p.page.eval_on_selector_all("table.agreement-codes tr td:first-child", "ds => ds.map(d => d.textContent)")
    assert codes == list(data["agreement"]["per_code"][next(iter(methods))])


def test_agreement_view_shows_the_learned_fit_and_its_learning_curve(demo_run, open_page):
    folder, data = demo_run
    learned = data["agreement"]["learned"]
    curve = learned["curve"]["points"]
    assert learned["coded_groups"] == 10 and len(curve) >= 3  # the demo codes I01-I10
    p = open_page(folder / "explorer.html")
    p.page.click("button[data-view='codebook']")
    assert p.page.inner_text("#learned") == "Learned from your coding"
    rows = p.page.eval_on_selector_all("table.learning-curve tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.textContent))")
    assert [r[0] for r in rows] == [str(pt["n_documents"]) for pt in curve]
    assert [r[1] for r in rows] == [f"{pt['macro_roc_auc']:.3f}" for pt in curve]
    lines = p.page.eval_on_selector_all("svg.curve-chart polyline", "ls => ls.map(l => l.getAttribute('points').split(' ').length)")
    assert lines == [len(curve), len(curve)]  # learned and the label-free prior, one dot per size
    assert "codes learned" in p.page.inner_text("#view-codebook")
    assert not p.errors and not p.outside_requests()


def test_search_finds_a_known_phrase(demo_run, open_page):
    folder, data = demo_run
    p = open_page(folder / "explorer.html")
    p.page.click("button[data-view='search']")
    p.page.fill("#search-box", "open-plan office")
    hits = p.page.eval_on_selector_all("#search-results .quote", "qs => qs.map(q => q.dataset.segment)")
    assert hits == [sid for sid, s in data["segments"].items() if "open-plan office" in s["text"].lower()]
    assert hits and all(h.startswith("I14#") for h in hits)
    assert p.page.inner_text("#search-summary").startswith(f"{len(hits)} segments")


def test_pyldavis_svg_is_drawn_for_each_model_with_our_numbering(demo_run, open_page):
    folder, data = demo_run
    p = open_page(folder / "explorer.html")
    p.page.click("button[data-view='map']")
    for i, model in enumerate(data["models"]):
        p.page.select_option("#model", str(i))
        p.page.wait_for_selector(f"#ldavis-{i} svg")
        assert p.page.locator(f"#ldavis-{i} circle.dot").count() == model["n_topics"]
        labels = p.page.eval_on_selector_all(f"#ldavis-{i} text.txt", "ts => ts.map(t => t.textContent)")
        assert sorted(labels, key=int) == [str(k + 1) for k in range(model["n_topics"])]
        assert p.page.is_visible(f"#ldavis-{i}")
    assert p.errors == [] and p.outside_requests() == []


def test_prevalence_chart_has_a_bar_and_whisker_per_topic_and_value(demo_run, open_page):
    folder, data = demo_run
    p = open_page(folder / "explorer.html")
    p.page.click("button[data-view='documents']")
    field = p.page.input_value("#prevalence-field")
    prev = data["models"][0]["prevalence_by"][field]
    n = len(prev["levels"]) * data["models"][0]["n_topics"]
    assert p.page.locator(".prevalence-chart rect").count() == n
    assert p.page.locator(".prevalence-chart line").count() == n + 3  # whiskers + 3 grid lines


def test_hostile_transcript_is_shown_as_text(hostile_run, open_page):
    p = open_page(hostile_run / "explorer.html")
    data = json.loads((hostile_run / "explorer_data.json").read_text(encoding="utf-8"))
    seg = next(sid for sid, s in data["segments"].items() if "alert(1)" in s["text"])
    p.page.click("button[data-view='search']")
    p.page.fill("#search-box", "alert(")
    text = p.page.inner_text("#search-results")
    assert "<script>alert(1)</script>" in text and "<img src=x onerror=alert(2)>" in text and "</script>" in text
    p.page.click("button[data-view='documents']")
    p.page.click("#doc-list li[data-doc='doc01']")
    assert "<img src=x onerror=alert(2)>" in p.page.locator(f"[id='seg-{seg}']").inner_text()
    assert p.page.locator("img").count() == 0
    assert p.page.locator("script").count() == 4
    p.page.click("button[data-view='map']")
    p.page.wait_for_selector("#ldavis-host svg")
    assert p.dialogs == [] and p.errors == [] and p.outside_requests() == []


def test_a_merged_segment_shows_each_question_above_its_answer(hostile_run, open_page):
    data = json.loads((hostile_run / "explorer_data.json").read_text(encoding="utf-8"))
    seg_id, seg = next((k, v) for k, v in data["segments"].items() if "Yes.\nTomato" in v["text"])
    assert seg["q"] == "Did it rain last spring?\n\nAnd the harvest after the rain?" and seg["qa"] == [0, 1]
    p = open_page(hostile_run / "explorer.html")
    p.page.click("button[data-view='documents']")
    p.page.click("#doc-list li[data-doc='doc01']")
    shown = p.page.locator(f"[id='seg-{seg_id}']").inner_text()
    order = [shown.index(part) for part in ("Q: Did it rain", "Yes.", "Q: And the harvest", "Tomato soil")]
    assert order == sorted(order)
    assert p.errors == []


def test_readme_screenshot_from_the_demo_run(demo_run, open_page, tmp_path):
    """The README's screenshot, drawn on every run; written into the tree only when
    TOPICBOOK_SCREENSHOTS names a folder (`TOPICBOOK_SCREENSHOTS=docs/img make test`)."""
    folder, data = demo_run
    wanted = os.environ.get(SCREENSHOTS)
    screenshot = (REPO / wanted if wanted else tmp_path) / "explorer.png"
    p = open_page(folder / "explorer.html", width=1280, height=800)
    nmf = next(i for i, m in enumerate(data["models"]) if m["type"] == "nmf")
    p.page.select_option("#model", str(nmf))
    p.page.click("button[data-view='topics']")
    p.page.click("#topic-list li[data-topic='0']")
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    p.page.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 20_000
    assert p.errors == []


PROTO_IDS = ("__proto__", "constructor", "hasOwnProperty", "toString")


@pytest.fixture(scope="module")
def proto_run(tmp_path_factory):
    """The planted corpus whose document ids, code ids, speakers and a metadata field are names of
    Object.prototype members: a page that uses plain objects as maps for ids breaks on them."""
    from topicbook.config import load_config
    from topicbook.pipeline import run

    root = tmp_path_factory.mktemp("proto")
    config = write_planted_corpus(root / "project")
    project = config.parent
    corpus = project / "interviews"
    speakers = ("Ada", "Ben", "Cleo", "Dev")
    for i, doc_id in enumerate(PROTO_IDS):
        path = corpus / f"doc{i + 1:02d}.txt"
        text = path.read_text(encoding="utf-8")
        if i:  # "__proto__" cannot be a speaker label (labels start with a letter)
            text = text.replace(f"{speakers[i]}:", f"{doc_id}:")
        (corpus / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        path.unlink()
    meta = (project / "metadata.csv").read_text(encoding="utf-8").splitlines()
    rows = [meta[0] + ",constructor"] + [line + f",{'toString' if n % 2 else 'valueOf'}" for n, line in enumerate(meta[1:])]
    for i, doc_id in enumerate(PROTO_IDS):
        rows[i + 1] = rows[i + 1].replace(f"doc{i + 1:02d},", f"{doc_id},", 1)
    (project / "metadata.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    book = (project / "codebook.yaml").read_text(encoding="utf-8")
    for old, new in zip(("gardening", "music", "cooking", "astronomy"), PROTO_IDS, strict=True):
        book = book.replace(f"id: {old}", f"id: {new}")
    (project / "codebook.yaml").write_text(book, encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8") + "  transcripts: true\nevaluate:\n  stability_seeds: 0\n", encoding="utf-8")
    folder, _ = run(load_config(config), out_dir=root / "runs", name="proto")
    return folder, json.loads((folder / "explorer_data.json").read_text(encoding="utf-8"))


def test_prototype_names_as_ids_work_in_every_view(proto_run, open_page):
    folder, data = proto_run
    assert {d["id"] for d in data["documents"]} >= set(PROTO_IDS)
    assert {c["id"] for c in data["codes"]} == set(PROTO_IDS)
    p = open_page(folder / "explorer.html")
    for i in range(len(data["models"])):
        p.page.select_option("#model", str(i))
        for view in ("overview", "topics", "codebook", "documents", "search"):
            p.page.click(f"button[data-view='{view}']")
        p.page.click("button[data-view='codebook']")
        header = p.page.inner_text("#heatmap table.heat tr")
        assert all(code in header for code in PROTO_IDS)
        for code in PROTO_IDS:
            p.page.click(f"#heatmap ul.codes a:text-is('{code}')")
            assert p.page.inner_text("#cell-detail h3").startswith(f"Code {code}")
        p.page.click("td[data-cell='0,1']")
        p.page.click("button[data-view='documents']")
        assert p.page.input_value("#prevalence-field") in ("country", "education", "constructor")
        p.page.select_option("#prevalence-field", "constructor")
        assert p.page.locator(".prevalence-chart rect").count() > 0
        for doc_id in PROTO_IDS:
            p.page.click(f"#doc-list li[data-doc='{doc_id}']")
            assert p.page.inner_text("#doc-detail h2") == doc_id
            assert p.page.locator("#doc-detail .seg").count() > 0
        assert "hasOwnProperty: " in p.page.inner_text("#doc-detail") or "toString: " in p.page.inner_text("#doc-detail")
    p.page.click("button[data-view='search']")
    p.page.fill("#search-box", "tomato")
    assert p.page.locator("#search-results .quote").count() > 0
    p.page.click("button[data-view='map']")
    p.page.wait_for_selector("#ldavis-host svg")
    assert p.errors == [] and p.outside_requests() == []

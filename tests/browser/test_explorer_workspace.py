"""The explorer as the researcher's workspace (issue 13), in chromium: the codebook view at
PDPilot's 91 codes, the recommended model and the answer on the overview, decisions kept in
localStorage, downloaded and loaded back, hostile names and decisions shown as text, and the
readability fixes (reflowed quotes, distinctive highlights, lists, prevalence, LDAvis labels).

PDPilot is read from ../shared/corpora (a missing corpus fails in CI, see conftest.shared_corpus).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

from conftest import shared_corpus, write_planted_corpus  # tests/conftest.py

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = "TOPICBOOK_SCREENSHOTS"  # a folder, e.g. docs/img: where the README's screenshots are written
XSS = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(2)</script>"


@pytest.fixture(scope="module")
def pdpilot_run(tmp_path_factory):
    """A real PDPilot run, the benchmark's (bench_explorer.pdpilot_config: the README's
    walk-through with LDA and NMF K=10, no re-fits): (run folder, explorer data)."""
    from topicbook.config import load_config
    from topicbook.pipeline import run

    shared_corpus("pdpilot-interviews")
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_explorer import pdpilot_config

    root = tmp_path_factory.mktemp("pdpilot")
    folder, _ = run(load_config(pdpilot_config(root)), out_dir=root / "runs", name="pdpilot")
    return folder, json.loads((folder / "explorer_data.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    """The planted corpus and its 4 codes, two of them with a hostile name."""
    from topicbook.config import load_config
    from topicbook.pipeline import run

    root = tmp_path_factory.mktemp("workspace")
    config = write_planted_corpus(root / "project")
    book = root / "project" / "codebook.yaml"
    text = book.read_text(encoding="utf-8").replace("name: Gardening", f"name: '{XSS} Gardening'")
    book.write_text(text.replace("name: Making music", f"name: '{SCRIPT}'"), encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8") + "evaluate:\n  stability_seeds: 0\n", encoding="utf-8")
    folder, _ = run(load_config(config), out_dir=root / "runs", name="planted")
    return folder, json.loads((folder / "explorer_data.json").read_text(encoding="utf-8"))


def no_sideways_scroll(p) -> bool:  # type: ignore[no-untyped-def]
    return p.page.evaluate("document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth")


# --------------------------------------------------------------------------- the codebook view


def test_codebook_view_shows_all_91_pdpilot_codes_by_name_with_verdicts_at_1280(pdpilot_run, open_page):
    folder, data = pdpilot_run
    assert len(data["codes"]) == 91
    p = open_page(folder / "explorer.html", width=1280, height=800)
    p.page.click("button[data-view='codebook']")
    rows = p.page.eval_on_selector_all("#codebook-table tbody tr", """rs => rs.map(r => {
        const a = r.querySelector('a[data-code-link]'), box = r.getBoundingClientRect();
        return {code: r.dataset.code, name: a.textContent, title: a.title, presence: r.querySelector('td.presence .badge').textContent,
                statuses: [...r.querySelectorAll('td.status .badge')].map(b => b.className.split(' ')[1]),
                right: box.right, nameRight: a.getBoundingClientRect().right, visible: !!(box.width && box.height)};
    })""")
    presence = data["verdicts"]["presence"]
    assert [r["code"] for r in rows] == tree_order(data["codes"])
    for r in rows:
        code = next(c for c in data["codes"] if c["id"] == r["code"])
        assert r["name"] == code["name"] and r["title"] == code["id"]
        assert r["presence"] == presence[code["id"]]["presence"]
        assert r["statuses"] == [m["alignment"]["status"][code["id"]] for m in data["models"]]
        assert r["visible"] and r["right"] <= 1280 and r["nameRight"] <= 1280
    assert no_sideways_scroll(p)
    # children sit under their group: collapsing it hides them, expanding shows them again
    group = next(c["id"] for c in data["codes"] if any(d["parent"] == c["id"] for d in data["codes"]))
    children = [c["id"] for c in data["codes"] if c["parent"] == group]
    toggle = f"#codebook-table tr[data-code='{group}'] button.toggle"
    p.page.click(toggle)
    assert all(p.page.is_hidden(f"#codebook-table tr[data-code='{c}']") for c in children)
    p.page.click(toggle)
    assert all(p.page.is_visible(f"#codebook-table tr[data-code='{c}']") for c in children)
    assert p.errors == [] and p.outside_requests() == []


def tree_order(codes: list[dict]) -> list[str]:
    """Code ids depth first under their parents, in codebook order."""
    ids = {c["id"] for c in codes}
    out: list[str] = []

    def walk(parent: str | None) -> None:
        for c in codes:
            if (c["parent"] if c["parent"] in ids else None) == parent:
                out.append(c["id"])
                walk(c["id"])
    walk(None)
    return out


def test_codebook_filters_choose_rows_and_heatmap_columns(pdpilot_run, open_page):
    folder, data = pdpilot_run
    p = open_page(folder / "explorer.html")
    p.page.click("button[data-view='codebook']")
    m = data["models"][[x["name"] for x in data["models"]].index(data["recommended"]["model"])]
    group = next(c for c in data["codes"] if sum(d["parent"] == c["id"] for d in data["codes"]) >= 3)
    p.page.select_option("#filter-parent", group["id"])
    shown = p.page.eval_on_selector_all("#codebook-table tbody tr", "rs => rs.map(r => r.dataset.code)")
    assert shown == [group["id"]] + [c["id"] for c in data["codes"] if c["parent"] == group["id"]]
    columns = p.page.eval_on_selector_all("table.heat td[data-cell^='0,']", "ds => ds.map(d => Number(d.dataset.cell.split(',')[1]))")
    assert [m["alignment"]["codes"][j] for j in columns] == [c for c in m["alignment"]["codes"] if c in shown]
    p.page.select_option("#filter-parent", "")
    p.page.select_option("#filter-status", "absent")
    shown = p.page.eval_on_selector_all("#codebook-table tbody tr", "rs => rs.map(r => r.dataset.code)")
    absent = [c for c, s in m["alignment"]["status"].items() if s == "absent"]
    assert absent and set(absent) <= set(shown)
    # rows of other statuses are only the groups above an absent code
    assert all(m["alignment"]["status"][c] == "absent" or any(d["parent"] == c for d in data["codes"]) for c in shown)
    assert p.page.inner_text("#codebook-count") == f"{len(absent)} of 91 codes shown"
    assert p.errors == []


def test_page_opens_on_the_recommended_model_and_says_what_the_run_found(pdpilot_run, open_page):
    folder, data = pdpilot_run
    rec = data["recommended"]
    assert rec["basis"] == "match_precision" and rec["model"] == max(rec["scores"], key=rec["scores"].get)
    p = open_page(folder / "explorer.html")
    names = [m["name"] for m in data["models"]]
    assert p.page.input_value("#model") == str(names.index(rec["model"]))
    lead = p.page.inner_text("#recommended")
    assert rec["model"] in lead and rec["rule"] in lead
    counts = data["verdicts"]["counts"]
    assert p.page.inner_text("#presence-counts").endswith(f"{counts['present']} present, {counts['uncertain']} uncertain, {counts['absent']} absent.")
    lines = p.page.eval_on_selector_all("#structure li", "ls => ls.map(l => l.textContent)")
    assert [line.split(" ")[0] for line in lines] == names
    for line, m in zip(lines, data["models"], strict=True):
        tc = m["alignment"]["topic_counts"]
        assert f"{tc['emergent']} emergent and {tc['procedural']} procedural" in line
    # the overview comes before the metric tables and the emergent topics are listed by name
    shown = data["models"][names.index(rec["model"])]
    emergent = [t for t in shown["topics"] if t["status"] in ("emergent", "procedural")]
    assert p.page.locator("#answer-emergent li").count() == len(emergent)
    p.page.click("button[data-view='codebook']")  # their panel heads the codebook view
    panel = p.page.eval_on_selector_all(f"#topics-without-code ul[data-model='{rec['model']}'] li", "ls => ls.map(l => l.dataset.topicKey)")
    assert sorted(panel) == sorted(f"{rec['model']}:{t['display']}" for t in emergent)
    assert p.errors == []


# --------------------------------------------------------------------------- decisions


def decide(p, data) -> dict:  # type: ignore[no-untyped-def]
    """Accept a code's verdict with a memo, reject another, rename a topic, write its memo and
    make it a new code, through the page; the decisions.json this should give."""
    codes = [c["id"] for c in data["codes"]]
    model = data["models"][[m["name"] for m in data["models"]].index(data["recommended"]["model"])]
    p.page.click("button[data-view='codebook']")
    p.page.click(f"#codebook-table a[data-code-link='{codes[1]}']")
    p.page.click("#code-decision button[data-decision='accepted']")
    p.page.fill("#code-memo", f"Seen in every interview {XSS}")
    p.page.click(f"#codebook-table a[data-code-link='{codes[2]}']")
    p.page.click("#code-decision button[data-decision='rejected']")
    p.page.click("button[data-view='topics']")
    p.page.click("#topic-list li[data-topic='1']")
    p.page.fill("#topic-label", f"Renamed {SCRIPT}")
    p.page.fill("#topic-memo", "A theme of its own")
    p.page.check("#topic-new-code")
    p.page.fill("#new-code-name", "Water and weather")
    key = f"{model['name']}:{model['topics'][1]['display']}"
    return {"run": data["run"]["name"],
            "codes": {codes[1]: {"decision": "accepted", "memo": f"Seen in every interview {XSS}"}, codes[2]: {"decision": "rejected"}},
            "topics": {key: {"label": f"Renamed {SCRIPT}", "memo": "A theme of its own", "new_code": {"id": "water_and_weather", "name": "Water and weather"}}}}


def shown_decisions(p, data) -> dict:  # type: ignore[no-untyped-def]
    """What the page shows of the decisions of `decide`: code rows, the topic's fields."""
    codes = [c["id"] for c in data["codes"]]
    p.page.click("button[data-view='codebook']")
    cells = [p.page.inner_text(f"#codebook-table tr[data-code='{c}'] td.decision") for c in codes[1:3]]
    p.page.click(f"#codebook-table a[data-code-link='{codes[1]}']")
    pressed = p.page.get_attribute("#code-decision button[data-decision='accepted']", "aria-pressed")
    memo = p.page.input_value("#code-memo")
    p.page.click("button[data-view='topics']")
    p.page.click("#topic-list li[data-topic='1']")
    return {"cells": cells, "pressed": pressed, "memo": memo, "h2": p.page.inner_text("#topic-detail h2"),
            "label": p.page.input_value("#topic-label"), "topic_memo": p.page.input_value("#topic-memo"),
            "new_code": p.page.is_checked("#topic-new-code"), "new_name": p.page.input_value("#new-code-name"),
            "new_id": p.page.input_value("#new-code-id"), "count": p.page.inner_text("#decisions-count")}


def test_decisions_are_kept_downloaded_and_loaded_back(planted_run, open_page, tmp_path):
    folder, data = planted_run
    p = open_page(folder / "explorer.html")
    expected = decide(p, data)
    seen = shown_decisions(p, data)
    assert seen["cells"] == ["accepted memo", "rejected"] and seen["pressed"] == "true"
    assert seen["h2"].endswith(f"Renamed {SCRIPT}") and seen["new_id"] == "water_and_weather"
    assert seen["count"] == "2 code and 1 topic decisions"
    with p.page.expect_download() as info:
        p.page.click("#download-decisions")
    assert info.value.suggested_filename == "decisions.json"
    target = tmp_path / "decisions.json"
    info.value.save_as(target)
    assert json.loads(target.read_text(encoding="utf-8")) == expected
    # reloading the page keeps them (localStorage)
    p.page.reload()
    p.page.wait_for_selector("body[data-ready='1']")
    assert shown_decisions(p, data) == seen
    # a fresh browser (its own storage) has none until the file is loaded
    q = open_page(folder / "explorer.html")
    assert q.page.inner_text("#decisions-count") == "No decisions yet"
    q.page.set_input_files("#load-decisions", str(target))
    q.page.locator("#decisions-status", has_text="Loaded").wait_for()
    assert shown_decisions(q, data) == seen
    q.page.reload()
    q.page.wait_for_selector("body[data-ready='1']")
    assert shown_decisions(q, data) == seen
    assert p.errors == [] and q.errors == [] and p.outside_requests() == [] and q.outside_requests() == []
    assert p.dialogs == [] and q.dialogs == []


def test_a_decisions_file_of_another_run_or_not_json_is_refused_in_words(planted_run, open_page, tmp_path):
    folder, data = planted_run
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"run": "another-run", "codes": {data["codes"][1]["id"]: {"decision": "accepted"}}}), encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text("{\"run\": ", encoding="utf-8")
    p = open_page(folder / "explorer.html")
    p.page.set_input_files("#load-decisions", str(other))
    p.page.locator("#decisions-status", has_text="was not loaded").wait_for()
    assert p.page.inner_text("#decisions-status") == (
        f"other.json was not loaded: it holds the decisions of run \u201canother-run\u201d, and this page shows run \u201c{data['run']['name']}\u201d.")
    p.page.set_input_files("#load-decisions", str(broken))
    p.page.locator("#decisions-status", has_text="broken.json").wait_for()
    assert p.page.inner_text("#decisions-status").startswith("broken.json is not JSON (")
    assert p.page.inner_text("#decisions-count") == "No decisions yet"
    # unknown codes and topics are named and left out, the rest is loaded
    mixed = tmp_path / "mixed.json"
    key = f"{data['models'][0]['name']}:T01"
    mixed.write_text(json.dumps({"run": data["run"]["name"], "codes": {"no_such_code": {"decision": "accepted"}},
                                 "topics": {key: {"label": "Kept"}, "nomodel:T01": {"label": "x"}}}), encoding="utf-8")
    p.page.set_input_files("#load-decisions", str(mixed))
    p.page.locator("#decisions-status", has_text="Loaded").wait_for()
    assert p.page.inner_text("#decisions-status") == ("Loaded 0 code and 1 topic decisions from mixed.json (they replace those this "
                                                      "browser had); left out, not in this run: no_such_code, nomodel:T01.")
    assert p.errors == []


def test_a_new_code_id_the_codebook_has_is_not_recorded(planted_run, open_page):
    folder, data = planted_run
    p = open_page(folder / "explorer.html")
    p.page.click("button[data-view='topics']")
    p.page.check("#topic-new-code")
    p.page.fill("#new-code-id", data["codes"][1]["id"])
    assert p.page.inner_text("#new-code-problem").startswith(f"\u201c{data['codes'][1]['id']}\u201d is a code of the codebook already")
    assert p.page.inner_text("#decisions-count") == "No decisions yet"
    p.page.fill("#new-code-id", "fresh_code")
    assert p.page.inner_text("#new-code-problem") == "" and p.page.inner_text("#decisions-count") == "0 code and 1 topic decisions"


def test_hostile_code_names_memos_and_labels_stay_text(planted_run, open_page, tmp_path):
    folder, data = planted_run
    hostile = tmp_path / "decisions.json"
    codes = [c["id"] for c in data["codes"]]
    key = f"{data['recommended']['model']}:T01"
    hostile.write_text(json.dumps({"run": data["run"]["name"], "codes": {codes[1]: {"decision": "rejected", "memo": SCRIPT + XSS}},
                                   "topics": {key: {"label": XSS, "memo": SCRIPT, "new_code": {"id": "x<b>y</b>", "name": XSS}}}}), encoding="utf-8")
    p = open_page(folder / "explorer.html")
    p.page.set_input_files("#load-decisions", str(hostile))
    p.page.locator("#decisions-status", has_text="Loaded").wait_for()
    p.page.click("button[data-view='codebook']")
    names = p.page.eval_on_selector_all("#codebook-table a[data-code-link]", "as => as.map(a => a.textContent)")
    assert any(n.startswith(XSS) for n in names) and SCRIPT in names
    p.page.click(f"#codebook-table a[data-code-link='{codes[1]}']")
    assert p.page.input_value("#code-memo") == SCRIPT + XSS
    assert p.page.get_attribute(f"#codebook-table tr[data-code='{codes[1]}'] .memo-mark", "title") == SCRIPT + XSS
    assert f"T01 {XSS}" in p.page.inner_text("#heatmap")
    p.page.click("button[data-view='topics']")
    p.page.click("#topic-list li[data-topic='0']")
    assert p.page.inner_text("#topic-detail h2") == f"T01 {XSS}" and p.page.input_value("#new-code-name") == XSS
    p.page.click("button[data-view='overview']")
    p.page.click("button[data-view='search']")
    p.page.fill("#search-box", "onerror")
    assert p.page.locator("img").count() == 0 and p.page.locator("b").count() == 0
    assert p.page.locator("script").count() == 4
    assert p.dialogs == [] and p.errors == [] and p.outside_requests() == []


# --------------------------------------------------------------------------- readability


def test_quotes_are_reflowed_and_highlight_only_distinctive_terms(pdpilot_run, open_page):
    folder, data = pdpilot_run
    p = open_page(folder / "explorer.html")
    p.page.click("button[data-view='topics']")
    m = data["models"][int(p.page.input_value("#model"))]
    broken = 0
    for k, t in enumerate(m["topics"]):
        p.page.click(f"#topic-list li[data-topic='{k}']")
        quotes = p.page.eval_on_selector_all("#topic-quotes .quote", "qs => qs.map(q => [q.dataset.segment, q.textContent])")
        for sid, shown in quotes:
            raw = data["segments"][sid]["text"]
            broken += bool(re.search(r"\S\n\S", raw))
            assert not re.search(r"\S\n\S", shown.split(sid)[0]), sid  # no hard line break left inside a paragraph
        marks = p.page.eval_on_selector_all("#topic-quotes mark", "ms => ms.map(x => x.textContent.toLowerCase())")
        words = [w for term in t["highlight"] for w in term.split("_") if len(w) > 2]
        assert all(any(x.startswith(w) for w in words) for x in marks), (t["display"], set(marks))
    assert broken > 0  # PDPilot's PDF text has hard line breaks to reflow
    assert p.errors == []


def test_topic_list_is_not_clipped_and_documents_without_metadata_say_so(pdpilot_run, open_page):
    folder, data = pdpilot_run
    p = open_page(folder / "explorer.html", width=1400, height=900)
    p.page.click("button[data-view='topics']")
    assert p.page.eval_on_selector("#topic-list", "l => l.scrollHeight <= l.clientHeight + 1")
    last = p.page.locator("#topic-list li").last
    last.scroll_into_view_if_needed()
    assert p.page.evaluate("() => { const b = [...document.querySelectorAll('#topic-list li')].pop().getBoundingClientRect(); return b.bottom <= innerHeight && b.top >= 0; }")
    p.page.click("button[data-view='documents']")
    assert p.page.inner_text("#prevalence").startswith("No topic prevalence by metadata: the documents have no metadata")
    assert p.page.inner_text("#doc-detail").startswith("Pick a document")
    assert p.page.locator("#doc-list li small").first.inner_text().endswith("segments in this page")
    assert no_sideways_scroll(p) and p.errors == []


def test_ldavis_topic_numbers_do_not_overlap(pdpilot_run, open_page):
    folder, data = pdpilot_run
    p = open_page(folder / "explorer.html")
    p.page.click("button[data-view='map']")
    for i, model in enumerate(data["models"]):
        p.page.select_option("#model", str(i))
        p.page.wait_for_selector(f"#ldavis-{i} svg")
        boxes = p.page.eval_on_selector_all(f"#ldavis-{i} text.txt", "ts => ts.map(t => { const b = t.getBBox(); return [b.x, b.y, b.width, b.height, t.textContent]; })")
        assert sorted(int(b[4]) for b in boxes) == list(range(1, model["n_topics"] + 1))
        for a in range(len(boxes)):
            for b in range(a + 1, len(boxes)):
                (x1, y1, w1, h1, _), (x2, y2, w2, h2, _) = boxes[a], boxes[b]
                overlap = min(x1 + w1, x2 + w2) - max(x1, x2) > 0.5 and min(y1 + h1, y2 + h2) - max(y1, y2) > 0.5
                assert not overlap, (model["name"], boxes[a][4], boxes[b][4])
        # the numbers stay on top of the bubbles and let the mouse through to them
        assert p.page.eval_on_selector(f"#ldavis-{i} text.txt", "t => getComputedStyle(t).pointerEvents") == "none"
    p.page.hover(f"#ldavis-{len(data['models']) - 1} circle.dot >> nth=0")
    assert p.errors == []


def test_demo_prevalence_leaves_out_values_with_fewer_than_three_documents(open_page, tmp_path_factory):
    """The demo's country field has at most 2 documents per value: it is not offered, and
    education says which value it leaves out."""
    import dataclasses

    from topicbook.config import load_config
    from topicbook.pipeline import run

    cfg = load_config(REPO / "configs" / "demo.yaml")
    cfg = dataclasses.replace(cfg, cache=dataclasses.replace(cfg.cache, enabled=False), models=cfg.models[1:2],
                              evaluate=dataclasses.replace(cfg.evaluate, stability_seeds=0))
    folder, _ = run(cfg, out_dir=tmp_path_factory.mktemp("demo-prevalence"), name="demo-nmf")
    p = open_page(folder / "explorer.html")
    p.page.click("button[data-view='documents']")
    options = p.page.eval_on_selector_all("#prevalence-field option", "os => os.map(o => o.value)")
    assert "country" not in options and p.page.input_value("#prevalence-field") == "education"
    notes = p.page.inner_text("#prevalence-notes")
    assert "Left out of education, fewer than 3 documents" in notes and "phd (2)" in notes
    assert "country has no two values with at least 3 documents each" in notes
    assert p.errors == []


# --------------------------------------------------------------------------- README screenshots


def test_readme_screenshots_of_the_workspace_from_a_pdpilot_run(pdpilot_run, open_page, tmp_path):
    """docs/img/workspace-*.png, written into the tree only when TOPICBOOK_SCREENSHOTS names a
    folder (`TOPICBOOK_SCREENSHOTS=docs/img .venv/bin/python -m pytest tests/browser -k screenshots`)."""
    folder, data = pdpilot_run
    wanted = os.environ.get(SCREENSHOTS)
    out = REPO / wanted if wanted else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    p = open_page(folder / "explorer.html", width=1280, height=800)
    p.page.screenshot(path=str(out / "workspace-overview.png"))
    p.page.click("button[data-view='codebook']")
    code = next(c["id"] for c in data["codes"] if c["parent"] and data["verdicts"]["presence"][c["id"]]["quotes"])
    p.page.click(f"#codebook-table a[data-code-link='{code}']")
    p.page.click("#code-decision button[data-decision='accepted']")
    p.page.fill("#code-memo", "Matches what we saw in the interviews.")
    p.page.evaluate("window.scrollTo(0, 0)")
    p.page.screenshot(path=str(out / "workspace-codebook.png"))
    p.page.click("button[data-view='topics']")
    m = data["models"][int(p.page.input_value("#model"))]
    k = next((t["id"] for t in m["topics"] if t["status"] == "emergent"), 0)
    p.page.click(f"#topic-list li[data-topic='{k}']")
    p.page.fill("#topic-label", "Comparing plots")
    p.page.check("#topic-new-code")
    p.page.evaluate("window.scrollTo(0, 0)")
    p.page.screenshot(path=str(out / "workspace-topic.png"))
    for name in ("overview", "codebook", "topic"):
        assert (out / f"workspace-{name}.png").stat().st_size > 20_000
    assert p.errors == [] and p.outside_requests() == []


def test_the_pages_download_goes_into_export_decisions(planted_run, open_page, tmp_path):
    """Decisions made in the page, downloaded, exported as .qdpx by `topicbook export
    --decisions`: valid REFI-QDA, read back by topicbook's reader with the new code coded, the
    renamed topic, and the memos as notes."""
    from click.testing import CliRunner

    from refi import assert_valid_refi  # tests/refi.py
    from topicbook.cli import main
    from topicbook.export import NEW_CODES_GROUP
    from topicbook.qdc import read_qdpx

    folder, data = planted_run
    p = open_page(folder / "explorer.html")
    expected = decide(p, data)
    with p.page.expect_download() as info:
        p.page.click("#download-decisions")
    decisions = tmp_path / "decisions.json"
    info.value.save_as(decisions)
    out = tmp_path / "study.qdpx"
    result = CliRunner().invoke(main, ["export", str(folder), "--format", "qdpx", "--decisions", str(decisions), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert_valid_refi(out)
    project = read_qdpx(out)
    [(key, topic)] = expected["topics"].items()
    code = next(iter(expected["codes"]))
    assert project.codebook.get("water_and_weather").parent == NEW_CODES_GROUP
    assert project.codebook.get(key).name.endswith(topic["label"])
    assert any(c.code == "water_and_weather" for c in project.codings)
    assert project.code_notes[code] == (expected["codes"][code]["memo"],)
    assert project.code_notes["water_and_weather"] == (topic["memo"],)
    assert p.errors == [] and p.outside_requests() == []

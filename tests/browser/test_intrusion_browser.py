"""The intrusion page in a real browser (Debian chromium via Playwright), loaded from file://:
a rater answers every task, downloads the answers, and `intrusion-score` gives precision 1.0
for answers taken from the key and about chance for random clicks; nothing is loaded from the
network, nothing logs an error, and markup in a term or quote stays text."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from test_explorer_browser import HOSTILE

from conftest import write_planted_corpus
from topicbook.cli import main
from topicbook.intrusion import TaskSet
from topicbook.report.intrusion_page import render_intrusion_html

PER_TOPIC = 5


@pytest.fixture(scope="module")
def task_page(tmp_path_factory: pytest.TempPathFactory):
    """The planted corpus run, and its intrusion page with 5 tasks of each kind per topic."""
    from topicbook.config import load_config
    from topicbook.pipeline import run

    root = tmp_path_factory.mktemp("intrusion-browser")
    config = write_planted_corpus(root / "project")
    config.write_text(config.read_text(encoding="utf-8") + "evaluate:\n  stability_seeds: 0\ncache:\n  enabled: false\n",
                      encoding="utf-8")
    folder, _ = run(load_config(config), out_dir=root / "runs", name="planted")
    result = CliRunner().invoke(main, ["-q", "intrusion", str(folder), "--per-topic", str(PER_TOPIC)])
    assert result.exit_code == 0, result.output
    key = TaskSet.from_key(json.loads((folder / "validation" / "intrusion_key.json").read_text(encoding="utf-8")))
    return folder, folder / "validation" / "intrusion.html", key


def answer_all(p, key: TaskSet, rater: str, choose, target: Path) -> dict:  # type: ignore[no-untyped-def]
    """Enter the rater's name, click `choose(task)` in every task, download; the saved answers."""
    assert p.page.is_hidden("#tasks")
    p.page.fill("#rater-name", rater)
    p.page.click("#start")
    assert p.page.inner_text("#rater") == f"Rater: {rater}" and p.page.is_hidden("#start-form")
    assert p.page.locator("[data-task]").count() == len(key.tasks)
    for task in key.tasks:
        p.page.click(f"[data-task='{task.id}'] button[data-option='{choose(task)}']")
    assert p.page.inner_text("#progress") == f"{len(key.tasks)} of {len(key.tasks)} tasks answered"
    with p.page.expect_download() as info:
        p.page.click("#download")
    info.value.save_as(target)
    assert info.value.suggested_filename == f"intrusion_answers_{rater.replace(' ', '_')}.json"
    return json.loads(target.read_text(encoding="utf-8"))


def score(folder: Path, *answers: Path) -> dict:
    result = CliRunner().invoke(main, ["-q", "intrusion-score", str(folder), *map(str, answers), "--force"])
    assert result.exit_code == 0, result.output
    return json.loads((folder / "intrusion.json").read_text(encoding="utf-8"))


def test_answers_from_the_key_score_one_and_random_clicks_score_about_chance(task_page, open_page, tmp_path):
    folder, page, key = task_page
    p = open_page(page)
    saved = answer_all(p, key, "Key rater", lambda t: t.answer, tmp_path / "key.json")
    assert saved["rater"] == "Key rater" and saved["set"] == key.set_id and len(saved["answers"]) == len(key.tasks)
    assert p.errors == [] and p.dialogs == [] and p.outside_requests() == []
    scores = score(folder, tmp_path / "key.json")
    for model, kinds in scores["models"].items():
        for kind, fig in kinds.items():
            assert fig["precision"] == 1.0, (model, kind)

    rng = np.random.default_rng(2024)
    files = []
    for r in range(5):
        q = open_page(page)
        files.append(tmp_path / f"random{r}.json")
        answer_all(q, key, f"Random {r}", lambda t: int(rng.integers(len(t.options))), files[-1])
        assert q.errors == [] and q.outside_requests() == []
    scores = score(folder, *files)
    # 5 raters x (8 topics x 5) word tasks = 200 answers at chance 1/6, and 5 x up to 40 quote tasks
    # at chance 1/4: a share's standard error is sqrt(p (1 - p) / answers); allow 3.5 of them.
    for kind, chance in (("word", 1 / 6), ("topic", 1 / 4)):
        figures = [kinds[kind] for kinds in scores["models"].values() if kind in kinds]
        n = sum(f["answers"] for f in figures)
        found = sum(f["precision"] * f["answers"] for f in figures) / n
        assert n >= 5 * 20 and abs(found - chance) < 3.5 * np.sqrt(chance * (1 - chance) / n), (kind, found, n)
    assert abs(scores["agreement"]["all"]["krippendorff_alpha"]) < 0.1  # random raters do not agree
    explorer = open_page(folder / "explorer.html")
    rows = explorer.page.eval_on_selector_all("table.intrusion-table tbody tr", "rs => rs.map(r => r.children[1].textContent)")
    assert sorted(set(rows)) == ["topic", "word"] and explorer.errors == [] and explorer.outside_requests() == []


def test_markup_in_a_term_or_quote_stays_text(task_page, open_page, tmp_path):
    _, _, key = task_page
    tasks = list(key.tasks)
    word = next(i for i, t in enumerate(tasks) if t.kind == "word")
    quote = next(i for i, t in enumerate(tasks) if t.kind == "topic")
    term = "<img src=x onerror=alert(1)>"
    tasks[word] = dataclasses.replace(tasks[word], options=(term, *tasks[word].options[1:]))
    tasks[quote] = dataclasses.replace(tasks[quote], quote=HOSTILE, options=("</script><script>alert(3)</script>", *tasks[quote].options[1:]))
    hostile = dataclasses.replace(key, tasks=tuple(tasks))
    page = tmp_path / "hostile.html"
    page.write_text(render_intrusion_html(hostile), encoding="utf-8")
    p = open_page(page)
    p.page.fill("#rater-name", "<b>Eve</b>")
    p.page.click("#start")
    assert p.page.inner_text(f"[data-task='{tasks[word].id}'] button[data-option='0']") == term
    shown = p.page.inner_text(f"[data-task='{tasks[quote].id}'] blockquote")
    assert "<script>alert(1)</script>" in shown and "<img src=x onerror=alert(2)>" in shown
    assert p.page.inner_text(f"[data-task='{tasks[quote].id}'] button[data-option='0']") == "</script><script>alert(3)</script>"
    assert p.page.inner_text("#rater") == "Rater: <b>Eve</b>"
    assert p.page.locator("img").count() == 0 and p.page.locator("b").count() == 0
    assert p.page.locator("script").count() == 2
    assert p.dialogs == [] and p.errors == [] and p.outside_requests() == []

"""Word and topic intrusion: the tasks (Chang et al. 2009), a page without its answers, and scores
of answers built from the key (precision 1) and of random answers (about chance)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import write_planted_corpus
from topicbook.cli import main
from topicbook.config import load_config
from topicbook.errors import InputError
from topicbook.intrusion import (
    INTRUDER_POOL_TOP,
    TOPICS_SHOWN,
    WORDS_SHOWN,
    TaskSet,
    make_task_set,
    read_answers,
    score_answers,
)
from topicbook.pipeline import run
from topicbook.report.run_folder import load_run


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("intrusion")
    config = write_planted_corpus(root / "project")
    config.write_text(config.read_text(encoding="utf-8") + "evaluate:\n  stability_seeds: 0\ncache:\n  enabled: false\n",
                      encoding="utf-8")
    folder, _ = run(load_config(config), out_dir=root / "runs", name="planted")
    return folder


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def answers_file(path: Path, key: TaskSet, rater: str, choose) -> Path:  # type: ignore[no-untyped-def]
    """An answers file as the page saves it, each task's option picked by `choose(task)`."""
    path.write_text(json.dumps({"format": 1, "run": key.run, "set": key.set_id, "rater": rater,
                                "answers": {t.id: choose(t) for t in key.tasks}}), encoding="utf-8")
    return path


def test_tasks_follow_chang_et_al(planted_run: Path):
    folder = load_run(planted_run)
    models = {m: (f.doc_topic, f.topic_term) for m, f in folder.models.items()}
    texts = {s.id: s.text for s in folder.segments}
    tasks = make_task_set(folder.name, models, folder.vocab, folder.segment_ids, texts, seed=3, per_topic=2)
    assert tasks == make_task_set(folder.name, models, folder.vocab, folder.segment_ids, texts, seed=3, per_topic=2)
    vocab = [t.replace("_", " ") for t in folder.vocab]
    words = [t for t in tasks.tasks if t.kind == "word"]
    quotes = [t for t in tasks.tasks if t.kind == "topic"]
    assert len(words) == 2 * 4 * 2  # models x topics x per_topic
    assert 4 * 2 <= len(quotes) <= 2 * 4 * 2  # NMF's zero weights leave some segments without a task
    for t in words:
        topic_term = folder.models[t.model].topic_term
        order = list(np.argsort(-topic_term[t.topic], kind="stable"))
        ranks = {vocab[i]: r for r, i in enumerate(order)}
        intruder = t.options[t.answer]
        others = [o for i, o in enumerate(t.options) if i != t.answer]
        assert len(t.options) == WORDS_SHOWN + 1 and sorted(ranks[o] for o in others) == list(range(WORDS_SHOWN))
        assert ranks[intruder] >= len(vocab) // 2  # improbable in this topic ...
        assert any(ranks_j < INTRUDER_POOL_TOP for j in range(4) if j != t.topic  # ... probable in another
                   for ranks_j in [list(np.argsort(-topic_term[j], kind="stable")).index(vocab.index(intruder))])
    for t in quotes:
        theta = folder.models[t.model].doc_topic[folder.segment_ids.index(t.segment)]
        shown = [k for i, k in enumerate(t.option_topics) if i != t.answer]
        assert sorted(shown) == sorted(np.argsort(-theta, kind="stable")[:TOPICS_SHOWN].tolist()) and t.quote == texts[t.segment]
        assert theta[t.option_topics[t.answer]] < min(theta[k] for k in shown)
    positions = [t.answer for t in tasks.tasks]
    assert len(set(positions)) >= 4  # the intruder's position is shuffled, not fixed


def test_the_page_holds_no_answer_and_the_key_maps_its_options(planted_run: Path, tmp_path: Path):
    result = invoke("-q", "intrusion", str(planted_run), "--out", str(tmp_path / "v"))
    assert result.exit_code == 0, result.output
    page = (tmp_path / "v" / "intrusion.html").read_text(encoding="utf-8")
    key_text = (tmp_path / "v" / "intrusion_key.json").read_text(encoding="utf-8")
    key = json.loads(key_text)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert key_text not in page and json.dumps(key["tasks"]) not in page
    data = json.loads(re.search(r'<script type="application/json" id="intrusion-data">(.*?)</script>', page, re.S).group(1))
    assert data["set"] == key["set"] and data["run"] == key["run"] == "planted"
    assert [t["id"] for t in data["tasks"]] == [t["id"] for t in key["tasks"]]
    assert [t["options"] for t in data["tasks"]] == [t["options"] for t in key["tasks"]]
    for task in data["tasks"]:
        assert set(task) <= {"id", "kind", "options", "quote"}  # no answer, model, topic or theta
    lowered = page.lower()
    for marker in ("intruder", '"answer"', "correct", "nmf_k4", "lda_k4", "option_topics", "option_theta"):
        assert marker not in lowered, marker
    again = invoke("intrusion", str(planted_run), "--out", str(tmp_path / "v"))
    assert again.exit_code == 1 and "intrusion.html: already exists. Use --force" in again.output


def test_key_answers_score_one_random_answers_score_about_chance(planted_run: Path, tmp_path: Path):
    assert invoke("-q", "intrusion", str(planted_run), "--out", str(tmp_path), "--per-topic", "2").exit_code == 0
    key = TaskSet.from_key(json.loads((tmp_path / "intrusion_key.json").read_text(encoding="utf-8")))
    perfect = [answers_file(tmp_path / f"key{i}.json", key, f"key{i}", lambda t: t.answer) for i in range(2)]
    rng = np.random.default_rng(0)
    random = [answers_file(tmp_path / f"random{i}.json", key, f"random{i}", lambda t: int(rng.integers(len(t.options))))
              for i in range(30)]
    scores = score_answers(key, [read_answers(p.read_text(), p.name, key) for p in perfect])
    for model, kinds in scores.models.items():
        for kind, fig in kinds.items():
            assert fig.precision == 1.0 and fig.ci_low == fig.ci_high == 1.0, (model, kind)
    assert all(f[k].precision == 1.0 for topics in scores.topics.values() for f in topics.values() for k in f)
    assert scores.agreement["all"].krippendorff_alpha == 1.0
    assert scores.models["lda_k4"]["topic"].topic_log_odds == 0.0
    scores = score_answers(key, [read_answers(p.read_text(), p.name, key) for p in random])
    # Random answers find the intruder with probability 1/options. Over all of a kind's answers
    # (30 raters x 8-16 tasks, 240-480 answers), the share's standard error is
    # sqrt(p (1 - p) / answers), 0.017-0.028: allow 3.5 standard errors.
    for kind, chance in (("word", 1 / 6), ("topic", 1 / 4)):
        figures = [kinds[kind] for kinds in scores.models.values() if kind in kinds]
        n = sum(f.answers for f in figures)
        found = sum(f.precision * f.answers for f in figures) / n
        assert abs(found - chance) < 3.5 * np.sqrt(chance * (1 - chance) / n), (kind, found, n)
        assert all(f.chance == pytest.approx(chance, abs=1e-4) and f.ci_low <= f.precision <= f.ci_high for f in figures), kind
    assert abs(scores.agreement["all"].krippendorff_alpha) < 0.05  # random raters do not agree


def test_intrusion_score_writes_intrusion_json_once_and_the_explorer_shows_it(planted_run: Path, tmp_path: Path):
    out = planted_run / "validation"
    assert invoke("-q", "intrusion", str(planted_run)).exit_code == 0
    key = TaskSet.from_key(json.loads((out / "intrusion_key.json").read_text(encoding="utf-8")))
    a = answers_file(tmp_path / "a.json", key, "Ada", lambda t: t.answer)
    b = answers_file(tmp_path / "b.json", key, "Ben", lambda t: (t.answer + 1) % len(t.options))
    result = invoke("intrusion-score", str(planted_run), str(a), str(b))
    assert result.exit_code == 0, result.output
    assert "Raters: 2 (Ada, Ben)" in result.output
    data = json.loads((planted_run / "intrusion.json").read_text(encoding="utf-8"))
    assert data["raters"] == ["Ada", "Ben"] and data["models"]["nmf_k4"]["word"]["precision"] == 0.5
    assert load_run(planted_run).intrusion.to_json() == data
    page = (planted_run / "explorer.html").read_text(encoding="utf-8")
    assert '"intrusion":{' in page and '"raters":["Ada","Ben"]' in page
    again = invoke("intrusion-score", str(planted_run), str(a))
    assert again.exit_code == 1 and "intrusion.json: already exists. Use --force" in again.output
    assert json.loads((planted_run / "intrusion.json").read_text(encoding="utf-8")) == data
    assert invoke("intrusion-score", str(planted_run), str(a), "--force").exit_code == 0
    assert json.loads((planted_run / "intrusion.json").read_text(encoding="utf-8"))["raters"] == ["Ada"]
    assert not list(planted_run.glob(".*.partial"))


@pytest.mark.parametrize("content, message", [
    ("{not json", "bad.json: not valid JSON (Expecting property name enclosed in double quotes at line 1)."),
    ('{"format": 1, "run": "other", "set": "x", "answers": {}}', "bad.json: answers for run 'other', but the intrusion key is for run 'planted'."),
    ('{"format": 1, "run": "planted", "set": "0000", "answers": {}}', "bad.json: answers to task set 0000, but the intrusion key is for task set"),
    ('{"format": 1, "run": "planted", "set": "SET", "answers": {"w999": 1}}', "bad.json: unknown task 'w999' (the intrusion key has"),
    ('{"format": 1, "run": "planted", "set": "SET", "answers": {"w001": 9}}', "bad.json: task 'w001': answer 9 is not one of its options 0 to 5."),
    ('[1, 2]', "bad.json: not an answers file of a topicbook intrusion page."),
])
def test_bad_answer_files_are_one_line(planted_run: Path, tmp_path: Path, content: str, message: str):
    assert invoke("-q", "intrusion", str(planted_run), "--out", str(tmp_path), "--force").exit_code == 0
    key = json.loads((tmp_path / "intrusion_key.json").read_text(encoding="utf-8"))
    (tmp_path / "bad.json").write_text(content.replace("SET", key["set"]), encoding="utf-8")
    result = invoke("intrusion-score", str(planted_run), str(tmp_path / "bad.json"), "--key", str(tmp_path / "intrusion_key.json"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: " + message), lines


def test_two_files_of_one_rater_are_refused(planted_run: Path, tmp_path: Path):
    folder = load_run(planted_run)
    models = {m: (f.doc_topic, f.topic_term) for m, f in folder.models.items()}
    key = make_task_set("planted", models, folder.vocab, folder.segment_ids, {s.id: s.text for s in folder.segments}, seed=1)
    one = read_answers(json.dumps({"format": 1, "run": "planted", "set": key.set_id, "rater": "A", "answers": {}}), "a.json", key)
    with pytest.raises(InputError, match="b.json: rater 'A' also answered in a.json"):
        score_answers(key, [one, read_answers(json.dumps({"format": 1, "run": "planted", "set": key.set_id, "rater": "A",
                                                          "answers": {}}), "b.json", key)])

"""Verdicts in a run: presence and structure for every code in verdicts.csv/json, the code set
the run analyses (groups are not seeded, aligned or scored, yet get a verdict), the run's own
scores against human codings, the summary lines, and what load_run reads back.

The planted interviews of conftest get everyday background words in every turn (on a real
corpus most terms belong to no code, and the presence null draws random vocabulary terms) and,
where a test needs them, opening and closing pleasantries.
"""

from __future__ import annotations

import csv
import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import (
    BACKGROUND,
    GREETINGS,
    QUESTIONS,
    THEMES,
    VERDICT_CODEBOOK,
    planted_turn,
    write_planted_corpus,
)
from topicbook.cli import main
from topicbook.config import load_config
from topicbook.pipeline import fit_all, prepare, run
from topicbook.report.run_folder import load_run
from topicbook.verdicts import STATUSES, VerdictTable

CODEBOOK = VERDICT_CODEBOOK  # hobbies (a group), outdoors (spread over two themes), astronomy (a decoy)
# The PDPilot case: allotment's best topic is gardening's, so align's one-to-one pairing gives
# it no status at all.
PDPILOT_LIKE = CODEBOOK.split("  - id: outdoors")[0] + """\
  - id: allotment
    name: Allotment tools
    keywords: [shovel, window, street, paper]
"""
MODELS = """\
models:
  - type: nmf
    n_topics: 5
  - type: nmf
    guided: true
    extra_topics: 2
"""


def write_project(root: Path, codebook: str = CODEBOOK, *, greetings: bool = True, models: str = MODELS,
                  codings: bool = False) -> Path:
    """The planted project with background words (and pleasantries), `codebook` and `models`;
    with `codings`, every gardening and music turn coded with its theme as a 6-word quote.
    Returns the config path."""
    config = write_planted_corpus(root)
    rng = random.Random(3)
    themes = list(THEMES)
    coded = []
    for d, path in enumerate(sorted((root / "interviews").glob("*.txt"))):
        name = path.read_text(encoding="utf-8").split("\n\n")[1].split(":")[0]
        lines = ["Interviewer: Shall we start?", f"{name}: {GREETINGS[0]}"] if greetings else []
        for t in range(8):
            theme = themes[(d + t) % len(themes)]
            body = f"{planted_turn(rng, theme)[:-1]} {' '.join(rng.choice(BACKGROUND) for _ in range(13))}."
            lines += [f"Interviewer: {rng.choice(QUESTIONS)}", f"{name}: {body}"]
            if theme in ("gardening", "music"):
                coded.append([path.stem, theme, " ".join(body.split()[:6])])
        if greetings:
            lines += ["Interviewer: Anything else to add?", f"{name}: {GREETINGS[1]}"]
        path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    (root / "codebook.yaml").write_text(codebook, encoding="utf-8")
    text = config.read_text(encoding="utf-8")
    text = text[:text.index("models:")] + models + text[text.index("codebook:"):]
    text += "evaluate:\n  stability_seeds: 2\ncache:\n  enabled: false\n"
    if codings:
        with (root / "codings.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([["document", "code", "text"], *coded])
        text += "codings:\n  path: codings.csv\n  min_positives: 3\n"
    config.write_text(text, encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("runverdicts")
    config = write_project(root / "project")
    folder, result = run(load_config(config), out_dir=root / "runs", name="verdicts")
    return folder, result


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_spread_code_decoy_and_greetings(planted_run) -> None:  # type: ignore[no-untyped-def]
    folder, result = planted_run
    table = result.verdicts
    presence = {v.code: v for v in table.presence}
    assert presence["outdoors"].presence == "present" and presence["astronomy"].presence == "absent"
    nmf = result.models[0]
    st = table.model(nmf.name)
    vocab = result.prepared.dtm.vocab
    sailing = int(np.argmax(nmf.topic_term[:, vocab.index("boat")]))
    gardening = int(np.argmax(nmf.topic_term[:, vocab.index("tomato")]))
    outdoors = next(c for c in st.codes if c.code == "outdoors")
    assert outdoors.status in ("split", "present_without_topic"), outdoors
    assert set(outdoors.topics[:2]) == {gardening, sailing}
    for model in table.models:
        assert next(c for c in model.codes if c.code == "astronomy").status == "absent"
    procedural = [t for t in st.topics if t.status == "procedural"]
    assert len(procedural) == 1 and procedural[0].codes == ()
    assert "thank" in [vocab[i] for i in np.argsort(-nmf.topic_term[procedural[0].topic])[:3]]
    rows = {r["topic"]: r for r in _csv(folder / "alignment.csv") if r["model"] == nmf.name and not r["code"]}
    label = result.summaries[nmf.name][procedural[0].topic].label
    assert rows[f"T{procedural[0].topic + 1:02d}"] == {**rows[f"T{procedural[0].topic + 1:02d}"], "status": "procedural", "topic_label": label}


def test_every_code_has_one_status_in_every_model(planted_run) -> None:  # type: ignore[no-untyped-def]
    folder, result = planted_run
    ids = result.prepared.codebook.ids()
    rows = _csv(folder / "verdicts.csv")
    assert [r["code"] for r in rows] == ids
    for model in result.models:
        assert all(r[f"status:{model.name}"].split(" (")[0] in STATUSES for r in rows)
        coded = {r["code"] for r in _csv(folder / "alignment.csv") if r["model"] == model.name and r["code"]}
        assert coded == set(ids)


def test_groups_are_not_seeded_or_aligned_but_get_verdicts(planted_run) -> None:  # type: ignore[no-untyped-def]
    folder, result = planted_run
    analysed = result.prepared.analysed.ids()
    assert analysed == ["gardening", "music", "outdoors", "astronomy"]
    guided = result.models[1]
    assert set(guided.seeded_codes.values()) == {"gardening", "music", "outdoors"}  # astronomy has no seed term
    for al in result.alignments.values():
        assert list(al.code_ids) == analysed
    assert list(result.agreement.code_ids) == analysed
    assert result.verdicts.analysed == tuple(analysed)
    hobbies = next(v for v in result.verdicts.presence if v.code == "hobbies")
    assert hobbies.presence == "present" and hobbies.children == ("gardening", "music")
    nmf = result.verdicts.model(result.models[0].name)
    status = {c.code: c for c in nmf.codes}
    kids = [k for c in ("gardening", "music") for k in status[c].topics if status[c].status in ("own_topic", "split", "merged")]
    assert status["hobbies"].status == ("split" if len(set(kids)) >= 2 else "own_topic")
    assert set(status["hobbies"].topics) == set(kids)
    assert load_run(folder).codebook.ids() == result.prepared.codebook.ids()  # codebook.yaml keeps the group


def test_load_run_reads_the_verdicts_back(planted_run) -> None:  # type: ignore[no-untyped-def]
    folder, result = planted_run
    back = load_run(folder)
    assert back.verdicts == result.verdicts
    assert VerdictTable.from_json(json.loads((folder / "verdicts.json").read_text(encoding="utf-8"))) == result.verdicts
    assert _csv(folder / "verdicts.csv") == [{k: "" if v is None else str(v) for k, v in r.items()}
                                             for r in result.verdicts.rows()]
    for name, entry in json.loads((folder / "alignment.json").read_text(encoding="utf-8")).items():
        assert entry["structure"] == result.verdicts.model(name).to_json()
        assert [t["topic"] for t in entry["procedural_topics"]] == [
            f"T{t.topic + 1:02d}" for t in result.verdicts.model(name).topics if t.status == "procedural"]


def test_explorer_and_topics_csv_show_the_verdicts(planted_run) -> None:  # type: ignore[no-untyped-def]
    folder, result = planted_run
    data = json.loads((folder / "explorer_data.json").read_text(encoding="utf-8"))
    presence = data["verdicts"]["presence"]
    assert {c: p["presence"] for c, p in presence.items()} == {v.code: v.presence for v in result.verdicts.presence}
    assert all(q in data["segments"] for p in presence.values() for q in p["quotes"])
    topics = [r for r in _csv(folder / "topics.csv") if r["model"] == result.models[0].name]
    st = result.verdicts.model(result.models[0].name)
    assert [(r["status"], r["codes"]) for r in topics] == [(t.status, " ".join(t.codes)) for t in st.topics]


def test_pdpilot_like_case_every_code_gets_a_status(tmp_path: Path) -> None:
    """allotment's best topic goes to gardening in align's pairing (no status there); the run's
    verdicts give it one, in every model, in verdicts.csv and alignment.csv."""
    models = "models:\n  - type: nmf\n    n_topics: 4\n  - type: lda\n    n_topics: 4\n    passes: 20\n"
    config = write_project(tmp_path / "project", PDPILOT_LIKE, greetings=False, models=models)
    folder, result = run(load_config(config), out_dir=tmp_path / "runs")
    nmf = result.models[0].name
    assert result.alignments[nmf].code_status("allotment") == []  # the fixture reproduces the case
    rows = _csv(folder / "verdicts.csv")
    for model in result.models:
        assert all(r[f"status:{model.name}"].split(" (")[0] in STATUSES for r in rows)
        assert {r["code"] for r in _csv(folder / "alignment.csv") if r["model"] == model.name and r["code"]} == set(
            result.prepared.codebook.ids())
    allotment = next(c for c in result.verdicts.model(nmf).codes if c.code == "allotment")
    gardening = next(c for c in result.verdicts.model(nmf).codes if c.code == "gardening")
    assert allotment.status in ("merged", "present_without_topic") and allotment.topics[0] == gardening.topics[0]


def test_codings_score_the_verdicts_and_decide_which_groups_are_analysed(tmp_path: Path) -> None:
    config = write_project(tmp_path / "project", codings=True, models="models:\n  - type: nmf\n    n_topics: 5\n")
    folder, result = run(load_config(config), out_dir=tmp_path / "runs")
    ev = result.verdicts.evaluation
    assert ev is not None
    checks = {p.code: p for p in ev.presence}
    assert checks["gardening"].human_segments > 0 and checks["gardening"].presence == "present"
    assert checks["hobbies"].human_segments == checks["gardening"].human_segments + checks["music"].human_segments
    assert checks["astronomy"].human_segments == 0
    own = [m for m in ev.matches if m.status == "own_topic"]
    assert own and all(m.precision > m.base_rate for m in own)
    assert json.loads((folder / "verdicts.json").read_text(encoding="utf-8"))["evaluation"] == ev.to_json()
    data = json.loads((folder / "explorer_data.json").read_text(encoding="utf-8"))
    assert data["verdicts"]["evaluation"]["matches"] == [m.to_json() for m in ev.matches]
    # codings that apply the group itself make it a code of its own: seeded, aligned and scored
    codings = (tmp_path / "project" / "codings.csv")
    codings.write_text(codings.read_text(encoding="utf-8").replace(",music,", ",hobbies,"), encoding="utf-8")
    book = tmp_path / "project" / "codebook.yaml"
    book.write_text(book.read_text(encoding="utf-8").replace("hobby codes.\n", "hobby codes.\n    keywords: [tomato, guitar]\n"),
                    encoding="utf-8")
    prepared = prepare(load_config(config))
    assert prepared.analysed.ids() == ["hobbies", "gardening", "music", "outdoors", "astronomy"]
    assert [c for c, _ in prepared.seed_topics()][0] == "hobbies"
    assert fit_all(prepared)  # fits with the codings read before fitting


def test_run_summary_prints_presence_then_structure_per_model(tmp_path: Path) -> None:
    config = write_project(tmp_path / "project", greetings=True)
    out = CliRunner().invoke(main, ["run", str(config), "--out", str(tmp_path / "runs")])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Run folder: "))
    folder = Path(lines[start].split(": ", 1)[1])
    back = load_run(folder)
    table = back.verdicts
    counts = table.counts()
    assert lines[start + 1] == (f"Presence in the data (5 codes): {counts['present']} present, "
                                f"{counts['uncertain']} uncertain, {counts['absent']} absent")
    for line, name in zip(lines[start + 2:start + 4], ("nmf_k5", "guided_nmf_x2"), strict=True):
        ev = back.evaluation[name]
        s, t = table.status_counts(name), table.topic_counts(name)
        coherence = ", ".join(f"{m} {v.mean:.3f}" for m, v in ev.coherence.items())
        unstable = f" ({table.unstable(name)} unstable)" if table.unstable(name) else ""
        assert line == (f"  {name}: {back.models[name].n_topics} topics, {coherence}, diversity {ev.diversity:.2f}, "
                        f"stability {ev.stability.mean:.2f}; codes: {s['own_topic']} own topic, {s['split']} split, "
                        f"{s['merged']} merged, {s['present_without_topic']} present without topic, "
                        f"{s['absent']} absent{unstable}; topics: {t['explained']} explained, {t['emergent']} emergent, "
                        f"{t['procedural']} procedural")
    assert not any(re.search(r"not found|codes matched", line) for line in lines)

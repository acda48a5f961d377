"""Codings written as Word comments: spans, several codes per comment, answers split by a line of
dashes, placement on paragraph segments, and what codings_report.json says."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from topicbook.codebook import Code, Codebook
from topicbook.codings import read_codings
from topicbook.config import SegmentConfig, SpeakersConfig
from topicbook.errors import InputError
from topicbook.ingest import Corpus, Document, read_docx
from topicbook.ingest.comments import comment_codes, read_comment_codings
from topicbook.segment import segment_corpus

BOOK = Codebook("study", (
    Code("skills", "Skills"), Code("tools", "Tools and software"),
    Code("career", "Career"), Code("certificates", "Certificates", parent="career"),
    Code("stats", "Statistics"),
))
ANSWER_1 = "I learned Python and spreadsheets"
ANSWER_2 = "The course also gave me a certificate that my employer noticed when I asked for a raise."


def write_coded_docx(path: Path) -> Path:
    """Two answers to one question split by a dashes line, each commented; a commented table row."""
    d = docx.Document()
    d.add_paragraph("Interviewer: What did you learn in the course, and did it help you?")
    p = d.add_paragraph("Ada: ")
    coded = p.add_run(ANSWER_1)
    p.add_run(", and I use both at work every single week now.")
    d.add_comment(coded, text="skills; Tools and software", author="R")
    d.add_paragraph("-----")
    second = d.add_paragraph()
    d.add_comment(second.add_run(ANSWER_2), text="Career > Certificates\ncareer", author="R")
    d.add_paragraph("Interviewer: Anything else you learned?")
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Ada"
    cell = table.rows[0].cells[1].paragraphs[0]
    cell.add_run("Yes, ")
    d.add_comment(cell.add_run("some statistics"), text="  Statistics ; ", author="R")
    cell.add_run(" for my reports.")
    d.save(str(path))
    return path


def test_comment_text_names_codes_separated_by_semicolons_or_lines() -> None:
    assert comment_codes("skills; tools\n\nCareer > Certificates ;") == ["skills", "tools", "Career > Certificates"]


def test_word_comments_give_codes_and_exact_spans(tmp_path: Path) -> None:
    path = write_coded_docx(tmp_path / "interview.docx")
    text = read_docx(path)
    codings = read_comment_codings(path)
    assert [(c.document, c.code) for c in codings] == [
        ("interview", "skills"), ("interview", "Tools and software"),
        ("interview", "Career > Certificates"), ("interview", "career"), ("interview", "Statistics")]
    spans = {c.code: text[c.start:c.end] for c in codings}
    assert spans["skills"] == spans["Tools and software"] == ANSWER_1
    assert spans["career"] == ANSWER_2
    assert spans["Statistics"] == "some statistics"


def test_word_codings_place_on_the_answers_split_by_dashes(tmp_path: Path) -> None:
    folder = tmp_path / "coded"
    folder.mkdir()
    path = write_coded_docx(folder / "interview.docx")
    doc = Document("interview", read_docx(path), "interview.docx")
    seg = segment_corpus(Corpus((doc,), folder, (path,)), SpeakersConfig(), SegmentConfig(unit="paragraph", min_tokens=3))
    answers = [s for s in seg.segments if s.role == "respondent"]
    assert [s.text for s in answers][:2] == [f"{ANSWER_1}, and I use both at work every single week now.", ANSWER_2]
    assert all("---" not in s.text for s in seg.segments)
    human = read_codings(folder, documents={doc.id: doc.text}, segments=seg.segments,
                         segment_ids=[s.id for s in seg.segments], codebook=BOOK)
    coded = {seg_id: {c for c, on in zip(human.code_ids, row, strict=True) if on}
             for seg_id, row in zip(human.segment_ids, human.labels, strict=True) if row.any()}
    assert coded == {answers[0].id: {"skills", "tools"}, answers[1].id: {"career", "certificates"},
                     answers[2].id: {"stats"}}
    report = human.to_json()
    assert (report["codings"], report["placed"], report["unmatched_codings"]) == (5, 5, [])


def test_unplaced_word_codings_are_listed_with_their_reason(tmp_path: Path) -> None:
    path = write_coded_docx(tmp_path / "interview.docx")
    doc = Document("interview", read_docx(path), "interview.docx")
    seg = segment_corpus(Corpus((doc,), tmp_path, (path,)), SpeakersConfig(), SegmentConfig(unit="paragraph", min_tokens=3))
    book = Codebook("small", (Code("skills", "Skills"),))
    human = read_codings(path, documents={doc.id: doc.text}, segments=seg.segments,
                         segment_ids=[s.id for s in seg.segments], codebook=book)
    report = human.to_json()
    assert (report["codings"], report["placed"]) == (5, 1)
    assert {(u["code"], u["reason"]) for u in report["unmatched_codings"]} == {
        ("Tools and software", "code not in the codebook"), ("Career > Certificates", "code not in the codebook"),
        ("career", "code not in the codebook"), ("Statistics", "code not in the codebook")}


def test_a_docx_without_comments_is_one_line(tmp_path: Path) -> None:
    d = docx.Document()
    d.add_paragraph("Interviewer: Hello?")
    d.save(str(tmp_path / "plain.docx"))
    with pytest.raises(InputError) as err:
        read_comment_codings(tmp_path / "plain.docx")
    assert str(err.value).startswith("codings.path: no Word comment naming a code in plain.docx.")

"""A researcher's own material, the smaller promises: PDF page-break repeats counted in
preprocess_report.json, a codings folder hashed file by file in the manifest, and codings by
offsets that de-identification moved are said to be so (quotes are de-identified and found)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import yaml
from fixtures.ingest.make_fixtures import make_pdf

from conftest import write_planted_corpus
from topicbook.codings import DEIDENTIFIED_REASON, find_quote
from topicbook.config import load_config
from topicbook.pipeline import prepare


def edit(config: Path, **sections: dict) -> Path:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data.update(sections)
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return config


def test_page_break_repeats_are_counted_per_document(tmp_path: Path) -> None:
    config = write_planted_corpus(tmp_path / "project")
    interviews = tmp_path / "project" / "interviews"
    long_line = "and the greenhouse tomato harvest went on and on that year"
    make_pdf(interviews / "doc09.pdf", [["Interviewer: What did you grow?", "Ada: tomato soil compost seedling water", long_line],
                                        [long_line, "Interviewer: And then?", "Ada: harvest weed allotment shovel greenhouse"]])
    data = yaml.safe_load(config.read_text())
    edit(config, corpus={**data["corpus"], "include": ["*.txt", "*.pdf"]}, cache={"enabled": False})
    prepared = prepare(load_config(config))
    assert prepared.corpus.page_break_repeats == {"doc09": 1}
    assert prepared.corpus.documents[-1].text.count(long_line) == 1
    report = prepared.preprocess_report()
    assert report.page_break_repeats == {"doc09": 1}
    assert json.loads(json.dumps(report.to_json()))["page_break_repeats"] == {"doc09": 1}
    data = yaml.safe_load(config.read_text())
    edit(config, corpus={**data["corpus"], "remove_page_break_repeats": False})
    kept = prepare(load_config(config))
    assert kept.corpus.page_break_repeats == {} and kept.corpus.documents[-1].text.count(long_line) == 2


def test_a_codings_folder_is_hashed_file_by_file(planted: Path) -> None:
    folder = planted.parent / "word"
    (folder / "sub").mkdir(parents=True)
    for name in ("a.docx", "sub/b.docx", "~$a.docx", "notes.txt"):  # listed, not read: prepare leaves codings alone
        (folder / name).write_bytes(b"PK")
    edit(planted, codings={"path": "word"})
    prepared = prepare(load_config(planted))
    files = {p.relative_to(planted.parent).as_posix() for p in prepared.input_files()}
    assert {f for f in files if f.startswith("word")} == {"word/a.docx", "word/sub/b.docx"}


def test_offsets_moved_by_deidentification_are_not_placed_and_said_so(planted: Path, caplog: pytest.LogCaptureFixture) -> None:
    project = planted.parent
    doc = project / "interviews" / "doc01.txt"
    original = doc.read_text(encoding="utf-8")
    answers = [t for t in original.split("\n\n") if t.startswith("Ada:")]
    # a name in the second answer: the first answer's offsets still hold, the later ones move
    text = original.replace(answers[1], answers[1].replace("Ada: ", "Ada: Maria Rossi said ", 1))
    doc.write_text(text, encoding="utf-8")
    spans = []
    for answer in (answers[0], answers[3]):
        start = text.index(answer) + len("Ada: ")
        spans.append(f"doc01,{start},{start + 80},gardening")
    (project / "offsets.csv").write_text("document,start,end,code\n" + "\n".join(spans) + "\n", encoding="utf-8")
    quote = "Maria Rossi said " + " ".join(answers[1].split(": ", 1)[1].split()[:6])
    (project / "quotes.csv").write_text(f"document,code,text\ndoc01,music,{quote}\n", encoding="utf-8")
    data = yaml.safe_load(planted.read_text())
    edit(planted, preprocess={**data["preprocess"], "deidentify": True, "deidentify_names": ["Maria Rossi"]},
         codings={"path": "offsets.csv"})
    prepared = prepare(load_config(planted))
    assert prepared.corpus.deidentified_from == {"doc01": text.index("Maria Rossi")}
    with caplog.at_level(logging.WARNING, logger="topicbook"):
        human = prepared.human_codings()
    assert human is not None and human.n_codings == 2 and human.n_placed == 1
    assert [u["reason"] for u in human.unmatched] == [DEIDENTIFIED_REASON]
    assert [u["line"] for u in human.unmatched] == [3]
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert ("offsets.csv: 1 codings by character offsets end after text that preprocess.deidentify changed, so their "
            "offsets no longer point at the coded words; they are not placed. Give those codings as quotes "
            "(document,code,text), or code the de-identified texts (a run's documents.jsonl).") in messages
    # a quote is de-identified before it is looked for, so it is found in the de-identified text
    edit(planted, codings={"path": "quotes.csv"})
    prepared = prepare(load_config(planted))
    human = prepared.human_codings()
    assert human is not None and human.n_placed == 1
    (span,) = human.spans
    deidentified = prepared.corpus.documents[0].text
    assert deidentified[span.start:span.end].startswith("NAME] said")  # quotes match from the first letter
    assert (span.start, span.end) == find_quote(deidentified, quote.replace("Maria Rossi", "[NAME]"))


def test_the_pdpilot_table_of_coded_segments_reads_as_it_comes() -> None:
    from conftest import shared_corpus
    from topicbook.ingest.codings import codings_table

    frame = codings_table(shared_corpus("pdpilot-interviews", "text", "coded_segments.csv"))
    assert list(frame.columns) == ["document", "code", "text"] and len(frame) == 261
    assert frame["code"].iloc[0] == "Explainability purposes > Guiding feature engineering"

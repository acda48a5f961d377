"""Bad input: one clear line per problem, no traceback, and the other documents still load."""

import dataclasses
import json

import pytest
from click.testing import CliRunner
from fixtures.ingest.make_fixtures import make_pdf

from topicbook.cli import main
from topicbook.config import CorpusConfig, config_from_dict
from topicbook.errors import InputError
from topicbook.ingest import read_corpus
from topicbook.pipeline import prepare
from topicbook.preprocess import PreprocessReport

GOOD = "Interviewer: What did you learn?\nAna: I learned statistics and Python for my job.\nInterviewer: And?\nAna: My manager noticed the new skills quickly."


@pytest.fixture
def messy(tmp_path):
    """A folder with one good transcript and one file for every kind of bad input."""
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "good.txt").write_text(GOOD, encoding="utf-8")
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.md").write_text("  \n\n \t\n", encoding="utf-8")
    (root / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    (root / "undecodable.txt").write_bytes(bytes(range(1, 256)) * 4)
    (root / "fake.docx").write_text("I am not a zip file", encoding="utf-8")
    make_pdf(root / "locked.pdf", [["Interviewer: secret?", "Ana: yes"]], password="pw")
    (root / "notes.rtf").write_text("{\\rtf1 hello}", encoding="utf-8")
    (root / "broken.vtt").write_text("this is not WEBVTT\n", encoding="utf-8")
    make_pdf(root / "scan.pdf", [[], []])
    (root / "good.md").write_text(GOOD, encoding="utf-8")  # same id as good.txt
    (tmp_path / "metadata.csv").write_text("document,country\ngood,FR\nghost,DE\n", encoding="utf-8")
    return tmp_path


EXPECTED = [
    "binary.txt: binary content, not text (NUL bytes). Convert it to plain text or remove it from the corpus folder.",
    "blank.md: the file is empty; skipped.",
    "broken.vtt: not a valid .vtt subtitle file (no cue with a timing line such as 00:00:01.000 --> 00:00:04.000); skipped. Check the file or export it again.",
    "empty.txt: the file is empty; skipped.",
    "fake.docx: not a valid .docx file (not a zip package; an old .doc or a password-protected file?); skipped. Re-save it as .docx.",
    "good.txt: document id 'good' is already used by good.md; skipped. Rename one of the files.",
    "locked.pdf: the PDF is encrypted (password-protected); skipped. Save an unprotected copy (e.g. print to PDF) and add that instead.",
    "notes.rtf: no reader for '.rtf' files; skipped. Supported: .docx, .md, .odt, .pdf, .srt, .txt, .vtt.",
    "scan.pdf: the PDF has no text layer (a scanned image?); skipped. Run OCR on it or add a text version.",
    "undecodable.txt: cannot decode byte 0x81 at offset 128 as UTF-8 or cp1252. Re-save the file as UTF-8.",
    "metadata.csv: 1 metadata rows match no document (first: 'ghost'); ignored.",
]


def test_each_bad_file_gives_one_line_and_the_good_document_loads(messy):
    cfg = CorpusConfig(path=messy / "corpus", include=["*"], metadata=messy / "metadata.csv")
    corpus = read_corpus(cfg)
    assert [d.id for d in corpus.documents] == ["good"]
    assert corpus.documents[0].metadata == {"country": "FR"}
    assert list(corpus.warnings) == EXPECTED
    assert all("\n" not in w for w in corpus.warnings)


def test_cli_validate_warns_without_traceback(messy):
    (messy / "config.yaml").write_text("corpus: {path: corpus, include: ['*'], metadata: metadata.csv}\nsegment: {min_tokens: 1}\npreprocess: {min_df: 1, phrases: false}\nmodels: [{type: nmf, n_topics: 2}]\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(messy / "config.yaml")])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    for line in EXPECTED:
        assert f"Warning: {line}" in result.stderr
    assert "Documents: 1 (1 with speaker labels)" in result.stdout
    assert "Dropped: 0 pieces shorter than segment.min_tokens, 0 segments with no token left" in result.stdout


def test_a_corpus_with_no_readable_document_is_an_error(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "fake.docx").write_bytes(b"PK but not really")
    with pytest.raises(InputError) as info:
        read_corpus(CorpusConfig(path=tmp_path))
    assert str(info.value) == (f"corpus.path: no readable document in {tmp_path.name}. First problem: "
                               "empty.txt: the file is empty; skipped. (1 more problems: run with -v to see them)")
    result = CliRunner().invoke(main, ["validate", str(_config(tmp_path))])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: corpus.path: no readable document in") and result.stderr.count("\n") == 1


def _config(root):
    path = root / "config.yaml"
    path.write_text("corpus: {path: .}\n", encoding="utf-8")
    return path


def test_duplicate_ids_in_a_table_are_skipped_with_a_warning(tmp_path):
    (tmp_path / "t.csv").write_text("id,text,site\n1,Parking was hard,A\n1,Duplicate row,B\n2,,C\n3,Kind staff,A\n", encoding="utf-8")
    corpus = read_corpus(CorpusConfig(path=tmp_path / "t.csv"))
    assert [(d.id, d.text, d.metadata) for d in corpus.documents] == [("1", "Parking was hard", {"site": "A"}), ("3", "Kind staff", {"site": "A"})]
    assert corpus.warnings == ("t.csv: 1 rows with empty 'text' skipped.", "t.csv: 1 rows repeat an id already seen in 'id'; skipped. Make the ids unique.")


def test_a_document_empty_after_preprocessing_is_reported(tmp_path):
    root = tmp_path / "c"
    root.mkdir()
    for i in range(3):
        (root / f"d{i}.txt").write_text(GOOD.replace("Ana", f"P{i}"), encoding="utf-8")
    (root / "stop.txt").write_text("Interviewer: Why?\nBo: Because it is what it is, you know.\nInterviewer: So?\nBo: Well, it was, um, the the of and.", encoding="utf-8")
    cfg = config_from_dict({"corpus": {"path": str(root)}, "segment": {"min_tokens": 1}, "preprocess": {"min_df": 1, "phrases": False}}, base_dir=tmp_path)
    prepared = prepare(cfg)
    report = prepared.preprocess_report()
    assert report.empty_documents == ("stop",)
    assert {reason for _, reason in report.dropped_segments} == {"no tokens left after preprocessing"}
    assert [segment for segment, _ in report.dropped_segments] == ["stop#0001", "stop#0002"]
    assert "document 'stop': nothing left to model after segmenting and preprocessing (too short, only interviewer turns, or only stopwords); it is left out." in report.warnings
    assert PreprocessReport.from_json(json.loads(json.dumps(report.to_json()))) == report  # written as JSON
    assert dataclasses.is_dataclass(prepared.cfg)

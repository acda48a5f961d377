"""Real corpora from ../shared/corpora: the PDPilot interviews as PDF and as text, the NHS table."""

import re
from collections import Counter

import pandas as pd
import pytest

from conftest import shared_corpus
from topicbook.config import CorpusConfig, SegmentConfig, SpeakersConfig
from topicbook.ingest import read_corpus
from topicbook.segment import segment_corpus

pytestmark = pytest.mark.slow  # real corpora or several full runs

WORD = re.compile(r"\w+")


def words(texts) -> Counter:
    return Counter(w.casefold() for t in texts for w in WORD.findall(t))


def overlap(a: Counter, b: Counter) -> float:
    """Shared words (multiset) over the larger of the two word counts."""
    return sum((a & b).values()) / max(sum(a.values()), sum(b.values()))


@pytest.fixture(scope="module")
def pdpilot():
    root = shared_corpus("pdpilot-interviews")
    text = read_corpus(CorpusConfig(path=root / "text", include=["P*.txt"]))
    pdf = read_corpus(CorpusConfig(path=root / "original" / "transcripts"))
    seg_cfg = SegmentConfig()
    return {
        "root": root,
        "text": text, "pdf": pdf,
        "text_seg": segment_corpus(text, SpeakersConfig(), seg_cfg),
        "pdf_seg": segment_corpus(pdf, SpeakersConfig(), seg_cfg),
    }


def test_both_versions_of_the_seven_interviews_are_read(pdpilot):
    for key in ("text", "pdf"):
        corpus = pdpilot[key]
        assert [d.id for d in corpus.documents] == [f"P{i}" for i in range(1, 8)]
        assert corpus.warnings == ()
    assert "1/5" not in pdpilot["pdf"].documents[0].text  # page numbers and margin line numbers are gone
    assert not re.search(r"^\d+$", pdpilot["pdf"].documents[0].text, re.M)


@pytest.mark.parametrize("key", ["text_seg", "pdf_seg"])
def test_dan_is_found_as_the_interviewer(pdpilot, key):
    roles = pdpilot[key].roles
    assert roles.interviewers == {"dan"}
    assert roles.method == "asks the most questions and appears in most documents"
    dan = next(e for e in roles.evidence if e.startswith("Dan:"))
    assert dan.startswith("Dan: 7/7 documents") and dan.endswith("asks the most questions in 7/7 of their documents")
    assert {s.speaker for s in pdpilot[key].segments} == {"Participant"}
    assert all(s.question for s in pdpilot[key].segments)


def test_participant_words_survive_into_segments(pdpilot):
    turns = pd.read_csv(pdpilot["root"] / "text" / "turns.csv")
    said = turns[turns["speaker"] == "Participant"]
    for doc, group in said.groupby("participant"):
        reference = words(group["text"])
        kept = words(s.text for s in pdpilot["text_seg"].segments if s.document == doc)
        assert sum((reference & kept).values()) / sum(reference.values()) >= 0.95, doc


def test_pdf_and_text_give_the_same_respondent_text(pdpilot):
    for doc in [f"P{i}" for i in range(1, 8)]:
        from_text = words(s.text for s in pdpilot["text_seg"].segments if s.document == doc)
        from_pdf = words(s.text for s in pdpilot["pdf_seg"].segments if s.document == doc)
        assert overlap(from_text, from_pdf) >= 0.95, doc


def test_spans_reproduce_segment_text_on_the_pdfs(pdpilot):
    texts = {d.id: d.text for d in pdpilot["pdf"].documents}
    for s in pdpilot["pdf_seg"].segments:
        assert "\n".join(texts[s.document][a:b] for a, b in s.spans) == s.text


def test_nhs_table_loads_with_its_metadata_columns():
    path = shared_corpus("nhs-patient-experience", "original", "pxtextmining", "datasets", "v6framework_230831.csv")
    corpus = read_corpus(CorpusConfig(path=path, id_column="Comment ID", text_column="FFT answer"))
    assert len(corpus) == 7400
    assert corpus.warnings == ("v6framework_230831.csv: 508 rows with empty 'FFT answer' skipped.",)
    doc = corpus.documents[0]
    assert doc.is_table_row
    assert {"Trust", "Date", "Service type 1", "FFT question", "Staff manner & personal attributes"} <= set(doc.metadata)
    assert "FFT answer" not in doc.metadata and "Comment ID" not in doc.metadata
    seg = segment_corpus(corpus, SpeakersConfig(), SegmentConfig(min_tokens=0))
    assert seg.warnings == ()  # a table is not a transcript: no speaker-label warning
    assert seg.segments[0].metadata["Trust"] == doc.metadata["Trust"]

"""Speaker turns, roles and segments: every label pattern, and spans that reproduce the text."""

import pytest

from topicbook.config import SegmentConfig, SpeakersConfig
from topicbook.ingest import Corpus, Document
from topicbook.segment import parse_turns, segment_corpus

PATTERNS = [
    ("Name:", "Maria: I liked it.\nMaria: Again.", ["Maria", "Maria"]),
    ("Interviewer 1:", "Interviewer 1: Why?\nBob: Because.\nInterviewer 1: Ok?\nBob: Yes.", ["Interviewer 1", "Bob"] * 2),
    ("Interviewer1 :", "Interviewer1 : Why?\nBob: Because.\nInterviewer1 : Ok?\nBob: Yes.", ["Interviewer1", "Bob"] * 2),
    ("Q:/A:", "Q: Why?\nA: Because.", ["Q", "A"]),
    ("I:/R:", "I: Why?\nR: Because.", ["I", "R"]),
    ("[00:12:03] Name:", "[00:12:03] Dan: Why?\n[00:12:09] Sue: Because.\n[00:13:00] Dan: Ok?\n[00:13:04] Sue: Yes.", ["Dan", "Sue"] * 2),
    ("Name (00:01:02):", "Dan (00:01:02): Why?\nSue (00:01:09): Because.\nDan (00:02:00): Ok?\nSue (00:02:04): Yes.", ["Dan", "Sue"] * 2),
    ("NAME:", "DAN: Why?\nSUE: Because.\nDAN: Ok?\nSUE: Yes.", ["DAN", "SUE", "DAN", "SUE"]),
]


@pytest.mark.parametrize(("pattern", "text", "speakers"), PATTERNS, ids=[p[0] for p in PATTERNS])
def test_label_patterns(pattern, text, speakers):
    turns = parse_turns("d", text)
    assert [t.speaker for t in turns] == speakers
    bodies = [t.text(text) for t in turns]
    assert not any(":" in b[:3] or "00:" in b for b in bodies)


def test_unlabelled_lines_continue_the_turn_and_labels_are_case_insensitive():
    text = "Interviewer: So?\nMARIA: First line\nsecond line\nmaria: third"
    turns = parse_turns("d", text)
    assert [t.speaker for t in turns] == ["Interviewer", "MARIA", "maria"]
    assert turns[1].text(text) == "First line\nsecond line"


def test_a_label_said_once_is_not_a_speaker_unless_it_is_a_role_label():
    assert [t.speaker for t in parse_turns("d", "Q: Why?\nA: Because.")] == ["Q", "A"]
    assert [t.speaker for t in parse_turns("d", "Dan: Why?\nSue: Because.")] == [None]


def test_a_colon_in_running_text_is_not_a_label():
    text = "Interviewer: Tell me.\nAna: It was hard.\nNote: this is a digression.\nAna: Yes."
    speakers = [t.speaker for t in parse_turns("d", text)]
    assert speakers == ["Interviewer", "Ana", "Ana"]


def corpus_of(*texts: str) -> Corpus:
    docs = tuple(Document(f"d{i}", t, f"d{i}.txt") for i, t in enumerate(texts))
    return Corpus(docs, root=None, files=())  # type: ignore[arg-type]


def test_auto_interviewer_asks_questions_and_is_everywhere():
    a = "Dan: What do you do?\nAna: I teach maths at a school near here.\nDan: Why?\nAna: I like it a lot."
    b = "Dan: How was it?\nBo: It was fine, really fine.\nDan: And then?\nBo: Then I left the job."
    seg = segment_corpus(corpus_of(a, b), SpeakersConfig(), SegmentConfig(min_tokens=0))
    assert seg.roles.interviewers == {"dan"}
    assert {s.speaker for s in seg.segments} == {"Ana", "Bo"}
    assert seg.segments[0].question == "What do you do?"


def test_explicit_interviewer_list_overrides_auto():
    a = "Dan: What?\nAna: Things.\nDan: Why?\nAna: Reasons."
    seg = segment_corpus(corpus_of(a), SpeakersConfig(interviewer=["Ana"]), SegmentConfig(min_tokens=0))
    assert {s.speaker for s in seg.segments} == {"Dan"}


def test_short_turns_merge_with_the_same_speakers_next_turn_and_spans_reproduce_text():
    text = "Dan: What?\nAna: Yes.\nDan: Tell me more?\nAna: It was a long story about my first job in town."
    doc = Document("d", text, "d.txt")
    seg = segment_corpus(Corpus((doc,), None, ()), SpeakersConfig(), SegmentConfig(min_tokens=5))  # type: ignore[arg-type]
    assert len(seg.segments) == 1
    s = seg.segments[0]
    assert s.text == "Yes.\nIt was a long story about my first job in town."
    assert "\n".join(text[a:b] for a, b in s.spans) == s.text
    assert text[s.start:s.end].startswith("Yes.") and text[s.start:s.end].endswith("town.")


def test_no_labels_warns_and_reads_plain_paragraphs():
    text = "First paragraph about gardens and soil.\n\nSecond paragraph about music and songs."
    seg = segment_corpus(corpus_of(text), SpeakersConfig(), SegmentConfig(unit="paragraph", min_tokens=0))
    assert "no speaker labels found" in seg.warnings[0]
    assert [s.text for s in seg.segments] == text.split("\n\n")


def test_windows_respect_sentence_ends():
    text = " ".join(f"Sentence number {i} has some words in it." for i in range(30))
    seg = segment_corpus(corpus_of(text), SpeakersConfig(), SegmentConfig(unit="window", window=20, min_tokens=0))
    assert len(seg.segments) > 5
    for s in seg.segments:
        assert s.text.endswith(".")
        assert "\n".join(text[a:b] for a, b in s.spans) == s.text

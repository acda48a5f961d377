"""Speaker turns, roles and segments: every label pattern, and spans that reproduce the text."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


def test_auto_interviewer_needs_no_majority_question_rate_but_never_picks_a_respondent_label():
    # like the PDPilot interviews: the interviewer asks in only a third of the turns, the
    # participant sometimes asks back; "Participant" is a respondent label and never chosen
    docs = []
    for i in range(3):
        docs.append("\n".join([
            "Dan: Okay. Tell me about your work.", f"Participant: I build models {i}.",
            "Dan: Right.", "Participant: Can I ask? Is this recorded?" if i == 0 else "Participant: It is fine.",
            "Dan: Yes it is. Which tools do you use?", "Participant: Mostly notebooks and plots.",
        ]))
    seg = segment_corpus(corpus_of(*docs), SpeakersConfig(), SegmentConfig(min_tokens=0))
    assert seg.roles.interviewers == {"dan"}
    assert "Dan: 3/3 documents, 9 turns, 33% with a question, 5 words per turn, asks the most questions in 2/3 of their documents" in seg.roles.evidence
    lone = segment_corpus(corpus_of("Participant: Why?\nParticipant: Why not?"), SpeakersConfig(), SegmentConfig(min_tokens=0))
    assert lone.roles.interviewers == frozenset() and lone.roles.method == "no interviewer found"


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


# --------------------------------------------------------------------------- properties

LINE_STARTS = ["", "Dan: ", "ANA: ", "Interviewer 1: ", "Interviewer1 : ", "Q: ", "A: ", "I: ", "R: ",
               "[00:12:03] Dan: ", "Dan (00:01:02): ", "Note: ", "http://x.org ", "  ", "\t", "[00:01] ", "Zoë: "]
WORDS = st.text(alphabet=st.sampled_from(list("abcxyzÉé?!.,:;()[]-' \t0123456789")), max_size=30)
LINE = st.builds(lambda start, body: start + body, st.sampled_from(LINE_STARTS), WORDS)
TRANSCRIPT = st.one_of(
    st.lists(LINE, max_size=12).map("\n".join),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TRANSCRIPT)
def test_turn_parser_never_crashes_and_spans_reproduce_the_text(text):
    turns = parse_turns("d", text)
    previous_end = -1
    for turn in turns:
        assert turn.spans
        for start, end in turn.spans:
            assert previous_end < start < end <= len(text)
            assert text[start:end] == text[start:end].strip()
            previous_end = end
        assert turn.text(text) == "\n".join(text[a:b] for a, b in turn.spans)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TRANSCRIPT, min_size=1, max_size=3), st.sampled_from(["turn", "paragraph", "window"]),
       st.integers(0, 8))
def test_segments_spans_reproduce_segment_text(texts, unit, min_tokens):
    corpus = corpus_of(*texts)
    seg = segment_corpus(corpus, SpeakersConfig(keep="all"), SegmentConfig(unit=unit, min_tokens=min_tokens, window=10))
    by_id = {d.id: d.text for d in corpus.documents}
    for s in seg.segments:
        assert "\n".join(by_id[s.document][a:b] for a, b in s.spans) == s.text


def test_merged_short_answers_keep_every_question_in_order():
    text = ("Interviewer: Did the course help you find work?\nAna: Yes, a little.\n"
            "Interviewer: And your employer, did they pay?\nAna: No, I paid myself.\n"
            "Interviewer: Tell me about the skills you learned there in the course?\n"
            "Ana: Mostly programming in Python and a lot of statistics for my reports at work.")
    seg = segment_corpus(corpus_of(text), SpeakersConfig(), SegmentConfig(min_tokens=8))
    (merged,) = seg.segments
    assert merged.text == "Yes, a little.\nNo, I paid myself.\nMostly programming in Python and a lot of statistics for my reports at work."
    assert merged.questions == ("Did the course help you find work?", "And your employer, did they pay?",
                                "Tell me about the skills you learned there in the course?")
    assert merged.question.split("\n\n") == list(merged.questions)
    assert merged.answer_starts == (0, 1, 2)


def test_paragraph_unit_splits_answers_at_a_line_of_dashes():
    text = ("Interviewer: What happened?\nAna: First answer about the course.\n-----\nSecond answer about my job.\n"
            "— — —\nThird one.\nInterviewer: Thanks?\nAna: Bye.")
    seg = segment_corpus(corpus_of(text), SpeakersConfig(), SegmentConfig(unit="paragraph", min_tokens=0))
    assert [s.text for s in seg.segments] == ["First answer about the course.", "Second answer about my job.", "Third one.", "Bye."]
    assert all(s.question == "What happened?" and s.answer_starts == (0,) for s in seg.segments[:3])

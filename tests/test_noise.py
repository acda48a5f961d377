"""Transcript noise (redaction marks, transcription notes, timestamps, lines repeated at PDF page
breaks) is removed by default, counted, and each kind can be turned off."""

from __future__ import annotations

import dataclasses
import json

from conftest import shared_corpus, write_planted_corpus
from topicbook.config import CorpusConfig, PreprocessConfig, load_config
from topicbook.ingest import read_corpus
from topicbook.ingest.pdf import drop_page_break_repeats
from topicbook.pipeline import prepare
from topicbook.preprocess import Preprocessor

NOISY = ("I (unintelligible), I have not used XXXX XX tools [inaudible 00:14:22] at [NAME] (laughs) "
         "since 10:30 am [crosstalk] and (??) the [REDACTED] team")


def tokens(cfg: PreprocessConfig, text: str = NOISY) -> tuple[list[str], dict[str, int]]:
    pre = Preprocessor(dataclasses.replace(cfg, phrases=False, stopwords=False, filler_words=False, lemmatize="none"))
    docs = pre.fit_transform([text])
    return docs[0], pre.report.noise


def test_noise_marks_become_no_tokens_and_are_counted() -> None:
    words, noise = tokens(PreprocessConfig())
    assert words == ["have", "not", "used", "tools", "at", "since", "and", "the", "team"]
    assert noise == {"transcription_notes": 5, "redaction_marks": 3, "timestamps": 1}


def test_each_kind_of_noise_can_be_kept() -> None:
    words, noise = tokens(PreprocessConfig(remove_redaction_marks=False, remove_transcription_notes=False,
                                           remove_timestamps=False))
    assert {"unintelligible", "xxxx", "xx", "inaudible", "name", "laughs", "am", "crosstalk", "redacted"} <= set(words)
    assert noise == {}
    words, noise = tokens(PreprocessConfig(remove_redaction_marks=False))
    assert "xxxx" in words and "inaudible" not in words and set(noise) == {"transcription_notes", "timestamps"}


def test_segment_text_keeps_the_marks_and_the_report_counts_them(tmp_path) -> None:
    config = write_planted_corpus(tmp_path / "project")
    doc = tmp_path / "project" / "interviews" / "doc01.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "\nInterviewer: And then?\n\nAda: tomato [inaudible] soil XXX compost (laughs) harvest seedling water weed.\n", encoding="utf-8")
    prepared = prepare(load_config(config))
    noisy = [s for s in prepared.segmentation.segments if "[inaudible]" in s.text]
    assert len(noisy) == 1
    assert prepared.corpus.documents[0].text[noisy[0].start:noisy[0].end] == noisy[0].text
    report = prepared.preprocess_report()
    assert report.noise_removed == {"transcription_notes": 2, "redaction_marks": 1, "timestamps": 0}
    assert not {"inaudible", "xxx", "laugh"} & set(prepared.dtm.vocab)
    json.dumps(report.to_json())


def test_a_line_repeated_at_a_page_break_is_dropped_once() -> None:
    pages = [["Dan:", "Why?", "Participant:", "It was a long answer that goes on"],
             ["Participant:", "It was a long answer that goes on", "and on to the next page."],
             ["Yeah.", "Dan:", "Ok."], ["Yeah.", "Dan:", "Bye."]]
    out, dropped = drop_page_break_repeats(pages)
    assert dropped == 2 and out[1] == ["and on to the next page."]
    assert out[3] == ["Yeah.", "Dan:", "Bye."]  # "Yeah." is too short to be a repeat


def test_maxqda_page_break_repeats_are_gone_from_the_pdpilot_pdfs() -> None:
    folder = shared_corpus("pdpilot-interviews", "original", "transcripts")
    line = "scatter plots can be used to, you know, analyze a single feature, but, at the moment we do not use them that way."
    p3 = {d.id: d.text for d in read_corpus(CorpusConfig(path=folder)).documents}["P3"]
    kept = {d.id: d.text for d in read_corpus(CorpusConfig(path=folder, remove_page_break_repeats=False)).documents}["P3"]
    assert p3.count(line) == 1 and kept.count(line) == 2

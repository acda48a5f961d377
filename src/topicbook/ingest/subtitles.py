"""Subtitle transcripts (.vtt, .srt) via webvtt-py: cues become speaker turns.

A cue's speaker is its WebVTT voice tag (``<v Dan Smith>``, as Zoom and Teams write them) or a
``Name:`` prefix in its text. Timestamps, cue ids and formatting tags are dropped; consecutive
cues of one speaker are merged into one ``Speaker: text`` line, and a cue without a speaker
continues the current speaker's turn. A file with no speakers at all gives one line per cue.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from topicbook.errors import InputError
from topicbook.ingest.speakers import SPEAKER_LABEL
from topicbook.ingest.text import read_text_file

_PREFIX = re.compile(rf"^(?P<label>{SPEAKER_LABEL}) ?:(?!//)\s*(?P<body>.*)$", re.DOTALL)


def read_subtitles(path: Path, name: str | None = None) -> str:
    """Turn lines of a .vtt or .srt file (encoding detected like plain text)."""
    import webvtt
    from webvtt.errors import MalformedFileError

    name = name or path.name
    text = read_text_file(path, name)  # encoding detection, BOMs and CRLF, binary check
    try:
        fmt = "srt" if path.suffix.lower() == ".srt" else "vtt"
        captions = webvtt.from_buffer(io.StringIO(text), format=fmt)
    except MalformedFileError:
        raise InputError(f"{name}: not a valid {path.suffix.lower()} subtitle file (no cue with a timing line such as 00:00:01.000 --> 00:00:04.000); skipped. Check the file or export it again.") from None
    cues: list[tuple[str | None, str]] = []
    for caption in captions.captions:
        body = " ".join(caption.text.split())
        speaker = caption.voice
        if speaker is None:
            match = _PREFIX.match(body)
            if match and match.group("body"):
                speaker, body = match.group("label"), match.group("body")
        if body:
            cues.append((" ".join(speaker.split()) if speaker else None, body))
    return "\n".join(merge_cues(cues))


def merge_cues(cues: list[tuple[str | None, str]]) -> list[str]:
    """`(speaker or None, text)` cues -> turn lines, one speaker's consecutive cues merged."""
    if not any(speaker for speaker, _ in cues):
        return [text for _, text in cues]
    lines: list[str] = []
    current: str | None = None
    for speaker, text in cues:
        if speaker is not None and speaker != current:
            lines.append(f"{speaker}: {text}")
            current = speaker
        elif lines and current is not None:
            lines[-1] += " " + text
        else:  # cues before the first speaker
            lines.append(text)
    return lines

"""Subtitle transcripts (.vtt, .srt) via webvtt-py: cues become speaker turns.

A cue's speaker is its WebVTT voice tag (``<v Dan Smith>``, as Zoom and Teams write them) or a
``Name:`` prefix in its text. Timestamps, cue ids and formatting tags are dropped; consecutive
cues of one speaker are merged into one ``Speaker: text`` line, and a cue without a speaker
continues the current speaker's turn. A file with no speakers at all gives one line per cue.

Voice names are written as labels the turn parser reads (see :func:`speaker_labels`), so that
``<v Smith, John (External)>`` or ``<v María José García López>`` become speakers like any
other and go through the same interviewer detection, instead of being read as the previous
speaker's words.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from topicbook.errors import InputError
from topicbook.ingest.speakers import LABEL_RE, SPEAKER_LABEL, speaker_key
from topicbook.ingest.text import read_text_file

_NOT_LABEL = re.compile(r"[^\w.'’\-]+")
_LETTER = re.compile(r"[^\W\d_]")
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
    labels = speaker_labels([speaker for speaker, _ in cues if speaker])
    return "\n".join(merge_cues([(labels[speaker] if speaker else None, body) for speaker, body in cues]))


def speaker_labels(names: list[str]) -> dict[str, str]:
    """Each voice name -> a speaker label that the turn parser reads as a label (one to three
    words of letters, digits and . ' - , starting with a letter): other characters become
    spaces (``Smith, John (External)`` -> ``Smith John External``), words after the third are
    joined to it with ``-``, a name that does not start with a letter gets ``Speaker`` in front,
    and a name with nothing left is ``Speaker N``. Different names never share a label (a
    second one gets `` 2``, ...)."""

    labels: dict[str, str] = {}
    used: set[str] = set()
    unnamed = 0
    for name in names:
        if name in labels:
            continue
        words = _NOT_LABEL.sub(" ", name).split()
        if words and not _LETTER.match(words[0]):
            words = ["Speaker", *words]
        if len(words) > 3:
            words = [*words[:2], "-".join(words[2:])]
        label = " ".join(words)
        match = LABEL_RE.match(f"{label}: x") if label else None
        if match is None or match.group("label") != label:
            unnamed += 1
            label = f"Speaker {unnamed}"
        base, n = label, 1
        while speaker_key(label) in used:
            n += 1
            label = f"{base}-{n}" if len(base.split()) >= 3 else f"{base} {n}"
        used.add(speaker_key(label))
        labels[name] = label
    return labels


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

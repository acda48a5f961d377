"""What a speaker label looks like, shared by the transcript parser (segment.py) and the readers
that turn table cells (office.py), PDF lines (pdf.py) and subtitle cues (subtitles.py) into
``Speaker: ...`` turn lines.

A label is one to three words, the first starting with a letter (`Interviewer 1`, `Dr. Smith`,
`Q`); a timestamp is `12:03`, `00:12:03` or `00:12:03.250`.
"""

from __future__ import annotations

import re

TIMESTAMP = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
SPEAKER_LABEL = r"[^\W\d_][\w.'’\-]*(?:[ \t]+[\w.'’\-]+){0,2}"
LABEL_MAX_CHARS = 40  # a table cell longer than this is text, not a speaker

_LABEL = re.compile(SPEAKER_LABEL)

# A transcript line that starts a turn: optional timestamp, the label, optional timestamp, colon.
LABEL_RE = re.compile(
    rf"""^[ \t]*
    (?:[\[(]?{TIMESTAMP}[\])]?[ \t]*(?:-[ \t]*)?)?         # [00:12:03] before the label
    (?P<label>{SPEAKER_LABEL})                             # one to three words
    [ \t]*(?:[\[(]{TIMESTAMP}[\])])?                      # Name (00:01:02)
    [ \t]*:(?!//)[ \t]*
    (?P<body>.*)$""",
    re.VERBOSE,
)


def speaker_key(label: str) -> str:
    """Labels are matched case-insensitively: `INTERVIEWER 1` and `Interviewer1` are one key."""
    return re.sub(r"\s+", "", label.casefold())


def is_speaker_label(text: str) -> bool:
    """True when the whole of `text` (stripped) is a speaker label of at most LABEL_MAX_CHARS."""
    text = text.strip()
    return len(text) <= LABEL_MAX_CHARS and _LABEL.fullmatch(text) is not None

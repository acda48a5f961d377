"""De-identification: listed names, e-mail addresses, phone numbers and URLs become placeholders.

It runs on each document's text right after reading, before segmentation, so every later
output (segments.csv, quotes, the explorer's transcripts, token lists) only ever sees the
de-identified text, and segment spans index into it. A listed name used as a speaker label
(``Maria: ...`` at the start of a line) becomes a numbered pseudonym (``Person 2: ...``, 2 =
its position in the list) so that turns and roles still work; elsewhere it becomes ``[NAME]``.

>>> d = Deidentifier(names=("Maria Rossi", "Dan"))
>>> d.apply("Dan: Mail maria.rossi@uni.it or call +39 06 1234 5678, Maria Rossi said.")
'Person 2: Mail [EMAIL] or call [PHONE], [NAME] said.'
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from topicbook.config import SpeakersConfig
from topicbook.errors import ConfigError
from topicbook.ingest import Corpus

log = logging.getLogger(__name__)

URL_RE = re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>\"'()\[\]]+[^\s<>\"'()\[\].,;:!?]", re.IGNORECASE)
EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}\b")
# 9 to 15 digits with optional +/00 prefix, spaces, dots, dashes, slashes or (area) parentheses;
# 8-digit dates (12.03.2020) and year ranges (1990-2000) have too few digits to match
PHONE_RE = re.compile(r"(?<![\w+(])(?:\+|\()?\d[\d \t().\-/]{7,22}\d(?!\w)")
_PHONE_MIN_DIGITS, _PHONE_MAX_DIGITS = 9, 15

PLACEHOLDERS = {"name": "[NAME]", "email": "[EMAIL]", "phone": "[PHONE]", "url": "[URL]"}


@dataclass(frozen=True)
class Deidentifier:
    """Replaces `names` (case-insensitive, whole words), e-mails, phone numbers and URLs.

    `names`: people's names as written ("Maria Rossi", "Dan"); longer names are matched first.
    """

    names: tuple[str, ...] = ()
    _name_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        cleaned = [" ".join(n.split()) for n in self.names if n and n.strip()]
        if cleaned:
            alternatives = sorted({re.escape(n).replace(r"\ ", r"\s+") for n in cleaned}, key=len, reverse=True)
            pattern = re.compile(r"(?<![\w])(?:" + "|".join(alternatives) + r")(?![\w])", re.IGNORECASE)
            object.__setattr__(self, "_name_re", pattern)

    def pseudonym(self, label: str) -> str | None:
        """`Person N` for a listed name used as a speaker label (N = 1-based list position), else None."""
        key = " ".join(label.split()).casefold()
        for i, name in enumerate(self.names, start=1):
            if " ".join(name.split()).casefold() == key:
                return f"Person {i}"
        return None

    def apply(self, text: str) -> str:
        """The text with placeholders; line structure ("\\n") is unchanged."""
        from topicbook.segment import LABEL_RE

        text = URL_RE.sub(PLACEHOLDERS["url"], text)
        text = EMAIL_RE.sub(PLACEHOLDERS["email"], text)
        text = PHONE_RE.sub(_phone, text)
        if self._name_re is None:
            return text
        lines = text.split("\n")
        for i, line in enumerate(lines):
            match = LABEL_RE.match(line)
            head = ""
            if match and (alias := self.pseudonym(match.group("label"))):
                head = line[:match.start("label")] + alias
                line = line[match.end("label"):]
            lines[i] = head + self._name_re.sub(PLACEHOLDERS["name"], line)
        return "\n".join(lines)


def _phone(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return PLACEHOLDERS["phone"] if _PHONE_MIN_DIGITS <= digits <= _PHONE_MAX_DIGITS else match.group(0)


def deidentifier_from_config(enabled: bool, names: Sequence[str]) -> Deidentifier | None:
    """The de-identifier for `preprocess.deidentify` / `preprocess.deidentify_names`, or None when off."""
    if not enabled:
        if names:
            raise ConfigError("preprocess.deidentify_names is set but preprocess.deidentify is false. Set deidentify: true, or remove the names.")
        return None
    return Deidentifier(names=tuple(names))


def deidentify_corpus(corpus: Corpus, deidentifier: Deidentifier | None) -> Corpus:
    """A new Corpus whose documents' text and metadata values went through `deidentifier`
    (unchanged if None), with `deidentified_from` recording where each changed text first
    differs. Document ids are kept (metadata and codings join on them); an id that contains a
    listed name gets a warning."""
    if deidentifier is None:
        return corpus
    docs = tuple(
        dataclasses.replace(d, text=deidentifier.apply(d.text),
                            metadata={k: deidentifier.apply(v) for k, v in d.metadata.items()})
        for d in corpus.documents
    )
    changed = {new.id: first_difference(old.text, new.text) for old, new in zip(corpus.documents, docs, strict=True)
               if old.text != new.text}
    warnings = list(corpus.warnings)
    if deidentifier._name_re is not None:
        named = [d.id for d in corpus.documents if deidentifier._name_re.search(d.id.replace("_", " "))]
        if named:
            warnings.append(f"document id '{named[0]}' ({len(named)} in all) contains a name listed in preprocess.deidentify_names; ids are written to the run folder. Rename the files.")
            log.warning(warnings[-1])
    return dataclasses.replace(corpus, documents=docs, warnings=tuple(warnings), deidentified_from=changed)


def first_difference(a: str, b: str) -> int:
    """The first index at which two texts differ (the shorter one's length if one is a prefix)."""
    n = min(len(a), len(b))
    low, high = 0, n
    while low < high:  # bisect on equal prefixes: C-speed comparisons instead of a Python loop
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def pseudonymise_speakers(speakers: SpeakersConfig, deidentifier: Deidentifier | None) -> SpeakersConfig:
    """`speakers.interviewer` with listed names replaced by their `Person N` labels."""
    if deidentifier is None or speakers.interviewer == "auto":
        return speakers
    labels = [deidentifier.pseudonym(label) or label for label in speakers.interviewer]
    return dataclasses.replace(speakers, interviewer=labels)

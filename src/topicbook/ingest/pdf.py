"""PDF transcripts (pypdf): text per page, repeated page headers and footers dropped.

Page furniture is found by comparing the first and last lines of every page: a line that,
with its digits masked (``Page 3 of 9`` -> ``Page # of #``, margin line numbers -> ``#``),
sits at the same edge of at least half of the pages (and of at least two) is dropped from the
edges of all pages; a speaker label alone on its line (``Dan:``) never is. Words split by tabs or runs of spaces are joined by single spaces.

Lines repeated at a page break are dropped too: MAXQDA's PDF export prints the last line of a
page (with its speaker label, if it is alone on the line above) again at the top of the next
page. That line differs from page to page, so the furniture rule above never sees it; it is
found by comparing each page's first lines with the previous page's last lines (up to
``MAX_REPEAT_LINES``, and at least ``MIN_REPEAT_CHARS`` characters besides speaker labels, so a
repeated "Yeah." is kept).
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from itertools import pairwise
from pathlib import Path

from topicbook.errors import InputError
from topicbook.ingest.speakers import SPEAKER_LABEL

log = logging.getLogger(__name__)
# pypdf logs what it repairs ("EOF marker not found"); without a handler Python would print it
# beside our one-line message. What matters reaches the user as our InputError.
logging.getLogger("pypdf").addHandler(logging.NullHandler())

_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"[ \t\u00a0]+")
# a speaker label alone on its line ("Dan:" with the words on the next line) is never furniture
_BARE_LABEL = re.compile(rf"^{SPEAKER_LABEL}(?:[ \t]*\(\d[\d:.]*\))?\s*:$")
MAX_REPEAT_LINES = 3
MIN_REPEAT_CHARS = 20


def read_pdf(path: Path, name: str | None = None, *, remove_page_break_repeats: bool = True,
             counts: dict[str, int] | None = None) -> str:
    """Text of a PDF with "\\n" line ends, pages joined in order, headers/footers dropped, and
    (unless `remove_page_break_repeats` is off) lines repeated at page breaks dropped; their
    number is added to `counts` (when given) as `page_break_repeats`."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    name = name or path.name
    encrypted = f"{name}: the PDF is encrypted (password-protected); skipped. Save an unprotected copy (e.g. print to PDF) and add that instead."
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                opened = bool(reader.decrypt(""))  # many PDFs are encrypted with an empty user password
            except (DependencyError, NotImplementedError, FileNotDecryptedError):
                opened = False
            if not opened:
                raise InputError(encrypted)
        pages = [_page_lines(page.extract_text() or "") for page in reader.pages]
    except FileNotDecryptedError:
        raise InputError(encrypted) from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.debug("%s: pypdf: %s: %s", name, type(exc).__name__, exc)
        raise InputError(f"{name}: not a readable PDF (damaged, truncated or not a PDF at all); skipped. Re-export the PDF or convert it to text.") from None
    if not any(pages):
        raise InputError(f"{name}: the PDF has no text layer (a scanned image?); skipped. Run OCR on it or add a text version.")
    pages = drop_page_furniture(pages)
    if remove_page_break_repeats:
        pages, repeated = drop_page_break_repeats(pages)
        if counts is not None:
            counts["page_break_repeats"] = counts.get("page_break_repeats", 0) + repeated
        if repeated:
            log.info("%s: %d line(s) repeated at page breaks dropped (corpus.remove_page_break_repeats)", name, repeated)
    return "\n".join(line for page in pages for line in page)


def _page_lines(text: str) -> list[str]:
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return [line for line in lines if line]


def drop_page_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Remove lines repeated at the top or bottom edge of most pages.

    `pages`: lines per page (non-empty, stripped). Returns new lists; the middle of a page is
    never touched. Needs at least two pages.
    """
    if len(pages) < 2:
        return [list(p) for p in pages]
    need = max(2, math.ceil(0.5 * len(pages)))
    pages = [list(p) for p in pages]
    for edge in (0, -1):
        furniture: set[str] = set()
        while True:
            keys = Counter(_DIGITS.sub("#", p[edge]) for p in pages if p and not _BARE_LABEL.match(p[edge]))
            new = {k for k, n in keys.items() if n >= need} - furniture
            if not new:
                break
            furniture |= new
            for p in pages:  # a known furniture line is dropped from every page's edge
                while p and not _BARE_LABEL.match(p[edge]) and _DIGITS.sub("#", p[edge]) in furniture:
                    p.pop(edge)
    return pages


def drop_page_break_repeats(pages: list[list[str]]) -> tuple[list[list[str]], int]:
    """Drop the first lines of a page that repeat the previous page's last lines (see the module
    docstring). Returns new page lists and the number of lines dropped."""
    out = [list(p) for p in pages]
    dropped = 0
    for prev, page in pairwise(out):
        for k in range(min(MAX_REPEAT_LINES, len(prev), len(page)), 0, -1):
            if page[:k] == prev[-k:] and sum(len(line) for line in page[:k] if not _BARE_LABEL.match(line)) >= MIN_REPEAT_CHARS:
                del page[:k]
                dropped += k
                break
    return out, dropped

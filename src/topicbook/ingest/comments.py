"""Codings written as Word comments: a .docx, or a folder of them, as human codings.

Many small studies are coded in Word: the researcher selects an answer or passage and writes
the code(s) in a comment. Here the commented range is the coded span, as character offsets into
the document text exactly as :func:`topicbook.ingest.office.read_docx` produces it (so the spans
place onto that document's segments), and the comment text names one or more codes separated
by ``;`` or new lines (each an id, name or ``Parent > Child`` path of the codebook).

How the offsets are found: the document is opened with python-docx (after the zip checks of
:func:`topicbook.ingest.office.read_docx`), a private-use marker character is put at every
``w:commentRangeStart`` and ``w:commentRangeEnd``, and the text is produced by the same reader;
the markers' positions, with the markers taken out, are the offsets. A range whose markers
cannot be placed (e.g. inside a text box, which the reader does not read) is skipped with a
warning.
"""

from __future__ import annotations

import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from topicbook.errors import InputError

log = logging.getLogger(__name__)

CODE_SEPARATORS = re.compile(r"[;\n]")
_MARK_BASE = 0xF0000  # Supplementary Private Use Area-A: never in a transcript


@dataclass(frozen=True)
class SpanCoding:
    """One coded span: document id, [start, end) character offsets, the code as written, and
    where it came from (`source` file, Word comment id, the commented text)."""

    document: str
    start: int
    end: int
    code: str
    source: str
    comment: str = ""
    text: str = ""


def comment_codes(text: str) -> list[str]:
    """The codes a comment names: parts separated by `;` or new lines, stripped, empty dropped."""
    return [part.strip() for part in CODE_SEPARATORS.split(text) if part.strip()]


def comment_files(folder: Path) -> list[Path]:
    """The .docx files of a codings folder, recursively, in path order (Word's `~$` lock files
    left out): what :func:`read_comment_codings` reads, and the manifest hashes."""
    return sorted((p for p in folder.rglob("*") if p.suffix.lower() == ".docx" and p.is_file()
                   and not p.name.startswith("~$")), key=lambda p: p.relative_to(folder).as_posix())


def read_comment_codings(path: Path) -> list[SpanCoding]:
    """Codings from Word comments in a .docx file or in every .docx of a folder (recursively;
    document ids are the paths relative to the folder without `.docx`, as for a corpus folder).

    Raises InputError when the path is missing, or when no comment is found at all.
    """
    if path.is_dir():
        files = comment_files(path)
        if not files:
            raise InputError(f"codings.path: {path.name} holds no .docx file. Point codings.path at a .docx with comments, a folder of them, or a CSV of codings.")
        docs = [(f, f.relative_to(path).with_suffix("").as_posix()) for f in files]
    elif path.is_file():
        docs = [(path, path.stem)]
    else:
        raise InputError(f"codings.path: {path.name} does not exist ({path}). Fix the path or remove codings.path.")
    codings: list[SpanCoding] = []
    for file, doc_id in docs:
        codings.extend(read_docx_comments(file, doc_id, name=file.relative_to(path).as_posix() if path.is_dir() else file.name))
    if not codings:
        raise InputError(f"codings.path: no Word comment naming a code in {path.name}. Select each coded passage in Word, add a comment with its code(s) (several separated by ';'), save, and run again.")
    return codings


def read_docx_comments(path: Path, document: str, *, name: str | None = None) -> list[SpanCoding]:
    """The codings of one .docx: per comment, one SpanCoding per code it names."""
    import docx

    from topicbook.ingest.office import _docx_lines, _join, read_docx

    name = name or path.name
    text = read_docx(path, name)  # the zip checks, and the text the spans refer to
    try:
        doc = docx.Document(str(path))
    except (KeyError, ValueError, zipfile.BadZipFile) as exc:  # read_docx accepted it: unlikely
        raise InputError(f"{name}: not a valid .docx file ({type(exc).__name__}); skipped. Re-save it as .docx.") from None
    anchors = _mark_anchors(doc)
    if not anchors:
        return []
    marked = _join(_docx_lines(doc))
    offsets = _marker_offsets(marked, text, name, anchors)
    comments = {c.comment_id: c for c in doc.comments}
    out: list[SpanCoding] = []
    for comment_id in sorted({cid for _, cid in anchors.values()}):
        start = offsets.get(("start", comment_id))
        end = offsets.get(("end", comment_id))
        comment = comments.get(comment_id)
        if comment is None:
            continue
        if start is None or end is None or end <= start:
            log.warning("%s: comment %s ('%s') marks no text that topicbook reads (a text box, header or empty range?); skipped.",
                        name, comment_id, " ".join(comment.text.split())[:40])
            continue
        start, end = _trim(text, start, end)
        if end <= start:
            continue
        for code in comment_codes(comment.text):
            out.append(SpanCoding(document, start, end, code, name, str(comment_id), text[start:end][:200]))
    return out


def _mark_anchors(doc: Any) -> dict[str, tuple[str, int]]:
    """Put a marker run at every comment range start and end; marker char -> (kind, comment id)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    anchors: dict[str, tuple[str, int]] = {}
    body = doc.element.body
    for element in body.xpath(".//w:commentRangeStart | .//w:commentRangeEnd"):
        kind = "start" if element.tag == qn("w:commentRangeStart") else "end"
        try:
            comment_id = int(element.get(qn("w:id")))
        except (TypeError, ValueError):
            continue
        mark = chr(_MARK_BASE + len(anchors))
        run = OxmlElement("w:r")
        t = OxmlElement("w:t")
        t.text = mark
        run.append(t)
        _insert_run(element, run, kind)
        anchors[mark] = (kind, comment_id)
    return anchors


def _insert_run(anchor: Any, run: Any, kind: str) -> None:
    """Insert `run` where the reader sees it: beside the anchor's ancestor that is a direct child
    of a paragraph, or, for an anchor between paragraphs, at the start of the next paragraph
    (a range start) or the end of the previous one (a range end)."""
    from docx.oxml.ns import qn

    node = anchor
    while node.getparent() is not None and node.getparent().tag != qn("w:p"):
        node = node.getparent()
        if node.tag == qn("w:body"):
            node = None
            break
    if node is not None and node.getparent() is not None:
        node.addnext(run)
        return
    if kind == "start":
        following = anchor.xpath("following::w:p[1]")
        if following:
            p = following[0]
            ppr = p.find(qn("w:pPr"))
            if ppr is not None:
                ppr.addnext(run)
            else:
                p.insert(0, run)
    else:
        preceding = anchor.xpath("preceding::w:p[1]")
        if preceding:
            preceding[0].append(run)


def _marker_offsets(marked: str, text: str, name: str, anchors: dict[str, tuple[str, int]]) -> dict[tuple[str, int], int]:
    """(kind, comment id) -> offset into `text` (the reader's text without markers)."""
    positions: dict[str, int] = {}
    clean: list[str] = []
    for ch in marked:
        if ord(ch) >= _MARK_BASE:
            positions[ch] = len(clean)
        else:
            clean.append(ch)
    plain = "".join(clean)
    if plain != text:  # table cells collapse spaces around a marker: map by non-space characters
        if plain.split() != text.split():
            raise InputError(f"{name}: the comment ranges could not be matched to the text. Save the file again in Word and retry.")
        positions = {ch: _same_place(plain, text, off) for ch, off in positions.items()}
    out: dict[tuple[str, int], int] = {}
    for ch, off in positions.items():
        out.setdefault(anchors[ch], off)
    return out


def _same_place(plain: str, text: str, offset: int) -> int:
    """The offset in `text` with as many non-space characters before it as `offset` in `plain`."""
    rank = sum(1 for c in plain[:offset] if not c.isspace())
    seen = 0
    for i, c in enumerate(text):
        if not c.isspace():
            if seen == rank:
                return i
            seen += 1
    return len(text)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end

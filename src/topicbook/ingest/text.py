"""Plain-text transcripts (.txt, .md) with encoding detection."""

from __future__ import annotations

import codecs
from pathlib import Path

from topicbook.chars import find_nul
from topicbook.errors import InputError

MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_LINE_CHARS = 1_000_000  # one paragraph of ~150,000 words; longer is not a transcript
CP1252_TOLERANCE = 0.05  # extra 'chaos' (charset-normalizer's mess ratio) accepted for cp1252


def decode_bytes(raw: bytes, name: str) -> str:
    """Decode transcript bytes: BOMs first, then UTF-8, then a detected encoding (cp1252 last).

    Raises InputError for binary content. Line ends are normalised to "\\n".
    """
    if raw.startswith(codecs.BOM_UTF8):
        text = raw[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict")
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = raw.decode("utf-16")
    else:
        utf16 = _bomless_utf16(raw)
        if utf16 is not None:
            return raw.decode(utf16).replace("\r\n", "\n").replace("\r", "\n")
        if b"\x00" in raw[:4096]:
            raise InputError(f"{name}: binary content, not text (NUL bytes). Convert it to plain text or remove it from the corpus folder.")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = _decode_detected(raw, name)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _bomless_utf16(raw: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' for UTF-16 text without a BOM (NUL in every other byte), else None."""
    head = raw[:4096]
    if len(raw) % 2 or len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _mixed_utf8(raw: bytes, name: str) -> None:
    """Raise InputError when `raw` is UTF-8 on some lines and another encoding on others."""
    bad_line = good = 0
    for n, line in enumerate(raw.split(b"\n"), 1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            good += 1
        except UnicodeDecodeError as exc:
            if not bad_line:
                bad_line, bad_byte = n, line[exc.start]
        if good and bad_line:
            raise InputError(f"{name}: mixed encodings: some lines are UTF-8, line {bad_line} is not (byte 0x{bad_byte:02x}); skipped. Re-save the file as UTF-8 in one go (or fix that line).")


def _decode_detected(raw: bytes, name: str) -> str:
    """Decode non-UTF-8 bytes: charset-normalizer's guess, but cp1252 (the Windows default for
    Western European text) whenever it is about as plausible as the best guess, since short
    Western texts are otherwise often taken for Baltic or Central European code pages."""
    from charset_normalizer import from_bytes

    _mixed_utf8(raw, name)
    matches = from_bytes(raw[:200_000])
    best = matches.best()
    encoding = "cp1252"
    if best is not None and best.encoding.lower().replace("_", "-") not in {"utf-8", "ascii"}:
        near = [m for m in matches if m.chaos <= best.chaos + CP1252_TOLERANCE]
        if not any("cp1252" in m.could_be_from_charset for m in near):
            encoding = best.encoding
    try:
        return raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: cannot decode byte 0x{raw[exc.start]:02x} at offset {exc.start} as UTF-8 or cp1252. Re-save the file as UTF-8.") from None


def nul_warning(name: str, offset: int, line: int) -> str:
    """The one line for a text with a NUL character (binary junk or a damaged file): `line` and
    `offset` (characters) are those of the file's text, or of the text a reader extracted."""
    return (f"{name}: a NUL character at line {line} of its text (character {offset:,}); text never holds one, so "
            "the file looks damaged or partly binary; skipped. Remove the NUL characters or re-save the file as plain text.")


def read_text_file(path: Path, name: str | None = None) -> str:
    """Read a .txt/.md transcript as text with "\\n" line ends."""
    name = name or path.name
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(f"{name}: {size // 2**20} MB is larger than the {MAX_FILE_BYTES // 2**20} MB limit for one transcript. Split the file.")
    text = decode_bytes(path.read_bytes(), name)
    nul = find_nul(text)  # the binary check looks at the first 4 KB only
    if nul is not None:
        raise InputError(nul_warning(name, *nul))
    if len(text) > MAX_LINE_CHARS:
        longest, line = max((len(t), i) for i, t in enumerate(text.split("\n"), 1))
        if longest > MAX_LINE_CHARS:
            raise InputError(f"{name}: line {line} is {longest:,} characters long, more than the {MAX_LINE_CHARS:,} limit for one line; this does not look like a transcript (a data dump or an encoded file?); skipped. Break it into paragraphs or remove it.")
    return text

"""Plain-text transcripts (.txt, .md) with encoding detection."""

from __future__ import annotations

import codecs
from pathlib import Path

from topicbook.errors import InputError

MAX_FILE_BYTES = 100 * 1024 * 1024
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
        if b"\x00" in raw[:4096]:
            raise InputError(f"{name}: binary content, not text (NUL bytes). Convert it to plain text or remove it from the corpus folder.")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = _decode_detected(raw, name)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_detected(raw: bytes, name: str) -> str:
    """Decode non-UTF-8 bytes: charset-normalizer's guess, but cp1252 (the Windows default for
    Western European text) whenever it is about as plausible as the best guess, since short
    Western texts are otherwise often taken for Baltic or Central European code pages."""
    from charset_normalizer import from_bytes

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


def read_text_file(path: Path, name: str | None = None) -> str:
    """Read a .txt/.md transcript as text with "\\n" line ends."""
    name = name or path.name
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(f"{name}: {size // 2**20} MB is larger than the {MAX_FILE_BYTES // 2**20} MB limit for one transcript. Split the file.")
    return decode_bytes(path.read_bytes(), name)

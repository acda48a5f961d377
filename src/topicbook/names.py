"""Names that become file names, and text that is printed to a terminal.

A user's name (a run's ``--name``, a model's ``name``, a metadata field, a code id) must never
decide where topicbook writes, and a file name or label must never reach the terminal as control
codes. Two rules, one function each:

:func:`safe_name` turns a name into a file name by this rule:

1. Unicode NFC; a NUL character anywhere is an error (it ends a path in the operating system);
2. every run of characters other than letters, digits (any script), ``-``, ``_`` and ``.`` becomes
   one ``_`` (so ``/``, ``\\``, ``:``, spaces, control characters and ``..`` as a path part cannot
   survive);
3. leading ``.`` and ``-`` (hidden files, options) and trailing ``.`` are removed; a name with
   no letter or digit left is an error;
4. at most :data:`MAX_NAME_BYTES` bytes of UTF-8 (cut at a character boundary);
5. a Windows device name (``CON``, ``NUL``, ``COM1``, ... also with an extension) gets a
   ``_`` after it (``CON_``, ``nul_.txt``).

:func:`unique_name` adds ``-2``, ``-3``, ... when a safe name is already used (compared without
case, since macOS and Windows file systems ignore it), so that two models whose names differ only
in dropped characters never write one file.

:func:`printable` escapes control characters (ANSI escape sequences start with one), bidi
overrides and line separators as Python-style escapes (``\\x1b``, ``\\n``, ``\\u202e``), so that a
file name cannot clear the screen, set the terminal title or fake a line of output.

>>> safe_name("../../etc/passwd")
'_.._etc_passwd'
>>> unique_name("lda", {"LDA"})
'lda-2'
>>> printable("doc\\x1b[2J.txt")
'doc\\\\x1b[2J.txt'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable

from topicbook.errors import ConfigError

MAX_NAME_BYTES = 80
ALLOWED = "letters, digits, '-', '_' and '.'"
_DISALLOWED = re.compile(r"[^\w.\-]+")
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)
# C0 and C1 controls, DEL, bidi embeddings/overrides/isolates, line and paragraph separators
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def printable(text: object) -> str:
    """`text` with every control character, bidi control and line separator escaped.

    Letters of any script stay as they are; only the characters that a terminal acts on
    (ESC starts every ANSI sequence) or that reorder or break the line are escaped.
    """
    return _UNPRINTABLE.sub(_escape, str(text))


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def name_problem(name: str) -> str | None:
    """Why `name` cannot become a file name (a phrase that quotes it, escaped), or None.

    >>> name_problem("///")
    "'///' has no letter or digit left as a file name. Use letters, digits, '-', '_' and '.'."
    """
    text = unicodedata.normalize("NFC", str(name))
    if "\x00" in text:
        return f"'{printable(text)}' contains a NUL character and cannot be used as a file name. Use only {ALLOWED}."
    if not any(c.isalnum() for c in _cleaned(text)):
        return f"'{printable(name)}' has no letter or digit left as a file name. Use {ALLOWED}."
    return None


def safe_name(name: str, *, what: str = "name") -> str:
    """`name` as a safe file name (the rule in the module docstring).

    Raises ConfigError naming `what` (e.g. ``models[2].name``) when the name holds a NUL
    character or nothing is left of it.
    """
    problem = name_problem(name)
    if problem is not None:
        raise ConfigError(f"{what}: {problem}")
    text = _cleaned(unicodedata.normalize("NFC", str(name)))
    reserved = _RESERVED.match(text)
    if reserved:  # Windows reserves the device name with any extension: mark the stem
        text = _cut_bytes(reserved.group(1) + "_" + (reserved.group(2) or ""), MAX_NAME_BYTES)
    return text


def _cleaned(text: str) -> str:
    """Rule steps 2-4: disallowed runs to `_`, no leading `.`/`-` or trailing `.`, the byte limit."""
    text = _DISALLOWED.sub("_", text).lstrip(".-").rstrip(".")
    return _cut_bytes(text, MAX_NAME_BYTES).rstrip(".")


def unique_name(name: str, used: Collection[str]) -> str:
    """`name`, or `name-2`, `name-3`, ... : the first that no name in `used` equals, ignoring case.

    The result stays within MAX_NAME_BYTES (the base is shortened to make room for the suffix).
    """
    taken = {u.casefold() for u in used}
    if name.casefold() not in taken:
        return name
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = _cut_bytes(name, MAX_NAME_BYTES - len(suffix)) + suffix
        if candidate.casefold() not in taken:
            return candidate
        n += 1


def safe_unique_names(names: Iterable[str], *, what: str = "name") -> list[str]:
    """A safe, case-insensitively distinct file name for each of `names`, in order.

    The first name keeps its safe form; a later one that would collide gets `-2`, `-3`, ...
    `what` names the setting in errors; it may hold ``{i}`` for the position (``models[{i}].name``).
    """
    out: list[str] = []
    for i, name in enumerate(names):
        out.append(unique_name(safe_name(name, what=what.format(i=i)), out))
    return out


def _cut_bytes(text: str, limit: int) -> str:
    """`text` shortened to at most `limit` bytes of UTF-8, at a character boundary."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")

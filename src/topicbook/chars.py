"""Characters that must not pass through: NUL in text input, XML-illegal characters in XML output.

>>> strip_xml_illegal("bell\\x07 and form feed\\x0c")
('bell and form feed', 2)
>>> find_nul("ok\\nno\\x00")
(5, 2)
"""

from __future__ import annotations

import re

# XML 1.0 (section 2.2) allows tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD and U+10000-U+10FFFF.
_XML_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def strip_xml_illegal(text: str) -> tuple[str, int]:
    """`text` without the characters XML 1.0 cannot hold (C0 controls other than tab, LF and CR;
    lone surrogates; U+FFFE, U+FFFF), and how many were removed."""
    cleaned, n = _XML_ILLEGAL.subn("", text)
    return cleaned, n


def find_nul(text: str) -> tuple[int, int] | None:
    """(character offset, 1-based line) of the first NUL character in `text`, or None."""
    pos = text.find("\x00")
    if pos < 0:
        return None
    return pos, text.count("\n", 0, pos) + 1

"""matplotlib settings for figures whose text is data: terms, labels, code ids, metadata values.

Inside :func:`data_text`, a ``$`` is a dollar sign (mathtext off; a value such as ``$5-$10``
or ``$\\frac{a`` would otherwise be parsed as math and can end the run), TeX is never called,
and fonts that have the texts' glyphs (Chinese, Japanese, Arabic, ...) are found among the
installed fonts through matplotlib's font manager and used after the default font. Glyphs that
no installed font has are reported in one warning per call, instead of matplotlib's one warning
per missing character.
"""

from __future__ import annotations

import logging
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache

log = logging.getLogger(__name__)

# matplotlib's placeholder font maps every code point to a box: it has no real glyph to offer
_NOT_A_FALLBACK = ("Last Resort",)


@contextmanager
def data_text(texts: Iterable[str]) -> Iterator[list[str]]:
    """rc settings for drawing and saving figures that show `texts`; yields the fallback font
    families chosen (empty when the default font has every glyph)."""
    families, missing = fallback_fonts("".join(texts))
    if missing:
        shown = ", ".join(f"'{c}'" for c in sorted(missing)[:3])
        log.warning("figures: %d characters of the labels have no glyph in any installed font (first: %s); the PNG figures show "
                    "them as boxes (the SVG files keep the text). Install a font that has them, e.g. Noto Sans CJK (fonts-noto-cjk).",
                    len(missing), shown)
    with plain_text(families):
        yield families


@contextmanager
def plain_text(families: Sequence[str]) -> Iterator[None]:
    """The rc settings of :func:`data_text` with its fallback font `families` already chosen
    (what a worker process that draws a figure for the run applies)."""
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False,
          "font.family": [*matplotlib.rcParams["font.family"], *families]}), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font", category=UserWarning)
        yield


def fallback_fonts(text: str) -> tuple[list[str], set[str]]:
    """(font families that together have the glyphs of `text` the default font lacks, in the
    order tried; the characters no installed font has). Fonts are tried by family name, so the
    result does not depend on the order matplotlib lists them."""
    from matplotlib import font_manager, rcParams

    default = font_manager.findfont(font_manager.FontProperties(family=rcParams["font.family"]))
    covered = _charmap(default)
    missing = {c for c in set(text) if ord(c) not in covered and unicodedata.category(c)[0] not in "CZ"}
    families: list[str] = []
    if not missing:
        return families, missing
    for entry in sorted(font_manager.fontManager.ttflist, key=lambda f: (f.name, f.fname)):
        if not missing:
            break
        if entry.name.startswith(_NOT_A_FALLBACK) or entry.name in families or entry.style != "normal":
            continue
        found = {c for c in missing if ord(c) in _charmap(entry.fname)}
        if found:
            families.append(entry.name)
            missing -= found
    return families, missing


@lru_cache(maxsize=256)
def _charmap(path: str) -> frozenset[int]:
    """The code points a font file has glyphs for."""
    from matplotlib.ft2font import FT2Font

    try:
        return frozenset(FT2Font(path).get_charmap())
    except (OSError, RuntimeError, ValueError):
        return frozenset()

"""Word families: the presence verdict's second evidence route (round 5), for codes of a few words.

A names-only code is often written with words the segments do not use in that form:
"Cleanliness, tidiness & infection control" in comments that say "clean" and "tidy",
"Competence & training" in comments that say "competent". The word route
(:mod:`.presence`) sees only the code's exact terms, so such a code has its words unseen and
stays `uncertain` or `absent` however often the corpus talks about it.

A word's *family* here is the vocabulary terms that share its stem (the Snowball stemmer of
the corpus language, from nltk) or whose stem is a prefix of its stem, or the other way round,
when the shorter of the two has at least `min_prefix` characters ("cleanli" and "clean",
"compet" and "compet"). Multi-word phrase terms (with "_") are their own family only.

Used by :func:`topicbook.verdicts.presence.evidence` for the codes of few words whose family
coverage reaches what the word route's coverage rule asks and whose own coverage does not; the
verdict rule and its settings are in :mod:`.presence` (`PresenceSettings.family_share`).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence

from nltk.stem.snowball import SnowballStemmer

STEMMER_LANGUAGES = {"en": "english", "de": "german", "fr": "french", "it": "italian", "es": "spanish"}


class WordFamilies:
    """The families of words in one vocabulary: `family(word)` is the sorted vocabulary terms
    of the word's family (the word itself when it is a vocabulary term), () when it has none."""

    def __init__(self, vocab: Sequence[str], language: str, min_prefix: int) -> None:
        self._stem = SnowballStemmer(STEMMER_LANGUAGES[language]).stem
        self.min_prefix = min_prefix
        self._by_stem: dict[str, list[str]] = {}
        for term in vocab:
            self._by_stem.setdefault(self.stem(term), []).append(term)
        self._stems = sorted(s for s in self._by_stem if "_" not in s)
        self._cache: dict[str, tuple[str, ...]] = {}

    def stem(self, word: str) -> str:
        """The word's stem; a phrase term (with "_") is its own stem."""
        return word if "_" in word else self._stem(word)

    def family(self, word: str) -> tuple[str, ...]:
        if word in self._cache:
            return self._cache[word]
        stem = self.stem(word)
        found = set(self._by_stem.get(stem, ()))
        if "_" not in stem and len(stem) >= self.min_prefix:
            start = bisect.bisect_left(self._stems, stem)  # longer stems that start with this one
            for other in self._stems[start:]:
                if not other.startswith(stem):
                    break
                found.update(self._by_stem[other])
            for n in range(self.min_prefix, len(stem)):  # shorter stems this one starts with
                found.update(self._by_stem.get(stem[:n], ()))
        self._cache[word] = out = tuple(sorted(found))
        return out

    def transform(self, transform: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
        """`transform` (the corpus preprocessing) with every token replaced by its family (a
        token without a family stays as it is, and the vocabulary then ignores it)."""
        def expanded(text: str) -> list[str]:
            return [member for token in transform(text) for member in (self.family(token) or (token,))]
        return expanded


def word_families(vocab: Sequence[str], language: str, min_prefix: int) -> WordFamilies | None:
    """The vocabulary's word families, or None for a language without a Snowball stemmer here."""
    return WordFamilies(vocab, language, min_prefix) if language in STEMMER_LANGUAGES else None

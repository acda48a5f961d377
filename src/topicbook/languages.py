"""Which corpus languages topicbook can preprocess, checked when the config is loaded.

Preprocessing (preprocess.py) needs, for `corpus.language` (an ISO 639-1 code): a stopword
list when `preprocess.stopwords` is true (scikit-learn's for English, stopwordsiso's for the
others), a lemma dictionary (simplemma) for `lemmatize: lemma`, a Snowball stemmer (nltk) for
`lemmatize: stem`, and words separated by spaces or punctuation, since its tokeniser has no word
segmenter. :func:`language_problem` says, in one line naming the key, what is missing.

>>> language_problem("zh", stopwords=True, lemmatize="lemma")[:40]
"corpus.language: 'zh' is written without"
>>> language_problem("de", stopwords=True, lemmatize="stem") is None
True
"""

from __future__ import annotations

import stopwordsiso

_LEMMA_LANGUAGES: frozenset[str] | None
try:  # simplemma >= 1.0 lists the languages whose dictionaries its wheel ships
    from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES

    _LEMMA_LANGUAGES = frozenset(SUPPORTED_LANGUAGES)
except ImportError:  # pragma: no cover - another simplemma layout: the check is left to simplemma
    _LEMMA_LANGUAGES = None

# ISO 639-1 code -> nltk's Snowball stemmer name
SNOWBALL = {"en": "english", "de": "german", "fr": "french", "it": "italian", "es": "spanish",
            "pt": "portuguese", "nl": "dutch", "sv": "swedish", "da": "danish", "fi": "finnish",
            "no": "norwegian", "ro": "romanian", "hu": "hungarian", "ru": "russian"}

# written without spaces between words: the tokeniser would return whole clauses as tokens
NO_SPACE_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my", "bo"})


def has_stopwords(language: str) -> bool:
    """A stopword list exists for `language` (scikit-learn's English list, else stopwordsiso)."""
    return language == "en" or bool(stopwordsiso.has_lang(language))


def has_lemmas(language: str) -> bool:
    """simplemma ships a lemma dictionary for `language`."""
    return _LEMMA_LANGUAGES is None or language in _LEMMA_LANGUAGES


def language_problem(language: str, *, stopwords: bool, lemmatize: str) -> str | None:
    """What keeps preprocessing from handling `language` with these settings, or None.

    `lemmatize` is ``"lemma"``, ``"stem"`` or ``"none"``. The message is one line that names
    the config key and how to fix it.
    """
    if stopwords and not has_stopwords(language):
        return (f"corpus.language: no stopword list for '{language}'. Use an ISO 639-1 code such as "
                "en, de, fr, it, es, pt, nl, or set preprocess.stopwords: false.")
    if language in NO_SPACE_LANGUAGES and lemmatize != "none":
        return (f"corpus.language: '{language}' is written without spaces between words, and topicbook "
                "splits words at spaces and punctuation (it has no word segmenter, lemmatiser or "
                "stemmer for it). Split the texts into space-separated words first, then set "
                "preprocess.lemmatize: none.")
    if lemmatize == "lemma" and not has_lemmas(language):
        fix = "stem or none" if language in SNOWBALL else "none"
        return f"corpus.language: no lemma dictionary for '{language}'. Set preprocess.lemmatize: {fix}."
    if lemmatize == "stem" and language not in SNOWBALL:
        fix = "lemma or none" if has_lemmas(language) else "none"
        return f"preprocess.lemmatize: no Snowball stemmer for '{language}'. Use lemmatize: {fix}."
    return None

"""Tokenisation, stopwords, lemmas or stems, phrases and the document-term matrix.

Nothing here needs downloaded nltk data: words come from nltk's RegexpTokenizer, stopwords from
stopwordsiso, lemmas from simplemma (data in its wheel) and stems from nltk's Snowball stemmers.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, pairwise
from typing import Any

import numpy as np
import scipy.sparse as sp
from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import RegexpTokenizer

from topicbook.config import PreprocessConfig
from topicbook.errors import TopicbookError
from topicbook.interrupts import ignore_in_worker
from topicbook.languages import SNOWBALL

log = logging.getLogger(__name__)

TRANSFORM_MEMO = 200_000  # texts whose Preprocessor.transform is remembered (codebook texts)
TOKEN_PATTERN = r"[^\W\d_]+(?:['’\-][^\W\d_]+)*"

# Spoken-language fillers, one list per language; multi-word entries are removed as sequences.
FILLERS: dict[str, list[str]] = {
    "en": ["um", "uh", "uhm", "ha", "haha", "erm", "er", "ah", "oh", "hmm", "mm", "mhm", "yeah", "yep", "okay",
           "ok", "like", "actually", "basically", "literally", "really", "just", "well", "right",
           "sure", "maybe", "quite", "pretty", "stuff", "thing", "lot", "bit", "think", "know",
           "mean", "say", "said", "get", "got", "go", "going", "gonna", "wanna", "want",
           "you know", "i mean", "kind of", "sort of", "i guess", "you see"],
    "de": ["äh", "ähm", "hm", "hmm", "halt", "eigentlich", "sozusagen", "quasi", "also", "genau", "ja", "naja",
           "okay", "ok", "irgendwie", "eben", "weißt du", "ich meine", "oder so", "na ja", "so ungefähr"],
    "fr": ["euh", "bah", "ben", "bon", "genre", "quoi", "voilà", "hein", "ouais", "okay", "enfin", "bref",
           "en fait", "tu vois", "du coup", "tu sais", "je veux dire", "en gros", "un peu"],
    "it": ["ehm", "eh", "beh", "boh", "cioè", "tipo", "insomma", "praticamente", "diciamo", "allora", "appunto",
           "okay", "vabbè", "voglio dire", "in pratica", "sai", "un po"],
    "es": ["eh", "em", "este", "pues", "bueno", "vale", "tipo", "vamos", "okay", "digamos", "básicamente",
           "o sea", "en plan", "sabes", "en realidad", "quiero decir", "como que"],
    "pt": ["né", "tipo", "então", "pronto", "assim", "hum", "pá", "okay", "ok", "basicamente", "digamos", "bem",
           "ou seja", "quer dizer", "na verdade", "sabe"],
    "nl": ["eh", "uhm", "hm", "nou", "eigenlijk", "gewoon", "dus", "hè", "ja", "okay", "oké", "toch", "hoor",
           "zeg maar", "weet je", "ik bedoel", "een beetje", "soort van", "nou ja"],
}

# Transcript noise, removed before tokenising (the segment text and its spans stay as written):
# - transcription notes: [inaudible], (unintelligible), (laughs), [crosstalk], (??), ...
# - redaction marks: runs of X's (XXXX, "XX XXX"), placeholders [NAME], [REDACTED], [EMAIL], ...
#   (the ones preprocess.deidentify writes among them). A run of X's is read as a mark even
#   where it is a Roman numeral ("the XX century"); turn the key off for such texts.
# - timestamps: 00:12:03, [12:03], (1:02:03.5), 10:30 am, #00:01:23-4# (digits never become
#   tokens; an "am"/"pm" would).
_NOTE_WORDS = ("inaudible|unintelligible|indiscernible|incomprehensible|unclear|laugh(?:s|ing|ter)?|"
               "chuckles?|giggles?|crosstalk|cross[- ]talk|overlapping(?: speech| talk)?|(?:long |short )?pause[sd]?|"
               "silence|cough(?:s|ing)?|sighs?|clears throat|(?:background )?noise|interrupt(?:ion|ed)|"
               "phone rings?|audio cuts? out|break in audio|technical difficult(?:y|ies)|mumbl(?:es|ing)|"
               "sneezes?|applause|music|static|recording (?:stops|starts|paused)")
_PLACEHOLDER_WORDS = ("name|redacted|removed|anonymi[sz]ed|omitted|deleted|confidential|person|participant|"
                      "company|employer|organi[sz]ation|place|location|city|country|school|university|"
                      "e-?mail|phone|url|address|date")
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
NOISE_PATTERNS: dict[str, str] = {
    "transcription_notes": rf"[\[(]\s*(?:(?:{_NOTE_WORDS})\b[^\])\n]{{0,40}}|\?+\s*)[\])]",
    "redaction_marks": (rf"[\[<{{]\s*(?:{_PLACEHOLDER_WORDS})(?:[ \t]+\w+){{0,3}}\s*[\]>}}]"
                        r"|(?<![\w'’])(?:[xX]+[ \t]+)*[xX]{2,}(?:[ \t]+[xX]+)*(?![\w'’])"),
    "timestamps": rf"#{_TIME}(?:-\d)?#|[\[(]?\b{_TIME}\b(?:[ \t]?[ap]\.?m\b\.?)?[\])]?",
}
NOISE_KEYS = {"transcription_notes": "remove_transcription_notes", "redaction_marks": "remove_redaction_marks",
              "timestamps": "remove_timestamps"}


def noise_pattern(cfg: PreprocessConfig) -> re.Pattern[str] | None:
    """One regex with a named group per kind of noise that `cfg` removes; None if none."""
    kinds = [k for k, key in NOISE_KEYS.items() if getattr(cfg, key)]
    if not kinds:
        return None
    return re.compile("|".join(f"(?P<{k}>{NOISE_PATTERNS[k]})" for k in kinds), re.IGNORECASE)


def strip_noise(pattern: re.Pattern[str], text: str, counts: dict[str, int] | None = None) -> str:
    """`text` with every match of `pattern` (:func:`noise_pattern`) replaced by a space, each
    counted into `counts` (when given) as `noise:<kind>`."""
    if counts is None:
        return pattern.sub(" ", text)

    def blank(match: re.Match[str]) -> str:
        key = f"noise:{match.lastgroup}"
        counts[key] = counts.get(key, 0) + 1
        return " "

    return pattern.sub(blank, text)


def normalise_text(text: str) -> str:
    """NFKC, lowercase (not casefold: German ß must stay ß for the lemmatiser), ’ -> '."""
    return unicodedata.normalize("NFKC", text).lower().replace("’", "'")


def stopword_set(language: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Stopwords for an ISO 639-1 language plus the user's extra words.

    English uses scikit-learn's list (318 function words, Glasgow IR group): stopwordsiso's
    English list (1,298 words) removes content words such as free, work, new and course, which
    interview topics need. Other languages use stopwordsiso.
    """
    if language == "en":
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        return frozenset(ENGLISH_STOP_WORDS | {"don't", "i'm", "it's", "can't", "didn't", "i've", "that's", "doesn't", "wasn't", "isn't", "you're", "they're", "we're", "i'd", "i'll", "there's", "won't"} | {normalise_text(w) for w in extra})
    import stopwordsiso

    if not stopwordsiso.has_lang(language):
        raise TopicbookError(f"corpus.language: no stopword list for '{language}'. Use an ISO 639-1 code such as en, de, fr, it, es, pt, nl, or set preprocess.stopwords: false.")
    words = {w.replace("’", "'") for w in stopwordsiso.stopwords(language)}
    return frozenset({normalise_text(w) for w in words} | {normalise_text(w) for w in extra})


@dataclass
class TokenReport:
    """The preprocessor's working record: token counts before and after each step, the
    vocabulary size, phrases learned and dropped segments (part of :class:`PreprocessReport`)."""

    steps: dict[str, int] = field(default_factory=dict)
    vocabulary: int = 0
    n_phrases: int = 0
    dropped_segments: list[tuple[str, str]] = field(default_factory=list)
    empty_documents: list[str] = field(default_factory=list)
    noise: dict[str, int] = field(default_factory=dict)  # transcript noise removed: kind -> marks

    def as_dict(self) -> dict[str, Any]:
        return {"tokens_after_step": dict(self.steps), "vocabulary_size": self.vocabulary,
                "phrases_learned": self.n_phrases, "noise_removed": dict(self.noise),
                "dropped_segments": [{"segment": s, "reason": r} for s, r in self.dropped_segments],
                "empty_documents": list(self.empty_documents)}

    def state(self) -> dict:
        """The report as JSON-ready data (see :meth:`from_state`)."""
        return {"steps": dict(self.steps), "vocabulary": self.vocabulary, "n_phrases": self.n_phrases,
                "dropped_segments": [list(d) for d in self.dropped_segments],
                "empty_documents": list(self.empty_documents), "noise": dict(self.noise)}

    @classmethod
    def from_state(cls, state: dict) -> TokenReport:
        return cls(steps=dict(state["steps"]), vocabulary=int(state["vocabulary"]), n_phrases=int(state["n_phrases"]),
                   dropped_segments=[(str(s), str(r)) for s, r in state["dropped_segments"]],
                   empty_documents=[str(d) for d in state["empty_documents"]],
                   noise={str(k): int(v) for k, v in state.get("noise", {}).items()})

    def note_empty_documents(self, documents: Sequence[str], segment_documents: Sequence[str],
                             dtm: DocumentTermMatrix, segment_ids: Sequence[str]) -> None:
        """Record documents with no segment left to model.

        `segment_documents[i]` is the document of `segment_ids[i]` (all segments before pruning).
        """
        kept = set(dtm.segment_ids)
        modelled = {doc for doc, sid in zip(segment_documents, segment_ids, strict=True) if sid in kept}
        self.empty_documents = [d for d in documents if d not in modelled]
        for warning in self.warnings():
            log.warning(warning)

    def warnings(self) -> list[str]:
        """Documents that have nothing left to model: one line each, or one summary line for more than 3."""
        why = "nothing left to model after segmenting and preprocessing (too short, only interviewer turns, or only stopwords)"
        empty = self.empty_documents
        if len(empty) > 3:
            first = ", ".join(f"'{d}'" for d in empty[:3])
            return [f"{len(empty)} documents have {why}; they are left out (first: {first})."]
        return [f"document '{d}': {why}; it is left out." for d in empty]


@dataclass(frozen=True)
class PreprocessReport:
    """What reading, segmenting and preprocessing did to the corpus (preprocess_report.json,
    and what `topicbook validate` prints): documents, turns by role, the interviewer decision,
    segments kept and modelled, pieces and segments dropped (id or span, reason), tokens after
    each step, vocabulary, phrases and warnings."""

    documents: int
    documents_with_speaker_labels: int
    turns_by_role: Mapping[str, int]
    interviewers: tuple[str, ...]
    interviewer_method: str
    interviewer_evidence: tuple[str, ...]
    segments: int
    segments_modelled: int
    dropped_short_pieces: tuple[tuple[str, str], ...]
    tokens_after_step: Mapping[str, int]
    vocabulary_size: int
    phrases_learned: int
    dropped_segments: tuple[tuple[str, str], ...]
    empty_documents: tuple[str, ...]
    warnings: tuple[str, ...]
    noise_removed: Mapping[str, int] = field(default_factory=dict)  # transcript noise: kind -> marks
    page_break_repeats: Mapping[str, int] = field(default_factory=dict)  # PDF lines dropped: document -> lines

    def to_json(self) -> dict[str, Any]:
        return {
            "documents": self.documents, "documents_with_speaker_labels": self.documents_with_speaker_labels,
            "turns_by_role": dict(self.turns_by_role), "interviewers": list(self.interviewers),
            "interviewer_method": self.interviewer_method, "interviewer_evidence": list(self.interviewer_evidence),
            "segments": self.segments, "segments_modelled": self.segments_modelled,
            "dropped_short_pieces": [{"span": s, "reason": r} for s, r in self.dropped_short_pieces],
            "tokens_after_step": dict(self.tokens_after_step), "vocabulary_size": self.vocabulary_size,
            "phrases_learned": self.phrases_learned, "noise_removed": dict(self.noise_removed),
            "page_break_repeats": dict(self.page_break_repeats),
            "dropped_segments": [{"segment": s, "reason": r} for s, r in self.dropped_segments],
            "empty_documents": list(self.empty_documents), "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PreprocessReport:
        return cls(
            int(data["documents"]), int(data["documents_with_speaker_labels"]), dict(data["turns_by_role"]),
            tuple(data["interviewers"]), str(data["interviewer_method"]), tuple(data["interviewer_evidence"]),
            int(data["segments"]), int(data["segments_modelled"]),
            tuple((d["span"], d["reason"]) for d in data["dropped_short_pieces"]),
            dict(data["tokens_after_step"]), int(data["vocabulary_size"]), int(data["phrases_learned"]),
            tuple((d["segment"], d["reason"]) for d in data["dropped_segments"]),
            tuple(data["empty_documents"]), tuple(data["warnings"]), dict(data.get("noise_removed", {})),
            dict(data.get("page_break_repeats", {})))


class _ReTokenizer(RegexpTokenizer):
    """nltk's RegexpTokenizer with the pattern compiled by Python's `re`.

    nltk >= 3.9 compiles RegexpTokenizer patterns with the third-party `regex` engine and a
    per-call ReDoS timeout, which makes `tokenize` 2.6x slower here and the compiled pattern
    impossible to pickle; TOKEN_PATTERN is fixed and linear-time, so `re` is safe.
    """

    def _check_regexp(self) -> None:
        if getattr(self, "_regexp", None) is None:
            self._regexp = re.compile(self._pattern, self._flags)


class Preprocessor:
    """Turns texts into token lists; the phrase model learned on the corpus is reused for
    codebook seed text, so that a code's keywords meet the corpus's own terms.

    Steps per text: NFKC + lowercase, nltk RegexpTokenizer words, multi-word fillers, stopwords
    + fillers + short words, lemma or stem (cached per word type), then phrases (gensim
    Phrases, npmi) and the codebook's multi-word keywords joined with "_".

    >>> p = Preprocessor(PreprocessConfig(phrases=False), language="en")
    >>> p.fit_transform(["Um, I learned new skills, you know."])[0]
    ['learn', 'new', 'skill']
    """

    def __init__(self, cfg: PreprocessConfig, *, language: str = "en",
                 forced_phrases: Sequence[str] = ()) -> None:
        self.cfg = cfg
        self.language = language
        self.forced_phrases = tuple(forced_phrases)
        self._tokenizer = _ReTokenizer(TOKEN_PATTERN)
        fillers = [normalise_text(f) for f in FILLERS.get(language, [])] if cfg.filler_words else []
        self._filler_words = frozenset(f for f in fillers if " " not in f)
        self._filler_firsts: dict[str, list[tuple[str, ...]]] = {}
        for f in fillers:
            if " " in f:
                seq = tuple(f.split())
                self._filler_firsts.setdefault(seq[0], []).append(seq)
        self._stop = stopword_set(language, cfg.extra_stopwords) if cfg.stopwords else frozenset(normalise_text(w) for w in cfg.extra_stopwords)
        self._drop = self._stop | self._filler_words
        self._noise = noise_pattern(cfg)
        self._norm_cache: dict[str, str] = {}  # word -> lemma/stem, "" when the lemma is dropped
        self._phraser: Any = None  # gensim FrozenPhrases once learned
        self._pairs: dict[tuple[str, str], str] | None = None  # phrase pairs when no connector words occur
        self._forced: dict[tuple[str, ...], str] = {}
        self._transformed: dict[str, tuple[str, ...]] = {}  # text -> transform(text)
        self.report = TokenReport()

    # -- steps -----------------------------------------------------------------------------

    def _words(self, text: str, counts: dict[str, int] | None = None) -> list[str]:
        if self._noise is not None:
            text = strip_noise(self._noise, text, counts)
        return self._tokenizer.tokenize(normalise_text(text))

    def _drop_filler_seqs(self, words: list[str]) -> list[str]:
        """Remove multi-word fillers (`you know`), left to right, first listed match wins."""
        firsts = self._filler_firsts
        if not firsts:
            return words
        hits = [i for i, w in enumerate(words) if w in firsts]
        if not hits:
            return words
        remove: set[int] = set()
        for i in hits:
            if i in remove:
                continue
            for seq in firsts[words[i]]:
                if tuple(words[i:i + len(seq)]) == seq:
                    remove.update(range(i, i + len(seq)))
                    break
        if not remove:
            return words
        return [w for j, w in enumerate(words) if j not in remove]

    def _normalise_word(self, word: str) -> str:
        """Lemma or stem of one word type (cached); "" when the lemma is a stopword or too short."""
        cached = self._norm_cache.get(word)
        if cached is None:
            if self.cfg.lemmatize == "lemma":
                import simplemma

                cached = simplemma.lemmatize(word, lang=self.language).lower()
            elif self.cfg.lemmatize == "stem":
                cached = _stemmer(self.language).stem(word)
            else:
                cached = word
            if cached.endswith("'s"):
                cached = cached[:-2]
            if cached in self._stop or len(cached) < self.cfg.min_token_length:
                cached = ""
            self._norm_cache[word] = cached
        return cached

    def _content_tokens(self, text: str, counts: dict[str, int] | None = None) -> list[str]:
        words = self._drop_filler_seqs(self._words(text)) if counts is None else self._words(text, counts)
        if counts is not None:
            counts["tokenized"] += len(words)
            words = self._drop_filler_seqs(words)
        drop = self._drop
        min_len = self.cfg.min_token_length
        kept = [w for w in words if w not in drop and len(w) >= min_len]
        if counts is not None:
            counts["stopwords_removed"] += len(kept)
        cache = self._norm_cache
        for w in set(kept).difference(cache):
            self._normalise_word(w)
        return [lemma for w in kept if (lemma := cache[w])]

    def _apply_phrases(self, tokens: list[str]) -> list[str]:
        if self._pairs is not None:
            tokens = _join_pairs(tokens, self._pairs)
        elif self._phraser is not None:
            tokens = self._phraser[tokens]
        if self._forced:
            tokens = _join_forced(tokens, self._forced)
        return tokens

    def _learn_phrases(self, docs: list[list[str]], counted: tuple[Counter, Counter] | None = None) -> None:
        """gensim Phrases (npmi) over the corpus.

        When no connector word occurs in the tokens (the usual case: connector words are
        stopwords), unigram and bigram counts are taken with collections.Counter and pruned to
        min_count before gensim scores and exports them, and phrases are joined by
        :func:`_join_pairs`; both give exactly gensim's result (tested), about 4x faster.
        `counted`: (unigram, bigram) Counters of `docs` already taken (by the worker processes
        of fit_transform(jobs=N), summed), so that they are not counted again.
        """
        from gensim.models.phrases import ENGLISH_CONNECTOR_WORDS, Phrases

        min_count = max(3, min(10, len(docs) // 500))
        unigrams = counted[0] if counted is not None else Counter(chain.from_iterable(docs))
        if not ENGLISH_CONNECTOR_WORDS.isdisjoint(unigrams):
            phrases = Phrases(docs, min_count=min_count, threshold=self.cfg.phrase_threshold,
                              scoring="npmi", connector_words=ENGLISH_CONNECTOR_WORDS)
            self._phraser = phrases.freeze()
            self._pairs = None
        else:
            bigrams = counted[1] if counted is not None else _bigram_counts(docs)
            phrases = Phrases(min_count=min_count, threshold=self.cfg.phrase_threshold,
                              scoring="npmi", connector_words=ENGLISH_CONNECTOR_WORDS)
            vocab = {w: n for w, n in unigrams.items() if n >= min_count}
            vocab.update((f"{a}_{b}", n) for (a, b), n in bigrams.items() if n >= min_count)
            phrases.vocab = vocab
            phrases.corpus_word_count = sum(unigrams.values())
            self._phraser = phrases.freeze()
            threshold = self._phraser.threshold
            self._pairs = {}
            for joined, score in self._phraser.phrasegrams.items():
                parts = joined.split("_")
                if len(parts) == 2 and score > threshold:
                    self._pairs[(parts[0], parts[1])] = joined
        self.report.n_phrases = len(self._phraser.phrasegrams)

    # -- public ----------------------------------------------------------------------------

    def content_tokens_batch(self, texts: Sequence[str]) -> tuple[list[list[str]], dict[str, int]]:
        """Tokens of each text before phrases, and the token counts after each step."""
        counts: dict[str, int] = {"tokenized": 0, "stopwords_removed": 0}
        return [self._content_tokens(t, counts) for t in texts], counts

    def fit_transform(self, texts: Sequence[str], *, jobs: int = 1) -> list[list[str]]:
        """Token lists for the corpus; learns the phrase model when phrases are on.

        `jobs` > 1 tokenises and lemmatises contiguous chunks of `texts` in that many processes;
        phrases are learned and applied in this process, so the result does not depend on `jobs`.
        """
        counted = None
        if jobs > 1 and len(texts) >= 2 * jobs:
            docs, counts, counted = self._parallel_content_tokens(texts, jobs)
        else:
            docs, counts = self.content_tokens_batch(texts)
        self.report.noise = {kind: counts.pop(f"noise:{kind}", 0) for kind in NOISE_KEYS
                             if getattr(self.cfg, NOISE_KEYS[kind])}
        counts["lemmatized" if self.cfg.lemmatize != "none" else "normalised"] = sum(map(len, docs))
        self._forced = self._forced_sequences()
        self._phraser = self._pairs = None
        self._transformed.clear()
        if self.cfg.phrases and docs:
            self._learn_phrases(docs, counted)
        if self._phraser is not None or self._forced:
            docs = [self._apply_phrases(d) for d in docs]
        counts["phrases"] = sum(map(len, docs))
        self.report.steps = counts
        return docs

    def transform(self, text: str) -> list[str]:
        """Tokens of a new text (a codebook keyword or definition) with the learned phrases.

        Remembered per text (up to TRANSFORM_MEMO texts, forgotten when phrases are learned
        again): a codebook's names, definitions and keywords are transformed by several stages."""
        known = self._transformed.get(text)
        if known is None:
            known = tuple(self._apply_phrases(self._content_tokens(text)))
            if len(self._transformed) < TRANSFORM_MEMO:
                self._transformed[text] = known
        return list(known)

    def _forced_sequences(self) -> dict[tuple[str, ...], str]:
        """The codebook's multi-word keywords as token sequences -> their joined phrase token."""
        forced: dict[tuple[str, ...], str] = {}
        for phrase in self.forced_phrases:
            parts = tuple(self._content_tokens(phrase))
            if len(parts) > 1:
                forced[parts] = "_".join(parts)
        return forced

    def state(self) -> dict:
        """What a fitted preprocessor knows beyond its config, as JSON-ready data: the learned
        phrases (pairs, or gensim's phrasegram scores when connector words occur) and the report.
        The lemma cache is not kept (lemmas are recomputed on demand, with the same result)."""
        if self._pairs is not None:
            phrases: dict | None = {"pairs": [[a, b, joined] for (a, b), joined in self._pairs.items()]}
        elif self._phraser is not None:
            phrases = {"phrasegrams": dict(self._phraser.phrasegrams)}
        else:
            phrases = None
        return {"phrases": phrases, "report": self.report.state()}

    @classmethod
    def from_state(cls, cfg: PreprocessConfig, state: dict, *, language: str = "en",
                   forced_phrases: Sequence[str] = ()) -> Preprocessor:
        """A fitted preprocessor rebuilt from :meth:`state` (same config, language and forced
        phrases as the one that made it): `transform` gives the same tokens."""
        pre = cls(cfg, language=language, forced_phrases=forced_phrases)
        pre._forced = pre._forced_sequences()
        phrases = state["phrases"]
        if phrases is not None and "pairs" in phrases:
            pre._pairs = {(a, b): joined for a, b, joined in phrases["pairs"]}
        elif phrases is not None:
            from gensim.models.phrases import ENGLISH_CONNECTOR_WORDS, Phrases

            frozen = Phrases(threshold=cfg.phrase_threshold, scoring="npmi", connector_words=ENGLISH_CONNECTOR_WORDS).freeze()
            frozen.phrasegrams = {str(k): float(v) for k, v in phrases["phrasegrams"].items()}
            pre._phraser = frozen
        pre.report = TokenReport.from_state(state["report"])
        return pre

    def _parallel_content_tokens(self, texts: Sequence[str], jobs: int) -> tuple[list[list[str]], dict[str, int], tuple[Counter, Counter] | None]:
        """Tokens of contiguous chunks of `texts` in `jobs` processes, their step counts, and
        (when phrases are on) the summed unigram and bigram Counters the workers took."""
        from multiprocessing import Pool

        bounds = np.linspace(0, len(texts), jobs + 1).astype(int)
        chunks = [list(texts[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        docs: list[list[str]] = []
        counts: dict[str, int] = {"tokenized": 0, "stopwords_removed": 0}
        unigrams: Counter = Counter()
        bigrams: Counter = Counter()
        self._normalise_word("warm")  # load the lemma dictionary once, before the workers fork
        self._norm_cache.clear()
        # Workers ignore Ctrl-C; on any exception here, an interrupt included, leaving the block
        # terminates them at once (Pool.__exit__), instead of waiting for their chunks.
        with Pool(jobs, initializer=ignore_in_worker) as pool:
            for chunk_docs, chunk_counts, cache, counted in pool.starmap(_tokens_of_chunk, [((self.cfg, self.language), c) for c in chunks]):
                docs.extend(chunk_docs)
                if counted is not None:
                    unigrams.update(counted[0])
                    bigrams.update(counted[1])
                for key, value in chunk_counts.items():
                    counts[key] = counts.get(key, 0) + value
                self._norm_cache.update(cache)
        return docs, counts, (unigrams, bigrams) if self.cfg.phrases else None


def _tokens_of_chunk(setup: tuple[PreprocessConfig, str], texts: list[str]) -> tuple[list[list[str]], dict[str, int], dict[str, str], tuple[Counter, Counter] | None]:
    """Worker for Preprocessor.fit_transform(jobs=N): tokens, step counts, the lemma cache and
    (when phrases are on) the unigram and bigram Counters of a chunk."""
    cfg, language = setup
    pre = Preprocessor(cfg, language=language)
    docs, counts = pre.content_tokens_batch(texts)
    counted = (Counter(chain.from_iterable(docs)), _bigram_counts(docs)) if cfg.phrases else None
    return docs, counts, pre._norm_cache, counted


def _bigram_counts(docs: Iterable[list[str]]) -> Counter:
    """Adjacent token pairs within each document, counted."""
    return Counter(chain.from_iterable(map(pairwise, docs)))


def _join_pairs(tokens: list[str], pairs: dict[tuple[str, str], str]) -> list[str]:
    """Join adjacent phrase pairs left to right, as gensim's FrozenPhrases does without connectors."""
    if pairs.keys().isdisjoint(pairwise(tokens)):
        return tokens
    out: list[str] = []
    i, n = 0, len(tokens)
    while i < n:
        joined = pairs.get((tokens[i], tokens[i + 1])) if i + 1 < n else None
        if joined is not None:
            out.append(joined)
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return out


def _join_forced(tokens: list[str], forced: dict[tuple[str, ...], str]) -> list[str]:
    firsts = {seq[0] for seq in forced}
    if firsts.isdisjoint(tokens):
        return tokens
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if tokens[i] in firsts:
            for seq, joined in forced.items():
                if tuple(tokens[i:i + len(seq)]) == seq:
                    out.append(joined)
                    i += len(seq)
                    break
            else:
                out.append(tokens[i])
                i += 1
        else:
            out.append(tokens[i])
            i += 1
    return out


@lru_cache(maxsize=8)
def _stemmer(language: str) -> SnowballStemmer:
    if language not in SNOWBALL:
        raise TopicbookError(f"preprocess.lemmatize: no Snowball stemmer for '{language}'. Use lemmatize: lemma or none.")
    return SnowballStemmer(SNOWBALL[language])


# --------------------------------------------------------------------------- matrix


@dataclass(frozen=True)
class DocumentTermMatrix:
    """Counts (csr, n_segments x n_terms), the vocabulary and the segment ids of the rows."""

    counts: sp.csr_matrix
    vocab: tuple[str, ...]
    segment_ids: tuple[str, ...]
    tokens: tuple[tuple[str, ...], ...]

    @property
    def n_terms(self) -> int:
        return len(self.vocab)

    def term_frequency(self) -> np.ndarray:
        """Corpus share of each term, shape (n_terms,), sums to 1."""
        freq = np.asarray(self.counts.sum(axis=0)).ravel().astype(float)
        return freq / freq.sum()


def vectorize(tokens: Sequence[Sequence[str]], segment_ids: Sequence[str], cfg: PreprocessConfig,
              report: TokenReport | None = None) -> DocumentTermMatrix:
    """Prune the vocabulary (min_df, max_df, max_vocab) and count terms per segment.

    Segments left with no tokens are dropped and recorded in the report.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    n = len(tokens)
    if n == 0:
        raise TopicbookError("corpus: no segments to model. Check speakers.keep, segment.min_tokens and the corpus.")
    min_df = cfg.min_df if isinstance(cfg.min_df, float) or cfg.min_df <= n else n
    max_df = cfg.max_df if n >= 10 else 1.0
    vectorizer = CountVectorizer(analyzer=_identity, min_df=min_df, max_df=max_df, max_features=cfg.max_vocab)
    try:
        counts = vectorizer.fit_transform(tokens).tocsr()
    except ValueError:
        raise TopicbookError(f"preprocess: no term is left after pruning (min_df={cfg.min_df}, max_df={cfg.max_df}) over {n} segments. Lower preprocess.min_df or raise preprocess.max_df.") from None
    vocab = tuple(vectorizer.get_feature_names_out().tolist())
    keep = np.flatnonzero(np.asarray(counts.sum(axis=1)).ravel() > 0)
    if report is not None:
        report.vocabulary = len(vocab)
        report.steps["pruned"] = int(counts.sum())
        for i in np.setdiff1d(np.arange(n), keep):
            report.dropped_segments.append((segment_ids[i], "no tokens left after preprocessing"))
    vocab_set = set(vocab)
    return DocumentTermMatrix(
        counts=counts[keep],
        vocab=vocab,
        segment_ids=tuple(segment_ids[int(i)] for i in keep),
        tokens=tuple(tuple(t for t in tokens[int(i)] if t in vocab_set) for i in keep),
    )


def _identity(tokens: Sequence[str]) -> Sequence[str]:
    return tokens


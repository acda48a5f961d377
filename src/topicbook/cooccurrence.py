"""gensim's sliding-window word counts for coherence (c_v, c_npmi, c_uci), from arrays.

gensim's CoherenceModel counts, for the top words of the topics, how many sliding windows of
the texts contain each word and each pair, one window at a time in Python (most of a coherence
measure's time). :func:`window_counts` gives the same integers from numpy and scipy.sparse
arrays, :class:`WindowCounts` holds them as a gensim text analyser, and
:func:`windowed_coherence` scores them with gensim's own segmentation and confirmation measure,
called as CoherenceModel calls them: the same figures (tests/test_cooccurrence.py compares
them with gensim's on the real corpora and on texts with repeated words).

This module imports gensim at the top: import it only where coherence is computed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from gensim.topic_coherence.probability_estimation import unique_ids_from_segments
from gensim.topic_coherence.text_analysis import UsesDictionary

WINDOWED_MEASURES = ("c_v", "c_npmi", "c_uci")  # gensim's boolean sliding-window measures
WINDOW_ENTRIES = 2_000_000  # (window, word) pairs expanded at a time (about 50 MB of arrays)


def window_counts(texts: Sequence[Sequence[str]], relevant: Mapping[str, int], n_relevant: int,
                  window_size: int) -> tuple[np.ndarray, np.ndarray, int]:
    """gensim's boolean sliding-window counts of the `relevant` words.

    texts: token lists; relevant: token -> index (0 .. n_relevant - 1) of the words counted.
    A text of L tokens gives max(L - window_size + 1, 1) windows (a shorter text, even an empty
    one, is one window). Returns (occurrences (n_relevant,): windows with the word;
    co_occurrences (n_relevant, n_relevant): windows with both words, occurrences on the
    diagonal; both uint32, as gensim's; the number of windows).

    A word is in a window as gensim's WordOccurrenceAccumulator has it: gensim moves a window
    by one token, first dropping the token that left it (even when another copy of that token
    is still inside) and then adding the token that entered. So an occurrence at position p,
    entering at step e = max(p - window_size + 1, 0), keeps its word in the windows e, e + 1,
    ... up to (not including) the step at which the first occurrence of the word at or after
    position e leaves, that occurrence's position + 1; a word is in a window when any of its
    occurrences keeps it there.
    """
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    ids = np.fromiter((relevant.get(w, -1) for t in texts for w in t), dtype=np.int64, count=int(lengths.sum()))
    n_windows = np.maximum(lengths - window_size + 1, 1)
    total = int(n_windows.sum())
    first_window = np.cumsum(n_windows) - n_windows
    doc = np.repeat(np.arange(len(lengths)), lengths)
    pos = np.arange(len(ids)) - (np.cumsum(lengths) - lengths)[doc]
    keep = ids >= 0
    doc, pos, word = doc[keep], pos[keep], ids[keep]
    order = np.lexsort((pos, word, doc))
    doc, pos, word = doc[order], pos[order], word[order]
    enter = np.maximum(pos - window_size + 1, 0)
    # runs of one word in one text, positions ascending: key orders them, and searchsorted finds
    # each occurrence's first occurrence at or after its entry step inside its own run
    run = np.cumsum(np.r_[False, (doc[1:] != doc[:-1]) | (word[1:] != word[:-1])])
    span = int(lengths.max(initial=0)) + 1
    key = run * span + pos
    leave = pos[np.searchsorted(key, run * span + enter)] + 1
    start = first_window[doc] + enter
    size = np.minimum(leave, n_windows[doc]) - enter  # >= 1: windows in which this occurrence keeps its word
    # blocks of whole texts, each expanding to about WINDOW_ENTRIES (window, word) pairs
    per_doc = np.bincount(doc, weights=size, minlength=len(lengths))
    block = ((np.cumsum(per_doc) - per_doc) // WINDOW_ENTRIES).astype(np.int64)[doc]
    bounds = np.flatnonzero(np.r_[True, block[1:] != block[:-1], True]) if len(doc) else np.array([0])
    co = np.zeros((n_relevant, n_relevant), dtype=np.int64)
    for a, b in zip(bounds[:-1], bounds[1:], strict=False):
        n = size[a:b]
        rows = np.repeat(start[a:b], n) + (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n))
        low = int(rows.min())
        incidence = sp.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows - low, np.repeat(word[a:b], n))),
                                  shape=(int(rows.max()) - low + 1, n_relevant))
        incidence.sum_duplicates()
        incidence.data[:] = 1  # a word is in a window or not
        co += sp.csr_matrix(incidence.T @ incidence).toarray()
    return co.diagonal().astype(np.uint32), co.astype(np.uint32), total


class WindowCounts(UsesDictionary):
    """A gensim text analyser holding the counts of gensim's WordOccurrenceAccumulator for
    `relevant_ids` (from :func:`window_counts`): what gensim's confirmation measures read
    (`analyser[word]`, `analyser[word1, word2]`, `num_docs`). Lookups read a dense
    (n_relevant x n_relevant) uint32 array, as gensim's read its sparse one."""

    def accumulate(self, texts: Sequence[Sequence[str]], window_size: int) -> WindowCounts:
        """Count the windows of `texts` (token lists); returns self."""
        relevant = {w: self.id2contiguous[self.token2id[w]] for w in self.relevant_words}
        self._occurrences, self._co_occurrences, windows = window_counts(texts, relevant, self._vocab_size,
                                                                         window_size)
        self.num_docs = windows
        return self

    def _get_occurrences(self, word_id: int) -> Any:
        return self._occurrences[word_id]

    def _get_co_occurrences(self, word_id1: int, word_id2: int) -> Any:
        return self._co_occurrences[word_id1, word_id2]


def windowed_coherence(cm: Any, texts: Sequence[Sequence[str]]) -> list[float]:
    """`cm.get_coherence_per_topic()` of a sliding-window gensim CoherenceModel (`cm.coherence`
    in WINDOWED_MEASURES, built on `texts`), with the windows counted by :class:`WindowCounts`:
    gensim's segmentation and confirmation measure (`cm.measure`), given the arguments
    CoherenceModel gives them."""
    segmented = cm.measure.seg(cm.topics)
    counts = WindowCounts(unique_ids_from_segments(segmented), cm.dictionary).accumulate(texts, cm.window_size)
    if cm.coherence == "c_v":
        return list(cm.measure.conf(segmented, counts, topics=cm.topics, measure="nlr", gamma=1))
    return list(cm.measure.conf(segmented, counts, normalize=cm.coherence == "c_npmi"))

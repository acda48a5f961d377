"""Per-segment code scores: how strongly each segment looks like each code, without labels.

Every scorer returns an array of shape (n_segments, n_codes) over the rows of a
DocumentTermMatrix and the codes of a Codebook, higher = more likely coded:

- :func:`topic_scores`: the doc-topic weight theta_dk of the code's seeded topic (guided
  models) or of the topic the Hungarian pairing gave it (matched or not);
- :func:`similarity_scores`: cosine, in one TF-IDF term space fitted on the segments, between a
  segment and the code's full text (name, definition, keywords, examples), with terms weighted
  by how distinctive they are across codes and `exclude` terms counting against the code;
  plus the same cosine over character 3-5-grams (robust to typos and word forms), the two
  standardised and averaged;
- :func:`selftrained_scores`: a logistic regression per code trained, without any human label,
  on pseudo-labels (the top 2% of segments by similarity score) over the word + character
  space, averaged with the similarity score;
- :func:`feature_spaces`: the two TF-IDF spaces (words, character n-grams) those scores work
  in, built once per run so that the similarity, self-trained, learned
  (:mod:`topicbook.learning`) and verdict (:mod:`topicbook.verdicts`: raw cosines of any
  codebook, e.g. pseudo-codes, via :meth:`FeatureSpaces.cosines`) scores share them
  (:func:`similarity_from_spaces`, :func:`selftrained_from_spaces`);
- :func:`combine_scores`: the mean of per-code standardised scores;
- :func:`keyword_scores`: a keyword dictionary (the baseline): hits of the code's top seed terms;
- :func:`length_scores`: segment length in tokens, the floor every AUC is read against.

Every setting here is fixed in advance (see README, "Codebooks, alignment and agreement"); none
is tuned on human codings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from topicbook.codebook import Code, Codebook, SeedTerms
from topicbook.preprocess import DocumentTermMatrix
from topicbook.threads import one_thread

SCORE_METHODS = ("topic", "similarity", "combined", "keywords")
PART_WEIGHTS = {"name": 1.0, "definition": 1.0, "keywords": 1.0, "examples": 2.0}
CHAR_NGRAMS = (3, 5)
SELF_TRAIN_SHARE = 0.02
TEXT_BLOCK = 2_000  # codes whose texts go through the character vectorizer in one call
VALUES_BLOCK = 4_000_000  # array values (32 MB) per block of codes in code_vectors


def _tfidf(dtm: DocumentTermMatrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """Sublinear TF-IDF rows (l2-normalised) of the segments, and the idf vector (n_terms,)."""
    tf = TfidfTransformer(sublinear_tf=True, smooth_idf=True)
    X = tf.fit_transform(dtm.counts)
    return X.tocsr(), tf.idf_


def _bag(texts: Sequence[str], index: dict[str, int], transform: Callable[[str], list[str]], n_terms: int) -> np.ndarray:
    """Counts (n_texts, n_terms) of texts mapped through the corpus preprocessing."""
    out = np.zeros((len(texts), n_terms))
    for i, text in enumerate(texts):
        for t in transform(text):
            j = index.get(t)
            if j is not None:
                out[i, j] += 1.0
    return out


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)


def code_vectors(codebook: Codebook, vocab: Sequence[str], transform: Callable[[str], list[str]],
                 idf: np.ndarray, *, usage: np.ndarray | None = None, n_codes: int | None = None) -> np.ndarray:
    """Each code's full text as one unit vector in the segments' TF-IDF space: (n_codes, n_terms).

    Parts (name, definition, keywords, the mean of the examples) are TF-IDF weighted and
    l2-normalised, then summed with PART_WEIGHTS; each term is then multiplied by its
    distinctiveness across codes, log(1 + n_codes / n_codes_using_term), so that words such as
    staff or care, present in many codes, weigh little. `exclude` terms get the negative of
    the code's largest weight.

    `usage` and `n_codes` weigh the codes as members of another codebook (used for the
    pseudo-codes of :mod:`topicbook.verdicts`): `usage` (n_terms,) or (n_codes, n_terms) counts
    the other codes of that codebook using each term, `n_codes` is its size.

    Computed for blocks of codes at once (every step is per text, then per part).
    """
    index = {t: i for i, t in enumerate(vocab)}
    n_terms = len(vocab)
    keys = tuple(PART_WEIGHTS)
    vecs = np.zeros((len(codebook), n_terms))
    block = max(1, min(len(codebook), VALUES_BLOCK // max(1, len(keys) * n_terms)))
    for start in range(0, len(codebook), block):
        codes = codebook.codes[start:start + block]
        parts = [{"name": [code.name], "definition": [code.definition],
                  "keywords": [" ".join(code.keywords)] if code.keywords else [], "examples": list(code.examples)}
                 for code in codes]
        texts = [[t for t in code_parts[key] if t.strip()] for code_parts in parts for key in keys]
        bag = np.zeros((sum(len(t) for t in texts), n_terms))
        row = 0
        for part_texts in texts:
            for text in part_texts:
                for t in transform(text):
                    j = index.get(t)
                    if j is not None:
                        bag[row, j] += 1.0
                row += 1
        tfidf = _unit(np.where(bag > 0, 1.0 + np.log(np.maximum(bag, 1.0)), 0.0) * idf)
        means = np.zeros((len(texts), n_terms))  # (codes x parts, n_terms): each part's mean text
        row = 0
        for p, part_texts in enumerate(texts):
            if len(part_texts) == 1:
                means[p] = tfidf[row]
            elif part_texts:
                means[p] = tfidf[row:row + len(part_texts)].mean(axis=0)
            row += len(part_texts)
        unit_parts = _unit(means).reshape(len(codes), len(keys), n_terms)
        total = PART_WEIGHTS[keys[0]] * unit_parts[:, 0]
        for k in range(1, len(keys)):
            total = total + PART_WEIGHTS[keys[k]] * unit_parts[:, k]
        vecs[start:start + len(codes)] = total
    vecs = vecs * _distinctiveness(vecs, usage, n_codes)
    for c, code in enumerate(codebook.codes):
        if code.exclude:
            bad = np.zeros(n_terms, dtype=bool)
            bad[[index[t] for t in transform(" ".join(code.exclude)) if t in index]] = True
            vecs[c, bad] = -vecs[c].max() if vecs[c].max() > 0 else -1.0
    return _unit(vecs)


def _distinctiveness(vecs: np.ndarray, usage: np.ndarray | None, n_codes: int | None) -> np.ndarray:
    """log(1 + n_codes / n_codes_using_term): (n_terms,) over the codes themselves, or
    (n_codes, n_terms) when `usage` counts the other codes of a reference codebook."""
    if usage is None:
        return np.log1p((n_codes or len(vecs)) / np.maximum((vecs > 0).sum(axis=0), 1))
    used = np.asarray(usage) + (vecs > 0)
    return np.log1p((n_codes or len(vecs)) / np.maximum(used, 1))


def _char_space(texts: Sequence[str]) -> tuple[TfidfVectorizer, sp.csr_matrix]:
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True,
                          min_df=2 if len(texts) >= 10 else 1, max_df=0.5 if len(texts) >= 10 else 1.0)
    return vec, vec.fit_transform(texts).tocsr()


def _code_parts(code: Code) -> list[tuple[float, list[str]]]:
    """A code's non-empty texts per part, with the part's weight: name, definition, keywords
    (joined), examples (only the parts with text)."""
    parts = (("name", [code.name]), ("definition", [code.definition]),
             ("keywords", [" ".join(code.keywords)]), ("examples", list(code.examples)))
    return [(PART_WEIGHTS[key], kept) for key, texts in parts if (kept := [t for t in texts if t.strip()])]


def char_code_vectors(codebook: Codebook, vectorizer: TfidfVectorizer, *, usage: np.ndarray | None = None,
                      n_codes: int | None = None) -> np.ndarray:
    """Each code's text in the character n-gram space, weighted like :func:`code_vectors`
    (`usage`, `n_codes` likewise, over the n-gram features).

    The texts of TEXT_BLOCK codes at a time go through one `vectorizer.transform` call (its
    rows are those of one call per part: every step after counting is per row)."""
    n_feats = len(vectorizer.vocabulary_)
    vecs = np.zeros((len(codebook), n_feats))
    for start in range(0, len(codebook), TEXT_BLOCK):
        parts = [_code_parts(code) for code in codebook.codes[start:start + TEXT_BLOCK]]
        X = vectorizer.transform([t for code_parts in parts for _, texts in code_parts for t in texts]).tocsr()
        row = 0
        for c, code_parts in enumerate(parts, start):
            for weight, texts in code_parts:
                if len(texts) == 1:  # the mean of one row is the row
                    mean = np.zeros(n_feats)
                    mean[X.indices[X.indptr[row]:X.indptr[row + 1]]] = X.data[X.indptr[row]:X.indptr[row + 1]]
                else:
                    mean = np.asarray(X[row:row + len(texts)].mean(axis=0)).ravel()
                vecs[c] += weight * _unit(mean)
                row += len(texts)
    return _unit(vecs * _distinctiveness(vecs, usage, n_codes))


@dataclass(frozen=True)
class FeatureSpaces:
    """The segments' TF-IDF spaces, built once per run and shared by every score that needs them.

    words: (n_segments, n_terms) csr, sublinear TF-IDF of the dtm counts, rows l2-normalised;
    idf: (n_terms,) the idf of `words`' columns;
    chars: (n_segments, n_char_features) csr, sublinear TF-IDF of character 3-5-grams (`char_wb`)
      of the segment texts, rows l2-normalised; None when no texts were given;
    char_vectorizer: the fitted scikit-learn TfidfVectorizer behind `chars` (None likewise).
    """

    words: sp.csr_matrix
    idf: np.ndarray
    chars: sp.csr_matrix | None = None
    char_vectorizer: TfidfVectorizer | None = None

    @property
    def n_segments(self) -> int:
        return int(self.words.shape[0])

    def combined(self) -> sp.csr_matrix:
        """Words and character n-grams side by side, each block scaled by 1/sqrt(2) so that a
        row keeps unit norm: (n_segments, n_terms + n_char_features). Needs `chars`."""
        if self.chars is None:
            raise ValueError("FeatureSpaces.combined() needs the character space: build it with texts.")
        return sp.hstack([self.words, self.chars]).tocsr() / np.sqrt(2.0)

    def word_vectors(self, codebook: Codebook, vocab: Sequence[str], transform: Callable[[str], list[str]], *,
                     usage: np.ndarray | None = None, n_codes: int | None = None) -> np.ndarray:
        """:func:`code_vectors` in this space (`vocab`: the dtm's vocabulary): (n_codes, n_terms)."""
        return code_vectors(codebook, vocab, transform, self.idf, usage=usage, n_codes=n_codes)

    def cosines(self, codebook: Codebook, vocab: Sequence[str],
                transform: Callable[[str], list[str]]) -> tuple[np.ndarray, np.ndarray | None]:
        """Raw word and character cosines of every segment with every code: two arrays
        (n_segments, n_codes) in [-1, 1], on the same scale for any codebook (e.g. pseudo-codes);
        the second is None without the character space."""
        words = np.asarray(self.words @ self.word_vectors(codebook, vocab, transform).T)
        if self.chars is None or self.char_vectorizer is None:
            return words, None
        return words, np.asarray(self.chars @ char_code_vectors(codebook, self.char_vectorizer).T)


def feature_spaces(dtm: DocumentTermMatrix, texts: Sequence[str] | None = None) -> FeatureSpaces:
    """The word TF-IDF space of `dtm` and, with `texts` (the raw text of each dtm row), the
    character 3-5-gram space: what :func:`similarity_scores` and :func:`selftrained_scores`
    build internally, exposed so that one run builds them once."""
    X, idf = _tfidf(dtm)
    if texts is None:
        return FeatureSpaces(X, idf)
    if len(texts) != X.shape[0]:
        raise ValueError(f"feature_spaces: {len(texts)} texts for {X.shape[0]} matrix rows; pass one text per row.")
    vec, Xc = _char_space(texts)
    return FeatureSpaces(X, idf, Xc, vec)


def similarity_from_spaces(spaces: FeatureSpaces, codebook: Codebook, vocab: Sequence[str],
                           transform: Callable[[str], list[str]]) -> np.ndarray:
    """:func:`similarity_scores` over prebuilt spaces (`vocab`: the dtm's vocabulary):
    (n_segments, n_codes); word and character cosines combined when `spaces.chars` exists."""
    words, chars = spaces.cosines(codebook, vocab, transform)
    return words if chars is None else combine_scores(words, chars)


def similarity_scores(dtm: DocumentTermMatrix, codebook: Codebook,
                      transform: Callable[[str], list[str]], texts: Sequence[str] | None = None) -> np.ndarray:
    """Cosine of every segment with every code's full text: (n_segments, n_codes).

    With `texts` (the raw text of each dtm row), the word cosine is averaged (as per-code
    z-scores) with the cosine over character 3-5-grams.
    """
    return similarity_from_spaces(feature_spaces(dtm, texts), codebook, dtm.vocab, transform)


@one_thread
def selftrained_from_spaces(spaces: FeatureSpaces, similarity: np.ndarray, *,
                            share: float = SELF_TRAIN_SHARE, seed: int = 0) -> np.ndarray:
    """:func:`selftrained_scores` over prebuilt spaces (words and characters): (n_segments, n_codes).

    One regression per distinct set of pseudo-labels: codes whose top segments are the same
    get the same (deterministic) fit, so a large codebook over few segments fits at most
    C(n_segments, share * n_segments) regressions, not one per code."""
    XX = spaces.combined()
    n = XX.shape[0]
    m = max(2, int(share * n))
    out = np.zeros_like(similarity)
    if m >= n:
        return similarity.copy()
    first: dict[bytes, int] = {}  # pseudo-labels -> the first code fitted on them (same labels, same fit)
    for c in range(similarity.shape[1]):
        y = np.zeros(n, dtype=bool)
        y[np.argsort(-similarity[:, c], kind="stable")[:m]] = True
        key = np.packbits(y).tobytes()
        if key in first:
            out[:, c] = out[:, first[key]]
            continue
        first[key] = c
        clf = LogisticRegression(C=1.0, max_iter=300, random_state=seed).fit(XX, y)
        out[:, c] = clf.decision_function(XX)
    return combine_scores(out, similarity)


def selftrained_scores(dtm: DocumentTermMatrix, texts: Sequence[str], similarity: np.ndarray, *,
                       share: float = SELF_TRAIN_SHARE, seed: int = 0) -> np.ndarray:
    """Self-training without human labels: per code, a logistic regression over the word and
    character TF-IDF space learns to separate the top `share` of segments by `similarity` from
    the rest; its decision values are averaged (as z-scores) with `similarity`.
    Shape (n_segments, n_codes)."""
    return selftrained_from_spaces(feature_spaces(dtm, texts), similarity, share=share, seed=seed)


def topic_scores(doc_topic: np.ndarray, code_topic: dict[str, int], code_ids: Sequence[str]) -> np.ndarray:
    """theta_dk of each code's topic (zeros for a code with no topic): (n_segments, n_codes)."""
    out = np.zeros((doc_topic.shape[0], len(code_ids)))
    for c, code in enumerate(code_ids):
        if code in code_topic:
            out[:, c] = doc_topic[:, code_topic[code]]
    return out


def standardise(scores: np.ndarray) -> np.ndarray:
    """Per-code z-scores (columns), so that scores of different codes and methods compare."""
    sd = scores.std(axis=0, keepdims=True)
    return np.divide(scores - scores.mean(axis=0, keepdims=True), sd, out=np.zeros_like(scores), where=sd > 0)


def combine_scores(*scores: np.ndarray) -> np.ndarray:
    """The mean of per-code standardised scores (equal weights, fixed in advance)."""
    return np.mean([standardise(s) for s in scores], axis=0)


def dictionary_terms(codebook: Codebook, seeds: SeedTerms, top_n: int = 10) -> dict[str, list[int]]:
    """Per code, its keyword dictionary: the terms of its keywords, then its highest-weighted
    other seed terms, up to `top_n` vocabulary indices."""
    out = {}
    for code in codebook.codes:
        weights = seeds.weights.get(code.id, {})
        ranked = sorted(weights, key=lambda t: (-weights[t], t))
        out[code.id] = ranked[:top_n]
    return out


def keyword_scores(dtm: DocumentTermMatrix, terms: dict[str, list[int]], code_ids: Sequence[str]) -> np.ndarray:
    """Number of distinct dictionary terms present in each segment: (n_segments, n_codes)."""
    present = (dtm.counts > 0).astype(np.float64).tocsr()
    rows = [c for c, code in enumerate(code_ids) for _ in terms.get(code, [])]
    cols = [t for code in code_ids for t in terms.get(code, [])]
    dictionary = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(code_ids), present.shape[1]))
    return (present @ dictionary.T).toarray()


def length_scores(dtm: DocumentTermMatrix, n_codes: int) -> np.ndarray:
    """Segment length in tokens, repeated for every code: (n_segments, n_codes)."""
    lengths = np.asarray(dtm.counts.sum(axis=1), dtype=float).ravel()
    return np.repeat(lengths[:, None], n_codes, axis=1)

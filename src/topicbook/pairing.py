"""Comparing two sets of vectors: the cosine of every pair, the Pearson correlation of every
pair of columns, and the one-to-one pairing that maximises the total similarity (the Hungarian
algorithm, scipy's linear_sum_assignment).

Used to match re-fitted topics to the reference fit (stability), codes to topics (alignment,
topic scores, the verdicts' topic-code matches) and the topics of two models (the explorer's
correspondence).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of every row of `a` (n_a, d) with every row of `b` (n_b, d): (n_a, n_b).
    A zero row has cosine 0 with everything."""
    na = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    nb = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return na @ nb.T


def column_correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of every column of `a` (n, K) with every column of `b` (n, C): (K, C).
    A constant column has correlation 0 with everything."""
    a = a - a.mean(axis=0, keepdims=True)
    b = b - b.mean(axis=0, keepdims=True)
    denom = np.outer(np.linalg.norm(a, axis=0), np.linalg.norm(b, axis=0))
    return np.divide(a.T @ b, denom, out=np.zeros((a.shape[1], b.shape[1])), where=denom > 0)


def hungarian(similarity: np.ndarray) -> list[tuple[int, int]]:
    """The one-to-one pairs (row, column) that maximise the summed similarity, by row; with
    fewer columns than rows (or the reverse) the extra rows (columns) stay unpaired."""
    rows, cols = linear_sum_assignment(-np.asarray(similarity, dtype=float))
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True)]

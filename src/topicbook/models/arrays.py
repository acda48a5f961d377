"""Small array helpers shared by the model adapters."""

from __future__ import annotations

import numpy as np


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to sum to 1; all-zero rows become uniform. (n, k) in, (n, k) float out."""
    matrix = np.asarray(matrix, dtype=float)
    sums = matrix.sum(axis=1, keepdims=True)
    out: np.ndarray = np.divide(matrix, sums, out=np.full_like(matrix, 1.0 / matrix.shape[1]), where=sums > 0)
    return out

"""Pure similarity helpers over embedding vectors; no I/O, no model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

Vector = Sequence[float] | NDArray[np.floating]


def cosine(a: Vector, b: Vector) -> float:
    """Cosine similarity of two vectors; 0.0 when either is all zeros (nothing to compare)."""
    left = np.asarray(a, dtype=np.float64)
    right = np.asarray(b, dtype=np.float64)
    if left.shape != right.shape:
        raise ValueError(f"cosine of vectors with different shapes {left.shape} and {right.shape}")
    norm = float(np.linalg.norm(left) * np.linalg.norm(right))
    if norm == 0.0:
        return 0.0
    return float(np.dot(left, right) / norm)


def cosine_matrix(
    rows: Sequence[Vector], columns: Sequence[Vector] | None = None
) -> NDArray[np.float64]:
    """Pairwise cosines between `rows` and `columns` (rows against themselves when omitted).

    Zero vectors score 0.0 against everything, including themselves.
    """
    left = _unit_rows(rows)
    right = left if columns is None else _unit_rows(columns)
    if left.shape[0] == 0 or right.shape[0] == 0:
        return np.zeros((left.shape[0], right.shape[0]), dtype=np.float64)
    if left.shape[1] != right.shape[1]:
        raise ValueError(f"cosine_matrix of {left.shape[1]}- and {right.shape[1]}-dim vectors")
    result: NDArray[np.float64] = np.clip(left @ right.T, -1.0, 1.0)
    return result


def _unit_rows(vectors: Sequence[Vector]) -> NDArray[np.float64]:
    if len(vectors) == 0:
        return np.zeros((0, 0), dtype=np.float64)
    matrix = np.asarray([np.asarray(v, dtype=np.float64) for v in vectors], dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    # Dividing a zero row by 1 keeps it zero, so it scores 0.0 rather than NaN.
    return matrix / np.where(norms == 0.0, 1.0, norms)

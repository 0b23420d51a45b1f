"""Deliberation metrics from embedding vectors: convergence, novelty and conflict.

Pure functions. Convergence is how alike the members' latest positions are; novelty is how much
of a round was not said before; conflict is the share of member pairs whose positions diverge.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from consensusnet.embed.similarity import Vector, cosine_matrix

DISAGREE_BELOW = 0.2


def _pairwise(vectors: Sequence[Vector]) -> list[float]:
    matrix = cosine_matrix(vectors)
    return [float(matrix[i, j]) for i, j in combinations(range(len(vectors)), 2)]


def convergence(vectors: Sequence[Vector]) -> float:
    """Mean pairwise cosine of positions, clipped to [0, 1]; one voice has converged (1.0)."""
    pairs = _pairwise(vectors)
    if not pairs:
        return 1.0 if len(vectors) == 1 else 0.0
    return float(np.clip(np.mean(pairs), 0.0, 1.0))


def novelty(new: Sequence[Vector], previous: Sequence[Vector]) -> float:
    """Mean over new texts of 1 - their closest match among everything said before."""
    if not new:
        return 0.0
    if not previous:
        return 1.0
    matrix = cosine_matrix(new, previous)
    closest = np.clip(matrix.max(axis=1), 0.0, 1.0)
    return float(np.mean(1.0 - closest))


def conflict(vectors: Sequence[Vector], disagree_below: float = DISAGREE_BELOW) -> float:
    """Share of member pairs whose positions are less similar than `disagree_below`."""
    pairs = _pairwise(vectors)
    if not pairs:
        return 0.0
    return sum(1 for value in pairs if value < disagree_below) / len(pairs)


def speaking_balance(words_by_speaker: dict[str, int]) -> float:
    """Fewest words over most words across speakers: 1.0 is perfectly even, 0.0 is one voice."""
    counts = list(words_by_speaker.values())
    if not counts or max(counts) == 0:
        return 1.0
    return min(counts) / max(counts)

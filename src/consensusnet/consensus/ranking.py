"""Ranking aggregation: Borda count and the Condorcet winner. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

Ranking = Sequence[str]


def candidates_of(rankings: Sequence[Ranking]) -> list[str]:
    """Every candidate named in any ranking, in order of first appearance."""
    seen: dict[str, None] = {}
    for ranking in rankings:
        for candidate in ranking:
            seen.setdefault(candidate, None)
    return list(seen)


def borda(rankings: Sequence[Ranking]) -> dict[str, float]:
    """Borda scores: n-1 points for first place down to 0; unranked candidates share the rest."""
    candidates = candidates_of(rankings)
    n = len(candidates)
    scores = dict.fromkeys(candidates, 0.0)
    for ranking in rankings:
        if len(set(ranking)) != len(ranking):
            raise ValueError(f"a ranking names a candidate twice: {list(ranking)}")
        for place, candidate in enumerate(ranking):
            scores[candidate] += n - 1 - place
        missing = [c for c in candidates if c not in ranking]
        if missing:
            # The unranked tie below every ranked one: they split the remaining points evenly.
            leftover = sum(range(len(missing)))
            for candidate in missing:
                scores[candidate] += leftover / len(missing)
    return scores


def borda_winner(rankings: Sequence[Ranking]) -> list[str]:
    """Candidates with the highest Borda score (more than one on a tie)."""
    scores = borda(rankings)
    if not scores:
        return []
    best = max(scores.values())
    return [c for c, s in scores.items() if s == best]


def pairwise_preferences(rankings: Sequence[Ranking]) -> dict[tuple[str, str], int]:
    """How many rankings prefer a to b, for every ordered pair; ranked beats unranked."""
    candidates = candidates_of(rankings)
    wins = {(a, b): 0 for a in candidates for b in candidates if a != b}
    for ranking in rankings:
        place = {c: i for i, c in enumerate(ranking)}
        for a, b in combinations(candidates, 2):
            pa, pb = place.get(a, len(ranking)), place.get(b, len(ranking))
            if pa < pb:
                wins[(a, b)] += 1
            elif pb < pa:
                wins[(b, a)] += 1
    return wins


def condorcet_winner(rankings: Sequence[Ranking]) -> str | None:
    """The candidate who beats every other head to head, or None (a cycle or a tie)."""
    candidates = candidates_of(rankings)
    wins = pairwise_preferences(rankings)
    for a in candidates:
        if all(wins[(a, b)] > wins[(b, a)] for b in candidates if b != a):
            return a
    return None

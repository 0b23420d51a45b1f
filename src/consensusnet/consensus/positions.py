"""Board vote aggregation: the majority position, how strongly the board agrees, and every dissent.

Pure functions over plain values. Dissent is never dropped: every vote that is not for the
majority position comes back verbatim, in the order it was cast.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel, Field


class BallotVote(BaseModel):
    """One member's vote as aggregation sees it: a position label, a confidence, its words."""

    voter: str
    position: str
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    statement: str = ""


class PositionTally(BaseModel):
    """How one position fared."""

    position: str
    votes: int
    weight: float
    voters: list[str]


class Dissent(BaseModel):
    """A vote against the majority, kept word for word."""

    voter: str
    position: str
    confidence: float
    statement: str


class VoteOutcome(BaseModel):
    """The board's aggregated vote."""

    majority: str | None
    tied: list[str] = Field(default_factory=list)
    votes: int
    share: float
    weighted_share: float
    strength: str
    tallies: list[PositionTally]
    dissents: list[Dissent]


STRENGTH_LEVELS: tuple[tuple[float, str], ...] = (
    (1.0, "unanimous"),
    (0.75, "strong"),
    (0.5, "majority"),
    (0.0, "plurality"),
)


def strength_label(share: float, votes: int) -> str:
    """Words for a majority share: unanimous, strong, majority, plurality (or none)."""
    if votes == 0:
        return "none"
    for floor, label in STRENGTH_LEVELS:
        if share >= floor - 1e-9:
            if label == "majority" and share <= 0.5 + 1e-9:
                continue  # exactly half is not a majority
            return label
    return "plurality"


def _tallies(votes: Sequence[BallotVote]) -> list[PositionTally]:
    counts: Counter[str] = Counter()
    weights: dict[str, float] = {}
    voters: dict[str, list[str]] = {}
    for vote in votes:
        counts[vote.position] += 1
        weights[vote.position] = weights.get(vote.position, 0.0) + vote.confidence
        voters.setdefault(vote.position, []).append(vote.voter)
    # Most votes first, then most confidence, then first cast: deterministic, never by hash.
    first_seen = {position: index for index, position in enumerate(voters)}
    order = sorted(counts, key=lambda p: (-counts[p], -weights[p], first_seen[p]))
    return [
        PositionTally(position=p, votes=counts[p], weight=round(weights[p], 6), voters=voters[p])
        for p in order
    ]


def aggregate_votes(votes: Sequence[BallotVote]) -> VoteOutcome:
    """Majority by count, ties broken by summed confidence; a tie on both has no majority."""
    tallies = _tallies(votes)
    if not tallies:
        return VoteOutcome(
            majority=None, votes=0, share=0.0, weighted_share=0.0, strength="none",
            tallies=[], dissents=[],
        )  # fmt: skip
    top = tallies[0]
    tied = [
        t.position for t in tallies if t.votes == top.votes and abs(t.weight - top.weight) < 1e-9
    ]
    majority = top.position if len(tied) == 1 else None
    total_weight = sum(t.weight for t in tallies)
    share = top.votes / len(votes)
    weighted = top.weight / total_weight if total_weight > 0 else share
    dissents = [
        Dissent(voter=v.voter, position=v.position, confidence=v.confidence, statement=v.statement)
        for v in votes
        if v.position != majority
    ]
    return VoteOutcome(
        majority=majority,
        tied=tied if majority is None else [],
        votes=len(votes),
        share=round(share, 6),
        weighted_share=round(weighted, 6),
        strength=strength_label(share, len(votes)) if majority is not None else "split",
        tallies=tallies,
        dissents=dissents,
    )

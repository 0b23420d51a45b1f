"""Board vote aggregation: majority, strength of agreement, and dissent kept verbatim."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consensusnet.consensus.positions import BallotVote, aggregate_votes, strength_label


def _vote(voter: str, position: str, confidence: float = 0.8, statement: str = "") -> BallotVote:
    return BallotVote(voter=voter, position=position, confidence=confidence, statement=statement)


def test_majority_position_and_every_dissent_verbatim() -> None:
    votes = [
        _vote("cfo", "Pilot", 0.9, "Pilot in Germany first."),
        _vote("cmo", "Pilot", 0.7, "A pilot limits the downside."),
        _vote("legal", "Delay", 0.6, "GDPR work is not ready; <b>delay</b> a year."),
    ]
    outcome = aggregate_votes(votes)
    assert outcome.majority == "Pilot"
    assert outcome.share == pytest.approx(2 / 3)
    assert outcome.weighted_share == pytest.approx(1.6 / 2.2)
    assert outcome.strength == "majority"
    assert [d.voter for d in outcome.dissents] == ["legal"]
    assert outcome.dissents[0].statement == "GDPR work is not ready; <b>delay</b> a year."
    assert outcome.tallies[0].voters == ["cfo", "cmo"]


def test_unanimous_vote_has_no_dissent() -> None:
    outcome = aggregate_votes([_vote("a", "Go"), _vote("b", "Go"), _vote("c", "Go")])
    assert (outcome.majority, outcome.strength, outcome.dissents) == ("Go", "unanimous", [])


def test_tie_in_count_is_broken_by_confidence() -> None:
    outcome = aggregate_votes([_vote("a", "Go", 0.9), _vote("b", "Stop", 0.4)])
    assert outcome.majority == "Go"
    assert outcome.strength == "plurality"
    assert [d.position for d in outcome.dissents] == ["Stop"]


def test_full_tie_has_no_majority_and_every_vote_is_dissent() -> None:
    outcome = aggregate_votes([_vote("a", "Go", 0.5), _vote("b", "Stop", 0.5)])
    assert outcome.majority is None
    assert outcome.tied == ["Go", "Stop"]
    assert outcome.strength == "split"
    assert len(outcome.dissents) == 2


def test_no_votes() -> None:
    outcome = aggregate_votes([])
    assert outcome.majority is None
    assert outcome.strength == "none"


@pytest.mark.parametrize(
    ("share", "label"),
    [
        (1.0, "unanimous"),
        (0.8, "strong"),
        (0.6, "majority"),
        (0.5, "plurality"),
        (0.4, "plurality"),
    ],
)
def test_strength_labels(share: float, label: str) -> None:
    assert strength_label(share, 5) == label


@given(
    st.lists(
        st.tuples(st.sampled_from("ABC"), st.floats(0.0, 1.0), st.text(max_size=20)),
        min_size=1,
        max_size=12,
    )
)
def test_dissent_is_never_dropped(raw: list[tuple[str, float, str]]) -> None:
    votes = [_vote(f"v{i}", p, c, s) for i, (p, c, s) in enumerate(raw)]
    outcome = aggregate_votes(votes)
    majority_votes = sum(1 for v in votes if v.position == outcome.majority)
    assert majority_votes + len(outcome.dissents) == len(votes)
    assert {d.statement for d in outcome.dissents} <= {v.statement for v in votes}
    assert sum(t.votes for t in outcome.tallies) == len(votes)

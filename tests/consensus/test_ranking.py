"""Borda count and Condorcet winner."""

from __future__ import annotations

import pytest

from consensusnet.consensus.ranking import (
    borda,
    borda_winner,
    condorcet_winner,
    pairwise_preferences,
)


def test_borda_scores() -> None:
    rankings = [["a", "b", "c"], ["a", "c", "b"], ["b", "c", "a"]]
    assert borda(rankings) == {"a": 4.0, "b": 3.0, "c": 2.0}
    assert borda_winner(rankings) == ["a"]


def test_borda_splits_points_among_unranked() -> None:
    assert borda([["a"], ["b", "a", "c"]]) == {"a": 3.0, "b": 2.5, "c": 0.5}


def test_borda_rejects_duplicates_and_handles_empty() -> None:
    with pytest.raises(ValueError, match="twice"):
        borda([["a", "a"]])
    assert borda_winner([]) == []


def test_condorcet_winner_exists() -> None:
    rankings = [["a", "b", "c"], ["b", "a", "c"], ["a", "c", "b"]]
    assert condorcet_winner(rankings) == "a"
    assert pairwise_preferences(rankings)[("a", "b")] == 2


def test_condorcet_cycle_has_no_winner() -> None:
    rankings = [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]
    assert condorcet_winner(rankings) is None


def test_borda_and_condorcet_can_disagree() -> None:
    # 3 voters prefer a>b>c, 2 prefer b>c>a: a is the Condorcet winner, b wins on Borda.
    rankings = [["a", "b", "c"]] * 3 + [["b", "c", "a"]] * 2
    assert condorcet_winner(rankings) == "a"
    assert borda_winner(rankings) == ["b"]

"""Convergence, novelty, conflict and speaking balance from vectors."""

from __future__ import annotations

import pytest

from consensusnet.consensus.deliberation import conflict, convergence, novelty, speaking_balance


def test_identical_positions_have_converged() -> None:
    assert convergence([[1.0, 0.0], [1.0, 0.0], [2.0, 0.0]]) == pytest.approx(1.0)


def test_orthogonal_positions_have_not_converged_and_conflict() -> None:
    vectors = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    assert convergence(vectors) == pytest.approx(0.0)
    assert conflict(vectors) == pytest.approx(1.0)


def test_conflict_counts_only_divergent_pairs() -> None:
    vectors = [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]
    assert conflict(vectors) == pytest.approx(2 / 3)
    assert convergence(vectors) == pytest.approx(1 / 3)


def test_single_voice_and_empty() -> None:
    assert convergence([[1.0, 0.0]]) == 1.0
    assert convergence([]) == 0.0
    assert conflict([[1.0]]) == 0.0


def test_novelty_is_full_without_history_and_zero_for_repeats() -> None:
    assert novelty([[1.0, 0.0]], []) == 1.0
    assert novelty([[1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]]) == pytest.approx(0.0)
    assert novelty([[0.0, 1.0], [1.0, 0.0]], [[1.0, 0.0]]) == pytest.approx(0.5)
    assert novelty([], [[1.0]]) == 0.0


def test_speaking_balance() -> None:
    assert speaking_balance({"a": 100, "b": 100}) == 1.0
    assert speaking_balance({"a": 100, "b": 25}) == 0.25
    assert speaking_balance({}) == 1.0

"""Calibration metrics and maps; agreement measures."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from consensusnet.consensus.agreement import (
    agreement_share,
    fleiss_kappa,
    kappa_table,
    vote_entropy,
)
from consensusnet.consensus.calibration import (
    brier_score,
    expected_calibration_error,
    fit_calibration,
    fit_isotonic,
    fit_platt,
    multiclass_brier,
)


def test_ece_is_zero_when_confidence_matches_accuracy() -> None:
    conf = [0.8] * 10
    correct = [True] * 8 + [False] * 2
    assert expected_calibration_error(conf, correct) == pytest.approx(0.0)
    assert expected_calibration_error([1.0] * 4, [False] * 4) == pytest.approx(1.0)


def test_brier_scores() -> None:
    assert brier_score([1.0, 0.0], [True, False]) == 0.0
    assert brier_score([0.5], [True]) == 0.25
    assert multiclass_brier([[1.0, 0.0], [0.5, 0.5]], [0, 1]) == pytest.approx(0.25)


@given(
    raw=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=60),
    data=st.data(),
)
def test_isotonic_map_is_monotone_and_within_unit_interval(
    raw: list[float], data: st.DataObject
) -> None:
    correct = data.draw(st.lists(st.booleans(), min_size=len(raw), max_size=len(raw)))
    mapping = fit_isotonic(raw, correct)
    grid = [i / 20 for i in range(21)]
    values = [mapping(x) for x in grid]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(values))


def test_fitted_calibration_lowers_ece_of_an_overconfident_model() -> None:
    rng = np.random.default_rng(3)
    raw = rng.uniform(0.6, 1.0, 2000)
    correct = rng.random(2000) < (raw - 0.3)  # right 30 points less often than it says
    for fit in (fit_isotonic, fit_platt):
        mapping = fit(raw[:1000].tolist(), correct[:1000].tolist())
        calibrated = [mapping(x) for x in raw[1000:]]
        before = expected_calibration_error(raw[1000:].tolist(), correct[1000:].tolist())
        after = expected_calibration_error(calibrated, correct[1000:].tolist())
        assert after < before / 3


def test_fit_calibration_needs_enough_labeled_points() -> None:
    assert fit_calibration([0.9] * 5, [True] * 4 + [False]).kind == "identity"
    assert fit_calibration([0.9] * 5, [True] * 4 + [False])(0.9) == 0.9
    assert fit_calibration([0.9, 0.2] * 20, [True, False] * 20).kind == "isotonic"


def test_entropy_and_share() -> None:
    assert vote_entropy(["A", "A", "A"]) == 0.0
    assert vote_entropy(["A", "B", "C"], 3) == pytest.approx(1.0)
    assert 0.0 < vote_entropy(["A", "A", "B"], 3) < 1.0
    assert agreement_share(["A", "A", "B"]) == pytest.approx(2 / 3)


def test_fleiss_kappa_known_values() -> None:
    assert fleiss_kappa([[3, 0], [0, 3]]) == pytest.approx(1.0)
    # Wikipedia's worked example (10 items, 14 raters, 5 categories): kappa = 0.210
    table = [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]  # fmt: skip
    assert fleiss_kappa(table) == pytest.approx(0.210, abs=0.001)
    assert kappa_table([["A", "B"], ["A", "A"]], ["A", "B"]) == [[1, 1], [2, 0]]
    with pytest.raises(ValueError, match="same number"):
        fleiss_kappa([[1, 1], [3, 0]])

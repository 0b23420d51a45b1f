"""Label aggregation: properties that must hold for any panel, and Dawid–Skene learning."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consensusnet.consensus.labels import (
    Vote,
    confidence_weighted,
    confusions_from_counts,
    dawid_skene,
    learn_confusions,
    majority,
    reliability_weighted,
    symmetric_confusion,
)

LABELS = ("NOT_ENOUGH_INFO", "REFUTED", "SUPPORTED")

label_st = st.sampled_from(LABELS)
agent_names = st.lists(
    st.text("abcdefgh", min_size=1, max_size=6), min_size=1, max_size=7, unique=True
)


@st.composite
def panels(draw: st.DrawFn) -> tuple[list[Vote], dict[str, np.ndarray]]:
    names = draw(agent_names)
    votes = [
        Vote(agent=n, label=draw(label_st), confidence=draw(st.floats(0.0, 1.0))) for n in names
    ]
    accuracies = {n: draw(st.floats(0.34, 0.99)) for n in names}
    return votes, {n: symmetric_confusion(a, len(LABELS)) for n, a in accuracies.items()}


def _aggregate(method: str, votes: list[Vote], confusions: dict[str, np.ndarray]):  # type: ignore[no-untyped-def]
    if method == "majority":
        return majority(votes, LABELS)
    if method == "confidence":
        return confidence_weighted(votes, LABELS)
    return reliability_weighted(votes, LABELS, confusions)


METHODS = ["majority", "confidence", "reliability"]


@pytest.mark.parametrize("method", METHODS)
@given(panel=panels(), label=label_st)
def test_a_unanimous_panel_returns_its_label(method: str, panel, label: str) -> None:  # type: ignore[no-untyped-def]
    votes, confusions = panel
    unanimous = [v.model_copy(update={"label": label}) for v in votes]
    decision = _aggregate(method, unanimous, confusions)
    assert decision.label == label
    assert decision.confidence > 1 / len(LABELS)


@pytest.mark.parametrize("method", METHODS)
@given(panel=panels(), seed=st.integers(0, 10_000))
def test_permuting_agents_changes_nothing(method: str, panel, seed: int) -> None:  # type: ignore[no-untyped-def]
    votes, confusions = panel
    shuffled = list(votes)
    random.Random(seed).shuffle(shuffled)
    assert _aggregate(method, votes, confusions) == _aggregate(method, shuffled, confusions)


def _simulate(
    accuracies: list[float], n_items: int, seed: int
) -> tuple[list[list[Vote]], list[str]]:
    rng = np.random.default_rng(seed)
    truths, panels_ = [], []
    for _ in range(n_items):
        truth = LABELS[int(rng.integers(len(LABELS)))]
        votes = []
        for j, accuracy in enumerate(accuracies):
            if rng.random() < accuracy:
                label = truth
            else:
                label = str(rng.choice([x for x in LABELS if x != truth]))
            votes.append(Vote(agent=f"a{j}", label=label, confidence=float(rng.uniform(0.4, 1))))
        truths.append(truth)
        panels_.append(votes)
    return panels_, truths


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=30, deadline=None)
@given(
    accuracies=st.lists(st.floats(0.2, 0.95), min_size=1, max_size=6),
    seed=st.integers(0, 2**31),
)
def test_adding_a_perfectly_reliable_agent_never_lowers_accuracy(
    method: str, accuracies: list[float], seed: int
) -> None:
    panels_, truths = _simulate(accuracies, 60, seed)
    confusions = {f"a{j}": symmetric_confusion(a, 3) for j, a in enumerate(accuracies)}
    confusions["oracle"] = symmetric_confusion(1.0, 3)

    def accuracy(with_oracle: bool) -> float:
        hits = 0
        for votes, truth in zip(panels_, truths, strict=True):
            panel = [*votes, Vote(agent="oracle", label=truth)] if with_oracle else votes
            hits += _aggregate(method, panel, confusions).label == truth
        return hits / len(truths)

    assert accuracy(True) >= accuracy(False)


def test_reliability_weighting_lets_one_reliable_agent_outvote_two_weak_ones() -> None:
    votes = [
        Vote(agent="expert", label="REFUTED"),
        Vote(agent="weak1", label="SUPPORTED"),
        Vote(agent="weak2", label="SUPPORTED"),
    ]
    confusions = {
        "expert": symmetric_confusion(0.95, 3),
        "weak1": symmetric_confusion(0.4, 3),
        "weak2": symmetric_confusion(0.4, 3),
    }
    assert majority(votes, LABELS).label == "SUPPORTED"
    assert reliability_weighted(votes, LABELS, confusions).label == "REFUTED"


def test_confidence_weighting_follows_the_sure_voter() -> None:
    votes = [
        Vote(agent="a", label="REFUTED", confidence=0.95),
        Vote(agent="b", label="SUPPORTED", confidence=0.3),
        Vote(agent="c", label="SUPPORTED", confidence=0.3),
    ]
    assert confidence_weighted(votes, LABELS).label == "REFUTED"


def test_votes_for_unknown_labels_are_rejected() -> None:
    with pytest.raises(ValueError, match="not candidates"):
        majority([Vote(agent="a", label="MAYBE")], LABELS)


def test_learned_confusions_track_each_agents_record() -> None:
    items = [({"good": t, "bad": "SUPPORTED"}, t) for t in LABELS * 30]
    learned = learn_confusions(items, LABELS)
    assert learned["good"][1, 1] > 0.9
    assert learned["bad"][1, 2] > 0.9  # always says SUPPORTED when the truth is REFUTED


def test_confusions_from_counts_add_the_prior() -> None:
    counts = {"a": [[0, 0, 0], [0, 10, 0], [0, 0, 0]]}
    matrix = confusions_from_counts(counts, LABELS)["a"]
    assert matrix[1, 1] > 0.8
    assert np.allclose(matrix.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="3x3"):
        confusions_from_counts({"a": [[1]]}, LABELS)


def test_dawid_skene_finds_the_reliable_agent_without_labels() -> None:
    panels_, truths = _simulate([0.9, 0.55, 0.5, 0.45], 400, seed=7)
    items = [{v.agent: v.label for v in votes} for votes in panels_]
    fit = dawid_skene(items, LABELS)
    diagonal = {a: np.mean(np.diag(np.asarray(m))) for a, m in fit.confusions.items()}
    assert max(diagonal, key=lambda a: diagonal[a]) == "a0"
    assert diagonal["a0"] > 0.8
    predicted = [max(p, key=lambda label: p[label]) for p in fit.posteriors]
    em_accuracy = np.mean([p == t for p, t in zip(predicted, truths, strict=True)])
    majority_accuracy = np.mean(
        [majority(v, LABELS).label == t for v, t in zip(panels_, truths, strict=True)]
    )
    assert em_accuracy > majority_accuracy


def test_dawid_skene_keeps_known_truths_fixed() -> None:
    items = [{"a": "SUPPORTED", "b": "SUPPORTED"}, {"a": "REFUTED", "b": "SUPPORTED"}]
    fit = dawid_skene(items, LABELS, truths={0: "REFUTED"})
    assert fit.posteriors[0]["REFUTED"] == 1.0

"""Label aggregation: majority, confidence-weighted, reliability-weighted and Dawid–Skene.

Every aggregator takes a panel's votes and returns a probability over the candidate labels.
Sums use `math.fsum` so that the order of the agents can never change a result, not even in
the last bit; ties go to the label listed first in `labels`, never to whoever voted first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field

Confusion = NDArray[np.float64]  # rows: true label, columns: the label an agent gives
_FLOOR = 1e-9


class Vote(BaseModel):
    """One agent's label for one item, with the confidence it stated."""

    agent: str
    label: str
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)


class LabelDecision(BaseModel):
    """An aggregated label and the probability the aggregator gives each candidate."""

    label: str
    probabilities: dict[str, float]

    @property
    def confidence(self) -> float:
        """The probability of the chosen label."""
        return self.probabilities[self.label]


def decide(scores: Mapping[str, float], labels: Sequence[str]) -> LabelDecision:
    """Normalize non-negative scores and pick the best label (ties: first in `labels`)."""
    total = math.fsum(max(0.0, scores.get(label, 0.0)) for label in labels)
    if total <= 0.0:
        probabilities = {label: 1.0 / len(labels) for label in labels}
    else:
        probabilities = {label: max(0.0, scores.get(label, 0.0)) / total for label in labels}
    best = max(labels, key=lambda label: (probabilities[label], -labels.index(label)))
    return LabelDecision(label=best, probabilities=probabilities)


def _check(votes: Sequence[Vote], labels: Sequence[str]) -> None:
    if not labels:
        raise ValueError("at least one candidate label is needed")
    unknown = {vote.label for vote in votes} - set(labels)
    if unknown:
        raise ValueError(f"votes for labels that are not candidates: {sorted(unknown)}")


def majority(votes: Sequence[Vote], labels: Sequence[str]) -> LabelDecision:
    """One agent, one vote; the probability of a label is its share of the votes."""
    _check(votes, labels)
    return decide({label: float(sum(v.label == label for v in votes)) for label in labels}, labels)


def confidence_weighted(votes: Sequence[Vote], labels: Sequence[str]) -> LabelDecision:
    """Each vote counts as much as the confidence its agent stated."""
    _check(votes, labels)
    scores = {
        label: math.fsum(max(v.confidence, _FLOOR) for v in votes if v.label == label)
        for label in labels
    }
    return decide(scores, labels)


def symmetric_confusion(accuracy: float, n_labels: int) -> Confusion:
    """The 'one-coin' confusion matrix: right with `accuracy`, else uniformly wrong."""
    accuracy = min(max(accuracy, _FLOOR), 1.0 - _FLOOR)
    off = (1.0 - accuracy) / max(1, n_labels - 1)
    matrix = np.full((n_labels, n_labels), off, dtype=np.float64)
    np.fill_diagonal(matrix, accuracy)
    return matrix


def reliability_weighted(
    votes: Sequence[Vote],
    labels: Sequence[str],
    confusions: Mapping[str, Confusion],
    *,
    prior: Sequence[float] | None = None,
    default_accuracy: float = 0.6,
) -> LabelDecision:
    """The posterior over the true label given each agent's confusion matrix (naive Bayes).

    With the true confusion matrices and independent agents this is the Bayes-optimal vote.
    Agents without a learned matrix count with `default_accuracy`.
    """
    _check(votes, labels)
    k = len(labels)
    index = {label: i for i, label in enumerate(labels)}
    default = symmetric_confusion(default_accuracy, k)
    base = np.full(k, 1.0 / k) if prior is None else np.asarray(prior, dtype=np.float64)
    columns: list[list[float]] = [[math.log(max(p, _FLOOR))] for p in base]
    for vote in votes:
        matrix = confusions.get(vote.agent, default)
        given = index[vote.label]
        for truth in range(k):
            columns[truth].append(math.log(max(float(matrix[truth, given]), _FLOOR)))
    logs = [math.fsum(terms) for terms in columns]
    top = max(logs)
    return decide({label: math.exp(logs[i] - top) for i, label in enumerate(labels)}, labels)


def learn_confusions(
    items: Sequence[tuple[Mapping[str, str], str]],
    labels: Sequence[str],
    *,
    smoothing: float = 1.0,
    prior_accuracy: float = 0.6,
) -> dict[str, Confusion]:
    """Confusion matrices from labeled items `(agent -> label, truth)`, with a Dirichlet prior.

    The prior is `smoothing` pseudo-counts spread as a one-coin agent of `prior_accuracy`, so an
    agent seen on few items stays close to the default and one seen on many follows its record.
    """
    k = len(labels)
    index = {label: i for i, label in enumerate(labels)}
    pseudo = symmetric_confusion(prior_accuracy, k) * smoothing * k
    counts: dict[str, Confusion] = {}
    for answers, truth in items:
        for agent, given in answers.items():
            matrix = counts.setdefault(agent, pseudo.copy())
            matrix[index[truth], index[given]] += 1.0
    return {agent: _row_normalize(matrix) for agent, matrix in counts.items()}


def confusions_from_counts(
    counts: Mapping[str, Sequence[Sequence[float]]],
    labels: Sequence[str],
    *,
    smoothing: float = 1.0,
    prior_accuracy: float = 0.6,
    priors: Mapping[str, Confusion] | None = None,
) -> dict[str, Confusion]:
    """Confusion matrices from stored raw counts (as feedback accumulates them).

    An agent's prior is the one-coin agent of `prior_accuracy`, or its entry in `priors` (a
    row-stochastic matrix, e.g. what a related agent learned); either weighs as
    `smoothing * len(labels)` counts per true label.
    """
    k = len(labels)
    pseudo = symmetric_confusion(prior_accuracy, k) * smoothing * k
    result: dict[str, Confusion] = {}
    for agent, raw in counts.items():
        matrix = np.asarray(raw, dtype=np.float64)
        if matrix.shape != (k, k):
            raise ValueError(f"counts for {agent!r} are not {k}x{k}")
        prior = pseudo if priors is None or agent not in priors else priors[agent] * smoothing * k
        result[agent] = _row_normalize(matrix + prior)
    return result


def accuracy_of(confusion: Confusion, prior: Sequence[float] | None = None) -> float:
    """How often an agent with this confusion matrix is right, under the label prior."""
    k = confusion.shape[0]
    weights = np.full(k, 1.0 / k) if prior is None else np.asarray(prior, dtype=np.float64)
    return float(np.dot(weights, np.diag(confusion)))


def _row_normalize(matrix: Confusion) -> Confusion:
    sums = matrix.sum(axis=1, keepdims=True)
    result: Confusion = matrix / np.where(sums == 0.0, 1.0, sums)
    return result


class DawidSkeneFit(BaseModel):
    """What Dawid–Skene EM learned: per-agent confusions, the label prior, item posteriors."""

    confusions: dict[str, list[list[float]]]
    prior: list[float]
    posteriors: list[dict[str, float]]
    iterations: int


def dawid_skene(
    items: Sequence[Mapping[str, str]],
    labels: Sequence[str],
    *,
    truths: Mapping[int, str] | None = None,
    max_iterations: int = 100,
    tolerance: float = 1e-6,
    smoothing: float = 0.01,
) -> DawidSkeneFit:
    """Learn agent reliabilities without (or with some) ground truth by EM over item labels.

    Starts from the majority vote, then alternates: confusions and prior from the current soft
    labels (M step), soft labels from the confusions (E step). Items whose truth is known stay
    fixed at it, which turns partial feedback into semi-supervised learning.
    """
    k = len(labels)
    index = {label: i for i, label in enumerate(labels)}
    agents = sorted({agent for answers in items for agent in answers})
    fixed = dict(truths or {})
    # given[n, j]: the label index agent j gave item n, or -1 when it did not answer.
    given = np.full((len(items), len(agents)), -1, dtype=np.int64)
    for n, answers in enumerate(items):
        for j, agent in enumerate(agents):
            if agent in answers:
                given[n, j] = index[answers[agent]]
    onehots = [
        np.eye(k)[np.maximum(given[:, j], 0)] * (given[:, j : j + 1] >= 0)
        for j in range(len(agents))
    ]
    clamp = np.zeros((len(items), k))
    known = np.zeros(len(items), dtype=bool)
    for n, label in fixed.items():
        clamp[n, index[label]] = 1.0
        known[n] = True
    soft = sum(onehots, np.zeros((len(items), k)))
    totals = soft.sum(axis=1, keepdims=True)
    soft = np.where(totals > 0, soft / np.where(totals == 0, 1.0, totals), 1.0 / k)
    soft[known] = clamp[known]
    confusions: dict[str, Confusion] = {}
    prior = np.full(k, 1.0 / k)
    iteration = 0
    for iteration in range(1, max_iterations + 1):  # noqa: B007 - reported in the fit
        prior = (soft.sum(axis=0) + smoothing) / (len(items) + smoothing * k)
        logs = np.tile(np.log(prior), (len(items), 1))
        for j, agent in enumerate(agents):
            confusions[agent] = _row_normalize(soft.T @ onehots[j] + smoothing)
            logs += onehots[j] @ np.log(np.maximum(confusions[agent], _FLOOR)).T
        logs -= logs.max(axis=1, keepdims=True)
        updated = np.exp(logs)
        updated /= updated.sum(axis=1, keepdims=True)
        updated[known] = clamp[known]
        change = float(np.abs(updated - soft).max()) if len(items) else 0.0
        soft = updated
        if change < tolerance:
            break
    return DawidSkeneFit(
        confusions={agent: matrix.tolist() for agent, matrix in confusions.items()},
        prior=prior.tolist(),
        posteriors=[{label: float(row[index[label]]) for label in labels} for row in soft],
        iterations=iteration,
    )

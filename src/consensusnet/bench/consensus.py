"""`bench consensus`: aggregation methods on synthetic panels with known, unequal reliabilities.

Agents have different accuracies and correlated errors: on "hard" items every agent is less
accurate and wrong agents tend to pick the same decoy label. Reliability-weighted voting learns
each agent's confusion matrix from a small labeled set and is compared with majority,
confidence-weighted voting and an oracle that knows the true reliabilities and label prior.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Annotated

import numpy as np
import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from consensusnet.consensus.calibration import brier_score, expected_calibration_error
from consensusnet.consensus.labels import (
    Confusion,
    LabelDecision,
    Vote,
    confidence_weighted,
    dawid_skene,
    learn_confusions,
    majority,
    reliability_weighted,
    symmetric_confusion,
)

LABELS = ("NOT_ENOUGH_INFO", "REFUTED", "SUPPORTED")
PRIOR = (0.2, 0.35, 0.45)
ACCURACIES = (0.85, 0.72, 0.64, 0.58, 0.55)
HARD_SHARE = 0.3
HARD_PENALTY = 0.2
DECOY_PULL = 0.8


class Panel(BaseModel):
    """One synthetic item: its true label and each agent's vote."""

    truth: str
    votes: list[Vote]


def simulate(n: int, rng: np.random.Generator) -> list[Panel]:
    """Items with a prior over labels; agents err more, and together, on hard items."""
    k = len(LABELS)
    panels = []
    for _ in range(n):
        truth = int(rng.choice(k, p=PRIOR))
        hard = rng.random() < HARD_SHARE
        wrong = [label for label in range(k) if label != truth]
        decoy = int(rng.choice(wrong))
        votes = []
        for j, accuracy in enumerate(ACCURACIES):
            p_right = accuracy - HARD_PENALTY if hard else accuracy
            if rng.random() < p_right:
                given = truth
                confidence = float(rng.uniform(0.55, 1.0))
            else:
                pulled = hard and rng.random() < DECOY_PULL
                given = decoy if pulled else int(rng.choice(wrong))
                confidence = float(rng.uniform(0.4, 0.9))
            votes.append(Vote(agent=f"agent{j}", label=LABELS[given], confidence=confidence))
        panels.append(Panel(truth=LABELS[truth], votes=votes))
    return panels


def true_confusions() -> dict[str, Confusion]:
    """Each agent's marginal confusion matrix (wrong answers are symmetric on average)."""
    return {
        f"agent{j}": symmetric_confusion(
            (1 - HARD_SHARE) * a + HARD_SHARE * (a - HARD_PENALTY), len(LABELS)
        )
        for j, a in enumerate(ACCURACIES)
    }


class MethodFigures(BaseModel):
    """Accuracy and calibration of one aggregation method."""

    method: str
    accuracy: float
    ece: float
    brier: float


def _score(
    name: str, panels: Sequence[Panel], decide: Callable[[list[Vote]], LabelDecision]
) -> MethodFigures:
    decisions = [decide(p.votes) for p in panels]
    correct = [d.label == p.truth for d, p in zip(decisions, panels, strict=True)]
    confidences = [d.confidence for d in decisions]
    return MethodFigures(
        method=name,
        accuracy=round(float(np.mean(correct)), 4),
        ece=round(expected_calibration_error(confidences, correct), 4),
        brier=round(brier_score(confidences, correct), 4),
    )


Decide = Callable[[list[Vote]], LabelDecision]


def _methods(
    labeled: int,
    learned: dict[str, Confusion],
    learned_prior: list[float],
    ds_confusions: dict[str, Confusion],
    ds_prior: list[float],
    oracle: dict[str, Confusion],
) -> list[tuple[str, Decide]]:
    return [
        ("majority", lambda v: majority(v, LABELS)),
        ("confidence-weighted", lambda v: confidence_weighted(v, LABELS)),
        (
            f"reliability-weighted (learned, {labeled} labeled)",
            lambda v: reliability_weighted(v, LABELS, learned, prior=learned_prior),
        ),
        (
            "Dawid–Skene (unsupervised EM)",
            lambda v: reliability_weighted(v, LABELS, ds_confusions, prior=ds_prior),
        ),
        (
            "oracle (true reliabilities)",
            lambda v: reliability_weighted(v, LABELS, oracle, prior=PRIOR),
        ),
    ]


class ConsensusFigures(BaseModel):
    """What `bench consensus` prints."""

    labeled: int
    test_items: int
    seeds: int
    methods: list[MethodFigures]
    gap_to_oracle_points: float
    seconds: float


def run_benchmark(labeled: int, test_items: int, seeds: int) -> ConsensusFigures:
    """Average figures over `seeds` independent simulations."""
    started = time.perf_counter()
    rows: dict[str, list[MethodFigures]] = {}
    oracle = true_confusions()
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        train, test = simulate(labeled, rng), simulate(test_items, rng)
        learned = learn_confusions(
            [({v.agent: v.label for v in p.votes}, p.truth) for p in train], LABELS
        )
        counts = np.array([sum(p.truth == label for p in train) + 1.0 for label in LABELS])
        learned_prior = list(counts / counts.sum())
        fit = dawid_skene([{v.agent: v.label for v in p.votes} for p in test], LABELS)
        ds_confusions = {a: np.asarray(m) for a, m in fit.confusions.items()}
        methods = _methods(labeled, learned, learned_prior, ds_confusions, fit.prior, oracle)
        for name, decide in methods:
            rows.setdefault(name, []).append(_score(name, test, decide))
    averaged = [
        MethodFigures(
            method=name,
            accuracy=round(float(np.mean([f.accuracy for f in figures])), 4),
            ece=round(float(np.mean([f.ece for f in figures])), 4),
            brier=round(float(np.mean([f.brier for f in figures])), 4),
        )
        for name, figures in rows.items()
    ]
    by_name = {f.method.split(" ")[0]: f for f in averaged}
    gap = (by_name["oracle"].accuracy - by_name["reliability-weighted"].accuracy) * 100
    return ConsensusFigures(
        labeled=labeled,
        test_items=test_items,
        seeds=seeds,
        methods=averaged,
        gap_to_oracle_points=round(gap, 2),
        seconds=round(time.perf_counter() - started, 2),
    )


def register(bench_app: typer.Typer) -> None:
    """Add `bench consensus` to the bench command group."""

    @bench_app.command()
    def consensus(
        labeled: Annotated[int, typer.Option(min=10, help="Labeled items to learn from.")] = 200,
        test_items: Annotated[int, typer.Option(min=100, help="Items to evaluate on.")] = 5000,
        seeds: Annotated[int, typer.Option(min=1, max=50, help="Simulations to average.")] = 3,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
    ) -> None:
        """Majority, confidence- and reliability-weighted voting against the oracle."""
        figures = run_benchmark(labeled, test_items, seeds)
        if as_json:
            typer.echo(json.dumps(figures.model_dump()))
            return
        console = Console()
        table = Table(
            title=f"Label aggregation: {len(ACCURACIES)} agents (accuracy "
            f"{', '.join(f'{a:.2f}' for a in ACCURACIES)}), correlated errors, "
            f"{test_items} items x {seeds} seeds"
        )
        for column in ("method", "accuracy", "ECE", "Brier"):
            table.add_column(column)
        for row in figures.methods:
            table.add_row(row.method, f"{row.accuracy:.4f}", f"{row.ece:.4f}", f"{row.brier:.4f}")
        console.print(table)
        console.print(
            f"Reliability-weighted is {figures.gap_to_oracle_points:.2f} points below the oracle "
            f"(target: within 1 point). {figures.seconds:.1f} s."
        )

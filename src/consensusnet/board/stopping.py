"""When a sub-problem's rounds end: pure rules over each round's figures.

Every stop names its rule and the figures behind it. Rules, in the order they are checked:
convergence, novelty exhausted, deadlock, stalled disagreement, max rounds. The budget rule
lives in `budget.py` because it reads spending, not figures.
"""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, Field

from consensusnet.domain.events_board import StopReason


class StopRules(BaseModel):
    """Thresholds for the stopping rules (options may override them per session)."""

    convergence_at: float = Field(default=0.55, ge=0.0, le=1.0)
    novelty_below: float = Field(default=0.12, ge=0.0, le=1.0)
    min_rounds: int = Field(default=2, ge=1)
    stall_rounds: int = Field(default=2, ge=1)
    stall_delta: float = Field(default=0.03, ge=0.0)
    conflict_at: float = Field(default=0.5, ge=0.0, le=1.0)
    early_agreement_at: float = Field(default=0.5, ge=0.0, le=1.0)


class RoundFigures(BaseModel):
    """What the rules read about one finished round."""

    round: int
    convergence: float
    novelty: float
    conflict: float
    options: dict[str, int] = Field(default_factory=dict)


class Stop(BaseModel):
    """A decision to stop, with the rule and its figures."""

    reason: StopReason
    detail: str
    figures: dict[str, float]


def _figures(last: RoundFigures) -> dict[str, float]:
    return {
        "round": float(last.round),
        "convergence": round(last.convergence, 4),
        "novelty": round(last.novelty, 4),
        "conflict": round(last.conflict, 4),
    }


def _entrenched_split(history: list[RoundFigures]) -> bool:
    """Two rounds in which nobody changed option, and no option holds a majority."""
    if len(history) < 2:
        return False
    before, last = history[-2], history[-1]
    if not last.options or before.options != last.options:
        return False
    counts = Counter(last.options.values())
    return len(counts) >= 2 and max(counts.values()) * 2 <= len(last.options)


def _stalled(history: list[RoundFigures], rules: StopRules) -> tuple[bool, float]:
    """Convergence has not moved for `stall_rounds` rounds while members still disagree."""
    if len(history) < rules.stall_rounds + 1:
        return False, 0.0
    window = [h.convergence for h in history[-(rules.stall_rounds + 1) :]]
    movement = max(window) - min(window)
    last = history[-1]
    stalled = (
        movement < rules.stall_delta
        and last.convergence < rules.convergence_at
        and last.conflict >= rules.conflict_at
    )
    return stalled, movement


def decide_stop(history: list[RoundFigures], max_rounds: int, rules: StopRules) -> Stop | None:
    """The first stopping rule that holds after the latest round, or None to go on."""
    if not history:
        return None
    last = history[-1]
    figures = _figures(last)
    enough = last.round >= rules.min_rounds
    if enough and last.convergence >= rules.convergence_at:
        detail = f"convergence {last.convergence:.2f} >= {rules.convergence_at:.2f}"
        return Stop(reason="convergence", detail=detail, figures=figures)
    if enough and last.novelty < rules.novelty_below:
        detail = f"novelty {last.novelty:.2f} < {rules.novelty_below:.2f}: arguments repeat"
        return Stop(reason="novelty", detail=detail, figures=figures)
    if _entrenched_split(history):
        detail = f"no member changed option and none has a majority: {last.options}"
        return Stop(reason="deadlock", detail=detail, figures=figures)
    stalled, movement = _stalled(history, rules)
    if stalled:
        detail = (
            f"convergence moved {movement:.3f} over {rules.stall_rounds} rounds while "
            f"conflict is {last.conflict:.2f}"
        )
        return Stop(reason="stalled", detail=detail, figures={**figures, "movement": movement})
    if last.round >= max_rounds:
        return Stop(reason="max_rounds", detail=f"reached {max_rounds} rounds", figures=figures)
    return None


def early_agreement(first: RoundFigures, rules: StopRules) -> str | None:
    """Why round 1 agreed too soon to trust (calls for the contrarian), or None."""
    if first.round != 1 or len(first.options) < 2:
        return None
    if len(set(first.options.values())) == 1:
        return "every member chose the same option in the first round"
    if first.convergence >= rules.early_agreement_at:
        return f"convergence {first.convergence:.2f} in the first round"
    return None

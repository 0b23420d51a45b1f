"""The panel's verification strategies: each member reads the same evidence differently."""

from __future__ import annotations

from pydantic import BaseModel


class Strategy(BaseModel):
    """A way of judging a claim, given to one panel member."""

    name: str
    title: str
    instructions: str


STRATEGIES: tuple[Strategy, ...] = (
    Strategy(
        name="strict",
        title="a strict evidence checker",
        instructions=(
            "Judge only from what the evidence states explicitly. If no sentence states or "
            "contradicts the claim, answer NOT_ENOUGH_INFO."
        ),
    ),
    Strategy(
        name="skeptic",
        title="a skeptic",
        instructions=(
            "Look for what is wrong: numbers, dates, names or scope that differ between the claim "
            "and the evidence. A claim that overstates its evidence is REFUTED or NOT_ENOUGH_INFO."
        ),
    ),
    Strategy(
        name="expert",
        title="a domain expert",
        instructions=(
            "Read the evidence as an expert in its field would: weigh how reliable each source "
            "is and what the evidence implies, not only its exact wording."
        ),
    ),
    Strategy(
        name="contextualist",
        title="a context checker",
        instructions=(
            "Check whether the claim leaves out context the evidence gives (conditions, time, "
            "place) that changes whether it is true."
        ),
    ),
)


class Member(BaseModel):
    """One seat on the panel: its agent id, its strategy and optionally its own model."""

    agent: str
    strategy: Strategy
    model: str | None = None


def panel_members(size: int, models: list[str] | None = None) -> list[Member]:
    """`size` members cycling through the strategies (and through `models` when given)."""
    members = []
    for seat in range(size):
        strategy = STRATEGIES[seat % len(STRATEGIES)]
        round_no = seat // len(STRATEGIES)
        agent = strategy.name if round_no == 0 else f"{strategy.name}-{round_no + 1}"
        model = models[seat % len(models)] if models else None
        members.append(Member(agent=agent, strategy=strategy, model=model))
    return members

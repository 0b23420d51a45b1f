"""The budget guard: a session never spends more than its budget; near it, the board votes."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from consensusnet.domain.events import LLMCalled, StoredEvent

WARN_AT = 0.8
# Projections price every call ahead like the dearest call so far, plus a margin: later calls
# (votes, synthesis) carry longer prompts than the first ones.
SAFETY = 1.25


class Spending(BaseModel):
    """What a session has spent so far on model calls."""

    cost_usd: float = 0.0
    tokens: int = 0
    calls: int = 0
    max_cost_usd: float = 0.0
    max_tokens: int = 0

    def cost_per_call(self) -> float:
        """Dollars to budget for one more call."""
        return self.max_cost_usd * SAFETY

    def tokens_per_call(self) -> float:
        """Tokens to budget for one more call."""
        return self.max_tokens * SAFETY


def spending(events: Sequence[StoredEvent]) -> Spending:
    """Sum the session's `llm.call` events (failed calls cost what they report)."""
    total = Spending()
    for stored in events:
        event = stored.event
        if isinstance(event, LLMCalled):
            tokens = event.usage.input_tokens + event.usage.output_tokens
            total.cost_usd += event.cost_usd
            total.tokens += tokens
            total.calls += 1 if event.ok else 0
            total.max_cost_usd = max(total.max_cost_usd, event.cost_usd)
            total.max_tokens = max(total.max_tokens, tokens)
    return total


class BudgetCheck(BaseModel):
    """Whether the next `calls` (plus the reserve for voting and synthesis) fit the budget."""

    fits: bool
    warn: bool
    projected_usd: float
    projected_tokens: float
    detail: str


def check_budget(
    spent: Spending,
    calls: int,
    reserve_calls: int,
    budget_usd: float | None,
    budget_tokens: int | None,
) -> BudgetCheck:
    """Project the next round plus the closing calls at the dearest call so far (plus margin)."""
    ahead = calls + reserve_calls
    projected_usd = spent.cost_usd + ahead * spent.cost_per_call()
    projected_tokens = spent.tokens + ahead * spent.tokens_per_call()
    fits, warn, parts = True, False, []
    if budget_usd is not None:
        fits = fits and projected_usd <= budget_usd
        warn = warn or spent.cost_usd >= WARN_AT * budget_usd or not fits
        parts.append(
            f"${spent.cost_usd:.4f} spent, ${projected_usd:.4f} projected of ${budget_usd:.4f}"
        )
    if budget_tokens is not None:
        fits = fits and projected_tokens <= budget_tokens
        warn = warn or spent.tokens >= WARN_AT * budget_tokens or not fits
        parts.append(
            f"{spent.tokens} tokens spent, {projected_tokens:.0f} projected of {budget_tokens}"
        )
    return BudgetCheck(
        fits=fits,
        warn=warn,
        projected_usd=round(projected_usd, 8),
        projected_tokens=round(projected_tokens, 1),
        detail="; ".join(parts) or "no budget set",
    )

"""The budget guard: never past the budget; near it, the board goes to vote and synthesis."""

from __future__ import annotations

from typing import Any

from board_support import BoardRunner, BoardScript, Turn

from consensusnet.board.budget import Spending, check_budget
from consensusnet.compose import App
from consensusnet.domain.config import Settings
from consensusnet.domain.events import SessionCreated
from consensusnet.domain.llm import LLMRequest
from consensusnet.llm.scripted import FunctionProvider


def test_check_budget_projects_the_closing_calls() -> None:
    spent = Spending(cost_usd=0.5, tokens=1000, calls=5, max_cost_usd=0.1, max_tokens=200)
    assert check_budget(spent, 4, 5, 2.0, None).fits  # 0.5 + 9 x 0.125 = 1.625
    tight = check_budget(spent, 4, 5, 1.5, None)
    assert not tight.fits
    assert tight.warn
    assert check_budget(spent, 1, 0, 0.6, None).warn  # 0.5 is past 80% of 0.6
    assert not check_budget(spent, 4, 5, None, 3000).fits  # 1000 + 9 x 250 tokens
    assert check_budget(Spending(), 10, 10, 0.01, None).fits  # nothing spent, nothing known


def _keep_going(script: BoardScript) -> None:
    """Only the budget may stop this board: the facilitator never calls a vote, and everyone
    favours option 1 (a majority, so no deadlock), whatever the session id seeds."""
    script.on(
        "FacilitatorOut",
        lambda r, t: {"decision": "continue", "moderator": "none", "reason": "go on"},
    )

    def favour_option_one(request: LLMRequest, turn: Turn) -> Any:
        return {**turn.default(), "option": 1}

    script.on("Contribution", favour_option_one)


async def test_budget_stop_then_vote_and_synthesis(settings: Settings, script: BoardScript) -> None:
    _keep_going(script)
    # A paid provider: the scripted one is free by design, so give ours a price.
    paid = settings.model_copy(
        update={"provider": "paid", "llm_prices": {"function-1": (400.0, 400.0)}}
    )
    provider = FunctionProvider(script)
    app = App(paid, providers={"paid": provider})
    try:
        services = await app.start()
        budget = 2.0
        session_id = await app.create_session(
            SessionCreated(
                kind="board",
                title="t",
                input={"question": "Should we expand to Europe?"},
                options={
                    "max_rounds": 8,
                    "budget_usd": budget,
                    "rules": {"convergence_at": 1.0, "novelty_below": 0.0},
                },
            )
        )
        await app.runtime.wait(session_id, timeout=60)
        view = await services.log.view(session_id)
    finally:
        await app.close()
    assert view.status == "completed", view.error
    assert view.board is not None
    sub = view.board.sub_problems[0]
    assert sub.stop is not None
    assert sub.stop.reason == "budget", sub.stop
    assert 1 <= len(sub.rounds) < 8
    assert sub.stop.figures["spent_usd"] > 0
    assert view.board.budget_warnings
    assert len(sub.votes) == 3
    assert sub.synthesis is not None
    assert view.board.meta is not None
    assert 0 < view.llm.cost_usd <= budget


async def test_token_budget_also_stops(board: BoardRunner, script: BoardScript) -> None:
    _keep_going(script)
    view = await board.run(
        max_rounds=8, budget_tokens=12000, rules={"convergence_at": 1.0, "novelty_below": 0.0}
    )
    assert view.board is not None
    stop = view.board.sub_problems[0].stop
    assert stop is not None
    assert stop.reason == "budget"
    used = view.llm.usage.input_tokens + view.llm.usage.output_tokens
    assert used <= 12000

"""A crash mid-round, then a resume that repeats no finished LLM call."""

from __future__ import annotations

import asyncio
from collections import Counter

from board_support import BoardRunner

from consensusnet.engine.runtime import InMemoryRuntime


async def _call_keys(board: BoardRunner, app_index: int, session_id: str) -> list[str]:
    services = await board.apps[app_index].services()
    events = await services.log.events(session_id)
    return [e.event.call_key for e in events if e.event.type == "llm.call" and e.event.call_key]  # type: ignore[union-attr]


async def test_crash_mid_round_then_resume_repeats_no_call(board: BoardRunner) -> None:
    board.provider.ttft = 0.05
    app, session_id = await board.start(max_rounds=3)
    services = await app.services()
    # Let the board get into its second round, then kill it (the task is cancelled mid-step).
    while True:
        view = await services.log.view(session_id)
        assert view.status in ("pending", "running"), "the board must be running when killed"
        rounds = view.board.sub_problems[0].rounds if view.board and view.board.sub_problems else []
        if len(rounds) >= 2 and rounds[1].summary is None:
            break
        await asyncio.sleep(0.005)
    calls_made = len(board.provider.calls)
    await app.runtime.pause(session_id)
    before = await _call_keys(board, 0, session_id)
    in_flight = calls_made - len(before)
    assert "sp0.r2.summary" not in before, "the crash must land mid-round"

    # A new process: fresh runtime and services, the same step memory and the same database.
    assert isinstance(app.runtime, InMemoryRuntime)
    restarted = board.app(runtime=InMemoryRuntime(memory=app.runtime.memory))
    await restarted.start()
    await restarted.runtime.start("board", session_id)
    await restarted.runtime.wait(session_id, timeout=60)

    view = await (await restarted.services()).log.view(session_id)
    assert view.status == "completed", view.error
    after = await _call_keys(board, 1, session_id)
    counts = Counter(after)
    assert all(n == 1 for n in counts.values()), counts
    assert set(before) <= set(after)
    # Every call the provider saw is a recorded call, except the ones cut off by the crash.
    assert len(board.provider.calls) == len(after) + in_flight
    assert in_flight <= 3
    events = [e.event.type for e in await (await restarted.services()).log.events(session_id)]
    assert events.count("board.round_started") == len(view.board.sub_problems[0].rounds)  # type: ignore[union-attr]

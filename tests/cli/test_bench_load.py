"""`bench load`: the critical path of a board read from its events, and a small real run."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from consensusnet.bench.critical_path import board_critical_path, session_outcome
from consensusnet.cli.app import app
from consensusnet.testing.services import (
    PG_ADMIN_URL,
    REDIS_TEST_URL,
    require_postgres,
    require_redis,
)


def _event(kind: str, **data: Any) -> dict[str, Any]:
    return {"type": kind, "data": data, "created_at": "2026-01-01T00:00:00+00:00"}


def _call(key: str, seconds: float) -> dict[str, Any]:
    return _event("llm.call", call_key=key, latency_s=seconds)


def _board(waves: list[list[int]]) -> list[dict[str, Any]]:
    calls = [("clarify", 1.0), ("decompose", 1.0), ("meta", 1.0)]
    for sp, slow in ((0, 3.0), (1, 2.0)):
        calls += [(f"sp{sp}.r1.cfo", slow), (f"sp{sp}.r1.cto", 1.0), (f"sp{sp}.r1.summary", 1.0)]
        calls += [(f"sp{sp}.r1.facilitator", 1.0), (f"sp{sp}.r1.moderator", 1.0)]
        calls += [(f"sp{sp}.r2.cfo", 1.0), (f"sp{sp}.r2.cto", 1.0), (f"sp{sp}.r2.summary", 1.0)]
        calls += [(f"sp{sp}.vote.cfo", 1.0), (f"sp{sp}.vote.cto", slow), (f"sp{sp}.synthesis", 1.0)]
    return [
        _event("board.decomposed", waves=waves),
        *(_call(key, seconds) for key, seconds in calls),
    ]


def test_a_boards_critical_path_follows_its_rounds_and_waves() -> None:
    # Per sub-problem: r1 turns (slowest), summary, facilitator, moderator, r2 turns, summary,
    # slowest vote, synthesis = 8 calls in a row; sp0 takes 3+1+1+1+1+1+3+1 = 12 s, sp1 10 s.
    assert board_critical_path(_board([[0, 1]])) == (3.0 + 12.0, 3 + 8)
    assert board_critical_path(_board([[0], [1]])) == (3.0 + 12.0 + 10.0, 3 + 8 + 8)


def test_a_repaired_or_retried_step_counts_every_call_in_turn() -> None:
    events = [_call("clarify", 1.0), _call("decompose", 1.0), _call("decompose:repair", 0.5)]
    assert board_critical_path(events) == (2.5, 3)


def test_a_failed_session_reports_its_error() -> None:
    events = [_call("clarify", 1.0), _event("session.failed", error="boom")]
    outcome = session_outcome(events, "board")
    assert (outcome.status, outcome.error, outcome.llm_calls) == ("failed", "boom", 1)


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(420)
def test_bench_load_runs_boards_through_the_api_and_two_workers() -> None:
    require_postgres()
    require_redis()
    result = CliRunner().invoke(
        app,
        [
            "bench", "load", "--sessions", "4", "--latency", "0.05", "--json",
            "--database-url", PG_ADMIN_URL, "--redis-url", REDIS_TEST_URL,
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert (figures["completed"], figures["failed"], figures["unfinished"]) == (4, 0, 0)
    assert figures["first_error"] == ""
    # At least clarify, decompose, 3 turns, a summary, 3 votes, a synthesis and meta each.
    assert figures["llm_calls"] >= 4 * 11
    assert figures["critical_calls_p50"] >= 7
    assert figures["critical_path_p50_s"] >= figures["critical_calls_p50"] * 0.05
    # Calls on the critical path ran one after another inside the session's lifetime.
    assert figures["wall_over_critical_p50"] >= 1.0
    assert figures["api_requests"] >= 4
    assert figures["sessions_per_minute"] > 0
    assert set(figures["peak_rss_mb"]) == {"api", "worker-1", "worker-2"}
    assert all(mb > 0 for mb in figures["peak_rss_mb"].values())

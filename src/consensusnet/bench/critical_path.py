"""A session's critical path and timings, read from its events as the API returns them.

The critical path is the longest chain of LLM calls that had to happen one after another, from
the session's `llm.call` events; a step's calls (its retries and its repair) run in turn, so
they add up:

* board: clarify + decompose + the sum over dependency waves (`board.decomposed`) of the slowest
  sub-problem of the wave + meta-synthesis, where a sub-problem is the sum over its rounds of
  (slowest turn + summary + facilitator + moderator, when one spoke) + slowest vote + synthesis;
* overhead (`bench.overhead`): the sum over rounds of the slowest call of the round.

Everything else a session does (database writes, embeddings, queueing) is overhead on top.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Kind = Literal["board", "overhead"]
Chain = tuple[float, int]  # seconds, LLM calls
_NONE: Chain = (0.0, 0)
_SUB_STEP = re.compile(r"^sp(\d+)\.(.+)$")
_AFTER_TURNS = frozenset({"summary", "facilitator", "moderator"})
DEFINITIONS = {
    "board": "critical path = the longest chain of LLM calls that had to run one after another: "
    "clarify + decompose + per dependency wave its slowest sub-problem (per round: slowest turn "
    "+ summary + facilitator + moderator; then slowest vote + synthesis) + meta-synthesis",
    "overhead": "critical path = the sum over rounds of the slowest call of the round",
}


@dataclass
class SessionOutcome:
    """One session as its event log tells it."""

    status: str
    error: str = ""
    wall_s: float = 0.0
    run_s: float = 0.0
    critical: Chain = _NONE
    llm_calls: int = 0


def step_calls(events: list[dict[str, Any]]) -> dict[str, Chain]:
    """Seconds and calls each workflow step spent on the LLM (retries and repair run in turn)."""
    steps: dict[str, Chain] = {}
    for event in events:
        key = event["data"].get("call_key") if event["type"] == "llm.call" else None
        if key:
            step = key.removesuffix(":repair")
            seconds, calls = steps.get(step, _NONE)
            steps[step] = (seconds + float(event["data"]["latency_s"]), calls + 1)
    return steps


def in_turn(steps: dict[str, Chain], stage_of: Callable[[str], str]) -> Chain:
    """The steps of one stage run at once (the slowest counts); stages run one after another."""
    slowest: dict[str, Chain] = {}
    for step, chain in steps.items():
        stage = stage_of(step)
        slowest[stage] = max(slowest.get(stage, _NONE), chain)
    return sum(c[0] for c in slowest.values()), sum(c[1] for c in slowest.values())


def board_stage(step: str) -> str:
    """The stage of a sub-problem's step (`r2.cfo` -> `r2.turns`): a round's turns run at once,
    and so do the votes; every other step is a stage of its own."""
    head, _, tail = step.partition(".")
    if head == "vote":
        return "vote"
    if head[:1] == "r" and head[1:].isdigit() and tail and tail not in _AFTER_TURNS:
        return f"{head}.turns"
    return step


def board_critical_path(events: list[dict[str, Any]]) -> Chain:
    """Session steps in turn, plus per dependency wave its slowest sub-problem."""
    session: dict[str, Chain] = {}
    parts: dict[int, dict[str, Chain]] = defaultdict(dict)
    for step, chain in step_calls(events).items():
        match = _SUB_STEP.match(step)
        if match:
            parts[int(match[1])][match[2]] = chain
        else:
            session[step] = chain
    subs = {index: in_turn(steps, board_stage) for index, steps in parts.items()}
    decomposed = [e["data"] for e in events if e["type"] == "board.decomposed"]
    waves: list[list[int]] = decomposed[-1].get("waves", []) if decomposed else []
    placed = {index for wave in waves for index in wave}
    waves = [*waves, *([i] for i in sorted(subs) if i not in placed)]
    seconds, calls = in_turn(session, lambda step: step)
    for wave in waves:
        slowest = max((subs[i] for i in wave if i in subs), default=_NONE)
        seconds, calls = seconds + slowest[0], calls + slowest[1]
    return seconds, calls


def overhead_critical_path(events: list[dict[str, Any]]) -> Chain:
    """Rounds in turn (steps `r{round}.p{slot}`), the slowest call of each."""
    return in_turn(step_calls(events), lambda step: step.split(".")[0])


def session_outcome(events: list[dict[str, Any]], kind: Kind) -> SessionOutcome:
    """Status, first error, wall and run time, critical path and calls of one session."""
    first: dict[str, datetime] = {}
    status, error = "unfinished", ""
    for event in events:
        first.setdefault(event["type"], datetime.fromisoformat(event["created_at"]))
        if event["type"] in ("session.completed", "session.failed", "session.cancelled"):
            status = event["type"].removeprefix("session.")
            error = str(event["data"].get("error", ""))
    if status == "unfinished":
        error = f"still running, last event {events[-1]['type']}" if events else "no events"
    done = first.get("session.completed")
    created, started = first.get("session.created"), first.get("session.started")
    path = board_critical_path if kind == "board" else overhead_critical_path
    return SessionOutcome(
        status=status,
        error=error,
        wall_s=(done - created).total_seconds() if done and created else 0.0,
        run_s=(done - started).total_seconds() if done and started else 0.0,
        critical=path(events),
        llm_calls=sum(1 for e in events if e["type"] == "llm.call"),
    )

"""`bench board`: input tokens per contribution by round, and wall time against critical path.

A board on the scripted provider with a set latency, forced to run every round (the facilitator
always continues and no figure can stop it early), over independent sub-problems.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from consensusnet.compose import App
from consensusnet.domain.config import Settings
from consensusnet.domain.events import LLMCalled, SessionCreated, StoredEvent
from consensusnet.domain.llm import LLMRequest
from consensusnet.engine.view import SessionView
from consensusnet.llm.schema_fill import fill_schema
from consensusnet.llm.scripted import FunctionProvider, request_digest

_PERSONA_STEP = re.compile(r"^sp\d+\.(r\d+)\.(?!summary$|facilitator$|moderator$|budget$)[\w-]+$")


class BoardFigures(BaseModel):
    """What `bench board` prints."""

    rounds: int
    sub_problems: int
    experts: int
    calls: int
    tokens_by_round: dict[int, float]
    wall_s: float
    critical_path_s: float

    @property
    def ratio(self) -> float:
        """Wall time over critical path; 1.00 is the physical limit."""
        return self.wall_s / self.critical_path_s if self.critical_path_s else float("inf")

    @property
    def growth(self) -> float:
        """Last round's tokens per contribution over round 2's (1.0 is flat)."""
        second = self.tokens_by_round.get(2)
        last = self.tokens_by_round.get(max(self.tokens_by_round, default=0))
        return (last or 0.0) / second if second else 1.0


def stage_of(call_key: str) -> str:
    """The sequential stage a call belongs to; calls of one stage run concurrently."""
    parts = call_key.split(".")
    if not parts[0].startswith("sp") or len(parts) < 2:
        return call_key
    if parts[1] == "vote":
        return "vote"
    if len(parts) >= 3 and _PERSONA_STEP.match(call_key):
        return f"{parts[1]}.turns"
    return ".".join(parts[1:])


def critical_path(events: list[StoredEvent]) -> float:
    """Sum over sequential stages of the slowest call in each."""
    slowest: dict[str, float] = defaultdict(float)
    for stored in events:
        event = stored.event
        if isinstance(event, LLMCalled) and event.ok and event.call_key:
            stage = stage_of(event.call_key)
            slowest[stage] = max(slowest[stage], event.latency_s)
    return sum(slowest.values())


def tokens_by_round(view: SessionView) -> dict[int, float]:
    """Mean input tokens per contribution, by round, across sub-problems."""
    totals: dict[int, list[int]] = defaultdict(list)
    for sub in view.board.sub_problems if view.board else []:
        for rnd in sub.rounds:
            totals[rnd.round] += [c.input_tokens for c in rnd.contributions]
    return {r: round(sum(v) / len(v), 1) for r, v in sorted(totals.items()) if v}


def _answer(parts: int) -> Any:
    def answer(request: LLMRequest) -> Any:
        if request.schema_name == "FacilitatorOut":
            return {"decision": "continue", "moderator": "none", "reason": "benchmark"}
        if request.schema_name.startswith("Decomposition"):
            return {
                "sub_problems": [
                    {
                        "title": f"Part {n}",
                        "question": f"What should part {n} decide?",
                        "domains": ["strategy"],
                        "options": ["Go", "Wait"],
                        "depends_on": [],
                    }
                    for n in range(1, parts + 1)
                ]
            }
        if request.schema_name == "ClarifierOut":
            return {"questions": []}
        assert request.response_schema is not None
        return fill_schema(request.response_schema, request_digest(request))

    return answer


async def measure(rounds: int, parts: int, experts: int, latency: float) -> BoardFigures:
    """Run one forced-length board and read its figures from the event log."""
    data_dir = Path(tempfile.mkdtemp(prefix="consensusnet-bench-board-"))
    settings = Settings(
        data_dir=data_dir, database_url=None, provider="scripted", model=None, fallbacks=[],
        runtime="memory",
    )  # fmt: skip
    provider = FunctionProvider(_answer(parts), ttft=latency)
    app = App(settings, providers={"scripted": provider})
    rules = {"convergence_at": 1.0, "novelty_below": 0.0, "stall_delta": 0.0, "conflict_at": 1.0}
    try:
        services = await app.start()
        started = time.perf_counter()
        session_id = await app.create_session(
            SessionCreated(
                kind="board",
                title="bench board",
                input={"question": "Should we launch the new product line this year?"},
                options={
                    "experts": experts,
                    "max_rounds": rounds,
                    "max_subproblems": parts,
                    "rules": rules,
                },
            )
        )
        await app.runtime.wait(session_id)
        wall = time.perf_counter() - started
        events = await services.log.events(session_id)
        view = await services.log.view(session_id)
    finally:
        await app.close()
    return BoardFigures(
        rounds=rounds,
        sub_problems=parts,
        experts=experts,
        calls=view.llm.calls,
        tokens_by_round=tokens_by_round(view),
        wall_s=round(wall, 4),
        critical_path_s=round(critical_path(events), 4),
    )


def print_figures(figures: BoardFigures, console: Console) -> None:
    """Two tables: tokens by round, then wall time against critical path."""
    tokens = Table(title="Input tokens per contribution, by round")
    tokens.add_column("round")
    tokens.add_column("mean input tokens")
    for round_no, value in figures.tokens_by_round.items():
        tokens.add_row(str(round_no), f"{value:.1f}")
    console.print(tokens)
    console.print(f"Last round / round 2: {figures.growth:.2f} (flat is 1.00; bounded context)")
    timing = Table(title="Wall time against critical path")
    for column in (
        "sub-problems x experts",
        "rounds",
        "LLM calls",
        "wall s",
        "critical s",
        "ratio",
    ):
        timing.add_column(column)
    timing.add_row(
        f"{figures.sub_problems} x {figures.experts}",
        str(figures.rounds),
        str(figures.calls),
        f"{figures.wall_s:.3f}",
        f"{figures.critical_path_s:.3f}",
        f"{figures.ratio:.3f}",
    )
    console.print(timing)


def register(bench_app: typer.Typer) -> None:
    """Add `bench board` to the bench command group."""

    @bench_app.command("board")
    def board(
        rounds: Annotated[int, typer.Option("--rounds", "-k", min=2, max=20)] = 6,
        parts: Annotated[int, typer.Option("--subproblems", min=1, max=4)] = 2,
        experts: Annotated[int, typer.Option(min=2, max=5)] = 3,
        latency: Annotated[float, typer.Option(min=0.0, help="Seconds per scripted call.")] = 0.2,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
    ) -> None:
        """A forced-length board on the scripted provider: tokens by round, wall vs critical."""
        figures = asyncio.run(measure(rounds, parts, experts, latency))
        if as_json:
            data = {**figures.model_dump(), "ratio": round(figures.ratio, 4)}
            typer.echo(json.dumps({**data, "growth": round(figures.growth, 4)}))
            return
        print_figures(figures, Console())

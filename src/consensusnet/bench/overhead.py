"""Engine overhead: K sequential rounds of P parallel LLM calls against the critical path."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel

from consensusnet.compose import Services
from consensusnet.domain.events import LLMCalled, StoredEvent
from consensusnet.domain.llm import LLMRequest, Message
from consensusnet.engine.runtime import Workflow, WorkflowContext
from consensusnet.llm.gateway import CallContext

KIND = "bench.overhead"


def build_overhead_workflow(services: Services, payload: dict[str, Any]) -> Workflow:
    """A workflow of `rounds` sequential rounds, each `parallel` concurrent LLM steps."""
    rounds = int(payload["input"]["rounds"])
    parallel = int(payload["input"]["parallel"])

    async def call(ctx: WorkflowContext, round_no: int, slot: int) -> str:
        key = f"r{round_no}.p{slot}"
        request = LLMRequest(
            messages=[Message(role="user", content=f"Round {round_no}, voice {slot}: go on.")],
            max_tokens=32,
        )
        call_ctx = CallContext(role="persona", session_id=ctx.session_id, call_key=key)

        async def run() -> str:
            return (await services.gateway.complete(request, call_ctx)).text

        return await ctx.step(key, run)

    async def workflow(ctx: WorkflowContext) -> dict[str, Any]:
        for round_no in range(rounds):
            await asyncio.gather(*(call(ctx, round_no, slot) for slot in range(parallel)))
        return {"rounds": rounds, "parallel": parallel}

    return workflow


class OverheadFigures(BaseModel):
    """What `bench overhead` prints."""

    rounds: int
    parallel: int
    calls: int
    wall_s: float
    critical_path_s: float

    @property
    def ratio(self) -> float:
        """Wall time over critical path; 1.00 is the physical limit."""
        return self.wall_s / self.critical_path_s if self.critical_path_s else float("inf")


def critical_path(events: list[StoredEvent]) -> float:
    """Sum over rounds of the slowest call in each round (calls keyed `r{round}.p{slot}`)."""
    slowest: dict[str, float] = {}
    for stored in events:
        event = stored.event
        if isinstance(event, LLMCalled) and event.ok and event.call_key:
            round_key = event.call_key.split(".")[0]
            slowest[round_key] = max(slowest.get(round_key, 0.0), event.latency_s)
    return sum(slowest.values())

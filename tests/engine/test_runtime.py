"""The in-memory runtime and the session runner: steps replay, names stay unique, errors fail."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from consensusnet.compose import App, Services
from consensusnet.domain.config import Settings
from consensusnet.domain.errors import ConsensusNetError
from consensusnet.domain.events import SessionCreated
from consensusnet.engine.runtime import DuplicateStepError, InMemoryRuntime, Workflow
from consensusnet.engine.runtime import WorkflowContext as Ctx


async def test_a_second_runtime_with_the_same_memory_replays_finished_steps(
    settings: Settings,
) -> None:
    runs: list[str] = []
    gate = asyncio.Event()
    in_second = asyncio.Event()

    def build(services: Services, payload: dict[str, Any]) -> Workflow:
        async def workflow(ctx: Ctx) -> dict[str, Any]:
            async def first() -> str:
                runs.append("first")
                return "one"

            async def second() -> str:
                in_second.set()
                await gate.wait()
                runs.append("second")
                return "two"

            return {"out": [await ctx.step("a", first), await ctx.step("b", second)]}

        return workflow

    memory: dict[tuple[str, str], Any] = {}
    app = App(settings, runtime=InMemoryRuntime(memory))
    app.register_workflow("demo", build)
    await app.start()
    sid = await app.create_session(SessionCreated(kind="demo", title="t"))
    await asyncio.wait_for(in_second.wait(), 10)
    assert (sid, "a") in memory
    await app.runtime.pause(sid)  # the "crash": step b never finished

    resumed = App(settings, runtime=InMemoryRuntime(memory))
    resumed.register_workflow("demo", build)
    await resumed.start()
    gate.set()
    await resumed.runtime.start("demo", sid)
    await resumed.runtime.wait(sid, timeout=10)
    view = await (await resumed.services()).log.view(sid)
    assert runs == ["first", "second"]
    assert view.status == "completed"
    assert view.result == {"out": ["one", "two"]}
    await resumed.close()
    await app.close()


async def test_a_reused_step_name_is_a_bug_the_runtime_reports(settings: Settings) -> None:
    def build(services: Services, payload: dict[str, Any]) -> Workflow:
        async def workflow(ctx: Ctx) -> dict[str, Any]:
            async def noop() -> int:
                return 1

            await ctx.step("same", noop)
            await ctx.step("same", noop)
            return {}

        return workflow

    app = App(settings)
    app.register_workflow("dup", build)
    await app.start()
    sid = await app.create_session(SessionCreated(kind="dup", title="t"))
    with pytest.raises(DuplicateStepError):
        await app.runtime.wait(sid, timeout=10)
    await app.close()


async def test_a_domain_error_fails_the_session_with_its_message_and_hint(
    settings: Settings,
) -> None:
    def build(services: Services, payload: dict[str, Any]) -> Workflow:
        async def workflow(ctx: Ctx) -> dict[str, Any]:
            raise ConsensusNetError("The budget is too small.", hint="Raise --budget-usd.")

        return workflow

    app = App(settings)
    app.register_workflow("fails", build)
    services = await app.start()
    sid = await app.create_session(SessionCreated(kind="fails", title="t", input={"x": 1}))
    await app.runtime.wait(sid, timeout=10)
    view = await services.log.view(sid)
    assert (view.status, view.error, view.hint) == (
        "failed",
        "The budget is too small.",
        "Raise --budget-usd.",
    )
    assert view.input == {"x": 1}
    await app.close()

"""The durable runtime port, the in-memory runtime for unit tests, and the session runner.

A workflow is a plain async function of a WorkflowContext. Everything nondeterministic (an LLM
call, a retrieval, the clock, randomness) runs inside `ctx.step(name, fn)`: a finished step's
result is kept, and a workflow re-run after a crash gets the kept result instead of running the
step again. Step names must be unique within one run of a workflow.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

from consensusnet.domain.errors import ConsensusNetError
from consensusnet.domain.events import Event, SessionCompleted, SessionFailed, SessionStarted
from consensusnet.engine.sessions import SessionLog

R = TypeVar("R")


class WorkflowContext(Protocol):
    """What a running workflow may do that is not pure computation."""

    session_id: str

    async def step(self, name: str, fn: Callable[[], Awaitable[R]]) -> R: ...


Workflow = Callable[[WorkflowContext], Awaitable[dict[str, Any]]]
Runner = Callable[[WorkflowContext], Coroutine[Any, Any, None]]


class Runtime(Protocol):
    """Starts sessions durably and runs their workflows to the end, across crashes."""

    name: str

    def register(self, kind: str, runner: Runner) -> None: ...

    async def launch(self) -> None: ...

    async def exists(self, session_id: str) -> bool: ...

    async def start(self, kind: str, session_id: str) -> None: ...

    async def wait(self, session_id: str, timeout: float | None = None) -> None: ...

    async def pause(self, session_id: str) -> None: ...

    async def resume(self, session_id: str) -> None: ...

    async def shutdown(self) -> None: ...


# What a step returns when its own commit already marked it finished (see `record`).
ALREADY_KEPT = object()


async def record(ctx: WorkflowContext, log: SessionLog, step_name: str, *events: Event) -> None:
    """Append events inside a step, so a replayed workflow never appends them twice.

    The events and the step's mark go in one commit: a crash can lose both, never only one.
    """

    async def append() -> object:
        await log.append(ctx.session_id, *events, step=step_name)
        return ALREADY_KEPT

    await ctx.step(step_name, append)


class DuplicateStepError(RuntimeError):
    """A workflow used one step name twice in a run: its replay would be ambiguous."""


async def run_session(
    ctx: WorkflowContext, log: SessionLog, workflow: Workflow, runtime_name: str
) -> None:
    """Run a session's workflow between its lifecycle events."""
    await log.append(ctx.session_id, SessionStarted(runtime=runtime_name))
    try:
        result = await workflow(ctx)
    except ConsensusNetError as error:
        await record(ctx, log, "session.failed", SessionFailed(error=str(error), hint=error.hint))
        return
    except Exception as error:
        # An unexpected error must not leave the session "running" for ever.
        failed = SessionFailed(
            error=f"Internal error: {type(error).__name__}: {error}",
            hint="The session events show how far it got; please report this error.",
        )
        with contextlib.suppress(Exception):
            await record(ctx, log, "session.failed", failed)
        raise
    await record(ctx, log, "session.completed", SessionCompleted(result=result))


class MemoryContext:
    """A workflow context whose step results live in a dict shared across 'restarts'."""

    def __init__(self, session_id: str, memory: dict[tuple[str, str], Any]) -> None:
        self.session_id = session_id
        self._memory = memory
        self._seen: set[str] = set()

    async def step(self, name: str, fn: Callable[[], Awaitable[R]]) -> R:
        if name in self._seen:
            raise DuplicateStepError(f"Step name {name!r} used twice in one run.")
        self._seen.add(name)
        key = (self.session_id, name)
        if key in self._memory:
            return self._memory[key]  # type: ignore[no-any-return]
        result = await fn()
        self._memory[key] = result
        return result


class StepRepository(Protocol):
    """Where finished steps' results are kept by name (implemented by the event store)."""

    async def step_names(self, session_id: str) -> set[str]: ...

    async def get_step(self, session_id: str, name: str) -> tuple[bool, Any]: ...

    async def put_step(self, session_id: str, name: str, value: Any) -> None: ...


class StoredStepContext:
    """A workflow context whose step results are kept in the database, found again by name.

    Matching by name, not by position, is what makes concurrent branches safe to replay: two
    sub-problems debated at once reach their steps in a different order on every run.
    The names of the steps finished before this run are read once, so a step that never ran
    costs no read; only a replayed step reads its result back.
    """

    def __init__(self, session_id: str, steps: StepRepository) -> None:
        self.session_id = session_id
        self._steps = steps
        self._seen: set[str] = set()
        self._finished: set[str] | None = None
        self._loading = asyncio.Lock()

    async def _finished_before(self) -> set[str]:
        async with self._loading:
            if self._finished is None:
                self._finished = await self._steps.step_names(self.session_id)
        return self._finished

    async def step(self, name: str, fn: Callable[[], Awaitable[R]]) -> R:
        if name in self._seen:
            raise DuplicateStepError(f"Step name {name!r} used twice in one run.")
        self._seen.add(name)
        if name in await self._finished_before():
            found, value = await self._steps.get_step(self.session_id, name)
            if found:
                return value  # type: ignore[no-any-return]
        result = await fn()
        if result is not ALREADY_KEPT:
            await self._steps.put_step(self.session_id, name, result)
        return result


class InMemoryRuntime:
    """Runs workflows as asyncio tasks; pass the same `memory` to a new instance to 'resume'."""

    name = "memory"

    def __init__(self, memory: dict[tuple[str, str], Any] | None = None) -> None:
        self.memory: dict[tuple[str, str], Any] = memory if memory is not None else {}
        self._runners: dict[str, Runner] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._kinds: dict[str, str] = {}

    def register(self, kind: str, runner: Runner) -> None:
        self._runners[kind] = runner

    async def exists(self, session_id: str) -> bool:
        return session_id in self._tasks

    async def launch(self) -> None:
        return None

    async def start(self, kind: str, session_id: str) -> None:
        if session_id in self._tasks and not self._tasks[session_id].done():
            return
        ctx = MemoryContext(session_id, self.memory)
        self._kinds[session_id] = kind
        self._tasks[session_id] = asyncio.create_task(self._runners[kind](ctx))

    async def wait(self, session_id: str, timeout: float | None = None) -> None:
        await asyncio.wait_for(asyncio.shield(self._tasks[session_id]), timeout)

    async def pause(self, session_id: str) -> None:
        task = self._tasks.get(session_id)
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def resume(self, session_id: str) -> None:
        task = self._tasks.pop(session_id, None)
        if task is None:
            raise KeyError(session_id)
        kind = self._kinds[session_id]
        await self.start(kind, session_id)

    async def shutdown(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

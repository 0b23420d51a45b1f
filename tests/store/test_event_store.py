"""The event log on SQLite and PostgreSQL: gap-free sequences, index columns, keys."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from consensusnet.domain.errors import NotFoundError
from consensusnet.domain.events import LLMCalled, SessionCompleted, SessionCreated, SessionStarted
from consensusnet.domain.llm import Usage
from consensusnet.engine.sessions import EventLedger, SessionLog
from consensusnet.llm.gateway import CallRecord
from consensusnet.store.events import EventStore


@pytest.fixture
def log(engine) -> SessionLog:  # type: ignore[no-untyped-def]
    return SessionLog(EventStore(engine))


async def test_concurrent_appends_get_gap_free_sequence_numbers(log: SessionLog) -> None:
    sid = await log.create(SessionCreated(kind="board", title="t"))
    await asyncio.gather(*(log.append(sid, SessionStarted(runtime=f"r{i}")) for i in range(20)))
    seqs = [e.seq for e in await log.events(sid)]
    assert seqs == list(range(1, 22))


async def test_index_columns_follow_events_in_the_same_commit(log: SessionLog) -> None:
    sid = await log.create(SessionCreated(kind="verify", title="claim", owner="u1"))
    call = LLMCalled(
        role="verifier",
        provider="openai",
        model="gpt-4o-mini",
        usage=Usage(input_tokens=100, output_tokens=20),
        cost_usd=0.25,
    )
    await log.append(sid, SessionStarted(), call, call)
    await log.append(sid, SessionCompleted(result={"verdict": "SUPPORTED"}))
    row = await log.store.get_session(sid)
    assert (row.status, row.llm_calls, row.input_tokens, row.output_tokens) == (
        "completed",
        2,
        200,
        40,
    )
    assert row.cost_usd == pytest.approx(0.5)
    view = await log.view(sid)
    assert view.status == "completed"
    assert view.llm.calls == 2
    assert view.llm.cost_usd == pytest.approx(row.cost_usd)
    assert view.result == {"verdict": "SUPPORTED"}


async def test_reading_after_a_sequence_number_returns_only_newer_events(log: SessionLog) -> None:
    sid = await log.create(SessionCreated(kind="board", title="t"))
    await log.append(sid, SessionStarted(), SessionCompleted())
    assert [e.event.type for e in await log.events(sid, after=1)] == [
        "session.started",
        "session.completed",
    ]
    assert [e.seq for e in await log.events(sid, after=2, limit=5)] == [3]


async def test_unknown_session_is_a_clear_not_found(log: SessionLog) -> None:
    with pytest.raises(NotFoundError, match="No session"):
        await log.append("nope", SessionStarted())
    with pytest.raises(NotFoundError):
        await log.view("nope")


async def test_ledger_lookup_finds_a_recorded_call_by_key(log: SessionLog) -> None:
    sid = await log.create(SessionCreated(kind="board", title="t"))
    ledger = EventLedger(log)
    assert await ledger.lookup(sid, "r0.p0") is None
    await ledger.record(
        CallRecord(
            session_id=sid,
            call_key="r0.p0",
            role="persona",
            provider="scripted",
            model="m",
            output="hello",
        )
    )
    found = await ledger.lookup(sid, "r0.p0")
    assert found is not None
    assert found.output == "hello"


async def test_sessions_list_filters_and_pages(log: SessionLog) -> None:
    for index in range(5):
        kind = "board" if index % 2 else "verify"
        await log.create(SessionCreated(kind=kind, title=f"s{index}"))
    rows, total = await log.store.list_sessions(kind="verify", limit=2)
    assert total == 3
    assert len(rows) == 2
    assert {row.kind for row in rows} == {"verify"}


async def test_a_failing_append_does_not_fail_the_appends_committed_with_it(
    log: SessionLog,
) -> None:
    sid = await log.create(SessionCreated(kind="board", title="t"))
    results = await asyncio.gather(
        log.append(sid, SessionStarted()),
        log.append("missing", SessionStarted()),
        log.append(sid, SessionCompleted()),
        return_exceptions=True,
    )
    assert isinstance(results[1], NotFoundError)
    assert [e.event.type for e in await log.events(sid)] == [
        "session.created",
        "session.started",
        "session.completed",
    ]


async def test_stored_steps_replay_by_name_whatever_order_concurrent_branches_take(
    log: SessionLog,
) -> None:
    from consensusnet.engine.runtime import StoredStepContext

    store = log.store
    sid = await log.create(SessionCreated(kind="board", title="t"))
    calls: list[str] = []

    async def branch(ctx: StoredStepContext, name: str, delay: float) -> list[str]:
        results = []
        for index in range(2):
            await asyncio.sleep(delay)

            async def work(label: str = f"{name}.{index}") -> str:
                calls.append(label)
                return label.upper()

            results.append(await ctx.step(f"{name}.{index}", work))
        return results

    first = StoredStepContext(sid, store)  # type: ignore[arg-type]
    assert await asyncio.gather(branch(first, "a", 0.0), branch(first, "b", 0.02)) == [
        ["A.0", "A.1"],
        ["B.0", "B.1"],
    ]
    # The replay reaches the steps in the opposite order; names still find their results.
    replay = StoredStepContext(sid, store)  # type: ignore[arg-type]
    again = await asyncio.gather(branch(replay, "a", 0.02), branch(replay, "b", 0.0))
    assert again == [["A.0", "A.1"], ["B.0", "B.1"]]
    assert sorted(calls) == ["a.0", "a.1", "b.0", "b.1"]


async def test_recorded_events_and_their_step_commit_together(log: SessionLog) -> None:
    """A crash after a record step's events commit cannot make its replay append them again."""
    from consensusnet.engine.runtime import StoredStepContext, record

    class CrashBeforeStepIsKept(EventStore):
        async def put_step(self, session_id: str, name: str, value: object) -> None:
            raise SystemExit("the worker died here")

    store = log.store
    assert isinstance(store, EventStore)
    sid = await log.create(SessionCreated(kind="board", title="t"))
    dying = StoredStepContext(sid, CrashBeforeStepIsKept(store.engine))
    with contextlib.suppress(SystemExit):  # the events' own commit marks the step: no crash
        await record(dying, log, "round1.event", SessionStarted(runtime="memory"))

    replay = StoredStepContext(sid, store)
    await record(replay, log, "round1.event", SessionStarted(runtime="memory"))
    types = [stored.event.type for stored in await log.events(sid)]
    assert types == ["session.created", "session.started"]

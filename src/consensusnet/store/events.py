"""The event log and the sessions index: append-only in code, one transaction per append."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from consensusnet.domain.errors import NotFoundError
from consensusnet.domain.records import IndexUpdate, RawEvent, SessionRow, StoredRow
from consensusnet.store.tables import events, llm_usage, sessions, step_results

T = TypeVar("T")


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class GroupCommit:
    """Runs queued write jobs in shared transactions, one at a time (SQLite's single writer)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._pending: list[tuple[Callable[[AsyncConnection], Awaitable[Any]], asyncio.Future[Any]]]
        self._pending = []
        self._runner: asyncio.Task[None] | None = None

    async def submit(self, job: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Queue `job(conn)`; it commits with whatever else is queued by then."""
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((job, done))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.ensure_future(self._run())
        return await done

    async def _run(self) -> None:
        while self._pending:
            jobs, self._pending = self._pending, []
            try:
                async with self.engine.begin() as conn:
                    results = [await job(conn) for job, _ in jobs]
            except Exception:
                # One failing job must not fail the jobs it was batched with: run each alone.
                await self._one_by_one(jobs)
                continue
            for (_, done), result in zip(jobs, results, strict=True):
                if not done.done():
                    done.set_result(result)

    async def _one_by_one(
        self, jobs: list[tuple[Callable[[AsyncConnection], Awaitable[Any]], asyncio.Future[Any]]]
    ) -> None:
        for job, done in jobs:
            try:
                async with self.engine.begin() as conn:
                    result = await job(conn)
            except Exception as error:
                if not done.done():
                    done.set_exception(error)
            else:
                if not done.done():
                    done.set_result(result)


class EventStore:
    """Appends events with gap-free per-session sequence numbers and reads them back."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._writes: set[asyncio.Future[list[StoredRow]]] = set()
        # SQLite allows one writer: writes queue here and commit together, which beats letting
        # them collide in SQLite's busy handler. PostgreSQL writers run side by side.
        self._group = GroupCommit(engine) if engine.dialect.name == "sqlite" else None

    async def _transaction(self, job: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        if self._group is not None:
            return await self._group.submit(job)
        async with self.engine.begin() as conn:
            return await job(conn)

    async def create_session(
        self,
        session_id: str,
        *,
        kind: str,
        title: str,
        owner: str | None,
        first: RawEvent,
        status: str = "pending",
    ) -> StoredRow:
        """Insert the index row and event 1 in one transaction."""
        now = _now()

        async def write(conn: AsyncConnection) -> None:
            await conn.execute(
                insert(sessions).values(
                    id=session_id,
                    owner=owner,
                    kind=kind,
                    status=status,
                    title=title,
                    created_at=now,
                    updated_at=now,
                    last_seq=1,
                )
            )
            await conn.execute(
                insert(events).values(
                    session_id=session_id,
                    seq=1,
                    type=first.type,
                    v=first.v,
                    key=first.key,
                    data=first.data,
                    created_at=now,
                )
            )

        await self._transaction(write)
        return StoredRow(
            session_id=session_id,
            seq=1,
            type=first.type,
            v=first.v,
            key=first.key,
            data=first.data,
            created_at=now,
        )

    async def append(
        self,
        session_id: str,
        batch: list[RawEvent],
        index: IndexUpdate | None = None,
        *,
        step: str | None = None,
    ) -> list[StoredRow]:
        """Append events after the session's last one; the index row changes in the same commit.

        With `step`, that workflow step is marked finished in the same commit too: a replay
        finds either both the events and the step, or neither, so it never appends them twice.
        The write is shielded: cancelling the caller (a pause, a kill) never leaves a database
        connection mid-transaction, which SQLite would otherwise hold locked.
        """
        if not batch:
            return []
        write = asyncio.ensure_future(self._append(session_id, batch, index, step))
        self._writes.add(write)
        write.add_done_callback(self._writes.discard)
        return await asyncio.shield(write)

    async def drain(self) -> None:
        """Wait for writes whose callers were cancelled; call before disposing the engine."""
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    async def _append(
        self, session_id: str, batch: list[RawEvent], index: IndexUpdate | None, step: str | None
    ) -> list[StoredRow]:
        index = index or IndexUpdate()
        now = _now()
        values: dict[str, Any] = {
            "last_seq": sessions.c.last_seq + len(batch),
            "updated_at": now,
            "cost_usd": sessions.c.cost_usd + index.cost_usd,
            "input_tokens": sessions.c.input_tokens + index.input_tokens,
            "output_tokens": sessions.c.output_tokens + index.output_tokens,
            "llm_calls": sessions.c.llm_calls + index.llm_calls,
        }
        if index.status:
            values["status"] = index.status
        if index.title:
            values["title"] = index.title

        async def write(conn: AsyncConnection) -> list[dict[str, Any]]:
            # The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) first, so
            # concurrent appends to one session serialize and sequence numbers never collide.
            result = await conn.execute(
                update(sessions)
                .where(sessions.c.id == session_id)
                .values(**values)
                .returning(sessions.c.last_seq)
            )
            last = result.scalar_one_or_none()
            if last is None:
                raise NotFoundError(f"No session {session_id!r}.")
            first_seq = last - len(batch) + 1
            rows = [
                {
                    "session_id": session_id,
                    "seq": first_seq + offset,
                    "type": item.type,
                    "v": item.v,
                    "key": item.key,
                    "data": item.data,
                    "created_at": now,
                }
                for offset, item in enumerate(batch)
            ]
            await conn.execute(insert(events), rows)
            if index.models:
                await _add_usage(conn, session_id, index)
            if step is not None:
                await conn.execute(_keep_step(conn, session_id, step, None, now))
            return rows

        rows = await self._transaction(write)
        return [StoredRow(**row) for row in rows]

    async def step_names(self, session_id: str) -> set[str]:
        """The names of the steps this session has finished so far."""
        query = select(step_results.c.name).where(step_results.c.session_id == session_id)
        async with self.engine.connect() as conn:
            return set((await conn.execute(query)).scalars())

    async def get_step(self, session_id: str, name: str) -> tuple[bool, Any]:
        """(True, result) if the named step already finished in this session, else (False, None)."""
        query = select(step_results.c.value).where(
            step_results.c.session_id == session_id, step_results.c.name == name
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        # Only ConsensusNet's own step results are stored here, never data from outside.
        return (True, pickle.loads(row[0])) if row else (False, None)

    async def put_step(self, session_id: str, name: str, value: Any) -> None:
        """Keep a finished step's result (once: a step its events already marked stays as is)."""

        async def write(conn: AsyncConnection) -> None:
            await conn.execute(_keep_step(conn, session_id, name, value, _now()))

        await asyncio.shield(self._transaction(write))

    async def read(
        self, session_id: str, *, after: int = 0, limit: int | None = None
    ) -> list[StoredRow]:
        """Events with seq > `after`, in order."""
        query = (
            select(events)
            .where(events.c.session_id == session_id, events.c.seq > after)
            .order_by(events.c.seq)
        )
        if limit is not None:
            query = query.limit(limit)
        async with self.engine.connect() as conn:
            result = await conn.execute(query)
            return [_row(row._mapping) for row in result]

    async def find_by_key(self, session_id: str, event_type: str, key: str) -> StoredRow | None:
        """The latest event of a type carrying an idempotency key, if any."""
        query = (
            select(events)
            .where(
                events.c.session_id == session_id,
                events.c.key == key,
                events.c.type == event_type,
            )
            .order_by(events.c.seq.desc())
            .limit(1)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return _row(row._mapping) if row else None

    async def get_session(self, session_id: str) -> SessionRow:
        """One session's index row, or NotFoundError."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(sessions).where(sessions.c.id == session_id))).first()
        if row is None:
            raise NotFoundError(
                f"No session {session_id!r}.", hint="`consensusnet sessions list` shows them."
            )
        return _session(row._mapping)

    async def find_sessions(self, prefix: str) -> list[str]:
        """Ids starting with `prefix` (so people can type a short id)."""
        query = select(sessions.c.id).where(sessions.c.id.startswith(prefix)).limit(5)
        async with self.engine.connect() as conn:
            return [row[0] for row in await conn.execute(query)]

    async def list_sessions(
        self,
        *,
        kind: str | None = None,
        status: str | None = None,
        owner: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[SessionRow], int]:
        """A page of sessions, newest first, and the total that match."""
        conditions = []
        if kind:
            conditions.append(sessions.c.kind == kind)
        if status:
            conditions.append(sessions.c.status == status)
        if owner:
            conditions.append(sessions.c.owner == owner)
        query = select(sessions).where(*conditions)
        count = select(func.count()).select_from(sessions).where(*conditions)
        page = query.order_by(sessions.c.created_at.desc()).limit(limit).offset(offset)
        async with self.engine.connect() as conn:
            total = (await conn.execute(count)).scalar_one()
            rows = [_session(row._mapping) for row in await conn.execute(page)]
        return rows, int(total)


def _row(mapping: Any) -> StoredRow:
    return StoredRow(
        session_id=mapping["session_id"],
        seq=mapping["seq"],
        type=mapping["type"],
        v=mapping["v"],
        key=mapping["key"],
        data=mapping["data"],
        created_at=_aware(mapping["created_at"]),
    )


def _session(mapping: Any) -> SessionRow:
    data = dict(mapping)
    data["created_at"] = _aware(data["created_at"])
    data["updated_at"] = _aware(data["updated_at"])
    return SessionRow(**data)


async def _add_usage(conn: AsyncConnection, session_id: str, index: IndexUpdate) -> None:
    """Add an append's successful calls to the session's per-model sums."""
    upsert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(llm_usage)
    for usage in index.models:
        added = {
            "calls": usage.calls,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cost_usd": usage.cost_usd,
            "latency_s": usage.latency_s,
        }
        statement = upsert.values(
            session_id=session_id, provider=usage.provider, model=usage.model, **added
        )
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=["session_id", "provider", "model"],
                set_={name: getattr(llm_usage.c, name) + value for name, value in added.items()},
            )
        )


def _keep_step(conn: AsyncConnection, session_id: str, name: str, value: Any, now: datetime) -> Any:
    """INSERT a finished step's result, or nothing when the step is already kept."""
    insert_ = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    return (
        insert_(step_results)
        .values(session_id=session_id, name=name, value=pickle.dumps(value), created_at=now)
        .on_conflict_do_nothing(index_elements=["session_id", "name"])
    )

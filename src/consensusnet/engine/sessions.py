"""Typed access to session logs: append events, read them back, fold views, wait for news."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from typing import Protocol

from consensusnet.domain.accounts import ModelUsage
from consensusnet.domain.events import (
    TERMINAL_STATUSES,
    Event,
    LLMCalled,
    SessionCreated,
    StoredEvent,
    parse_event,
)
from consensusnet.domain.records import IndexUpdate, RawEvent, SessionRow, StoredRow
from consensusnet.engine.view import SessionView, fold_session
from consensusnet.llm.gateway import CallRecord

STATUS_OF_EVENT = {
    "session.started": "running",
    "session.paused": "paused",
    "session.completed": "completed",
    "session.failed": "failed",
    "session.cancelled": "cancelled",
}


class EventRepository(Protocol):
    """Where session logs persist (implemented by `store.events.EventStore`)."""

    async def create_session(
        self, session_id: str, *, kind: str, title: str, owner: str | None, first: RawEvent
    ) -> StoredRow: ...

    async def append(
        self,
        session_id: str,
        batch: list[RawEvent],
        index: IndexUpdate | None = None,
        *,
        step: str | None = None,
    ) -> list[StoredRow]: ...

    async def read(
        self, session_id: str, *, after: int = 0, limit: int | None = None
    ) -> list[StoredRow]: ...

    async def find_by_key(self, session_id: str, event_type: str, key: str) -> StoredRow | None: ...

    async def get_session(self, session_id: str) -> SessionRow: ...

    async def find_sessions(self, prefix: str) -> list[str]: ...

    async def list_sessions(
        self,
        *,
        kind: str | None = None,
        status: str | None = None,
        owner: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[SessionRow], int]: ...


class Notifier(Protocol):
    """Wakes whoever tails a session when new events land (in-process, or Redis in service)."""

    async def publish(self, session_id: str, seq: int) -> None: ...

    async def wait(self, session_id: str, after: int, timeout: float) -> None: ...


class LocalNotifier:
    """An in-process notifier: an asyncio.Condition per session."""

    def __init__(self) -> None:
        self._latest: dict[str, int] = defaultdict(int)
        self._conditions: dict[str, asyncio.Condition] = {}

    def _condition(self, session_id: str) -> asyncio.Condition:
        if session_id not in self._conditions:
            self._conditions[session_id] = asyncio.Condition()
        return self._conditions[session_id]

    async def publish(self, session_id: str, seq: int) -> None:
        condition = self._condition(session_id)
        async with condition:
            self._latest[session_id] = max(self._latest[session_id], seq)
            condition.notify_all()

    async def wait(self, session_id: str, after: int, timeout: float) -> None:
        condition = self._condition(session_id)
        async with condition:
            try:
                await asyncio.wait_for(
                    condition.wait_for(lambda: self._latest[session_id] > after), timeout
                )
            except TimeoutError:
                return


def new_session_id() -> str:
    """A fresh, URL-safe session id."""
    return uuid.uuid4().hex


def _to_raw(event: Event, key: str | None = None) -> RawEvent:
    data = event.model_dump(mode="json", exclude={"type", "v"})
    return RawEvent(type=event.type, v=event.v, key=key, data=data)


def _index_for(events: list[Event]) -> IndexUpdate:
    update = IndexUpdate()
    models: dict[tuple[str, str], ModelUsage] = {}
    for event in events:
        if event.type in STATUS_OF_EVENT:
            update.status = STATUS_OF_EVENT[event.type]
        if isinstance(event, LLMCalled) and event.ok:
            update.cost_usd += event.cost_usd
            update.input_tokens += event.usage.input_tokens
            update.output_tokens += event.usage.output_tokens
            update.llm_calls += 1
            usage = models.setdefault(
                (event.provider, event.model),
                ModelUsage(
                    provider=event.provider,
                    model=event.model,
                    calls=0,
                    input_tokens=0,
                    output_tokens=0,
                    cost_usd=0.0,
                    latency_s=0.0,
                ),
            )
            usage.calls += 1
            usage.input_tokens += event.usage.input_tokens
            usage.output_tokens += event.usage.output_tokens
            usage.cost_usd += event.cost_usd
            usage.latency_s += event.latency_s
    update.models = list(models.values())
    return update


def to_stored(row: StoredRow) -> StoredEvent:
    """A typed event from a stored row."""
    return StoredEvent(
        session_id=row.session_id,
        seq=row.seq,
        created_at=row.created_at,
        event=parse_event(row.type, row.v, row.data),
    )


class SessionLog:
    """The one place events are written; every view is a fold of what it returns."""

    def __init__(self, store: EventRepository, notifier: Notifier | None = None) -> None:
        self.store = store
        self.notifier: Notifier = notifier or LocalNotifier()

    async def create(self, created: SessionCreated, session_id: str | None = None) -> str:
        """Start a new session log with its `session.created` event; returns the id."""
        session_id = session_id or new_session_id()
        await self.store.create_session(
            session_id,
            kind=created.kind,
            title=created.title,
            owner=created.owner,
            first=_to_raw(created),
        )
        await self.notifier.publish(session_id, 1)
        return session_id

    async def append(
        self, session_id: str, *events: Event, key: str | None = None, step: str | None = None
    ) -> int:
        """Append events in order; returns the last sequence number.

        `step` names the workflow step these events finish, marked in the same commit.
        """
        batch = list(events)
        rows = await self.store.append(
            session_id, [_to_raw(e, key) for e in batch], _index_for(batch), step=step
        )
        await self.notifier.publish(session_id, rows[-1].seq)
        return rows[-1].seq

    async def events(
        self, session_id: str, *, after: int = 0, limit: int | None = None
    ) -> list[StoredEvent]:
        """Typed events with seq > `after`."""
        rows = await self.store.read(session_id, after=after, limit=limit)
        return [to_stored(row) for row in rows]

    async def view(self, session_id: str) -> SessionView:
        """The folded view; raises NotFoundError for an unknown id."""
        await self.store.get_session(session_id)
        return fold_session(session_id, await self.events(session_id))

    async def resolve_id(self, prefix: str) -> str:
        """Accept a full id or a unique prefix of one."""
        matches = await self.store.find_sessions(prefix)
        if prefix in matches or len(matches) == 1:
            return prefix if prefix in matches else matches[0]
        await self.store.get_session(prefix)  # raises NotFoundError with a hint
        return prefix

    async def tail(self, session_id: str, *, after: int = 0, poll: float = 1.0):  # type: ignore[no-untyped-def]
        """Yield events as they land until the session reaches a terminal status."""
        while True:
            batch = await self.events(session_id, after=after)
            for stored in batch:
                after = stored.seq
                yield stored
            if batch and batch[-1].event.type in (
                "session.completed",
                "session.failed",
                "session.cancelled",
            ):
                return
            row = await self.store.get_session(session_id)
            if row.status in TERMINAL_STATUSES and row.last_seq <= after:
                return
            await self.notifier.wait(session_id, after, poll)


class EventLedger:
    """The gateway's ledger, kept as `llm.call` events in each session's log."""

    def __init__(self, log: SessionLog) -> None:
        self.log = log

    async def record(self, record: CallRecord) -> None:
        if record.session_id is None:
            return
        event = LLMCalled(**record.model_dump(exclude={"session_id"}))
        await self.log.append(record.session_id, event, key=record.call_key)

    async def lookup(self, session_id: str, call_key: str) -> CallRecord | None:
        row = await self.log.store.find_by_key(session_id, "llm.call", call_key)
        if row is None:
            return None
        return CallRecord(session_id=session_id, **row.data)

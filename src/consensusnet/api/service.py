"""Session operations on behalf of one caller: ownership checks, then the log and the runtime."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from consensusnet.api.errors import ApiError
from consensusnet.api.schemas import EventOut, EventPage, SessionCreate
from consensusnet.compose import Services
from consensusnet.domain.accounts import User
from consensusnet.domain.errors import NotFoundError
from consensusnet.domain.events import (
    TERMINAL_STATUSES,
    SessionCancelled,
    SessionCreated,
    SessionPaused,
    StoredEvent,
)
from consensusnet.domain.events_board import ClarificationAnswered, Interjection
from consensusnet.domain.records import SessionRow
from consensusnet.engine.view import SessionView
from consensusnet.store.session_admin import SessionAdmin

if TYPE_CHECKING:
    from consensusnet.api.state import ApiState

TERMINAL_EVENTS = frozenset({"session.completed", "session.failed", "session.cancelled"})


def event_out(stored: StoredEvent) -> EventOut:
    """The one mapping from a stored event to its API form (paged JSON and SSE both use it)."""
    return EventOut(
        seq=stored.seq,
        type=stored.event.type,
        created_at=stored.created_at,
        data=stored.event.model_dump(mode="json", exclude={"type", "v"}),
    )


def _title(body: SessionCreate) -> str:
    if body.title:
        return body.title
    for key in ("question", "problem", "text", "prompt"):
        value = body.input.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    return body.kind


class SessionService:
    """What a caller may do with sessions; another user's session does not exist for them."""

    def __init__(self, state: ApiState, services: Services, user: User) -> None:
        self.state = state
        self.app = state.app
        self.services = services
        self.user = user

    async def owned(self, session_id: str) -> SessionRow:
        """The session's index row if the caller may see it, else NotFoundError."""
        try:
            row = await self.services.store.get_session(session_id)
        except NotFoundError:
            row = None
        if row is None or not (self.user.is_admin or row.owner == self.user.id):
            raise NotFoundError(f"No session {session_id!r}.")
        return row

    def _require_runtime(self) -> None:
        if not self.state.runtime_ready:
            raise ApiError(503, "The runtime is starting.", headers={"Retry-After": "2"})

    async def create(self, body: SessionCreate) -> SessionRow:
        """Record a session and start (or enqueue) it."""
        if body.kind not in self.app.kinds:
            raise ApiError(
                422,
                f"Unknown session kind {body.kind!r}.",
                code="validation_error",
                field="kind",
                hint=f"One of: {', '.join(self.app.kinds) or 'none registered'}.",
            )
        self._require_runtime()
        created = SessionCreated(
            kind=body.kind,
            title=_title(body),
            input=body.input,
            options=body.options,
            owner=self.user.id,
        )
        session_id = await self.app.create_session(created)
        return await self.services.store.get_session(session_id)

    async def settle(self, session_id: str, timeout: float) -> SessionView | None:
        """The view once the session ends, or None if it is still going after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            row = await self.owned(session_id)
            if row.status in TERMINAL_STATUSES:
                return await self.services.log.view(session_id)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            await self.services.log.notifier.wait(session_id, row.last_seq, min(remaining, 1.0))

    async def page(
        self, *, kind: str | None, status: str | None, limit: int, offset: int
    ) -> tuple[list[SessionRow], int]:
        """The caller's sessions (everyone's for an admin), newest first."""
        owner = None if self.user.is_admin else self.user.id
        return await self.services.store.list_sessions(
            kind=kind, status=status, owner=owner, limit=limit, offset=offset
        )

    async def view(self, session_id: str) -> SessionView:
        """The folded view."""
        await self.owned(session_id)
        return await self.services.log.view(session_id)

    async def events(self, session_id: str, *, after: int, limit: int) -> EventPage:
        """A page of events after `after`."""
        row = await self.owned(session_id)
        batch = await self.services.log.events(session_id, after=after, limit=limit)
        next_after = batch[-1].seq if batch else after
        done = row.status in TERMINAL_STATUSES and next_after >= row.last_seq
        return EventPage(items=[event_out(e) for e in batch], next_after=next_after, done=done)

    async def pause(self, session_id: str) -> SessionRow:
        """Stop at the next step boundary; `resume` continues from there."""
        row = await self.owned(session_id)
        if row.status not in ("pending", "running"):
            raise ApiError(409, f"A {row.status} session cannot be paused.")
        self._require_runtime()
        await self.app.runtime.pause(session_id)
        await self.services.log.append(session_id, SessionPaused(reason=f"by {self.user.name}"))
        return await self.services.store.get_session(session_id)

    async def resume(self, session_id: str) -> SessionRow:
        """Continue a paused session from its last finished step."""
        row = await self.owned(session_id)
        if row.status != "paused":
            raise ApiError(409, f"A {row.status} session cannot be resumed.")
        self._require_runtime()
        try:
            await self.app.runtime.resume(session_id)
        except KeyError:
            raise ApiError(409, "This session cannot be resumed by this server.") from None
        return await self.services.store.get_session(session_id)

    async def kill(self, session_id: str) -> SessionRow:
        """Cancel for good."""
        row = await self.owned(session_id)
        if row.status in TERMINAL_STATUSES:
            raise ApiError(409, f"The session is already {row.status}.")
        self._require_runtime()
        await self.app.runtime.pause(session_id)
        await self.services.log.append(
            session_id, SessionCancelled(reason=f"killed by {self.user.name}")
        )
        return await self.services.store.get_session(session_id)

    async def answer(self, session_id: str, answers: list[str]) -> SessionRow:
        """Answer a board's clarifying questions; the waiting workflow picks them up."""
        await self.owned(session_id)
        view = await self.services.log.view(session_id)
        if view.board is None or not view.board.awaiting_input:
            raise ApiError(409, "This session is not waiting for answers.")
        asked = len(view.board.clarifications)
        if len(answers) > asked:
            raise ApiError(
                422,
                f"{len(answers)} answers for {asked} questions.",
                code="validation_error",
                field="answers",
            )
        await self.services.log.append(
            session_id, ClarificationAnswered(answers=answers, by=self.user.name)
        )
        return await self.services.store.get_session(session_id)

    async def interject(self, session_id: str, text: str) -> SessionRow:
        """Add a message the next round of a running board must consider."""
        row = await self.owned(session_id)
        if row.kind != "board":
            raise ApiError(409, "Only board sessions take interjections.")
        if row.status in TERMINAL_STATUSES:
            raise ApiError(409, f"The session is already {row.status}.")
        await self.services.log.append(session_id, Interjection(text=text, by=self.user.name))
        return await self.services.store.get_session(session_id)

    async def delete(self, session_id: str) -> None:
        """Cancel if still running, then remove the session and its events."""
        row = await self.owned(session_id)
        if row.status not in TERMINAL_STATUSES:
            self._require_runtime()
            await self.app.runtime.pause(session_id)
        await SessionAdmin(self.services.engine).delete_session(session_id)

"""The fold: a session's events in, its current view out. Everything renders from this."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from consensusnet.domain.events import (
    Event,
    LLMCalled,
    SessionCancelled,
    SessionCompleted,
    SessionCreated,
    SessionFailed,
    SessionPaused,
    SessionStarted,
    StepRecorded,
    StoredEvent,
)
from consensusnet.domain.llm import Usage
from consensusnet.engine.view_board import BOARD_APPLIERS, BoardView
from consensusnet.engine.view_verify import VERIFY_APPLIERS, VerifyView


class LLMTotals(BaseModel):
    """What a session's model calls added up to."""

    calls: int = 0
    failed_calls: int = 0
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    by_role: dict[str, int] = Field(default_factory=dict)
    by_model: dict[str, int] = Field(default_factory=dict)


class SessionView(BaseModel):
    """A session as of its last event."""

    id: str
    kind: str = ""
    title: str = ""
    owner: str | None = None
    status: str = "pending"
    input: dict[str, Any] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_seq: int = 0
    error: str | None = None
    hint: str | None = None
    result: dict[str, Any] = Field(default_factory=dict)
    steps: dict[str, dict[str, Any]] = Field(default_factory=dict)
    llm: LLMTotals = Field(default_factory=LLMTotals)
    board: BoardView | None = None
    verify: VerifyView | None = None


Applier = Callable[[SessionView, Any], None]


def _created(view: SessionView, event: SessionCreated) -> None:
    view.kind, view.title, view.owner = event.kind, event.title, event.owner
    view.input, view.options = event.input, event.options
    view.status = "pending"


def _started(view: SessionView, event: SessionStarted) -> None:
    view.status = "running"


def _paused(view: SessionView, event: SessionPaused) -> None:
    view.status = "paused"


def _completed(view: SessionView, event: SessionCompleted) -> None:
    view.status, view.result = "completed", event.result


def _failed(view: SessionView, event: SessionFailed) -> None:
    view.status, view.error, view.hint = "failed", event.error, event.hint or None


def _cancelled(view: SessionView, event: SessionCancelled) -> None:
    view.status = "cancelled"


def _llm_call(view: SessionView, event: LLMCalled) -> None:
    totals = view.llm
    if not event.ok:
        totals.failed_calls += 1
        return
    totals.calls += 1
    totals.usage = totals.usage + event.usage
    totals.cost_usd = round(totals.cost_usd + event.cost_usd, 8)
    totals.by_role[event.role] = totals.by_role.get(event.role, 0) + 1
    model = f"{event.provider}:{event.model}"
    totals.by_model[model] = totals.by_model.get(model, 0) + 1


def _step(view: SessionView, event: StepRecorded) -> None:
    view.steps[event.name] = event.result


APPLIERS: dict[str, Applier] = {
    "session.created": _created,
    "session.started": _started,
    "session.paused": _paused,
    "session.completed": _completed,
    "session.failed": _failed,
    "session.cancelled": _cancelled,
    "llm.call": _llm_call,
    "step.recorded": _step,
    **BOARD_APPLIERS,
    **VERIFY_APPLIERS,
}


def apply(view: SessionView, stored: StoredEvent) -> SessionView:
    """Apply one event to a view (mutates and returns it)."""
    event: Event = stored.event
    applier = APPLIERS.get(event.type)
    if applier is not None:
        applier(view, event)
    if view.created_at is None:
        view.created_at = stored.created_at
    view.updated_at = stored.created_at
    view.last_seq = stored.seq
    return view


def fold_session(session_id: str, stored_events: Iterable[StoredEvent]) -> SessionView:
    """The view of a session after all of `stored_events`, in order."""
    view = SessionView(id=session_id)
    for stored in stored_events:
        apply(view, stored)
    return view

"""Typed, versioned session events: a pydantic discriminated union on `type`.

Events are facts, appended once and never changed. Add a field with a default to evolve an
event; bump `v` and teach `upcast` when an old shape must be read differently.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

from consensusnet.domain.events_board import BoardEvent
from consensusnet.domain.events_verify import VerifyEvent
from consensusnet.domain.llm import Usage

SessionStatus = Literal[
    "pending", "running", "paused", "awaiting_input", "completed", "failed", "cancelled"
]
TERMINAL_STATUSES: frozenset[str] = frozenset({"completed", "failed", "cancelled"})


class _Event(BaseModel):
    v: int = 1


class SessionCreated(_Event):
    """A session exists: what kind, what the person asked, with which options."""

    type: Literal["session.created"] = "session.created"
    kind: str
    title: str
    input: dict[str, Any] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)
    owner: str | None = None


class SessionStarted(_Event):
    """A runtime picked the session up (again, after a resume or a crash)."""

    type: Literal["session.started"] = "session.started"
    runtime: str = ""


class SessionPaused(_Event):
    """Work stopped at a safe point; `resume` continues it."""

    type: Literal["session.paused"] = "session.paused"
    reason: str = ""


class SessionCompleted(_Event):
    """The workflow finished; `result` is its kind-specific outcome."""

    type: Literal["session.completed"] = "session.completed"
    result: dict[str, Any] = Field(default_factory=dict)


class SessionFailed(_Event):
    """The workflow stopped on an error that a retry will not fix."""

    type: Literal["session.failed"] = "session.failed"
    error: str
    hint: str = ""


class SessionCancelled(_Event):
    """Someone killed the session."""

    type: Literal["session.cancelled"] = "session.cancelled"
    reason: str = ""


class LLMCalled(_Event):
    """One LLM call: who asked, which model answered, what it cost, and what it said."""

    type: Literal["llm.call"] = "llm.call"
    call_key: str | None = None
    role: str
    persona: str | None = None
    provider: str
    model: str
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    latency_s: float = 0.0
    attempts: int = 1
    ok: bool = True
    error: str | None = None
    output: str = ""
    finish_reason: str | None = None


class StepRecorded(_Event):
    """A named workflow step finished with a small JSON result (used by simple workflows)."""

    type: Literal["step.recorded"] = "step.recorded"
    name: str
    result: dict[str, Any] = Field(default_factory=dict)


Event = Annotated[
    SessionCreated
    | SessionStarted
    | SessionPaused
    | SessionCompleted
    | SessionFailed
    | SessionCancelled
    | LLMCalled
    | StepRecorded
    | BoardEvent
    | VerifyEvent,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


class StoredEvent(BaseModel):
    """An event as read back from the log, with its place in the session."""

    session_id: str
    seq: int
    created_at: datetime
    event: Event


def upcast(event_type: str, version: int, data: dict[str, Any]) -> dict[str, Any]:
    """Turn an older stored shape into the current one (no event has a v2 yet)."""
    return data


def parse_event(event_type: str, version: int, data: dict[str, Any]) -> Event:
    """Rebuild a typed event from its stored type, version and data."""
    body = upcast(event_type, version, dict(data))
    body["type"] = event_type
    body["v"] = version
    return EVENT_ADAPTER.validate_python(body)

"""Request and response bodies (separate from tables and from the domain's own types)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from consensusnet.domain.records import SessionRow


class SessionCreate(BaseModel):
    """A new session: its kind, what to work on, and kind-specific options."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=32, examples=["board", "verify"])
    title: str | None = Field(default=None, max_length=500)
    input: dict[str, Any] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)


class SessionSummary(BaseModel):
    """A session's index columns, as lists show them."""

    id: str
    kind: str
    status: str
    title: str
    owner: str | None
    created_at: datetime
    updated_at: datetime
    last_seq: int
    llm_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float

    @classmethod
    def of(cls, row: SessionRow) -> SessionSummary:
        """The summary of an index row."""
        return cls(**row.model_dump())


class SessionPage(BaseModel):
    """One page of sessions, newest first."""

    items: list[SessionSummary]
    total: int
    limit: int
    offset: int


class EventOut(BaseModel):
    """One event of a session's log."""

    seq: int
    type: str
    created_at: datetime
    data: dict[str, Any]


class EventPage(BaseModel):
    """Events after a sequence number; pass `next_after` as `after` to read on."""

    items: list[EventOut]
    next_after: int
    done: bool


class ActionResult(BaseModel):
    """What a pause, resume or kill did."""

    id: str
    status: str


class HealthOut(BaseModel):
    """Liveness."""

    status: Literal["ok"] = "ok"
    version: str


class CheckOut(BaseModel):
    """One readiness check."""

    ok: bool
    detail: str = ""


class ReadyOut(BaseModel):
    """Readiness: every dependency this process needs, checked now."""

    status: Literal["ready", "unavailable"]
    checks: dict[str, CheckOut]


class UserOut(BaseModel):
    """The caller."""

    id: str
    name: str
    is_admin: bool


class UsageOut(BaseModel):
    """Usage and cost of one owner's sessions."""

    owner: str | None
    owner_name: str | None = None
    sessions: int
    llm_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float

"""Request and response bodies (separate from tables and from the domain's own types)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from consensusnet.api.errors import ErrorBody
from consensusnet.domain.records import SessionRow
from consensusnet.personas.models import Persona


class SessionCreate(BaseModel):
    """A new session: its kind, what to work on, and kind-specific options."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=32, examples=["board", "verify"])
    title: str | None = Field(default=None, max_length=500)
    input: dict[str, Any] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)


class AnswersIn(BaseModel):
    """Answers to a board's clarifying questions, in the order they were asked."""

    model_config = ConfigDict(extra="forbid")

    answers: list[Annotated[str, Field(max_length=2000)]] = Field(min_length=1, max_length=3)


class InterjectionIn(BaseModel):
    """A message the board's next round must consider."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)


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
    error: ErrorBody | None = None  # when unavailable: the one error shape, naming what failed


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


class VerifyIn(BaseModel):
    """Text to fact-check, and how long to wait for the verdict before answering 202."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=50_000)
    title: str | None = Field(default=None, max_length=500)
    options: dict[str, Any] = Field(default_factory=dict)
    timeout: float = Field(default=30.0, ge=0, le=120)


class VerifyPending(BaseModel):
    """The verification is still running: poll or stream the session."""

    id: str
    status: str
    url: str


class DocumentOut(BaseModel):
    """A knowledge-base document of the caller's."""

    id: str
    title: str
    path: str = ""
    media_type: str
    sha256: str
    chunks: int
    characters: int
    created_at: datetime | None = None
    new: bool | None = None


class FeedbackIn(BaseModel):
    """The true label of one claim of a finished verification."""

    model_config = ConfigDict(extra="forbid")

    session_id: str = Field(min_length=1, max_length=64)
    claim_id: str = Field(min_length=1, max_length=32, examples=["c1"])
    label: Literal["SUPPORTED", "REFUTED", "NOT_ENOUGH_INFO"]


class SourceOut(BaseModel):
    """A source of evidence and how far verification trusts it."""

    source: str
    credibility: float
    prior: float
    confirmed: float
    contradicted: float


class PersonaIn(BaseModel):
    """A persona of your own: who they are, what they know, how they speak."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,47}$", examples=["port-logistics-lead"])
    name: str = Field(min_length=2, max_length=80)
    role: str = Field(min_length=2, max_length=80)
    domains: list[Annotated[str, Field(min_length=1, max_length=80)]] = Field(
        min_length=1, max_length=8
    )
    traits: list[Annotated[str, Field(min_length=1, max_length=80)]] = Field(
        min_length=1, max_length=6
    )
    communication_style: str = Field(min_length=5, max_length=300)
    system_prompt: str = Field(min_length=40, max_length=1500)
    model: str | None = Field(default=None, max_length=120)


class PersonaOut(PersonaIn):
    """A persona the board can seat; `source` is `catalog` or `user` (yours)."""

    source: str

    @classmethod
    def of(cls, persona: Persona) -> PersonaOut:
        """The API form of a persona."""
        return cls(**persona.model_dump())

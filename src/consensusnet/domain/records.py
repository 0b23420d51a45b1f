"""Plain records that cross the store boundary: no ORM row ever leaves the store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from consensusnet.domain.accounts import ModelUsage


class RawEvent(BaseModel):
    """An event to append: its type, version, optional idempotency key and JSON body."""

    type: str
    v: int = 1
    key: str | None = None
    data: dict[str, Any]


class StoredRow(BaseModel):
    """An event read back from the log."""

    session_id: str
    seq: int
    type: str
    v: int
    key: str | None
    data: dict[str, Any]
    created_at: datetime


class IndexUpdate(BaseModel):
    """Changes to a session's index columns that travel with an append."""

    status: str | None = None
    title: str | None = None
    cost_usd: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    llm_calls: int = 0
    models: list[ModelUsage] = Field(default_factory=list)  # the same calls, per provider/model


class SessionRow(BaseModel):
    """A session's index columns."""

    id: str
    owner: str | None
    kind: str
    status: str
    title: str
    created_at: datetime
    updated_at: datetime
    last_seq: int
    cost_usd: float
    input_tokens: int
    output_tokens: int
    llm_calls: int

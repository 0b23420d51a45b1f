"""Users, API keys and workers as plain records (the API and CLI never see table rows)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class User(BaseModel):
    """Someone who owns sessions; admins see and control everyone's."""

    id: str
    name: str
    is_admin: bool = False
    created_at: datetime


class ApiKeyInfo(BaseModel):
    """An API key as listed: never the secret, which exists only when it is created."""

    id: str
    user_id: str
    user_name: str
    created_at: datetime
    revoked_at: datetime | None = None


class IssuedKey(BaseModel):
    """A freshly created key: `token` is shown once and stored only as a hash."""

    info: ApiKeyInfo
    token: str


class WorkerBeat(BaseModel):
    """A worker's last sign of life."""

    id: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime


class OwnerUsage(BaseModel):
    """What one owner's sessions added up to."""

    owner: str | None
    sessions: int
    llm_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float


class ModelUsage(BaseModel):
    """What the recorded calls to one provider and model added up to."""

    provider: str
    model: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_s: float

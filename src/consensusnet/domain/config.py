"""The one Settings object: read from the environment and `.env`; nothing else reads os.environ."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ProviderName = str
DEFAULT_SECRET = "development-only-secret-change-me"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "consensusnet"


class ProviderLimit(BaseModel):
    """How hard every worker together may call one provider: requests per window, calls at once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requests: int | None = Field(default=None, ge=1)
    per: float = Field(default=60.0, gt=0)
    concurrency: int | None = Field(default=None, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _rpm_means_per_minute(cls, value: Any) -> Any:
        if isinstance(value, dict) and "rpm" in value:
            if "requests" in value or "per" in value:
                raise ValueError("give either rpm, or requests with per (seconds), not both")
            value = {**value, "requests": value["rpm"], "per": 60.0}
            del value["rpm"]
        return value

    @model_validator(mode="after")
    def _limits_something(self) -> ProviderLimit:
        if self.requests is None and self.concurrency is None:
            raise ValueError("set rpm (or requests and per) and/or concurrency")
        return self

    def describe(self) -> str:
        """The limit as the compact form reads it, e.g. `500/min:8`."""
        unit = {1.0: "s", 60.0: "min", 3600.0: "h"}.get(self.per, f"{self.per:g}s")
        rate = f"{self.requests}/{unit}" if self.requests else ""
        return rate + (f":{self.concurrency}" if self.concurrency else "")


_UNITS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "hour": 3600.0}
_COMPACT = re.compile(
    r"^(?:(?P<requests>\d+)/(?P<count>\d+(?:\.\d+)?)?(?P<unit>[a-z]+))?(?::(?P<concurrency>\d+))?$"
)


def parse_llm_limits(text: str) -> dict[str, Any]:
    """Read CONSENSUSNET_LLM_LIMITS: JSON, or `openai=500/min:8,anthropic=50/min,local=:1`."""
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"CONSENSUSNET_LLM_LIMITS is not valid JSON: {error}") from None
        if not isinstance(parsed, dict):
            raise ValueError("CONSENSUSNET_LLM_LIMITS must be a JSON object keyed by provider")
        return parsed
    limits: dict[str, Any] = {}
    for entry in (part.strip() for part in text.split(",") if part.strip()):
        name, _, spec = entry.partition("=")
        match = _COMPACT.match(spec.strip().lower())
        if not name.strip() or not spec.strip() or match is None:
            raise ValueError(
                f"CONSENSUSNET_LLM_LIMITS entry {entry!r} is not PROVIDER=RATE/UNIT[:CONCURRENCY] "
                "or PROVIDER=:CONCURRENCY (for example openai=500/min:8 or local=:1)"
            )
        limit: dict[str, Any] = {}
        if match["requests"]:
            if match["unit"] not in _UNITS:
                raise ValueError(
                    f"CONSENSUSNET_LLM_LIMITS entry {entry!r}: unknown unit {match['unit']!r} "
                    f"(use {', '.join(_UNITS)})"
                )
            limit["requests"] = int(match["requests"])
            limit["per"] = float(match["count"] or 1) * _UNITS[match["unit"]]
        if match["concurrency"]:
            limit["concurrency"] = int(match["concurrency"])
        limits[name.strip()] = limit
    return limits


class Settings(BaseSettings):
    """Every knob ConsensusNet has; see `.env.example` for the meaning of each variable."""

    model_config = SettingsConfigDict(
        env_prefix="CONSENSUSNET_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    env: Literal["development", "production", "test"] = "development"

    # Standard names, no prefix.
    database_url: str | None = Field(default=None, validation_alias=AliasChoices("DATABASE_URL"))
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL"))
    anthropic_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ANTHROPIC_API_KEY")
    )
    anthropic_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("ANTHROPIC_BASE_URL")
    )
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL")
    )
    brave_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("BRAVE_API_KEY")
    )
    tavily_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TAVILY_API_KEY")
    )

    # Model routing.
    provider: ProviderName = "local"
    model: str | None = None
    fast_provider: ProviderName | None = None
    fast_model: str | None = None
    fallbacks: list[str] = Field(default_factory=list)

    # Where files live.
    data_dir: Path = Field(default_factory=_default_data_dir)

    # Local model.
    local_model_path: Path | None = None
    local_threads: int = Field(default_factory=lambda: max(1, (os.cpu_count() or 2)))
    local_context: int = 4096

    # Calls.
    llm_timeout: float = 120.0
    llm_max_retries: int = 3
    llm_concurrency: int = 8
    llm_prices: dict[str, tuple[float, float]] = Field(default_factory=dict)
    # Limits every worker shares (through Redis when REDIS_URL is set), keyed by provider name.
    llm_limits: Annotated[dict[str, ProviderLimit], NoDecode] = Field(default_factory=dict)

    # Scripted provider (tests, demos without a model, benchmarks).
    scripted_ttft: float = 0.0
    scripted_tps: float = 0.0

    # Embeddings.
    embedder: Literal["hashed", "openai"] = "hashed"
    embed_model: str = "text-embedding-3-small"
    embed_dims: int = 512

    # Durable runtime.
    runtime: Literal["dbos", "memory"] = "dbos"
    worker_id: str = "local"

    # Service: API, workers, auth, rate limits.
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    allow_no_auth: bool = False
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    execution: Literal["auto", "inline", "queue"] = "auto"
    rate_limit_per_key: int = Field(default=600, ge=0)
    rate_limit_per_ip: int = Field(default=1200, ge=0)
    rate_limit_window: float = Field(default=60.0, gt=0)
    worker_concurrency: int = Field(default=16, ge=1)
    queue_concurrency: int | None = Field(default=None, ge=1)
    queue_rate_limit: int | None = Field(default=None, ge=1)
    worker_heartbeat: float = Field(default=2.0, gt=0)
    worker_dead_after: float = Field(default=15.0, gt=0)
    worker_drain: int = Field(default=60, ge=0)
    sse_heartbeat: float = Field(default=15.0, gt=0)
    max_upload_bytes: int = Field(default=5 * 1024 * 1024, ge=1)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env != "development" and self.secret_key.get_secret_value() == DEFAULT_SECRET:
            raise ValueError(
                "CONSENSUSNET_SECRET_KEY must be set outside development "
                "(generate one: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return self

    @field_validator("fallbacks", mode="before")
    @classmethod
    def _split_fallbacks(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("llm_limits", mode="before")
    @classmethod
    def _parse_llm_limits(cls, value: object) -> object:
        return parse_llm_limits(value) if isinstance(value, str) else value

    @property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy async URL: DATABASE_URL when set, else a SQLite file in the data dir."""
        if not self.database_url:
            return f"sqlite+aiosqlite:///{self.data_dir / 'consensusnet.db'}"
        return to_async_url(self.database_url)

    @property
    def is_embedded(self) -> bool:
        """True when no external database is configured."""
        return self.resolved_database_url.startswith("sqlite")

    @property
    def uses_queue(self) -> bool:
        """True when sessions go to the durable queue for `consensusnet worker` processes."""
        if self.execution == "auto":
            return not self.is_embedded and self.runtime == "dbos"
        return self.execution == "queue"


def to_async_url(url: str) -> str:
    """Map the URL forms people paste (postgres://, postgresql://, sqlite://) to async drivers."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url

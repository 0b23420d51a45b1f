"""The one Settings object: read from the environment and `.env`; nothing else reads os.environ."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ProviderName = str
DEFAULT_SECRET = "development-only-secret-change-me"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "consensusnet"


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

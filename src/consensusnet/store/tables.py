"""Table definitions (SQLAlchemy Core); rows never leave the store, queries return records."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

metadata = MetaData()

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner", String(64), nullable=True, index=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("title", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("last_seq", Integer, nullable=False, server_default="0"),
    Column("cost_usd", Float, nullable=False, server_default="0"),
    Column("input_tokens", BigInteger, nullable=False, server_default="0"),
    Column("output_tokens", BigInteger, nullable=False, server_default="0"),
    Column("llm_calls", Integer, nullable=False, server_default="0"),
    Index("ix_sessions_kind_status", "kind", "status"),
)

events = Table(
    "events",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column(
        "session_id",
        String(64),
        ForeignKey("sessions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("seq", Integer, nullable=False),
    Column("type", String(64), nullable=False),
    Column("v", Integer, nullable=False, server_default="1"),
    Column("key", String(255), nullable=True),
    Column("data", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("session_id", "seq", name="uq_events_session_seq"),
    Index("ix_events_session_key", "session_id", "key"),
)

users = Table(
    "users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("is_admin", Boolean, nullable=False, server_default=false()),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column(
        "user_id",
        String(64),
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("hash", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

workers = Table(
    "workers",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
)

# -- verify: knowledge base, learned reliabilities and credibilities, feedback, HTTP cache --------

kb_documents = Table(
    "kb_documents",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("title", Text, nullable=False),
    Column("path", Text, nullable=False, server_default=""),
    Column("media_type", String(64), nullable=False),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("characters", Integer, nullable=False, server_default="0"),
    Column("chunks", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("owner", String(64), nullable=True, index=True),  # None: added from the CLI
)

kb_chunks = Table(
    "kb_chunks",
    metadata,
    Column("id", String(48), primary_key=True),
    Column(
        "document_id",
        String(32),
        ForeignKey("kb_documents.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("ordinal", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("embedding", JSON, nullable=False),
)

agent_reliability = Table(
    "agent_reliability",
    metadata,
    Column("agent", String(128), primary_key=True),
    Column("counts", JSON, nullable=False),  # [true label][given label], labels as in LABELS
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

source_credibility = Table(
    "source_credibility",
    metadata,
    Column("source", String(128), primary_key=True),
    Column("confirmed", Float, nullable=False, server_default="0"),
    Column("contradicted", Float, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

verify_feedback = Table(
    "verify_feedback",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("session_id", String(64), nullable=False),
    Column("claim_id", String(32), nullable=False),
    Column("label", String(32), nullable=False),
    Column("verdict", String(32), nullable=True),
    Column("raw_confidence", Float, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("session_id", "claim_id", name="uq_verify_feedback_claim"),
)

http_cache = Table(
    "http_cache",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("url", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
)

personas = Table(
    "personas",
    metadata,
    Column("owner", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("data", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A finished workflow step's result, found again by the step's name when a workflow replays.
step_results = Table(
    "step_results",
    metadata,
    Column(
        "session_id",
        String(64),
        ForeignKey("sessions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("name", String(255), primary_key=True),
    Column("value", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Successful LLM calls summed per session, provider and model, kept in the same transaction as
# the `llm.call` events: /metrics reads these few rows instead of every call ever made.
llm_usage = Table(
    "llm_usage",
    metadata,
    Column(
        "session_id",
        String(64),
        ForeignKey("sessions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("provider", String(128), primary_key=True),
    Column("model", String(255), primary_key=True),
    Column("calls", Integer, nullable=False, server_default="0"),
    Column("input_tokens", BigInteger, nullable=False, server_default="0"),
    Column("output_tokens", BigInteger, nullable=False, server_default="0"),
    Column("cost_usd", Float, nullable=False, server_default="0"),
    Column("latency_s", Float, nullable=False, server_default="0"),
)

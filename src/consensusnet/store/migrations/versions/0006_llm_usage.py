"""LLM usage summed per session, provider and model (what /metrics reads).

Revision ID: 0006
Revises: 0005
"""

import json
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    usage = op.create_table(
        "llm_usage",
        sa.Column(
            "session_id",
            sa.String(64),
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("provider", sa.String(128), primary_key=True),
        sa.Column("model", sa.String(255), primary_key=True),
        sa.Column("calls", sa.Integer, nullable=False, server_default="0"),
        sa.Column("input_tokens", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("output_tokens", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("cost_usd", sa.Float, nullable=False, server_default="0"),
        sa.Column("latency_s", sa.Float, nullable=False, server_default="0"),
    )
    assert usage is not None
    _backfill(usage)


def _backfill(usage: sa.Table) -> None:
    """Sum the calls already in the log, a batch of events at a time."""
    events = sa.table(
        "events",
        sa.column("id", sa.BigInteger),
        sa.column("session_id", sa.String),
        sa.column("type", sa.String),
        sa.column("data", sa.JSON),
    )
    bind = op.get_bind()
    totals: dict[tuple[str, str, str], list[Any]] = defaultdict(lambda: [0, 0, 0, 0.0, 0.0])
    last = 0
    while True:
        rows = bind.execute(
            sa.select(events.c.id, events.c.session_id, events.c.data)
            .where(events.c.type == "llm.call", events.c.id > last)
            .order_by(events.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            data = row.data if isinstance(row.data, dict) else json.loads(row.data)
            if not data.get("ok", True):
                continue
            tokens = data.get("usage") or {}
            total = totals[(row.session_id, data.get("provider", ""), data.get("model", ""))]
            total[0] += 1
            total[1] += int(tokens.get("input_tokens", 0))
            total[2] += int(tokens.get("output_tokens", 0))
            total[3] += float(data.get("cost_usd", 0.0))
            total[4] += float(data.get("latency_s", 0.0))
        last = rows[-1].id
    if totals:
        op.bulk_insert(
            usage,
            [
                {
                    "session_id": session_id,
                    "provider": provider,
                    "model": model,
                    "calls": calls,
                    "input_tokens": input_tokens,
                    "output_tokens": output_tokens,
                    "cost_usd": cost,
                    "latency_s": latency,
                }
                for (session_id, provider, model), (
                    calls,
                    input_tokens,
                    output_tokens,
                    cost,
                    latency,
                ) in totals.items()
            ],
        )


def downgrade() -> None:
    op.drop_table("llm_usage")

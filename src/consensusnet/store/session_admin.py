"""Queries over the sessions index that the service needs: delete, counts, usage per owner."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from consensusnet.domain.accounts import ModelUsage, OwnerUsage
from consensusnet.domain.errors import NotFoundError
from consensusnet.store.tables import events, llm_usage, sessions


class SessionAdmin:
    """Whole-session operations; appends still go only through the event log."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def delete_session(self, session_id: str) -> None:
        """Remove a session and its events (the one place events are ever removed)."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(events).where(events.c.session_id == session_id))
            result = await conn.execute(delete(sessions).where(sessions.c.id == session_id))
        if result.rowcount == 0:
            raise NotFoundError(f"No session {session_id!r}.")

    async def count_by_status(self) -> dict[str, int]:
        """How many sessions are in each status."""
        query = select(sessions.c.status, func.count()).group_by(sessions.c.status)
        async with self.engine.connect() as conn:
            return {row[0]: int(row[1]) for row in await conn.execute(query)}

    async def usage_by_owner(self) -> list[OwnerUsage]:
        """Sessions, calls, tokens and cost summed per owner."""
        query = select(
            sessions.c.owner,
            func.count(),
            func.coalesce(func.sum(sessions.c.llm_calls), 0),
            func.coalesce(func.sum(sessions.c.input_tokens), 0),
            func.coalesce(func.sum(sessions.c.output_tokens), 0),
            func.coalesce(func.sum(sessions.c.cost_usd), 0.0),
        ).group_by(sessions.c.owner)
        async with self.engine.connect() as conn:
            rows = await conn.execute(query)
            return [
                OwnerUsage(
                    owner=row[0],
                    sessions=int(row[1]),
                    llm_calls=int(row[2]),
                    input_tokens=int(row[3]),
                    output_tokens=int(row[4]),
                    cost_usd=float(row[5]),
                )
                for row in rows
            ]

    async def llm_usage(self) -> list[ModelUsage]:
        """Successful LLM calls summed per provider and model (from the per-session sums)."""
        u = llm_usage.c
        query = select(
            u.provider,
            u.model,
            func.sum(u.calls),
            func.sum(u.input_tokens),
            func.sum(u.output_tokens),
            func.sum(u.cost_usd),
            func.sum(u.latency_s),
        ).group_by(u.provider, u.model)
        async with self.engine.connect() as conn:
            return [
                ModelUsage(
                    provider=row[0],
                    model=row[1],
                    calls=int(row[2]),
                    input_tokens=int(row[3]),
                    output_tokens=int(row[4]),
                    cost_usd=float(row[5]),
                    latency_s=float(row[6]),
                )
                for row in await conn.execute(query)
            ]

    async def ping(self) -> None:
        """Raise when the database does not answer."""
        async with self.engine.connect() as conn:
            await conn.execute(select(1))

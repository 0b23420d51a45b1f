"""Worker heartbeats: how live workers tell a dead one (whose sessions they take over)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from consensusnet.domain.accounts import WorkerBeat
from consensusnet.store.tables import workers


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _beat(mapping: Any) -> WorkerBeat:
    return WorkerBeat(
        id=mapping["id"],
        host=mapping["host"],
        pid=mapping["pid"],
        started_at=_aware(mapping["started_at"]),
        heartbeat_at=_aware(mapping["heartbeat_at"]),
    )


class WorkerRegistry:
    """One row per worker process, touched every few seconds while it lives."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def beat(self, worker_id: str, *, host: str, pid: int) -> None:
        """Record that this worker is alive (inserting its row the first time)."""
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(workers).where(workers.c.id == worker_id).values(heartbeat_at=now)
            )
            if result.rowcount == 0:
                await conn.execute(
                    workers.insert().values(
                        id=worker_id, host=host, pid=pid, started_at=now, heartbeat_at=now
                    )
                )

    async def live(self, dead_after: float) -> list[WorkerBeat]:
        """Workers whose last heartbeat is younger than `dead_after` seconds."""
        cutoff = datetime.now(UTC) - timedelta(seconds=dead_after)
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(workers).where(workers.c.heartbeat_at >= cutoff))
            return [_beat(row._mapping) for row in rows]

    async def all(self) -> list[WorkerBeat]:
        """Every worker that ever beat and has not left."""
        async with self.engine.connect() as conn:
            return [_beat(row._mapping) for row in await conn.execute(select(workers))]

    async def leave(self, worker_id: str) -> None:
        """Forget a worker that shut down cleanly."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(workers).where(workers.c.id == worker_id))

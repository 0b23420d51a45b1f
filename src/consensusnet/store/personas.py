"""Queries for users' own personas (stored as validated JSON, one row per owner and id)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from consensusnet.store.tables import personas
from consensusnet.store.users import ConflictError


def _now() -> datetime:
    return datetime.now(UTC)


class PersonaStore:
    """Each user's personas; nobody reads or writes another user's."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def _key(self, owner: str, persona_id: str) -> Any:
        return and_(personas.c.owner == owner, personas.c.id == persona_id)

    async def list_for(self, owner: str) -> list[dict[str, Any]]:
        """The owner's personas as stored, by id."""
        query = select(personas.c.data).where(personas.c.owner == owner).order_by(personas.c.id)
        async with self.engine.connect() as conn:
            return [dict(row.data) for row in await conn.execute(query)]

    async def get(self, owner: str, persona_id: str) -> dict[str, Any] | None:
        """One of the owner's personas, or None."""
        query = select(personas.c.data).where(self._key(owner, persona_id))
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return dict(row.data) if row else None

    async def create(self, owner: str, persona_id: str, data: dict[str, Any]) -> None:
        """Add a persona; ConflictError when the owner already has one with this id."""
        now = _now()
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(personas).values(
                        owner=owner, id=persona_id, data=data, created_at=now, updated_at=now
                    )
                )
        except IntegrityError:
            raise ConflictError(
                f"You already have a persona {persona_id!r}.", hint="Update it with PUT."
            ) from None

    async def replace(self, owner: str, persona_id: str, data: dict[str, Any]) -> bool:
        """Replace one of the owner's personas; False when they have none with this id."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(personas)
                .where(self._key(owner, persona_id))
                .values(data=data, updated_at=_now())
            )
        return bool(result.rowcount)

    async def delete(self, owner: str, persona_id: str) -> bool:
        """Delete one of the owner's personas; False when they have none with this id."""
        async with self.engine.begin() as conn:
            result = await conn.execute(delete(personas).where(self._key(owner, persona_id)))
        return bool(result.rowcount)

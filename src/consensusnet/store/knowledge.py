"""Queries for the knowledge base, learned reliabilities and credibilities, feedback, HTTP cache."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from consensusnet.domain.errors import ConsensusNetError
from consensusnet.domain.events_verify import LABELS, KnowledgeChunk, KnowledgeDocument
from consensusnet.store.tables import (
    agent_reliability,
    http_cache,
    kb_chunks,
    kb_documents,
    source_credibility,
    verify_feedback,
)


class ChunkToStore(Protocol):
    """A chunk handed in by the knowledge-base core."""

    ordinal: int
    text: str
    embedding: list[float]


def _now() -> datetime:
    return datetime.now(UTC)


def _document(row: Any) -> KnowledgeDocument:
    return KnowledgeDocument(
        id=row.id,
        title=row.title,
        path=row.path,
        media_type=row.media_type,
        sha256=row.sha256,
        chunks=row.chunks,
        characters=row.characters,
        created_at=row.created_at,
    )


class KnowledgeStore:
    """The local knowledge base and what verification learns from feedback."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._write_lock = (
            asyncio.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )

    @property
    def write_lock(self) -> contextlib.AbstractAsyncContextManager[Any]:
        """Serializes writes on SQLite (one writer at a time); a no-op on PostgreSQL."""
        return self._write_lock

    # -- documents and chunks ---------------------------------------------------------------

    async def add_document(
        self,
        *,
        title: str,
        path: str,
        media_type: str,
        sha256: str,
        characters: int,
        chunks: Sequence[ChunkToStore],
        owner: str | None = None,
    ) -> KnowledgeDocument:
        """Insert a document and its chunks in one transaction (owner None: added locally)."""
        document_id = uuid.uuid4().hex[:12]
        values = {
            "id": document_id,
            "title": title,
            "path": path,
            "media_type": media_type,
            "sha256": sha256,
            "characters": characters,
            "chunks": len(chunks),
            "created_at": _now(),
        }
        async with self._write_lock, self.engine.begin() as conn:
            await conn.execute(insert(kb_documents).values(**values, owner=owner))
            if chunks:
                await conn.execute(
                    insert(kb_chunks),
                    [
                        {
                            "id": f"{document_id}-{chunk.ordinal}",
                            "document_id": document_id,
                            "ordinal": chunk.ordinal,
                            "text": chunk.text,
                            "embedding": list(chunk.embedding),
                        }
                        for chunk in chunks
                    ],
                )
        return KnowledgeDocument(**values)

    async def find_by_hash(self, sha256: str) -> KnowledgeDocument | None:
        """The document with this content hash, if it was added before."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(kb_documents).where(kb_documents.c.sha256 == sha256))
            ).first()
        return _document(row) if row else None

    async def list_documents(self) -> list[KnowledgeDocument]:
        """Every document, oldest first."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(kb_documents).order_by(kb_documents.c.created_at, kb_documents.c.id)
            )
            return [_document(row) for row in rows]

    async def remove_document(self, document_id: str) -> bool:
        """Delete a document (a unique id prefix is enough) and its chunks; False if unknown."""
        async with self._write_lock, self.engine.begin() as conn:
            ids = (
                (
                    await conn.execute(
                        select(kb_documents.c.id).where(kb_documents.c.id.startswith(document_id))
                    )
                )
                .scalars()
                .all()
            )
            if len(ids) != 1:
                if len(ids) > 1:
                    raise ConsensusNetError(
                        f"{document_id!r} matches {len(ids)} documents.",
                        hint="Give more characters of the id (see `consensusnet kb list`).",
                    )
                return False
            await conn.execute(delete(kb_chunks).where(kb_chunks.c.document_id == ids[0]))
            await conn.execute(delete(kb_documents).where(kb_documents.c.id == ids[0]))
        return True

    async def all_chunks(self, visible_to: str | None = None) -> list[KnowledgeChunk]:
        """Every chunk with its document's title and path (the KB is small by design).

        With `visible_to`, only that user's documents and the shared ones (added from the CLI,
        with no owner): one user's verification never reads another user's documents.
        """
        query = (
            select(kb_chunks, kb_documents.c.title, kb_documents.c.path)
            .join(kb_documents, kb_documents.c.id == kb_chunks.c.document_id)
            .order_by(kb_chunks.c.document_id, kb_chunks.c.ordinal)
        )
        if visible_to is not None:
            query = query.where(
                or_(kb_documents.c.owner == visible_to, kb_documents.c.owner.is_(None))
            )
        async with self.engine.connect() as conn:
            rows = await conn.execute(query)
            return [
                KnowledgeChunk(
                    id=row.id,
                    document_id=row.document_id,
                    title=row.title,
                    path=row.path,
                    ordinal=row.ordinal,
                    text=row.text,
                    embedding=list(row.embedding),
                )
                for row in rows
            ]

    # -- learning ---------------------------------------------------------------------------

    async def reliability_counts(self) -> dict[str, list[list[float]]]:
        """Each agent's [true][given] label counts from feedback (labels ordered as LABELS)."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(agent_reliability))
            return {row.agent: [list(map(float, r)) for r in row.counts] for row in rows}

    async def credibility_counts(self) -> dict[str, tuple[float, float]]:
        """Each source's (confirmed, contradicted) feedback counts."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(source_credibility))
            return {row.source: (row.confirmed, row.contradicted) for row in rows}

    async def calibration_points(self) -> list[tuple[float, bool]]:
        """(raw confidence, verdict was right) for every claim with feedback."""
        query = select(
            verify_feedback.c.raw_confidence, verify_feedback.c.label, verify_feedback.c.verdict
        ).where(verify_feedback.c.raw_confidence.is_not(None))
        async with self.engine.connect() as conn:
            rows = await conn.execute(query)
            return [(float(r.raw_confidence), r.label == r.verdict) for r in rows]

    async def record_feedback(
        self,
        *,
        session_id: str,
        claim_id: str,
        label: str,
        verdict: str | None,
        raw_confidence: float | None,
        agent_labels: Mapping[str, str],
        source_outcomes: Mapping[str, bool],
    ) -> None:
        """Store the truth for a claim and update agents' counts and sources' record at once."""
        index: dict[str, int] = {name: i for i, name in enumerate(LABELS)}
        now = _now()
        try:
            async with self._write_lock, self.engine.begin() as conn:
                await conn.execute(
                    insert(verify_feedback).values(
                        session_id=session_id,
                        claim_id=claim_id,
                        label=label,
                        verdict=verdict,
                        raw_confidence=raw_confidence,
                        created_at=now,
                    )
                )
                for agent, given in sorted(agent_labels.items()):
                    await self._count_agent(conn, agent, index[label], index[given], now)
                for source, confirmed in sorted(source_outcomes.items()):
                    await self._count_source(conn, source, confirmed, now)
        except IntegrityError:
            raise ConsensusNetError(
                f"Feedback for claim {claim_id} of session {session_id} is already recorded.",
                hint="Each claim takes one label; learning would count a second one twice.",
            ) from None

    async def _count_agent(
        self, conn: AsyncConnection, agent: str, truth: int, given: int, now: datetime
    ) -> None:
        row = (
            await conn.execute(select(agent_reliability).where(agent_reliability.c.agent == agent))
        ).first()
        size = len(LABELS)
        counts = [list(r) for r in row.counts] if row else [[0.0] * size for _ in range(size)]
        counts[truth][given] += 1.0
        if row:
            await conn.execute(
                update(agent_reliability)
                .where(agent_reliability.c.agent == agent)
                .values(counts=counts, updated_at=now)
            )
        else:
            await conn.execute(
                insert(agent_reliability).values(agent=agent, counts=counts, updated_at=now)
            )

    async def _count_source(
        self, conn: AsyncConnection, source: str, confirmed: bool, now: datetime
    ) -> None:
        exists = (
            await conn.execute(
                select(func.count())
                .select_from(source_credibility)
                .where(source_credibility.c.source == source)
            )
        ).scalar_one()
        if not exists:
            await conn.execute(
                insert(source_credibility).values(
                    source=source, confirmed=0.0, contradicted=0.0, updated_at=now
                )
            )
        column = source_credibility.c.confirmed if confirmed else source_credibility.c.contradicted
        await conn.execute(
            update(source_credibility)
            .where(source_credibility.c.source == source)
            .values({column: column + 1.0, "updated_at": now})
        )


class HttpCacheStore:
    """Responses of online evidence sources, so a repeated query costs no request."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def get(self, key: str) -> str | None:
        """The cached body for a request key, if any."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(http_cache.c.body).where(http_cache.c.key == key))
            ).first()
        return str(row.body) if row else None

    async def put(self, key: str, url: str, status: int, body: str) -> None:
        """Keep a response body (replacing an older one for the same key)."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(http_cache).where(http_cache.c.key == key))
            await conn.execute(
                insert(http_cache).values(
                    key=key, url=url, status=status, body=body, fetched_at=_now()
                )
            )

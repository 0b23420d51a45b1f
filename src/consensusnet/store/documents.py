"""One user's view of the knowledge base: they list, find and remove only their own documents."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, delete, select

from consensusnet.domain.events_verify import KnowledgeChunk, KnowledgeDocument
from consensusnet.store.knowledge import ChunkToStore, KnowledgeStore, _document
from consensusnet.store.tables import kb_chunks, kb_documents
from consensusnet.store.users import ConflictError


class OwnedDocuments:
    """The knowledge base as one owner sees it (the `KnowledgeBase` port, owner-scoped)."""

    def __init__(self, knowledge: KnowledgeStore, owner: str) -> None:
        self.knowledge = knowledge
        self.engine = knowledge.engine
        self.owner = owner

    async def add_document(
        self,
        *,
        title: str,
        path: str,
        media_type: str,
        sha256: str,
        characters: int,
        chunks: Sequence[ChunkToStore],
    ) -> KnowledgeDocument:
        """Insert the owner's document and its chunks."""
        return await self.knowledge.add_document(
            title=title,
            path=path,
            media_type=media_type,
            sha256=sha256,
            characters=characters,
            chunks=chunks,
            owner=self.owner,
        )

    async def find_by_hash(self, sha256: str) -> KnowledgeDocument | None:
        """The owner's document with this content; ConflictError if only someone else has it."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(kb_documents).where(kb_documents.c.sha256 == sha256))
            ).first()
        if row is None:
            return None
        if row.owner != self.owner:
            # Content hashes are unique across the knowledge base (migration 0002).
            raise ConflictError(
                "This document's content is already in the knowledge base.",
                hint="Verification searches it already.",
            )
        return _document(row)

    async def list_documents(self) -> list[KnowledgeDocument]:
        """The owner's documents, oldest first."""
        query = (
            select(kb_documents)
            .where(kb_documents.c.owner == self.owner)
            .order_by(kb_documents.c.created_at, kb_documents.c.id)
        )
        async with self.engine.connect() as conn:
            return [_document(row) for row in await conn.execute(query)]

    async def remove_document(self, document_id: str) -> bool:
        """Delete one of the owner's documents (exact id) and its chunks; False if not theirs."""
        mine = and_(kb_documents.c.id == document_id, kb_documents.c.owner == self.owner)
        async with self.knowledge.write_lock, self.engine.begin() as conn:
            found = (await conn.execute(select(kb_documents.c.id).where(mine))).first()
            if found is None:
                return False
            await conn.execute(delete(kb_chunks).where(kb_chunks.c.document_id == document_id))
            await conn.execute(delete(kb_documents).where(mine))
        return True

    async def all_chunks(self, visible_to: str | None = None) -> list[KnowledgeChunk]:
        """Chunks of the owner's documents (`visible_to` is implied: this store is one user's)."""
        mine = {document.id for document in await self.list_documents()}
        return [c for c in await self.knowledge.all_chunks() if c.document_id in mine]

"""Ports the evidence core reaches I/O through; adapters in store/ and sources/ implement them."""

from __future__ import annotations

from typing import Protocol

from consensusnet.domain.events_verify import KnowledgeChunk, KnowledgeDocument, SourceDocument


class NewChunk(Protocol):
    """A chunk to store (see `evidence.knowledge.PreparedChunk`)."""

    ordinal: int
    text: str
    embedding: list[float]


class KnowledgeBase(Protocol):
    """Where knowledge-base documents and their embedded chunks persist."""

    async def add_document(
        self,
        *,
        title: str,
        path: str,
        media_type: str,
        sha256: str,
        characters: int,
        chunks: list[NewChunk],
    ) -> KnowledgeDocument: ...

    async def find_by_hash(self, sha256: str) -> KnowledgeDocument | None: ...

    async def list_documents(self) -> list[KnowledgeDocument]: ...

    async def remove_document(self, document_id: str) -> bool: ...

    async def all_chunks(self, visible_to: str | None = None) -> list[KnowledgeChunk]: ...


class EvidenceSource(Protocol):
    """One place evidence comes from (local KB, Wikipedia, arXiv, PubMed, web search)."""

    name: str

    async def search(self, query: str, limit: int) -> list[SourceDocument]: ...

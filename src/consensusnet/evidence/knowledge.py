"""Adding documents to the knowledge base: chunk, embed, store (deduplicated by content hash)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from consensusnet.domain.errors import ConsensusNetError
from consensusnet.domain.events_verify import KnowledgeDocument
from consensusnet.embed.port import Embedder
from consensusnet.evidence.ports import KnowledgeBase, NewChunk
from consensusnet.evidence.text import chunk_text


@dataclass
class PreparedChunk:
    """A chunk ready to store."""

    ordinal: int
    text: str
    embedding: list[float]


async def ingest(
    knowledge: KnowledgeBase,
    embedder: Embedder,
    *,
    title: str,
    text: str,
    path: str = "",
    media_type: str = "text/plain",
) -> tuple[KnowledgeDocument, bool]:
    """Store a document's chunks and embeddings; returns (document, True when newly added)."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    existing = await knowledge.find_by_hash(digest)
    if existing is not None:
        return existing, False
    pieces = chunk_text(text)
    if not pieces:
        raise ConsensusNetError(
            f"No text found in {path or title!r}.", hint="Is the file empty or a scanned image?"
        )
    vectors = await embedder.embed(pieces)
    chunks: list[NewChunk] = [
        PreparedChunk(ordinal=i, text=piece, embedding=vector)
        for i, (piece, vector) in enumerate(zip(pieces, vectors, strict=True))
    ]
    document = await knowledge.add_document(
        title=title,
        path=path,
        media_type=media_type,
        sha256=digest,
        characters=len(text),
        chunks=chunks,
    )
    return document, True

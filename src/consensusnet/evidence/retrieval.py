"""Hybrid retrieval (BM25 + embeddings) over the local knowledge base's chunks."""

from __future__ import annotations

from consensusnet.domain.events_verify import KnowledgeChunk, SourceDocument
from consensusnet.embed.hashed import tokenize
from consensusnet.embed.port import Embedder
from consensusnet.embed.similarity import cosine_matrix
from consensusnet.evidence.bm25 import BM25
from consensusnet.evidence.ports import KnowledgeBase

LEXICAL_WEIGHT = 0.5
MIN_SCORE = 0.05


async def hybrid_search(
    chunks: list[KnowledgeChunk], query: str, embedder: Embedder, limit: int
) -> list[tuple[KnowledgeChunk, float]]:
    """The `limit` best chunks for `query`: half normalized BM25, half cosine similarity."""
    if not chunks or not query.strip():
        return []
    terms = tokenize(query)
    lexical = BM25([tokenize(chunk.text) for chunk in chunks]).scores(terms)
    top = max(lexical) or 1.0
    (query_vector,) = await embedder.embed([query])
    vectors = [c.embedding for c in chunks]
    if any(len(v) != len(query_vector) for v in vectors):
        vectors = await embedder.embed([c.text for c in chunks])  # stored with another embedder
    semantic = cosine_matrix([query_vector], vectors)[0]
    scored = [
        (chunk, LEXICAL_WEIGHT * (lex / top) + (1.0 - LEXICAL_WEIGHT) * max(0.0, float(sem)))
        for chunk, lex, sem in zip(chunks, lexical, semantic, strict=True)
    ]
    scored = [(chunk, score) for chunk, score in scored if score >= MIN_SCORE]
    scored.sort(key=lambda pair: (-pair[1], pair[0].document_id, pair[0].ordinal))
    return scored[:limit]


class LocalKnowledgeSource:
    """The local knowledge base as an evidence source."""

    name = "local"

    def __init__(
        self, knowledge: KnowledgeBase, embedder: Embedder, owner: str | None = None
    ) -> None:
        self.knowledge = knowledge
        self.embedder = embedder
        self.owner = owner  # a session's owner sees their documents and the shared ones

    async def search(self, query: str, limit: int) -> list[SourceDocument]:
        chunks = await self.knowledge.all_chunks(visible_to=self.owner)
        found = await hybrid_search(chunks, query, self.embedder, limit)
        return [
            SourceDocument(
                source=self.name,
                title=chunk.title,
                url=chunk.path,
                text=chunk.text,
                document_id=chunk.document_id,
                score=round(score, 4),
            )
            for chunk, score in found
        ]

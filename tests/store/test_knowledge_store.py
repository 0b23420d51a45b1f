"""The knowledge store on SQLite and PostgreSQL: documents, chunks, learning, HTTP cache."""

from __future__ import annotations

import pytest

from consensusnet.domain.errors import ConsensusNetError
from consensusnet.embed.hashed import HashedEmbedder
from consensusnet.evidence.knowledge import ingest
from consensusnet.store.knowledge import HttpCacheStore, KnowledgeStore


async def test_documents_are_chunked_embedded_listed_and_removed(engine) -> None:  # type: ignore[no-untyped-def]
    store, embedder = KnowledgeStore(engine), HashedEmbedder(dims=64)
    text = "The Moon orbits Earth. " * 60
    document, new = await ingest(store, embedder, title="Moon", text=text, path="/tmp/moon.txt")
    assert new
    assert document.chunks > 1
    again, new_again = await ingest(store, embedder, title="Moon copy", text=text)
    assert (again.id, new_again) == (document.id, False)  # same content: not stored twice
    chunks = await store.all_chunks()
    assert len(chunks) == document.chunks
    assert {c.title for c in chunks} == {"Moon"}
    assert len(chunks[0].embedding) == 64
    assert [d.id for d in await store.list_documents()] == [document.id]
    assert await store.remove_document(document.id[:6])
    assert await store.all_chunks() == []
    assert not await store.remove_document("nope")


async def test_empty_documents_are_refused(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConsensusNetError, match="No text"):
        await ingest(KnowledgeStore(engine), HashedEmbedder(dims=8), title="e", text="   ")


async def test_feedback_updates_counts_once_per_claim(engine) -> None:  # type: ignore[no-untyped-def]
    store = KnowledgeStore(engine)
    await store.record_feedback(
        session_id="s1",
        claim_id="c1",
        label="REFUTED",
        verdict="SUPPORTED",
        raw_confidence=0.7,
        agent_labels={"strict": "SUPPORTED", "skeptic": "REFUTED"},
        source_outcomes={"local": False, "wikipedia": True},
    )
    counts = await store.reliability_counts()
    assert counts["skeptic"] == [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    assert counts["strict"][1][2] == 1.0
    assert await store.credibility_counts() == {"local": (0.0, 1.0), "wikipedia": (1.0, 0.0)}
    assert await store.calibration_points() == [(0.7, False)]
    with pytest.raises(ConsensusNetError, match="already recorded"):
        await store.record_feedback(
            session_id="s1",
            claim_id="c1",
            label="REFUTED",
            verdict=None,
            raw_confidence=None,
            agent_labels={},
            source_outcomes={},
        )


async def test_http_cache_keeps_the_latest_body(engine) -> None:  # type: ignore[no-untyped-def]
    cache = HttpCacheStore(engine)
    assert await cache.get("k") is None
    await cache.put("k", "https://example.org", 200, "one")
    await cache.put("k", "https://example.org", 200, "two")
    assert await cache.get("k") == "two"


KNOWLEDGE_TABLES = {
    "kb_documents",
    "kb_chunks",
    "agent_reliability",
    "source_credibility",
    "verify_feedback",
    "http_cache",
}


async def test_migration_0002_creates_and_drops_the_knowledge_tables(database_url: str) -> None:
    from sqlalchemy import inspect

    from consensusnet.store.db import make_engine, migrate
    from consensusnet.store.tables import metadata

    engine = make_engine(database_url)

    async def columns() -> dict[str, set[str]]:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: {
                    name: {c["name"] for c in inspect(sync).get_columns(name)}
                    for name in inspect(sync).get_table_names()
                }
            )

    try:
        await migrate(engine)
        found = await columns()
        for name in KNOWLEDGE_TABLES:
            assert found[name] == {c.name for c in metadata.tables[name].columns}
        await migrate(engine, "0001", down=True)
        assert not KNOWLEDGE_TABLES & set(await columns())
        await migrate(engine)
        assert set(await columns()) >= KNOWLEDGE_TABLES
    finally:
        await engine.dispose()


async def test_a_user_sees_their_own_and_shared_documents_never_another_users(  # type: ignore[no-untyped-def]
    engine,
) -> None:
    from dataclasses import dataclass

    @dataclass
    class Chunk:
        ordinal: int
        text: str
        embedding: list[float]

    store = KnowledgeStore(engine)
    for index, owner in enumerate(["alice", "bob", None]):
        await store.add_document(
            title=f"doc-{owner}",
            path=f"/{owner}.txt",
            media_type="text/plain",
            sha256=f"{index:064d}",
            characters=5,
            chunks=[Chunk(ordinal=0, text=f"text of {owner}", embedding=[1.0, 0.0])],
            owner=owner,
        )
    titles = {c.title for c in await store.all_chunks(visible_to="alice")}
    assert titles == {"doc-alice", "doc-None"}
    assert {c.title for c in await store.all_chunks()} == {"doc-alice", "doc-bob", "doc-None"}

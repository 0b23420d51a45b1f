"""Every migration upgrades and downgrades on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from consensusnet.store.db import make_engine, migrate


async def _tables(engine) -> set[str]:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_upgrade_then_downgrade_to_base_and_up_again(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        await migrate(engine)
        assert {"sessions", "events"} <= await _tables(engine)
        await migrate(engine, "base", down=True)
        assert not ({"sessions", "events"} & await _tables(engine))
        await migrate(engine)
        assert {"sessions", "events"} <= await _tables(engine)
    finally:
        await engine.dispose()


async def test_0004_adds_personas_and_document_owners_and_downgrades_keeping_chunks(
    database_url: str,
) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import text

    engine = make_engine(database_url)
    try:
        await migrate(engine)
        assert "personas" in await _tables(engine)
        now = datetime.now(UTC)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO kb_documents (id, title, path, media_type, sha256, characters,"
                    " chunks, created_at, owner) VALUES ('d1', 't', '', 'text/plain', 'h', 1, 1,"
                    " :now, 'u1')"
                ),
                {"now": now},
            )
            await conn.execute(
                text(
                    "INSERT INTO kb_chunks (id, document_id, ordinal, text, embedding)"
                    " VALUES ('d1-0', 'd1', 0, 'x', '[]')"
                )
            )
        await migrate(engine, "0003", down=True)
        assert "personas" not in await _tables(engine)
        async with engine.connect() as conn:
            columns = await conn.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("kb_documents")}
            )
            chunks = (await conn.execute(text("SELECT count(*) FROM kb_chunks"))).scalar_one()
        assert "owner" not in columns
        assert chunks == 1
        await migrate(engine)
        assert "personas" in await _tables(engine)
    finally:
        await engine.dispose()

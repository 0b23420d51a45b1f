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

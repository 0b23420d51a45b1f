"""Shared fixtures: settings on a temporary data dir, and real databases (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from consensusnet.domain.config import Settings
from consensusnet.testing.services import PG_ADMIN_URL, require_postgres


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for an isolated run: temp data dir, SQLite, scripted provider, memory runtime."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        provider="scripted",
        runtime="memory",
        database_url=None,
        redis_url=None,
    )


def _admin_dsn() -> str:
    return PG_ADMIN_URL.replace("postgresql://", "postgresql://", 1)


async def _pg_exec(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_admin_dsn())
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    require_postgres()
    name = f"cn_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_exec(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[object]:
    """A migrated engine on the parametrized database."""
    from consensusnet.store.db import make_engine, migrate

    eng = make_engine(database_url)
    await migrate(eng)
    yield eng
    await eng.dispose()

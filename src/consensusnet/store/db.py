"""Engine creation and migrations for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
CONNECT_TIMEOUT = 10.0  # seconds to open a PostgreSQL connection
# Any fixed number: every ConsensusNet process asks PostgreSQL for the same advisory lock.
_PG_MIGRATION_LOCK = 0x436F6E73656E73
# Alembic keeps its running context in module globals: one migration per process at a time.
_PROCESS_LOCK = threading.Lock()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and its parent folder created."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # Modest pools: PostgreSQL allows 100 connections by default, shared by every API and
    # worker process (and DBOS's own pool in each).
    # A connect timeout well under asyncpg's 60 s: behind a black-holed network, requests
    # answer 503 after 10 s instead of hanging for a minute.
    return create_async_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        connect_args={"timeout": CONNECT_TIMEOUT},
    )


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def migrate(engine: AsyncEngine, revision: str = "head", *, down: bool = False) -> None:
    """Upgrade (or downgrade) the schema to `revision`.

    Processes that start together on an empty database (an API and its workers) take turns:
    the first one migrates, the others find the schema already at `revision`.
    """

    def run(connection: Connection) -> None:
        config = alembic_config(connection)
        if down:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)

    async with _process_turn(), _sqlite_file_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Held until this transaction ends, so until the migration has committed.
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
            )
        await connection.run_sync(run)


async def _poll(try_once: Callable[[], bool]) -> None:
    """Retry a non-blocking lock attempt without blocking the event loop.

    Polling, not an asyncio.Event: the holder may be another thread, loop or process.
    """
    while not try_once():  # noqa: ASYNC110
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def _process_turn() -> AsyncIterator[None]:
    await _poll(lambda: _PROCESS_LOCK.acquire(blocking=False))
    try:
        yield
    finally:
        _PROCESS_LOCK.release()


@contextlib.asynccontextmanager
async def _sqlite_file_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """An exclusive lock on `<database>.migrate.lock` beside a SQLite file (one host only)."""
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    lock_path = Path(database).with_name(Path(database).name + ".migrate.lock")
    with lock_path.open("a") as handle:

        def try_lock() -> bool:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        await _poll(try_lock)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

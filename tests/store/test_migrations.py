"""Every migration upgrades and downgrades on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from sqlalchemy import inspect, text

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


async def test_concurrent_first_starts_migrate_once_and_all_succeed(
    database_url: str, tmp_path: Path
) -> None:
    """Processes starting together on an empty database (API and workers) all come up."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSENSUSNET_")}
    env.update(DATABASE_URL=database_url, CONSENSUSNET_DATA_DIR=str(tmp_path / "data"))
    command = [sys.executable, "-m", "consensusnet", "db", "upgrade"]
    procs = [
        await asyncio.create_subprocess_exec(
            *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        for _ in range(3)
    ]
    outputs = await asyncio.gather(*(proc.communicate() for proc in procs))
    for proc, (output, _) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, output.decode()[-2000:]
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert len(versions) == 1
        assert {"sessions", "events", "step_results"} <= await _tables(engine)
    finally:
        await engine.dispose()


async def test_0006_sums_the_calls_already_in_the_log_per_session_and_model(
    database_url: str,
) -> None:
    from datetime import UTC, datetime

    from consensusnet.store.session_admin import SessionAdmin

    engine = make_engine(database_url)
    now = datetime.now(UTC)

    def call(seq: int, model: str, ok: bool = True) -> dict[str, object]:
        data = json.dumps(
            {
                "provider": "openai",
                "model": model,
                "ok": ok,
                "cost_usd": 0.5,
                "latency_s": 2.0,
                "usage": {"input_tokens": 10, "output_tokens": 3},
                "role": "persona",
            }
        )
        return {"seq": seq, "data": data, "now": now}

    try:
        await migrate(engine, "0005")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO sessions (id, kind, status, title, created_at, updated_at)"
                    " VALUES ('s1', 'board', 'completed', 't', :now, :now)"
                ),
                {"now": now},
            )
            for params in (call(1, "a"), call(2, "a"), call(3, "b"), call(4, "a", ok=False)):
                await conn.execute(
                    text(
                        "INSERT INTO events (session_id, seq, type, v, data, created_at)"
                        " VALUES ('s1', :seq, 'llm.call', 1, :data, :now)"
                    ),
                    params,
                )
        await migrate(engine)
        usage = {u.model: u for u in await SessionAdmin(engine).llm_usage()}
        assert {m: (u.calls, u.input_tokens, u.output_tokens) for m, u in usage.items()} == {
            "a": (2, 20, 6),
            "b": (1, 10, 3),
        }
        assert (usage["a"].cost_usd, usage["a"].latency_s) == (1.0, 4.0)
    finally:
        await engine.dispose()

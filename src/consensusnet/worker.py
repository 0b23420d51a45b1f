"""`consensusnet worker`: consume the durable session queue; SIGTERM drains, SIGKILL loses nothing.

A worker heartbeats into the `workers` table and, every few seconds, takes over the PENDING
sessions of executors that stopped heartbeating (see `runtime/dbos.py` for how DBOS makes that
takeover exactly-once and replay-safe).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket

from consensusnet.compose import App, settle_heap
from consensusnet.domain.config import Settings
from consensusnet.domain.errors import ConfigError
from consensusnet.runtime.dbos import DbosRuntime
from consensusnet.store.workers import WorkerRegistry

log = logging.getLogger("consensusnet.worker")


def worker_settings(settings: Settings) -> Settings:
    """Settings for a worker process: queue execution, and a unique executor id."""
    worker_id = settings.worker_id
    if worker_id == "local":
        worker_id = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
    return settings.model_copy(update={"execution": "queue", "worker_id": worker_id})


async def _heartbeat(registry: WorkerRegistry, worker_id: str, every: float) -> None:
    host, pid = socket.gethostname(), os.getpid()
    while True:
        try:
            await registry.beat(worker_id, host=host, pid=pid)
        except Exception as error:  # a missed beat is survivable; dying here is not
            log.warning("Heartbeat failed: %s", type(error).__name__)
        await asyncio.sleep(every)


async def recover_dead_workers(
    runtime: DbosRuntime, registry: WorkerRegistry, me: str, dead_after: float
) -> list[str]:
    """Re-enqueue the sessions of executors with no recent heartbeat; returns their ids."""
    live = {beat.id for beat in await registry.live(dead_after)} | {me}
    dead = sorted(await runtime.pending_executors() - live)
    if dead:
        found = await runtime.recover(dead)
        log.warning("Recovered %d session(s) from dead worker(s) %s", found, ", ".join(dead))
    return dead


async def _recovery(runtime: DbosRuntime, registry: WorkerRegistry, me: str, s: Settings) -> None:
    while True:
        await asyncio.sleep(s.worker_heartbeat)
        try:
            await recover_dead_workers(runtime, registry, me, s.worker_dead_after)
        except Exception as error:
            log.warning("Dead-worker scan failed: %s", type(error).__name__)


async def run_worker(app: App, stop: asyncio.Event) -> None:
    """Serve the queue until `stop` is set, then drain running sessions and leave."""
    runtime = app.runtime
    if not isinstance(runtime, DbosRuntime) or runtime.mode != "worker":
        raise ConfigError("A worker needs the DBOS runtime.", hint="Unset CONSENSUSNET_RUNTIME.")
    settings = app.settings
    services = await app.services()
    registry = WorkerRegistry(services.engine)
    me = settings.worker_id
    await registry.beat(me, host=socket.gethostname(), pid=os.getpid())
    await runtime.launch()
    settle_heap()
    loops = [
        asyncio.create_task(_heartbeat(registry, me, settings.worker_heartbeat)),
        asyncio.create_task(_recovery(runtime, registry, me, settings)),
    ]
    log.info("Worker %s consuming the session queue.", me)
    try:
        await stop.wait()
        log.info("Draining (up to %d s).", settings.worker_drain)
        await runtime.drain(settings.worker_drain)
    finally:
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        with contextlib.suppress(Exception):
            await registry.leave(me)
        await app.close()


async def main(app: App) -> None:
    """Run a worker with SIGTERM and SIGINT wired to a graceful drain."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await run_worker(app, stop)

"""Run the real API on a free loopback port inside the current event loop (tests, demos)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import uvicorn

from consensusnet.api.app import create_api
from consensusnet.compose import App
from consensusnet.store.users import UserStore
from consensusnet.testing.cluster import free_port


@dataclass
class RunningApi:
    """A served API: where it listens and the composition root behind it."""

    url: str
    app: App


@contextlib.asynccontextmanager
async def serve_api(app: App, *, ready_timeout: float = 30.0) -> AsyncIterator[RunningApi]:
    """Serve `create_api(app)` with uvicorn on 127.0.0.1 until the block exits."""
    port = free_port()
    config = uvicorn.Config(
        create_api(app), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(ready_timeout):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn exited before it started")
                await asyncio.sleep(0.02)
        yield RunningApi(url=f"http://127.0.0.1:{port}", app=app)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def issue_key(app: App, name: str, *, admin: bool = False) -> str:
    """A new user and one API key for them."""
    services = await app.services()
    users = UserStore(services.engine, app.settings.secret_key.get_secret_value())
    await users.create_user(name, is_admin=admin)
    return (await users.create_key(name)).token

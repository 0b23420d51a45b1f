"""An API served by a real uvicorn on a free loopback port, users with keys, SSE parsing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from api_support import MakeClient

from consensusnet.cli.serve import service_app
from consensusnet.domain.config import Settings
from consensusnet.testing.api_server import RunningApi, issue_key, serve_api


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    """Scripted calls that take a little time, short heartbeats."""
    return settings.model_copy(update={"scripted_ttft": 0.05, "sse_heartbeat": 0.5})


@pytest.fixture
async def api(api_settings: Settings) -> AsyncIterator[RunningApi]:
    """The API, served until the test ends."""
    async with serve_api(service_app(api_settings, "api")) as running:
        yield running


@pytest.fixture
async def client_for(api: RunningApi) -> AsyncIterator[MakeClient]:
    """`await client_for("alice")`: an HTTP client authenticated as a new user."""
    clients: list[httpx.AsyncClient] = []

    async def make(name: str, *, admin: bool = False) -> httpx.AsyncClient:
        token = await issue_key(api.app, name, admin=admin)
        client = httpx.AsyncClient(
            base_url=api.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()

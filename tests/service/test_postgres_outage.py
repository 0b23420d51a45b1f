"""PostgreSQL cut off behind a TCP proxy: `/health` stays 200, `/ready` and database-backed
endpoints answer a clean 503 in the one error shape, and both recover once it is reachable again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from cluster import service_env

from consensusnet.testing.cluster import ProcessCluster, free_port
from consensusnet.testing.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DRIVER_INTERNALS = ("Traceback", "asyncpg", "sqlalchemy", "Errno", "Connect call failed", 'File "')


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[TcpProxy]:
    target = urlsplit(postgres_url)
    with TcpProxy(target.hostname or "127.0.0.1", target.port or 5432) as running:
        yield running


@pytest.fixture
def cluster(tmp_path: Path, postgres_url: str, proxy: TcpProxy) -> Iterator[ProcessCluster]:
    parts = urlsplit(postgres_url)
    user = parts.netloc.rpartition("@")[0]
    proxied = parts._replace(netloc=f"{user}@127.0.0.1:{proxy.port}").geturl()
    # No Redis: in-process rate limits, so other tests' traffic on a shared Redis cannot count.
    running = ProcessCluster(service_env(tmp_path, proxied, None, free_port()), tmp_path)
    try:
        yield running
    finally:
        running.stop(grace=20)


@pytest.fixture
async def alice(cluster: ProcessCluster) -> AsyncIterator[httpx.AsyncClient]:
    token = cluster.api_key("alice")  # created while PostgreSQL is reachable
    cluster.start("api", "serve")
    await cluster.wait_ready()
    async with httpx.AsyncClient(
        base_url=cluster.url, headers={"Authorization": f"Bearer {token}"}, timeout=15
    ) as client:
        yield client


def _assert_clean_503(response: httpx.Response) -> dict[str, str]:
    """503 with Retry-After and the one error shape, saying what to do and nothing internal."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["Retry-After"]) >= 1
    error: dict[str, str] = response.json()["error"]
    assert error["code"] == "unavailable"
    assert "database" in error["message"].lower()
    assert error["hint"]
    for internal in DRIVER_INTERNALS:
        assert internal.lower() not in response.text.lower(), response.text
    return error


async def _until_recovered(alice: httpx.AsyncClient, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while True:
            ready = await alice.get("/ready")
            listing = await alice.get("/api/v1/sessions")
            if ready.status_code == 200 and listing.status_code == 200:
                return
            assert listing.status_code == 503, listing.text  # recovering, never a 500
            await asyncio.sleep(0.5)


@pytest.mark.timeout(120)
async def test_postgres_outage_answers_503_then_recovers(
    alice: httpx.AsyncClient, proxy: TcpProxy, cluster: ProcessCluster
) -> None:
    assert (await alice.get("/api/v1/sessions")).status_code == 200

    proxy.down()
    try:
        assert (await alice.get("/health")).status_code == 200
        ready = await alice.get("/ready")
        _assert_clean_503(ready)
        assert ready.json()["checks"]["database"] == {"ok": False, "detail": "unreachable"}
        # Pooled connections were reset by the outage: every call must still fail fast, cleanly.
        for _ in range(3):
            _assert_clean_503(await alice.get("/api/v1/sessions"))
        assert (await alice.get("/health")).status_code == 200
        assert cluster.procs["api"].poll() is None, cluster.log("api")
    finally:
        proxy.up()

    await _until_recovered(alice, timeout=20)
    created = await alice.post(
        "/api/v1/sessions", json={"kind": "bench.overhead", "input": {"rounds": 1, "parallel": 1}}
    )
    assert created.status_code == 201, created.text

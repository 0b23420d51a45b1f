"""Workers on PostgreSQL: SIGKILL one mid-session and another completes it with no repeated LLM
call, while an SSE client (fanned out through Redis) sees every event exactly once; SIGTERM drains.
"""

from __future__ import annotations

import asyncio
import collections
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from cluster import service_env

from consensusnet.testing.api_client import collect_stream, wait_status
from consensusnet.testing.cluster import ProcessCluster, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROUNDS, PARALLEL = 6, 3


@pytest.fixture
def cluster(tmp_path: Path, postgres_url: str, redis_url: str) -> Iterator[ProcessCluster]:
    running = ProcessCluster(service_env(tmp_path, postgres_url, redis_url, free_port()), tmp_path)
    try:
        yield running
    finally:
        running.stop(grace=20)


async def _executor_of(database_url: str, session_id: str) -> str | None:
    conn = await asyncpg.connect(database_url)
    try:
        value = await conn.fetchval(
            "SELECT executor_id FROM dbos.workflow_status WHERE workflow_uuid = $1", session_id
        )
        return str(value) if value else None
    finally:
        await conn.close()


async def _workers_alive(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM workers"))
    finally:
        await conn.close()


async def _call_keys(client: httpx.AsyncClient, session_id: str) -> list[str]:
    page = await client.get(f"/api/v1/sessions/{session_id}/events", params={"limit": 1000})
    return [e["data"]["call_key"] for e in page.json()["items"] if e["type"] == "llm.call"]


@pytest.fixture
async def alice(cluster: ProcessCluster) -> AsyncIterator[httpx.AsyncClient]:
    token = cluster.api_key("alice")
    cluster.start("api", "serve")
    await cluster.wait_ready()
    async with httpx.AsyncClient(
        base_url=cluster.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        yield client


async def _start_workers(cluster: ProcessCluster, database_url: str, *names: str) -> None:
    for name in names:
        cluster.start(name, "worker", CONSENSUSNET_WORKER_ID=name)
    async with asyncio.timeout(60):
        while await _workers_alive(database_url) < len(names):
            for name in names:
                assert cluster.procs[name].poll() is None, cluster.log(name)
            await asyncio.sleep(0.2)


async def _create(alice: httpx.AsyncClient) -> str:
    body: dict[str, Any] = {
        "kind": "bench.overhead",
        "input": {"rounds": ROUNDS, "parallel": PARALLEL},
    }
    response = await alice.post("/api/v1/sessions", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.mark.timeout(240)
async def test_sigkill_a_worker_mid_session_another_completes_it(
    cluster: ProcessCluster, alice: httpx.AsyncClient, postgres_url: str
) -> None:
    await _start_workers(cluster, postgres_url, "w1", "w2")
    session_id = await _create(alice)
    stream = asyncio.create_task(collect_stream(alice, session_id))

    async with asyncio.timeout(60):
        while len(await _call_keys(alice, session_id)) < PARALLEL + 1:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    victim = await _executor_of(postgres_url, session_id)
    assert victim in ("w1", "w2")
    cluster.procs[victim].send_signal(signal.SIGKILL)
    cluster.procs[victim].wait()
    before = await _call_keys(alice, session_id)
    assert len(before) < ROUNDS * PARALLEL, "the kill must land mid-session"

    view = await wait_status(alice, session_id, {"completed", "failed"}, timeout=90)
    assert view["status"] == "completed", view
    survivor = "w2" if victim == "w1" else "w1"
    assert await _executor_of(postgres_url, session_id) == survivor
    counts = collections.Counter(await _call_keys(alice, session_id))
    expected = {f"r{r}.p{p}" for r in range(ROUNDS) for p in range(PARALLEL)}
    assert set(counts) == expected
    assert all(count == 1 for count in counts.values()), counts

    frames = await asyncio.wait_for(stream, 30)
    seqs = [f.id for f in frames if f.id is not None and f.event != "end"]
    assert seqs == list(range(1, view["last_seq"] + 1))  # no gap, no duplicate
    assert frames[-1].event == "end"


@pytest.mark.timeout(240)
async def test_sigterm_drains_the_running_session_before_exit(
    cluster: ProcessCluster, alice: httpx.AsyncClient, postgres_url: str
) -> None:
    await _start_workers(cluster, postgres_url, "w1")
    session_id = await _create(alice)
    await wait_status(alice, session_id, {"running"}, timeout=60)
    worker = cluster.procs["w1"]
    worker.send_signal(signal.SIGTERM)
    code = await asyncio.to_thread(worker.wait, 90)
    assert code == 0, cluster.log("w1")
    view = (await alice.get(f"/api/v1/sessions/{session_id}")).json()
    assert view["status"] == "completed", cluster.log("w1")
    assert await _workers_alive(postgres_url) == 0

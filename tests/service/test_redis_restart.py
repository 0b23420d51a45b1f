"""Redis SIGKILLed mid-stream and restarted: a client resuming by Last-Event-ID misses nothing and
sees nothing twice, the API keeps answering (rate limits fail open) while `/ready` says 503, the
session completes, and once Redis is back the notifier publishes and subscribes again.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from cluster import service_env
from redis.asyncio import Redis

from consensusnet.testing.api_client import Frame, read_frames, wait_status
from consensusnet.testing.cluster import ProcessCluster, free_port
from consensusnet.testing.services import reachable, require

pytestmark = [pytest.mark.integration, pytest.mark.slow]
REDIS_SERVER = Path("/usr/bin/redis-server")
ROUNDS, PARALLEL = 24, 2  # at 0.5 s a call, a session of about 12 s
OUTAGE = 4.0
CHANNELS = "consensusnet:session:*"


class PrivateRedis:
    """A redis-server of this test's own, so killing it never disturbs the shared one."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start (or restart) the server on its port and wait until it accepts connections."""
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--daemonize", "no"]
        with self._log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [str(REDIS_SERVER), *args], stdout=log, stderr=subprocess.STDOUT
            )
        for _ in range(100):
            assert self._proc.poll() is None, self._log_path.read_text(errors="replace")
            if reachable("127.0.0.1", self.port):
                return
            time.sleep(0.1)
        raise AssertionError(f"redis-server did not listen on {self.port}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, every client connection reset."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    require(REDIS_SERVER.exists(), f"{REDIS_SERVER} is not installed")
    server = PrivateRedis(free_port(), tmp_path / "redis.log")
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def cluster(
    tmp_path: Path, postgres_url: str, private_redis: PrivateRedis
) -> Iterator[ProcessCluster]:
    env = service_env(
        tmp_path,
        postgres_url,
        private_redis.url,
        free_port(),
        CONSENSUSNET_SCRIPTED_TTFT="0.5",
        CONSENSUSNET_SSE_HEARTBEAT="5",
    )
    running = ProcessCluster(env, tmp_path)
    try:
        yield running
    finally:
        running.stop(grace=20)


@pytest.fixture
async def alice(cluster: ProcessCluster) -> AsyncIterator[httpx.AsyncClient]:
    token = cluster.api_key("alice")
    cluster.start("api", "serve")
    cluster.start("w1", "worker", CONSENSUSNET_WORKER_ID="w1")
    await cluster.wait_ready()
    async with httpx.AsyncClient(
        base_url=cluster.url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=httpx.Timeout(15, read=30),
    ) as client:
        yield client


async def _create(alice: httpx.AsyncClient, rounds: int) -> str:
    body = {"kind": "bench.overhead", "input": {"rounds": rounds, "parallel": PARALLEL}}
    response = await alice.post("/api/v1/sessions", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _stream_into(
    alice: httpx.AsyncClient, session_id: str, frames: list[Frame], last_event_id: int = 0
) -> None:
    """Append the stream's frames to `frames` as they arrive (cancel the task to drop it)."""
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id else {}
    url = f"/api/v1/sessions/{session_id}/stream"
    async with alice.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        async for frame in read_frames(response):
            frames.append(frame)


def _seqs(frames: list[Frame]) -> list[int]:
    return [f.id for f in frames if f.id is not None and f.event != "end"]


async def _until_seq(frames: list[Frame], seq: int, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while True:
            if _seqs(frames) and _seqs(frames)[-1] >= seq:
                return
            await asyncio.sleep(0.05)


async def _pattern_subscribers(url: str) -> int:
    client = Redis.from_url(url)
    try:
        return int(await client.pubsub_numpat())
    finally:
        await client.aclose()


async def _until_subscribed(url: str, timeout: float) -> None:
    """Until some process (the API's notifier) holds a pattern subscription on Redis."""
    async with asyncio.timeout(timeout):
        while True:
            if await _pattern_subscribers(url) >= 1:
                return
            await asyncio.sleep(0.2)


async def _until_ready(client: httpx.AsyncClient, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while True:
            if (await client.get("/ready")).status_code == 200:
                return
            await asyncio.sleep(0.2)


async def _ride_out_outage(alice: httpx.AsyncClient, session_id: str, seconds: float) -> None:
    """Call the API throughout the outage: no 5xx, reads work, `/ready` names Redis."""
    loop = asyncio.get_running_loop()
    until = loop.time() + seconds
    while loop.time() < until:
        view = await alice.get(f"/api/v1/sessions/{session_id}")
        assert view.status_code == 200, view.text  # the rate limiter failed open
        listing = await alice.get("/api/v1/sessions")
        assert listing.status_code == 200, listing.text
        assert (await alice.get("/health")).status_code == 200
        ready = await alice.get("/ready")
        assert ready.status_code == 503, ready.text
        assert ready.json()["checks"]["redis"]["ok"] is False
        await asyncio.sleep(0.5)


@pytest.mark.timeout(120)
async def test_a_redis_restart_mid_stream_loses_no_event(
    cluster: ProcessCluster, alice: httpx.AsyncClient, private_redis: PrivateRedis
) -> None:
    session_id = await _create(alice, ROUNDS)
    first: list[Frame] = []
    reader = asyncio.create_task(_stream_into(alice, session_id, first))
    await _until_seq(first, 4, timeout=60)
    await _until_subscribed(private_redis.url, timeout=10)

    private_redis.kill()
    try:
        seen_at_kill = _seqs(first)[-1]
        during = await _create(alice, rounds=1)  # its first event's wake-up cannot be published
        await _ride_out_outage(alice, session_id, OUTAGE)
        # The tail falls back to re-reading the log, so the first stream kept moving.
        await _until_seq(first, seen_at_kill + 1, timeout=10)
        reader.cancel()  # the client drops its connection during the outage
        await asyncio.gather(reader, return_exceptions=True)
        assert (await alice.get(f"/api/v1/sessions/{session_id}")).json()["status"] == "running"
    finally:
        private_redis.start()

    second: list[Frame] = []
    await asyncio.wait_for(_stream_into(alice, session_id, second, _seqs(first)[-1]), 60)
    view = await wait_status(alice, session_id, {"completed", "failed"}, timeout=30)
    assert view["status"] == "completed", view
    assert _seqs(second), "the restart must land mid-session"
    assert _seqs(first) + _seqs(second) == list(range(1, view["last_seq"] + 1))
    assert second[-1].event == "end"
    assert second[-2].event == "session.completed"
    other = await wait_status(alice, during, {"completed", "failed"}, timeout=30)
    assert other["status"] == "completed", other

    await _until_ready(alice, timeout=20)
    await _until_subscribed(private_redis.url, timeout=20)  # the API's listener is back
    await _wakeups_flow_again(alice, private_redis.url)
    # Each process says once that Redis is down, not once per request or per event.
    api, worker = cluster.log("api", tail=None), cluster.log("w1", tail=None)
    assert api.count("Rate limiter: Redis unavailable") == 1, cluster.log("api")
    assert api.count("Session tails: Redis unavailable") == 1, cluster.log("api")
    assert worker.count("Session wake-ups: Redis unavailable") == 1, cluster.log("w1")


async def _wakeups_flow_again(alice: httpx.AsyncClient, url: str) -> None:
    """A new session's appends are published to Redis again, and its stream runs to the end."""
    redis = Redis.from_url(url)
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    try:
        await pubsub.psubscribe(CHANNELS)
        session_id = await _create(alice, rounds=2)
        frames: list[Frame] = []
        await asyncio.wait_for(_stream_into(alice, session_id, frames), 30)
        assert frames[-1].event == "end"
        channel = f"consensusnet:session:{session_id}".encode()
        async with asyncio.timeout(10):
            while True:  # appended before we looked, so published before: already buffered
                message = await pubsub.get_message(timeout=1.0)
                if message is not None and message["channel"] == channel:
                    break
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await redis.aclose()

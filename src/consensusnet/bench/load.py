"""`consensusnet bench load`: the API and 2 workers on PostgreSQL, N sessions at once, all streamed.

Figures, not pass/fail: sessions per minute, p50/p99 API latency, per-session wall time against
its critical path, and peak RSS per process. Everything listens on 127.0.0.1 and runs in a
temporary database that is dropped afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from pydantic import BaseModel

from consensusnet.domain.config import Settings
from consensusnet.testing.api_client import collect_stream

MAX_SESSIONS = 1000
STREAM_TIMEOUT = 300.0


class LoadFigures(BaseModel):
    """What `bench load` prints."""

    sessions: int
    completed: int
    llm_calls: int
    elapsed_s: float
    sessions_per_minute: float
    api_p50_ms: float
    api_p99_ms: float
    wall_p50_s: float
    wall_p99_s: float
    critical_path_s: float
    wall_over_critical_p50: float
    peak_rss_mb: dict[str, float]


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def _session_figures(events: list[dict[str, Any]]) -> tuple[float, float, int]:
    """(wall s from created to completed, critical path s, LLM calls) of one session."""
    created = completed = None
    slowest: dict[str, float] = {}
    calls = 0
    for event in events:
        moment = datetime.fromisoformat(event["created_at"])
        if event["type"] == "session.created":
            created = moment
        elif event["type"] == "session.completed":
            completed = moment
        elif event["type"] == "llm.call" and event["data"].get("call_key"):
            calls += 1
            round_key = event["data"]["call_key"].split(".")[0]
            slowest[round_key] = max(slowest.get(round_key, 0.0), event["data"]["latency_s"])
    wall = (completed - created).total_seconds() if created and completed else float("nan")
    return wall, sum(slowest.values()), calls


class _Cluster:
    """The API and the workers as child processes of this one."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._files: list[Any] = []

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "consensusnet", *args],
            env=self.env,
            capture_output=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr.decode()[-2000:])
        return done.stdout.decode()

    def start(self, name: str, *args: str, **extra: str) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        self._files.append(log)
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "consensusnet", *args],
            env={**self.env, **extra},
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self._files:
            log.close()


async def _admin(url: str, sql: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _wait_ready(base: str, cluster: _Cluster, workers: int, timeout: float = 120) -> None:
    async with httpx.AsyncClient(base_url=base) as client, asyncio.timeout(timeout):
        while True:
            if cluster.procs["api"].poll() is not None:
                raise RuntimeError((cluster.logs / "api.log").read_text()[-2000:])
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/ready")).status_code == 200:
                    break
            await asyncio.sleep(0.2)
    await asyncio.sleep(max(2.0, workers * 1.0))  # workers launch and start polling the queue


async def _drive(base: str, token: str, n: int, body: dict[str, Any]) -> LoadFigures:
    limits = httpx.Limits(max_connections=n * 2 + 10, max_keepalive_connections=n * 2 + 10)
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=base, headers=headers, timeout=600, limits=limits
    ) as client:

        async def timed(method: str, url: str, **kwargs: Any) -> httpx.Response:
            started = time.perf_counter()
            response = await client.request(method, url, **kwargs)
            latencies.append(time.perf_counter() - started)
            return response

        async def one() -> str:
            response = await timed("POST", "/api/v1/sessions", json=body)
            response.raise_for_status()
            session_id = str(response.json()["id"])
            with contextlib.suppress(TimeoutError, httpx.TransportError):
                await asyncio.wait_for(collect_stream(client, session_id), STREAM_TIMEOUT)
            return session_id

        async def probe(stop: asyncio.Event) -> None:
            while not stop.is_set():
                await timed("GET", "/api/v1/sessions", params={"limit": 20})
                await asyncio.sleep(0.2)

        stop = asyncio.Event()
        prober = asyncio.create_task(probe(stop))
        started = time.perf_counter()
        ids = await asyncio.gather(*(one() for _ in range(n)))
        elapsed = time.perf_counter() - started
        stop.set()
        await prober
        walls, paths, calls, completed = [], [], 0, 0
        for session_id in ids:
            page = await client.get(f"/api/v1/sessions/{session_id}/events", params={"limit": 1000})
            items = page.json()["items"]
            completed += any(e["type"] == "session.completed" for e in items)
            wall, path, count = _session_figures(items)
            walls.append(wall)
            paths.append(path)
            calls += count
    ratios = [w / p for w, p in zip(walls, paths, strict=True) if p]
    return LoadFigures(
        sessions=n,
        completed=completed,
        llm_calls=calls,
        elapsed_s=round(elapsed, 2),
        sessions_per_minute=round(n / elapsed * 60, 1),
        api_p50_ms=round(_percentile(latencies, 0.5) * 1000, 1),
        api_p99_ms=round(_percentile(latencies, 0.99) * 1000, 1),
        wall_p50_s=round(_percentile(walls, 0.5), 3),
        wall_p99_s=round(_percentile(walls, 0.99), 3),
        critical_path_s=round(statistics.median(paths), 3) if paths else 0.0,
        wall_over_critical_p50=round(_percentile(ratios, 0.5), 3),
        peak_rss_mb={},
    )


async def run_load(
    settings: Settings,
    *,
    sessions: int,
    rounds: int,
    parallel: int,
    latency: float,
    workers: int,
    worker_concurrency: int,
) -> LoadFigures:
    """Start the cluster in a temporary database, drive it, tear it all down."""
    if not settings.database_url or settings.is_embedded:
        raise typer.BadParameter("bench load needs DATABASE_URL pointing at PostgreSQL")
    server = settings.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    base_url, _, _ = server.rpartition("/")
    name = f"cn_bench_{uuid.uuid4().hex[:10]}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="consensusnet-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSENSUSNET_")}
    env.update(
        DATABASE_URL=f"{base_url}/{name}",
        CONSENSUSNET_DATA_DIR=str(work / "data"),
        CONSENSUSNET_PROVIDER="scripted",
        CONSENSUSNET_SCRIPTED_TTFT=str(latency),
        CONSENSUSNET_HOST="127.0.0.1",
        CONSENSUSNET_PORT=str(port),
        CONSENSUSNET_RATE_LIMIT_PER_KEY="0",
        CONSENSUSNET_RATE_LIMIT_PER_IP="0",
        CONSENSUSNET_WORKER_CONCURRENCY=str(worker_concurrency),
        CONSENSUSNET_LLM_CONCURRENCY=str(max(8, worker_concurrency * parallel)),
    )
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    cluster = _Cluster(env, work)
    try:
        cluster.cli("users", "create", "bench")
        token = cluster.cli("keys", "create", "bench").strip().splitlines()[-1]
        cluster.start("api", "serve")
        for index in range(workers):
            cluster.start(f"worker{index + 1}", "worker", CONSENSUSNET_WORKER_ID=f"load-w{index}")
        base = f"http://127.0.0.1:{port}"
        await _wait_ready(base, cluster, workers)
        body = {"kind": "bench.overhead", "input": {"rounds": rounds, "parallel": parallel}}
        figures = await _drive(base, token, sessions, body)
        figures.peak_rss_mb = {name: _peak_rss_mb(p.pid) for name, p in cluster.procs.items()}
        return figures
    finally:
        cluster.stop()
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def register(bench_app: typer.Typer) -> None:
    """Add `load` to `consensusnet bench`."""

    @bench_app.command()
    def load(
        sessions: Annotated[int, typer.Option("--sessions", "-n", min=1, max=MAX_SESSIONS)] = 200,
        rounds: Annotated[int, typer.Option(min=1, max=20)] = 3,
        parallel: Annotated[int, typer.Option(min=1, max=10)] = 5,
        latency: Annotated[float, typer.Option(min=0.0, max=5.0)] = 0.5,
        workers: Annotated[int, typer.Option(min=1, max=8)] = 2,
        worker_concurrency: Annotated[
            int, typer.Option(min=1, max=200, help="Sessions per worker at once.")
        ] = 20,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
    ) -> None:
        """API + workers on the scripted provider: N sessions at once, every one streamed."""
        figures = asyncio.run(
            run_load(
                Settings(),
                sessions=sessions,
                rounds=rounds,
                parallel=parallel,
                latency=latency,
                workers=workers,
                worker_concurrency=worker_concurrency,
            )
        )
        if as_json:
            typer.echo(figures.model_dump_json())
            return
        for key, value in figures.model_dump().items():
            typer.echo(f"{key:>24}: {value}")

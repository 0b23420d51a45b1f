"""`consensusnet bench load`: the API and 2 workers on PostgreSQL, N board sessions at once.

Figures, not pass/fail: sessions per minute, p50/p99 API latency, each session's wall time
against its critical path (defined in `bench/critical_path.py`: the longest chain of LLM calls
that had to happen one after another), the LLM calls made, and peak RSS and CPU per process
(`bench/cluster.py` starts the processes and reads both). Everything listens on 127.0.0.1,
answers on the scripted provider (`latency` seconds per call), and runs in a temporary
PostgreSQL database that is dropped afterwards.

Wall time runs from `session.created` to `session.completed`, so it includes waiting in the
queue; run time starts at the session's first `session.started` instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel

from consensusnet.bench.cluster import CpuMeter, admin, peak_rss_mb, wait_ready
from consensusnet.bench.critical_path import DEFINITIONS, Kind, SessionOutcome, session_outcome
from consensusnet.domain.config import Settings
from consensusnet.domain.errors import ConfigError
from consensusnet.testing.api_client import collect_stream
from consensusnet.testing.cluster import ProcessCluster, free_port
from consensusnet.testing.services import PG_HOST, PG_PORT, REDIS_HOST, REDIS_PORT

MAX_SESSIONS = 1000
LOCAL_PG = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"
LOCAL_REDIS = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
QUESTION = "Should we move our support team to a four-day week this year?"


class LoadFigures(BaseModel):
    """What `bench load` prints."""

    kind: Kind
    sessions: int
    completed: int
    failed: int
    unfinished: int
    first_error: str = ""
    llm_calls: int
    elapsed_s: float
    sessions_per_minute: float
    api_requests: int
    api_p50_ms: float
    api_p99_ms: float
    create_p50_ms: float
    create_p99_ms: float
    list_p50_ms: float
    list_p99_ms: float
    wall_p50_s: float
    wall_p99_s: float
    run_p50_s: float
    run_p99_s: float
    critical_path_p50_s: float
    critical_path_p99_s: float
    critical_calls_p50: int
    wall_over_critical_p50: float
    wall_over_critical_p99: float
    run_over_critical_p50: float
    peak_rss_mb: dict[str, float] = {}
    cpu_s: dict[str, float] = {}
    machine_busy_pct: float = 0.0
    logs: str = ""


# -- driving it ------------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ms(seconds: list[float], q: float) -> float:
    return round(_percentile(seconds, q) * 1000, 1)


async def _all_events(client: httpx.AsyncClient, session_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    after, done = 0, False
    while not done:
        url = f"/api/v1/sessions/{session_id}/events"
        page = (await client.get(url, params={"after": after, "limit": 1000})).json()
        events += page["items"]
        after, done = page["next_after"], page["done"] or not page["items"]
    return events


async def _drive(
    client: httpx.AsyncClient,
    n: int,
    body: dict[str, Any],
    kind: Kind,
    stream_timeout: float,
    pids: dict[str, int],
) -> LoadFigures:
    latencies: dict[str, list[float]] = {"create": [], "list": []}

    async def timed(name: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        started = time.perf_counter()
        response = await client.request(method, url, **kwargs)
        latencies[name].append(time.perf_counter() - started)
        return response

    async def one() -> str | SessionOutcome:
        try:
            response = await timed("create", "POST", "/api/v1/sessions", json=body)
        except httpx.HTTPError as error:
            return SessionOutcome("not created", f"{type(error).__name__}: {error}")
        if response.status_code != 201:
            return SessionOutcome("not created", f"HTTP {response.status_code}: {response.text}")
        session_id = str(response.json()["id"])
        # A stream that breaks or outlasts the timeout leaves the session unfinished: its
        # events, read afterwards, say how far it got.
        with contextlib.suppress(TimeoutError, httpx.HTTPError, AssertionError):
            await asyncio.wait_for(collect_stream(client, session_id), stream_timeout)
        return session_id

    async def probe(stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(httpx.HTTPError):
                await timed("list", "GET", "/api/v1/sessions", params={"limit": 20})
            await asyncio.sleep(0.2)

    stop = asyncio.Event()
    prober = asyncio.create_task(probe(stop))
    meter, started = CpuMeter(pids), time.perf_counter()
    results = await asyncio.gather(*(one() for _ in range(n)))
    elapsed = time.perf_counter() - started
    cpu, busy = meter.read()
    stop.set()
    await prober
    outcomes = [
        r if isinstance(r, SessionOutcome) else session_outcome(await _all_events(client, r), kind)
        for r in results
    ]
    figures = _figures(kind, outcomes, latencies, elapsed)
    figures.cpu_s, figures.machine_busy_pct = cpu, busy
    return figures


def _figures(
    kind: Kind, outcomes: list[SessionOutcome], latencies: dict[str, list[float]], elapsed: float
) -> LoadFigures:
    requests = latencies["create"] + latencies["list"]
    done = [o for o in outcomes if o.status == "completed"]
    walls, runs = [o.wall_s for o in done], [o.run_s for o in done]
    paths = [o.critical[0] for o in done]
    ratios = [o.wall_s / o.critical[0] for o in done if o.critical[0]]
    run_ratios = [o.run_s / o.critical[0] for o in done if o.critical[0]]
    errors = [f"{o.status}: {o.error}" for o in outcomes if o.status != "completed"]
    unfinished = sum(1 for o in outcomes if o.status == "unfinished")
    return LoadFigures(
        kind=kind,
        sessions=len(outcomes),
        completed=len(done),
        failed=len(outcomes) - len(done) - unfinished,
        unfinished=unfinished,
        first_error=errors[0][:500] if errors else "",
        llm_calls=sum(o.llm_calls for o in outcomes),
        elapsed_s=round(elapsed, 2),
        sessions_per_minute=round(len(done) / elapsed * 60, 1),
        api_requests=len(requests),
        api_p50_ms=_ms(requests, 0.5),
        api_p99_ms=_ms(requests, 0.99),
        create_p50_ms=_ms(latencies["create"], 0.5),
        create_p99_ms=_ms(latencies["create"], 0.99),
        list_p50_ms=_ms(latencies["list"], 0.5),
        list_p99_ms=_ms(latencies["list"], 0.99),
        wall_p50_s=round(_percentile(walls, 0.5), 3),
        wall_p99_s=round(_percentile(walls, 0.99), 3),
        run_p50_s=round(_percentile(runs, 0.5), 3),
        run_p99_s=round(_percentile(runs, 0.99), 3),
        critical_path_p50_s=round(_percentile(paths, 0.5), 3),
        critical_path_p99_s=round(_percentile(paths, 0.99), 3),
        critical_calls_p50=round(_percentile([float(o.critical[1]) for o in done], 0.5)),
        wall_over_critical_p50=round(_percentile(ratios, 0.5), 3),
        wall_over_critical_p99=round(_percentile(ratios, 0.99), 3),
        run_over_critical_p50=round(_percentile(run_ratios, 0.5), 3),
    )


# -- the run ---------------------------------------------------------------------------------


class LoadPlan(BaseModel):
    """What to run: how many sessions of which shape, and the cluster that serves them."""

    kind: Kind = "board"
    sessions: int = 200
    experts: int = 3
    rounds: int = 2
    subproblems: int = 2
    parallel: int = 5
    latency: float = 0.5
    workers: int = 2
    worker_concurrency: int = 20
    stream_timeout: float = 900.0

    def body(self) -> dict[str, Any]:
        """The POST /api/v1/sessions body of every session."""
        if self.kind == "overhead":
            return {
                "kind": "bench.overhead",
                "input": {"rounds": self.rounds, "parallel": self.parallel},
            }
        return {
            "kind": "board",
            "title": "bench load",
            "input": {"question": QUESTION},
            "options": {
                "experts": self.experts,
                "max_rounds": self.rounds,
                "max_subproblems": self.subproblems,
                "clarify": "assume",  # nobody answers questions here: the board assumes
            },
        }

    def llm_concurrency(self) -> int:
        """Enough for every call a worker's sessions make at once: a call's recorded latency
        includes waiting for the gateway's limit, which would inflate the critical path."""
        at_once = self.experts * self.subproblems if self.kind == "board" else self.parallel
        return max(8, self.worker_concurrency * at_once)

    def describe(self) -> str:
        """One line: what ran."""
        shape = (
            f"{self.experts} experts, <= {self.rounds} rounds, <= {self.subproblems} "
            "sub-problems, no clarification"
            if self.kind == "board"
            else f"{self.rounds} rounds x {self.parallel} calls"
        )
        return (
            f"{self.sessions} {self.kind} sessions ({shape}) on the API and {self.workers} "
            f"workers x {self.worker_concurrency} sessions, {self.latency} s per scripted call"
        )


def _cluster_env(
    plan: LoadPlan, database_url: str, redis_url: str, port: int, work: Path
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSENSUSNET_")}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CONSENSUSNET_DATA_DIR=str(work / "data"),
        CONSENSUSNET_PROVIDER="scripted",
        CONSENSUSNET_SCRIPTED_TTFT=str(plan.latency),
        CONSENSUSNET_HOST="127.0.0.1",
        CONSENSUSNET_PORT=str(port),
        CONSENSUSNET_RATE_LIMIT_PER_KEY="0",
        CONSENSUSNET_RATE_LIMIT_PER_IP="0",
        CONSENSUSNET_WORKER_CONCURRENCY=str(plan.worker_concurrency),
        CONSENSUSNET_LLM_CONCURRENCY=str(plan.llm_concurrency()),
    )
    return env


async def run_load(
    settings: Settings,
    plan: LoadPlan,
    database_url: str | None = None,
    redis_url: str | None = None,
) -> LoadFigures:
    """Start the cluster in a temporary database, drive it, tear it all down."""
    server = (database_url or settings.database_url or LOCAL_PG).replace("+asyncpg", "", 1)
    if not server.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            "bench load needs PostgreSQL.", hint="Pass --database-url postgresql://..."
        )
    base_url, _, _ = server.rpartition("/")
    name = f"cn_bench_{uuid.uuid4().hex[:10]}"
    await admin(server, f'CREATE DATABASE "{name}"')
    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="consensusnet-load-"))
    redis = redis_url or settings.redis_url or LOCAL_REDIS
    env = _cluster_env(plan, f"{base_url}/{name}", redis, port, work)
    cluster = ProcessCluster(env, work, cwd=work)
    try:
        token = cluster.api_key("bench")
        cluster.start("api", "serve")
        for index in range(1, plan.workers + 1):
            cluster.start(f"worker-{index}", "worker", CONSENSUSNET_WORKER_ID=f"load-w{index}")
        await wait_ready(cluster, plan.workers)
        connections = plan.sessions * 2 + 10
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            base_url=cluster.url, headers=headers, timeout=600, limits=limits
        ) as client:
            pids = {name: proc.pid for name, proc in cluster.procs.items()}
            figures = await _drive(
                client, plan.sessions, plan.body(), plan.kind, plan.stream_timeout, pids
            )
        figures.peak_rss_mb = {name: peak_rss_mb(p.pid) for name, p in cluster.procs.items()}
    finally:
        cluster.stop()
        await admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if figures.completed == figures.sessions:
        shutil.rmtree(work, ignore_errors=True)
    else:  # the processes' logs say why
        figures.logs = str(work)
    return figures


def report(figures: LoadFigures) -> list[str]:
    """The figures as lines to print, with what each one means."""
    lines = [
        f"sessions       {figures.sessions}: {figures.completed} completed, "
        f"{figures.failed} failed, {figures.unfinished} unfinished",
    ]
    if figures.first_error:
        lines.append(f"first error    {figures.first_error}")
    if figures.logs:
        lines.append(f"process logs   {figures.logs}")
    calls_each = figures.llm_calls / figures.sessions if figures.sessions else 0.0
    rss = ", ".join(f"{name} {mb:.0f} MB" for name, mb in figures.peak_rss_mb.items())
    cpu = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in figures.cpu_s.items())
    lines += [
        f"throughput     {figures.sessions_per_minute} sessions/min "
        f"(all streamed in {figures.elapsed_s} s)",
        f"API latency    p50 {figures.api_p50_ms} ms, p99 {figures.api_p99_ms} ms over "
        f"{figures.api_requests} requests: {figures.sessions} creates at once (p50 "
        f"{figures.create_p50_ms} ms, p99 {figures.create_p99_ms} ms) and a session list every "
        f"0.2 s (p50 {figures.list_p50_ms} ms, p99 {figures.list_p99_ms} ms)",
        f"LLM calls      {figures.llm_calls} ({calls_each:.1f} per session)",
        f"wall           p50 {figures.wall_p50_s} s, p99 {figures.wall_p99_s} s "
        "(created -> completed, queueing included)",
        f"run            p50 {figures.run_p50_s} s, p99 {figures.run_p99_s} s "
        "(started -> completed)",
        f"critical path  p50 {figures.critical_path_p50_s} s, p99 {figures.critical_path_p99_s} s "
        f"(p50: {figures.critical_calls_p50} calls in a row)",
        f"wall/critical  p50 {figures.wall_over_critical_p50}, p99 "
        f"{figures.wall_over_critical_p99}; run/critical p50 {figures.run_over_critical_p50} "
        "(1.00 is the physical limit)",
        f"peak RSS       {rss}",
        f"CPU            {cpu} while streaming; the machine ({os.cpu_count()} cores) was "
        f"{figures.machine_busy_pct}% busy",
    ]
    lines.append(DEFINITIONS[figures.kind])
    return lines

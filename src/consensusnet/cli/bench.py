"""`consensusnet bench ...`: benchmarks that print figures (they never assert timings)."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from consensusnet.bench.consensus import register as register_consensus
from consensusnet.bench.load import LOCAL_PG, LOCAL_REDIS, MAX_SESSIONS, LoadPlan, report, run_load
from consensusnet.bench.overhead import (
    KIND,
    OverheadFigures,
    build_overhead_workflow,
    critical_path,
)
from consensusnet.cli.common import console, load_settings, run, waiting
from consensusnet.compose import App
from consensusnet.domain.events import SessionCreated

app = typer.Typer(help="Benchmarks (figures, not pass/fail).", no_args_is_help=True)


@app.command()
def overhead(
    rounds: Annotated[int, typer.Option("--rounds", "-k", min=1, max=100)] = 3,
    parallel: Annotated[int, typer.Option("--parallel", "-p", min=1, max=100)] = 5,
    latency: Annotated[float, typer.Option(min=0.0, help="Seconds per scripted call.")] = 0.5,
    runtime: Annotated[str, typer.Option(help="dbos or memory.")] = "dbos",
    session_id: Annotated[
        str | None, typer.Option(help="Run (or resume) this session id in the current data dir.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """K sequential rounds x P parallel scripted calls: wall time against the critical path."""
    if runtime not in ("dbos", "memory"):
        raise typer.BadParameter("use dbos or memory", param_hint="--runtime")

    async def go() -> OverheadFigures:
        overrides: dict[str, object] = {
            "provider": "scripted",
            "model": None,
            "fallbacks": [],
            "scripted_ttft": latency,
            "scripted_tps": 0.0,
            "runtime": runtime,
        }
        if session_id is None:
            overrides["data_dir"] = Path(tempfile.mkdtemp(prefix="consensusnet-bench-"))
            overrides["database_url"] = None
        settings = load_settings(**overrides)
        app_ = App(settings)
        app_.register_workflow(KIND, build_overhead_workflow)
        try:
            services = await app_.start()
            started = time.perf_counter()
            with waiting(f"{rounds} rounds x {parallel} calls at {latency} s each"):
                sid = session_id or ""
                if session_id and await app_.runtime.exists(session_id):
                    pass  # a restarted process: DBOS recovers the workflow by itself
                else:
                    sid = await app_.create_session(
                        SessionCreated(
                            kind=KIND,
                            title=f"overhead {rounds}x{parallel}",
                            input={"rounds": rounds, "parallel": parallel},
                        ),
                        session_id,
                    )
                await app_.runtime.wait(sid)
            wall = time.perf_counter() - started
            events = await services.log.events(sid)
        finally:
            await app_.close()
        return OverheadFigures(
            rounds=rounds,
            parallel=parallel,
            calls=sum(1 for e in events if e.event.type == "llm.call"),
            wall_s=round(wall, 4),
            critical_path_s=round(critical_path(events), 4),
        )

    figures = run(go)
    if as_json:
        typer.echo(json.dumps({**figures.model_dump(), "ratio": round(figures.ratio, 4)}))
        return
    table = Table(title=f"Engine overhead ({runtime} runtime, scripted provider)")
    for column in ("rounds x parallel", "LLM calls", "wall s", "critical path s", "ratio"):
        table.add_column(column)
    table.add_row(
        f"{rounds} x {parallel}",
        str(figures.calls),
        f"{figures.wall_s:.3f}",
        f"{figures.critical_path_s:.3f}",
        f"{figures.ratio:.3f}",
    )
    console.print(table)
    console.print("Target: ratio <= 1.05 (1.00 is the physical limit).")


register_consensus(app)


from consensusnet.bench import board as _board_bench  # noqa: E402

_board_bench.register(app)


@app.command()
def load(
    sessions: Annotated[int, typer.Option("--sessions", "-n", min=1, max=MAX_SESSIONS)] = 200,
    kind: Annotated[
        str, typer.Option(help="board, or overhead (synthetic rounds x parallel calls).")
    ] = "board",
    experts: Annotated[int, typer.Option(min=2, max=5, help="Board: panel size.")] = 3,
    rounds: Annotated[
        int, typer.Option(min=1, max=10, help="Board: max rounds (overhead: rounds).")
    ] = 2,
    subproblems: Annotated[int, typer.Option(min=1, max=4, help="Board: max sub-problems.")] = 2,
    parallel: Annotated[int, typer.Option(min=1, max=10, help="Overhead: calls per round.")] = 5,
    latency: Annotated[
        float, typer.Option(min=0.0, max=5.0, help="Seconds per scripted call.")
    ] = 0.5,
    workers: Annotated[int, typer.Option(min=1, max=8)] = 2,
    worker_concurrency: Annotated[
        int, typer.Option(min=1, max=500, help="Sessions per worker at once.")
    ] = LoadPlan().worker_concurrency,
    stream_timeout: Annotated[
        float, typer.Option(min=1.0, help="Seconds before a session counts as unfinished.")
    ] = LoadPlan().stream_timeout,
    database_url: Annotated[
        str | None, typer.Option(help=f"PostgreSQL server (DATABASE_URL, else {LOCAL_PG}).")
    ] = None,
    redis_url: Annotated[
        str | None, typer.Option(help=f"Redis (REDIS_URL, else {LOCAL_REDIS}).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """API + 2 workers on the scripted provider: N board sessions at once, every one streamed."""
    if kind not in ("board", "overhead"):
        raise typer.BadParameter("use board or overhead", param_hint="--kind")
    plan = LoadPlan(
        kind=kind,  # type: ignore[arg-type]
        sessions=sessions,
        experts=experts,
        rounds=rounds,
        subproblems=subproblems,
        parallel=parallel,
        latency=latency,
        workers=workers,
        worker_concurrency=worker_concurrency,
        stream_timeout=stream_timeout,
    )
    if not as_json:
        console.print(f"bench load: {plan.describe()}")
    figures = run(lambda: run_load(load_settings(), plan, database_url, redis_url))
    if as_json:
        typer.echo(figures.model_dump_json())
        return
    for line in report(figures):
        typer.echo(line)

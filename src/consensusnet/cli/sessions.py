"""`consensusnet sessions list | show ID | events ID`."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from consensusnet.cli.common import console, load_settings, run
from consensusnet.compose import App
from consensusnet.domain.events import StoredEvent

app = typer.Typer(help="Inspect recorded sessions.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout, nothing else.")]


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


@app.command("list")
def list_sessions(
    kind: Annotated[str | None, typer.Option(help="Only this kind (ask, board, verify).")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    as_json: JsonOption = False,
) -> None:
    """List sessions, newest first."""

    async def go() -> None:
        app_ = App(load_settings(runtime="memory"))
        try:
            services = await app_.services()
            rows, total = await services.store.list_sessions(kind=kind, status=status, limit=limit)
        finally:
            await app_.close()
        if as_json:
            _print_json({"total": total, "items": [row.model_dump(mode="json") for row in rows]})
            return
        if not rows:
            console.print('No sessions yet. Try: consensusnet ask "Name three primary colours"')
            return
        table = Table(title=f"Sessions ({len(rows)} of {total})")
        for column in ("id", "kind", "status", "title", "created", "calls", "cost $"):
            table.add_column(column)
        for row in rows:
            table.add_row(
                row.id[:12],
                row.kind,
                row.status,
                row.title[:60],
                row.created_at.strftime("%Y-%m-%d %H:%M"),
                str(row.llm_calls),
                f"{row.cost_usd:.4f}",
            )
        console.print(table)

    run(go)


@app.command()
def show(
    session_id: Annotated[str, typer.Argument(help="Session id (or a unique prefix).")],
    as_json: JsonOption = False,
) -> None:
    """Show a session's current view (the fold of its events)."""

    async def go() -> None:
        app_ = App(load_settings(runtime="memory"))
        try:
            services = await app_.services()
            full_id = await services.log.resolve_id(session_id)
            view = await services.log.view(full_id)
        finally:
            await app_.close()
        if as_json:
            _print_json(view.model_dump(mode="json"))
            return
        console.print(f"[bold]{view.title}[/]  ({view.kind}, {view.status})")
        console.print(f"id {view.id} · created {view.created_at} · {view.last_seq} events")
        usage = view.llm.usage
        console.print(
            f"LLM: {view.llm.calls} calls, {usage.input_tokens} in / {usage.output_tokens} out "
            f"tokens, ${view.llm.cost_usd:.4f}"
        )
        if view.error:
            console.print(f"[red]Error:[/] {view.error}")
        for key, value in view.result.items():
            console.print(f"{key}: {value}", markup=False, highlight=False)

    run(go)


def _summary(stored: StoredEvent) -> str:
    data = stored.event.model_dump(exclude={"type", "v"})
    if stored.event.type == "llm.call":
        usage = data["usage"]
        return (
            f"{data['role']} {data['provider']}:{data['model']} "
            f"{usage['input_tokens']}/{usage['output_tokens']} tok {data['latency_s']:.2f}s"
        )
    text = json.dumps(data, default=str)
    return text if len(text) < 100 else text[:97] + "..."


@app.command()
def events(
    session_id: Annotated[str, typer.Argument(help="Session id (or a unique prefix).")],
    after: Annotated[int, typer.Option(min=0, help="Only events after this seq.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """List a session's events in order."""

    async def go() -> None:
        app_ = App(load_settings(runtime="memory"))
        try:
            services = await app_.services()
            full_id = await services.log.resolve_id(session_id)
            await services.store.get_session(full_id)
            stored = await services.log.events(full_id, after=after)
        finally:
            await app_.close()
        if as_json:
            _print_json([item.model_dump(mode="json") for item in stored])
            return
        table = Table(title=f"Events of {full_id}")
        for column in ("seq", "time", "type", "summary"):
            table.add_column(column)
        for item in stored:
            table.add_row(
                str(item.seq), item.created_at.strftime("%H:%M:%S"), item.event.type, _summary(item)
            )
        console.print(table)

    run(go)

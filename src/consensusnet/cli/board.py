"""`consensusnet board`: a board of expert personas deliberates a decision, live."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.live import Live

from consensusnet.board import KIND
from consensusnet.cli.board_live import render_live
from consensusnet.cli.common import (
    OVERRIDES,
    console,
    err_console,
    is_interactive,
    load_settings,
    parse_formats,
    pause_interrupted,
    run,
)
from consensusnet.compose import App, Services
from consensusnet.domain.errors import ConsensusNetError
from consensusnet.domain.events import SessionCreated
from consensusnet.domain.events_board import ClarificationAnswered, ReportExported
from consensusnet.engine.view import SessionView, apply, fold_session
from consensusnet.reports import Format, write_reports


def read_context(path: Path | None) -> str:
    """A context file as text; JSON is re-dumped so any valid JSON is accepted."""
    if path is None:
        return ""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConsensusNetError(f"Cannot read the context file: {error}") from None
    if path.suffix == ".json":
        try:
            return json.dumps(json.loads(text), indent=1, ensure_ascii=False)
        except ValueError as error:
            raise ConsensusNetError(f"{path} is not valid JSON: {error}") from None
    return text


async def record_exports(services: Services, session_id: str, paths: dict[str, Path]) -> None:
    """Note each written report in the session's log."""
    events = [ReportExported(format=f, path=str(p)) for f, p in paths.items()]  # type: ignore[arg-type]
    if events:
        await services.log.append(session_id, *events)


async def _answer_questions(services: Services, session_id: str, view: SessionView) -> None:
    board = view.board
    if board is None:
        return
    err_console.print("[bold]The board needs a few answers (Enter keeps the assumption):[/]")
    answers = []
    for question in board.clarifications:
        answer = typer.prompt(question.question, default=question.assumption)
        answers.append(str(answer))
    await services.log.append(session_id, ClarificationAnswered(answers=answers))


async def follow(
    app: App, services: Services, session_id: str, *, live: bool, can_answer: bool
) -> SessionView:
    """Render the session from its event log until it ends; Ctrl-C pauses it cleanly."""
    view = fold_session(session_id, [])
    started = time.monotonic()
    last = "session.created"
    display = Live(render_live(view, last, started), console=err_console, refresh_per_second=4)
    try:
        if live:
            display.start()
        async for stored in services.log.tail(session_id):
            apply(view, stored)
            last = stored.event.type
            if last == "board.clarification_requested" and can_answer:
                display.stop()
                await _answer_questions(services, session_id, view)
                if live:
                    display.start()
            display.update(render_live(view, last, started))
    except (asyncio.CancelledError, KeyboardInterrupt):
        display.stop()
        await pause_interrupted(app, session_id)
        raise
    finally:
        display.stop()
    return view


def finish(view: SessionView, paths: dict[str, Path], as_json: bool) -> None:
    """Print the outcome: the view as JSON, or the recommendation and report paths."""
    if as_json:
        typer.echo(json.dumps(view.model_dump(mode="json"), indent=2, default=str))
        return
    if view.status == "failed":
        raise ConsensusNetError(view.error or "The board failed.", hint=view.hint or "")
    meta = view.board.meta if view.board else None
    if meta is not None:
        console.print(f"[bold green]Recommendation:[/] {meta.recommendation}")
    for fmt, path in paths.items():
        console.print(f"Report ({fmt}): {path}")
    console.print(f"Session: {view.id}")


async def run_board(
    created: SessionCreated, formats: list[Format], out: Path | None, as_json: bool
) -> None:
    """Create a board session, follow it live, export its reports."""
    app = App(load_settings())
    try:
        services = await app.start()
        session_id = await app.create_session(created)
        if not as_json:
            err_console.print(f"Session {session_id}")
        view = await follow(
            app,
            services,
            session_id,
            live=not as_json,
            can_answer=created.options.get("clarify") == "ask",
        )
        paths = write_reports(view, formats, out or app.settings.data_dir / "reports")
        await record_exports(services, session_id, paths)
    finally:
        await app.close()
    finish(view, paths, as_json)


def register(app: typer.Typer) -> None:
    """Add the `board` command."""

    @app.command()
    def board(
        question: Annotated[str, typer.Argument(help="The decision to deliberate.")],
        context: Annotated[
            Path | None, typer.Option("--context", help="A text or JSON file of background.")
        ] = None,
        constraint: Annotated[
            list[str] | None, typer.Option("--constraint", help="A constraint (repeatable).")
        ] = None,
        experts: Annotated[int, typer.Option(min=2, max=5, help="Experts per sub-problem.")] = 3,
        persona: Annotated[
            list[str] | None, typer.Option("--persona", help="Pin a persona id (repeatable).")
        ] = None,
        max_rounds: Annotated[int, typer.Option(min=1, max=10)] = 3,
        max_subproblems: Annotated[int, typer.Option(min=1, max=4)] = 4,
        budget_usd: Annotated[
            float | None, typer.Option(min=0.0, help="Spend at most this.")
        ] = None,
        budget_tokens: Annotated[
            int | None, typer.Option(min=1, help="Use at most this many tokens.")
        ] = None,
        model: Annotated[
            str | None, typer.Option(help="Model (or GGUF path) for this run.")
        ] = None,
        provider: Annotated[str | None, typer.Option(help="Provider for this run.")] = None,
        no_clarify: Annotated[
            bool, typer.Option("--no-clarify", help="Do not ask; assume.")
        ] = False,
        export: Annotated[str, typer.Option(help="Report formats: md,json,html.")] = "md,json,html",
        out: Annotated[Path | None, typer.Option(help="Report directory.")] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print only the final view JSON.")
        ] = False,
    ) -> None:
        """Convene a board of expert personas on a decision and get a recommendation."""
        if provider:
            OVERRIDES.values["provider"] = provider
        if model:
            key = "local_model_path" if model.endswith(".gguf") else "model"
            OVERRIDES.values[key] = model
        formats = parse_formats(export)
        ask = not no_clarify and not as_json and is_interactive()
        options: dict[str, Any] = {
            "experts": experts,
            "personas": persona or [],
            "max_rounds": max_rounds,
            "max_subproblems": max_subproblems,
            "budget_usd": budget_usd,
            "budget_tokens": budget_tokens,
            "clarify": "ask" if ask else "assume",
        }
        created = SessionCreated(
            kind=KIND,
            title=question.strip()[:120],
            input={
                "question": question,
                "context": read_context(context),
                "constraints": constraint or [],
            },
            options=options,
        )
        run(lambda: run_board(created, formats, out, as_json))

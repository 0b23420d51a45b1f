"""`consensusnet resume ID` and `consensusnet export ID --format md|json|html`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from consensusnet.board import KIND as BOARD_KIND
from consensusnet.cli import board, verify
from consensusnet.cli.common import console, load_settings, parse_formats, run
from consensusnet.compose import App
from consensusnet.domain.errors import ConsensusNetError
from consensusnet.domain.events import TERMINAL_STATUSES
from consensusnet.reports import write_reports
from consensusnet.verify.workflow import KIND as VERIFY_KIND

RESUMABLE = (BOARD_KIND, VERIFY_KIND)


async def _resume(session_id: str, formats_spec: str, out: Path | None, as_json: bool) -> None:
    app = App(load_settings())
    started = time.perf_counter()
    try:
        services = await app.start()
        full_id = await services.log.resolve_id(session_id)
        view = await services.log.view(full_id)
        if view.kind not in RESUMABLE:
            raise ConsensusNetError(
                f"Session {full_id} is a {view.kind!r} session; only board and verify sessions "
                "resume from the command line."
            )
        if view.status not in TERMINAL_STATUSES:
            if await app.runtime.exists(full_id):
                await app.runtime.resume(full_id)
            else:
                await app.runtime.start(view.kind, full_id)
        elif view.status != "completed":
            raise ConsensusNetError(
                f"Session {full_id} ended as {view.status}; it cannot be resumed.",
                hint=f"Start a new one with `consensusnet {view.kind}`.",
            )
        if view.kind == BOARD_KIND:
            view = await board.follow(app, services, full_id, live=not as_json, can_answer=False)
        else:
            view = await verify.follow(app, full_id, live=not as_json)
            await app.runtime.wait(full_id)
            view = await services.log.view(full_id)
        paths = write_reports(
            view, parse_formats(formats_spec), out or app.settings.data_dir / "reports"
        )
        if view.kind == BOARD_KIND:
            await board.record_exports(services, full_id, paths)
    finally:
        await app.close()
    if view.kind == BOARD_KIND:
        board.finish(view, paths, as_json)
    else:
        verify.finish(view, paths, as_json, time.perf_counter() - started)


async def _export(session_id: str, fmt: str, out: Path | None) -> dict[str, Path]:
    app = App(load_settings(runtime="memory"))
    try:
        services = await app.services()
        full_id = await services.log.resolve_id(session_id)
        view = await services.log.view(full_id)
        paths = write_reports(view, parse_formats(fmt), out or app.settings.data_dir / "reports")
        if view.kind == BOARD_KIND:  # a board's log notes its exports
            await board.record_exports(services, full_id, paths)
        return paths
    finally:
        await app.close()


def register(app: typer.Typer) -> None:
    """Add the `resume` and `export` commands."""

    @app.command()
    def resume(
        session_id: Annotated[str, typer.Argument(help="Session id (or a unique prefix).")],
        export: Annotated[str, typer.Option(help="Report formats: md,json,html.")] = "md,json,html",
        out: Annotated[Path | None, typer.Option(help="Report directory.")] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print only the final view JSON.")
        ] = False,
    ) -> None:
        """Continue a paused or interrupted board or verify session from its last finished step."""
        run(lambda: _resume(session_id, export, out, as_json))

    @app.command("export")
    def export_command(
        session_id: Annotated[str, typer.Argument(help="Session id (or a unique prefix).")],
        fmt: Annotated[str, typer.Option("--format", help="md, json or html (or a list).")] = "md",
        out: Annotated[Path | None, typer.Option(help="Report directory.")] = None,
    ) -> None:
        """Write a session's report, rendered from its event log."""
        paths = run(lambda: _export(session_id, fmt, out))
        for kind, path in paths.items():
            console.print(f"Report ({kind}): {path}")

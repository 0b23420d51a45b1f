"""`consensusnet resume ID` and `consensusnet export ID --format md|json|html`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from consensusnet.board import KIND
from consensusnet.cli.board import export_reports, finish, follow, parse_formats, record_exports
from consensusnet.cli.common import console, load_settings, run
from consensusnet.compose import App
from consensusnet.domain.errors import ConsensusNetError
from consensusnet.domain.events import TERMINAL_STATUSES


async def _resume(session_id: str, formats_spec: str, out: Path | None, as_json: bool) -> None:
    app = App(load_settings())
    try:
        services = await app.start()
        full_id = await services.log.resolve_id(session_id)
        view = await services.log.view(full_id)
        if view.kind != KIND:
            raise ConsensusNetError(f"Session {full_id} is a {view.kind!r} session, not a board.")
        if view.status not in TERMINAL_STATUSES:
            if await app.runtime.exists(full_id):
                await app.runtime.resume(full_id)
            else:
                await app.runtime.start(view.kind, full_id)
        elif view.status != "completed":
            raise ConsensusNetError(
                f"Session {full_id} ended as {view.status}; it cannot be resumed.",
                hint="Start a new board with `consensusnet board`.",
            )
        view = await follow(app, services, full_id, live=not as_json, can_answer=False)
        paths = export_reports(
            view, parse_formats(formats_spec), out or app.settings.data_dir / "reports"
        )
        await record_exports(services, full_id, paths)
    finally:
        await app.close()
    finish(view, paths, as_json)


async def _export(session_id: str, fmt: str, out: Path | None) -> dict[str, Path]:
    app = App(load_settings(runtime="memory"))
    try:
        services = await app.services()
        full_id = await services.log.resolve_id(session_id)
        view = await services.log.view(full_id)
        paths = export_reports(view, parse_formats(fmt), out or app.settings.data_dir / "reports")
        await record_exports(services, full_id, paths)
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
        """Continue a paused or interrupted board session from its last finished step."""
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

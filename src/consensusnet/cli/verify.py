"""`consensusnet verify`: claims checked against evidence by a verifier panel, live."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.live import Live
from rich.markdown import Markdown
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from consensusnet.cli.common import (
    console,
    err_console,
    load_settings,
    parse_formats,
    pause_interrupted,
    run,
)
from consensusnet.compose import App
from consensusnet.domain.errors import ConsensusNetError
from consensusnet.domain.events import SessionCreated
from consensusnet.engine.view import SessionView, apply, fold_session
from consensusnet.engine.view_verify import ClaimView
from consensusnet.reports import Format, write_reports
from consensusnet.verify.ports import SOURCE_NAMES
from consensusnet.verify.report import render_markdown
from consensusnet.verify.workflow import KIND

LABEL_STYLE = {
    "SUPPORTED": "bold green",
    "REFUTED": "bold red",
    "NOT_ENOUGH_INFO": "bold yellow",
    "MIXED": "bold magenta",
}


def _csv(spec: str, allowed: tuple[str, ...], option: str) -> list[str]:
    items = [part.strip().lower() for part in spec.split(",") if part.strip()]
    unknown = [item for item in items if item not in allowed]
    if unknown:
        raise typer.BadParameter(
            f"unknown {', '.join(unknown)}; use {', '.join(allowed)}", param_hint=option
        )
    return items


SourcesOption = Annotated[
    str, typer.Option(help="Evidence sources: local,wikipedia,arxiv,pubmed,web.")
]
PanelOption = Annotated[int, typer.Option(min=3, max=9, help="Panel size (N >= 3).")]
ModelsOption = Annotated[
    str | None, typer.Option(help="Comma-separated models, one per panel member (cycled).")
]
NoCriticOption = Annotated[bool, typer.Option("--no-critic", help="Skip the critic round.")]


def verify_options(sources: str, panel: int, models: str | None, *, critic: bool) -> dict[str, Any]:
    """A verify session's options from the command-line flags `verify` and `eval` share."""
    options: dict[str, Any] = {
        "sources": _csv(sources, SOURCE_NAMES, "--sources"),
        "panel": panel,
        "critic": critic,
    }
    if models:
        options["models"] = [m.strip() for m in models.split(",") if m.strip()]
    return options


class LiveVerification:
    """What the live view shows: rendered from the folded events, with a spinner and a clock."""

    def __init__(self, view: SessionView, started: float) -> None:
        self.view = view
        self.started = started
        self.last = "session.created"

    def __rich__(self) -> RenderableType:
        elapsed = time.monotonic() - self.started
        stage = self.last.removeprefix("verify.").replace("_", " ")
        parts: list[RenderableType] = [Spinner("dots", text=f"{stage} · {elapsed:.0f} s")]
        verify = self.view.verify
        if verify is not None:
            parts += [_claim_panel(claim) for claim in verify.claims]
        return Group(*parts)


def _label(label: str) -> Text:
    return Text(label, style=LABEL_STYLE.get(label, ""))


def _claim_panel(claim: ClaimView) -> RenderableType:
    table = Table(title=f"{claim.claim.id}: {claim.claim.text}", title_justify="left", expand=True)
    table.add_column("who", no_wrap=True)
    table.add_column("label", no_wrap=True)
    table.add_column("conf", no_wrap=True)
    table.add_column("says", ratio=1)
    if claim.evidence or claim.sources:
        sources = ", ".join(f"{s.source} {s.documents}" for s in claim.sources)
        table.add_row("evidence", "", "", f"{len(claim.evidence)} sentences ({sources})")
    revised = {r.agent: r for r in claim.revisions}
    for judgement in claim.judgements:
        table.add_row(
            judgement.agent,
            _label(judgement.label),
            f"{judgement.confidence:.2f}",
            f"[{', '.join(judgement.cited)}] {judgement.rationale}",
        )
    if claim.challenge is not None:
        table.add_row(
            "critic", _label(claim.challenge.suggested_label or ""), "", claim.challenge.challenge
        )
    for agent, revision in revised.items():
        change = f"{revision.before} → {revision.after}" if revision.changed else "keeps"
        table.add_row(
            f"{agent} (rev.)",
            _label(revision.after),
            f"{revision.after_confidence:.2f}",
            f"{change}: {revision.reason}",
        )
    if claim.verdict is not None:
        verdict = claim.verdict
        table.add_row(
            "verdict", _label(verdict.label), f"{verdict.confidence:.2f}", verdict.rationale
        )
    return table


async def follow(app: App, session_id: str, *, live: bool) -> SessionView:
    """Show a verification live until it ends; Ctrl-C pauses it."""
    services = await app.services()
    view = fold_session(session_id, [])
    screen = LiveVerification(view, time.monotonic())
    display = Live(screen, console=err_console, refresh_per_second=8, transient=False)
    try:
        if live:
            display.start()
        async for stored in services.log.tail(session_id, poll=0.5):
            apply(view, stored)
            screen.last = stored.event.type
            display.refresh()
    except (asyncio.CancelledError, KeyboardInterrupt):
        display.stop()
        await pause_interrupted(app, session_id)
        raise
    finally:
        display.stop()
    return view


async def _verify(
    text: str, options: dict[str, Any], formats: list[Format], out: Path, as_json: bool
) -> None:
    app = App(load_settings())
    started = time.perf_counter()
    try:
        await app.start()
        session_id = await app.create_session(
            SessionCreated(
                kind=KIND, title=" ".join(text.split())[:80], input={"text": text}, options=options
            )
        )
        if not as_json:
            err_console.print(f"Session {session_id}")
        await follow(app, session_id, live=not as_json)
        await app.runtime.wait(session_id)
        view = await (await app.services()).log.view(session_id)
    finally:
        await app.close()
    finish(view, write_reports(view, formats, out), as_json, time.perf_counter() - started)


def finish(view: SessionView, paths: dict[str, Path], as_json: bool, elapsed: float) -> None:
    """Print the outcome: the view as JSON, or the verdicts and report paths."""
    if as_json:
        typer.echo(json.dumps(view.model_dump(mode="json"), indent=2, default=str))
        return
    if view.status == "failed":
        raise ConsensusNetError(view.error or "The verification failed.", hint=view.hint or "")
    console.print(Markdown(render_markdown(view)))
    for fmt, path in paths.items():
        console.print(f"Report ({fmt}): {path}")
    console.print(f"[dim]{view.llm.calls} LLM calls · {elapsed:.1f} s · session {view.id}[/]")


def register(app: typer.Typer) -> None:
    """Add the `verify` command."""

    @app.command()
    def verify(
        text: Annotated[str | None, typer.Argument(help="A claim or a text to verify.")] = None,
        file: Annotated[
            Path | None, typer.Option("--file", "-f", help="Verify the text of this file.")
        ] = None,
        sources: SourcesOption = "local",
        panel: PanelOption = 3,
        models: ModelsOption = None,
        no_critic: NoCriticOption = False,
        export: Annotated[str, typer.Option(help="Report formats to write: md,json,html.")] = "",
        out: Annotated[Path, typer.Option(help="Directory for exported reports.")] = Path("."),
        as_json: Annotated[
            bool, typer.Option("--json", help="Print the view as JSON only.")
        ] = False,
    ) -> None:
        """Verify a claim or a text: evidence, a verifier panel, a critic, a consensus verdict."""
        if (text is None) == (file is None):
            raise typer.BadParameter("give a text or --file, not both", param_hint="TEXT / --file")
        if file is not None:
            try:
                body = file.read_text(encoding="utf-8")
            except OSError as error:
                raise typer.BadParameter(str(error), param_hint="--file") from None
        else:
            body = text or ""
        options = verify_options(sources, panel, models, critic=not no_critic)
        formats = parse_formats(export)
        run(lambda: _verify(body, options, formats, out, as_json))

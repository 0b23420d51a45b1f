"""The `consensusnet` command: global options and the command groups."""

from __future__ import annotations

from typing import Annotated

import typer

from consensusnet import __version__
from consensusnet.cli import (
    ask,
    bench,
    board,
    db,
    doctor,
    evaluate,
    feedback,
    kb,
    personas,
    providers,
    reports,
    serve,
    sessions,
    verify,
)
from consensusnet.cli.common import OVERRIDES, console

app = typer.Typer(
    name="consensusnet",
    help="A panel of LLM agents that deliberates to a consensus.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        console.print(f"consensusnet {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    provider: Annotated[
        str | None,
        typer.Option(help="LLM provider: local, openai, anthropic, scripted (over settings)."),
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Model name, or a GGUF path for the local provider.")
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """ConsensusNet: ask a board of AI experts, or verify claims by agent consensus."""
    if provider:
        OVERRIDES.values["provider"] = provider
    if model and model.endswith(".gguf"):
        OVERRIDES.values["local_model_path"] = model
    elif model:
        OVERRIDES.values["model"] = model


ask.register(app)
board.register(app)
reports.register(app)
app.add_typer(personas.app, name="personas")
providers.register(app)
doctor.register(app)
app.add_typer(sessions.app, name="sessions")
app.add_typer(bench.app, name="bench")
app.add_typer(db.app, name="db")
serve.register(app)
verify.register(app)
feedback.register(app)
evaluate.register(app)
app.add_typer(kb.app, name="kb")


def main() -> None:
    """Console-script entry point."""
    app()

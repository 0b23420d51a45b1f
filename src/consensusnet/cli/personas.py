"""`consensusnet personas list | show ID`: the experts a board can seat."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from consensusnet.cli.common import console, fail, load_settings
from consensusnet.domain.errors import ConsensusNetError
from consensusnet.personas.loader import PersonaCatalog, load_catalog

app = typer.Typer(help="The expert personas (shipped catalog plus your own).", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout, nothing else.")]


def _catalog() -> PersonaCatalog:
    try:
        return load_catalog(load_settings().data_dir)
    except ConsensusNetError as error:
        raise fail(str(error), error.hint) from None


@app.command("list")
def list_personas(
    domain: Annotated[str | None, typer.Option(help="Only personas with this domain word.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List every persona; add your own as JSON or YAML in <data dir>/personas/."""
    personas = _catalog().all()
    if domain:
        personas = [p for p in personas if any(domain.lower() in d.lower() for d in p.domains)]
    if as_json:
        typer.echo(json.dumps([p.model_dump() for p in personas], indent=2, ensure_ascii=False))
        return
    table = Table(title=f"Personas ({len(personas)})")
    for column in ("id", "name", "role", "domains", "source"):
        table.add_column(column, overflow="fold")
    for p in personas:
        table.add_row(p.id, p.name, p.role, ", ".join(p.domains), p.source)
    console.print(table)


@app.command()
def show(
    persona_id: Annotated[str, typer.Argument(help="The persona id.")],
    as_json: JsonOption = False,
) -> None:
    """Show one persona in full, including its system prompt."""
    try:
        persona = _catalog().get(persona_id)
    except ConsensusNetError as error:
        raise fail(str(error), error.hint) from None
    if as_json:
        typer.echo(json.dumps(persona.model_dump(), indent=2, ensure_ascii=False))
        return
    console.print(f"[bold]{persona.name}[/] — {persona.role}  ({persona.id}, {persona.source})")
    console.print(f"Domains: {', '.join(persona.domains)}")
    console.print(f"Traits: {', '.join(persona.traits)}")
    console.print(f"Style: {persona.communication_style}")
    if persona.model:
        console.print(f"Model: {persona.model}")
    console.print(f"\n{persona.system_prompt}", highlight=False)

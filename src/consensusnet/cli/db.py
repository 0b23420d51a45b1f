"""`consensusnet db upgrade | downgrade`: run the schema migrations by hand."""

from __future__ import annotations

from typing import Annotated

import typer

from consensusnet.cli.common import console, load_settings, run
from consensusnet.store.db import make_engine, migrate

app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


async def _migrate(revision: str, down: bool) -> None:
    engine = make_engine(load_settings().resolved_database_url)
    try:
        await migrate(engine, revision, down=down)
    finally:
        await engine.dispose()


@app.command()
def upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Upgrade the schema (every command also does this on start)."""
    run(lambda: _migrate(revision, down=False))
    console.print(f"Schema upgraded to {revision}.")


@app.command()
def downgrade(revision: Annotated[str, typer.Argument()] = "base") -> None:
    """Downgrade the schema; `base` removes every table (and all data)."""
    run(lambda: _migrate(revision, down=True))
    console.print(f"Schema downgraded to {revision}.")

"""`consensusnet providers`: what is configured and whether it answers."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Annotated

import typer
from pydantic import BaseModel
from rich.table import Table

from consensusnet.cli.common import console, load_settings, run, waiting
from consensusnet.domain.config import Settings
from consensusnet.domain.errors import ConsensusNetError
from consensusnet.domain.llm import LLMRequest, Message
from consensusnet.llm.registry import load_registry


class ProviderStatus(BaseModel):
    """One row of `providers`."""

    name: str
    selected: bool
    configured: bool
    answers: bool | None = None
    model: str = ""
    detail: str = ""
    latency_s: float | None = None


async def check_provider(name: str, settings: Settings, timeout: float) -> ProviderStatus:
    """Build the provider and send it a tiny request."""
    selected = name == settings.provider
    try:
        provider = load_registry().create(name, settings)
    except ConsensusNetError as error:
        return ProviderStatus(
            name=name, selected=selected, configured=False, detail=f"{error} {error.hint}".strip()
        )
    model = (settings.model if selected else None) or provider.default_model
    status = ProviderStatus(
        name=name, selected=selected, configured=True, model=model, detail=provider.describe()
    )
    request = LLMRequest(messages=[Message(role="user", content="Say OK.")], max_tokens=4)
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            await provider.complete(request, model)
        status.answers, status.latency_s = True, round(time.perf_counter() - started, 2)
    except (ConsensusNetError, TimeoutError) as error:
        status.answers = False
        status.detail = str(error) or f"no answer within {timeout:.0f} s"
    finally:
        closer = getattr(provider, "aclose", None)
        if closer is not None:
            await closer()
    return status


def register(app: typer.Typer) -> None:
    """Add the `providers` command."""

    @app.command()
    def providers(
        timeout: Annotated[float, typer.Option(help="Seconds to wait for each answer.")] = 60.0,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
    ) -> None:
        """List LLM providers: configured or not, and whether each answers a tiny request."""

        async def go() -> None:
            settings = load_settings()
            names = load_registry().names()
            with waiting("Asking each configured provider to say OK"):
                statuses = [await check_provider(name, settings, timeout) for name in names]
            if as_json:
                typer.echo(json.dumps([s.model_dump() for s in statuses], indent=2))
                return
            table = Table(title="LLM providers")
            for column in ("provider", "selected", "configured", "answers", "model", "detail"):
                table.add_column(column, overflow="fold")
            for s in statuses:
                answers = "-" if s.answers is None else ("yes" if s.answers else "[red]no[/]")
                if s.latency_s is not None:
                    answers += f" ({s.latency_s} s)"
                table.add_row(
                    s.name,
                    "*" if s.selected else "",
                    "yes" if s.configured else "no",
                    answers,
                    s.model,
                    s.detail,
                )
            console.print(table)

        run(go)

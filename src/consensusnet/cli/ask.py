"""`consensusnet ask`: stream one answer from the configured model."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from consensusnet.cli.common import console, err_console, load_settings, run, waiting
from consensusnet.compose import App
from consensusnet.domain.llm import StreamChunk
from consensusnet.engine.ask import ask as ask_session


def register(app: typer.Typer) -> None:
    """Add the `ask` command."""

    @app.command()
    def ask(
        question: Annotated[str, typer.Argument(help="The question to ask.")],
        max_tokens: Annotated[int, typer.Option(min=1, max=8192, help="Answer length cap.")] = 256,
    ) -> None:
        """Ask the configured model one question and stream its answer."""
        run(lambda: _ask(question, max_tokens))


async def _ask(question: str, max_tokens: int) -> None:
    app = App(load_settings(runtime="memory"))
    try:
        services = await app.services()
        started = time.perf_counter()
        session_id = ""
        with waiting("Loading the model and waiting for the first token") as update:
            stream = ask_session(services.log, services.gateway, question, max_tokens=max_tokens)
            async for item in stream:
                if isinstance(item, str):
                    session_id = item
                    continue
                if item.delta:
                    break
            else:
                item = StreamChunk()
            update("Streaming")
        first = item
        response = first.response
        if first.delta:
            console.print(first.delta, end="", markup=False, highlight=False, soft_wrap=True)
        async for chunk in stream:
            if isinstance(chunk, StreamChunk) and chunk.delta:
                console.print(chunk.delta, end="", markup=False, highlight=False, soft_wrap=True)
            if isinstance(chunk, StreamChunk) and chunk.response is not None:
                response = chunk.response
        console.print()
        if response is not None:
            err_console.print(
                f"[dim]{response.provider}:{response.model} · "
                f"{response.usage.input_tokens} in / {response.usage.output_tokens} out tokens · "
                f"{time.perf_counter() - started:.1f} s · session {session_id}[/]"
            )
    finally:
        await app.close()

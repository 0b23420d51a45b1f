"""What every command shares: settings with the global overrides, the app, errors, progress."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from consensusnet.domain.config import Settings
from consensusnet.domain.errors import ConsensusNetError
from consensusnet.domain.events import SessionPaused
from consensusnet.reports import FORMATS, Format

if TYPE_CHECKING:
    from consensusnet.compose import App

T = TypeVar("T")
console = Console()
err_console = Console(stderr=True)


@dataclass
class Overrides:
    """Global CLI options that override the settings."""

    values: dict[str, Any] = field(default_factory=dict)


OVERRIDES = Overrides()


def load_settings(**extra: Any) -> Settings:
    """Settings from env and .env, with --provider/--model and `extra` on top."""
    try:
        return Settings(**{**OVERRIDES.values, **extra})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors()
        )
        raise ConsensusNetError(
            f"Invalid settings: {problems}", hint="Check your environment and .env."
        ) from None


def fail(message: str, hint: str = "") -> typer.Exit:
    """Print an error (and a hint) to stderr; return the Exit to raise."""
    err_console.print(f"[bold red]Error:[/] {message}")
    if hint:
        err_console.print(f"[yellow]Hint:[/] {hint}")
    return typer.Exit(code=1)


def run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    """Run an async command; domain errors become a message and exit code 1, never a traceback."""
    try:
        return asyncio.run(_wrap(coro_factory))
    except ConsensusNetError as error:
        raise fail(str(error), error.hint) from None
    except KeyboardInterrupt:
        err_console.print("[yellow]Interrupted.[/]")
        raise typer.Exit(code=130) from None
    except Exception as error:  # last line of defence: a message and a file, never a traceback
        report = _save_traceback(error)
        first_line = str(error).splitlines()[0] if str(error) else ""
        raise fail(
            f"Unexpected {type(error).__name__}: {first_line}",
            f"The details are in {report}; please include that file when you report this.",
        ) from None


def _save_traceback(error: BaseException) -> Path:
    folder = Path(tempfile.gettempdir()) / "consensusnet"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"error-{int(time.time())}.txt"
    path.write_text("".join(traceback.format_exception(error)))
    return path


async def _wrap(coro_factory: Callable[[], Awaitable[T]]) -> T:
    return await coro_factory()


def is_interactive() -> bool:
    """True when a person is at the terminal."""
    return sys.stdin.isatty() and sys.stdout.isatty()


@contextmanager
def waiting(message: str) -> Iterator[Callable[[str], None]]:
    """A spinner with elapsed time on stderr while something slow runs; yields a text updater."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    task = progress.add_task(message, total=None)

    def update(text: str) -> None:
        progress.update(task, description=text)

    with progress:
        yield update


async def pause_interrupted(app: App, session_id: str) -> None:
    """Ctrl-C while following a session: pause it durably and say how to continue."""
    services = await app.services()
    await app.runtime.pause(session_id)
    await services.log.append(session_id, SessionPaused(reason="interrupted (Ctrl-C)"))
    err_console.print(f"[yellow]Paused.[/] Continue with: consensusnet resume {session_id}")


def parse_formats(spec: str) -> list[Format]:
    """'md,json' -> ['md', 'json']; an unknown format is a usage error."""
    formats: list[Format] = []
    for item in (part.strip().lower() for part in spec.split(",") if part.strip()):
        if item not in FORMATS:
            raise typer.BadParameter(f"unknown format {item!r}; use md, json, html")
        formats.append(item)  # type: ignore[arg-type]
    return formats

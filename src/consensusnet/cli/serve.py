"""`consensusnet serve | worker | users ... | keys ...`: the service and its accounts."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.table import Table

from consensusnet.bench.overhead import KIND as OVERHEAD_KIND
from consensusnet.bench.overhead import build_overhead_workflow
from consensusnet.cli.common import console, fail, load_settings, run
from consensusnet.compose import App, Role
from consensusnet.domain.config import Settings
from consensusnet.domain.errors import ConsensusNetError
from consensusnet.store.users import UserStore

users_app = typer.Typer(help="Manage users (who own sessions).", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys (only their hashes are stored).", no_args_is_help=True)


def service_app(settings: Settings, role: Role) -> App:
    """The composition root for a service process, with every session kind registered."""
    app_ = App(settings, role=role)
    if OVERHEAD_KIND not in app_.kinds:
        app_.register_workflow(OVERHEAD_KIND, build_overhead_workflow)
    return app_


def _serve(
    host: Annotated[str | None, typer.Option(help="Bind address (CONSENSUSNET_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (CONSENSUSNET_PORT).")] = None,
) -> None:
    """Run the HTTP API (embedded SQLite and in-process execution when DATABASE_URL is unset)."""
    import uvicorn

    from consensusnet.api.app import create_api

    overrides = {key: value for key, value in (("host", host), ("port", port)) if value}
    settings = load_settings(**overrides)

    try:
        api = create_api(service_app(settings, "api"))
    except ConsensusNetError as error:
        raise fail(str(error), error.hint) from None
    mode = "queue (run `consensusnet worker`)" if settings.uses_queue else "in-process"
    console.print(f"ConsensusNet API on http://{settings.host}:{settings.port} · execution: {mode}")
    uvicorn.run(
        api,
        host=settings.host,
        port=settings.port,
        log_level="info",
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )


def _worker() -> None:
    """Consume the durable session queue (needs DATABASE_URL; SIGTERM drains)."""
    from consensusnet.worker import main, worker_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = worker_settings(load_settings())
    console.print(f"Worker {settings.worker_id} starting.")

    async def go() -> None:
        await main(service_app(settings, "worker"))

    run(go)


async def _user_store() -> tuple[App, UserStore]:
    app_ = App(load_settings(runtime="memory"))
    services = await app_.services()
    return app_, UserStore(services.engine, app_.settings.secret_key.get_secret_value())


@users_app.command("create")
def create_user(
    name: Annotated[str, typer.Argument(help="A unique user name.")],
    admin: Annotated[
        bool, typer.Option("--admin", help="Sees and controls every session.")
    ] = False,
) -> None:
    """Create a user."""

    async def go() -> None:
        app_, users = await _user_store()
        try:
            user = await users.create_user(name, is_admin=admin)
        finally:
            await app_.close()
        role = "admin" if user.is_admin else "user"
        console.print(f"Created {role} {user.name} ({user.id}).")

    run(go)


@users_app.command("list")
def list_users() -> None:
    """List users."""

    async def go() -> None:
        app_, users = await _user_store()
        try:
            rows = await users.list_users()
        finally:
            await app_.close()
        table = Table(title="Users")
        for column in ("name", "id", "admin", "created"):
            table.add_column(column)
        for user in rows:
            table.add_row(user.name, user.id, "yes" if user.is_admin else "", str(user.created_at))
        console.print(table)

    run(go)


@keys_app.command("create")
def create_key(user: Annotated[str, typer.Argument(help="The user name.")]) -> None:
    """Create an API key; it is printed once and only its hash is stored."""

    async def go() -> None:
        app_, users = await _user_store()
        try:
            issued = await users.create_key(user)
        finally:
            await app_.close()
        typer.echo(issued.token)
        typer.echo(f"# key id {issued.info.id} for {user}; shown once, store it now.", err=True)

    run(go)


@keys_app.command("list")
def list_keys(
    user: Annotated[str | None, typer.Option(help="Only this user's keys.")] = None,
) -> None:
    """List keys (ids and owners, never secrets)."""

    async def go() -> None:
        app_, users = await _user_store()
        try:
            rows = await users.list_keys(user)
        finally:
            await app_.close()
        table = Table(title="API keys")
        for column in ("id", "user", "created", "revoked"):
            table.add_column(column)
        for key in rows:
            table.add_row(key.id, key.user_name, str(key.created_at), str(key.revoked_at or ""))
        console.print(table)

    run(go)


@keys_app.command("revoke")
def revoke_key(key_id: Annotated[str, typer.Argument(help="The key id from `keys list`.")]) -> None:
    """Revoke a key at once."""

    async def go() -> None:
        app_, users = await _user_store()
        try:
            await users.revoke_key(key_id)
        finally:
            await app_.close()
        console.print(f"Revoked {key_id}.")

    run(go)


def register(app: typer.Typer) -> None:
    """Add `serve`, `worker`, `users` and `keys` to the CLI."""
    app.command("serve")(_serve)
    app.command("worker")(_worker)
    app.add_typer(users_app, name="users")
    app.add_typer(keys_app, name="keys")

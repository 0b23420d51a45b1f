"""The FastAPI app factory: routers, the one error shape, middleware, lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from consensusnet import __version__
from consensusnet.api.errors import install_error_handlers
from consensusnet.api.middleware import ObserveAndLimit
from consensusnet.api.routes import admin, health, knowledge, personas, sessions, verify
from consensusnet.api.state import is_loopback, make_state
from consensusnet.compose import App
from consensusnet.domain.errors import ConfigError


def create_api(app: App) -> FastAPI:
    """The HTTP API over one composition root (which the lifespan starts and closes)."""
    settings = app.settings
    if settings.allow_no_auth and not is_loopback(settings.host):
        raise ConfigError(
            "CONSENSUSNET_ALLOW_NO_AUTH is only honoured on a loopback address.",
            hint=f"Bind to 127.0.0.1 or unset it (host is {settings.host}).",
        )
    state = make_state(app)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        starter = asyncio.create_task(state.start_runtime())
        try:
            yield
        finally:
            starter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starter
            await state.close()

    api = FastAPI(
        title="ConsensusNet",
        version=__version__,
        summary="A panel of LLM agents that deliberates to a consensus.",
        lifespan=lifespan,
    )
    api.state.cn = state
    install_error_handlers(api)
    api.add_middleware(ObserveAndLimit, state=state)
    api.include_router(health.router)
    # Routers carry their full prefix, so metrics label requests by the complete path template.
    api.include_router(sessions.router)
    api.include_router(verify.router)
    api.include_router(knowledge.router)
    api.include_router(personas.router)
    api.include_router(admin.router)
    return api

"""`/health` (liveness), `/ready` (dependencies), `/metrics` (Prometheus)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from consensusnet import __version__
from consensusnet.api.deps import StateDep
from consensusnet.api.errors import ErrorBody, ErrorResponse, error_response, is_unavailable
from consensusnet.api.schemas import CheckOut, HealthOut, ReadyOut
from consensusnet.api.state import ApiState
from consensusnet.store.session_admin import SessionAdmin

router = APIRouter(tags=["health"])
CHECK_TIMEOUT = 3.0


@router.get("/health")
async def health() -> HealthOut:
    """The process is alive (says nothing about its dependencies)."""
    return HealthOut(version=__version__)


async def _database(state: ApiState) -> CheckOut:
    services = await state.app.services()
    await SessionAdmin(services.engine).ping()
    return CheckOut(ok=True)


async def _redis(state: ApiState) -> CheckOut:
    client = state.redis_client()
    if client is None:
        return CheckOut(ok=True, detail="not configured (in-process notifications)")
    await client.ping()
    return CheckOut(ok=True)


async def _runtime(state: ApiState) -> CheckOut:
    if not state.runtime_ready:
        return CheckOut(ok=False, detail=state.runtime_error or "starting")
    runtime = state.app.runtime
    if getattr(runtime, "mode", "inline") != "inline":
        depth = await runtime.queue_depth()  # type: ignore[attr-defined]
        return CheckOut(ok=True, detail=f"queue depth {depth}")
    return CheckOut(ok=True, detail=runtime.name)


async def _provider(state: ApiState) -> CheckOut:
    names = state.app.registry.names()
    provider = state.settings.provider
    if provider not in names:
        return CheckOut(ok=False, detail=f"unknown provider {provider!r}")
    return CheckOut(ok=True, detail=provider)


async def _check(name: str, state: ApiState) -> CheckOut:
    probe = {"database": _database, "redis": _redis, "queue": _runtime, "provider": _provider}
    try:
        return await asyncio.wait_for(probe[name](state), CHECK_TIMEOUT)
    except TimeoutError:
        return CheckOut(ok=False, detail="timed out")
    except Exception as error:
        reason = "unreachable" if is_unavailable(error) else type(error).__name__
        return CheckOut(ok=False, detail=reason)


@router.get(
    "/ready",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "A dependency is unavailable."}},
)
async def ready(state: StateDep) -> JSONResponse:
    """Database, Redis, the queue (runtime) and the configured provider, checked now."""
    names = ("database", "redis", "queue", "provider")
    results = await asyncio.gather(*(_check(name, state) for name in names))
    checks = dict(zip(names, results, strict=True))
    failing = [
        f"{name} {check.detail or 'failing'}" for name, check in checks.items() if not check.ok
    ]
    if not failing:
        return JSONResponse(ReadyOut(status="ready", checks=checks).model_dump(exclude_none=True))
    error = ErrorBody(
        code="unavailable",
        message=f"Not ready: {', '.join(failing)}.",
        hint="Retry shortly; `checks` says which dependency to look at.",
    )
    body = ReadyOut(status="unavailable", checks=checks, error=error)
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=503, headers={"Retry-After": "5"}
    )


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}, 503: {"model": ErrorResponse}},
)
async def metrics(state: StateDep) -> Response:
    """Prometheus metrics."""
    try:
        await state.metrics.refresh(state.app)
    except Exception as error:
        if not is_unavailable(error):
            raise
        return error_response(503, ErrorBody(code="unavailable", message="Database unreachable."))
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)

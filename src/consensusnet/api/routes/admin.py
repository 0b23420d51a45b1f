"""`/api/v1/me` and `/api/v1/admin`: who am I; active sessions, kill any, usage per user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from consensusnet.api.deps import AdminUser, CurrentUser, ServicesDep, SessionsDep, StateDep
from consensusnet.api.errors import responses
from consensusnet.api.schemas import ActionResult, SessionPage, SessionSummary, UsageOut, UserOut
from consensusnet.store.session_admin import SessionAdmin
from consensusnet.store.users import UserStore

router = APIRouter(prefix="/api/v1", tags=["admin"], responses=responses(401, 429, 503))
ACTIVE = ("pending", "running", "paused", "awaiting_input")


@router.get("/me")
async def me(user: CurrentUser) -> UserOut:
    """The caller."""
    return UserOut(id=user.id, name=user.name, is_admin=user.is_admin)


@router.get("/admin/sessions/active", responses=responses(403, 422))
async def active_sessions(
    _: AdminUser,
    sessions: SessionsDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> SessionPage:
    """Every user's sessions that have not finished."""
    items = []
    total = 0
    for status in ACTIVE:
        rows, count = await sessions.page(kind=None, status=status, limit=limit, offset=0)
        items += [SessionSummary.of(row) for row in rows]
        total += count
    return SessionPage(items=items[:limit], total=total, limit=limit, offset=0)


@router.post(
    "/admin/sessions/{session_id}/kill", status_code=202, responses=responses(403, 404, 409)
)
async def kill_any(session_id: str, _: AdminUser, sessions: SessionsDep) -> ActionResult:
    """Kill anyone's session."""
    row = await sessions.kill(session_id)
    return ActionResult(id=row.id, status=row.status)


@router.get("/admin/usage", responses=responses(403))
async def usage(_: AdminUser, services: ServicesDep, state: StateDep) -> list[UsageOut]:
    """Sessions, calls, tokens and cost per user."""
    users = UserStore(services.engine, state.settings.secret_key.get_secret_value())
    names = {user.id: user.name for user in await users.list_users()}
    rows = await SessionAdmin(services.engine).usage_by_owner()
    return [UsageOut(**row.model_dump(), owner_name=names.get(row.owner or "")) for row in rows]

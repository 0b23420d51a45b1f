"""FastAPI dependencies as `Annotated` aliases: state, services, the caller, the session service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from consensusnet.api.errors import ApiError
from consensusnet.api.knowledge import KnowledgeService
from consensusnet.api.personas import PersonaService
from consensusnet.api.service import SessionService
from consensusnet.api.state import ApiState
from consensusnet.compose import Services
from consensusnet.domain.accounts import User
from consensusnet.store.users import KEY_PREFIX, UserStore

LOCAL_USER = "local"

bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer cn_...`")
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def get_state(request: Request) -> ApiState:
    """This process's API state."""
    state: ApiState = request.app.state.cn
    return state


StateDep = Annotated[ApiState, Depends(get_state)]


async def get_services(state: StateDep) -> Services:
    """The services bound to this event loop (503 when the database is down)."""
    return await state.app.services()


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_user(
    state: StateDep,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    header_key: Annotated[str | None, Depends(api_key_header)],
) -> User:
    """The caller, from their API key; rate limited per key."""
    token = credentials.credentials if credentials else header_key
    users = UserStore(services.engine, state.settings.secret_key.get_secret_value())
    if not token:
        if state.no_auth:
            return await users.ensure_user(LOCAL_USER, is_admin=True)
        raise ApiError(
            401,
            "An API key is required.",
            hint="Send `Authorization: Bearer <key>`; create one with `consensusnet keys create`.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    user = await users.authenticate(token)
    if user is None:
        raise ApiError(401, "Invalid or revoked API key.", headers={"WWW-Authenticate": "Bearer"})
    key_id = token[len(KEY_PREFIX) :].partition("_")[0]
    settings = state.settings
    retry = await state.limiter.hit(
        f"key:{key_id}", settings.rate_limit_per_key, settings.rate_limit_window
    )
    if retry is not None:
        raise ApiError(
            429,
            "Too many requests for this API key.",
            hint=f"Retry after {int(retry)} s.",
            headers={"Retry-After": str(int(retry))},
        )
    return user


CurrentUser = Annotated[User, Depends(get_user)]


async def get_admin(user: CurrentUser) -> User:
    """The caller, who must be an admin."""
    if not user.is_admin:
        raise ApiError(403, "Admins only.")
    return user


AdminUser = Annotated[User, Depends(get_admin)]


async def get_sessions(state: StateDep, services: ServicesDep, user: CurrentUser) -> SessionService:
    """Session operations on behalf of the caller."""
    return SessionService(state, services, user)


SessionsDep = Annotated[SessionService, Depends(get_sessions)]


async def get_knowledge(sessions: SessionsDep) -> KnowledgeService:
    """Knowledge-base and feedback operations on behalf of the caller."""
    return KnowledgeService(sessions)


KnowledgeDep = Annotated[KnowledgeService, Depends(get_knowledge)]


async def get_personas(services: ServicesDep, user: CurrentUser) -> PersonaService:
    """Persona operations on behalf of the caller."""
    return PersonaService(services, user)


PersonasDep = Annotated[PersonaService, Depends(get_personas)]

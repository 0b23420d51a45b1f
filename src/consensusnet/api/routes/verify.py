"""`POST /api/v1/verify`: fact-check text, waiting up to a timeout for the verdict."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from consensusnet.api.deps import SessionsDep
from consensusnet.api.errors import responses
from consensusnet.api.schemas import SessionCreate, VerifyIn, VerifyPending
from consensusnet.engine.view import SessionView

router = APIRouter(prefix="/api/v1", tags=["verify"], responses=responses(401, 422, 429, 503))


@router.post(
    "/verify",
    response_model=SessionView,
    responses={202: {"model": VerifyPending, "description": "Still running."}, **responses(400)},
)
async def verify(body: VerifyIn, sessions: SessionsDep) -> SessionView | JSONResponse:
    """The verdict view when it is ready within `timeout` s, else 202 with the session's URL."""
    created = SessionCreate(
        kind="verify", title=body.title, input={"text": body.text}, options=body.options
    )
    row = await sessions.create(created)
    view = await sessions.settle(row.id, body.timeout)
    if view is not None:
        return view
    row = await sessions.owned(row.id)
    pending = VerifyPending(id=row.id, status=row.status, url=f"/api/v1/sessions/{row.id}")
    return JSONResponse(pending.model_dump(), status_code=202)

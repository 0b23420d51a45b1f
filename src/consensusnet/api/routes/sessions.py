"""`/api/v1/sessions`: create, list, get, events, stream, control, answers, interject, export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import StreamingResponse

from consensusnet.api.deps import SessionsDep, StateDep
from consensusnet.api.errors import responses
from consensusnet.api.schemas import (
    ActionResult,
    AnswersIn,
    EventPage,
    InterjectionIn,
    SessionCreate,
    SessionPage,
    SessionSummary,
)
from consensusnet.api.sse import stream_session
from consensusnet.engine.view import SessionView
from consensusnet.reports import MEDIA_TYPES, Format, render

router = APIRouter(
    prefix="/api/v1/sessions", tags=["sessions"], responses=responses(401, 404, 422, 429, 503)
)
SessionId = Annotated[str, "A session id"]


@router.post("", status_code=status.HTTP_201_CREATED, responses=responses(400))
async def create_session(body: SessionCreate, sessions: SessionsDep) -> SessionSummary:
    """Create a session of a registered kind; it starts (or is queued) at once."""
    return SessionSummary.of(await sessions.create(body))


@router.get("")
async def list_sessions(
    sessions: SessionsDep,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> SessionPage:
    """Your sessions (an admin sees everyone's), newest first."""
    rows, total = await sessions.page(kind=kind, status=status, limit=limit, offset=offset)
    return SessionPage(
        items=[SessionSummary.of(row) for row in rows], total=total, limit=limit, offset=offset
    )


@router.get("/{session_id}")
async def get_session(session_id: SessionId, sessions: SessionsDep) -> SessionView:
    """The session's current view: the fold of its events."""
    return await sessions.view(session_id)


@router.get("/{session_id}/events")
async def list_events(
    session_id: SessionId,
    sessions: SessionsDep,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> EventPage:
    """Events with seq > `after`, in order."""
    return await sessions.events(session_id, after=after, limit=limit)


@router.get(
    "/{session_id}/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "An SSE stream."}},
)
async def stream(
    session_id: SessionId,
    sessions: SessionsDep,
    state: StateDep,
    last_event_id: Annotated[int | None, Header(ge=0)] = None,
    after: Annotated[int, Query(ge=0)] = 0,
) -> StreamingResponse:
    """Live events as SSE: replays after `Last-Event-ID` (or `after`), then tails; heartbeats."""
    await sessions.owned(session_id)
    frames = stream_session(
        sessions.services.log,
        session_id,
        after=last_event_id if last_event_id is not None else after,
        heartbeat=state.settings.sse_heartbeat,
        poll=state.sse_poll,
        metrics=state.metrics,
    )
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(frames, media_type="text/event-stream", headers=headers)


@router.post("/{session_id}/pause", status_code=202, responses=responses(409))
async def pause(session_id: SessionId, sessions: SessionsDep) -> ActionResult:
    """Pause at the next step boundary."""
    row = await sessions.pause(session_id)
    return ActionResult(id=row.id, status=row.status)


@router.post("/{session_id}/resume", status_code=202, responses=responses(409))
async def resume(session_id: SessionId, sessions: SessionsDep) -> ActionResult:
    """Resume a paused session from its last finished step."""
    row = await sessions.resume(session_id)
    return ActionResult(id=row.id, status=row.status)


@router.post("/{session_id}/kill", status_code=202, responses=responses(409))
async def kill(session_id: SessionId, sessions: SessionsDep) -> ActionResult:
    """Cancel the session for good."""
    row = await sessions.kill(session_id)
    return ActionResult(id=row.id, status=row.status)


@router.post("/{session_id}/answers", status_code=202, responses=responses(400, 409))
async def answer(session_id: SessionId, body: AnswersIn, sessions: SessionsDep) -> ActionResult:
    """Answer a board's clarifying questions (409 unless it is waiting for them)."""
    row = await sessions.answer(session_id, body.answers)
    return ActionResult(id=row.id, status=row.status)


@router.post("/{session_id}/interjections", status_code=202, responses=responses(400, 409))
async def interject(
    session_id: SessionId, body: InterjectionIn, sessions: SessionsDep
) -> ActionResult:
    """A message the board's next round must consider."""
    row = await sessions.interject(session_id, body.text)
    return ActionResult(id=row.id, status=row.status)


@router.delete("/{session_id}", status_code=204, response_class=Response)
async def delete(session_id: SessionId, sessions: SessionsDep) -> Response:
    """Delete the session and its events (cancelling it first if it runs)."""
    await sessions.delete(session_id)
    return Response(status_code=204)


@router.get(
    "/{session_id}/export",
    response_class=Response,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
async def export(
    session_id: SessionId,
    sessions: SessionsDep,
    format: Annotated[Format, Query()] = "md",
) -> Response:
    """The session's report as Markdown, JSON or HTML (a board's or a verification's own)."""
    view = await sessions.view(session_id)
    filename = f"session-{session_id[:12]}.{format}"
    return Response(
        render(view, format),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )

"""Server-sent events over the event log: replay after Last-Event-ID, then tail, with heartbeats.

Every client has its own generator reading the log from the database, so a slow client only
ever delays itself; the notifier (in-process or Redis) is only a wake-up signal.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

from consensusnet.api.metrics import ApiMetrics
from consensusnet.api.service import TERMINAL_EVENTS, event_out
from consensusnet.domain.events import TERMINAL_STATUSES
from consensusnet.engine.sessions import SessionLog

PAGE = 500


def format_event(seq: int, event_type: str, data: str) -> str:
    """One SSE frame."""
    return f"id: {seq}\nevent: {event_type}\ndata: {data}\n\n"


async def stream_session(
    log: SessionLog,
    session_id: str,
    *,
    after: int,
    heartbeat: float,
    poll: float,
    metrics: ApiMetrics,
) -> AsyncIterator[str]:
    """Frames for one client until the session ends (or the client goes away)."""
    metrics.sse_clients.inc()
    try:
        yield "retry: 2000\n\n"
        last_sent = time.monotonic()
        while True:
            batch = await log.events(session_id, after=after, limit=PAGE)
            for stored in batch:
                after = stored.seq
                yield format_event(
                    stored.seq, stored.event.type, event_out(stored).model_dump_json()
                )
                last_sent = time.monotonic()
                if stored.event.type in TERMINAL_EVENTS:
                    yield format_event(after, "end", json.dumps({"status": stored.event.type}))
                    return
            if len(batch) == PAGE:
                continue
            if not batch:
                row = await log.store.get_session(session_id)
                if row.status in TERMINAL_STATUSES and row.last_seq <= after:
                    yield format_event(after, "end", json.dumps({"status": row.status}))
                    return
            if time.monotonic() - last_sent >= heartbeat:
                yield ": heartbeat\n\n"
                last_sent = time.monotonic()
            await log.notifier.wait(session_id, after, min(poll, heartbeat))
    finally:
        metrics.sse_clients.dec()

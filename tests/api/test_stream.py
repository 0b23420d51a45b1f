"""SSE over a real uvicorn: replay after Last-Event-ID, live tail, heartbeats, slow clients."""

from __future__ import annotations

import asyncio
import time

import httpx
from api_support import MakeClient

from consensusnet.testing.api_client import Frame, collect_stream, read_frames, wait_status

SLOW = {"kind": "bench.overhead", "input": {"rounds": 4, "parallel": 2}}


def _seqs(frames: list[Frame]) -> list[int]:
    return [f.id for f in frames if f.id is not None and f.event != "end"]


async def test_stream_replays_everything_then_ends(client_for: MakeClient) -> None:
    alice = await client_for("alice")
    session_id = (await alice.post("/api/v1/sessions", json=SLOW)).json()["id"]
    view = await wait_status(alice, session_id, {"completed"})
    frames = await collect_stream(alice, session_id)
    assert _seqs(frames) == list(range(1, view["last_seq"] + 1))
    assert frames[0].extra == {"retry": "2000"}
    first = next(f for f in frames if f.id == 1)
    assert first.event == "session.created"
    assert first.json()["data"]["kind"] == "bench.overhead"
    assert frames[-1].event == "end"
    assert frames[-1].json() == {"status": "session.completed"}


async def test_last_event_id_resumes_without_gap_or_duplicate(client_for: MakeClient) -> None:
    alice = await client_for("alice")
    session_id = (await alice.post("/api/v1/sessions", json=SLOW)).json()["id"]
    url = f"/api/v1/sessions/{session_id}/stream"
    first_part: list[int] = []
    async with alice.stream("GET", url) as response:
        async for frame in read_frames(response):
            if frame.id is not None:
                first_part.append(frame.id)
            if len(first_part) == 4:
                break  # the client drops mid-session
    rest = await collect_stream(alice, session_id, headers={"Last-Event-ID": str(first_part[-1])})
    view = (await alice.get(f"/api/v1/sessions/{session_id}")).json()
    assert first_part + _seqs(rest) == list(range(1, view["last_seq"] + 1))
    also = await collect_stream(alice, session_id, headers={})
    assert _seqs(also)[:3] == [1, 2, 3]


async def test_live_tail_delivers_events_while_the_session_runs(client_for: MakeClient) -> None:
    alice = await client_for("alice")
    session_id = (await alice.post("/api/v1/sessions", json=SLOW)).json()["id"]
    url = f"/api/v1/sessions/{session_id}/stream"
    arrivals: list[tuple[float, str]] = []
    async with alice.stream("GET", url) as response:
        async for frame in read_frames(response):
            if frame.id is not None:
                arrivals.append((time.monotonic(), frame.event))
    completed_at = next(t for t, kind in arrivals if kind == "session.completed")
    calls = [t for t, kind in arrivals if kind == "llm.call"]
    assert len(calls) == 8
    assert completed_at - calls[0] > 0.1  # the first calls arrived live, not in one replay


async def test_heartbeats_keep_an_idle_stream_alive(client_for: MakeClient) -> None:
    alice = await client_for("alice")
    session_id = (
        await alice.post(
            "/api/v1/sessions",
            json={"kind": "bench.overhead", "input": {"rounds": 50, "parallel": 1}},
        )
    ).json()["id"]
    await wait_status(alice, session_id, {"running"})
    await alice.post(f"/api/v1/sessions/{session_id}/pause")
    beats = 0
    async with alice.stream("GET", f"/api/v1/sessions/{session_id}/stream") as response:
        async with asyncio.timeout(5):
            async for frame in read_frames(response):
                if frame.comment == "heartbeat":
                    beats += 1
                    if beats == 2:
                        break
    assert beats == 2
    await alice.post(f"/api/v1/sessions/{session_id}/kill")


async def test_a_stalled_client_does_not_delay_another(client_for: MakeClient) -> None:
    alice = await client_for("alice")
    session_id = (await alice.post("/api/v1/sessions", json=SLOW)).json()["id"]
    url = f"/api/v1/sessions/{session_id}/stream"
    async with (
        httpx.AsyncClient(base_url=str(alice.base_url), headers=alice.headers) as stalled,
        stalled.stream("GET", url) as response,
    ):
        assert response.status_code == 200  # opened, then never read
        started = time.monotonic()
        frames = await collect_stream(alice, session_id)
        elapsed = time.monotonic() - started
    assert frames[-1].event == "end"
    assert elapsed < 10

"""The sessions API over HTTP: create, list, get, events, pause/resume/kill/delete, export."""

from __future__ import annotations

import asyncio

import httpx
from api_support import OVERHEAD, MakeClient

from consensusnet.testing.api_client import wait_status


async def _create(client: httpx.AsyncClient, **extra: object) -> str:
    response = await client.post("/api/v1/sessions", json={**OVERHEAD, **extra})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "bench.overhead"
    return str(body["id"])


async def test_create_runs_to_completion_and_get_returns_the_fold(client_for: MakeClient) -> None:
    alice = await client_for("alice")
    session_id = await _create(alice, title="two by two")
    view = await wait_status(alice, session_id, {"completed"})
    assert view["title"] == "two by two"
    assert view["llm"]["calls"] == 4
    assert view["result"] == {"rounds": 2, "parallel": 2}


async def test_list_is_paginated_and_filters_by_status_and_kind(client_for: MakeClient) -> None:
    alice = await client_for("alice")
    ids = [await _create(alice) for _ in range(3)]
    for session_id in ids:
        await wait_status(alice, session_id, {"completed"})
    page = (await alice.get("/api/v1/sessions", params={"limit": 2})).json()
    assert page["total"] == 3
    assert len(page["items"]) == 2
    rest = (await alice.get("/api/v1/sessions", params={"limit": 2, "offset": 2})).json()
    assert {item["id"] for item in page["items"] + rest["items"]} == set(ids)
    done = await alice.get(
        "/api/v1/sessions", params={"status": "completed", "kind": "bench.overhead"}
    )
    assert done.json()["total"] == 3
    none = await alice.get("/api/v1/sessions", params={"status": "running"})
    assert none.json()["total"] == 0


async def test_events_are_paged_in_order(client_for: MakeClient) -> None:
    alice = await client_for("alice")
    session_id = await _create(alice)
    view = await wait_status(alice, session_id, {"completed"})
    seen: list[int] = []
    after = 0
    while True:
        page = (
            await alice.get(
                f"/api/v1/sessions/{session_id}/events", params={"after": after, "limit": 3}
            )
        ).json()
        seen += [item["seq"] for item in page["items"]]
        after = page["next_after"]
        if page["done"]:
            break
    assert seen == list(range(1, view["last_seq"] + 1))


async def test_pause_then_resume_completes_without_repeating_calls(client_for: MakeClient) -> None:
    alice = await client_for("alice")
    response = await alice.post(
        "/api/v1/sessions",
        json={"kind": "bench.overhead", "input": {"rounds": 6, "parallel": 2}},
    )
    session_id = response.json()["id"]
    await wait_status(alice, session_id, {"running"})
    await asyncio.sleep(0.12)
    paused = await alice.post(f"/api/v1/sessions/{session_id}/pause")
    assert paused.status_code == 202, paused.text
    assert paused.json()["status"] == "paused"
    again = await alice.post(f"/api/v1/sessions/{session_id}/pause")
    assert again.status_code == 409
    resumed = await alice.post(f"/api/v1/sessions/{session_id}/resume")
    assert resumed.status_code == 202, resumed.text
    await wait_status(alice, session_id, {"completed"})
    events = await alice.get(f"/api/v1/sessions/{session_id}/events", params={"limit": 1000})
    keys = [e["data"]["call_key"] for e in events.json()["items"] if e["type"] == "llm.call"]
    assert sorted(keys) == sorted({f"r{r}.p{p}" for r in range(6) for p in range(2)})


async def test_kill_cancels_and_delete_removes(client_for: MakeClient) -> None:
    alice = await client_for("alice")
    response = await alice.post(
        "/api/v1/sessions",
        json={"kind": "bench.overhead", "input": {"rounds": 50, "parallel": 1}},
    )
    session_id = response.json()["id"]
    killed = await alice.post(f"/api/v1/sessions/{session_id}/kill")
    assert killed.status_code == 202
    assert killed.json()["status"] == "cancelled"
    assert (await alice.post(f"/api/v1/sessions/{session_id}/kill")).status_code == 409
    assert (await alice.post(f"/api/v1/sessions/{session_id}/resume")).status_code == 409
    deleted = await alice.delete(f"/api/v1/sessions/{session_id}")
    assert deleted.status_code == 204
    gone = await alice.get(f"/api/v1/sessions/{session_id}")
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "not_found"


async def test_export_in_three_formats(client_for: MakeClient) -> None:
    alice = await client_for("alice")
    session_id = await _create(alice, title="<b>bold</b> title")
    await wait_status(alice, session_id, {"completed"})
    url = f"/api/v1/sessions/{session_id}/export"
    markdown = await alice.get(url, params={"format": "md"})
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text.startswith("# <b>bold</b> title")
    as_json = await alice.get(url, params={"format": "json"})
    assert as_json.json()["id"] == session_id
    page = await alice.get(url, params={"format": "html"})
    assert page.headers["content-type"].startswith("text/html")
    assert "&lt;b&gt;bold&lt;/b&gt;" in page.text
    assert "<b>bold" not in page.text
    bad = await alice.get(url, params={"format": "pdf"})
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "format"


async def test_admin_sees_active_sessions_and_usage(client_for: MakeClient) -> None:
    alice = await client_for("alice")
    root = await client_for("root", admin=True)
    session_id = await _create(alice)
    await wait_status(alice, session_id, {"completed"})
    assert (await alice.get("/api/v1/admin/usage")).status_code == 403
    usage = (await root.get("/api/v1/admin/usage")).json()
    mine = next(row for row in usage if row["owner_name"] == "alice")
    assert mine["sessions"] == 1
    assert mine["llm_calls"] == 4
    listed = (await root.get("/api/v1/sessions")).json()
    assert session_id in {item["id"] for item in listed["items"]}
    active = await root.get("/api/v1/admin/sessions/active")
    assert active.status_code == 200

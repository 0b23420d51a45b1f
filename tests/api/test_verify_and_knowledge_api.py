"""`POST /verify`, knowledge-base documents, feedback and sources over HTTP, owned per user."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from api_support import MakeClient

from consensusnet.testing.api_client import wait_status
from consensusnet.testing.api_server import RunningApi, issue_key

TEXT = "The Eiffel Tower is in Paris. It was completed in 1889."


async def test_verify_waits_for_the_verdict(client_for: MakeClient) -> None:
    alice = await client_for("alice")
    response = await alice.post("/api/v1/verify", json={"text": TEXT, "timeout": 60})
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["kind"] == "verify"
    assert view["status"] == "completed"
    assert view["verify"]["claims"]
    assert all(c["verdict"] for c in view["verify"]["claims"])


async def test_verify_answers_202_when_the_timeout_passes(client_for: MakeClient) -> None:
    alice, mallory = await client_for("alice"), await client_for("mallory")
    response = await alice.post("/api/v1/verify", json={"text": TEXT, "timeout": 0})
    assert response.status_code == 202, response.text
    pending = response.json()
    assert pending["url"] == f"/api/v1/sessions/{pending['id']}"
    assert (await mallory.get(pending["url"])).status_code == 404
    await wait_status(alice, pending["id"], {"completed"})
    too_long = await alice.post("/api/v1/verify", json={"text": TEXT, "timeout": 121})
    assert too_long.status_code == 422
    assert too_long.json()["error"]["field"] == "timeout"


async def test_documents_are_owned_and_limited(client_for: MakeClient) -> None:
    alice, bob = await client_for("alice"), await client_for("bob")
    note = b"# Lisbon office\n\nThe lease in Lisbon ends in May 2027. Rent is 4,000 euros."
    added = await alice.post(
        "/api/v1/documents", files={"file": ("lisbon.md", note, "text/markdown")}
    )
    assert added.status_code == 201, added.text
    document = added.json()
    assert document["title"] == "Lisbon office"
    assert document["chunks"] >= 1
    assert document["new"] is True
    again = await alice.post("/api/v1/documents", files={"file": ("copy.md", note)})
    assert again.status_code == 201
    assert (again.json()["id"], again.json()["new"]) == (document["id"], False)

    assert [d["id"] for d in (await alice.get("/api/v1/documents")).json()] == [document["id"]]
    assert (await bob.get("/api/v1/documents")).json() == []
    assert (await bob.delete(f"/api/v1/documents/{document['id']}")).status_code == 404

    broken = await alice.post("/api/v1/documents", files={"file": ("scan.pdf", b"%PDF-1.4 junk")})
    assert broken.status_code == 400
    assert "scan.pdf" in broken.json()["error"]["message"]
    empty = await alice.post("/api/v1/documents", files={"file": ("empty.txt", b"  ")})
    assert empty.status_code == 400
    wrong = await alice.post("/api/v1/documents", files={"file": ("tool.exe", b"MZ")})
    assert wrong.status_code == 415
    assert wrong.json()["error"]["code"] == "unsupported_media_type"
    big = b"x" * (5 * 1024 * 1024 + 1)
    huge = await alice.post("/api/v1/documents", files={"file": ("big.txt", big)})
    assert huge.status_code == 413
    assert "CONSENSUSNET_MAX_UPLOAD_BYTES" in huge.json()["error"]["hint"]
    missing = await alice.post("/api/v1/documents", data={"nothing": "here"})
    assert missing.status_code == 422
    assert missing.json()["error"]["field"] == "file"

    assert (await alice.delete(f"/api/v1/documents/{document['id']}")).status_code == 204
    assert (await alice.get("/api/v1/documents")).json() == []


async def test_feedback_is_yours_and_once_and_sources_list_credibility(
    client_for: MakeClient,
) -> None:
    alice, mallory = await client_for("alice"), await client_for("mallory")
    before = {s["source"]: s for s in (await alice.get("/api/v1/sources")).json()}
    assert before["local"]["credibility"] == before["local"]["prior"]
    view = (await alice.post("/api/v1/verify", json={"text": TEXT, "timeout": 60})).json()
    claim = view["verify"]["claims"][0]["claim"]["id"]
    body = {"session_id": view["id"], "claim_id": claim, "label": "SUPPORTED"}
    assert (await mallory.post("/api/v1/feedback", json=body)).status_code == 404
    bad = await alice.post("/api/v1/feedback", json={**body, "label": "MAYBE"})
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "label"
    recorded = await alice.post("/api/v1/feedback", json=body)
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["label"] == "SUPPORTED"
    twice = await alice.post("/api/v1/feedback", json=body)
    assert twice.status_code == 400
    sources = {s["source"]: s for s in (await alice.get("/api/v1/sources")).json()}
    assert set(sources) >= {"local", "wikipedia", "arxiv", "pubmed", "web"}
    for source, row in sources.items():
        updated = recorded.json()["credibility_updates"].get(source, row["prior"])
        assert row["credibility"] == pytest.approx(updated, abs=1e-6)


async def test_an_oversized_body_is_refused_before_it_is_read(api: RunningApi) -> None:
    """413 from the declared length alone, and from a chunked body once it passes the limit."""
    host, port = api.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(
            b"POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
            b"Content-Length: 10000000000\r\n\r\n"
        )
        await writer.drain()
        # No body was sent: the answer can only come from the headers.
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    finally:
        writer.close()
    assert head.startswith(b"HTTP/1.1 413")

    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        yield (
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
            b"Content-Type: text/plain\r\n\r\n"
        )
        while sent < 50 * 1024 * 1024:
            sent += 1024 * 1024
            yield b"x" * (1024 * 1024)

    token = await issue_key(api.app, "uploader")
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as client:
        response = await client.post(
            "/api/v1/documents",
            content=endless(),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "multipart/form-data; boundary=b",
            },
        )
    assert response.status_code == 413
    assert "CONSENSUSNET_MAX_UPLOAD_BYTES" in response.json()["error"]["message"]

"""Personas over HTTP: the shipped catalog for everyone, your own only for you."""

from __future__ import annotations

from api_support import MINE, MakeClient


async def test_catalog_and_your_own_personas(client_for: MakeClient) -> None:
    alice, bob = await client_for("alice"), await client_for("bob")
    shipped = (await alice.get("/api/v1/personas")).json()
    assert len(shipped) >= 40
    assert {p["source"] for p in shipped} == {"catalog"}
    one = await bob.get(f"/api/v1/personas/{shipped[0]['id']}")
    assert one.status_code == 200
    assert one.json()["name"] == shipped[0]["name"]

    created = await alice.post("/api/v1/personas", json=MINE)
    assert created.status_code == 201, created.text
    assert created.json()["source"] == "user"
    assert (await alice.post("/api/v1/personas", json=MINE)).status_code == 409
    listed = {p["id"]: p for p in (await alice.get("/api/v1/personas")).json()}
    assert listed[MINE["id"]]["role"] == "Port logistics lead"
    assert MINE["id"] not in {p["id"] for p in (await bob.get("/api/v1/personas")).json()}

    url = f"/api/v1/personas/{MINE['id']}"
    assert (await bob.get(url)).status_code == 404
    assert (await bob.put(url, json=MINE)).status_code == 404
    assert (await bob.delete(url)).status_code == 404
    assert (await bob.delete(f"/api/v1/personas/{shipped[0]['id']}")).status_code == 404

    changed = await alice.put(url, json={**MINE, "role": "Harbour master"})
    assert changed.status_code == 200, changed.text
    assert (await alice.get(url)).json()["role"] == "Harbour master"
    mismatch = await alice.put(url, json={**MINE, "id": "someone-else"})
    assert mismatch.status_code == 422
    assert mismatch.json()["error"]["field"] == "id"
    blank = await alice.post("/api/v1/personas", json={**MINE, "id": "x-2", "traits": [" "]})
    assert blank.status_code == 422
    assert blank.json()["error"]["field"].startswith("traits")
    short = await alice.post("/api/v1/personas", json={**MINE, "system_prompt": "Too short."})
    assert short.status_code == 422
    assert short.json()["error"]["field"] == "system_prompt"

    assert (await alice.delete(url)).status_code == 204
    assert (await alice.get(url)).status_code == 404

"""Keys authenticate users; one user can never touch another's session (a test per endpoint)."""

from __future__ import annotations

import httpx
import pytest
from api_support import OVERHEAD, MakeClient

from consensusnet.cli.serve import service_app
from consensusnet.domain.config import Settings
from consensusnet.domain.errors import ConfigError
from consensusnet.store.users import UserStore
from consensusnet.testing.api_client import wait_status
from consensusnet.testing.api_server import RunningApi, serve_api

FOREIGN_ENDPOINTS = [
    ("GET", "/api/v1/sessions/{id}"),
    ("GET", "/api/v1/sessions/{id}/events"),
    ("GET", "/api/v1/sessions/{id}/stream"),
    ("GET", "/api/v1/sessions/{id}/export?format=json"),
    ("POST", "/api/v1/sessions/{id}/pause"),
    ("POST", "/api/v1/sessions/{id}/resume"),
    ("POST", "/api/v1/sessions/{id}/kill"),
    ("DELETE", "/api/v1/sessions/{id}"),
]


@pytest.mark.parametrize(("method", "path"), FOREIGN_ENDPOINTS)
async def test_another_users_session_does_not_exist_for_you(
    client_for: MakeClient, method: str, path: str
) -> None:
    alice, mallory = await client_for("alice"), await client_for("mallory")
    created = await alice.post(
        "/api/v1/sessions", json={"kind": "bench.overhead", "input": {"rounds": 40, "parallel": 1}}
    )
    session_id = created.json()["id"]
    await wait_status(alice, session_id, {"running"})

    response = await mallory.request(method, path.format(id=session_id))

    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"
    still = await alice.get(f"/api/v1/sessions/{session_id}")
    assert still.status_code == 200
    assert still.json()["status"] == "running"  # nothing mallory did paused, killed or deleted it
    await alice.post(f"/api/v1/sessions/{session_id}/kill")


async def test_list_shows_only_your_own_sessions(client_for: MakeClient) -> None:
    alice, bob = await client_for("alice"), await client_for("bob")
    mine = (await alice.post("/api/v1/sessions", json=OVERHEAD)).json()["id"]
    theirs = (await bob.post("/api/v1/sessions", json=OVERHEAD)).json()["id"]
    listed = {item["id"] for item in (await alice.get("/api/v1/sessions")).json()["items"]}
    assert listed == {mine}
    assert theirs not in listed
    assert (await alice.get("/api/v1/admin/sessions/active")).status_code == 403
    assert (await alice.post(f"/api/v1/admin/sessions/{theirs}/kill")).status_code == 403


async def test_admin_may_read_and_kill_anyones_session(client_for: MakeClient) -> None:
    alice, root = await client_for("alice"), await client_for("root", admin=True)
    created = await alice.post(
        "/api/v1/sessions", json={"kind": "bench.overhead", "input": {"rounds": 40, "parallel": 1}}
    )
    session_id = created.json()["id"]
    assert (await root.get(f"/api/v1/sessions/{session_id}")).status_code == 200
    killed = await root.post(f"/api/v1/admin/sessions/{session_id}/kill")
    assert killed.status_code == 202
    assert killed.json()["status"] == "cancelled"


async def test_missing_malformed_and_revoked_keys_are_401(api: RunningApi) -> None:
    async with httpx.AsyncClient(base_url=api.url) as anonymous:
        missing = await anonymous.get("/api/v1/sessions")
        assert missing.status_code == 401
        assert missing.json()["error"]["code"] == "unauthorized"
        assert "hint" in missing.json()["error"]
        for token in ("nonsense", "cn_abc_def", "cn_"):
            bad = await anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            assert bad.status_code == 401

    services = await api.app.services()
    users = UserStore(services.engine, api.app.settings.secret_key.get_secret_value())
    await users.create_user("carol")
    issued = await users.create_key("carol")
    async with httpx.AsyncClient(base_url=api.url) as carol:
        ok = await carol.get("/api/v1/me", headers={"X-API-Key": issued.token})
        assert ok.status_code == 200
        assert ok.json()["name"] == "carol"
        await users.revoke_key(issued.info.id)
        revoked = await carol.get("/api/v1/me", headers={"X-API-Key": issued.token})
        assert revoked.status_code == 401


async def test_keys_are_stored_only_as_hashes(api: RunningApi) -> None:
    services = await api.app.services()
    users = UserStore(services.engine, api.app.settings.secret_key.get_secret_value())
    await users.create_user("dave")
    issued = await users.create_key("dave")
    secret = issued.token.rsplit("_", 1)[1]
    async with services.engine.connect() as conn:
        from sqlalchemy import text

        rows = (await conn.execute(text("SELECT id, hash FROM api_keys"))).all()
    assert rows
    assert all(secret not in row.hash and row.hash != secret for row in rows)


async def test_no_auth_mode_acts_as_local_admin_on_loopback(api_settings: Settings) -> None:
    settings = api_settings.model_copy(update={"allow_no_auth": True, "host": "127.0.0.1"})
    async with (
        serve_api(service_app(settings, "api")) as running,
        httpx.AsyncClient(base_url=running.url) as client,
    ):
        me = await client.get("/api/v1/me")
        assert me.status_code == 200
        assert me.json() == {**me.json(), "name": "local", "is_admin": True}


def test_no_auth_mode_is_refused_off_loopback(api_settings: Settings) -> None:
    from consensusnet.api.app import create_api

    settings = api_settings.model_copy(update={"allow_no_auth": True, "host": "0.0.0.0"})
    with pytest.raises(ConfigError, match="loopback"):
        create_api(service_app(settings, "api"))


def test_default_secret_is_refused_outside_development(tmp_path: object) -> None:
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings(_env_file=None, env="production")  # type: ignore[call-arg]
    Settings(_env_file=None, env="production", secret_key="a-real-secret")  # type: ignore[call-arg]

"""One error shape everywhere, rate limits with Retry-After, /health, /ready, /metrics, /docs."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from api_support import OVERHEAD, MakeClient

from consensusnet.cli.serve import service_app
from consensusnet.domain.config import Settings
from consensusnet.testing.api_client import wait_status
from consensusnet.testing.api_server import RunningApi, serve_api


def _assert_error_shape(response: httpx.Response, status: int, code: str) -> dict[str, str]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, str] = body["error"]
    assert error["code"] == code
    assert error["message"]
    assert set(error) <= {"code", "message", "field", "hint"}
    assert "Traceback" not in response.text
    return error


async def test_unknown_route_and_wrong_method_use_the_error_shape(api: RunningApi) -> None:
    async with httpx.AsyncClient(base_url=api.url) as client:
        _assert_error_shape(await client.get("/nope"), 404, "not_found")
        _assert_error_shape(await client.put("/health"), 405, "method_not_allowed")


async def test_validation_errors_name_the_field(client_for: MakeClient) -> None:
    alice = await client_for("alice")
    missing = await alice.post("/api/v1/sessions", json={"input": {}})
    assert _assert_error_shape(missing, 422, "validation_error")["field"] == "kind"
    unknown = await alice.post("/api/v1/sessions", json={"kind": "astrology"})
    error = _assert_error_shape(unknown, 422, "validation_error")
    assert error["field"] == "kind"
    assert "bench.overhead" in error["hint"]
    extra = await alice.post("/api/v1/sessions", json={**OVERHEAD, "colour": "red"})
    assert _assert_error_shape(extra, 422, "validation_error")["field"] == "colour"
    limit = await alice.get("/api/v1/sessions", params={"limit": 0})
    assert _assert_error_shape(limit, 422, "validation_error")["field"] == "limit"
    not_json = await alice.post(
        "/api/v1/sessions", content=b"{", headers={"content-type": "application/json"}
    )
    _assert_error_shape(not_json, 422, "validation_error")


@pytest.fixture
async def limited_api(api_settings: Settings) -> AsyncIterator[RunningApi]:
    settings = api_settings.model_copy(
        update={"rate_limit_per_key": 3, "rate_limit_per_ip": 6, "rate_limit_window": 60.0}
    )
    async with serve_api(service_app(settings, "api")) as running:
        yield running


async def test_per_key_limit_answers_429_with_retry_after(limited_api: RunningApi) -> None:
    from consensusnet.testing.api_server import issue_key

    token = await issue_key(limited_api.app, "eve")
    async with httpx.AsyncClient(
        base_url=limited_api.url, headers={"Authorization": f"Bearer {token}"}
    ) as eve:
        statuses = [(await eve.get("/api/v1/me")).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        limited = await eve.get("/api/v1/me")
        _assert_error_shape(limited, 429, "rate_limited")
        assert 1 <= int(limited.headers["Retry-After"]) <= 60


async def test_per_ip_limit_applies_without_a_key(limited_api: RunningApi) -> None:
    async with httpx.AsyncClient(base_url=limited_api.url) as anonymous:
        statuses = [(await anonymous.get("/api/v1/me")).status_code for _ in range(6)]
        assert statuses == [401] * 6
        limited = await anonymous.get("/api/v1/me")
        _assert_error_shape(limited, 429, "rate_limited")
        assert int(limited.headers["Retry-After"]) >= 1
        assert (await anonymous.get("/health")).status_code == 200  # never limited


async def test_health_ready_docs_and_metrics(client_for: MakeClient, api: RunningApi) -> None:
    alice = await client_for("alice")
    session_id = (await alice.post("/api/v1/sessions", json=OVERHEAD)).json()["id"]
    await wait_status(alice, session_id, {"completed"})
    async with httpx.AsyncClient(base_url=api.url) as client:
        assert (await client.get("/health")).json()["status"] == "ok"
        ready = await client.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["database"]["ok"] is True
        assert (await client.get("/docs")).status_code == 200
        spec = (await client.get("/openapi.json")).json()
        assert "/api/v1/sessions/{session_id}/stream" in spec["paths"]
        metrics = (await client.get("/metrics")).text
    assert 'consensusnet_sessions{status="completed"} 1.0' in metrics
    assert 'consensusnet_llm_calls{model="scripted-1",provider="scripted"} 4.0' in metrics
    assert "consensusnet_http_requests_total{" in metrics
    assert 'route="/api/v1/sessions/{session_id}"' in metrics
    assert "consensusnet_sse_clients 0.0" in metrics


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_ready_fails_and_api_answers_503_when_postgres_is_unreachable(
    api_settings: Settings,
) -> None:
    dead = f"postgresql://nobody@127.0.0.1:{_closed_port()}/nothing"
    settings = api_settings.model_copy(update={"database_url": dead})
    async with (
        serve_api(service_app(settings, "api")) as running,
        httpx.AsyncClient(base_url=running.url, timeout=30) as client,
    ):
        assert (await client.get("/health")).status_code == 200
        ready = await client.get("/ready")
        assert ready.status_code == 503
        assert ready.headers["Retry-After"]
        assert ready.json()["checks"]["database"] == {"ok": False, "detail": "unreachable"}
        sessions = await client.get(
            "/api/v1/sessions", headers={"Authorization": "Bearer cn_abc_def"}
        )
        _assert_error_shape(sessions, 503, "unavailable")
        assert sessions.headers["Retry-After"]
        _assert_error_shape(await client.get("/metrics"), 503, "unavailable")

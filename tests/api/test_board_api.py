"""Board sessions over HTTP: answering clarifying questions, interjecting, ownership."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from api_support import MINE

from consensusnet.compose import App
from consensusnet.domain.config import Settings
from consensusnet.domain.llm import LLMRequest
from consensusnet.llm.schema_fill import fill_schema
from consensusnet.llm.scripted import FunctionProvider, request_digest
from consensusnet.testing.api_client import wait_status
from consensusnet.testing.api_server import RunningApi, issue_key, serve_api

BOARD = {
    "kind": "board",
    "input": {"question": "Should we open an office in Lisbon?"},
    "options": {"clarify": "ask", "clarify_timeout_s": 60, "max_rounds": 2, "experts": 2},
}


def _reply(request: LLMRequest) -> Any:
    if request.schema_name.startswith("ClarifierOut"):
        return {"questions": [{"question": "What is the budget?", "assumption": "Small"}]}
    if request.schema_name.startswith("Decomposition"):
        return {
            "sub_problems": [
                {
                    "title": "Office choice",
                    "question": "Open in Lisbon or stay remote?",
                    "domains": ["operations"],
                    "options": ["Open now", "Stay remote"],
                    "depends_on": [],
                }
            ]
        }
    assert request.response_schema is not None
    return fill_schema(request.response_schema, request_digest(request))


@pytest.fixture
async def board_api(api_settings: Settings) -> AsyncIterator[RunningApi]:
    provider = FunctionProvider(_reply)
    provider.ttft = 0.05
    app = App(api_settings, role="api", providers={api_settings.provider: provider})
    async with serve_api(app) as running:
        yield running


async def _client(api: RunningApi, name: str) -> httpx.AsyncClient:
    token = await issue_key(api.app, name)
    return httpx.AsyncClient(
        base_url=api.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


async def _awaiting(client: httpx.AsyncClient) -> str:
    created = await client.post("/api/v1/sessions", json=BOARD)
    assert created.status_code == 201, created.text
    session_id = str(created.json()["id"])
    await wait_status(client, session_id, {"awaiting_input"})
    return session_id


async def test_answers_reach_the_board_and_a_second_answer_is_409(board_api: RunningApi) -> None:
    async with (
        await _client(board_api, "alice") as alice,
        await _client(board_api, "mallory") as mallory,
    ):
        session_id = await _awaiting(alice)
        url = f"/api/v1/sessions/{session_id}/answers"
        foreign = await mallory.post(url, json={"answers": ["Nothing"]})
        assert foreign.status_code == 404
        too_many = await alice.post(url, json={"answers": ["a", "b"]})
        assert too_many.status_code == 422
        assert too_many.json()["error"]["field"] == "answers"
        answered = await alice.post(url, json={"answers": ["Two million euros"]})
        assert answered.status_code == 202, answered.text
        view = await wait_status(alice, session_id, {"completed", "failed"})
        assert view["status"] == "completed", view.get("error")
        assert view["board"]["clarifications"][0]["answer"] == "Two million euros"
        assert not view["board"]["assumptions"]
        again = await alice.post(url, json={"answers": ["Three"]})
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "conflict"


async def test_interjection_is_recorded_for_the_next_round(board_api: RunningApi) -> None:
    async with (
        await _client(board_api, "alice") as alice,
        await _client(board_api, "mallory") as mallory,
    ):
        session_id = await _awaiting(alice)
        url = f"/api/v1/sessions/{session_id}/interjections"
        assert (await mallory.post(url, json={"text": "Pick option 2"})).status_code == 404
        empty = await alice.post(url, json={"text": ""})
        assert empty.status_code == 422
        said = await alice.post(url, json={"text": "Remember the lease ends in May"})
        assert said.status_code == 202, said.text
        await alice.post(f"/api/v1/sessions/{session_id}/answers", json={"answers": ["Small"]})
        view = await wait_status(alice, session_id, {"completed", "failed"})
        assert view["status"] == "completed", view.get("error")
        assert [i["text"] for i in view["board"]["interjections"]] == [
            "Remember the lease ends in May"
        ]
        events = (
            await alice.get(f"/api/v1/sessions/{session_id}/events", params={"limit": 1000})
        ).json()["items"]
        assert any(e["type"] == "board.interjection" for e in events)
        late = await alice.post(url, json={"text": "too late"})
        assert late.status_code == 409
        # The export is the board's own report, as the CLI writes it, not a generic dump.
        report = await alice.get(f"/api/v1/sessions/{session_id}/export", params={"format": "md"})
        assert report.text.startswith("# Board report: ")


async def test_a_board_can_pin_its_owners_persona(board_api: RunningApi) -> None:
    async with await _client(board_api, "alice") as alice, await _client(board_api, "bob") as bob:
        assert (await alice.post("/api/v1/personas", json=MINE)).status_code == 201
        options = {"clarify": "assume", "max_rounds": 1, "experts": 2, "personas": [MINE["id"]]}
        body = {**BOARD, "options": options}
        mine = (await alice.post("/api/v1/sessions", json=body)).json()["id"]
        view = await wait_status(alice, mine, {"completed", "failed"})
        assert view["status"] == "completed", view.get("error")
        panel = view["board"]["sub_problems"][0]["panel"]
        assert MINE["id"] in [m["persona_id"] for m in panel]
        # Bob's board cannot seat Alice's persona: to him it does not exist.
        theirs = (await bob.post("/api/v1/sessions", json=body)).json()["id"]
        failed = await wait_status(bob, theirs, {"completed", "failed"})
        assert failed["status"] == "failed"
        assert MINE["id"] in failed["error"]

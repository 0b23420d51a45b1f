"""The scripted provider: queued replies, deterministic schema-valid answers, recorded calls."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, Field

from consensusnet.domain.llm import LLMRequest, Message
from consensusnet.llm.schema_fill import fill_schema
from consensusnet.llm.scripted import FunctionProvider, ScriptedProvider


class Risk(BaseModel):
    risk: str = Field(min_length=3)
    mitigation: str
    severity: Literal["low", "medium", "high"]


class Report(BaseModel):
    summary: str
    confidence: float = Field(ge=0, le=1)
    votes: int = Field(ge=1, le=5)
    risks: list[Risk] = Field(min_length=1, max_length=3)
    dissent: str | None = None
    unanimous: bool


def req(text: str) -> LLMRequest:
    return LLMRequest(messages=[Message(role="user", content=text)])


async def test_queued_replies_come_back_in_order_and_calls_are_recorded() -> None:
    provider = ScriptedProvider(replies=["first", {"a": 1}])
    assert (await provider.complete(req("x"), "m")).text == "first"
    assert json.loads((await provider.complete(req("y"), "m")).text) == {"a": 1}
    assert [c.messages[0].content for c in provider.calls] == ["x", "y"]


async def test_unscripted_structured_answers_validate_and_are_deterministic() -> None:
    request = req("q").model_copy(update={"response_schema": Report.model_json_schema()})
    first = await ScriptedProvider().complete(request, "m")
    second = await ScriptedProvider().complete(request, "m")
    assert first.text == second.text
    report = Report.model_validate_json(first.text)
    assert 0 <= report.confidence <= 1


def test_schema_fill_differs_by_seed_but_always_validates() -> None:
    schema = Report.model_json_schema()
    outputs = {json.dumps(fill_schema(schema, str(seed))) for seed in range(20)}
    assert len(outputs) > 1
    for text in outputs:
        Report.model_validate_json(text)


async def test_function_provider_answers_from_the_request() -> None:
    provider = FunctionProvider(lambda request: request.messages[-1].content.upper())
    assert (await provider.complete(req("shout"), "m")).text == "SHOUT"
    assert (await provider.complete(req("again"), "m")).text == "AGAIN"

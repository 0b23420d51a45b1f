"""The gateway: retries, Retry-After, fallbacks, timeouts, limits, structured repair, ledger."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from consensusnet.domain.config import Settings
from consensusnet.domain.errors import ProviderError, StructuredOutputError
from consensusnet.domain.llm import LLMRequest, LLMResponse, Message, StreamChunk, Usage
from consensusnet.llm.gateway import CallContext, CallRecord, LLMGateway
from consensusnet.llm.port import LLMProvider
from consensusnet.llm.router import Router
from consensusnet.llm.scripted import ScriptedProvider


class MemoryLedger:
    def __init__(self) -> None:
        self.records: list[CallRecord] = []

    async def record(self, record: CallRecord) -> None:
        self.records.append(record)

    async def lookup(self, session_id: str, call_key: str) -> CallRecord | None:
        return next(
            (r for r in self.records if (r.session_id, r.call_key) == (session_id, call_key)),
            None,
        )


class Verdict(BaseModel):
    label: Literal["SUPPORTED", "REFUTED"]
    confidence: float = Field(ge=0, le=1)


REQUEST = LLMRequest(messages=[Message(role="user", content="hi")])


def make_gateway(
    providers: dict[str, LLMProvider], *, fallbacks: list[str] | None = None, **kwargs: object
) -> tuple[LLMGateway, MemoryLedger, list[float]]:
    settings = Settings(_env_file=None, provider=next(iter(providers)), fallbacks=fallbacks or [])  # type: ignore[call-arg]
    ledger = MemoryLedger()
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    gateway = LLMGateway(
        Router(settings),
        providers.__getitem__,
        ledger=ledger,
        sleep=fake_sleep,
        **kwargs,  # type: ignore[arg-type]
    )
    return gateway, ledger, sleeps


async def test_retryable_error_is_retried_after_the_retry_after_delay() -> None:
    provider = ScriptedProvider()
    provider.queue(ProviderError("slow down", retryable=True, retry_after=2.0, status=429), "ok")
    gateway, ledger, sleeps = make_gateway({"scripted": provider})
    response = await gateway.complete(REQUEST, CallContext(session_id="s", call_key="k"))
    assert response.text == "ok"
    assert sleeps == [2.0]
    assert [(r.ok, r.attempts) for r in ledger.records] == [(True, 2)]


async def test_backoff_without_retry_after_grows_with_jitter() -> None:
    provider = ScriptedProvider()
    provider.queue(*[ProviderError("flaky", retryable=True)] * 3, "ok")
    gateway, _, sleeps = make_gateway({"scripted": provider}, backoff_base=1.0)
    await gateway.complete(REQUEST, CallContext())
    assert len(sleeps) == 3
    assert 0.5 <= sleeps[0] <= 1.5
    assert 1.0 <= sleeps[1] <= 3.0
    assert 2.0 <= sleeps[2] <= 6.0


async def test_non_retryable_error_falls_back_to_the_next_model() -> None:
    broken, backup = ScriptedProvider(), ScriptedProvider()
    broken.queue(ProviderError("bad key", retryable=False, status=401))
    backup.queue("from backup")
    gateway, ledger, sleeps = make_gateway(
        {"broken": broken, "backup": backup}, fallbacks=["backup:b-1"]
    )
    response = await gateway.complete(REQUEST, CallContext(session_id="s"))
    assert response.text == "from backup"
    assert response.model == "b-1"
    assert sleeps == []
    assert [(r.provider, r.ok) for r in ledger.records] == [("broken", False), ("backup", True)]


async def test_every_target_failing_names_each_failure() -> None:
    provider = ScriptedProvider()
    provider.queue(ProviderError("nope", retryable=False))
    gateway, _, _ = make_gateway({"scripted": provider})
    with pytest.raises(ProviderError, match=r"scripted:.*nope"):
        await gateway.complete(REQUEST, CallContext())


async def test_a_call_that_hangs_times_out_and_is_retried() -> None:
    provider = ScriptedProvider(ttft=5.0)
    gateway, ledger, _sleeps = make_gateway({"scripted": provider}, timeout=0.05, max_retries=1)
    with pytest.raises(ProviderError, match="timed out"):
        await gateway.complete(REQUEST, CallContext(session_id="s"))
    assert len(provider.calls) == 2
    assert ledger.records[-1].ok is False


async def test_per_provider_concurrency_limit_holds() -> None:
    in_flight = 0
    peak = 0

    class Counting(ScriptedProvider):
        async def stream(self, request: LLMRequest, model: str) -> AsyncIterator[StreamChunk]:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.02)
            in_flight -= 1
            async for chunk in super().stream(request, model):
                yield chunk

    gateway, _, _ = make_gateway({"scripted": Counting()}, concurrency=2)
    await asyncio.gather(*(gateway.complete(REQUEST, CallContext()) for _ in range(6)))
    assert peak == 2


async def test_time_queued_for_a_slot_is_not_call_latency() -> None:
    """Three 0.2 s calls through one slot: each is recorded as ~0.2 s, not 0.2, 0.4 and 0.6."""
    gateway, ledger, _ = make_gateway({"scripted": ScriptedProvider(ttft=0.2)}, concurrency=1)
    await asyncio.gather(*(gateway.complete(REQUEST, CallContext()) for _ in range(3)))
    latencies = sorted(record.latency_s for record in ledger.records)
    assert len(latencies) == 3
    assert latencies[0] >= 0.2
    assert latencies[-1] < 0.39  # the last one queued 0.4 s before it started


async def test_structured_output_gets_one_repair_attempt() -> None:
    provider = ScriptedProvider()
    provider.queue('{"label": "MAYBE", "confidence": 3}', {"label": "REFUTED", "confidence": 0.8})
    gateway, ledger, _ = make_gateway({"scripted": provider})
    result = await gateway.structured(REQUEST, Verdict, CallContext(session_id="s", call_key="v"))
    assert result.value == Verdict(label="REFUTED", confidence=0.8)
    assert provider.calls[0].response_schema == Verdict.model_json_schema()
    repair_prompt = provider.calls[1].messages[-1].content
    assert "label" in repair_prompt
    assert "confidence" in repair_prompt
    assert [r.call_key for r in ledger.records] == ["v", "v:repair"]


async def test_structured_output_invalid_twice_is_a_clear_error() -> None:
    provider = ScriptedProvider()
    provider.queue("not json", "still not json")
    gateway, _, _ = make_gateway({"scripted": provider})
    with pytest.raises(StructuredOutputError, match="Verdict"):
        await gateway.structured(REQUEST, Verdict, CallContext())


async def test_structured_output_without_queued_replies_is_schema_valid() -> None:
    gateway, _, _ = make_gateway({"scripted": ScriptedProvider()})
    result = await gateway.structured(REQUEST, Verdict, CallContext())
    assert result.value.label in ("SUPPORTED", "REFUTED")


async def test_a_keyed_call_already_in_the_ledger_is_not_made_again() -> None:
    provider = ScriptedProvider()
    gateway, ledger, _ = make_gateway({"scripted": provider})
    first = await gateway.complete(REQUEST, CallContext(session_id="s", call_key="k"))
    again = await gateway.complete(REQUEST, CallContext(session_id="s", call_key="k"))
    assert again.text == first.text
    assert len(provider.calls) == 1
    assert len(ledger.records) == 1


async def test_streaming_yields_deltas_then_the_recorded_response() -> None:
    provider = ScriptedProvider()
    provider.queue("one two three")
    gateway, ledger, _ = make_gateway({"scripted": provider})
    chunks = [c async for c in gateway.stream(REQUEST, CallContext(session_id="s"))]
    assert "".join(c.delta for c in chunks) == "one two three"
    final = chunks[-1].response
    assert isinstance(final, LLMResponse)
    assert final.usage.output_tokens == 3
    assert ledger.records[0].output == "one two three"


async def test_cost_comes_from_the_price_table() -> None:
    class Priced(ScriptedProvider):
        name = "openai"

        def _usage(self, request: LLMRequest, text: str) -> Usage:
            return Usage(input_tokens=1_000_000, output_tokens=1_000_000)

    gateway, ledger, _ = make_gateway({"openai": Priced()})
    await gateway.complete(
        REQUEST, CallContext(session_id="s", model_override="openai:gpt-4o-mini")
    )
    assert ledger.records[0].cost_usd == pytest.approx(0.15 + 0.6)


async def test_a_provider_that_serves_one_call_at_a_time_is_queued_before_the_timeout() -> None:
    class OneAtATime(ScriptedProvider):
        """Like llama.cpp: calls beyond the first wait inside the adapter."""

        max_concurrency = 1

        def __init__(self) -> None:
            super().__init__(ttft=0.05)
            self.lock = asyncio.Lock()

        async def stream(self, request: LLMRequest, model: str) -> AsyncIterator[StreamChunk]:
            async with self.lock:
                async for chunk in super().stream(request, model):
                    yield chunk

    gateway, ledger, _ = make_gateway({"scripted": OneAtATime()}, timeout=0.3, max_retries=0)
    # Twelve calls take 0.6 s in a row; each one's 0.3 s timeout starts only at its turn.
    calls = [gateway.complete(REQUEST, CallContext(session_id="s")) for _ in range(12)]
    await asyncio.gather(*calls)
    assert [r.ok for r in ledger.records] == [True] * 12

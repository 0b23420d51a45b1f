"""Per-provider limits: the setting, the in-process limiter, and the gateway honouring it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from consensusnet.domain.config import ProviderLimit, Settings
from consensusnet.domain.errors import ProviderError
from consensusnet.domain.llm import LLMRequest, Message
from consensusnet.llm.gateway import CallContext, LLMGateway
from consensusnet.llm.limits import LocalProviderLimiter
from consensusnet.llm.openai import OpenAIProvider
from consensusnet.llm.router import Router
from consensusnet.llm.scripted import ScriptedProvider
from consensusnet.testing.fake_llm_server import FakeLLMServer

REQUEST = LLMRequest(messages=[Message(role="user", content="hi")])


def settings(**fields: object) -> Settings:
    return Settings(_env_file=None, **fields)  # type: ignore[arg-type]


# -- the setting ------------------------------------------------------------------------------


def test_json_form_reads_rpm_as_requests_per_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "CONSENSUSNET_LLM_LIMITS",
        '{"openai": {"rpm": 500, "concurrency": 8}, "anthropic": {"rpm": 50}, '
        '"local": {"requests": 5, "per": 2}}',
    )
    limits = settings().llm_limits
    assert limits["openai"] == ProviderLimit(requests=500, per=60, concurrency=8)
    assert limits["anthropic"] == ProviderLimit(requests=50, per=60)
    assert limits["local"] == ProviderLimit(requests=5, per=2)


def test_compact_form_reads_rates_units_and_concurrency(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "CONSENSUSNET_LLM_LIMITS", "openai=500/min:8, anthropic=50/min,local=:1,x=3/10s"
    )
    limits = settings().llm_limits
    assert limits["openai"] == ProviderLimit(requests=500, per=60, concurrency=8)
    assert limits["anthropic"] == ProviderLimit(requests=50, per=60)
    assert limits["local"] == ProviderLimit(concurrency=1)
    assert limits["x"] == ProviderLimit(requests=3, per=10)
    assert [limit.describe() for limit in limits.values()] == ["500/min:8", "50/min", ":1", "3/10s"]


def test_no_setting_means_no_limits() -> None:
    assert settings().llm_limits == {}


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("openai=fast", ["openai=fast", "PROVIDER=RATE/UNIT"]),
        ("openai=5/fortnight", ["openai=5/fortnight", "unknown unit"]),
        ("openai=500/min,=3/s", ["'=3/s'"]),
        ('{"openai": {"rpm": 0}}', ["llm_limits.openai"]),
        ('{"anthropic": {"rmp": 3}}', ["llm_limits.anthropic.rmp"]),
        ('{"openai": {}}', ["llm_limits.openai", "concurrency"]),
        ('{"openai": {"rpm": 5, "per": 1}}', ["llm_limits.openai", "not both"]),
        ('{"openai": ', ["not valid JSON"]),
    ],
)
def test_a_bad_entry_is_named_in_the_error(
    monkeypatch: pytest.MonkeyPatch, value: str, names: list[str]
) -> None:
    monkeypatch.setenv("CONSENSUSNET_LLM_LIMITS", value)
    with pytest.raises(ValidationError) as raised:
        settings()
    for name in names:
        assert name in str(raised.value)


# -- the in-process limiter -------------------------------------------------------------------


class Meter:
    """Counts holders inside a limited block, and when each entered."""

    def __init__(self) -> None:
        self.inside = 0
        self.peak = 0
        self.entered: list[float] = []

    async def hold(self, limiter: LocalProviderLimiter, provider: str, seconds: float) -> None:
        async with limiter.slot(provider):
            self.entered.append(time.monotonic())
            self.inside += 1
            self.peak = max(self.peak, self.inside)
            await asyncio.sleep(seconds)
            self.inside -= 1

    def most_within(self, seconds: float) -> int:
        starts = sorted(self.entered)
        return max(
            sum(1 for other in starts if start <= other < start + seconds) for start in starts
        )


async def test_concurrency_is_capped_and_every_waiter_gets_a_slot() -> None:
    limiter = LocalProviderLimiter({"openai": ProviderLimit(concurrency=2)})
    meter = Meter()
    await asyncio.wait_for(
        asyncio.gather(*(meter.hold(limiter, "openai", 0.05) for _ in range(7))), 10
    )
    assert meter.peak == 2
    assert len(meter.entered) == 7


async def test_requests_per_window_are_capped_over_any_window() -> None:
    limiter = LocalProviderLimiter({"openai": ProviderLimit(requests=3, per=0.4)})
    meter = Meter()
    started = time.monotonic()
    await asyncio.wait_for(
        asyncio.gather(*(meter.hold(limiter, "openai", 0.0) for _ in range(7))), 10
    )
    assert meter.most_within(0.39) == 3
    # Seven starts at three per window need at least two full windows after the first burst.
    assert time.monotonic() - started >= 0.75


async def test_a_provider_without_limits_never_waits() -> None:
    limiter = LocalProviderLimiter({"openai": ProviderLimit(concurrency=1)})
    meter = Meter()
    async with limiter.slot("openai"):
        await asyncio.wait_for(
            asyncio.gather(*(meter.hold(limiter, "anthropic", 0.05) for _ in range(5))), 1
        )
    assert meter.peak == 5


async def test_a_cancelled_holder_gives_its_slot_back() -> None:
    limiter = LocalProviderLimiter({"openai": ProviderLimit(concurrency=1)})
    meter = Meter()
    holder = asyncio.create_task(meter.hold(limiter, "openai", 60))
    waiter = asyncio.create_task(meter.hold(limiter, "openai", 0))
    await asyncio.sleep(0.05)
    assert not waiter.done()
    holder.cancel()
    await asyncio.wait_for(waiter, 2)
    assert len(meter.entered) == 2


async def test_a_long_wait_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    limiter = LocalProviderLimiter({"openai": ProviderLimit(concurrency=1)}, long_wait=0.1)
    meter = Meter()
    with caplog.at_level(logging.INFO, logger="consensusnet.llm.limits"):
        await asyncio.gather(meter.hold(limiter, "openai", 0.6), meter.hold(limiter, "openai", 0))
    waits = [r for r in caplog.records if "waited" in r.getMessage()]
    assert len(waits) == 1
    assert waits[0].levelno == logging.INFO
    assert "concurrent openai calls" in waits[0].getMessage()


# -- the gateway --------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(reply_delay=0.1) as fake:
        yield fake


async def test_gateway_keeps_the_server_under_the_providers_concurrency(
    server: FakeLLMServer,
) -> None:
    provider = OpenAIProvider(base_url=server.openai_base_url)
    limits = LocalProviderLimiter({"openai": ProviderLimit(concurrency=2)})
    gateway = LLMGateway(
        Router(settings(provider="openai")),
        {"openai": provider}.__getitem__,
        concurrency=8,
        limits=limits,
    )
    try:
        replies = await asyncio.gather(
            *(gateway.complete(REQUEST, CallContext()) for _ in range(6))
        )
    finally:
        await provider.aclose()
    assert len(replies) == len(server.requests) == 6
    assert server.peak_concurrency == 2


async def test_gateway_keeps_the_server_under_the_providers_rate(server: FakeLLMServer) -> None:
    server.reply_delay = 0.0
    provider = OpenAIProvider(base_url=server.openai_base_url)
    limits = LocalProviderLimiter({"openai": ProviderLimit(requests=2, per=0.5)})
    gateway = LLMGateway(
        Router(settings(provider="openai")), {"openai": provider}.__getitem__, limits=limits
    )
    try:
        await asyncio.gather(*(gateway.complete(REQUEST, CallContext()) for _ in range(5)))
    finally:
        await provider.aclose()
    assert len(server.requests) == 5
    assert server.most_started_within(0.45) <= 2


async def test_waiting_for_a_slot_does_not_count_toward_the_call_timeout() -> None:
    provider = ScriptedProvider(ttft=0.2)
    limits = LocalProviderLimiter({"scripted": ProviderLimit(concurrency=1)})
    gateway = LLMGateway(
        Router(settings(provider="scripted")),
        {"scripted": provider}.__getitem__,
        timeout=0.35,
        max_retries=0,
        limits=limits,
    )
    # The third call waits about 0.4 s for its slot, longer than the timeout, and still succeeds.
    replies = await asyncio.gather(*(gateway.complete(REQUEST, CallContext()) for _ in range(3)))
    assert len(replies) == len(provider.calls) == 3


async def test_gateway_takes_a_new_slot_for_each_retry() -> None:
    provider = ScriptedProvider()
    provider.queue(ProviderError("slow down", retryable=True, retry_after=0.0, status=429), "ok")
    limits = LocalProviderLimiter({"scripted": ProviderLimit(requests=1, per=0.3)})
    gateway = LLMGateway(
        Router(settings(provider="scripted")), {"scripted": provider}.__getitem__, limits=limits
    )
    started = time.monotonic()
    response = await gateway.complete(REQUEST, CallContext())
    assert response.text == "ok"
    # The retry is a second request, so it waits for the window the first one used.
    assert time.monotonic() - started >= 0.25

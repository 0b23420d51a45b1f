"""The OpenAI adapter against a local server speaking the chat-completions wire format."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest

from consensusnet.domain.config import Settings
from consensusnet.domain.errors import ConfigError, MissingDependencyError, ProviderError
from consensusnet.domain.llm import LLMRequest, Message, StreamChunk, SystemBlock
from consensusnet.llm import openai as openai_adapter
from consensusnet.llm.gateway import CallContext, CallRecord, LLMGateway
from consensusnet.llm.openai import OpenAIProvider, register
from consensusnet.llm.registry import ProviderRegistry
from consensusnet.llm.router import Router
from consensusnet.testing.fake_llm_server import FakeLLMServer

API_KEY = "sk-test-secret-123"


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


@pytest.fixture
async def provider(server: FakeLLMServer) -> AsyncIterator[OpenAIProvider]:
    adapter = OpenAIProvider(api_key=API_KEY, base_url=server.openai_base_url, timeout=10)
    yield adapter
    await adapter.aclose()


def ask(text: str = "Is the sky blue?", **fields: object) -> LLMRequest:
    return LLMRequest(
        system=[SystemBlock(text="You are terse.", cache=True), SystemBlock(text="Be kind.")],
        messages=[Message(role="user", content=text)],
        **fields,  # type: ignore[arg-type]
    )


async def test_complete_sends_one_system_message_and_maps_the_reply(
    server: FakeLLMServer, provider: OpenAIProvider
) -> None:
    server.reply("Blue, mostly.", input_tokens=20, output_tokens=3)

    response = await provider.complete(ask(max_tokens=64, temperature=0.2), "gpt-4o-mini")

    assert response.text == "Blue, mostly."
    assert response.provider == "openai"
    assert response.model == "gpt-4o-mini"
    assert response.finish_reason == "stop"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (20, 3)
    sent = server.last
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.body["messages"] == [
        {"role": "system", "content": "You are terse.\n\nBe kind."},
        {"role": "user", "content": "Is the sky blue?"},
    ]
    assert sent.body["max_tokens"] == 64
    assert sent.body["temperature"] == 0.2
    assert "stream" not in sent.body or sent.body["stream"] is False


async def test_cached_prompt_tokens_are_counted_apart_from_fresh_input(
    server: FakeLLMServer, provider: OpenAIProvider
) -> None:
    server.reply("ok", input_tokens=10, cache_read_tokens=1024, output_tokens=2)

    response = await provider.complete(ask(), "gpt-4o-mini")

    assert response.usage.cache_read_tokens == 1024
    assert response.usage.input_tokens == 10


async def test_stream_yields_text_then_a_final_response_with_usage(
    server: FakeLLMServer, provider: OpenAIProvider
) -> None:
    server.reply("one two three", input_tokens=7, output_tokens=3, cache_read_tokens=4)

    chunks = [chunk async for chunk in provider.stream(ask(), "gpt-4o-mini")]

    deltas = [chunk.delta for chunk in chunks if chunk.response is None]
    assert deltas == ["one", " two", " three"]
    final = chunks[-1].response
    assert final is not None
    assert final.text == "one two three"
    assert final.finish_reason == "stop"
    assert final.usage.input_tokens == 7
    assert final.usage.output_tokens == 3
    assert final.usage.cache_read_tokens == 4
    assert server.last.body["stream"] is True
    assert server.last.body["stream_options"] == {"include_usage": True}


async def test_structured_request_carries_the_json_schema(
    server: FakeLLMServer, provider: OpenAIProvider
) -> None:
    schema = {"type": "object", "properties": {"verdict": {"type": "string"}}}
    server.reply(json.dumps({"verdict": "SUPPORTED"}))

    response = await provider.complete(
        ask(response_schema=schema, schema_name="Verdict"), "gpt-4o-mini"
    )

    assert json.loads(response.text) == {"verdict": "SUPPORTED"}
    assert server.last.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Verdict", "schema": schema, "strict": False},
    }


async def test_rate_limit_is_retryable_and_honours_retry_after(
    server: FakeLLMServer, provider: OpenAIProvider
) -> None:
    server.fail_next(status=429, retry_after=1)

    with pytest.raises(ProviderError) as caught:
        await provider.complete(ask(), "gpt-4o-mini")

    assert caught.value.retryable is True
    assert caught.value.retry_after == 1.0
    assert caught.value.status == 429


async def test_rate_limit_on_a_stream_is_retryable(
    server: FakeLLMServer, provider: OpenAIProvider
) -> None:
    server.fail_next(status=429, retry_after=1)

    with pytest.raises(ProviderError) as caught:
        _ = [chunk async for chunk in provider.stream(ask(), "gpt-4o-mini")]

    assert caught.value.retryable is True
    assert caught.value.retry_after == 1.0


@pytest.mark.parametrize(("status", "retryable"), [(429, True), (500, True), (400, False)])
async def test_an_error_event_inside_a_stream_is_mapped_by_its_code(
    server: FakeLLMServer, provider: OpenAIProvider, status: int, retryable: bool
) -> None:
    server.fail_next(status=status, mid_stream=True)

    with pytest.raises(ProviderError) as caught:
        _ = [chunk async for chunk in provider.stream(ask(), "gpt-4o-mini")]

    assert caught.value.retryable is retryable


async def test_server_error_is_retryable(server: FakeLLMServer, provider: OpenAIProvider) -> None:
    server.fail_next(status=500)

    with pytest.raises(ProviderError) as caught:
        await provider.complete(ask(), "gpt-4o-mini")

    assert caught.value.retryable is True
    assert caught.value.status == 500


async def test_rejected_key_is_final_and_never_echoed(
    server: FakeLLMServer, provider: OpenAIProvider
) -> None:
    server.fail_next(status=401)

    with pytest.raises(ProviderError) as caught:
        await provider.complete(ask(), "gpt-4o-mini")

    assert caught.value.retryable is False
    assert caught.value.status == 401
    assert "OPENAI_API_KEY" in caught.value.hint
    assert API_KEY not in str(caught.value)


async def test_unreachable_server_is_a_retryable_connection_error() -> None:
    with FakeLLMServer() as gone:
        url = gone.openai_base_url
    adapter = OpenAIProvider(base_url=url, timeout=5)
    try:
        with pytest.raises(ProviderError) as caught:
            await adapter.complete(ask(), "llama3")
    finally:
        await adapter.aclose()

    assert caught.value.retryable is True
    assert url in str(caught.value)


async def test_describe_shows_the_endpoint_and_never_the_key(
    server: FakeLLMServer, provider: OpenAIProvider
) -> None:
    described = provider.describe()

    assert server.openai_base_url in described
    assert "gpt-4o-mini" in described
    assert API_KEY not in described


async def test_base_url_alone_uses_a_placeholder_key(server: FakeLLMServer) -> None:
    adapter = OpenAIProvider(base_url=server.openai_base_url)
    try:
        await adapter.complete(ask(), "llama3.2")
    finally:
        await adapter.aclose()

    assert server.last.headers["authorization"] == "Bearer not-needed"


def test_missing_sdk_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openai_adapter, "openai", None)

    with pytest.raises(MissingDependencyError) as caught:
        OpenAIProvider(api_key=API_KEY)

    assert "pip install openai" in caught.value.hint


def test_neither_key_nor_base_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        OpenAIProvider()

    assert "OPENAI_API_KEY" in caught.value.hint
    assert "OPENAI_BASE_URL" in caught.value.hint


async def test_registered_factory_builds_from_settings(server: FakeLLMServer) -> None:
    registry = ProviderRegistry()
    register(registry)
    settings = Settings(openai_base_url=server.openai_base_url, openai_api_key=API_KEY)

    adapter = registry.create("openai", settings)

    assert isinstance(adapter, OpenAIProvider)
    try:
        assert (await adapter.complete(ask(), "gpt-4o-mini")).text
    finally:
        await adapter.aclose()


class ListLedger:
    """Collects call records; never has an answer to replay."""

    def __init__(self) -> None:
        self.records: list[CallRecord] = []

    async def record(self, record: CallRecord) -> None:
        self.records.append(record)

    async def lookup(self, session_id: str, call_key: str) -> CallRecord | None:
        return None


async def test_gateway_retries_a_rate_limited_call_after_retry_after(
    server: FakeLLMServer, provider: OpenAIProvider
) -> None:
    server.fail_next(status=429, retry_after=1)
    server.reply("second time lucky")
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    ledger = ListLedger()
    settings = Settings(provider="openai", model="gpt-4o-mini", openai_api_key=API_KEY)
    gateway = LLMGateway(Router(settings), lambda _name: provider, ledger=ledger, sleep=sleep)

    response = await gateway.complete(ask(), CallContext(role="ask"))

    assert response.text == "second time lucky"
    assert slept == [1.0]
    assert len(server.requests) == 2
    assert [(r.ok, r.attempts, r.provider) for r in ledger.records] == [(True, 2, "openai")]


async def test_gateway_stream_through_the_adapter(
    server: FakeLLMServer, provider: OpenAIProvider
) -> None:
    server.reply("streamed through")
    settings = Settings(provider="openai", model="gpt-4o-mini", openai_api_key=API_KEY)
    gateway = LLMGateway(Router(settings), lambda _name: provider)

    chunks: list[StreamChunk] = [c async for c in gateway.stream(ask(), CallContext())]

    assert "".join(c.delta for c in chunks) == "streamed through"
    assert chunks[-1].response is not None
    assert chunks[-1].response.usage.output_tokens == 5

"""The Anthropic adapter against a local server speaking the Messages wire format."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest

from consensusnet.domain.config import Settings
from consensusnet.domain.errors import ConfigError, MissingDependencyError, ProviderError
from consensusnet.domain.llm import LLMRequest, Message, SystemBlock
from consensusnet.llm import anthropic as anthropic_adapter
from consensusnet.llm.anthropic import AnthropicProvider, register
from consensusnet.llm.registry import ProviderRegistry
from consensusnet.testing.fake_llm_server import FakeLLMServer

API_KEY = "sk-ant-test-secret-456"
MODEL = AnthropicProvider.default_model
SCHEMA = {
    "type": "object",
    "properties": {"verdict": {"type": "string"}, "confidence": {"type": "number"}},
    "required": ["verdict", "confidence"],
}


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


@pytest.fixture
async def provider(server: FakeLLMServer) -> AsyncIterator[AnthropicProvider]:
    adapter = AnthropicProvider(api_key=API_KEY, base_url=server.url, timeout=10)
    yield adapter
    await adapter.aclose()


def sent_key(headers: dict[str, str]) -> str:
    """The key a request carried; SDK versions differ on the header they put it in."""
    return headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")


def ask(text: str = "Is the sky blue?", **fields: object) -> LLMRequest:
    return LLMRequest(
        system=[
            SystemBlock(text="You are a careful fact checker.", cache=True),
            SystemBlock(text="Today's claim follows."),
        ],
        messages=[Message(role="user", content=text)],
        **fields,  # type: ignore[arg-type]
    )


async def test_complete_maps_text_usage_and_sends_the_key_header(
    server: FakeLLMServer, provider: AnthropicProvider
) -> None:
    server.reply("Blue, mostly.", input_tokens=30, output_tokens=4)

    response = await provider.complete(ask(max_tokens=99), MODEL)

    assert response.text == "Blue, mostly."
    assert response.provider == "anthropic"
    assert response.model == MODEL
    assert response.finish_reason == "end_turn"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (30, 4)
    sent = server.last
    assert sent.path == "/v1/messages"
    assert sent_key(sent.headers) == API_KEY
    assert sent.body["max_tokens"] == 99
    assert sent.body["messages"] == [{"role": "user", "content": "Is the sky blue?"}]
    assert "tools" not in sent.body


async def test_cached_system_blocks_carry_cache_control_and_cache_tokens_are_reported(
    server: FakeLLMServer, provider: AnthropicProvider
) -> None:
    server.reply("ok", input_tokens=8, cache_read_tokens=2048, cache_write_tokens=512)

    response = await provider.complete(ask(), MODEL)

    assert server.last.body["system"] == [
        {
            "type": "text",
            "text": "You are a careful fact checker.",
            "cache_control": {"type": "ephemeral"},
        },
        {"type": "text", "text": "Today's claim follows."},
    ]
    assert response.usage.cache_read_tokens == 2048
    assert response.usage.cache_write_tokens == 512
    assert response.usage.input_tokens == 8


async def test_stream_yields_text_then_a_final_response_with_usage(
    server: FakeLLMServer, provider: AnthropicProvider
) -> None:
    server.reply("one two three", input_tokens=9, output_tokens=3, cache_read_tokens=100)

    chunks = [chunk async for chunk in provider.stream(ask(), MODEL)]

    assert [c.delta for c in chunks if c.response is None] == ["one", " two", " three"]
    final = chunks[-1].response
    assert final is not None
    assert final.text == "one two three"
    assert final.finish_reason == "end_turn"
    assert final.usage.input_tokens == 9
    assert final.usage.output_tokens == 3
    assert final.usage.cache_read_tokens == 100
    assert server.last.body["stream"] is True


async def test_structured_output_forces_one_tool_and_returns_its_input_as_json(
    server: FakeLLMServer, provider: AnthropicProvider
) -> None:
    answer = {"verdict": "SUPPORTED", "confidence": 0.9}
    server.reply(json.dumps(answer))

    response = await provider.complete(ask(response_schema=SCHEMA, schema_name="Verdict"), MODEL)

    assert json.loads(response.text) == answer
    assert response.finish_reason == "tool_use"
    body = server.last.body
    assert [tool["name"] for tool in body["tools"]] == ["Verdict"]
    assert body["tools"][0]["input_schema"] == SCHEMA
    assert body["tool_choice"] == {"type": "tool", "name": "Verdict"}


async def test_streamed_structured_output_gives_the_same_json(
    server: FakeLLMServer, provider: AnthropicProvider
) -> None:
    answer = {"verdict": "REFUTED", "confidence": 0.25}
    server.reply(json.dumps(answer))

    chunks = [c async for c in provider.stream(ask(response_schema=SCHEMA), MODEL)]

    final = chunks[-1].response
    assert final is not None
    assert json.loads(final.text) == answer
    assert final.text == json.dumps(answer)


async def test_rate_limit_is_retryable_and_honours_retry_after(
    server: FakeLLMServer, provider: AnthropicProvider
) -> None:
    server.fail_next(status=429, retry_after=1)

    with pytest.raises(ProviderError) as caught:
        await provider.complete(ask(), MODEL)

    assert caught.value.retryable is True
    assert caught.value.retry_after == 1.0
    assert caught.value.status == 429


@pytest.mark.parametrize("status", [500, 529])
async def test_overload_and_server_errors_are_retryable(
    server: FakeLLMServer, provider: AnthropicProvider, status: int
) -> None:
    server.fail_next(status=status)

    with pytest.raises(ProviderError) as caught:
        _ = [c async for c in provider.stream(ask(), MODEL)]

    assert caught.value.retryable is True
    assert caught.value.status == status


@pytest.mark.parametrize(("status", "retryable"), [(529, True), (429, True), (401, False)])
async def test_an_error_event_inside_a_stream_is_mapped_by_its_type(
    server: FakeLLMServer, provider: AnthropicProvider, status: int, retryable: bool
) -> None:
    server.fail_next(status=status, mid_stream=True)

    with pytest.raises(ProviderError) as caught:
        _ = [c async for c in provider.stream(ask(), MODEL)]

    assert caught.value.retryable is retryable
    if retryable:
        assert caught.value.status == status


async def test_rejected_key_is_final_and_never_echoed(
    server: FakeLLMServer, provider: AnthropicProvider
) -> None:
    server.fail_next(status=401)

    with pytest.raises(ProviderError) as caught:
        await provider.complete(ask(), MODEL)

    assert caught.value.retryable is False
    assert caught.value.status == 401
    assert "ANTHROPIC_API_KEY" in caught.value.hint
    assert API_KEY not in str(caught.value)


async def test_describe_shows_the_endpoint_and_never_the_key(
    server: FakeLLMServer, provider: AnthropicProvider
) -> None:
    described = provider.describe()

    assert server.url in described
    assert MODEL in described
    assert API_KEY not in described


def test_missing_sdk_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(anthropic_adapter, "anthropic", None)

    with pytest.raises(MissingDependencyError) as caught:
        AnthropicProvider(api_key=API_KEY)

    assert "pip install anthropic" in caught.value.hint


def test_no_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        AnthropicProvider()

    assert "ANTHROPIC_API_KEY" in caught.value.hint


async def test_registered_factory_builds_from_settings(server: FakeLLMServer) -> None:
    registry = ProviderRegistry()
    register(registry)
    settings = Settings(anthropic_base_url=server.url, anthropic_api_key=API_KEY)

    adapter = registry.create("anthropic", settings)

    assert isinstance(adapter, AnthropicProvider)
    try:
        assert (await adapter.complete(ask(), MODEL)).text
    finally:
        await adapter.aclose()
    assert sent_key(server.last.headers) == API_KEY

"""Anthropic adapter: the official SDK, with prompt caching on stable system blocks.

Structured output is a single forced tool whose input schema is the requested schema; the
tool's input, serialised, is the response text. Retries, timeouts and concurrency live in the
gateway, so the SDK's own retries are switched off.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from consensusnet.domain.config import Settings
from consensusnet.domain.errors import ConfigError, MissingDependencyError, ProviderError
from consensusnet.domain.llm import LLMRequest, LLMResponse, StreamChunk, Usage
from consensusnet.llm.http_errors import (
    safe_name,
    scrub,
    server_message,
    status_error,
)
from consensusnet.llm.registry import ProviderRegistry

try:
    import anthropic
except ImportError:  # pragma: no cover - only without the optional SDK
    anthropic = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from anthropic.types import Message, RawMessageStreamEvent

ANTHROPIC_URL = "https://api.anthropic.com"
# A proxy or gateway in front of Anthropic may hold the key itself; the SDK still wants one.
PLACEHOLDER_KEY = "not-needed"
# An error event inside a stream arrives on a 200 response; its type says what really happened.
_STREAM_ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}


class _RawUsage(Protocol):
    """The usage fields shared by a whole message and a streamed message delta."""

    @property
    def input_tokens(self) -> int | None: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def cache_read_input_tokens(self) -> int | None: ...
    @property
    def cache_creation_input_tokens(self) -> int | None: ...


@dataclass
class _Draft:
    """What a call has produced so far; both paths fill one and map it with `_to_response`."""

    model: str
    text: list[str] = field(default_factory=list)
    tool_json: list[str] = field(default_factory=list)
    tool_input: object | None = None
    usage: Usage = field(default_factory=Usage)
    stop_reason: str | None = None


class AnthropicProvider:
    """Speaks Anthropic's Messages API."""

    name = "anthropic"
    # Not claude-sonnet-4-5: the SDK marks it deprecated and warns on every call.
    default_model = "claude-sonnet-4-6"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 120.0,
        default_model: str | None = None,
    ) -> None:
        if not api_key and not base_url:
            raise ConfigError(
                "The anthropic provider needs an API key.",
                hint="Set ANTHROPIC_API_KEY (or ANTHROPIC_BASE_URL for a proxy that holds it).",
            )
        if anthropic is None:
            raise MissingDependencyError(
                "The anthropic provider needs the `anthropic` package.",
                hint="Install it: pip install anthropic (or uv add anthropic).",
            )
        # Explicit key and URL: the SDK then reads no environment variables or profiles itself.
        self.base_url = (base_url or ANTHROPIC_URL).rstrip("/")
        if default_model:
            self.default_model = default_model
        self._secret = api_key or ""
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key or PLACEHOLDER_KEY,
            base_url=self.base_url,
            max_retries=0,
            timeout=timeout,
        )

    def describe(self) -> str:
        """The endpoint and default model; never the key."""
        return f"{self.base_url} (default model {self.default_model})"

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.close()

    async def complete(self, request: LLMRequest, model: str) -> LLMResponse:
        """One message, whole."""
        started = time.perf_counter()
        try:
            message = await self._client.messages.create(**self._params(request, model))
        except anthropic.APIError as error:
            raise self._error(error, model) from None
        return _to_response(_draft_from_message(message), started)

    async def stream(self, request: LLMRequest, model: str) -> AsyncIterator[StreamChunk]:
        """One message as raw stream events; the last chunk carries the totals."""
        started = time.perf_counter()
        draft = _Draft(model=model)
        try:
            events = await self._client.messages.create(**self._params(request, model), stream=True)
            async with events:
                async for event in events:
                    delta = _apply_event(draft, event)
                    if delta:
                        yield StreamChunk(delta=delta)
        except anthropic.APIError as error:
            raise self._error(error, model) from None
        yield StreamChunk(response=_to_response(draft, started))

    def _params(self, request: LLMRequest, model: str) -> dict[str, Any]:
        # The installed SDK (anthropic 2.x) has no temperature parameter on messages.create,
        # so request.temperature is not sent.
        params: dict[str, Any] = {
            "model": model,
            "max_tokens": request.max_tokens,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        }
        if request.system:
            params["system"] = [_system_block(block.text, block.cache) for block in request.system]
        if request.response_schema is not None:
            name = safe_name(request.schema_name)
            params["tools"] = [
                {
                    "name": name,
                    "description": "Give your answer as this tool's input, matching its schema.",
                    "input_schema": request.response_schema,
                }
            ]
            params["tool_choice"] = {"type": "tool", "name": name}
        return params

    def _error(self, error: anthropic.APIError, model: str) -> ProviderError:
        if isinstance(error, anthropic.APITimeoutError):
            return ProviderError(
                f"{self.base_url} did not answer in time.",
                hint="Raise CONSENSUSNET_LLM_TIMEOUT or use a faster model.",
                retryable=True,
            )
        if isinstance(error, anthropic.APIConnectionError):
            return ProviderError(
                f"Could not connect to {self.base_url}.",
                hint="Check your network and ANTHROPIC_BASE_URL.",
                retryable=True,
            )
        detail = scrub(server_message(error.body) or error.message, self._secret)
        if isinstance(error, anthropic.APIStatusError):
            status = error.status_code
            if status < 400:
                status = _STREAM_ERROR_STATUS.get(_error_type(error.body), 500)
            return status_error(
                status, error.response.headers, detail, self.base_url, model, _STATUS_ADVICE
            )
        return ProviderError(f"{self.base_url} sent an error: {detail}", retryable=False)


def _system_block(text: str, cache: bool) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "text", "text": text}
    if cache:
        # Caches the prompt prefix up to and including this block for a few minutes.
        block["cache_control"] = {"type": "ephemeral"}
    return block


def _draft_from_message(message: Message) -> _Draft:
    draft = _Draft(model=message.model, stop_reason=message.stop_reason)
    for block in message.content:
        if block.type == "text":
            draft.text.append(block.text)
        elif block.type == "tool_use":
            draft.tool_input = block.input
    draft.usage = _usage(message.usage, draft.usage)
    return draft


def _apply_event(draft: _Draft, event: RawMessageStreamEvent) -> str:
    """Fold one stream event into the draft; return the text it adds, if any."""
    if event.type == "message_start":
        draft.model = event.message.model or draft.model
        draft.usage = _usage(event.message.usage, draft.usage)
    elif event.type == "content_block_delta":
        if event.delta.type == "text_delta":
            draft.text.append(event.delta.text)
            return event.delta.text
        if event.delta.type == "input_json_delta":
            draft.tool_json.append(event.delta.partial_json)
            return event.delta.partial_json
    elif event.type == "message_delta":
        draft.stop_reason = event.delta.stop_reason or draft.stop_reason
        draft.usage = _usage(event.usage, draft.usage)
    return ""


def _to_response(draft: _Draft, started: float) -> LLMResponse:
    """The one mapping from a finished draft to an LLMResponse, streamed or not."""
    tool_text = _tool_text(draft)
    return LLMResponse(
        text="".join(draft.text) if tool_text is None else tool_text,
        usage=draft.usage,
        model=draft.model,
        provider=AnthropicProvider.name,
        finish_reason=draft.stop_reason,
        latency_s=time.perf_counter() - started,
    )


def _tool_text(draft: _Draft) -> str | None:
    """The forced tool's input as JSON text, or None when the model answered in prose."""
    if draft.tool_json:
        raw = "".join(draft.tool_json)
        try:
            return json.dumps(json.loads(raw or "{}"))
        except json.JSONDecodeError:
            # Cut short (max_tokens): pass it on so the gateway's repair attempt can see it.
            return raw
    return None if draft.tool_input is None else json.dumps(draft.tool_input)


def _usage(raw: _RawUsage, base: Usage) -> Usage:
    """Usage from a message or a stream delta; fields the delta leaves out keep their value."""

    def pick(value: int | None, current: int) -> int:
        return current if value is None else value

    return Usage(
        input_tokens=pick(raw.input_tokens, base.input_tokens),
        output_tokens=pick(raw.output_tokens, base.output_tokens),
        cache_read_tokens=pick(raw.cache_read_input_tokens, base.cache_read_tokens),
        cache_write_tokens=pick(raw.cache_creation_input_tokens, base.cache_write_tokens),
    )


_STATUS_ADVICE: dict[int, tuple[str, str]] = {
    400: ("rejected the request", "The request or model options are not supported."),
    401: ("rejected the API key", "Check ANTHROPIC_API_KEY."),
    403: ("refused access", "The key may lack access to this model."),
    404: ("does not know the model or endpoint", "Check the model name and ANTHROPIC_BASE_URL."),
}


def _error_type(body: object) -> str:
    inner = body.get("error", body) if isinstance(body, Mapping) else None
    return str(inner.get("type", "")) if isinstance(inner, Mapping) else ""


def register(registry: ProviderRegistry) -> None:
    """Entry point: make `anthropic` available, configured by ANTHROPIC_API_KEY/BASE_URL."""

    def build(settings: Settings) -> AnthropicProvider:
        key = settings.anthropic_api_key.get_secret_value() if settings.anthropic_api_key else None
        return AnthropicProvider(
            api_key=key, base_url=settings.anthropic_base_url, timeout=settings.llm_timeout
        )

    registry.add("anthropic", build)

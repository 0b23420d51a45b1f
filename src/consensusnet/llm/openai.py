"""OpenAI adapter: the official SDK against OpenAI or any compatible server.

One base URL serves them all: OpenAI, Ollama, vLLM, LM Studio, OpenRouter. Retries, timeouts
and concurrency live in the gateway, so the SDK's own retries are switched off.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

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
    import openai
except ImportError:  # pragma: no cover - only without the optional SDK
    openai = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from openai.types.completion_usage import CompletionUsage

OPENAI_URL = "https://api.openai.com/v1"
# Compatible servers such as Ollama ignore the key, but the SDK refuses to start without one.
PLACEHOLDER_KEY = "not-needed"


class OpenAIProvider:
    """Speaks the chat-completions wire format of OpenAI and every compatible server."""

    name = "openai"
    default_model = "gpt-4o-mini"

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
                "The openai provider needs an API key or a base URL.",
                hint="Set OPENAI_API_KEY for OpenAI, or OPENAI_BASE_URL for a compatible server "
                "(for example http://localhost:11434/v1 for Ollama).",
            )
        if openai is None:
            raise MissingDependencyError(
                "The openai provider needs the `openai` package.",
                hint="Install it: pip install openai (or uv add openai).",
            )
        # Always pass the URL so the SDK never falls back to reading the environment itself.
        self.base_url = (base_url or OPENAI_URL).rstrip("/")
        if default_model:
            self.default_model = default_model
        self._secret = api_key or ""
        self._client = openai.AsyncOpenAI(
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
        """One chat completion, whole."""
        started = time.perf_counter()
        try:
            completion = await self._client.chat.completions.create(
                **self._params(request, model), stream=False
            )
        except openai.APIError as error:
            raise self._error(error, model) from None
        choice = completion.choices[0] if completion.choices else None
        message = choice.message if choice else None
        return _to_response(
            text=(message.content or message.refusal or "") if message else "",
            usage=completion.usage,
            finish_reason=choice.finish_reason if choice else None,
            model=completion.model or model,
            started=started,
        )

    async def stream(self, request: LLMRequest, model: str) -> AsyncIterator[StreamChunk]:
        """One chat completion as server-sent events; the last chunk carries the totals."""
        started = time.perf_counter()
        parts: list[str] = []
        usage: CompletionUsage | None = None
        finish_reason: str | None = None
        reported_model = model
        try:
            events = await self._client.chat.completions.create(
                **self._params(request, model),
                stream=True,
                stream_options={"include_usage": True},
            )
            async with events:
                async for chunk in events:
                    reported_model = chunk.model or reported_model
                    usage = chunk.usage or usage
                    for choice in chunk.choices[:1]:
                        finish_reason = choice.finish_reason or finish_reason
                        if choice.delta.content:
                            parts.append(choice.delta.content)
                            yield StreamChunk(delta=choice.delta.content)
        except openai.APIError as error:
            raise self._error(error, model) from None
        response = _to_response(
            text="".join(parts),
            usage=usage,
            finish_reason=finish_reason,
            model=reported_model,
            started=started,
        )
        yield StreamChunk(response=response)

    def _params(self, request: LLMRequest, model: str) -> dict[str, Any]:
        messages: list[dict[str, str]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system_text()})
        messages.extend({"role": m.role, "content": m.content} for m in request.messages)
        params: dict[str, Any] = {
            "model": model,
            "messages": messages,
            "temperature": request.temperature,
            self._max_tokens_field(): request.max_tokens,
        }
        if request.response_schema is not None:
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": safe_name(request.schema_name),
                    "schema": request.response_schema,
                    # Strict mode rejects ordinary pydantic schemas (optional fields, defaults);
                    # the gateway validates and repairs instead.
                    "strict": False,
                },
            }
        return params

    def _max_tokens_field(self) -> str:
        # OpenAI's reasoning models accept only max_completion_tokens; compatible servers
        # (Ollama, vLLM, LM Studio) have long understood max_tokens and not always the new name.
        host = urlparse(self.base_url).hostname or ""
        return "max_completion_tokens" if host == "api.openai.com" else "max_tokens"

    def _error(self, error: openai.APIError, model: str) -> ProviderError:
        if isinstance(error, openai.APITimeoutError):
            return ProviderError(
                f"{self.base_url} did not answer in time.",
                hint="Raise CONSENSUSNET_LLM_TIMEOUT or use a faster model.",
                retryable=True,
            )
        if isinstance(error, openai.APIConnectionError):
            return ProviderError(
                f"Could not connect to {self.base_url}.",
                hint="Check that the server is running and OPENAI_BASE_URL is right.",
                retryable=True,
            )
        detail = scrub(server_message(error.body) or error.message, self._secret)
        if isinstance(error, openai.APIStatusError):
            return status_error(
                error.status_code,
                error.response.headers,
                detail,
                self.base_url,
                model,
                _STATUS_ADVICE,
            )
        # An error event inside a stream arrives on a 200 response; its code says what happened.
        status = _stream_error_status(error.body)
        if status is not None:
            return status_error(status, {}, detail, self.base_url, model, _STATUS_ADVICE)
        return ProviderError(f"{self.base_url} sent an error: {detail}", retryable=False)


def _to_response(
    *,
    text: str,
    usage: CompletionUsage | None,
    finish_reason: str | None,
    model: str,
    started: float,
) -> LLMResponse:
    """The one mapping from what the SDK returned to an LLMResponse, streamed or not."""
    return LLMResponse(
        text=text,
        usage=_usage(usage),
        model=model,
        provider=OpenAIProvider.name,
        finish_reason=finish_reason,
        latency_s=time.perf_counter() - started,
    )


def _usage(usage: CompletionUsage | None) -> Usage:
    if usage is None:
        return Usage()
    details = usage.prompt_tokens_details
    cache_read = (details.cached_tokens or 0) if details else 0
    cache_write = (details.cache_write_tokens or 0) if details else 0
    # OpenAI counts cached tokens inside prompt_tokens; Usage keeps them apart so that the
    # price table charges each kind once.
    return Usage(
        input_tokens=max(0, usage.prompt_tokens - cache_read - cache_write),
        output_tokens=usage.completion_tokens,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
    )


_STATUS_ADVICE: dict[int, tuple[str, str]] = {
    400: ("rejected the request", "The request or model options are not supported there."),
    401: ("rejected the API key", "Check OPENAI_API_KEY (and OPENAI_BASE_URL for other servers)."),
    403: ("refused access", "The key may lack access to this model or endpoint."),
    404: ("does not know the model or endpoint", "Check the model name and OPENAI_BASE_URL."),
}


def _stream_error_status(body: object) -> int | None:
    """The HTTP status an in-stream error stands for, when its body says."""
    if not isinstance(body, Mapping):
        return None
    code, kind = body.get("code"), body.get("type")
    if isinstance(code, int) and 400 <= code < 600:
        return code  # OpenRouter and others put the upstream status here
    if "rate_limit_exceeded" in (code, kind):
        return 429
    if "server_error" in (code, kind):
        return 500
    return None


def register(registry: ProviderRegistry) -> None:
    """Entry point: make `openai` available, configured by OPENAI_API_KEY and OPENAI_BASE_URL."""

    def build(settings: Settings) -> OpenAIProvider:
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        return OpenAIProvider(
            api_key=key, base_url=settings.openai_base_url, timeout=settings.llm_timeout
        )

    registry.add("openai", build)

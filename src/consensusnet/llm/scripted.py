"""Deterministic provider for tests, demos without a model, and benchmarks.

It replays queued replies in order; with none queued it answers any request with deterministic
content (schema-valid JSON for structured requests). Latency is `ttft + tokens / tps`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

from consensusnet.domain.config import Settings
from consensusnet.domain.errors import ProviderError
from consensusnet.domain.llm import LLMRequest, LLMResponse, StreamChunk, Usage
from consensusnet.llm.registry import ProviderRegistry
from consensusnet.llm.schema_fill import fill_schema

Reply = str | dict[str, Any] | list[Any] | Exception | Callable[[LLMRequest], Any]


def count_tokens(text: str) -> int:
    """A rough token count (words and punctuation runs) for providers that do not report one."""
    return max(1, len(text.split())) if text else 0


def request_digest(request: LLMRequest) -> str:
    """A stable hash of a request, used to seed deterministic answers."""
    return hashlib.sha256(request.model_dump_json().encode()).hexdigest()


class ScriptedProvider:
    """Replays queued replies, else answers deterministically; records every request it sees."""

    name = "scripted"
    default_model = "scripted-1"

    def __init__(self, *, ttft: float = 0.0, tps: float = 0.0, replies: list[Reply] | None = None):
        self.ttft = ttft
        self.tps = tps
        self._replies: deque[Reply] = deque(replies or [])
        self.calls: list[LLMRequest] = []

    def queue(self, *replies: Reply) -> None:
        """Queue replies; each call takes the next one (an Exception is raised instead)."""
        self._replies.extend(replies)

    def describe(self) -> str:
        return f"scripted (ttft={self.ttft}s, tps={self.tps or 'instant'})"

    def _answer(self, request: LLMRequest) -> str:
        reply: Reply | None = self._replies.popleft() if self._replies else None
        if callable(reply) and not isinstance(reply, Exception):
            reply = reply(request)
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, dict | list):
            return json.dumps(reply)
        if isinstance(reply, str):
            return reply
        digest = request_digest(request)
        if request.response_schema is not None:
            return json.dumps(fill_schema(request.response_schema, digest))
        prompt = request.messages[-1].content if request.messages else ""
        return f"Scripted answer {digest[:8]} to: {prompt[:80]}"

    def _usage(self, request: LLMRequest, text: str) -> Usage:
        prompt = request.system_text() + " ".join(m.content for m in request.messages)
        return Usage(input_tokens=count_tokens(prompt), output_tokens=count_tokens(text))

    async def complete(self, request: LLMRequest, model: str) -> LLMResponse:
        final: LLMResponse | None = None
        async for chunk in self.stream(request, model):
            final = chunk.response or final
        if final is None:  # pragma: no cover - stream always ends with a response
            raise ProviderError("scripted provider produced no response")
        return final

    async def stream(self, request: LLMRequest, model: str) -> AsyncIterator[StreamChunk]:
        self.calls.append(request)
        started = time.perf_counter()
        text = self._answer(request)
        if self.ttft:
            await asyncio.sleep(self.ttft)
        pieces = text.split(" ")
        per_token = 1.0 / self.tps if self.tps else 0.0
        for index, piece in enumerate(pieces):
            if per_token:
                await asyncio.sleep(per_token)
            yield StreamChunk(delta=piece if index == 0 else " " + piece)
        usage = self._usage(request, text)
        yield StreamChunk(
            response=LLMResponse(
                text=text,
                usage=usage,
                model=model,
                provider=self.name,
                finish_reason="stop",
                latency_s=time.perf_counter() - started,
            )
        )


class FunctionProvider(ScriptedProvider):
    """A provider whose every answer comes from a function of the request (for tests)."""

    name = "function"
    default_model = "function-1"

    def __init__(self, answer: Callable[[LLMRequest], Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._function = answer

    def _answer(self, request: LLMRequest) -> str:
        self._replies.append(self._function)
        return super()._answer(request)


def register(registry: ProviderRegistry) -> None:
    """Entry point: make `scripted` available, configured by CONSENSUSNET_SCRIPTED_*."""

    def build(settings: Settings) -> ScriptedProvider:
        return ScriptedProvider(ttft=settings.scripted_ttft, tps=settings.scripted_tps)

    registry.add("scripted", build)

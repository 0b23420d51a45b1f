"""The port every LLM adapter implements."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from consensusnet.domain.llm import LLMRequest, LLMResponse, StreamChunk


@runtime_checkable
class LLMProvider(Protocol):
    """A provider turns a request into a response, whole or streamed.

    Adapters do one thing: speak their provider's wire format. Retries, timeouts, concurrency
    limits, schema validation and the ledger live in the gateway, once.
    """

    name: str
    default_model: str
    # An adapter may also set `max_concurrency: int` when it can serve only so many calls.

    async def complete(self, request: LLMRequest, model: str) -> LLMResponse:
        """Make one call and return the whole answer."""
        ...

    def stream(self, request: LLMRequest, model: str) -> AsyncIterator[StreamChunk]:
        """Make one call and yield text as it arrives; the last chunk carries the response."""
        ...

    def describe(self) -> str:
        """Where this provider points (base URL or model file), with no secrets."""
        ...

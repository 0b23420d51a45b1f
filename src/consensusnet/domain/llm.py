"""The vocabulary of an LLM call, shared by the adapters, the gateway and the event log."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class SystemBlock(BaseModel):
    """A piece of the system prompt; `cache` marks stable content a provider may cache."""

    text: str
    cache: bool = False


class Message(BaseModel):
    """One conversational turn."""

    role: Literal["user", "assistant"]
    content: str


class LLMRequest(BaseModel):
    """What an adapter needs to make one call; `response_schema` asks for JSON of that shape."""

    system: list[SystemBlock] = Field(default_factory=list)
    messages: list[Message]
    max_tokens: int = 512
    temperature: float = 0.7
    response_schema: dict[str, Any] | None = None
    schema_name: str = "response"

    def system_text(self) -> str:
        """The system blocks joined, for providers with a single system string."""
        return "\n\n".join(block.text for block in self.system)


class Usage(BaseModel):
    """Tokens a call consumed, as the provider reported them."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
        )


class LLMResponse(BaseModel):
    """An adapter's answer: the text (JSON text for structured calls) and what it cost."""

    text: str
    usage: Usage = Field(default_factory=Usage)
    model: str
    provider: str
    finish_reason: str | None = None
    latency_s: float = 0.0


class StreamChunk(BaseModel):
    """One piece of a streamed answer; the last chunk carries `response` with the totals."""

    delta: str = ""
    response: LLMResponse | None = None


class Target(BaseModel):
    """A provider and one of its models."""

    provider: str
    model: str

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}"

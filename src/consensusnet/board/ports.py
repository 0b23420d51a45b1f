"""What the board workflow needs from the composition root, and the options it accepts."""

from __future__ import annotations

from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, Field, field_validator

from consensusnet.board.stopping import StopRules
from consensusnet.domain.config import Settings
from consensusnet.domain.llm import LLMRequest, Usage
from consensusnet.embed.port import Embedder
from consensusnet.engine.sessions import SessionLog
from consensusnet.llm.gateway import CallContext, LLMGateway

T = TypeVar("T", bound=BaseModel)


class OwnerPersonas(Protocol):
    """Where users' own personas are kept (raw, validated when a board loads them)."""

    async def list_for(self, owner: str) -> list[dict[str, Any]]: ...


class BoardServices(Protocol):
    """The services a board run uses (compose.Services satisfies it)."""

    settings: Settings
    log: SessionLog
    gateway: LLMGateway
    embedder: Embedder

    @property
    def personas(self) -> OwnerPersonas | None: ...


class BoardInput(BaseModel):
    """What the person brings: the decision, context and constraints."""

    question: str = Field(min_length=3, max_length=2000)
    context: str = Field(default="", max_length=20_000)
    constraints: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("question")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class BoardOptions(BaseModel):
    """How the board deliberates."""

    experts: int = Field(default=3, ge=2, le=5)
    personas: list[str] = Field(default_factory=list, max_length=5)
    max_rounds: int = Field(default=3, ge=1, le=10)
    max_subproblems: int = Field(default=4, ge=1, le=4)
    budget_usd: float | None = Field(default=None, gt=0)
    budget_tokens: int | None = Field(default=None, gt=0)
    clarify: Literal["ask", "assume"] = "assume"
    clarify_timeout_s: float = Field(default=600.0, ge=0)
    rules: StopRules = Field(default_factory=StopRules)


class Asker:
    """Structured calls for one session, each keyed by its step name so none is paid twice."""

    def __init__(self, gateway: LLMGateway, session_id: str) -> None:
        self.gateway = gateway
        self.session_id = session_id

    async def __call__(
        self,
        key: str,
        role: str,
        request: LLMRequest,
        output: type[T],
        *,
        persona: str | None = None,
        model: str | None = None,
    ) -> tuple[T, Usage]:
        """The validated answer and the usage of the call that produced it."""
        context = CallContext(
            role=role,
            session_id=self.session_id,
            call_key=key,
            persona=persona,
            model_override=model,
        )
        result = await self.gateway.structured(request, output, context)
        return result.value, result.response.usage

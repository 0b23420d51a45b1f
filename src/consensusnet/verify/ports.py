"""What the verify workflow needs from the outside, as ports the composition root fills."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from pydantic import BaseModel, Field

from consensusnet.embed.port import Embedder
from consensusnet.engine.sessions import SessionLog
from consensusnet.evidence.ports import EvidenceSource, KnowledgeBase
from consensusnet.llm.gateway import LLMGateway


class LearningStore(Protocol):
    """Where agent reliabilities, source credibilities and calibration data persist."""

    async def reliability_counts(self) -> dict[str, list[list[float]]]: ...

    async def credibility_counts(self) -> dict[str, tuple[float, float]]: ...

    async def calibration_points(self) -> list[tuple[float, bool]]: ...

    async def record_feedback(
        self,
        *,
        session_id: str,
        claim_id: str,
        label: str,
        verdict: str | None,
        raw_confidence: float | None,
        agent_labels: Mapping[str, str],
        source_outcomes: Mapping[str, bool],
    ) -> None: ...


class VerifyStore(KnowledgeBase, LearningStore, Protocol):
    """The knowledge base and the learning store (one adapter implements both)."""


class SourceFactory(Protocol):
    """Builds an online evidence source by name."""

    def build(self, name: str) -> EvidenceSource: ...


class VerifyServices(Protocol):
    """The services the verify workflow runs on (the composition root's Services)."""

    @property
    def log(self) -> SessionLog: ...

    @property
    def gateway(self) -> LLMGateway: ...

    @property
    def embedder(self) -> Embedder: ...

    @property
    def knowledge(self) -> VerifyStore | None: ...

    @property
    def sources(self) -> SourceFactory | None: ...


SOURCE_NAMES = ("local", "wikipedia", "arxiv", "pubmed", "web")


class VerifyOptions(BaseModel):
    """How a verification runs (the session's options)."""

    sources: list[str] = Field(default_factory=lambda: ["local"])
    panel: int = Field(default=3, ge=3, le=9)
    models: list[str] = Field(default_factory=list)  # per member, cycled; empty: the default
    evidence_k: int = Field(default=4, ge=1, le=10)
    per_query: int = Field(default=3, ge=1, le=10)
    max_claims: int = Field(default=6, ge=1, le=20)
    parallel_claims: int = Field(default=3, ge=1, le=20)  # claims verified at the same time
    write_queries: bool = True
    critic: bool = True
    max_tokens: int = Field(default=220, ge=64, le=2048)
    temperature: float = Field(default=0.2, ge=0.0, le=2.0)

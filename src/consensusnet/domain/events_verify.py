"""The verify workflow's vocabulary and events: every pipeline step is an event.

Claims are extracted, queries written, evidence retrieved and ranked, each panel member judges,
the critic challenges, members revise (or not, and say why), each claim gets a verdict, the text
gets an overall verdict, and later feedback records the truth.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Label = Literal["SUPPORTED", "REFUTED", "NOT_ENOUGH_INFO"]
OverallLabel = Literal["SUPPORTED", "REFUTED", "NOT_ENOUGH_INFO", "MIXED"]
LABELS: tuple[Label, ...] = ("NOT_ENOUGH_INFO", "REFUTED", "SUPPORTED")  # ties go to NEI first


class SourceDocument(BaseModel):
    """A passage a source returned for a query: where it came from and its text."""

    source: str  # local, wikipedia, arxiv, pubmed, web
    title: str
    url: str = ""
    text: str
    document_id: str | None = None
    score: float = 0.0  # the source's own relevance score, when it has one


class KnowledgeDocument(BaseModel):
    """A document in the local knowledge base."""

    id: str
    title: str
    path: str = ""
    media_type: str = "text/plain"
    sha256: str
    chunks: int = 0
    characters: int = 0
    created_at: datetime | None = None


class KnowledgeChunk(BaseModel):
    """A passage of a knowledge-base document, with its embedding."""

    id: str
    document_id: str
    title: str
    path: str = ""
    ordinal: int
    text: str
    embedding: list[float] = Field(default_factory=list)


class Claim(BaseModel):
    """One atomic, self-contained, check-worthy claim."""

    id: str
    text: str


class Evidence(BaseModel):
    """One evidence sentence, verbatim from its source, with its ranking scores."""

    id: str  # E1, E2, ... unique within a claim
    source: str
    title: str
    url: str = ""
    document_id: str | None = None
    sentence: str
    relevance: float = 0.0
    credibility: float = 0.5
    score: float = 0.0


class Citation(BaseModel):
    """A quote shown to users: always the cited evidence sentence, copied by the system."""

    evidence_id: str
    source: str
    title: str
    url: str = ""
    quote: str


class Judgement(BaseModel):
    """One panel member's judgement of one claim."""

    agent: str
    strategy: str
    model: str = ""
    provider: str = ""  # with `model`, what the member's reliability is learned for
    label: Label
    confidence: float
    rationale: str = ""
    cited: list[str] = Field(default_factory=list)
    rejected_citations: list[str] = Field(default_factory=list)


class _VerifyEvent(BaseModel):
    v: int = 1


class ClaimsExtracted(_VerifyEvent):
    """The text became claims; `method` says how (passthrough for a single claim)."""

    type: Literal["verify.claims_extracted"] = "verify.claims_extracted"
    claims: list[Claim]
    method: Literal["passthrough", "model", "sentences"] = "model"


class QueriesWritten(_VerifyEvent):
    """The search queries for one claim."""

    type: Literal["verify.queries_written"] = "verify.queries_written"
    claim_id: str
    queries: list[str]


class EvidenceRetrieved(_VerifyEvent):
    """What one source returned for one claim (or why it returned nothing)."""

    type: Literal["verify.evidence_retrieved"] = "verify.evidence_retrieved"
    claim_id: str
    source: str
    documents: int
    titles: list[str] = Field(default_factory=list)
    error: str | None = None


class EvidenceRanked(_VerifyEvent):
    """The top evidence sentences for one claim, by relevance x credibility, diverse by source."""

    type: Literal["verify.evidence_ranked"] = "verify.evidence_ranked"
    claim_id: str
    evidence: list[Evidence]
    candidates: int = 0


class PanelJudged(_VerifyEvent):
    """One panel member's first judgement of a claim."""

    type: Literal["verify.panel_judged"] = "verify.panel_judged"
    claim_id: str
    judgement: Judgement


class PanelMemberFailed(_VerifyEvent):
    """A member gave no usable judgement; it is left out of the vote."""

    type: Literal["verify.panel_member_failed"] = "verify.panel_member_failed"
    claim_id: str
    agent: str
    stage: Literal["judge", "revise"] = "judge"
    error: str


class CriticChallenged(_VerifyEvent):
    """The adversarial critic attacked the leading label."""

    type: Literal["verify.critic_challenged"] = "verify.critic_challenged"
    claim_id: str
    target_label: Label
    challenge: str
    weaknesses: list[str] = Field(default_factory=list)
    suggested_label: Label | None = None


class JudgementRevised(_VerifyEvent):
    """A member's answer to the critic: kept or changed its label, and why."""

    type: Literal["verify.judgement_revised"] = "verify.judgement_revised"
    claim_id: str
    agent: str
    before: Label
    after: Label
    before_confidence: float
    after_confidence: float
    reason: str = ""
    judgement: Judgement

    @property
    def changed(self) -> bool:
        """True when the member changed its mind."""
        return self.before != self.after


class ClaimDecided(_VerifyEvent):
    """The verdict on one claim: aggregated label, calibrated confidence, citations, dissent."""

    type: Literal["verify.claim_decided"] = "verify.claim_decided"
    claim_id: str
    label: Label
    confidence: float
    raw_confidence: float = 0.0
    method: str = "reliability_weighted"
    probabilities: dict[str, float] = Field(default_factory=dict)
    votes: dict[str, str] = Field(default_factory=dict)
    weights: dict[str, float] = Field(default_factory=dict)
    agreement: float = 0.0
    entropy: float = 0.0
    evidence_strength: float = 0.0
    dissent: list[str] = Field(default_factory=list)
    changed_minds: list[str] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    rationale: str = ""


class TextDecided(_VerifyEvent):
    """The verdict on the whole text: MIXED when its claims disagree."""

    type: Literal["verify.text_decided"] = "verify.text_decided"
    label: OverallLabel
    confidence: float
    counts: dict[str, int] = Field(default_factory=dict)
    kappa: float | None = None


class FeedbackRecorded(_VerifyEvent):
    """Someone recorded the true label of a claim; what the system learned from it."""

    type: Literal["verify.feedback_recorded"] = "verify.feedback_recorded"
    claim_id: str
    label: Label
    verdict_was: Label | None = None
    correct: bool | None = None
    reliability_before: dict[str, float] = Field(default_factory=dict)
    reliability_after: dict[str, float] = Field(default_factory=dict)
    credibility_updates: dict[str, float] = Field(default_factory=dict)
    by: str | None = None


VerifyEvent = (
    ClaimsExtracted
    | QueriesWritten
    | EvidenceRetrieved
    | EvidenceRanked
    | PanelJudged
    | PanelMemberFailed
    | CriticChallenged
    | JudgementRevised
    | ClaimDecided
    | TextDecided
    | FeedbackRecorded
)

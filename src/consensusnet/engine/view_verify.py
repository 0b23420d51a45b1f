"""The verify part of a session's view, folded from verify events."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from consensusnet.domain.events_verify import (
    Claim,
    ClaimDecided,
    ClaimsExtracted,
    CriticChallenged,
    Evidence,
    EvidenceRanked,
    EvidenceRetrieved,
    FeedbackRecorded,
    Judgement,
    JudgementRevised,
    PanelJudged,
    PanelMemberFailed,
    QueriesWritten,
    TextDecided,
)


class SourceReport(BaseModel):
    """What one source gave for a claim."""

    source: str
    documents: int
    titles: list[str] = Field(default_factory=list)
    error: str | None = None


class ClaimView(BaseModel):
    """Everything that happened to one claim."""

    claim: Claim
    queries: list[str] = Field(default_factory=list)
    sources: list[SourceReport] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    candidates: int = 0
    judgements: list[Judgement] = Field(default_factory=list)
    failures: list[str] = Field(default_factory=list)
    challenge: CriticChallenged | None = None
    revisions: list[JudgementRevised] = Field(default_factory=list)
    verdict: ClaimDecided | None = None
    feedback: list[FeedbackRecorded] = Field(default_factory=list)

    def final_judgements(self) -> list[Judgement]:
        """Each member's last word: its revision when it made one, else its first judgement."""
        latest = {j.agent: j for j in self.judgements}
        for revision in self.revisions:
            latest[revision.agent] = revision.judgement
        return list(latest.values())


class VerifyView(BaseModel):
    """A verification as of its last event."""

    extraction: str | None = None
    claims: list[ClaimView] = Field(default_factory=list)
    overall: TextDecided | None = None

    def claim(self, claim_id: str) -> ClaimView:
        """The claim with this id (KeyError when there is none)."""
        for item in self.claims:
            if item.claim.id == claim_id:
                return item
        raise KeyError(claim_id)


def _verify(view: Any) -> VerifyView:
    if view.verify is None:
        view.verify = VerifyView()
    verify: VerifyView = view.verify
    return verify


def _extracted(view: Any, event: ClaimsExtracted) -> None:
    verify = _verify(view)
    verify.extraction = event.method
    verify.claims = [ClaimView(claim=claim) for claim in event.claims]


def _queries(view: Any, event: QueriesWritten) -> None:
    _verify(view).claim(event.claim_id).queries = list(event.queries)


def _retrieved(view: Any, event: EvidenceRetrieved) -> None:
    _verify(view).claim(event.claim_id).sources.append(
        SourceReport(
            source=event.source, documents=event.documents, titles=event.titles, error=event.error
        )
    )


def _ranked(view: Any, event: EvidenceRanked) -> None:
    claim = _verify(view).claim(event.claim_id)
    claim.evidence, claim.candidates = list(event.evidence), event.candidates


def _judged(view: Any, event: PanelJudged) -> None:
    _verify(view).claim(event.claim_id).judgements.append(event.judgement)


def _failed(view: Any, event: PanelMemberFailed) -> None:
    _verify(view).claim(event.claim_id).failures.append(
        f"{event.agent} ({event.stage}): {event.error}"
    )


def _challenged(view: Any, event: CriticChallenged) -> None:
    _verify(view).claim(event.claim_id).challenge = event


def _revised(view: Any, event: JudgementRevised) -> None:
    _verify(view).claim(event.claim_id).revisions.append(event)


def _decided(view: Any, event: ClaimDecided) -> None:
    _verify(view).claim(event.claim_id).verdict = event


def _text_decided(view: Any, event: TextDecided) -> None:
    _verify(view).overall = event


def _feedback(view: Any, event: FeedbackRecorded) -> None:
    _verify(view).claim(event.claim_id).feedback.append(event)


VERIFY_APPLIERS: dict[str, Any] = {
    "verify.claims_extracted": _extracted,
    "verify.queries_written": _queries,
    "verify.evidence_retrieved": _retrieved,
    "verify.evidence_ranked": _ranked,
    "verify.panel_judged": _judged,
    "verify.panel_member_failed": _failed,
    "verify.critic_challenged": _challenged,
    "verify.judgement_revised": _revised,
    "verify.claim_decided": _decided,
    "verify.text_decided": _text_decided,
    "verify.feedback_recorded": _feedback,
}

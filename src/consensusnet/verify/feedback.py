"""Feedback: the true label of a claim teaches agent reliabilities, source credibilities and the
calibration map, and is itself an event in the session's log."""

from __future__ import annotations

from collections import Counter

from consensusnet.domain.errors import ConsensusNetError
from consensusnet.domain.events_verify import LABELS, FeedbackRecorded, Judgement
from consensusnet.engine.sessions import SessionLog
from consensusnet.engine.view_verify import ClaimView
from consensusnet.evidence.credibility import CredibilityRecord, credibility
from consensusnet.verify.learning import Reliabilities, judgement_key
from consensusnet.verify.ports import LearningStore


def _accuracies(
    counts: dict[str, list[list[float]]], judgements: list[Judgement]
) -> dict[str, float]:
    """Each member's accuracy by agent, from its seat-and-model record (or its seat's)."""
    table = Reliabilities(counts)
    return {j.agent: table.accuracy(judgement_key(j)) for j in judgements}


def source_outcomes(claim: ClaimView, truth: str) -> dict[str, bool]:
    """Per source: did the members who cited it mostly give the true label?"""
    by_id = {e.id: e for e in claim.evidence}
    tally: Counter[tuple[str, bool]] = Counter()
    for judgement in claim.final_judgements():
        for cited in judgement.cited:
            if cited in by_id and judgement.label != "NOT_ENOUGH_INFO":
                tally[(by_id[cited].source, judgement.label == truth)] += 1
    sources = {source for source, _ in tally}
    return {s: tally[(s, True)] >= tally[(s, False)] for s in sorted(sources)}


async def record_claim_feedback(
    log: SessionLog,
    learning: LearningStore,
    session_id: str,
    claim_id: str,
    label: str,
    *,
    by: str | None = None,
) -> FeedbackRecorded:
    """Record the true label of one claim of a finished verification; returns the event."""
    if label not in LABELS:
        raise ConsensusNetError(f"Unknown label {label!r}.", hint="Use " + ", ".join(LABELS) + ".")
    view = await log.view(session_id)
    if view.verify is None or view.kind != "verify":
        raise ConsensusNetError(f"Session {session_id} is not a verification.")
    try:
        claim = view.verify.claim(claim_id)
    except KeyError:
        known = ", ".join(c.claim.id for c in view.verify.claims) or "none"
        raise ConsensusNetError(
            f"Session {session_id} has no claim {claim_id!r}.", hint=f"Its claims: {known}."
        ) from None
    verdict = claim.verdict
    judgements = claim.final_judgements()
    before = _accuracies(await learning.reliability_counts(), judgements)
    outcomes = source_outcomes(claim, label)
    await learning.record_feedback(
        session_id=session_id,
        claim_id=claim_id,
        label=label,
        verdict=verdict.label if verdict else None,
        raw_confidence=verdict.raw_confidence
        if verdict and verdict.method != "no_evidence"
        else None,
        agent_labels={judgement_key(j): j.label for j in judgements},
        source_outcomes=outcomes,
    )
    after = _accuracies(await learning.reliability_counts(), judgements)
    counts = await learning.credibility_counts()
    event = FeedbackRecorded(
        claim_id=claim_id,
        label=label,
        verdict_was=verdict.label if verdict else None,
        correct=(verdict.label == label) if verdict else None,
        reliability_before=before,
        reliability_after=after,
        credibility_updates={
            s: round(credibility(s, CredibilityRecord(source=s, confirmed=c, contradicted=x)), 4)
            for s, (c, x) in counts.items()
            if s in outcomes
        },
        by=by,
    )
    await log.append(session_id, event)
    return event

"""Labeled evaluation runs: verify each item, score the verdicts, then learn from the labels.

Every item is verified as an ordinary session (so the whole run is in the event log), and the
known labels go through the same path as `feedback`: agent reliabilities, source credibilities
and calibration points, persisted. "Before" scores the verdicts as the run gave them; "after"
re-aggregates the same panel judgements with what the run taught (in-sample, no model calls).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from pydantic import BaseModel, Field

from consensusnet.consensus.calibration import brier_score, expected_calibration_error
from consensusnet.domain.events_verify import ClaimDecided, Label, OverallLabel
from consensusnet.engine.sessions import SessionLog
from consensusnet.engine.view import SessionView
from consensusnet.engine.view_verify import ClaimView
from consensusnet.verify.aggregate import decide_claim, decide_text
from consensusnet.verify.feedback import record_claim_feedback
from consensusnet.verify.learning import Learned, judgement_key
from consensusnet.verify.ports import LearningStore

EVAL_SOURCE = "eval"  # who recorded the feedback, as its events say


class LabeledItem(BaseModel):
    """A text whose true label is known; `line` says where it came from."""

    text: str = Field(min_length=1)
    label: Label
    line: int = 0


class Scores(BaseModel):
    """How good a set of verdicts is: accuracy, expected calibration error, Brier score."""

    items: int = 0
    accuracy: float = 0.0
    ece: float = 0.0
    brier: float = 0.0


class ItemOutcome(BaseModel):
    """One item's session and its verdict before and after learning."""

    line: int
    session_id: str
    label: Label
    status: str
    verdict: OverallLabel | None = None
    confidence: float = 0.0
    verdict_after: OverallLabel | None = None
    confidence_after: float = 0.0
    claims_learned: int = 0
    error: str | None = None


class EvaluationReport(BaseModel):
    """What a labeled run measured and what it taught."""

    outcomes: list[ItemOutcome]
    before: Scores
    after: Scores
    reliability_before: dict[str, float]  # by seat-and-model key
    reliability_after: dict[str, float]
    credibility_after: dict[str, float]  # the sources this run changed
    calibration_points: int


class RunVerification(Protocol):
    """Verifies a text as a session and returns the id once the session has ended."""

    def __call__(self, text: str) -> Awaitable[str]: ...


def score(outcomes: Sequence[tuple[str, str | None, float]]) -> Scores:
    """Scores of (truth, verdict, confidence) triples; a missing verdict is wrong."""
    if not outcomes:
        return Scores()
    correct = [verdict == truth for truth, verdict, _ in outcomes]
    confidences = [confidence for _, _, confidence in outcomes]
    return Scores(
        items=len(outcomes),
        accuracy=round(sum(correct) / len(correct), 4),
        ece=round(expected_calibration_error(confidences, correct), 4),
        brier=round(brier_score(confidences, correct), 4),
    )


def claims_to_label(claims: list[ClaimView], label: Label) -> list[ClaimView]:
    """The claims whose truth follows from the text's label.

    A one-claim text's label is its claim's; every claim of a SUPPORTED text is supported; but
    which claim of a REFUTED or NOT_ENOUGH_INFO text is at fault is unknown, so none is taught.
    """
    if len(claims) == 1 or label == "SUPPORTED":
        return claims
    return []


def redecide(claim: ClaimView, learned: Learned) -> ClaimDecided | None:
    """The claim's verdict under other learned state, from the same final judgements."""
    verdict = claim.verdict
    if verdict is None or not verdict.votes:
        return verdict  # no panel voted (no evidence, or every member failed): nothing to redo
    final = claim.final_judgements()
    return decide_claim(
        claim.claim.id,
        final,
        claim.evidence,
        learned.reliabilities.panel(final),
        learned.calibration,
        changed_minds=verdict.changed_minds,
    )


def _outcome(item: LabeledItem, view: SessionView) -> ItemOutcome:
    overall = view.verify.overall if view.verify else None
    return ItemOutcome(
        line=item.line,
        session_id=view.id,
        label=item.label,
        status=view.status,
        verdict=overall.label if overall else None,
        confidence=overall.confidence if overall else 0.0,
        error=view.error,
    )


async def evaluate(
    items: Sequence[LabeledItem],
    run: RunVerification,
    log: SessionLog,
    learning: LearningStore,
    *,
    on_item: Callable[[ItemOutcome], None] | None = None,
) -> EvaluationReport:
    """Verify every item, score the verdicts, learn from the labels, score again."""
    before = await Learned.load(learning)
    views: list[tuple[LabeledItem, SessionView]] = []
    outcomes: list[ItemOutcome] = []
    for item in items:
        view = await log.view(await run(item.text))
        views.append((item, view))
        outcomes.append(_outcome(item, view))
        if on_item is not None:
            on_item(outcomes[-1])
    keys: set[str] = set()
    for (item, view), outcome in zip(views, outcomes, strict=True):
        if view.verify is None or outcome.verdict is None:
            continue
        for claim in claims_to_label(view.verify.claims, item.label):
            await record_claim_feedback(
                log, learning, view.id, claim.claim.id, item.label, by=EVAL_SOURCE
            )
            keys.update(judgement_key(j) for j in claim.final_judgements())
            outcome.claims_learned += 1
    after = await Learned.load(learning)
    for (_, view), outcome in zip(views, outcomes, strict=True):
        if view.verify is None or outcome.verdict is None:
            continue
        verdicts = [redecide(c, after) for c in view.verify.claims]
        decided = [v for v in verdicts if v is not None]
        if decided:
            overall = decide_text(decided)
            outcome.verdict_after, outcome.confidence_after = overall.label, overall.confidence
    scored = [o for o in outcomes if o.verdict is not None]
    return EvaluationReport(
        outcomes=outcomes,
        before=score([(o.label, o.verdict, o.confidence) for o in scored]),
        after=score([(o.label, o.verdict_after, o.confidence_after) for o in scored]),
        reliability_before={k: before.reliabilities.accuracy(k) for k in sorted(keys)},
        reliability_after={k: after.reliabilities.accuracy(k) for k in sorted(keys)},
        credibility_after={
            s: round(c, 4)
            for s, c in sorted(after.credibility.items())
            if c != before.credibility.get(s)
        },
        calibration_points=after.calibration.points,
    )

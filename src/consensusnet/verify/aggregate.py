"""From a panel's final judgements to a claim verdict, and from claim verdicts to the text's."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

from consensusnet.consensus.agreement import (
    agreement_share,
    fleiss_kappa,
    kappa_table,
    vote_entropy,
)
from consensusnet.consensus.calibration import CalibrationMap
from consensusnet.consensus.labels import Confusion, Vote, accuracy_of, reliability_weighted
from consensusnet.domain.events_verify import (
    LABELS,
    Citation,
    ClaimDecided,
    Evidence,
    Judgement,
    Label,
    OverallLabel,
    TextDecided,
)

DEFAULT_ACCURACY = 0.6
MAX_CITATIONS = 3


def leading_label(judgements: list[Judgement], confusions: Mapping[str, Confusion]) -> Label:
    """The label the panel currently leans to (what the critic attacks)."""
    votes = [Vote(agent=j.agent, label=j.label, confidence=j.confidence) for j in judgements]
    label: Label = reliability_weighted(
        votes, LABELS, confusions, default_accuracy=DEFAULT_ACCURACY
    ).label  # type: ignore[assignment]
    return label


def _citations(winners: list[Judgement], evidence: list[Evidence]) -> tuple[list[Citation], float]:
    by_id = {e.id: e for e in evidence}
    counts = Counter(c for j in winners for c in j.cited if c in by_id)
    ranked = sorted(counts, key=lambda c: (-counts[c], -by_id[c].score, c))[:MAX_CITATIONS]
    citations = [
        Citation(
            evidence_id=c,
            source=by_id[c].source,
            title=by_id[c].title,
            url=by_id[c].url,
            quote=by_id[c].sentence,  # verbatim: the system copies it, no model writes it
        )
        for c in ranked
    ]
    strength = max((by_id[c].score for c in ranked), default=0.0)
    return citations, strength


def decide_claim(
    claim_id: str,
    judgements: list[Judgement],
    evidence: list[Evidence],
    confusions: Mapping[str, Confusion],
    calibration: CalibrationMap,
    *,
    changed_minds: list[str],
) -> ClaimDecided:
    """Reliability-weighted verdict, calibrated confidence, citations and dissent for a claim."""
    votes = [Vote(agent=j.agent, label=j.label, confidence=j.confidence) for j in judgements]
    decision = reliability_weighted(votes, LABELS, confusions, default_accuracy=DEFAULT_ACCURACY)
    label: Label = decision.label  # type: ignore[assignment]
    winners = [j for j in judgements if j.label == label]
    citations, strength = _citations(winners, evidence)
    # Agreement sets the posterior; evidence strength tempers a verdict that claims a fact.
    raw = decision.confidence
    if label != "NOT_ENOUGH_INFO":
        raw *= 0.6 + 0.4 * strength
    labels = [j.label for j in judgements]
    weights = {
        j.agent: round(
            accuracy_of(confusions[j.agent]) if j.agent in confusions else DEFAULT_ACCURACY, 4
        )
        for j in judgements
    }
    if winners:
        top = max(winners, key=lambda j: (j.confidence, j.agent))
        rationale = (
            f"{len(winners)} of {len(judgements)} panel members found {label}"
            f" ({', '.join(j.agent for j in winners)}). {top.agent}: {top.rationale}"
        )
    else:
        # Learned confusions can favour a label nobody gave (members known to answer this
        # way when the truth is something else); say so rather than quote a winner.
        rationale = (
            f"No panel member found {label}, but given their learned reliabilities their"
            f" answers ({', '.join(sorted(set(labels)))}) point to it."
        )
    return ClaimDecided(
        claim_id=claim_id,
        label=label,
        confidence=round(calibration(raw), 4),
        raw_confidence=round(raw, 4),
        probabilities={k: round(v, 4) for k, v in decision.probabilities.items()},
        votes={j.agent: j.label for j in judgements},
        weights=weights,
        agreement=round(agreement_share(labels), 4),
        entropy=round(vote_entropy(labels, len(LABELS)), 4),
        evidence_strength=round(strength, 4),
        dissent=[j.agent for j in judgements if j.label != label],
        changed_minds=changed_minds,
        citations=citations,
        rationale=rationale,
    )


def no_evidence(claim_id: str) -> ClaimDecided:
    """The verdict when no source gave relevant evidence: the panel is not convened."""
    return ClaimDecided(
        claim_id=claim_id,
        label="NOT_ENOUGH_INFO",
        confidence=1.0,
        raw_confidence=1.0,
        method="no_evidence",
        rationale="No relevant evidence was found in the selected sources.",
    )


def no_panel(claim_id: str, failures: int) -> ClaimDecided:
    """The verdict when every panel member failed to give a usable judgement."""
    return ClaimDecided(
        claim_id=claim_id,
        label="NOT_ENOUGH_INFO",
        confidence=0.0,
        method="panel_failed",
        rationale=f"None of the {failures} panel members gave a usable judgement.",
    )


def decide_text(verdicts: list[ClaimDecided]) -> TextDecided:
    """SUPPORTED/REFUTED/NOT_ENOUGH_INFO when all claims agree, MIXED when they differ."""
    counts = Counter(v.label for v in verdicts)
    label: OverallLabel = verdicts[0].label if len(counts) == 1 else "MIXED"
    confidence = math.fsum(v.confidence for v in verdicts) / len(verdicts)
    panels = [list(v.votes.values()) for v in verdicts if len(v.votes) >= 2]
    kappa = None
    if len(panels) >= 2 and len({len(p) for p in panels}) == 1:
        kappa = round(fleiss_kappa(kappa_table(panels, LABELS)), 4)
    return TextDecided(
        label=label, confidence=round(confidence, 4), counts=dict(counts), kappa=kappa
    )

"""Seat a panel that covers a sub-problem's domains with little overlap, and say why.

Maximal marginal relevance over embeddings: each pick maximizes relevance to the sub-problem
minus its similarity to the members already seated. Pinned personas are seated first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from consensusnet.domain.events_board import PanelMember
from consensusnet.embed.port import Embedder
from consensusnet.embed.similarity import Vector, cosine
from consensusnet.personas.models import Persona

OVERLAP_PENALTY = 0.5
DOMAIN_BONUS = 0.15
_STEM = 4


def _stems(text: str) -> set[str]:
    return {word[:_STEM] for word in re.findall(r"[a-z]{3,}", text.lower())}


def matching_domains(persona: Persona, text: str) -> list[str]:
    """Domains sharing a word stem with the text ("pricing" matches "price")."""
    stems = _stems(text)
    return [d for d in persona.domains if _stems(d) & stems]


def relevance_of(persona: Persona, target: Vector, vector: Vector, text: str) -> float:
    """Embedding similarity plus a bonus per covered domain (hashed vectors miss word forms)."""
    hits = min(len(matching_domains(persona, text)), 3)
    return cosine(target, vector) + DOMAIN_BONUS * hits


def _reason(persona: Persona, text: str, relevance: float, overlap: float, pinned: bool) -> str:
    if pinned:
        return f"Pinned by the user; brings {', '.join(persona.domains[:3])}."
    matched = matching_domains(persona, text)
    covers = ", ".join(matched[:3]) if matched else ", ".join(persona.domains[:2])
    return (
        f"{persona.role}: covers {covers} (relevance {relevance:.2f}); "
        f"overlap with those already seated {overlap:.2f}."
    )


async def select_panel(
    embedder: Embedder,
    personas: Sequence[Persona],
    text: str,
    size: int,
    pinned: Sequence[Persona] = (),
) -> list[PanelMember]:
    """`size` members (pinned ones included, and kept even beyond `size`)."""
    pinned_ids = {p.id for p in pinned}
    candidates = [p for p in personas if p.id not in pinned_ids]
    everyone = [*pinned, *candidates]
    vectors = await embedder.embed([text, *[p.profile() for p in everyone]])
    target = vectors[0]
    vector_of = {p.id: v for p, v in zip(everyone, vectors[1:], strict=True)}

    def overlap_with_seated(persona: Persona, seated: list[PanelMember]) -> float:
        own = vector_of[persona.id]
        return max((cosine(vector_of[m.persona_id], own) for m in seated), default=0.0)

    seated: list[PanelMember] = []
    for persona in pinned:
        relevance = relevance_of(persona, target, vector_of[persona.id], text)
        overlap = overlap_with_seated(persona, seated)
        seated.append(_member(persona, text, relevance, overlap, pinned=True))
    remaining = list(candidates)
    while len(seated) < size and remaining:
        scored = [
            (
                relevance_of(p, target, vector_of[p.id], text),
                overlap_with_seated(p, seated),
                p,
            )
            for p in remaining
        ]
        relevance, overlap, best = max(scored, key=lambda s: s[0] - OVERLAP_PENALTY * s[1])
        seated.append(_member(best, text, relevance, overlap, pinned=False))
        remaining.remove(best)
    return seated


def _member(
    persona: Persona, text: str, relevance: float, overlap: float, *, pinned: bool
) -> PanelMember:
    return PanelMember(
        persona_id=persona.id,
        name=persona.name,
        role=persona.role,
        reason=_reason(persona, text, relevance, overlap, pinned),
        pinned=pinned,
        relevance=round(relevance, 4),
        overlap=round(overlap, 4),
        model=persona.model,
    )

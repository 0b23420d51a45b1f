"""Phases of a deliberation (explore -> challenge -> converge): instructions and token budgets."""

from __future__ import annotations

from dataclasses import dataclass

from consensusnet.domain.events_board import Phase


@dataclass(frozen=True)
class PhaseRules:
    """What a phase asks of each member, and how many tokens a turn may use."""

    name: Phase
    instructions: str
    max_tokens: int


PHASES: dict[Phase, PhaseRules] = {
    "explore": PhaseRules(
        "explore",
        "Phase: EXPLORE. Give your own first view from your expertise. Name the option you "
        "favour, the strongest reason for it, and one thing the others may overlook.",
        260,
    ),
    "challenge": PhaseRules(
        "challenge",
        "Phase: CHALLENGE. Test the views in the latest round. Name the weakest argument you "
        "see and why it fails, answer any moderator challenge, and change your option if the "
        "evidence warrants it. Do not repeat what was already said.",
        220,
    ),
    "converge": PhaseRules(
        "converge",
        "Phase: CONVERGE. Work toward a decision the board can act on. State the option you "
        "can support, the conditions under which you support it, and any remaining objection "
        "in one sentence.",
        180,
    ),
}


def phase_for(round_no: int, max_rounds: int) -> Phase:
    """Round 1 explores, the last round converges, those between challenge."""
    if round_no <= 1:
        return "explore"
    if round_no >= max_rounds:
        return "converge"
    return "challenge"


def turn_budget(phase_tokens: int, words_so_far: dict[str, int], persona_id: str) -> int:
    """A phase's token budget, trimmed for members who have spoken far more than the rest.

    Speaking balance: a member above 1.5x the panel's mean word count gets three quarters of
    the budget, so no single voice dominates the record.
    """
    if not words_so_far:
        return phase_tokens
    mean = sum(words_so_far.values()) / len(words_so_far)
    if mean > 0 and words_so_far.get(persona_id, 0) > 1.5 * mean:
        return max(64, int(phase_tokens * 0.75))
    return phase_tokens

"""Every board prompt. Stable text first (cacheable system blocks), volatile text last.

All user text and every model output enters a prompt only through `untrusted()`.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from consensusnet.domain.events_board import ContributionMade, SubProblem
from consensusnet.domain.llm import LLMRequest, Message, SystemBlock
from consensusnet.llm.prompt import UNTRUSTED_RULE, nonce_for, untrusted

BOARD_RULES = (
    "You sit on an advisory board that deliberates a decision for a person. "
    + UNTRUSTED_RULE
    + " Speak as yourself, briefly and concretely. Choose options by their number."
)
CLARIFIER = (
    "You find critical information gaps in a decision before a board debates it. Ask at most "
    "three short questions whose answers would change the recommendation, and for each one "
    "state the assumption the board will make if nobody answers. Ask nothing if nothing "
    "critical is missing. " + UNTRUSTED_RULE
)
DECOMPOSER = (
    "You split a decision into one to four sub-problems a board can debate separately. Each "
    "has a short title, a question, the expert domains it needs, two or three concrete "
    "options, and the numbers of earlier sub-problems it depends on (empty when independent). "
    "A simple decision is one sub-problem. " + UNTRUSTED_RULE
)
SUMMARIZER = (
    "You summarize one round of a board debate in at most three sentences: where members "
    "agree, where they disagree, and what is still open. Name members by role. " + UNTRUSTED_RULE
)
FACILITATOR = (
    "You are the facilitator of an advisory board. After each round you decide: 'continue' "
    "when the debate is productive, 'moderator' to bring in a contrarian (agreement came too "
    "easily), a skeptic (claims lack evidence) or an optimist (the board is stuck on "
    "downsides), or 'vote' when positions are clear enough to decide. " + UNTRUSTED_RULE
)
MODERATORS = {
    "contrarian": "You are the contrarian moderator. The board agreed too quickly. State the "
    "strongest case for a different option and the assumption the board has not tested.",
    "skeptic": "You are the skeptic moderator. Point to the claim in the debate with the "
    "weakest evidence and ask what would prove it wrong.",
    "optimist": "You are the optimist moderator. The board dwells on downsides. Name the "
    "biggest upside it ignores and how the risks could be contained.",
}
VOTER = (
    "The debate is over. Cast your vote: the option number you support, your recommendation in "
    "one or two sentences, your confidence from 0 to 1, up to three conditions, and the key risk."
)
SYNTHESIZER = (
    "You write the board's synthesis for the person who must decide: an executive summary, the "
    "recommendation (follow the board's majority, and say so when the board is split), the "
    "rationale, risks with mitigations, conditions, open questions and your confidence from 0 "
    "to 1. Dissent must be reflected, not hidden. " + UNTRUSTED_RULE
)
META = (
    "You combine the board's conclusions on each sub-problem into one answer: a summary, one "
    "overall recommendation, an action plan (action, priority high/medium/low, owner role, "
    "timeline, success metric) and your confidence from 0 to 1. " + UNTRUSTED_RULE
)


class Brief(BaseModel):
    """The decision as the board sees it: question, context, constraints, answers."""

    question: str
    context: str = ""
    constraints: list[str] = Field(default_factory=list)
    clarifications: list[str] = Field(default_factory=list)

    def render(self, nonce: str) -> str:
        """The brief as delimited data blocks."""
        parts = [untrusted("question", self.question, nonce=nonce)]
        if self.context:
            parts.append(untrusted("context", self.context, nonce=nonce))
        if self.constraints:
            text = "\n".join(f"- {c}" for c in self.constraints)
            parts.append(untrusted("constraints", text, nonce=nonce))
        if self.clarifications:
            text = "\n".join(f"- {c}" for c in self.clarifications)
            parts.append(untrusted("clarifications", text, nonce=nonce))
        return "\n".join(parts)


def request(
    system: Sequence[str], user: str, *, max_tokens: int, temperature: float = 0.7
) -> LLMRequest:
    """A request whose system blocks are all marked cacheable (they never carry user text)."""
    return LLMRequest(
        system=[SystemBlock(text=text, cache=True) for text in system],
        messages=[Message(role="user", content=user)],
        max_tokens=max_tokens,
        temperature=temperature,
    )


def options_block(sub: SubProblem, nonce: str) -> str:
    """The sub-problem's question and numbered options."""
    options = "\n".join(f"{n}. {text}" for n, text in enumerate(sub.options, start=1))
    return "\n".join(
        [
            untrusted("sub_problem", f"{sub.title}: {sub.question}", nonce=nonce),
            untrusted("options", options, nonce=nonce),
        ]
    )


def contribution_block(c: ContributionMade, speaker: str, nonce: str) -> str:
    """One contribution as data, labelled with its speaker and round."""
    text = f"Option {c.option}. {c.position}\n{c.argument}"
    return untrusted("contribution", text, nonce=nonce, speaker=speaker, round=str(c.round))


class RoundContext(BaseModel):
    """What a member sees of the debate so far: summaries, then the latest round in full."""

    summaries: list[tuple[int, str]] = Field(default_factory=list)
    latest: list[tuple[str, ContributionMade]] = Field(default_factory=list)
    moderator: tuple[str, str] | None = None
    dependencies: list[tuple[str, str]] = Field(default_factory=list)
    interjections: list[str] = Field(default_factory=list)

    def render(self, nonce: str) -> str:
        """The debate as delimited data blocks, oldest first."""
        parts = [
            untrusted("conclusion", text, nonce=nonce, sub_problem=title)
            for title, text in self.dependencies
        ]
        parts += [
            untrusted("summary", text, nonce=nonce, round=str(number))
            for number, text in self.summaries
        ]
        parts += [contribution_block(c, speaker, nonce) for speaker, c in self.latest]
        if self.moderator is not None:
            kind, challenge = self.moderator
            parts.append(untrusted("moderator", challenge, nonce=nonce, moderator=kind))
        parts += [untrusted("interjection", text, nonce=nonce) for text in self.interjections]
        if self.interjections:
            parts.append("The person interjected (above): address it this round.")
        return "\n".join(parts)


def nonce(*parts: object) -> str:
    """A per-prompt nonce derived from where the prompt is used (stable across replays)."""
    return nonce_for(*(str(p) for p in parts))


def untrusted_summary(summary: tuple[int, str], nonce: str) -> str:
    """A round summary as data."""
    number, text = summary
    return untrusted("summary", text, nonce=nonce, round=str(number))

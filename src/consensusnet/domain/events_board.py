"""Events of the board workflow: every deliberation step is one (ARCHITECTURE.md).

Sub-problems are numbered from 0 in the order the decomposer gave them; rounds from 1.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

Phase = Literal["explore", "challenge", "converge"]
ModeratorKind = Literal["contrarian", "skeptic", "optimist"]
StopReason = Literal[
    "convergence", "novelty", "deadlock", "stalled", "max_rounds", "budget", "facilitator"
]


class _BoardEvent(BaseModel):
    v: int = 1


class Clarification(BaseModel):
    """A question about a critical gap, and what the board assumes if nobody answers."""

    question: str
    assumption: str = ""
    answer: str | None = None


class ClarificationRequested(_BoardEvent):
    """The board needs answers before it can deliberate well (at most 3 questions)."""

    type: Literal["board.clarification_requested"] = "board.clarification_requested"
    questions: list[Clarification]


class ClarificationAnswered(_BoardEvent):
    """Someone answered the questions; the answers join the context."""

    type: Literal["board.clarification_answered"] = "board.clarification_answered"
    answers: list[str]
    by: str = "user"


class Interjection(_BoardEvent):
    """A message from the person that the next round of every open sub-problem must consider."""

    type: Literal["board.interjection"] = "board.interjection"
    text: str
    by: str = "user"


class AssumptionsStated(_BoardEvent):
    """Nobody answered (or clarification was off): the board proceeds on these assumptions."""

    type: Literal["board.assumptions_stated"] = "board.assumptions_stated"
    assumptions: list[str]
    reason: str = ""


class SubProblem(BaseModel):
    """One part of the decision, with the options the board chooses between."""

    index: int
    title: str
    question: str
    domains: list[str] = Field(default_factory=list)
    options: list[str]
    depends_on: list[int] = Field(default_factory=list)


class Decomposed(_BoardEvent):
    """The decision split into 1-4 sub-problems with dependencies."""

    type: Literal["board.decomposed"] = "board.decomposed"
    sub_problems: list[SubProblem]
    waves: list[list[int]] = Field(default_factory=list)


class PanelMember(BaseModel):
    """A persona on a sub-problem's panel and why it was chosen."""

    persona_id: str
    name: str
    role: str
    reason: str
    pinned: bool = False
    relevance: float = 0.0
    overlap: float = 0.0
    model: str | None = None


class PanelSelected(_BoardEvent):
    """The panel for one sub-problem."""

    type: Literal["board.panel_selected"] = "board.panel_selected"
    sub_problem: int
    members: list[PanelMember]


class RoundStarted(_BoardEvent):
    """A round begins: its phase, token budget and who speaks."""

    type: Literal["board.round_started"] = "board.round_started"
    sub_problem: int
    round: int
    phase: Phase
    max_tokens: int
    speakers: list[str]


class ContributionMade(_BoardEvent):
    """One persona's turn in a round."""

    type: Literal["board.contribution"] = "board.contribution"
    sub_problem: int
    round: int
    phase: Phase
    persona_id: str
    position: str
    argument: str
    option: int
    input_tokens: int = 0
    output_tokens: int = 0


class RoundSummarized(_BoardEvent):
    """A round condensed for later prompts, with the figures the stopping rules read."""

    type: Literal["board.round_summarized"] = "board.round_summarized"
    sub_problem: int
    round: int
    summary: str
    convergence: float
    novelty: float
    conflict: float
    balance: float
    option_split: dict[str, int] = Field(default_factory=dict)


class FacilitatorDecided(_BoardEvent):
    """The facilitator's call after a round: continue, bring a moderator in, or vote."""

    type: Literal["board.facilitator_decided"] = "board.facilitator_decided"
    sub_problem: int
    round: int
    decision: Literal["continue", "moderator", "vote"]
    moderator: ModeratorKind | None = None
    reason: str = ""
    overridden_by_rule: str | None = None


class ModeratorIntervened(_BoardEvent):
    """A moderator's challenge, which every member must address next round."""

    type: Literal["board.moderator_intervened"] = "board.moderator_intervened"
    sub_problem: int
    round: int
    moderator: ModeratorKind
    challenge: str


class DeliberationStopped(_BoardEvent):
    """Why a sub-problem's rounds ended, with the figures behind the decision."""

    type: Literal["board.stopped"] = "board.stopped"
    sub_problem: int
    round: int
    reason: StopReason
    detail: str = ""
    figures: dict[str, float] = Field(default_factory=dict)


class VoteCast(_BoardEvent):
    """One persona's structured vote."""

    type: Literal["board.vote"] = "board.vote"
    sub_problem: int
    persona_id: str
    option: int
    recommendation: str
    confidence: float
    conditions: list[str] = Field(default_factory=list)
    key_risk: str = ""


class VotesAggregated(_BoardEvent):
    """The board's position: majority, strength of agreement, and every dissent verbatim."""

    type: Literal["board.votes_aggregated"] = "board.votes_aggregated"
    sub_problem: int
    outcome: dict[str, Any]


class Risk(BaseModel):
    """A risk and what would reduce it."""

    risk: str
    mitigation: str = ""


class Synthesized(_BoardEvent):
    """The synthesis of one sub-problem."""

    type: Literal["board.synthesized"] = "board.synthesized"
    sub_problem: int
    executive_summary: str
    recommendation: str
    rationale: str
    risks: list[Risk] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    open_questions: list[str] = Field(default_factory=list)
    confidence: float


class Action(BaseModel):
    """One step of the action plan."""

    action: str
    priority: Literal["high", "medium", "low"]
    owner_role: str
    timeline: str
    success_metric: str


class MetaSynthesized(_BoardEvent):
    """The answer across sub-problems, with an action plan."""

    type: Literal["board.meta_synthesized"] = "board.meta_synthesized"
    summary: str
    recommendation: str
    action_plan: list[Action] = Field(default_factory=list)
    confidence: float


class BudgetWarned(_BoardEvent):
    """Spending came near the budget: the board moves to vote and synthesis."""

    type: Literal["board.budget_warning"] = "board.budget_warning"
    sub_problem: int | None = None
    spent_usd: float
    budget_usd: float
    spent_tokens: int = 0
    budget_tokens: int | None = None
    message: str = ""


class ReportExported(_BoardEvent):
    """A report file was written."""

    type: Literal["board.report_exported"] = "board.report_exported"
    format: Literal["md", "json", "html"]
    path: str


BoardEvent = Annotated[
    ClarificationRequested
    | ClarificationAnswered
    | Interjection
    | AssumptionsStated
    | Decomposed
    | PanelSelected
    | RoundStarted
    | ContributionMade
    | RoundSummarized
    | FacilitatorDecided
    | ModeratorIntervened
    | DeliberationStopped
    | VoteCast
    | VotesAggregated
    | Synthesized
    | MetaSynthesized
    | BudgetWarned
    | ReportExported,
    Field(discriminator="type"),
]

"""The board part of a session's view, folded from board events (every report renders this)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from consensusnet.domain.events_board import (
    Action,
    AssumptionsStated,
    BudgetWarned,
    Clarification,
    ClarificationAnswered,
    ClarificationRequested,
    ContributionMade,
    Decomposed,
    DeliberationStopped,
    FacilitatorDecided,
    Interjection,
    MetaSynthesized,
    ModeratorIntervened,
    PanelMember,
    PanelSelected,
    ReportExported,
    RoundStarted,
    RoundSummarized,
    SubProblem,
    Synthesized,
    VoteCast,
    VotesAggregated,
)

Applier = Callable[[Any, Any], None]


class RoundView(BaseModel):
    """One round of one sub-problem."""

    round: int
    phase: str
    max_tokens: int = 0
    speakers: list[str] = Field(default_factory=list)
    contributions: list[ContributionMade] = Field(default_factory=list)
    summary: RoundSummarized | None = None
    facilitator: FacilitatorDecided | None = None
    moderator: ModeratorIntervened | None = None


class SubProblemView(BaseModel):
    """A sub-problem as deliberated so far."""

    spec: SubProblem
    status: str = "pending"
    panel: list[PanelMember] = Field(default_factory=list)
    rounds: list[RoundView] = Field(default_factory=list)
    stop: DeliberationStopped | None = None
    votes: list[VoteCast] = Field(default_factory=list)
    outcome: dict[str, Any] | None = None
    synthesis: Synthesized | None = None

    def round(self, number: int) -> RoundView:
        """The view of round `number`, created on first mention."""
        for existing in self.rounds:
            if existing.round == number:
                return existing
        created = RoundView(round=number, phase="explore")
        self.rounds.append(created)
        return created

    def persona_name(self, persona_id: str) -> str:
        """A panel member's display name (its id when unknown)."""
        return next((m.name for m in self.panel if m.persona_id == persona_id), persona_id)


class MetaView(BaseModel):
    """The cross-sub-problem answer."""

    summary: str
    recommendation: str
    action_plan: list[Action] = Field(default_factory=list)
    confidence: float = 0.0


class BoardView(BaseModel):
    """A board deliberation as of its last event."""

    clarifications: list[Clarification] = Field(default_factory=list)
    awaiting_input: bool = False
    assumptions: list[str] = Field(default_factory=list)
    interjections: list[Interjection] = Field(default_factory=list)
    sub_problems: list[SubProblemView] = Field(default_factory=list)
    waves: list[list[int]] = Field(default_factory=list)
    meta: MetaView | None = None
    budget_warnings: list[BudgetWarned] = Field(default_factory=list)
    reports: dict[str, str] = Field(default_factory=dict)

    def sub(self, index: int) -> SubProblemView:
        """The sub-problem with this index."""
        for item in self.sub_problems:
            if item.spec.index == index:
                return item
        raise KeyError(index)


def _board(view: Any) -> BoardView:
    if view.board is None:
        view.board = BoardView()
    board: BoardView = view.board
    return board


def _clarification_requested(view: Any, event: ClarificationRequested) -> None:
    board = _board(view)
    board.clarifications = [q.model_copy() for q in event.questions]
    board.awaiting_input = True
    view.status = "awaiting_input"


def _clarification_answered(view: Any, event: ClarificationAnswered) -> None:
    board = _board(view)
    for question, answer in zip(board.clarifications, event.answers, strict=False):
        question.answer = answer
    board.awaiting_input = False
    if view.status == "awaiting_input":
        view.status = "running"


def _interjection(view: Any, event: Interjection) -> None:
    _board(view).interjections.append(event)


def _assumptions(view: Any, event: AssumptionsStated) -> None:
    board = _board(view)
    board.assumptions = list(event.assumptions)
    board.awaiting_input = False
    if view.status == "awaiting_input":
        view.status = "running"


def _decomposed(view: Any, event: Decomposed) -> None:
    board = _board(view)
    board.sub_problems = [SubProblemView(spec=spec) for spec in event.sub_problems]
    board.waves = event.waves


def _panel(view: Any, event: PanelSelected) -> None:
    sub = _board(view).sub(event.sub_problem)
    sub.panel = list(event.members)
    sub.status = "deliberating"


def _round_started(view: Any, event: RoundStarted) -> None:
    rnd = _board(view).sub(event.sub_problem).round(event.round)
    rnd.phase, rnd.max_tokens, rnd.speakers = event.phase, event.max_tokens, event.speakers


def _contribution(view: Any, event: ContributionMade) -> None:
    _board(view).sub(event.sub_problem).round(event.round).contributions.append(event)


def _summarized(view: Any, event: RoundSummarized) -> None:
    _board(view).sub(event.sub_problem).round(event.round).summary = event


def _facilitator(view: Any, event: FacilitatorDecided) -> None:
    _board(view).sub(event.sub_problem).round(event.round).facilitator = event


def _moderator(view: Any, event: ModeratorIntervened) -> None:
    _board(view).sub(event.sub_problem).round(event.round).moderator = event


def _stopped(view: Any, event: DeliberationStopped) -> None:
    sub = _board(view).sub(event.sub_problem)
    sub.stop = event
    sub.status = "voting"


def _vote(view: Any, event: VoteCast) -> None:
    _board(view).sub(event.sub_problem).votes.append(event)


def _aggregated(view: Any, event: VotesAggregated) -> None:
    _board(view).sub(event.sub_problem).outcome = event.outcome


def _synthesized(view: Any, event: Synthesized) -> None:
    sub = _board(view).sub(event.sub_problem)
    sub.synthesis = event
    sub.status = "done"


def _meta(view: Any, event: MetaSynthesized) -> None:
    _board(view).meta = MetaView(
        summary=event.summary,
        recommendation=event.recommendation,
        action_plan=list(event.action_plan),
        confidence=event.confidence,
    )


def _budget(view: Any, event: BudgetWarned) -> None:
    _board(view).budget_warnings.append(event)


def _exported(view: Any, event: ReportExported) -> None:
    _board(view).reports[event.format] = event.path


BOARD_APPLIERS: dict[str, Applier] = {
    "board.clarification_requested": _clarification_requested,
    "board.clarification_answered": _clarification_answered,
    "board.interjection": _interjection,
    "board.assumptions_stated": _assumptions,
    "board.decomposed": _decomposed,
    "board.panel_selected": _panel,
    "board.round_started": _round_started,
    "board.contribution": _contribution,
    "board.round_summarized": _summarized,
    "board.facilitator_decided": _facilitator,
    "board.moderator_intervened": _moderator,
    "board.stopped": _stopped,
    "board.vote": _vote,
    "board.votes_aggregated": _aggregated,
    "board.synthesized": _synthesized,
    "board.meta_synthesized": _meta,
    "board.budget_warning": _budget,
    "board.report_exported": _exported,
}

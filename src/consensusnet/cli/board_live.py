"""The live board view: a Rich rendering of the folded session view, rebuilt on every event."""

from __future__ import annotations

import time

from rich.console import Group, RenderableType
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from consensusnet.engine.view import SessionView
from consensusnet.engine.view_board import SubProblemView

RECENT_CONTRIBUTIONS = 6

WAITING_FOR = {
    "session.created": "Starting",
    "session.started": "Looking for gaps in the question",
    "board.assumptions_stated": "Splitting the decision into sub-problems",
    "board.clarification_answered": "Splitting the decision into sub-problems",
    "board.decomposed": "Seating the panels",
    "board.panel_selected": "Round 1: the members think",
    "board.round_started": "Members are speaking",
    "board.contribution": "Members are speaking",
    "board.round_summarized": "The facilitator decides",
    "board.facilitator_decided": "Next step",
    "board.moderator_intervened": "The members answer the moderator",
    "board.stopped": "The members vote",
    "board.vote": "The members vote",
    "board.votes_aggregated": "Writing the synthesis",
    "board.synthesized": "Writing the action plan",
    "llm.call": "Waiting for the model",
}


def _short(text: str, limit: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sub_table(sub: SubProblemView) -> RenderableType:
    table = Table(
        title=f"{sub.spec.index + 1}. {sub.spec.title} [{sub.status}]",
        title_justify="left",
        show_header=False,
        expand=True,
    )
    table.add_column("what", style="bold", width=14)
    table.add_column("detail", overflow="fold")
    options = "  ".join(f"{n}. {o}" for n, o in enumerate(sub.spec.options, 1))
    table.add_row("options", _short(options, 200))
    for member in sub.panel:
        table.add_row(member.name, _short(member.reason))
    for rnd in sub.rounds:
        s = rnd.summary
        figures = (
            f"convergence {s.convergence:.2f} · novelty {s.novelty:.2f} · conflict {s.conflict:.2f}"
            if s
            else "…"
        )
        table.add_row(f"round {rnd.round}", f"{rnd.phase} · {figures}")
        if rnd.facilitator:
            f = rnd.facilitator
            table.add_row("facilitator", _short(f"{f.decision}: {f.reason}"))
        if rnd.moderator:
            table.add_row(rnd.moderator.moderator, _short(rnd.moderator.challenge))
    recent = [c for rnd in sub.rounds for c in rnd.contributions][-RECENT_CONTRIBUTIONS:]
    for c in recent:
        table.add_row(
            f"r{c.round} {sub.persona_name(c.persona_id)}"[:14],
            _short(f"[{c.option}] {c.position}"),
        )
    if sub.stop:
        table.add_row("stopped", _short(f"{sub.stop.reason}: {sub.stop.detail}"))
    for v in sub.votes:
        table.add_row(
            "vote", _short(f"{sub.persona_name(v.persona_id)}: {v.option} ({v.confidence:.2f})")
        )
    if sub.outcome:
        majority = sub.outcome.get("majority") or "split"
        table.add_row("majority", f"{majority} ({sub.outcome.get('strength')})")
    if sub.synthesis:
        table.add_row("synthesis", _short(sub.synthesis.recommendation, 200))
    return table


def render_live(view: SessionView, last_event: str, started: float) -> RenderableType:
    """The whole live view: sub-problems, then a status line with a spinner and elapsed time."""
    parts: list[RenderableType] = [Text(view.title, style="bold")]
    board = view.board
    if board is not None:
        for question in board.clarifications:
            parts.append(Text(f"? {question.question} → {question.answer or question.assumption}"))
        for sub in board.sub_problems:
            parts.append(_sub_table(sub))
        if board.meta:
            parts.append(Text(f"Recommendation: {board.meta.recommendation}", style="bold green"))
        for warning in board.budget_warnings:
            parts.append(Text(f"Budget: {warning.message}", style="yellow"))
    usage = view.llm.usage
    cost = (
        f"{view.llm.calls} calls · {usage.input_tokens} in / {usage.output_tokens} out tokens · "
        f"${view.llm.cost_usd:.4f}"
    )
    elapsed = time.monotonic() - started
    waiting = WAITING_FOR.get(last_event, "Working")
    parts.append(Spinner("dots", text=Text(f"{waiting} · {elapsed:.0f} s · {cost}", style="cyan")))
    return Group(*parts)

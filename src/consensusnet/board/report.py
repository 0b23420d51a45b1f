"""Board reports in Markdown, JSON and HTML, rendered from the folded session view only."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from consensusnet.engine.view import SessionView
from consensusnet.engine.view_board import BoardView, RoundView, SubProblemView

Format = Literal["md", "json", "html"]
FORMATS: tuple[Format, ...] = ("md", "json", "html")


@dataclass
class Block:
    """One piece of a report: a heading, a paragraph, a list or a table."""

    kind: Literal["h1", "h2", "h3", "p", "ul", "table", "quote"]
    text: str = ""
    items: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def _table(header: list[str], rows: Sequence[Sequence[object]]) -> Block:
    return Block("table", header=header, rows=[[str(c) for c in row] for row in rows])


def _overview(view: SessionView, board: BoardView) -> list[Block]:
    usage = view.llm.usage
    blocks = [
        Block("h1", f"Board report: {view.title}"),
        Block(
            "p",
            f"Session {view.id} · status {view.status} · {view.llm.calls} model calls · "
            f"{usage.input_tokens} input / {usage.output_tokens} output tokens · "
            f"${view.llm.cost_usd:.4f}",
        ),
        Block("p", f"Question: {view.input.get('question', view.title)}"),
    ]
    if view.error:
        blocks.append(Block("p", f"Failed: {view.error} {view.hint or ''}".strip()))
    if board.meta is not None:
        meta = board.meta
        blocks += [
            Block("h2", "Recommendation"),
            Block("p", meta.recommendation),
            Block("p", f"{meta.summary} (confidence {meta.confidence:.2f})"),
            Block("h2", "Action plan"),
            _table(
                ["Action", "Priority", "Owner", "Timeline", "Success metric"],
                [
                    [a.action, a.priority, a.owner_role, a.timeline, a.success_metric]
                    for a in meta.action_plan
                ],
            ),
        ]
    answered = [c for c in board.clarifications if c.answer]
    if answered:
        blocks.append(Block("h2", "Clarifications"))
        blocks.append(Block("ul", items=[f"{c.question} — {c.answer}" for c in answered]))
    if board.assumptions:
        blocks.append(Block("h2", "Assumptions"))
        blocks.append(Block("ul", items=list(board.assumptions)))
    return blocks


def _round(sub: SubProblemView, rnd: RoundView) -> list[Block]:
    blocks = [Block("h3", f"Round {rnd.round} ({rnd.phase}, up to {rnd.max_tokens} tokens a turn)")]
    for c in rnd.contributions:
        name = sub.persona_name(c.persona_id)
        blocks.append(Block("p", f"{name} — option {c.option}: {c.position} {c.argument}"))
    if rnd.summary is not None:
        s = rnd.summary
        blocks.append(
            Block(
                "p",
                f"Summary: {s.summary} (convergence {s.convergence:.2f}, novelty "
                f"{s.novelty:.2f}, conflict {s.conflict:.2f}, speaking balance {s.balance:.2f})",
            )
        )
    if rnd.facilitator is not None:
        f = rnd.facilitator
        rule = f" [rule: {f.overridden_by_rule}]" if f.overridden_by_rule else ""
        blocks.append(Block("p", f"Facilitator: {f.decision} — {f.reason}{rule}"))
    if rnd.moderator is not None:
        m = rnd.moderator
        blocks.append(Block("p", f"Moderator ({m.moderator}): {m.challenge}"))
    return blocks


def _votes(sub: SubProblemView) -> list[Block]:
    blocks = [Block("h3", "Vote")]
    blocks.append(
        _table(
            ["Member", "Option", "Confidence", "Recommendation", "Key risk"],
            [
                [
                    sub.persona_name(v.persona_id),
                    f"{v.option}. {sub.spec.options[v.option - 1]}",
                    f"{v.confidence:.2f}",
                    v.recommendation,
                    v.key_risk,
                ]
                for v in sub.votes
            ],
        )
    )
    outcome = sub.outcome or {}
    if outcome:
        majority = outcome.get("majority") or "none (split: " + ", ".join(outcome["tied"]) + ")"
        blocks.append(
            Block(
                "p",
                f"Majority: {majority} — {outcome['strength']} agreement "
                f"({outcome['share']:.0%} of votes, "
                f"{outcome['weighted_share']:.0%} by confidence).",
            )
        )
        dissents = outcome.get("dissents", [])
        blocks.append(Block("h3", "Dissent"))
        if not dissents:
            blocks.append(Block("p", "None: the vote was unanimous."))
        for d in dissents:
            blocks.append(
                Block("quote", f"{d['voter']} ({d['position']}, confidence "
                      f"{d['confidence']:.2f}): {d['statement']}")
            )  # fmt: skip
    return blocks


def _synthesis(sub: SubProblemView) -> list[Block]:
    s = sub.synthesis
    if s is None:
        return []
    blocks = [
        Block("h3", "Synthesis"),
        Block("p", s.executive_summary),
        Block("p", f"Recommendation: {s.recommendation} (confidence {s.confidence:.2f})"),
        Block("p", f"Rationale: {s.rationale}"),
        _table(["Risk", "Mitigation"], [[r.risk, r.mitigation] for r in s.risks]),
    ]
    if s.conditions:
        blocks += [Block("p", "Conditions:"), Block("ul", items=list(s.conditions))]
    if s.open_questions:
        blocks += [Block("p", "Open questions:"), Block("ul", items=list(s.open_questions))]
    return blocks


def _sub_problem(sub: SubProblemView, board: BoardView) -> list[Block]:
    spec = sub.spec
    blocks = [Block("h2", f"Sub-problem {spec.index + 1}: {spec.title}"), Block("p", spec.question)]
    blocks.append(Block("ul", items=[f"Option {n}: {o}" for n, o in enumerate(spec.options, 1)]))
    if spec.depends_on:
        names = ", ".join(board.sub(d).spec.title for d in spec.depends_on)
        blocks.append(Block("p", f"Builds on: {names}"))
    blocks.append(
        _table(["Member", "Role", "Why chosen"], [[m.name, m.role, m.reason] for m in sub.panel])
    )
    for rnd in sub.rounds:
        blocks += _round(sub, rnd)
    if sub.stop is not None:
        figures = ", ".join(f"{k} {v:g}" for k, v in sub.stop.figures.items())
        blocks.append(Block("p", f"Stopped: {sub.stop.reason} — {sub.stop.detail} ({figures})"))
    return blocks + _votes(sub) + _synthesis(sub)


def report_blocks(view: SessionView) -> list[Block]:
    """The report's content, in order, from the view alone."""
    board = view.board or BoardView()
    blocks = _overview(view, board)
    for sub in board.sub_problems:
        blocks += _sub_problem(sub, board)
    if board.budget_warnings:
        blocks.append(Block("h2", "Budget"))
        blocks.append(Block("ul", items=[w.message for w in board.budget_warnings]))
    return blocks


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(blocks: list[Block]) -> str:
    """Markdown for report blocks."""
    out: list[str] = []
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            out.append("#" * int(b.kind[1]) + " " + b.text)
        elif b.kind == "p":
            out.append(b.text)
        elif b.kind == "quote":
            out.append("> " + b.text.replace("\n", "\n> "))
        elif b.kind == "ul":
            out.append("\n".join(f"- {item}" for item in b.items))
        else:
            lines = ["| " + " | ".join(b.header) + " |", "|" + "---|" * len(b.header)]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b.rows]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def _html_block(b: Block) -> str:
    e = html.escape
    if b.kind in ("h1", "h2", "h3", "p"):
        return f"<{b.kind}>{e(b.text)}</{b.kind}>"
    if b.kind == "quote":
        return f"<blockquote>{e(b.text)}</blockquote>"
    if b.kind == "ul":
        return "<ul>" + "".join(f"<li>{e(i)}</li>" for i in b.items) + "</ul>"
    head = "".join(f"<th>{e(h)}</th>" for h in b.header)
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in b.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;"
    "padding:.3rem .5rem;vertical-align:top}blockquote{border-left:4px solid #c33;margin:.5rem 0;"
    "padding:.2rem 1rem;background:#fff5f5}"
)


def to_html(blocks: list[Block], title: str) -> str:
    """A standalone HTML page for report blocks; every text is escaped."""
    body = "\n".join(_html_block(b) for b in blocks)
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )


def render(view: SessionView, fmt: Format) -> str:
    """The report of a session in `fmt`."""
    if fmt == "json":
        return json.dumps(view.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    blocks = report_blocks(view)
    if fmt == "md":
        return to_markdown(blocks)
    return to_html(blocks, f"Board report: {view.title}")

"""The board end to end on the scripted provider: every stage lands in the log and the report."""

from __future__ import annotations

import re
from typing import Any

from board_support import BoardRunner, BoardScript, Turn

from consensusnet.board.report import render
from consensusnet.domain.events_board import ClarificationAnswered
from consensusnet.domain.llm import LLMRequest


def _parts(request: LLMRequest, turn: Turn) -> dict[str, Any]:
    part = {"domains": ["finance"], "options": ["Yes", "No"]}
    return {
        "sub_problems": [
            {**part, "title": "Market choice", "question": "Which market first?", "depends_on": []},
            {**part, "title": "Funding", "question": "How to fund it?", "depends_on": []},
            {**part, "title": "Hiring plan", "question": "Whom to hire?", "depends_on": [1, 2, 7]},
        ]
    }


def _synthesis(request: LLMRequest, turn: Turn) -> dict[str, Any]:
    answer = turn.default()
    title = re.search(r"<data-sub_problem-\w+>\n([^:]+):", turn.user)
    assert title is not None
    answer["recommendation"] = f"Conclusion on {title.group(1)}"
    return answer


async def test_decomposition_with_dependencies(board: BoardRunner, script: BoardScript) -> None:
    script.on("Decomposition", _parts)
    script.on("SynthesisOut", _synthesis)
    board.provider.ttft = 0.02
    view = await board.run(max_rounds=2, max_subproblems=3)
    assert view.status == "completed", view.error
    assert view.board is not None
    assert [s.spec.depends_on for s in view.board.sub_problems] == [[], [], [0, 1]]
    assert view.board.waves == [[0, 1], [2]]
    # Independent parts ran concurrently: both first rounds were asked before either second one.
    order = [
        (t.user.split("<data-sub_problem-")[1][10:22], t.round) for t in script.of("Contribution")
    ]
    first_round_two = next(i for i, (_, r) in enumerate(order) if r == 2)
    assert {title for title, r in order[:first_round_two]} >= {"Market choic", "Funding: How"}
    # The dependent part's members read their dependencies' conclusions, as data.
    hiring = [t for t in script.of("Contribution") if "Hiring plan" in t.user]
    assert hiring
    for turn in hiring:
        assert re.search(
            r'<data-conclusion-\w+ sub_problem="Market choice">\nConclusion on Market choice',
            turn.user,
        )
        assert "Conclusion on Funding" in turn.user
    meta = script.of("MetaOut")[0]
    assert meta.user.count("<data-conclusion-") == 3
    assert view.board.meta is not None
    assert view.board.meta.action_plan


async def test_clarification_is_asked_and_answered(board: BoardRunner, script: BoardScript) -> None:
    script.on(
        "ClarifierOut",
        lambda r, t: {
            "questions": [
                {"question": "What is the budget?", "assumption": "About 500k"},
                {"question": "Which countries?", "assumption": "Germany"},
            ]
        },
    )
    app, session_id = await board.start(clarify="ask", max_rounds=1)
    services = await app.services()
    async for stored in services.log.tail(session_id):
        if stored.event.type == "board.clarification_requested":
            view = await services.log.view(session_id)
            assert view.status == "awaiting_input"
            await services.log.append(
                session_id, ClarificationAnswered(answers=["Two million euros", "France & Spain"])
            )
    view = await services.log.view(session_id)
    assert view.status == "completed", view.error
    assert view.board is not None
    assert [c.answer for c in view.board.clarifications] == ["Two million euros", "France & Spain"]
    decompose = script.of("Decomposition")[0].user
    assert "What is the budget? Answer: Two million euros" in decompose
    assert "France &amp; Spain" in decompose  # escaped like all user text
    assert "Clarifications" in render(view, "md")
    assert not view.board.assumptions


async def test_without_answers_the_board_states_its_assumptions(
    board: BoardRunner, script: BoardScript
) -> None:
    script.on(
        "ClarifierOut",
        lambda r, t: {"questions": [{"question": "What budget?", "assumption": "Budget is 500k"}]},
    )
    view = await board.run(clarify="assume", max_rounds=1)
    assert view.board is not None
    assert view.board.assumptions == ["Budget is 500k"]
    assert "Assumed: Budget is 500k" in script.of("Decomposition")[0].user
    report = render(view, "md")
    assert "## Assumptions" in report
    assert "Budget is 500k" in report


async def test_clarification_times_out_into_assumptions(
    board: BoardRunner, script: BoardScript
) -> None:
    script.on(
        "ClarifierOut",
        lambda r, t: {"questions": [{"question": "What budget?", "assumption": "Budget is 500k"}]},
    )
    view = await board.run(clarify="ask", clarify_timeout_s=0.2, max_rounds=1)
    assert view.board is not None
    assert view.board.assumptions == ["Budget is 500k"]


async def test_moderator_intervention_reaches_the_next_round(
    board: BoardRunner, script: BoardScript
) -> None:
    script.on(
        "Contribution",
        lambda r, t: {
            "position": f"{t.speaker} view {t.round}",
            "argument": f"because {t.speaker}",
            "option": 1 + len(t.speaker) % 2,
        },
    )
    script.on(
        "FacilitatorOut",
        lambda r, t: {"decision": "moderator", "moderator": "skeptic", "reason": "thin evidence"},
    )
    script.on("ModeratorOut", lambda r, t: {"challenge": "Where is the demand data for France?"})
    view = await board.run(max_rounds=2)
    assert view.board is not None
    first = view.board.sub_problems[0].rounds[0]
    assert first.moderator is not None
    assert first.moderator.moderator == "skeptic"
    moderator_request = script.of("ModeratorOut")[0]
    assert "skeptic moderator" in moderator_request.system
    for turn in [t for t in script.of("Contribution") if t.round == 2]:
        assert re.search(
            r'<data-moderator-\w+ moderator="skeptic">\nWhere is the demand data', turn.user
        )
    assert "Moderator (skeptic)" in render(view, "md")


async def test_early_agreement_brings_in_the_contrarian(
    board: BoardRunner, script: BoardScript
) -> None:
    script.on(
        "Contribution",
        lambda r, t: {"position": "Expand now", "argument": "Demand is strong", "option": 1},
    )
    script.on(
        "FacilitatorOut",
        lambda r, t: {"decision": "continue", "moderator": "none", "reason": "all agree"},
    )
    view = await board.run(max_rounds=2)
    assert view.board is not None
    decision = view.board.sub_problems[0].rounds[0].facilitator
    assert decision is not None
    assert (decision.decision, decision.moderator) == ("moderator", "contrarian")
    assert decision.overridden_by_rule
    assert "early agreement" in decision.overridden_by_rule
    assert "contrarian moderator" in script.of("ModeratorOut")[0].system


async def test_dissenting_vote_appears_verbatim_in_every_report(
    board: BoardRunner, script: BoardScript
) -> None:
    dissent = "Do not expand: GDPR fines could reach 4% of revenue <and> we lack counsel."

    def vote(request: LLMRequest, turn: Turn) -> dict[str, Any]:
        against = turn.speaker == "Margaret Okafor"  # the pinned CFO dissents
        return {
            "option": 2 if against else 1,
            "recommendation": dissent if against else "Expand with a pilot.",
            "confidence": 0.7,
            "conditions": [],
            "key_risk": "Regulatory fines" if against else "Slow demand",
        }

    script.on("Vote", vote)
    view = await board.run(max_rounds=1, personas=["cfo"])
    assert view.board is not None
    outcome = view.board.sub_problems[0].outcome
    assert outcome is not None
    assert outcome["majority"] == "1. Expand now"
    assert len(outcome["dissents"]) == 1
    assert outcome["dissents"][0]["statement"].startswith(dissent)
    md, html, as_json = render(view, "md"), render(view, "html"), render(view, "json")
    assert dissent in md
    assert (
        "Do not expand: GDPR fines could reach 4% of revenue &lt;and&gt; we lack counsel." in html
    )
    assert dissent.replace("<", "\\u003c") in as_json or dissent in as_json
    synthesis = script.of("SynthesisOut")[0].user
    assert "<data-dissent-" in synthesis
    assert "&lt;and&gt;" in synthesis


async def test_pinned_persona_sits_on_every_panel(board: BoardRunner, script: BoardScript) -> None:
    view = await board.run(max_rounds=1, personas=["futurist"], experts=4)
    assert view.board is not None
    panel = view.board.sub_problems[0].panel
    assert panel[0].persona_id == "futurist"
    assert panel[0].pinned
    assert len(panel) == 4
    assert all(m.reason for m in panel)


async def test_unknown_pinned_persona_fails_cleanly(board: BoardRunner) -> None:
    view = await board.run(personas=["no-such-expert"])
    assert view.status == "failed"
    assert "no-such-expert" in (view.error or "")


async def test_stages_run_in_order_and_tokens_stay_bounded(
    board: BoardRunner, script: BoardScript
) -> None:
    script.on(
        "FacilitatorOut",
        lambda r, t: {"decision": "continue", "moderator": "none", "reason": "go on"},
    )
    # Everyone favours option 1, so no deadlock can stop the board before max rounds (the
    # scripted content is seeded by the session id, and a split would otherwise be random).
    script.on("Contribution", lambda r, t: {**t.default(), "option": 1})
    rules = {"convergence_at": 1.0, "novelty_below": 0.0, "stall_delta": 0.0}
    view = await board.run("Should we open a Zanzibar office?", max_rounds=6, rules=rules)
    assert view.board is not None
    sub = view.board.sub_problems[0]
    assert sub.stop is not None
    assert sub.stop.reason == "max_rounds"
    phases = [r.phase for r in sub.rounds]
    assert phases == ["explore", "challenge", "challenge", "challenge", "challenge", "converge"]
    # bounded context: a turn sees at most 3 summaries and only the latest round in full
    for turn in script.of("Contribution"):
        assert turn.user.count("<data-summary-") <= 3
        assert turn.user.count("<data-contribution-") in (0, 3)
    # every system block is cacheable and carries no user text
    for turn in script.requests:
        assert all(block.cache for block in turn.request.system)
        assert "Zanzibar" not in turn.system

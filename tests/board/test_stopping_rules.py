"""Each stopping rule, as a pure function and end to end on the scripted provider."""

from __future__ import annotations

from typing import Any

import pytest
from board_support import BoardRunner, BoardScript, Turn

from consensusnet.board.stopping import RoundFigures, StopRules, decide_stop, early_agreement
from consensusnet.domain.llm import LLMRequest

RULES = StopRules()


def _fig(r: int, conv: float, nov: float, conf: float, options: dict[str, int]) -> RoundFigures:
    return RoundFigures(round=r, convergence=conv, novelty=nov, conflict=conf, options=options)


SPLIT = {"a": 1, "b": 2, "c": 3}


def test_no_stop_after_one_open_round() -> None:
    assert decide_stop([_fig(1, 0.9, 1.0, 0.0, SPLIT)], 5, RULES) is None


@pytest.mark.parametrize(
    ("history", "reason"),
    [
        (
            [_fig(1, 0.1, 1, 1, SPLIT), _fig(2, 0.8, 0.5, 0, {"a": 1, "b": 1, "c": 1})],
            "convergence",
        ),
        ([_fig(1, 0.1, 1, 1, SPLIT), _fig(2, 0.1, 0.05, 1, {"a": 1, "b": 1, "c": 2})], "novelty"),
        ([_fig(1, 0.1, 1, 1, SPLIT), _fig(2, 0.1, 0.9, 1, SPLIT)], "deadlock"),
        (
            [
                _fig(1, 0.10, 1, 1, SPLIT),
                _fig(2, 0.11, 0.9, 1, {"a": 2, "b": 2, "c": 3}),
                _fig(3, 0.10, 0.9, 1, {"a": 1, "b": 1, "c": 3}),
            ],
            "stalled",
        ),
        (
            [_fig(1, 0.1, 1, 1, SPLIT), _fig(2, 0.3, 0.9, 0.3, {"a": 1, "b": 1, "c": 2})],
            "max_rounds",
        ),
    ],
)
def test_rules(history: list[RoundFigures], reason: str) -> None:
    stop = decide_stop(history, 2 if reason == "max_rounds" else 5, RULES)
    assert stop is not None
    assert stop.reason == reason
    assert stop.figures["round"] == history[-1].round
    assert stop.detail


def test_early_agreement_calls_for_the_contrarian() -> None:
    assert early_agreement(_fig(1, 0.2, 1, 0, {"a": 1, "b": 1}), RULES) is not None
    assert early_agreement(_fig(1, 0.9, 1, 0, {"a": 1, "b": 2}), RULES) is not None
    assert early_agreement(_fig(1, 0.2, 1, 1, {"a": 1, "b": 2}), RULES) is None
    assert early_agreement(_fig(2, 0.9, 1, 0, {"a": 1, "b": 1}), RULES) is None


# -- end to end: contributions written so that one rule fires ---------------------------------


def _words(*seeds: object) -> str:
    key = "".join(str(s) for s in seeds).lower().replace(" ", "")
    return " ".join(f"{key}q{i}" for i in range(10))


def _contribute(text_of: Any, option_of: Any) -> Any:
    speakers: list[str] = []

    def answer(request: LLMRequest, turn: Turn) -> dict[str, Any]:
        if turn.speaker not in speakers:
            speakers.append(turn.speaker)
        index = speakers.index(turn.speaker)
        return {
            "position": text_of(index, turn.round),
            "argument": text_of(index, turn.round),
            "option": option_of(index, turn.round),
        }

    return answer


def _continue(request: LLMRequest, turn: Turn) -> dict[str, Any]:
    return {"decision": "continue", "moderator": "none", "reason": "keep going"}


CASES: dict[str, tuple[Any, Any, int]] = {
    # everyone says the same thing: converged at round 2
    "convergence": (lambda i, r: "pilot germany first low cost", lambda i, r: 1 + i % 2, 5),
    # distinct members, but each repeats round 1 word for word
    "novelty": (lambda i, r: _words("m", i), lambda i, r: 1 + (i + r) % 2, 5),
    # new words every round, each member sticks to a different option
    "deadlock": (lambda i, r: _words("m", i, "r", r), lambda i, r: i + 1, 5),
    # new words every round, options shift (no deadlock) but nobody comes closer
    "stalled": (lambda i, r: _words("m", i, "r", r), lambda i, r: 1 + (i + r) % 3, 6),
    # productive but unfinished when the rounds run out
    "max_rounds": (lambda i, r: _words("m", i, "r", r), lambda i, r: 1 + (i + r) % 2, 2),
}


@pytest.mark.parametrize("reason", list(CASES))
async def test_each_stopping_rule_end_to_end(
    board: BoardRunner, script: BoardScript, reason: str
) -> None:
    text_of, option_of, max_rounds = CASES[reason]
    script.on("Contribution", _contribute(text_of, option_of))
    script.on("FacilitatorOut", _continue)
    view = await board.run(max_rounds=max_rounds)
    assert view.status == "completed", view.error
    assert view.board is not None
    sub = view.board.sub_problems[0]
    assert sub.stop is not None
    assert sub.stop.reason == reason, (sub.stop, [r.summary for r in sub.rounds])
    assert sub.stop.figures["round"] == len(sub.rounds)
    assert {"convergence", "novelty", "conflict"} <= set(sub.stop.figures)
    assert len(sub.votes) == 3
    assert sub.synthesis is not None


async def test_facilitator_can_call_the_vote(board: BoardRunner, script: BoardScript) -> None:
    text_of, option_of, _ = CASES["max_rounds"]
    script.on("Contribution", _contribute(text_of, option_of))
    script.on(
        "FacilitatorOut",
        lambda r, t: {"decision": "vote", "moderator": "none", "reason": "positions are clear"},
    )
    view = await board.run(max_rounds=6)
    assert view.board is not None
    sub = view.board.sub_problems[0]
    assert sub.stop is not None
    # round 1's vote call is overruled (minimum rounds); round 2's stands
    assert sub.rounds[0].facilitator is not None
    assert sub.rounds[0].facilitator.overridden_by_rule
    assert (sub.stop.reason, len(sub.rounds)) == ("facilitator", 2)

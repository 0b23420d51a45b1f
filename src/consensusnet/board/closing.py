"""The end of a sub-problem's debate: votes, their aggregation, and the synthesis."""

from __future__ import annotations

import asyncio

from consensusnet.board import prompts
from consensusnet.board.deliberation import Deliberation
from consensusnet.board.schemas import SynthesisOut, token_ceiling, vote_model
from consensusnet.board.stopping import Stop
from consensusnet.consensus.positions import BallotVote, VoteOutcome, aggregate_votes
from consensusnet.domain.events_board import Risk, Synthesized, VoteCast, VotesAggregated
from consensusnet.llm.prompt import untrusted


def option_label(options: list[str], number: int) -> str:
    """'2. Delay a year' for option number 2."""
    return f"{number}. {options[number - 1]}"


async def cast_votes(board: Deliberation) -> list[VoteCast]:
    """Every member votes at once, each in its own step."""
    return list(await asyncio.gather(*(_vote(board, m.persona_id) for m in board.panel)))


async def _vote(board: Deliberation, persona_id: str) -> VoteCast:
    step = f"{board.prefix}.vote.{persona_id}"
    persona = board.personas[persona_id]
    nonce = prompts.nonce(board.ctx.session_id, step)
    summaries = [prompts.untrusted_summary(s, nonce) for s in board.summaries[-2:]]
    user = "\n".join(
        [
            board.brief.render(nonce),
            prompts.options_block(board.sub, nonce),
            *summaries,
            f"You are {board.name_of(persona_id)}. Cast your vote.",
        ]
    )
    output = vote_model(len(board.sub.options))
    request = prompts.request(
        [persona.system_prompt, prompts.BOARD_RULES, prompts.VOTER],
        user,
        max_tokens=token_ceiling(output),
    )

    async def vote() -> dict[str, object]:
        value, _ = await board.ask(
            step, "persona", request, output, persona=persona_id, model=persona.model
        )
        event = VoteCast(
            sub_problem=board.sub.index,
            persona_id=persona_id,
            option=value.option,
            recommendation=value.recommendation,
            confidence=value.confidence,
            conditions=value.conditions,
            key_risk=value.key_risk,
        )
        await board.services.log.append(board.ctx.session_id, event)
        return event.model_dump(mode="json")

    return VoteCast.model_validate(await board.ctx.step(step, vote))


async def aggregate(board: Deliberation, votes: list[VoteCast]) -> VoteOutcome:
    """Majority, strength of agreement and every dissent, recorded as an event."""
    ballots = [
        BallotVote(
            voter=board.name_of(v.persona_id),
            position=option_label(board.sub.options, v.option),
            confidence=v.confidence,
            statement=_statement(v),
        )
        for v in votes
    ]
    outcome = aggregate_votes(ballots)
    await board._record(
        "votes",
        VotesAggregated(sub_problem=board.sub.index, outcome=outcome.model_dump(mode="json")),
    )
    return outcome


def _statement(vote: VoteCast) -> str:
    parts = [vote.recommendation]
    if vote.key_risk:
        parts.append(f"Key risk: {vote.key_risk}")
    if vote.conditions:
        parts.append("Conditions: " + "; ".join(vote.conditions))
    return " ".join(parts)


async def synthesize(board: Deliberation, outcome: VoteOutcome, stop: Stop) -> Synthesized:
    """The synthesizer's report on this sub-problem, told the vote and every dissent."""
    step = f"{board.prefix}.synthesis"
    nonce = prompts.nonce(board.ctx.session_id, step)
    majority = outcome.majority or "none (the board is split: " + ", ".join(outcome.tied) + ")"
    vote_text = (
        f"Majority: {majority}; {outcome.strength} ({outcome.share:.0%} of votes). "
        f"Debate stopped: {stop.reason} ({stop.detail})."
    )
    dissent = [
        untrusted("dissent", d.statement, nonce=nonce, member=d.voter, option=d.position)
        for d in outcome.dissents
    ]
    summaries = [prompts.untrusted_summary(s, nonce) for s in board.summaries[-2:]]
    user = "\n".join(
        [
            board.brief.render(nonce),
            prompts.options_block(board.sub, nonce),
            *summaries,
            untrusted("vote", vote_text, nonce=nonce),
            *dissent,
            "Write the synthesis.",
        ]
    )
    request = prompts.request(
        [prompts.SYNTHESIZER], user, max_tokens=token_ceiling(SynthesisOut), temperature=0.3
    )

    async def write() -> dict[str, object]:
        value, _ = await board.ask(step, "synthesizer", request, SynthesisOut)
        event = Synthesized(
            sub_problem=board.sub.index,
            executive_summary=value.executive_summary,
            recommendation=value.recommendation,
            rationale=value.rationale,
            risks=[Risk(risk=r.risk, mitigation=r.mitigation) for r in value.risks],
            conditions=value.conditions,
            open_questions=value.open_questions,
            confidence=value.confidence,
        )
        await board.services.log.append(board.ctx.session_id, event)
        return event.model_dump(mode="json")

    return Synthesized.model_validate(await board.ctx.step(step, write))

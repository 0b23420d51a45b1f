"""One sub-problem's debate: rounds of parallel turns, figures, summaries, facilitator, stops."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from consensusnet.board import prompts
from consensusnet.board.budget import check_budget, spending
from consensusnet.board.phases import PHASES, phase_for, turn_budget
from consensusnet.board.ports import Asker, BoardOptions, BoardServices
from consensusnet.board.schemas import (
    FacilitatorOut,
    ModeratorOut,
    SummaryOut,
    contribution_model,
    token_ceiling,
)
from consensusnet.board.stopping import RoundFigures, Stop, decide_stop, early_agreement
from consensusnet.consensus.deliberation import conflict, convergence, novelty, speaking_balance
from consensusnet.domain.events_board import (
    BudgetWarned,
    ContributionMade,
    DeliberationStopped,
    FacilitatorDecided,
    Interjection,
    ModeratorIntervened,
    PanelMember,
    RoundStarted,
    RoundSummarized,
    SubProblem,
)
from consensusnet.engine.runtime import WorkflowContext, record
from consensusnet.personas.models import Persona

SUMMARIES_KEPT = 3
CLOSING_CALLS = 2  # synthesis + meta-synthesis, besides one vote per member


class Deliberation:
    """The debate state of one sub-problem; every model call and event happens in a step."""

    def __init__(
        self,
        services: BoardServices,
        ctx: WorkflowContext,
        brief: prompts.Brief,
        sub: SubProblem,
        panel: list[PanelMember],
        personas: dict[str, Persona],
        options: BoardOptions,
        dependencies: list[tuple[str, str]],
    ) -> None:
        self.services, self.ctx, self.brief, self.sub = services, ctx, brief, sub
        self.panel, self.personas, self.options = panel, personas, options
        self.dependencies = dependencies
        self.ask = Asker(services.gateway, ctx.session_id)
        self.prefix = f"sp{sub.index}"
        self.rounds: list[list[ContributionMade]] = []
        self.summaries: list[tuple[int, str]] = []
        self.figures: list[RoundFigures] = []
        self.history_vectors: list[list[float]] = []
        self.words: dict[str, int] = dict.fromkeys((m.persona_id for m in panel), 0)
        self.moderator: tuple[str, str] | None = None
        self.heard_up_to = 0  # the seq of the last interjection this sub-problem has considered

    def name_of(self, persona_id: str) -> str:
        """'Name (Role)' of a panel member."""
        member = next(m for m in self.panel if m.persona_id == persona_id)
        return f"{member.name} ({member.role})"

    async def _record(self, step: str, *events: object) -> None:
        await record(self.ctx, self.services.log, f"{self.prefix}.{step}", *events)  # type: ignore[arg-type]

    # -- the loop ----------------------------------------------------------------------------

    async def run(self) -> Stop:
        """Debate until a stopping rule, the facilitator or the budget ends it."""
        stop: Stop | None = None
        round_no = 0
        while stop is None:
            budget_stop = await self._budget_gate(round_no + 1)
            if budget_stop is not None:
                stop = budget_stop
                break
            round_no += 1
            await self._round(round_no)
            stop = decide_stop(self.figures, self.options.max_rounds, self.options.rules)
            if stop is None:
                stop = await self._facilitate(round_no)
        await self._record(
            "stop",
            DeliberationStopped(
                sub_problem=self.sub.index,
                round=round_no,
                reason=stop.reason,
                detail=stop.detail,
                figures=stop.figures,
            ),
        )
        return stop

    async def _round(self, round_no: int) -> None:
        phase = phase_for(round_no, self.options.max_rounds)
        rules = PHASES[phase]
        speakers = [m.persona_id for m in self.panel]
        budgets = {pid: turn_budget(rules.max_tokens, self.words, pid) for pid in speakers}
        await self._record(
            f"r{round_no}.start",
            RoundStarted(
                sub_problem=self.sub.index,
                round=round_no,
                phase=phase,
                max_tokens=rules.max_tokens,
                speakers=speakers,
            ),
        )
        context = self._context(await self._interjections(round_no))
        turns = await asyncio.gather(
            *(self._contribute(pid, round_no, context, budgets[pid]) for pid in speakers)
        )
        self.rounds.append(list(turns))
        self.moderator = None
        for turn in turns:
            self.words[turn.persona_id] += len(f"{turn.position} {turn.argument}".split())
        figures = await self._measure(round_no, list(turns))
        await self._summarize(round_no, list(turns), figures)

    def _context(self, interjections: list[str]) -> prompts.RoundContext:
        latest = self.rounds[-1] if self.rounds else []
        return prompts.RoundContext(
            summaries=self.summaries[-SUMMARIES_KEPT:] if latest else [],
            latest=[(self.name_of(c.persona_id), c) for c in latest],
            moderator=self.moderator,
            dependencies=self.dependencies,
            interjections=interjections,
        )

    async def _interjections(self, round_no: int) -> list[str]:
        """Interjections this sub-problem has not considered yet (fixed in a step for replays)."""
        log, session_id, after = self.services.log, self.ctx.session_id, self.heard_up_to

        async def pending() -> dict[str, Any]:
            texts, last = [], after
            for stored in await log.events(session_id, after=after):
                last = stored.seq
                if isinstance(stored.event, Interjection):
                    texts.append(stored.event.text)
            return {"texts": texts, "heard_up_to": last}

        result = await self.ctx.step(f"{self.prefix}.r{round_no}.interjections", pending)
        self.heard_up_to = int(result["heard_up_to"])
        return [str(text) for text in result["texts"]]

    # -- turns -------------------------------------------------------------------------------

    async def _contribute(
        self, persona_id: str, round_no: int, context: prompts.RoundContext, max_tokens: int
    ) -> ContributionMade:
        step = f"{self.prefix}.r{round_no}.{persona_id}"
        persona = self.personas[persona_id]
        phase = phase_for(round_no, self.options.max_rounds)
        nonce = prompts.nonce(self.ctx.session_id, step)
        user = "\n".join(
            [
                self.brief.render(nonce),
                prompts.options_block(self.sub, nonce),
                context.render(nonce),
                f"Round {round_no} ({phase}). You are {self.name_of(persona_id)}. Give your "
                "position in one sentence, your argument, and the number of the option you "
                "favour.",
            ]
        )
        # The turn's budget bounds the schema; the call's cap only guards against a cut-off.
        output = contribution_model(len(self.sub.options), max_tokens)
        request = prompts.request(
            [persona.system_prompt, prompts.BOARD_RULES, PHASES[phase].instructions],
            user,
            max_tokens=token_ceiling(output),
        )

        async def turn() -> dict[str, object]:
            value, usage = await self.ask(
                step, "persona", request, output, persona=persona_id, model=persona.model
            )
            event = ContributionMade(
                sub_problem=self.sub.index,
                round=round_no,
                phase=phase,
                persona_id=persona_id,
                position=value.position,
                argument=value.argument,
                option=value.option,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
            )
            await self.services.log.append(self.ctx.session_id, event)
            return event.model_dump(mode="json")

        return ContributionMade.model_validate(await self.ctx.step(step, turn))

    async def _measure(self, round_no: int, turns: list[ContributionMade]) -> RoundFigures:
        texts = [f"{t.position} {t.argument}" for t in turns]
        vectors = await self.services.embedder.embed(texts)
        figures = RoundFigures(
            round=round_no,
            convergence=round(convergence(vectors), 4),
            novelty=round(novelty(vectors, self.history_vectors), 4),
            conflict=round(conflict(vectors), 4),
            options={t.persona_id: t.option for t in turns},
        )
        self.history_vectors.extend(vectors)
        self.figures.append(figures)
        return figures

    async def _summarize(
        self, round_no: int, turns: list[ContributionMade], figures: RoundFigures
    ) -> None:
        step = f"{self.prefix}.r{round_no}.summary"
        nonce = prompts.nonce(self.ctx.session_id, step)
        blocks = [prompts.contribution_block(t, self.name_of(t.persona_id), nonce) for t in turns]
        user = "\n".join(
            [prompts.options_block(self.sub, nonce), *blocks, f"Summarize round {round_no}."]
        )
        request = prompts.request(
            [prompts.SUMMARIZER], user, max_tokens=token_ceiling(SummaryOut), temperature=0.3
        )
        split = Counter(f"{t.option}" for t in turns)

        async def summarize() -> str:
            value, _ = await self.ask(step, "summarizer", request, SummaryOut)
            event = RoundSummarized(
                sub_problem=self.sub.index,
                round=round_no,
                summary=value.summary,
                convergence=figures.convergence,
                novelty=figures.novelty,
                conflict=figures.conflict,
                balance=round(speaking_balance(self.words), 4),
                option_split=dict(sorted(split.items())),
            )
            await self.services.log.append(self.ctx.session_id, event)
            return value.summary

        self.summaries.append((round_no, await self.ctx.step(step, summarize)))

    # -- facilitation ------------------------------------------------------------------------

    async def _facilitate(self, round_no: int) -> Stop | None:
        step = f"{self.prefix}.r{round_no}.facilitator"
        figures = self.figures[-1]
        nonce = prompts.nonce(self.ctx.session_id, step)
        user = "\n".join(
            [
                prompts.options_block(self.sub, nonce),
                prompts.untrusted_summary(self.summaries[-1], nonce),
                f"Figures after round {round_no} of at most {self.options.max_rounds}: "
                f"convergence {figures.convergence:.2f}, novelty {figures.novelty:.2f}, "
                f"conflict {figures.conflict:.2f}. Decide.",
            ]
        )
        request = prompts.request(
            [prompts.FACILITATOR], user, max_tokens=token_ceiling(FacilitatorOut), temperature=0.2
        )
        forced = early_agreement(figures, self.options.rules)
        too_early = round_no < self.options.rules.min_rounds

        async def decide() -> dict[str, object]:
            value, _ = await self.ask(step, "facilitator", request, FacilitatorOut)
            event = _decision(self.sub.index, round_no, value, forced, too_early=too_early)
            await self.services.log.append(self.ctx.session_id, event)
            return event.model_dump(mode="json")

        decision = FacilitatorDecided.model_validate(await self.ctx.step(step, decide))
        if decision.decision == "vote":
            return Stop(
                reason="facilitator",
                detail=f"the facilitator called the vote: {decision.reason}",
                figures={"round": float(round_no), "convergence": figures.convergence,
                         "novelty": figures.novelty, "conflict": figures.conflict},
            )  # fmt: skip
        if decision.moderator is not None:
            await self._moderate(round_no, decision.moderator)
        return None

    async def _moderate(self, round_no: int, kind: str) -> None:
        step = f"{self.prefix}.r{round_no}.moderator"
        nonce = prompts.nonce(self.ctx.session_id, step)
        latest = [
            prompts.contribution_block(c, self.name_of(c.persona_id), nonce)
            for c in self.rounds[-1]
        ]
        user = "\n".join(
            [
                prompts.options_block(self.sub, nonce),
                *latest,
                "Challenge the board in two sentences.",
            ]
        )
        request = prompts.request(
            [prompts.MODERATORS[kind], prompts.BOARD_RULES],
            user,
            max_tokens=token_ceiling(ModeratorOut),
        )

        async def moderate() -> str:
            value, _ = await self.ask(step, "moderator", request, ModeratorOut)
            event = ModeratorIntervened(
                sub_problem=self.sub.index,
                round=round_no,
                moderator=kind,  # type: ignore[arg-type]
                challenge=value.challenge,
            )
            await self.services.log.append(self.ctx.session_id, event)
            return value.challenge

        self.moderator = (kind, await self.ctx.step(step, moderate))

    # -- budget ------------------------------------------------------------------------------

    async def _budget_gate(self, round_no: int) -> Stop | None:
        """Stop before a round that would leave too little for the votes and the synthesis."""
        opts = self.options
        if opts.budget_usd is None and opts.budget_tokens is None:
            return None
        step = f"{self.prefix}.r{round_no}.budget"
        round_calls = len(self.panel) + 3  # turns, summary, facilitator, moderator
        reserve = len(self.panel) + CLOSING_CALLS

        async def gate() -> dict[str, object]:
            spent = spending(await self.services.log.events(self.ctx.session_id))
            check = check_budget(spent, round_calls, reserve, opts.budget_usd, opts.budget_tokens)
            if check.warn:
                warning = BudgetWarned(
                    sub_problem=self.sub.index,
                    spent_usd=round(spent.cost_usd, 8),
                    budget_usd=opts.budget_usd or 0.0,
                    spent_tokens=spent.tokens,
                    budget_tokens=opts.budget_tokens,
                    message=("moving to vote and synthesis: " if not check.fits else "")
                    + check.detail,
                )
                await self.services.log.append(self.ctx.session_id, warning)
            return {**check.model_dump(), "spent_usd": spent.cost_usd, "spent_tokens": spent.tokens}

        result = await self.ctx.step(step, gate)
        if result["fits"]:
            return None
        return Stop(
            reason="budget",
            detail=str(result["detail"]),
            figures={
                "round": float(round_no - 1),
                "spent_usd": float(result["spent_usd"]),  # type: ignore[arg-type]
                "spent_tokens": float(result["spent_tokens"]),  # type: ignore[arg-type]
                "projected_usd": float(result["projected_usd"]),  # type: ignore[arg-type]
                "projected_tokens": float(result["projected_tokens"]),  # type: ignore[arg-type]
            },
        )


def _decision(
    sub_problem: int, round_no: int, value: FacilitatorOut, forced: str | None, *, too_early: bool
) -> FacilitatorDecided:
    """The facilitator's decision, overridden by the early-agreement and minimum-round rules."""
    if forced is not None:
        return FacilitatorDecided(
            sub_problem=sub_problem,
            round=round_no,
            decision="moderator",
            moderator="contrarian",
            reason=value.reason,
            overridden_by_rule=f"early agreement ({forced}): the contrarian speaks",
        )
    moderator = None if value.moderator == "none" else value.moderator
    decision = value.decision
    if decision == "moderator" and moderator is None:
        decision = "continue"
    rule = None
    if decision == "vote" and too_early:
        decision, rule = "continue", "the vote waits for the minimum number of rounds"
    return FacilitatorDecided(
        sub_problem=sub_problem,
        round=round_no,
        decision=decision,
        moderator=moderator if decision == "moderator" else None,
        reason=value.reason,
        overridden_by_rule=rule,
    )

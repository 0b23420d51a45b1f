"""The board workflow: clarify, decompose, seat panels, deliberate, vote, synthesize, plan."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from consensusnet.board import prompts
from consensusnet.board.closing import aggregate, cast_votes, synthesize
from consensusnet.board.deliberation import Deliberation
from consensusnet.board.plan import to_sub_problems, waves
from consensusnet.board.ports import Asker, BoardInput, BoardOptions, BoardServices
from consensusnet.board.schemas import ClarifierOut, MetaOut, decomposition_model, token_ceiling
from consensusnet.domain.events_board import (
    Action,
    AssumptionsStated,
    Clarification,
    ClarificationRequested,
    Decomposed,
    MetaSynthesized,
    PanelSelected,
    SubProblem,
    Synthesized,
)
from consensusnet.engine.runtime import Workflow, WorkflowContext, record
from consensusnet.engine.sessions import SessionLog
from consensusnet.llm.prompt import untrusted
from consensusnet.personas.loader import PersonaCatalog, load_catalog, parse_personas
from consensusnet.personas.selection import select_panel

KIND = "board"


def build_board_workflow(services: BoardServices, payload: dict[str, Any]) -> Workflow:
    """The workflow for one board session (`payload` is its input and options)."""
    board_input = BoardInput.model_validate(payload["input"])
    options = BoardOptions.model_validate(payload.get("options") or {})
    catalog = load_catalog(services.settings.data_dir)
    owner = payload.get("owner")

    async def workflow(ctx: WorkflowContext) -> dict[str, Any]:
        seated = await with_owner_personas(services, ctx, catalog, owner)
        return await BoardRun(services, ctx, board_input, options, seated).run()

    return workflow


class BoardRun:
    """One session's board, from the question to the action plan."""

    def __init__(
        self,
        services: BoardServices,
        ctx: WorkflowContext,
        board_input: BoardInput,
        options: BoardOptions,
        catalog: PersonaCatalog,
    ) -> None:
        self.services, self.ctx, self.options, self.catalog = services, ctx, options, catalog
        self.ask = Asker(services.gateway, ctx.session_id)
        self.brief = prompts.Brief(
            question=board_input.question,
            context=board_input.context,
            constraints=board_input.constraints,
        )
        self.conclusions: dict[int, Synthesized] = {}
        self.subs: list[SubProblem] = []

    async def run(self) -> dict[str, Any]:
        """Every stage in order; independent sub-problems run concurrently."""
        pinned = [self.catalog.get(pid) for pid in self.options.personas]
        await self._clarify()
        self.subs = await self._decompose()
        for wave in waves(self.subs):
            await asyncio.gather(*(self._sub_problem(self.subs[i], pinned) for i in wave))
        meta = await self._meta()
        return {
            "recommendation": meta.recommendation,
            "confidence": meta.confidence,
            "sub_problems": [
                {"title": s.title, "recommendation": self.conclusions[s.index].recommendation}
                for s in self.subs
            ],
        }

    # -- clarification -----------------------------------------------------------------------

    async def _clarify(self) -> None:
        nonce = prompts.nonce(self.ctx.session_id, "clarify")
        request = prompts.request(
            [prompts.CLARIFIER],
            self.brief.render(nonce) + "\nWhat critical information is missing?",
            max_tokens=token_ceiling(ClarifierOut),
            temperature=0.2,
        )

        async def find_gaps() -> dict[str, Any]:
            value, _ = await self.ask("clarify", "clarifier", request, ClarifierOut)
            return value.model_dump(mode="json")

        gaps = ClarifierOut.model_validate(await self.ctx.step("clarify", find_gaps))
        if not gaps.questions:
            return
        questions = [
            Clarification(question=q.question, assumption=q.assumption) for q in gaps.questions
        ]
        answers: list[str] | None = None
        if self.options.clarify == "ask":
            await record(
                self.ctx,
                self.services.log,
                "clarify.requested",
                ClarificationRequested(questions=questions),
            )
            log, session_id, timeout = (
                self.services.log,
                self.ctx.session_id,
                self.options.clarify_timeout_s,
            )
            answers = await self.ctx.step(
                "clarify.wait", lambda: wait_for_answers(log, session_id, timeout)
            )
        if answers:
            self.brief.clarifications = [
                f"{q.question} Answer: {a}" for q, a in zip(questions, answers, strict=False) if a
            ]
            return
        reason = "clarification is off" if self.options.clarify == "assume" else "no answer came"
        assumptions = [q.assumption for q in questions]
        await record(
            self.ctx,
            self.services.log,
            "clarify.assumed",
            AssumptionsStated(assumptions=assumptions, reason=reason),
        )
        self.brief.clarifications = [f"Assumed: {a}" for a in assumptions]

    # -- decomposition and panels ------------------------------------------------------------

    async def _decompose(self) -> list[SubProblem]:
        nonce = prompts.nonce(self.ctx.session_id, "decompose")
        limit = self.options.max_subproblems
        output = decomposition_model(limit)
        request = prompts.request(
            [prompts.DECOMPOSER],
            self.brief.render(nonce) + f"\nSplit this decision into at most {limit} sub-problems.",
            max_tokens=token_ceiling(output),
            temperature=0.3,
        )

        async def decompose() -> dict[str, Any]:
            value, _ = await self.ask("decompose", "decomposer", request, output)
            subs = to_sub_problems(value)
            event = Decomposed(sub_problems=subs, waves=waves(subs))
            await self.services.log.append(self.ctx.session_id, event)
            return event.model_dump(mode="json")

        return Decomposed.model_validate(await self.ctx.step("decompose", decompose)).sub_problems

    async def _sub_problem(self, sub: SubProblem, pinned: list[Any]) -> None:
        text = f"{sub.title}. {sub.question} Domains: {', '.join(sub.domains)}."
        panel = await select_panel(
            self.services.embedder, self.catalog.all(), text, self.options.experts, pinned
        )
        await record(
            self.ctx,
            self.services.log,
            f"sp{sub.index}.panel",
            PanelSelected(sub_problem=sub.index, members=panel),
        )
        dependencies = [
            (self.subs[d].title, self.conclusions[d].recommendation) for d in sub.depends_on
        ]
        personas = {m.persona_id: self.catalog.get(m.persona_id) for m in panel}
        board = Deliberation(
            self.services, self.ctx, self.brief, sub, panel, personas, self.options, dependencies
        )
        stop = await board.run()
        votes = await cast_votes(board)
        outcome = await aggregate(board, votes)
        self.conclusions[sub.index] = await synthesize(board, outcome, stop)

    # -- meta-synthesis ----------------------------------------------------------------------

    async def _meta(self) -> MetaSynthesized:
        nonce = prompts.nonce(self.ctx.session_id, "meta")
        blocks = []
        for sub in self.subs:
            done = self.conclusions[sub.index]
            text = f"{done.recommendation} {done.executive_summary}"
            blocks.append(untrusted("conclusion", text, nonce=nonce, sub_problem=sub.title))
        user = "\n".join([self.brief.render(nonce), *blocks, "Write the answer and action plan."])
        request = prompts.request(
            [prompts.META], user, max_tokens=token_ceiling(MetaOut), temperature=0.3
        )

        async def write() -> dict[str, Any]:
            value, _ = await self.ask("meta", "synthesizer", request, MetaOut)
            event = MetaSynthesized(
                summary=value.summary,
                recommendation=value.recommendation,
                action_plan=[Action.model_validate(a.model_dump()) for a in value.action_plan],
                confidence=value.confidence,
            )
            await self.services.log.append(self.ctx.session_id, event)
            return event.model_dump(mode="json")

        return MetaSynthesized.model_validate(await self.ctx.step("meta", write))


async def with_owner_personas(
    services: BoardServices, ctx: WorkflowContext, catalog: PersonaCatalog, owner: str | None
) -> PersonaCatalog:
    """The catalog plus the session owner's own personas, as they were when the board began."""
    store = services.personas
    if not owner or store is None:
        return catalog

    async def read() -> list[dict[str, Any]]:
        return await store.list_for(owner)

    own = parse_personas(await ctx.step("personas.owner", read), "the owner's personas", "user")
    return PersonaCatalog([*catalog.all(), *own]) if own else catalog


async def wait_for_answers(log: SessionLog, session_id: str, timeout: float) -> list[str] | None:
    """Wait for a `board.clarification_answered` event; None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    seen = 0
    while True:
        for stored in await log.events(session_id, after=seen):
            seen = stored.seq
            if stored.event.type == "board.clarification_answered":
                return list(stored.event.answers)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        await log.notifier.wait(session_id, seen, min(remaining, 1.0))

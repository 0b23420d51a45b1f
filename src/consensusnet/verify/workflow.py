"""The verify workflow: every nondeterministic action is a named step, every fact an event."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import ValidationError

from consensusnet.domain.errors import ConfigError, ConsensusNetError
from consensusnet.domain.events_verify import (
    Claim,
    ClaimDecided,
    ClaimsExtracted,
    CriticChallenged,
    Evidence,
    EvidenceRanked,
    Judgement,
    JudgementRevised,
    PanelJudged,
    PanelMemberFailed,
    QueriesWritten,
)
from consensusnet.engine.runtime import Workflow, WorkflowContext, record
from consensusnet.evidence.ports import EvidenceSource
from consensusnet.evidence.retrieval import LocalKnowledgeSource
from consensusnet.llm.gateway import CallContext
from consensusnet.verify import gather, learning, panel
from consensusnet.verify.aggregate import (
    decide_claim,
    decide_text,
    leading_label,
    no_evidence,
    no_panel,
)
from consensusnet.verify.learning import Learned
from consensusnet.verify.ports import SOURCE_NAMES, VerifyOptions, VerifyServices
from consensusnet.verify.prompts import critic_request, judge_request, revision_request
from consensusnet.verify.strategies import Member, panel_members

KIND = "verify"


class _Run:
    """One verification: the services, options and learned state a run shares."""

    def __init__(
        self,
        services: VerifyServices,
        text: str,
        options: VerifyOptions,
        owner: str | None = None,
    ) -> None:
        self.services = services
        self.text = text
        self.options = options
        self.owner = owner
        self.members = panel_members(options.panel, options.models)
        self.learned = Learned({})

    def sources(self) -> dict[str, EvidenceSource]:
        unknown = [s for s in self.options.sources if s not in SOURCE_NAMES]
        if unknown:
            raise ConfigError(
                f"Unknown evidence sources: {', '.join(unknown)}.",
                hint="Use any of " + ", ".join(SOURCE_NAMES) + ".",
            )
        built: dict[str, EvidenceSource] = {}
        for name in dict.fromkeys(self.options.sources):
            if name == "local":
                if self.services.knowledge is None:
                    raise ConfigError("The local knowledge base is not available here.")
                built[name] = LocalKnowledgeSource(
                    self.services.knowledge, self.services.embedder, owner=self.owner
                )
            else:
                if self.services.sources is None:
                    raise ConfigError("Online evidence sources are not available here.")
                built[name] = self.services.sources.build(name)
        return built

    async def learn(self, ctx: WorkflowContext) -> None:
        """Read what feedback taught so far (a step: the store changes between runs)."""

        async def read() -> dict[str, Any]:
            return await learning.snapshot(self.services.knowledge)

        self.learned = Learned(await ctx.step("learned", read))

    def call(
        self, ctx: WorkflowContext, role: str, key: str, member: Member | None = None
    ) -> CallContext:
        return CallContext(
            role=role,
            session_id=ctx.session_id,
            call_key=key,
            persona=member.agent if member else None,
            model_override=member.model if member else None,
        )

    # -- per claim --------------------------------------------------------------------------

    async def evidence_for(
        self, ctx: WorkflowContext, claim: Claim, sources: dict[str, EvidenceSource]
    ) -> list[Evidence]:
        log, gateway, prefix = self.services.log, self.services.gateway, claim.id

        async def queries_step() -> list[str]:
            return await gather.write_queries(
                gateway, claim, ctx.session_id, f"{prefix}.queries", self.options.write_queries
            )

        queries = await ctx.step(f"{prefix}.queries", queries_step)
        await record(
            ctx, log, f"{prefix}.queries.event", QueriesWritten(claim_id=claim.id, queries=queries)
        )

        async def search(name: str) -> dict[str, Any]:
            async def retrieve() -> dict[str, Any]:
                return await gather.search_source(sources[name], queries, self.options.per_query)

            return await ctx.step(f"{prefix}.retrieve.{name}", retrieve)

        found = await asyncio.gather(*(search(name) for name in sources))
        await record(
            ctx,
            log,
            f"{prefix}.retrieve.event",
            *(gather.retrieved_event(claim.id, n, f) for n, f in zip(sources, found, strict=True)),
        )

        async def rank() -> dict[str, Any]:
            return await gather.rank(
                claim,
                list(found),
                self.services.embedder,
                self.learned.credibility,
                self.options.evidence_k,
            )

        ranked = await ctx.step(f"{prefix}.rank", rank)
        evidence = gather.parse_evidence(ranked)
        await record(
            ctx,
            log,
            f"{prefix}.rank.event",
            EvidenceRanked(claim_id=claim.id, evidence=evidence, candidates=ranked["candidates"]),
        )
        return evidence

    async def judge_all(
        self, ctx: WorkflowContext, claim: Claim, evidence: list[Evidence]
    ) -> list[Judgement]:
        gateway, opts = self.services.gateway, self.options

        async def one(member: Member) -> dict[str, Any]:
            key = f"{claim.id}.panel.{member.agent}"

            async def call() -> dict[str, Any]:
                request = judge_request(
                    member.strategy, claim.text, evidence, opts.max_tokens, opts.temperature
                )
                try:
                    judged = await panel.judge(
                        gateway, member, request, evidence, self.call(ctx, "verifier", key, member)
                    )
                except (panel.MemberFailure, ConsensusNetError) as error:
                    return {"error": str(error)}
                return {"judgement": judged.model_dump(mode="json")}

            return await ctx.step(key, call)

        # The steps start together, in member order; their events are recorded afterwards, in
        # the same order, so a replay meets every step in the order the first run did.
        outcomes = await asyncio.gather(*(one(member) for member in self.members))
        judgements: list[Judgement] = []
        events: list[Any] = []
        for member, outcome in zip(self.members, outcomes, strict=True):
            if "error" in outcome:
                events.append(
                    PanelMemberFailed(claim_id=claim.id, agent=member.agent, error=outcome["error"])
                )
                continue
            judgement = Judgement.model_validate(outcome["judgement"])
            judgements.append(judgement)
            events.append(PanelJudged(claim_id=claim.id, judgement=judgement))
        await record(ctx, self.services.log, f"{claim.id}.panel.event", *events)
        return judgements

    async def critic_round(
        self, ctx: WorkflowContext, claim: Claim, evidence: list[Evidence], first: list[Judgement]
    ) -> tuple[list[Judgement], list[str]]:
        """The critic attacks the leading label; each member may revise. Returns the final
        judgements and the agents who changed their minds."""
        log, gateway, opts = self.services.log, self.services.gateway, self.options
        leading = leading_label(first, self.learned.reliabilities.panel(first))
        key = f"{claim.id}.critic"

        async def attack() -> dict[str, Any]:
            request = critic_request(claim.text, evidence, leading, first, opts.max_tokens)
            text, weaknesses, suggested = await panel.challenge(
                gateway, request, self.call(ctx, "critic", key)
            )
            return {"challenge": text, "weaknesses": weaknesses, "suggested_label": suggested}

        attacked = await ctx.step(key, attack)
        critic = CriticChallenged(claim_id=claim.id, target_label=leading, **attacked)
        await record(ctx, log, f"{key}.event", critic)
        by_agent = {j.agent: j for j in first}

        async def reconsider(member: Member) -> dict[str, Any]:
            own = by_agent[member.agent]
            rkey = f"{claim.id}.revise.{member.agent}"

            async def call() -> dict[str, Any]:
                request = revision_request(
                    member.strategy,
                    claim.text,
                    evidence,
                    own,
                    critic.challenge,
                    opts.max_tokens,
                    opts.temperature,
                )
                try:
                    judged, reason = await panel.revise(
                        gateway, member, request, evidence, self.call(ctx, "verifier", rkey, member)
                    )
                except (panel.MemberFailure, ConsensusNetError) as error:
                    return {"error": str(error)}
                return {"judgement": judged.model_dump(mode="json"), "reason": reason}

            return await ctx.step(rkey, call)

        seated = [m for m in self.members if m.agent in by_agent]
        outcomes = await asyncio.gather(*(reconsider(m) for m in seated))
        final: list[Judgement] = []
        events: list[Any] = []
        for member, outcome in zip(seated, outcomes, strict=True):
            own = by_agent[member.agent]
            if "error" in outcome:
                events.append(
                    PanelMemberFailed(
                        claim_id=claim.id,
                        agent=member.agent,
                        stage="revise",
                        error=outcome["error"],
                    )
                )
                final.append(own)  # keeps its first judgement
                continue
            revised = Judgement.model_validate(outcome["judgement"])
            final.append(revised)
            events.append(
                JudgementRevised(
                    claim_id=claim.id,
                    agent=member.agent,
                    before=own.label,
                    after=revised.label,
                    before_confidence=own.confidence,
                    after_confidence=revised.confidence,
                    reason=outcome["reason"],
                    judgement=revised,
                )
            )
        await record(ctx, log, f"{claim.id}.revise.event", *events)
        changed = [f.agent for f in final if f.label != by_agent[f.agent].label]
        return final, changed

    async def verify_claim(
        self, ctx: WorkflowContext, claim: Claim, sources: dict[str, EvidenceSource]
    ) -> ClaimDecided:
        evidence = await self.evidence_for(ctx, claim, sources)
        if not evidence:
            verdict = no_evidence(claim.id)
        else:
            first = await self.judge_all(ctx, claim, evidence)
            if not first:
                verdict = no_panel(claim.id, len(self.members))
            else:
                final, changed = (
                    await self.critic_round(ctx, claim, evidence, first)
                    if self.options.critic
                    else (first, [])
                )
                verdict = decide_claim(
                    claim.id,
                    final,
                    evidence,
                    self.learned.reliabilities.panel(final),
                    self.learned.calibration,
                    changed_minds=changed,
                )
        await record(ctx, self.services.log, f"{claim.id}.decided.event", verdict)
        return verdict

    async def __call__(self, ctx: WorkflowContext) -> dict[str, Any]:
        sources = self.sources()
        await self.learn(ctx)
        gateway, opts = self.services.gateway, self.options

        async def extract() -> dict[str, Any]:
            claims, method = await gather.extract_claims(
                gateway, self.text, opts.max_claims, ctx.session_id
            )
            return {"claims": [c.model_dump() for c in claims], "method": method}

        extracted = await ctx.step("extract", extract)
        claims = [Claim.model_validate(c) for c in extracted["claims"]]
        await record(
            ctx,
            self.services.log,
            "extract.event",
            ClaimsExtracted(claims=claims, method=extracted["method"]),
        )
        # Claims run concurrently, a few at a time: steps are replayed by name, not by the
        # order they started in, so a resumed run may reach them in any order.
        turns = asyncio.Semaphore(opts.parallel_claims)

        async def one_claim(claim: Claim) -> ClaimDecided:
            async with turns:
                return await self.verify_claim(ctx, claim, sources)

        verdicts = await asyncio.gather(*(one_claim(claim) for claim in claims))
        overall = decide_text(list(verdicts))
        await record(ctx, self.services.log, "overall.event", overall)
        return {
            "overall": overall.label,
            "confidence": overall.confidence,
            "claims": [
                {"id": c.id, "text": c.text, "label": v.label, "confidence": v.confidence}
                for c, v in zip(claims, verdicts, strict=True)
            ],
        }


def build_verify_workflow(services: VerifyServices, payload: dict[str, Any]) -> Workflow:
    """The workflow for a `verify` session: `input.text`, options as in VerifyOptions."""
    text = str(payload.get("input", {}).get("text", ""))

    async def workflow(ctx: WorkflowContext) -> dict[str, Any]:
        try:
            options = VerifyOptions.model_validate(payload.get("options", {}))
        except ValidationError as error:
            raise ConsensusNetError(f"Invalid verify options: {error}") from None
        owner = payload.get("owner")
        return await _Run(services, text, options, owner=str(owner) if owner else None)(ctx)

    return workflow

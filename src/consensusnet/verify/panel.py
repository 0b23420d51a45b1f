"""Panel calls: each member's judgement, the critic's challenge, each member's revision.

Citations are constrained by the per-claim schema. When a provider without constrained decoding
still cites an id that does not exist, the gateway asks once for a repair; if the repaired reply
is still invalid, the invalid ids are dropped and recorded as rejected.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ValidationError

from consensusnet.domain.errors import StructuredOutputError
from consensusnet.domain.events_verify import Evidence, Judgement, Label
from consensusnet.domain.llm import LLMRequest
from consensusnet.llm.gateway import CallContext, LLMGateway
from consensusnet.verify.schemas import CriticReply, judgement_schema, revision_schema
from consensusnet.verify.strategies import Member


class MemberFailure(Exception):
    """A member produced nothing usable (not even after dropping invalid citations)."""


def _invalid_ids(text: str, valid: set[str]) -> list[str]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    cited = data.get("cited", []) if isinstance(data, dict) else []
    return sorted({str(c) for c in cited if isinstance(c, str | int) and str(c) not in valid})


async def _constrained_call(
    gateway: LLMGateway,
    request: LLMRequest,
    strict: type[BaseModel],
    lenient: type[BaseModel],
    ctx: CallContext,
    valid: set[str],
) -> tuple[dict[str, Any], list[str], str, str]:
    """(reply fields, rejected citation ids, provider, model) for a call whose citations must
    be valid."""
    first_key = ctx.call_key or ""
    try:
        result = await gateway.structured(request, strict, ctx)
    except StructuredOutputError as error:
        repaired = (
            await gateway.ledger.lookup(ctx.session_id, f"{first_key}:repair")
            if ctx.session_id and first_key
            else None
        )
        if repaired is None:
            raise MemberFailure(str(error)) from None
        try:
            value = lenient.model_validate_json(repaired.output)
        except ValidationError:
            raise MemberFailure(str(error)) from None
        fields = value.model_dump()
        dropped = sorted({c for c in fields.get("cited", []) if c not in valid})
        fields["cited"] = [c for c in fields.get("cited", []) if c in valid]
        return fields, dropped, repaired.provider, repaired.model
    rejected: list[str] = []
    if ctx.session_id and first_key and result.response.text:
        first = await gateway.ledger.lookup(ctx.session_id, first_key)
        if first is not None and first.output != result.response.text:
            rejected = _invalid_ids(first.output, valid)  # the repair fixed these
    return result.value.model_dump(), rejected, result.response.provider, result.response.model


def _dedupe(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


async def judge(
    gateway: LLMGateway,
    member: Member,
    request: LLMRequest,
    evidence: list[Evidence],
    ctx: CallContext,
) -> Judgement:
    """One member's first judgement of a claim."""
    ids = [e.id for e in evidence]
    fields, rejected, provider, model = await _constrained_call(
        gateway,
        request,
        judgement_schema(ids),
        judgement_schema(ids, strict=False),
        ctx,
        set(ids),
    )
    return Judgement(
        agent=member.agent,
        strategy=member.strategy.name,
        model=model,
        provider=provider,
        label=fields["label"],
        confidence=fields["confidence"],
        rationale=fields.get("rationale", ""),
        cited=_dedupe(fields.get("cited", [])),
        rejected_citations=rejected,
    )


async def revise(
    gateway: LLMGateway,
    member: Member,
    request: LLMRequest,
    evidence: list[Evidence],
    ctx: CallContext,
) -> tuple[Judgement, str]:
    """A member's revised judgement and its reason for keeping or changing its label."""
    ids = [e.id for e in evidence]
    fields, rejected, provider, model = await _constrained_call(
        gateway,
        request,
        revision_schema(ids),
        revision_schema(ids, strict=False),
        ctx,
        set(ids),
    )
    reason = fields.get("reason", "")
    judgement = Judgement(
        agent=member.agent,
        strategy=member.strategy.name,
        model=model,
        provider=provider,
        label=fields["label"],
        confidence=fields["confidence"],
        rationale=reason,
        cited=_dedupe(fields.get("cited", [])),
        rejected_citations=rejected,
    )
    return judgement, reason


async def challenge(
    gateway: LLMGateway, request: LLMRequest, ctx: CallContext
) -> tuple[str, list[str], Label]:
    """The critic's challenge: its text, the weaknesses it names, the label it suggests."""
    reply = (await gateway.structured(request, CriticReply, ctx)).value
    return reply.challenge, list(dict.fromkeys(reply.weaknesses)), reply.suggested_label

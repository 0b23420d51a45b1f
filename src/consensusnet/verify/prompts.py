"""Prompts of the verify workflow. Claims, evidence and other agents' words enter only as data."""

from __future__ import annotations

from consensusnet.domain.events_verify import Evidence, Judgement, Label
from consensusnet.domain.llm import LLMRequest, Message, SystemBlock
from consensusnet.llm.prompt import UNTRUSTED_RULE, nonce_for, untrusted
from consensusnet.verify.strategies import Strategy

LABEL_RULE = (
    "Labels: SUPPORTED (the evidence shows the claim is true), REFUTED (the evidence shows it is "
    "false), NOT_ENOUGH_INFO (the evidence does not settle it)."
)


def _request(system: str, user: str, max_tokens: int, temperature: float) -> LLMRequest:
    return LLMRequest(
        system=[SystemBlock(text=system, cache=True), SystemBlock(text=UNTRUSTED_RULE, cache=True)],
        messages=[Message(role="user", content=user)],
        max_tokens=max_tokens,
        temperature=temperature,
    )


def evidence_block(evidence: list[Evidence], nonce: str) -> str:
    """The evidence sentences as one data block, one `id | source | sentence` line each."""
    if not evidence:
        return "No evidence was found."
    lines = "\n".join(f"{e.id} | {e.title} | {e.sentence}" for e in evidence)
    return untrusted("evidence", lines, nonce=nonce)


def extraction_request(text: str, max_claims: int) -> LLMRequest:
    """Split a text into atomic, self-contained, check-worthy claims."""
    nonce = nonce_for("extract", text)
    system = (
        "You extract factual claims for fact-checking. List each check-worthy claim of the text "
        "as one short, self-contained sentence (replace pronouns with names). Skip opinions and "
        f"questions. At most {max_claims} claims."
    )
    return _request(system, untrusted("text", text, nonce=nonce), 300, 0.0)


def query_request(claim: str) -> LLMRequest:
    """Short search queries that would find evidence for or against a claim."""
    nonce = nonce_for("queries", claim)
    system = "You write web search queries. Give one or two short keyword queries for the claim."
    return _request(system, untrusted("claim", claim, nonce=nonce), 80, 0.0)


def judge_request(
    strategy: Strategy, claim: str, evidence: list[Evidence], max_tokens: int, temperature: float
) -> LLMRequest:
    """One panel member's first judgement of a claim."""
    nonce = nonce_for("judge", strategy.name, claim, *[e.sentence for e in evidence])
    system = (
        f"You are {strategy.title} on a fact-checking panel. {strategy.instructions} "
        f"{LABEL_RULE} Cite the ids of the evidence lines you rely on. Confidence is from 0 to 1. "
        "Give a one-sentence rationale."
    )
    claim_block = untrusted("claim", claim, nonce=nonce)
    user = f"Claim:\n{claim_block}\n\nEvidence:\n{evidence_block(evidence, nonce)}"
    return _request(system, user, max_tokens, temperature)


def critic_request(
    claim: str,
    evidence: list[Evidence],
    leading: Label,
    judgements: list[Judgement],
    max_tokens: int,
) -> LLMRequest:
    """The adversarial critic's attack on the panel's leading label."""
    nonce = nonce_for("critic", claim, leading, *[j.rationale for j in judgements])
    system = (
        f"You are an adversarial critic on a fact-checking panel. The panel leans {leading}. "
        "Attack that verdict: is the evidence weak or from a single source, is context missing, "
        "does the verdict overreach what the evidence says, does any evidence contradict it? "
        f"Then give the label you think is best. {LABEL_RULE}"
    )
    panel = "\n".join(
        untrusted(
            "judgement",
            f"{j.label} ({j.confidence:.2f}): {j.rationale}",
            nonce=nonce,
            agent=j.agent,
        )
        for j in judgements
    )
    user = (
        f"Claim:\n{untrusted('claim', claim, nonce=nonce)}\n\nEvidence:\n"
        f"{evidence_block(evidence, nonce)}\n\nPanel:\n{panel}"
    )
    return _request(system, user, max_tokens, 0.3)


def revision_request(
    strategy: Strategy,
    claim: str,
    evidence: list[Evidence],
    own: Judgement,
    challenge: str,
    max_tokens: int,
    temperature: float,
) -> LLMRequest:
    """A member reconsiders its judgement in the light of the critic's challenge."""
    nonce = nonce_for("revise", strategy.name, claim, own.rationale, challenge)
    system = (
        f"You are {strategy.title} on a fact-checking panel. {strategy.instructions} "
        "A critic challenged the panel. Keep your label if the challenge is weak; change it if "
        f"the critic is right. {LABEL_RULE} Cite evidence ids; give a one-sentence reason."
    )
    mine = f"{own.label} ({own.confidence:.2f}): {own.rationale}"
    user = (
        f"Claim:\n{untrusted('claim', claim, nonce=nonce)}\n\nEvidence:\n"
        f"{evidence_block(evidence, nonce)}\n\nYour judgement:\n"
        f"{untrusted('judgement', mine, nonce=nonce)}\n\nCritic:\n"
        f"{untrusted('challenge', challenge, nonce=nonce)}"
    )
    return _request(system, user, max_tokens, temperature)

"""A scripted panel for verify tests: replies chosen from what each request is for."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from consensusnet.compose import App
from consensusnet.domain.events import SessionCreated
from consensusnet.domain.llm import LLMRequest
from consensusnet.engine.view import SessionView
from consensusnet.evidence.knowledge import ingest

AGENT_TITLES = {
    "a strict evidence checker": "strict",
    "a skeptic": "skeptic",
    "a domain expert": "expert",
    "a context checker": "contextualist",
}

EIFFEL = (
    "The Eiffel Tower is a wrought-iron lattice tower in Paris, France. "
    "It was completed in 1889 for the World's Fair. "
    "The tower is 330 metres tall and was the tallest structure in the world until 1930."
)
MOON = (
    "The Moon is Earth's only natural satellite. "
    "Its average distance from Earth is about 384,400 kilometres. "
    "The Moon has no breathable atmosphere."
)


def agent_of(request: LLMRequest) -> str:
    system = request.system_text()
    for title, agent in AGENT_TITLES.items():
        if f"You are {title}" in system:
            return agent
    return ""


def claim_of(request: LLMRequest) -> str:
    match = re.search(
        r"<data-claim-[0-9a-f]+>\n(.*?)\n</data-claim", request.messages[-1].content, re.S
    )
    return match.group(1) if match else ""


def evidence_ids(request: LLMRequest) -> list[str]:
    return re.findall(r"^(E\d+) \|", request.messages[-1].content, re.M)


def evidence_with(request: LLMRequest, word: str) -> str:
    for line in request.messages[-1].content.splitlines():
        if line.startswith("E") and " | " in line and word.lower() in line.lower():
            return line.split(" | ")[0]
    return evidence_ids(request)[0]


Reply = dict[str, Any] | str | Callable[[LLMRequest], Any]


@dataclass
class Script:
    """Replies by purpose: claims, queries, judgements by claim word or agent, critic, revisions."""

    claims: list[str] = field(default_factory=list)
    judge: dict[str, str] = field(default_factory=dict)  # agent -> label ("*" for all)
    by_claim: dict[str, str] = field(default_factory=dict)  # word in the claim -> label
    cite_word: str = ""
    revise: dict[str, str] = field(default_factory=dict)  # agent -> label after the critic
    critic_label: str = "NOT_ENOUGH_INFO"
    overrides: dict[tuple[str, str], list[Reply]] = field(default_factory=dict)
    seen: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, request: LLMRequest) -> Any:
        kind, agent = request.schema_name, agent_of(request)
        self.seen.append((kind, agent))
        queue = self.overrides.get((kind, agent))
        if queue:
            reply = queue.pop(0)
            return reply(request) if callable(reply) else reply
        if kind == "ExtractedClaims":
            return {"claims": self.claims}
        if kind == "SearchQueries":
            return {"queries": [claim_of(request)[:40]]}
        if kind == "CriticReply":
            return {
                "challenge": "The evidence is from a single source and may overreach.",
                "weaknesses": ["single_source"],
                "suggested_label": self.critic_label,
            }
        cited = [evidence_with(request, self.cite_word)] if evidence_ids(request) else []
        if kind == "Judgement":
            label = self._first_label(request, agent)
            return {"label": label, "confidence": 0.8, "cited": cited, "rationale": f"{agent} view"}
        label = self.revise.get(agent) or self._first_label(request, agent)
        return {
            "label": label,
            "confidence": 0.7,
            "cited": cited,
            "reason": f"{agent} reconsidered",
        }

    def _first_label(self, request: LLMRequest, agent: str) -> str:
        claim = claim_of(request)
        for word, label in self.by_claim.items():
            if word in claim:
                return label
        return self.judge.get(agent, self.judge.get("*", "SUPPORTED"))


async def add_documents(app: App, *documents: tuple[str, str]) -> None:
    services = await app.services()
    assert services.knowledge is not None
    for title, text in documents:
        await ingest(
            services.knowledge, services.embedder, title=title, text=text, path=f"{title}.txt"
        )


async def run_verify(app: App, text: str, timeout: float = 60, **options: Any) -> SessionView:
    services = await app.start()
    session_id = await app.create_session(
        SessionCreated(kind="verify", title=text[:60], input={"text": text}, options=options)
    )
    await app.runtime.wait(session_id, timeout=timeout)
    return await services.log.view(session_id)

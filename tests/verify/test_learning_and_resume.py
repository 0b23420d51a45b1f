"""Feedback teaches reliabilities and credibilities; a crashed verification resumes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from verify_helpers import EIFFEL, MOON, Script, add_documents, run_verify

from consensusnet.compose import App
from consensusnet.domain.config import Settings
from consensusnet.domain.errors import ConsensusNetError
from consensusnet.domain.events import SessionCreated
from consensusnet.domain.llm import LLMRequest
from consensusnet.engine.runtime import InMemoryRuntime
from consensusnet.llm.scripted import FunctionProvider
from consensusnet.verify.feedback import record_claim_feedback


async def test_feedback_changes_reliabilities_and_the_next_vote(app: App, script: Script) -> None:
    # The skeptic alone says REFUTED and is right; feedback should raise its weight.
    script.judge = {"strict": "SUPPORTED", "expert": "SUPPORTED", "skeptic": "REFUTED"}
    claim = "The Eiffel Tower was completed in 1925."
    first = await run_verify(app, claim)
    assert first.verify is not None
    assert first.verify.claims[0].verdict is not None
    assert first.verify.claims[0].verdict.label == "SUPPORTED"
    services = await app.services()
    assert services.knowledge is not None
    event = await record_claim_feedback(services.log, services.knowledge, first.id, "c1", "REFUTED")
    assert event.correct is False
    assert event.reliability_after["skeptic"] > event.reliability_before["skeptic"]
    assert event.reliability_after["strict"] < event.reliability_before["strict"]
    assert "local" in event.credibility_updates
    counts = await services.knowledge.reliability_counts()
    assert counts["skeptic@scripted:function-1"][1][1] == 1.0  # truth REFUTED, said REFUTED
    view = await services.log.view(first.id)
    assert view.verify is not None
    assert view.verify.claims[0].feedback[0].label == "REFUTED"
    with pytest.raises(ConsensusNetError, match="already recorded"):
        await record_claim_feedback(services.log, services.knowledge, first.id, "c1", "REFUTED")

    for _ in range(6):  # more of the same lesson
        again = await run_verify(app, claim)
        await record_claim_feedback(services.log, services.knowledge, again.id, "c1", "REFUTED")
    last = await run_verify(app, claim)
    assert last.verify is not None
    verdict = last.verify.claims[0].verdict
    assert verdict is not None
    assert verdict.weights["skeptic"] > verdict.weights["strict"]
    assert verdict.label == "REFUTED"  # one reliable member now outweighs two unreliable ones


async def test_feedback_rejects_unknown_claims_and_labels(app: App) -> None:
    view = await run_verify(app, "The Moon has no breathable atmosphere.")
    services = await app.services()
    assert services.knowledge is not None
    with pytest.raises(ConsensusNetError, match="no claim"):
        await record_claim_feedback(services.log, services.knowledge, view.id, "c9", "SUPPORTED")
    with pytest.raises(ConsensusNetError, match="Unknown label"):
        await record_claim_feedback(services.log, services.knowledge, view.id, "c1", "TRUE")


async def test_a_crashed_verification_resumes_without_repeating_finished_calls(
    settings: Settings,
) -> None:
    memory: dict[tuple[str, str], Any] = {}
    stuck = asyncio.Event()
    script = Script(judge={"*": "REFUTED"}, cite_word="1889")

    first_provider = _HangingProvider(script, stuck)
    first = App(settings, providers={"scripted": first_provider}, runtime=InMemoryRuntime(memory))
    await add_documents(first, ("Eiffel Tower", EIFFEL), ("Moon", MOON))
    services = await first.start()
    session_id = await first.create_session(
        SessionCreated(
            kind="verify", title="t", input={"text": "The Eiffel Tower was completed in 1925."}
        )
    )
    await asyncio.wait_for(stuck.wait(), 30)
    await first.runtime.pause(session_id)  # the process dies mid-critic
    judged_before = sum(r.schema_name == "Judgement" for r in first_provider.calls)
    assert judged_before == 3
    await services.engine.dispose()

    second_provider = FunctionProvider(script)
    second = App(settings, providers={"scripted": second_provider}, runtime=InMemoryRuntime(memory))
    try:
        services = await second.start()
        await second.runtime.start("verify", session_id)
        await second.runtime.wait(session_id, timeout=60)
        view = await services.log.view(session_id)
    finally:
        await second.close()
    assert view.status == "completed", view.error
    kinds = [r.schema_name for r in second_provider.calls]
    assert "Judgement" not in kinds
    assert "SearchQueries" not in kinds
    assert kinds.count("CriticReply") == 1
    assert kinds.count("Revision") == 3
    assert view.verify is not None
    assert len(view.verify.claims[0].judgements) == 3  # no duplicated events after the replay
    assert view.verify.claims[0].verdict is not None
    assert view.verify.claims[0].verdict.label == "REFUTED"


class _HangingProvider(FunctionProvider):
    """Answers like the script, except that the critic's call never returns."""

    def __init__(self, answer: Any, reached: asyncio.Event) -> None:
        super().__init__(answer)
        self.reached = reached

    async def complete(self, request: LLMRequest, model: str):  # type: ignore[no-untyped-def]
        if request.schema_name == "CriticReply":
            self.calls.append(request)
            self.reached.set()
            await asyncio.sleep(3600)
        return await super().complete(request, model)

"""The verify workflow end to end on the scripted panel, through App and the event log."""

from __future__ import annotations

import pytest
from verify_helpers import EIFFEL, MOON, Script, run_verify

from consensusnet.compose import App
from consensusnet.domain.events_verify import ClaimDecided


async def test_a_single_claim_passes_through_unchanged_and_is_supported(
    app: App, script: Script
) -> None:
    claim = "The Eiffel Tower was completed in 1889."
    view = await run_verify(app, claim)
    assert view.status == "completed", view.error
    assert view.verify is not None
    assert view.verify.extraction == "passthrough"
    assert [c.claim.text for c in view.verify.claims] == [claim]
    assert ("ExtractedClaims", "") not in script.seen
    item = view.verify.claims[0]
    assert {j.agent for j in item.judgements} == {"strict", "skeptic", "expert"}
    assert item.challenge is not None
    assert item.challenge.target_label == "SUPPORTED"
    assert item.verdict is not None
    assert item.verdict.label == "SUPPORTED"
    quote = item.verdict.citations[0].quote
    assert quote == "It was completed in 1889 for the World's Fair."
    assert quote in EIFFEL
    assert view.result["overall"] == "SUPPORTED"
    assert view.llm.by_role == {"query_writer": 1, "verifier": 6, "critic": 1}


async def test_multi_claim_text_is_split_and_each_claim_judged(app: App, script: Script) -> None:
    script.claims = [
        "The Eiffel Tower was completed in 1889.",
        "The Moon is about 384,400 kilometres from Earth on average.",
    ]
    script.by_claim = {"Eiffel": "SUPPORTED", "Moon": "REFUTED"}
    text = "The Eiffel Tower, finished in 1889, is in Paris. The Moon is 384,400 km away from us."
    view = await run_verify(app, text)
    assert view.status == "completed", view.error
    assert view.verify is not None
    assert view.verify.extraction == "model"
    claims = view.verify.claims
    assert [c.claim.text for c in claims] == script.claims
    assert claims[1].evidence
    assert all(e.title == "Moon" for e in claims[1].evidence[:1])
    assert [c.verdict.label for c in claims if c.verdict] == ["SUPPORTED", "REFUTED"]
    assert view.verify.overall is not None
    assert view.verify.overall.label == "MIXED"
    assert view.verify.overall.kappa is not None


@pytest.mark.parametrize("parallel", [1, 2])
async def test_claims_run_a_few_at_a_time(app: App, script: Script, parallel: int) -> None:
    """With room for two, the second claim starts before the first is decided; with one, not."""
    script.claims = [
        "The Eiffel Tower was completed in 1889.",
        "The Moon is about 384,400 kilometres from Earth on average.",
    ]
    text = "The Eiffel Tower, finished in 1889, is in Paris. The Moon is 384,400 km away from us."
    view = await run_verify(app, text, parallel_claims=parallel)
    assert view.status == "completed", view.error
    services = await app.services()
    order = [
        (stored.event.type, getattr(stored.event, "claim_id", None))
        for stored in await services.log.events(view.id)
    ]
    assert view.verify is not None
    first, second = (c.claim.id for c in view.verify.claims)
    first_decided = order.index(("verify.claim_decided", first))
    second_started = order.index(("verify.queries_written", second))
    assert (second_started < first_decided) == (parallel > 1)


async def test_a_claim_without_evidence_is_not_enough_info_without_a_panel(
    app: App, script: Script
) -> None:
    view = await run_verify(app, "Penguins invented quantum chromodynamics.")
    assert view.status == "completed", view.error
    assert view.verify is not None
    item = view.verify.claims[0]
    assert item.evidence == []
    assert item.verdict is not None
    assert (item.verdict.label, item.verdict.method) == ("NOT_ENOUGH_INFO", "no_evidence")
    assert not [kind for kind, _ in script.seen if kind in ("Judgement", "CriticReply")]


async def test_a_refuted_claim_quotes_the_contradicting_sentence_verbatim(
    app: App, script: Script
) -> None:
    script.judge = {"*": "REFUTED"}
    view = await run_verify(app, "The Eiffel Tower was completed in 1925.")
    assert view.verify is not None
    verdict = view.verify.claims[0].verdict
    assert verdict is not None
    assert verdict.label == "REFUTED"
    assert verdict.citations[0].quote == "It was completed in 1889 for the World's Fair."
    assert verdict.citations[0].quote in EIFFEL
    assert verdict.citations[0].title == "Eiffel Tower"
    assert verdict.dissent == []


async def test_citations_are_an_enum_of_the_retrieved_evidence_ids(app: App, provider) -> None:  # type: ignore[no-untyped-def]
    await run_verify(app, "The Eiffel Tower was completed in 1889.")
    judge = next(r for r in provider.calls if r.schema_name == "Judgement")
    cited = judge.response_schema["properties"]["cited"]
    assert cited["items"]["enum"] == ["E1", "E2", "E3"]


async def test_an_invalid_citation_is_repaired_once_then_dropped(app: App, script: Script) -> None:
    bad = {"label": "SUPPORTED", "confidence": 0.9, "cited": ["E9"], "rationale": "made up"}
    good = {"label": "SUPPORTED", "confidence": 0.9, "cited": ["E1"], "rationale": "fixed"}
    script.overrides[("Judgement", "strict")] = [bad, bad]  # invalid, and invalid after repair
    script.overrides[("Judgement", "skeptic")] = [bad, good]  # the repair fixes it
    view = await run_verify(app, "The Eiffel Tower was completed in 1889.")
    assert view.verify is not None
    judged = {j.agent: j for j in view.verify.claims[0].judgements}
    assert (judged["strict"].cited, judged["strict"].rejected_citations) == ([], ["E9"])
    assert (judged["skeptic"].cited, judged["skeptic"].rejected_citations) == (["E1"], ["E9"])
    verdict = view.verify.claims[0].verdict
    assert verdict is not None
    assert all(c.evidence_id != "E9" for c in verdict.citations)


async def test_the_critic_can_flip_the_verdict(app: App, script: Script) -> None:
    script.judge = {"*": "SUPPORTED"}
    script.revise = {"strict": "REFUTED", "skeptic": "REFUTED", "expert": "REFUTED"}
    script.critic_label = "REFUTED"
    view = await run_verify(app, "The Eiffel Tower was completed in 1889.")
    assert view.verify is not None
    item = view.verify.claims[0]
    assert item.challenge is not None
    assert item.challenge.target_label == "SUPPORTED"
    assert {r.agent for r in item.revisions if r.changed} == {"strict", "skeptic", "expert"}
    assert all(r.reason.endswith("reconsidered") for r in item.revisions)
    assert item.verdict is not None
    assert item.verdict.label == "REFUTED"
    assert sorted(item.verdict.changed_minds) == ["expert", "skeptic", "strict"]


async def test_a_member_that_fails_is_left_out_of_the_vote(app: App, script: Script) -> None:
    script.overrides[("Judgement", "expert")] = ["not json", "still not json"]
    script.judge = {"*": "REFUTED"}
    view = await run_verify(app, "The Eiffel Tower was completed in 1925.")
    assert view.verify is not None
    item = view.verify.claims[0]
    assert [f.split(" ")[0] for f in item.failures] == ["expert"]
    assert item.verdict is not None
    assert set(item.verdict.votes) == {"strict", "skeptic"}


async def test_unknown_sources_fail_the_session_cleanly(app: App) -> None:
    view = await run_verify(app, "The Eiffel Tower was completed in 1889.", sources=["gossip"])
    assert view.status == "failed"
    assert "gossip" in (view.error or "")


async def test_every_verdict_is_an_event_in_the_log(app: App) -> None:
    view = await run_verify(app, "The Moon has no breathable atmosphere.")
    services = await app.services()
    events = [e.event for e in await services.log.events(view.id)]
    types = [e.type for e in events]
    for expected in (
        "verify.claims_extracted",
        "verify.queries_written",
        "verify.evidence_retrieved",
        "verify.evidence_ranked",
        "verify.panel_judged",
        "verify.critic_challenged",
        "verify.judgement_revised",
        "verify.claim_decided",
        "verify.text_decided",
    ):
        assert expected in types
    decided = next(e for e in events if isinstance(e, ClaimDecided))
    assert decided.citations[0].quote in MOON


async def test_panel_members_can_run_on_different_models(app: App) -> None:
    view = await run_verify(
        app, "The Moon has no breathable atmosphere.", models=["scripted:alpha", "scripted:beta"]
    )
    assert view.verify is not None
    models = {j.agent: j.model for j in view.verify.claims[0].judgements}
    assert models == {"strict": "alpha", "skeptic": "beta", "expert": "alpha"}

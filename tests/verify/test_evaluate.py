"""Labeled evaluation runs teach reliabilities per seat and model, and the lessons persist."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from verify_helpers import EIFFEL, MOON, Script, add_documents, agent_of, claim_of, evidence_ids

from consensusnet.compose import App
from consensusnet.consensus.calibration import CalibrationMap
from consensusnet.domain.config import Settings
from consensusnet.domain.events import SessionCreated
from consensusnet.domain.events_verify import Evidence, Judgement
from consensusnet.domain.llm import LLMRequest
from consensusnet.llm.scripted import FunctionProvider
from consensusnet.verify.aggregate import decide_claim
from consensusnet.verify.evaluate import LabeledItem, evaluate
from consensusnet.verify.learning import Reliabilities, reliability_key
from consensusnet.verify.workflow import KIND

TRUTH = {
    "The Eiffel Tower was completed in 1889.": "SUPPORTED",
    "The Eiffel Tower was completed in 1925.": "REFUTED",
    "The Eiffel Tower is 330 metres tall.": "SUPPORTED",
    "The Eiffel Tower is a wrought-iron lattice tower in Paris.": "SUPPORTED",
    "The Moon has no breathable atmosphere.": "SUPPORTED",
    "The Moon has a thick breathable atmosphere.": "REFUTED",
    "The Moon is Earth's only natural satellite.": "SUPPORTED",
    "The Moon is about 384,400 kilometres from Earth on average.": "SUPPORTED",
}
STRICT = "strict@scripted:function-1"
SKEPTIC = "skeptic@scripted:function-1"


class Panel:
    """The strict member knows the truth; the others say REFUTED whatever the claim (or, per
    model, the strict member is wrong too)."""

    def __init__(self) -> None:
        self.script = Script(cite_word="")
        self.wrong_models: set[str] = set()

    def __call__(self, request: LLMRequest) -> Any:
        if request.schema_name not in ("Judgement", "Revision"):
            return self.script(request)
        agent, truth = agent_of(request), TRUTH[claim_of(request)]
        label = truth if agent == "strict" else "REFUTED"
        if agent == "strict" and self.model in self.wrong_models:
            label = "REFUTED" if truth == "SUPPORTED" else "SUPPORTED"
        reply: dict[str, Any] = {
            "label": label,
            "confidence": 0.8,
            "cited": evidence_ids(request)[:1],
        }
        reply["rationale" if request.schema_name == "Judgement" else "reason"] = agent
        return reply

    model = ""


class PerModelProvider(FunctionProvider):
    """Tells the panel which model each call is for."""

    def __init__(self, panel: Panel) -> None:
        super().__init__(panel)
        self.panel = panel

    async def complete(self, request: LLMRequest, model: str):  # type: ignore[no-untyped-def]
        self.panel.model = model
        return await super().complete(request, model)


def _runner(app: App, models: dict[str, list[str]] | None = None):  # type: ignore[no-untyped-def]
    async def run(text: str) -> str:
        options: dict[str, Any] = {"models": (models or {}).get(text, [])}
        session_id = await app.create_session(
            SessionCreated(kind=KIND, title=text[:60], input={"text": text}, options=options)
        )
        await app.runtime.wait(session_id, timeout=60)
        return session_id

    return run


@pytest.fixture
async def eval_app(settings: Settings) -> Any:
    panel = Panel()
    app = App(settings, providers={"scripted": PerModelProvider(panel)})
    await add_documents(app, ("Eiffel Tower", EIFFEL), ("Moon", MOON))
    await app.start()
    app.panel = panel  # type: ignore[attr-defined]
    yield app
    await app.close()


async def test_an_eval_run_learns_reliabilities_that_persist(
    eval_app: App, settings: Settings
) -> None:
    items = [
        LabeledItem(text=t, label=label, line=n) for n, (t, label) in enumerate(TRUTH.items(), 1)
    ]  # type: ignore[arg-type]
    services = await eval_app.services()
    assert services.knowledge is not None
    seen: list[int] = []
    report = await evaluate(
        items,
        _runner(eval_app),
        services.log,
        services.knowledge,
        on_item=lambda o: seen.append(o.line),
    )
    assert seen == list(range(1, len(items) + 1))
    assert all(o.status == "completed" for o in report.outcomes)
    # Two of three members always say REFUTED: before learning, only the refuted items are right.
    assert report.before.accuracy == pytest.approx(2 / 8)
    assert report.after.accuracy == 1.0  # the strict member now outweighs them
    assert report.after.brier < report.before.brier
    assert report.reliability_before[STRICT] == 0.6
    assert report.reliability_after[STRICT] > report.reliability_before[STRICT]
    assert report.reliability_after[SKEPTIC] < report.reliability_before[SKEPTIC]
    assert report.calibration_points == len(items)
    assert "local" in report.credibility_after
    assert all(o.claims_learned == 1 for o in report.outcomes)
    view = await services.log.view(report.outcomes[0].session_id)
    assert view.verify is not None
    assert view.verify.claims[0].feedback[0].by == "eval"

    second = App(settings, providers={"scripted": FunctionProvider(Panel())})
    try:
        stored = await (await second.services()).knowledge.reliability_counts()  # type: ignore[union-attr]
    finally:
        await second.close()
    assert Reliabilities(stored).accuracy(STRICT) == report.reliability_after[STRICT]
    assert Reliabilities(stored).accuracy(SKEPTIC) == report.reliability_after[SKEPTIC]


async def test_a_seat_learns_separately_on_each_model(eval_app: App) -> None:
    panel: Panel = eval_app.panel  # type: ignore[attr-defined]
    panel.wrong_models = {"beta"}
    texts = list(TRUTH)
    models = {t: ["scripted:alpha" if i % 2 else "scripted:beta"] for i, t in enumerate(texts)}
    items = [LabeledItem(text=t, label=TRUTH[t]) for t in texts]  # type: ignore[arg-type]
    services = await eval_app.services()
    assert services.knowledge is not None
    report = await evaluate(items, _runner(eval_app, models), services.log, services.knowledge)
    alpha, beta = "strict@scripted:alpha", "strict@scripted:beta"
    assert report.reliability_after[alpha] > 0.6 > report.reliability_after[beta]
    table = Reliabilities(await services.knowledge.reliability_counts())
    # A model the seat never ran on starts from what the seat learned on the others.
    unseen = table.accuracy("strict@scripted:gamma")
    assert unseen == table.accuracy("strict")
    assert report.reliability_after[beta] < unseen < report.reliability_after[alpha]
    assert table.accuracy("contextualist@scripted:alpha") == 0.6  # no seat history: the default


def test_reliability_keys_name_seat_and_model_and_fit_the_store() -> None:
    assert reliability_key("strict", "local", "SmolLM2-135M-Instruct.Q4_1") == (
        "strict@local:SmolLM2-135M-Instruct.Q4_1"
    )
    assert reliability_key("strict") == "strict"
    long = reliability_key("strict", "local", "m" * 300)
    assert len(long) == 128
    assert long != reliability_key("strict", "local", "m" * 299)


def test_a_model_prior_is_the_seat_record_on_other_models() -> None:
    right = [[0.0] * 3, [0.0, 10.0, 0.0], [0.0, 0.0, 10.0]]
    table = Reliabilities({"strict@a:x": right})
    # Only one model so far: its prior is the one-coin default, as before keys had models.
    assert table.accuracy("strict@a:x") == Reliabilities({"strict": right}).accuracy("strict")
    assert table.accuracy("strict@b:y") == table.accuracy("strict")
    assert table.accuracy("skeptic@a:x") == 0.6


def test_a_verdict_nobody_voted_for_is_explained_not_a_crash() -> None:
    # Members who say SUPPORTED mostly when the truth is NOT_ENOUGH_INFO: learned, their
    # unanimous SUPPORTED points to NOT_ENOUGH_INFO, a label none of them gave.
    misleading = np.array([[0.05, 0.05, 0.9], [0.45, 0.5, 0.05], [0.35, 0.35, 0.3]])
    judgements = [
        Judgement(agent=a, strategy=a, label="SUPPORTED", confidence=0.9, cited=["E1"])
        for a in ("strict", "skeptic", "expert")
    ]
    evidence = [Evidence(id="E1", source="local", title="t", sentence="s", score=0.9)]
    verdict = decide_claim(
        "c1",
        judgements,
        evidence,
        dict.fromkeys(("strict", "skeptic", "expert"), misleading),
        CalibrationMap(),
        changed_minds=[],
    )
    assert verdict.label == "NOT_ENOUGH_INFO"
    assert verdict.citations == []
    assert verdict.dissent == ["strict", "skeptic", "expert"]
    assert "No panel member found NOT_ENOUGH_INFO" in verdict.rationale

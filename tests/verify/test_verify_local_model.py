"""Verification end to end on the real embedded model (SmolLM2-135M) over a small knowledge base."""

from __future__ import annotations

from pathlib import Path

import pytest
from verify_helpers import EIFFEL, add_documents, run_verify

from consensusnet.compose import App
from consensusnet.domain.config import Settings
from consensusnet.domain.events_verify import LABELS


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_verify_on_the_local_model(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        provider="local",
        runtime="memory",
        database_url=None,
        llm_timeout=300,
    )
    app = App(settings)
    try:
        await add_documents(app, ("Eiffel Tower", EIFFEL))
        view = await run_verify(
            app,
            "The Eiffel Tower was completed in 1889.",
            timeout=560,
            panel=3,
            evidence_k=2,
            write_queries=False,
            max_tokens=120,
        )
    finally:
        await app.close()
    assert view.status == "completed", view.error
    assert view.verify is not None
    claim = view.verify.claims[0]
    ids = {e.id for e in claim.evidence}
    assert ids
    assert len(claim.judgements) + len(claim.failures) == 3
    for judgement in claim.judgements:
        assert judgement.label in LABELS
        assert set(judgement.cited) <= ids  # constrained decoding: only real evidence ids
        assert 0.0 <= judgement.confidence <= 1.0
    assert claim.challenge is not None
    assert claim.verdict is not None
    for citation in claim.verdict.citations:
        assert citation.quote in EIFFEL  # verbatim, copied by the system
    assert view.llm.by_model
    assert all(m.startswith("local:") for m in view.llm.by_model)

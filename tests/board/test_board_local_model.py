"""The board end to end on the real embedded model (SmolLM2-135M): 3 personas, 2 rounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from consensusnet.board.report import render
from consensusnet.compose import App
from consensusnet.domain.config import Settings
from consensusnet.domain.events import SessionCreated


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_board_on_the_local_model(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        provider="local",
        runtime="memory",
        database_url=None,
        redis_url=None,
        llm_timeout=300.0,
    )
    app = App(settings)
    try:
        services = await app.start()
        session_id = await app.create_session(
            SessionCreated(
                kind="board",
                title="Europe",
                input={"question": "Should we expand to the European market next year?"},
                options={"experts": 3, "max_rounds": 2, "max_subproblems": 1},
            )
        )
        await app.runtime.wait(session_id, timeout=580)
        view = await services.log.view(session_id)
    finally:
        await app.close()
    assert view.status == "completed", (view.error, view.hint)
    assert view.board is not None
    sub = view.board.sub_problems[0]
    assert len(sub.panel) == 3
    assert 1 <= len(sub.rounds) <= 2
    assert all(len(r.contributions) == 3 for r in sub.rounds)
    assert len(sub.votes) == 3
    assert sub.outcome is not None
    assert sub.synthesis is not None
    assert view.board.meta is not None
    assert view.llm.by_model
    assert all(k.startswith("local:") for k in view.llm.by_model)
    assert view.llm.failed_calls == 0
    report = render(view, "md")
    assert "## Recommendation" in report
    assert "### Vote" in report

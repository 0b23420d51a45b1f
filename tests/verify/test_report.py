"""Reports render from the folded view: verdicts, verbatim quotes, the panel and the critic."""

from __future__ import annotations

import json

import pytest
from verify_helpers import Script, run_verify

from consensusnet.compose import App
from consensusnet.verify.report import render


async def test_reports_show_verdict_quote_panel_and_critic(app: App, script: Script) -> None:
    script.judge = {"*": "SUPPORTED"}
    script.revise = {"skeptic": "REFUTED"}
    view = await run_verify(app, "The Eiffel Tower was completed in 1889.")
    markdown = render(view, "md")
    assert "**Verdict: SUPPORTED**" in markdown
    assert "“It was completed in 1889 for the World's Fair.”" in markdown
    assert "| skeptic | SUPPORTED | REFUTED |" in markdown
    assert "### Critic (attacking SUPPORTED)" in markdown
    assert "skeptic changed SUPPORTED → REFUTED" in markdown
    data = json.loads(render(view, "json"))
    claim = data["claims"][0]
    assert (
        claim["verdict"]["citations"][0]["quote"]
        == "It was completed in 1889 for the World's Fair."
    )
    assert [r["changed"] for r in claim["revisions"] if r["agent"] == "skeptic"] == [True]
    assert data["overall"]["label"] == "SUPPORTED"
    page = render(view, "html")
    assert "It was completed in 1889 for the World&#x27;s Fair." in page
    with pytest.raises(ValueError, match="unknown report format"):
        render(view, "pdf")


async def test_html_report_escapes_model_and_document_text(app: App, script: Script) -> None:
    script.overrides[("Judgement", "strict")] = [
        {
            "label": "SUPPORTED",
            "confidence": 0.9,
            "cited": ["E1"],
            "rationale": "<script>x</script>",
        }
    ]
    view = await run_verify(app, "The Eiffel Tower was completed in 1889.")
    page = render(view, "html")
    assert "<script>" not in page
    assert "&lt;script&gt;" in page

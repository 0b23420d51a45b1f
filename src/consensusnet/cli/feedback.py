"""`consensusnet feedback SESSION CLAIM --label ...`: record the truth; the system learns."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from consensusnet.cli.common import console, load_settings, run
from consensusnet.compose import App
from consensusnet.domain.errors import ConfigError
from consensusnet.domain.events_verify import LABELS, FeedbackRecorded
from consensusnet.verify.feedback import record_claim_feedback


def register(app: typer.Typer) -> None:
    """Add the `feedback` command."""

    @app.command()
    def feedback(
        session: Annotated[str, typer.Argument(help="Verification session id (or a prefix).")],
        claim: Annotated[str, typer.Argument(help="Claim id, e.g. c1.")],
        label: Annotated[str, typer.Option(help="SUPPORTED, REFUTED or NOT_ENOUGH_INFO.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
    ) -> None:
        """Record the true label of a claim: agent reliabilities and source credibilities learn."""
        label = label.strip().upper()
        if label not in LABELS:
            raise typer.BadParameter(f"use one of {', '.join(LABELS)}", param_hint="--label")

        async def go() -> FeedbackRecorded:
            app_ = App(load_settings(runtime="memory"))
            try:
                services = await app_.services()
                if services.knowledge is None:
                    raise ConfigError("The learning store is not configured.")
                session_id = await services.log.resolve_id(session)
                return await record_claim_feedback(
                    services.log, services.knowledge, session_id, claim, label
                )
            finally:
                await app_.close()

        event = run(go)
        if as_json:
            typer.echo(json.dumps(event.model_dump(mode="json"), indent=2))
            return
        verdict = f"the verdict was {event.verdict_was}" if event.verdict_was else "no verdict"
        console.print(f"Recorded {claim} = {label} ({verdict}).")
        for agent, after in sorted(event.reliability_after.items()):
            before = event.reliability_before.get(agent, after)
            console.print(f"  {agent}: reliability {before:.3f} → {after:.3f}")
        for source, value in sorted(event.credibility_updates.items()):
            console.print(f"  source {source}: credibility {value:.3f}")

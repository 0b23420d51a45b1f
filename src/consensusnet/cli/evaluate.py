"""`consensusnet eval FILE`: verify labeled claims, score the verdicts, learn from the labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from consensusnet.cli.common import console, err_console, fail, load_settings, run
from consensusnet.cli.verify import (
    ModelsOption,
    NoCriticOption,
    PanelOption,
    SourcesOption,
    verify_options,
)
from consensusnet.compose import App
from consensusnet.domain.errors import ConfigError, ConsensusNetError
from consensusnet.domain.events import SessionCreated
from consensusnet.domain.events_verify import LABELS
from consensusnet.verify.evaluate import EvaluationReport, ItemOutcome, LabeledItem, evaluate
from consensusnet.verify.workflow import KIND

ITEM_FORMAT = '{"text": "a claim", "label": "SUPPORTED|REFUTED|NOT_ENOUGH_INFO"}'
MAX_PROBLEMS = 20
_JSON_TYPES = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def _line_problems(number: int, data: Any) -> tuple[list[str], LabeledItem | None]:
    if not isinstance(data, dict):
        return [f"line {number}: expected an object, got {_JSON_TYPES[type(data)]}"], None
    problems = []
    text, label = data.get("text"), data.get("label")
    if "text" not in data:
        problems.append(f'line {number}: "text" is missing')
    elif not isinstance(text, str) or not text.strip():
        problems.append(f'line {number}: "text" must be a non-empty string, got {text!r}')
    normalized = label.strip().upper() if isinstance(label, str) else None
    if "label" not in data:
        problems.append(f'line {number}: "label" is missing')
    elif normalized not in LABELS:
        problems.append(f'line {number}: "label" is {label!r}; use one of {", ".join(LABELS)}')
    if problems:
        return problems, None
    return [], LabeledItem.model_validate(
        {"text": str(text).strip(), "label": normalized, "line": number}
    )


def parse_labeled(body: str, name: str) -> list[LabeledItem]:
    """Items from JSON Lines, one object a line (blank lines skipped); every problem reported."""
    items: list[LabeledItem] = []
    problems: list[str] = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as error:
            problems.append(f"line {number}: not valid JSON ({getattr(error, 'msg', error)})")
            continue
        found, item = _line_problems(number, data)
        problems += found
        if item is not None:
            items.append(item)
    hint = f"Each line is one JSON object: {ITEM_FORMAT}"
    if problems:
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        listing = "\n  ".join(shown) + (f"\n  … and {more} more" if more else "")
        raise ConsensusNetError(f"{name} has invalid lines:\n  {listing}", hint=hint)
    if not items:
        raise ConsensusNetError(f"{name} has no items.", hint=hint)
    return items


async def _evaluate(
    items: list[LabeledItem], options: dict[str, Any], *, progress: bool
) -> EvaluationReport:
    app = App(load_settings())
    try:
        services = await app.start()
        if services.knowledge is None:
            raise ConfigError("The learning store is not configured.")

        async def verify_one(text: str) -> str:
            created = SessionCreated(
                kind=KIND, title=" ".join(text.split())[:80], input={"text": text}, options=options
            )
            session_id = await app.create_session(created)
            await app.runtime.wait(session_id)
            return session_id

        def show(outcome: ItemOutcome) -> None:
            mark = "✓" if outcome.verdict == outcome.label else "✗"
            said = outcome.verdict or f"{outcome.status}: {outcome.error or 'no verdict'}"
            err_console.print(
                f"{mark} line {outcome.line}: {said} (truth {outcome.label})"
                f" · session {outcome.session_id[:12]}"
            )

        return await evaluate(
            items,
            verify_one,
            services.log,
            services.knowledge,
            on_item=show if progress else None,
        )
    finally:
        await app.close()


def _print(report: EvaluationReport) -> None:
    scores = Table(
        title="Verdicts",
        caption="after: the same judgements re-aggregated with what this run taught (in-sample)",
    )
    for column in ("", "items", "accuracy", "ECE", "Brier"):
        scores.add_column(column, justify="left" if not column else "right")
    for name, value in (("before", report.before), ("after", report.after)):
        scores.add_row(
            name,
            str(value.items),
            f"{value.accuracy:.3f}",
            f"{value.ece:.3f}",
            f"{value.brier:.3f}",
        )
    console.print(scores)
    agents = Table(title="Reliability per seat and model")
    for column in ("member", "before", "after"):
        agents.add_column(column, justify="left" if column == "member" else "right")
    for key, after in report.reliability_after.items():
        agents.add_row(key, f"{report.reliability_before.get(key, after):.3f}", f"{after:.3f}")
    console.print(agents)
    for source, credibility in report.credibility_after.items():
        console.print(f"source {source}: credibility {credibility:.3f}")
    failed = [o for o in report.outcomes if o.verdict is None]
    learned = sum(o.claims_learned for o in report.outcomes)
    console.print(
        f"{learned} claims learned from · {report.calibration_points} calibration points"
        + (f" · {len(failed)} items without a verdict (not scored)" if failed else "")
    )


def register(app: typer.Typer) -> None:
    """Add the `eval` command."""

    @app.command("eval")
    def evaluate_command(
        file: Annotated[Path, typer.Argument(help="JSON Lines: one {text, label} a line.")],
        sources: SourcesOption = "local",
        panel: PanelOption = 3,
        models: ModelsOption = None,
        no_critic: NoCriticOption = False,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print the report as JSON only.")
        ] = False,
    ) -> None:
        """Verify labeled claims, score the verdicts, and learn reliabilities from the labels."""
        try:
            body = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise typer.BadParameter(str(error), param_hint="FILE") from None
        try:
            items = parse_labeled(body, str(file))
        except ConsensusNetError as error:
            raise fail(str(error), error.hint) from None
        options = verify_options(sources, panel, models, critic=not no_critic)
        report = run(lambda: _evaluate(items, options, progress=not as_json))
        if as_json:
            typer.echo(json.dumps(report.model_dump(mode="json"), indent=2))
            return
        _print(report)

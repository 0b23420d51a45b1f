"""A session's report in md, json or html, whoever asks (the CLI, the API).

Boards and verifications have reports of their own; any other kind (a benchmark's sessions)
gets a generic one rendered from the same fold.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any, Literal

from consensusnet.board import KIND as BOARD_KIND
from consensusnet.board import report as board_report
from consensusnet.engine.view import SessionView
from consensusnet.verify import report as verify_report
from consensusnet.verify.workflow import KIND as VERIFY_KIND

Format = Literal["md", "json", "html"]
FORMATS: tuple[Format, ...] = ("md", "json", "html")
MEDIA_TYPES = {"md": "text/markdown", "json": "application/json", "html": "text/html"}


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, default=str, ensure_ascii=False)


def to_markdown(view: SessionView) -> str:
    """A generic report of any session: its input, result and folded parts."""
    usage = view.llm.usage
    lines = [
        f"# {view.title}",
        "",
        f"- **Kind:** {view.kind}",
        f"- **Status:** {view.status}",
        f"- **Created:** {view.created_at}",
        f"- **LLM calls:** {view.llm.calls} ({usage.input_tokens} in / {usage.output_tokens} out"
        f" tokens, ${view.llm.cost_usd:.4f})",
        "",
    ]
    if view.error:
        lines += ["## Error", "", view.error, ""]
    for section, content in (("Input", view.input), ("Result", view.result)):
        if content:
            lines += [f"## {section}", ""]
            for key, value in content.items():
                lines += [f"### {key}", "", _value(value), ""]
    for name in ("board", "verify"):
        part = getattr(view, name)
        if part is not None:
            lines += [
                f"## {name.title()}",
                "",
                "```json",
                part.model_dump_json(indent=2),
                "```",
                "",
            ]
    return "\n".join(lines)


def to_html(view: SessionView) -> str:
    """The Markdown report, escaped, in a minimal standalone page."""
    body = html.escape(to_markdown(view))
    title = html.escape(view.title)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{title}</title></head><body><pre>{body}</pre></body></html>"
    )


def render(view: SessionView, fmt: Format) -> str:
    """The session's report in `fmt`."""
    if view.kind == BOARD_KIND:
        return board_report.render(view, fmt)
    if view.kind == VERIFY_KIND:
        return verify_report.render(view, fmt)
    if fmt == "json":
        return view.model_dump_json(indent=2)
    if fmt == "html":
        return to_html(view)
    return to_markdown(view)


def write_reports(view: SessionView, formats: list[Format], out: Path) -> dict[str, Path]:
    """Write `<kind>-<id>.<format>` files into `out`; the path of each format."""
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for fmt in formats:
        path = out / f"{view.kind}-{view.id[:12]}.{fmt}"
        path.write_text(render(view, fmt), encoding="utf-8")
        paths[fmt] = path
    return paths

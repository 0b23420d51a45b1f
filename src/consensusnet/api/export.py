"""Exports of a session's folded view: JSON, Markdown and HTML render the same fold."""

from __future__ import annotations

import html
import json
from typing import Any, Literal

from consensusnet.engine.view import SessionView

ExportFormat = Literal["md", "json", "html"]
MEDIA_TYPES = {"md": "text/markdown", "json": "application/json", "html": "text/html"}


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, default=str, ensure_ascii=False)


def to_markdown(view: SessionView) -> str:
    """A readable report of the session."""
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


def render(view: SessionView, fmt: ExportFormat) -> str:
    """The export in the requested format."""
    if fmt == "json":
        return view.model_dump_json(indent=2)
    if fmt == "html":
        return to_html(view)
    return to_markdown(view)

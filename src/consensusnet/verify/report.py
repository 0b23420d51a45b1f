"""Reports of a verification (Markdown, JSON, HTML), rendered from the folded session view."""

from __future__ import annotations

import html
import json
from typing import Any

from consensusnet.engine.view import SessionView
from consensusnet.engine.view_verify import ClaimView, VerifyView

FORMATS = ("md", "json", "html")


def _verify(view: SessionView) -> VerifyView:
    if view.verify is None:
        return VerifyView()
    return view.verify


def report_data(view: SessionView) -> dict[str, Any]:
    """The report as plain data: what the JSON export holds and the other formats show."""
    verify = _verify(view)
    overall = verify.overall
    return {
        "session_id": view.id,
        "status": view.status,
        "text": view.input.get("text", ""),
        "options": view.options,
        "overall": overall.model_dump(exclude={"v", "type"}) if overall else None,
        "extraction": verify.extraction,
        "claims": [_claim_data(c) for c in verify.claims],
        "llm": view.llm.model_dump(),
        "error": view.error,
    }


def _claim_data(claim: ClaimView) -> dict[str, Any]:
    verdict = claim.verdict
    return {
        "id": claim.claim.id,
        "text": claim.claim.text,
        "verdict": verdict.model_dump(exclude={"v", "type"}) if verdict else None,
        "queries": claim.queries,
        "sources": [s.model_dump() for s in claim.sources],
        "evidence": [e.model_dump() for e in claim.evidence],
        "panel": [j.model_dump() for j in claim.judgements],
        "failures": claim.failures,
        "critic": claim.challenge.model_dump(exclude={"v", "type"}) if claim.challenge else None,
        "revisions": [
            {**r.model_dump(exclude={"v", "type", "judgement"}), "changed": r.changed}
            for r in claim.revisions
        ],
        "feedback": [f.model_dump(exclude={"v", "type"}) for f in claim.feedback],
    }


def render_json(view: SessionView) -> str:
    """The JSON export."""
    return json.dumps(report_data(view), indent=2, default=str)


def _claim_markdown(claim: ClaimView) -> list[str]:
    verdict = claim.verdict
    lines = [f"## {claim.claim.id}: {claim.claim.text}", ""]
    if verdict:
        lines += [
            f"**Verdict: {verdict.label}** (confidence {verdict.confidence:.2f}, "
            f"agreement {verdict.agreement:.0%})",
            "",
            verdict.rationale,
            "",
        ]
        for citation in verdict.citations:
            where = citation.url or citation.source
            lines.append(
                f"> “{citation.quote}” — {citation.title} ({where}) [{citation.evidence_id}]"
            )
        if verdict.citations:
            lines.append("")
    if claim.judgements:
        lines += [
            "### Panel",
            "",
            "| member | first | after critic | confidence | cited | rationale |",
        ]
        lines.append("|---|---|---|---|---|---|")
        final = {j.agent: j for j in claim.final_judgements()}
        for first in claim.judgements:
            last = final[first.agent]
            lines.append(
                f"| {first.agent} | {first.label} | {last.label} | {last.confidence:.2f} | "
                f"{', '.join(last.cited) or '-'} | {_cell(last.rationale)} |"
            )
        lines.append("")
    if claim.challenge:
        lines += [
            f"### Critic (attacking {claim.challenge.target_label})",
            "",
            claim.challenge.challenge,
            "",
            f"Weaknesses: {', '.join(claim.challenge.weaknesses) or 'none named'}; "
            f"suggests {claim.challenge.suggested_label}.",
            "",
        ]
    changed = [r for r in claim.revisions if r.changed]
    for revision in changed:
        lines.append(
            f"- {revision.agent} changed {revision.before} → {revision.after}: {revision.reason}"
        )
    if changed:
        lines.append("")
    if claim.evidence:
        lines += ["### Evidence", ""]
        lines += [
            f"- {e.id} [{e.source}: {e.title}] {e.sentence} (score {e.score:.2f})"
            for e in claim.evidence
        ]
        lines.append("")
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(view: SessionView) -> str:
    """The Markdown report."""
    verify = _verify(view)
    lines = ["# Verification", "", f"Session `{view.id}` · {view.status}", ""]
    if verify.overall:
        lines += [
            f"**Overall: {verify.overall.label}** (confidence {verify.overall.confidence:.2f}; "
            + ", ".join(f"{k} {v}" for k, v in sorted(verify.overall.counts.items()))
            + ")",
            "",
        ]
    if view.error:
        lines += [f"**Failed:** {view.error}", ""]
    for claim in verify.claims:
        lines += _claim_markdown(claim)
    return "\n".join(lines).rstrip() + "\n"


def render_html(view: SessionView) -> str:
    """A self-contained HTML page; every piece of text is escaped."""
    verify = _verify(view)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Verification</title>",
        "<style>body{font-family:sans-serif;max-width:60rem;margin:auto}"
        "blockquote{border-left:3px solid #888;margin:.5rem 0;padding-left:.75rem}"
        "td,th{border:1px solid #ccc;padding:.25rem .5rem}table{border-collapse:collapse}</style>",
        "</head><body><h1>Verification</h1>",
    ]
    e = html.escape
    if verify.overall:
        parts.append(
            f"<p><strong>Overall: {e(verify.overall.label)}</strong> "
            f"(confidence {verify.overall.confidence:.2f})</p>"
        )
    for claim in verify.claims:
        parts.append(f"<h2>{e(claim.claim.id)}: {e(claim.claim.text)}</h2>")
        if claim.verdict:
            v = claim.verdict
            parts.append(
                f"<p><strong>{e(v.label)}</strong> (confidence {v.confidence:.2f}) "
                f"{e(v.rationale)}</p>"
            )
            for c in v.citations:
                parts.append(
                    f"<blockquote>{e(c.quote)}<br>"
                    f"<small>{e(c.title)} {e(c.url)}</small></blockquote>"
                )
        if claim.judgements:
            final = {j.agent: j for j in claim.final_judgements()}
            parts.append(
                "<table><tr><th>member</th><th>first judgement</th><th>after the critic</th></tr>"
            )
            for j in claim.judgements:
                last = final[j.agent]
                parts.append(
                    f"<tr><td>{e(j.agent)}</td><td>{e(j.label)}: {e(j.rationale)}</td>"
                    f"<td>{e(last.label)}: {e(last.rationale)}</td></tr>"
                )
            parts.append("</table>")
        if claim.challenge:
            parts.append(f"<p><em>Critic:</em> {e(claim.challenge.challenge)}</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def render(view: SessionView, fmt: str) -> str:
    """The report in one of FORMATS."""
    if fmt == "md":
        return render_markdown(view)
    if fmt == "json":
        return render_json(view)
    if fmt == "html":
        return render_html(view)
    raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")

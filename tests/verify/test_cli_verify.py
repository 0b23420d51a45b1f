"""`kb`, `verify` and `feedback` as a person runs them: subprocesses on the durable runtime."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from verify_helpers import EIFFEL


def cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSENSUSNET_", "OPENAI_"))}
    env.update(CONSENSUSNET_DATA_DIR=str(data_dir), DATABASE_URL="", REDIS_URL="", NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "consensusnet", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_kb_verify_export_and_feedback_on_the_scripted_provider(tmp_path: Path) -> None:
    data = tmp_path / "data"
    doc = tmp_path / "eiffel.md"
    doc.write_text("# Eiffel Tower\n\n" + EIFFEL)
    added = cli("kb", "add", str(doc), "--json", data_dir=data)
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)[0]["title"] == "Eiffel Tower"
    listing = json.loads(cli("kb", "list", "--json", data_dir=data).stdout)
    assert [d["title"] for d in listing] == ["Eiffel Tower"]
    hits = json.loads(cli("kb", "search", "Eiffel Tower 1889", "--json", data_dir=data).stdout)
    assert hits[0]["title"] == "Eiffel Tower"

    out = tmp_path / "reports"
    result = cli(
        "--provider", "scripted", "verify", "The Eiffel Tower was completed in 1889.",
        "--panel", "3", "--export", "md,json,html", "--out", str(out), "--json",
        data_dir=data,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    view = json.loads(result.stdout)
    assert view["status"] == "completed", view["error"]
    assert view["kind"] == "verify"
    claim = view["verify"]["claims"][0]
    assert len(claim["judgements"]) == 3
    assert claim["verdict"]["label"] in ("SUPPORTED", "REFUTED", "NOT_ENOUGH_INFO")
    assert {p.suffix for p in out.iterdir()} == {".md", ".json", ".html"}
    report = json.loads(next(out.glob("*.json")).read_text())
    assert report["claims"][0]["critic"] is not None

    feedback = cli(
        "feedback", view["id"][:10], "c1", "--label", "SUPPORTED", "--json", data_dir=data
    )
    assert feedback.returncode == 0, feedback.stderr
    assert set(json.loads(feedback.stdout)["reliability_after"]) == {"strict", "skeptic", "expert"}
    again = cli("feedback", view["id"], "c1", "--label", "SUPPORTED", data_dir=data)
    assert again.returncode == 1
    assert "already recorded" in again.stderr

    labeled = tmp_path / "labeled.jsonl"
    labeled.write_text(
        '{"text": "The Eiffel Tower was completed in 1889.", "label": "SUPPORTED"}\n'
        '{"text": "The Eiffel Tower was completed in 1925.", "label": "REFUTED"}\n'
    )
    evaluated = cli("--provider", "scripted", "eval", str(labeled), "--json", data_dir=data)
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)
    assert report["before"]["items"] == 2
    assert {key.split("@")[0] for key in report["reliability_after"]} == {
        "strict",
        "skeptic",
        "expert",
    }
    assert all("@scripted:" in key for key in report["reliability_after"])
    shown = cli("--provider", "scripted", "eval", str(labeled), data_dir=data)
    assert shown.returncode == 0, shown.stderr
    assert "Reliability per seat and model" in shown.stdout
    assert "line 2:" in shown.stderr  # progress, one line per item

    removed = cli("kb", "remove", listing[0]["id"], data_dir=data)
    assert removed.returncode == 0, removed.stderr
    assert json.loads(cli("kb", "list", "--json", data_dir=data).stdout) == []


def test_verify_usage_errors(tmp_path: Path) -> None:
    both = cli("verify", "a claim", "--file", "x.txt", data_dir=tmp_path)
    assert both.returncode == 2
    bad = cli("verify", "a claim", "--sources", "gossip", data_dir=tmp_path)
    assert bad.returncode == 2
    assert "gossip" in bad.stderr


def test_eval_reports_every_invalid_line_with_its_number(tmp_path: Path) -> None:
    labeled = tmp_path / "labeled.jsonl"
    labeled.write_text(
        '{"text": "The Eiffel Tower was completed in 1889.", "label": "supported"}\n'
        "\n"
        '{"text": "The Moon is made of cheese.", "label": "FALSE"}\n'
        "not json\n"
        '["a list"]\n'
        '{"label": "REFUTED"}\n'
        '{"text": "  ", "label": "REFUTED"}\n'
    )
    result = cli("eval", str(labeled), data_dir=tmp_path)
    assert result.returncode == 1
    err = " ".join(result.stderr.split())
    assert "line 1" not in err  # a lowercase label is accepted
    assert "line 3: \"label\" is 'FALSE'; use one of NOT_ENOUGH_INFO, REFUTED, SUPPORTED" in err
    assert "line 4: not valid JSON" in err
    assert "line 5: expected an object, got an array" in err
    assert 'line 6: "text" is missing' in err
    assert 'line 7: "text" must be a non-empty string' in err
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    assert "has no items" in " ".join(cli("eval", str(empty), data_dir=tmp_path).stderr.split())
    missing = cli("eval", str(tmp_path / "nope.jsonl"), data_dir=tmp_path)
    assert missing.returncode == 2


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_resume_finishes_a_verification_that_never_ran(tmp_path: Path) -> None:
    """A verify session recorded but not run (the process died first) resumes from the CLI."""
    import asyncio

    from consensusnet.compose import App
    from consensusnet.domain.config import Settings
    from consensusnet.domain.events import SessionCreated

    data = tmp_path / "data"

    async def record_only() -> str:
        app = App(Settings(_env_file=None, data_dir=data, runtime="memory"))  # type: ignore[call-arg]
        try:
            services = await app.services()
            return await services.log.create(
                SessionCreated(
                    kind="verify",
                    title="Eiffel",
                    input={"text": "The Eiffel Tower was completed in 1889."},
                    options={"sources": ["local"], "panel": 3},
                )
            )
        finally:
            await app.close()

    session_id = asyncio.run(record_only())
    out = tmp_path / "reports"
    resumed = cli(
        "--provider", "scripted", "resume", session_id[:8], "--export", "md", "--out", str(out),
        "--json", data_dir=data,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    view = json.loads(resumed.stdout)
    assert (view["id"], view["kind"], view["status"]) == (session_id, "verify", "completed")
    assert view["verify"]["claims"]
    report = out / f"verify-{session_id[:12]}.md"
    assert report.read_text().startswith("# Verification")

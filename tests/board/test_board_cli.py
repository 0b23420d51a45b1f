"""The board, export and personas commands, on the scripted provider and memory runtime."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consensusnet.cli.app import app


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "CONSENSUSNET_DATA_DIR": str(tmp_path / "data"),
        "CONSENSUSNET_PROVIDER": "scripted",
        "CONSENSUSNET_RUNTIME": "memory",
        "DATABASE_URL": "",
    }


def test_board_json_then_export(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "reports"
    result = runner.invoke(
        app,
        [
            "board", "Should we expand to Europe?", "--experts", "3", "--max-rounds", "2",
            "--max-subproblems", "1", "--constraint", "budget <= 500k", "--no-clarify",
            "--json", "--out", str(out),
        ],
        env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    assert view["status"] == "completed"
    assert view["input"]["constraints"] == ["budget <= 500k"]
    assert len(view["board"]["sub_problems"]) == 1
    assert sorted(p.suffix for p in out.iterdir()) == [".html", ".json", ".md"]

    exported = runner.invoke(
        app, ["export", view["id"][:10], "--format", "html", "--out", str(tmp_path / "x")], env=env
    )
    assert exported.exit_code == 0, exported.output
    page = next((tmp_path / "x").iterdir()).read_text()
    assert page.startswith("<!doctype html>")
    assert "Recommendation" in page


def test_personas_list_and_show(env: dict[str, str]) -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["personas", "list", "--json"], env=env)
    assert listed.exit_code == 0
    assert len(json.loads(listed.stdout)) >= 40
    shown = runner.invoke(app, ["personas", "show", "cfo"], env=env)
    assert shown.exit_code == 0
    assert "Chief Financial Officer" in shown.stdout
    missing = runner.invoke(app, ["personas", "show", "nobody"], env=env)
    assert missing.exit_code == 1

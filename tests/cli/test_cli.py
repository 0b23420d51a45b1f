"""The CLI as a person runs it: a subprocess, its exit code, stdout and stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from consensusnet import __version__
from consensusnet.testing.fake_llm_server import FakeLLMServer
from consensusnet.testing.services import REDIS_TEST_URL, require_redis


def cli(
    *args: str, data_dir: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CONSENSUSNET_", "OPENAI_"))}
    base.update(CONSENSUSNET_DATA_DIR=str(data_dir), DATABASE_URL="", REDIS_URL="", NO_COLOR="1")
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "consensusnet", *args],
        env=base,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_version(tmp_path: Path) -> None:
    result = cli("--version", data_dir=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"consensusnet {__version__}"


def test_ask_on_the_scripted_provider_records_a_session(tmp_path: Path) -> None:
    result = cli("--provider", "scripted", "ask", "What is two plus two?", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Scripted answer" in result.stdout
    listing = cli("sessions", "list", "--json", data_dir=tmp_path)
    items = json.loads(listing.stdout)["items"]
    assert [(i["kind"], i["status"], i["llm_calls"]) for i in items] == [("ask", "completed", 1)]
    session_id = items[0]["id"]
    view = json.loads(cli("sessions", "show", session_id[:8], "--json", data_dir=tmp_path).stdout)
    assert view["result"]["answer"] in result.stdout
    events = json.loads(cli("sessions", "events", session_id, "--json", data_dir=tmp_path).stdout)
    assert [e["event"]["type"] for e in events] == [
        "session.created",
        "session.started",
        "llm.call",
        "session.completed",
    ]
    assert [e["seq"] for e in events] == [1, 2, 3, 4]


def test_ask_through_an_openai_compatible_server(tmp_path: Path) -> None:
    with FakeLLMServer() as server:
        server.reply("Red, yellow and blue.", input_tokens=12, output_tokens=6)
        result = cli(
            "--provider",
            "openai",
            "--model",
            "llama3.2",
            "ask",
            "Name three primary colours",
            data_dir=tmp_path,
            env={"OPENAI_BASE_URL": server.openai_base_url},
        )
        assert result.returncode == 0, result.stderr
        assert "Red, yellow and blue." in result.stdout
        assert server.last is not None
        assert server.last.body["model"] == "llama3.2"
        assert server.last.body["stream"] is True


def test_unknown_session_is_an_error_without_a_traceback(tmp_path: Path) -> None:
    result = cli("sessions", "show", "does-not-exist", data_dir=tmp_path)
    assert result.returncode == 1
    assert "No session 'does-not-exist'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_unknown_provider_is_an_error_with_a_hint(tmp_path: Path) -> None:
    result = cli("--provider", "nonesuch", "ask", "hi", data_dir=tmp_path)
    assert result.returncode == 1
    assert "nonesuch" in result.stderr
    assert "Traceback" not in result.stderr


def test_providers_reports_configuration_and_answers(tmp_path: Path) -> None:
    result = cli("--provider", "scripted", "providers", "--json", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["scripted"]["selected"] is True
    assert rows["scripted"]["answers"] is True
    assert rows["openai"]["configured"] is False
    assert "OPENAI_API_KEY" in rows["openai"]["detail"]


def test_doctor_passes_on_sqlite_and_fails_with_a_fix_for_a_dead_database(tmp_path: Path) -> None:
    healthy = cli("doctor", "--json", data_dir=tmp_path)
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert all(check["ok"] for check in json.loads(healthy.stdout))
    broken = cli(
        "doctor",
        "--json",
        data_dir=tmp_path,
        env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing"},
    )
    assert broken.returncode == 1
    database = next(c for c in json.loads(broken.stdout) if c["name"] == "database")
    assert database["ok"] is False
    assert "DATABASE_URL" in database["fix"]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_ask_answers_from_the_local_model_with_no_network(tmp_path: Path) -> None:
    result = cli(
        "ask",
        "Name three primary colours",
        "--max-tokens",
        "48",
        data_dir=tmp_path,
        env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "HF_HUB_OFFLINE": "1"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip()) > 10
    assert "local:SmolLM2-135M-Instruct" in result.stderr


@pytest.mark.integration
def test_doctor_checks_redis_when_configured(tmp_path: Path) -> None:
    require_redis()
    live = cli("doctor", "--json", data_dir=tmp_path, env={"REDIS_URL": REDIS_TEST_URL})
    redis_check = next(c for c in json.loads(live.stdout) if c["name"] == "redis")
    assert redis_check["ok"] is True, redis_check
    dead = cli("doctor", "--json", data_dir=tmp_path, env={"REDIS_URL": "redis://127.0.0.1:1/0"})
    assert dead.returncode == 1
    redis_check = next(c for c in json.loads(dead.stdout) if c["name"] == "redis")
    assert redis_check["ok"] is False
    assert "REDIS_URL" in redis_check["fix"]

"""Kill a running workflow with SIGKILL, restart it, and count every LLM call exactly once."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from consensusnet.domain.config import to_async_url
from consensusnet.engine.sessions import SessionLog
from consensusnet.store.db import make_engine
from consensusnet.store.events import EventStore

ROUNDS, PARALLEL = 4, 3
SESSION = "durable-test-session"


async def _call_keys(url: str) -> tuple[list[str], str]:
    engine = make_engine(url)
    try:
        log = SessionLog(EventStore(engine))
        try:
            events = await log.events(SESSION)
            status = (await log.store.get_session(SESSION)).status
        except Exception:  # the schema or the session may not exist yet
            return [], "missing"
        keys = [e.event.call_key for e in events if e.event.type == "llm.call"]  # type: ignore[union-attr]
        return [k for k in keys if k], status
    finally:
        await engine.dispose()


def _command() -> list[str]:
    return [
        sys.executable, "-m", "consensusnet", "bench", "overhead",
        "--rounds", str(ROUNDS), "--parallel", str(PARALLEL), "--latency", "0.4",
        "--session-id", SESSION, "--json",
    ]  # fmt: skip


def _environment(tmp_path: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSENSUSNET_")}
    env.update(CONSENSUSNET_DATA_DIR=str(tmp_path / "data"), DATABASE_URL=database_url or "")
    return env


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str | None, str]:
    """(DATABASE_URL for the subprocess, async URL for the test to read the log)."""
    if request.param == "sqlite":
        return None, f"sqlite+aiosqlite:///{tmp_path / 'data' / 'consensusnet.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url, to_async_url(url)


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_sigkill_mid_workflow_then_restart_makes_each_call_once(
    tmp_path: Path, backend_url: tuple[str | None, str]
) -> None:
    database_url, read_url = backend_url
    env = _environment(tmp_path, database_url)
    stderr_path = tmp_path / "first.stderr"
    with stderr_path.open("wb") as stderr:
        first = subprocess.Popen(_command(), env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + 120
    keys: list[str] = []
    while time.monotonic() < deadline and first.poll() is None:
        keys, _ = asyncio.run(_call_keys(read_url))
        if len(keys) >= PARALLEL + 1:
            break
        time.sleep(0.05)
    assert first.poll() is None, stderr_path.read_text()[-2000:]
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    before, status = asyncio.run(_call_keys(read_url))
    assert PARALLEL <= len(before) < ROUNDS * PARALLEL, "the kill must land mid-workflow"
    assert status == "running"

    second = subprocess.run(_command(), env=env, capture_output=True, timeout=180, check=False)
    assert second.returncode == 0, second.stderr.decode()[-2000:]
    figures = json.loads(second.stdout)
    after, status = asyncio.run(_call_keys(read_url))

    assert status == "completed"
    counts = collections.Counter(after)
    expected = {f"r{r}.p{p}" for r in range(ROUNDS) for p in range(PARALLEL)}
    assert set(counts) == expected
    assert all(count == 1 for count in counts.values()), counts
    assert set(before) <= set(after)
    assert figures["calls"] == ROUNDS * PARALLEL
